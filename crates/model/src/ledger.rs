//! The acceptance rules: the state folded from a log that decides whether the next statement
//! may be appended.
//!
//! The server, the replay at start-up and the verifier all use this one implementation, so
//! "accepted by the server" and "valid to an auditor" cannot drift apart. It is split in two
//! steps so the expensive part can run in parallel:
//! - [`verify_note`] (stateless but for the key ring): parse the note and the statement, check
//!   every known signature;
//! - [`Ledger::admit`] (cheap, in log order): the checks that depend on what came before, in
//!   the order of design §4.3, then [`Ledger::commit`] once the entry is durably sequenced.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use skytale_note::{Note, VerifierKey};

use crate::cvr::{CvrStatement, MAX_CVR_BATCHES, OVERVOTE_MARKER};
use crate::definition::{check_id, ContestKind, ValidDefinition};
use crate::error::{DefinitionErrors, RejectCode, Rejection};
use crate::statement::{
    ContestReport, KeyChange, PublicationStatement, ResultType, ResultsStatement, Statement,
    StatusStatement,
};

/// What a key may sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// The election authority's root key: entry 0, key changes.
    Authority,
    /// A reporting authority: results for the units in its scope (and their descendants).
    Reporter { name: String, scope: Vec<usize> },
    /// An approver: publication statements (and, as an official, result types).
    Approver,
}

#[derive(Clone, Debug)]
pub struct KeyEntry {
    pub key: VerifierKey,
    pub role: Role,
    /// Log index of the `key` statement that revoked it.
    pub revoked_at: Option<u64>,
}

/// Every key the election has ever known, looked up by (name, key id) as signed notes name them.
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    entries: Vec<KeyEntry>,
    by_name_id: HashMap<(String, u32), Vec<usize>>,
}

impl KeyRing {
    fn push(&mut self, key: VerifierKey, role: Role) -> usize {
        let i = self.entries.len();
        self.by_name_id
            .entry((key.name().to_string(), key.key_id()))
            .or_default()
            .push(i);
        self.entries.push(KeyEntry {
            key,
            role,
            revoked_at: None,
        });
        i
    }
    pub fn entries(&self) -> &[KeyEntry] {
        &self.entries
    }
    pub fn get(&self, i: usize) -> Option<&KeyEntry> {
        self.entries.get(i)
    }
    fn find(&self, key: &VerifierKey) -> Option<usize> {
        self.by_name_id
            .get(&(key.name().to_string(), key.key_id()))?
            .iter()
            .copied()
            .find(|&i| self.entries[i].key == *key)
    }
}

/// A note whose signatures were checked against a key ring.
#[derive(Clone, Debug)]
pub struct VerifiedNote {
    pub note: Note,
    pub statement: Statement,
    /// Indexes into the key ring of every key whose signature verified.
    pub signers: Vec<usize>,
}

/// Largest version of a results statement or CVR series: 2^53 − 1, the largest integer every
/// JSON reader (JavaScript's included) holds exactly.
pub const MAX_VERSION: u64 = (1 << 53) - 1;
/// Largest step from the last accepted version of a unit (or a CVR series) to the next, and
/// the largest first version: 2^45 (≈ 3.5 × 10^13). Versions only grow, so one statement with a
/// huge version would leave no room for a correction; with this step at least 254 more
/// statements of the largest step still fit below [`MAX_VERSION`] after any first version, so no
/// single statement can freeze a unit. The step is wide enough for the versions exporters
/// write from clocks: a date and time `YYYYMMDDhhmmss`, Unix seconds or milliseconds.
pub const MAX_VERSION_STEP: u64 = 1 << 45;
// After the largest first version, at least 254 largest steps remain (checked at compile time).
const _: () = assert!(MAX_VERSION - MAX_VERSION_STEP >= 254 * MAX_VERSION_STEP);

/// The version rules shared by results and CVR statements: 1 to [`MAX_VERSION`], and at most
/// [`MAX_VERSION_STEP`] above the last accepted one (or above 0 for the first).
fn check_version(version: u64, last: Option<u64>) -> Result<(), Rejection> {
    if version == 0 {
        return Err(Rejection::at(
            RejectCode::MalformedStatement,
            "version",
            "versions start at 1",
        ));
    }
    if version > MAX_VERSION {
        return Err(Rejection::at(
            RejectCode::VersionOutOfRange,
            "version",
            format!("version {version} is larger than {MAX_VERSION} (2^53 - 1)"),
        ));
    }
    let base = last.unwrap_or(0);
    if version > base.saturating_add(MAX_VERSION_STEP) {
        return Err(Rejection::at(
            RejectCode::VersionOutOfRange,
            "version",
            format!(
                "version {version} is more than {MAX_VERSION_STEP} above {}; a new version is at most the last one plus {MAX_VERSION_STEP}, so no statement can leave a unit without room for a correction",
                match last {
                    Some(l) => format!("the last accepted version {l}"),
                    None => "0 (no version was accepted yet)".to_string(),
                }
            ),
        ));
    }
    Ok(())
}

/// A statement's time must be RFC 3339 with an offset (see [`crate::check_timestamp`]).
/// A refusal of the note a review releases, as the review's: its field under `note`, its
/// message after `what`.
fn in_released_note(e: Rejection, what: &str) -> Rejection {
    Rejection {
        code: e.code,
        message: format!("{what}: {}", e.message),
        field: Some(match e.field {
            Some(f) => format!("note.{f}"),
            None => "note".to_string(),
        }),
    }
}

/// A lowercase hex SHA-256, as statements name files and held notes.
fn is_hex_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn check_time(field: &str, value: &str) -> Result<(), Rejection> {
    crate::check_timestamp(value).map_err(|why| Rejection::at(RejectCode::BadTimestamp, field, why))
}

/// Largest note accepted as a log entry (C2SP tlog-tiles entry bundles carry 16-bit lengths).
pub const MAX_ENTRY_SIZE: usize = 65_535;

/// Parses and signature-checks one submitted entry. Order: malformed note, malformed
/// statement, unknown key, bad signature, wrong election.
pub fn verify_note(
    keys: &KeyRing,
    election: &str,
    bytes: &[u8],
) -> Result<VerifiedNote, Rejection> {
    verify_notes(keys, election, &[bytes])
        .pop()
        .unwrap_or_else(|| Err(Rejection::new(RejectCode::MalformedNote, "no note")))
}

/// How many entries a caller spreading [`verify_notes`] over threads gives each call: the
/// shared inversion is then about 1/32 of what it costs alone, and a batch of a hundred
/// still spreads over every core.
pub const VERIFY_TOGETHER: usize = 32;

/// [`verify_note`] for many entries at once, each with the verdict it gets alone: the
/// signatures of all of them are checked together (one shared inversion, see
/// `skytale_note::verify_all`), which is what makes a county's file cheaper than its
/// statements one by one.
pub fn verify_notes<B: AsRef<[u8]>>(
    keys: &KeyRing,
    election: &str,
    notes: &[B],
) -> Vec<Result<VerifiedNote, Rejection>> {
    let parsed: Vec<Result<(Note, Statement), Rejection>> =
        notes.iter().map(|b| parse_entry(b.as_ref())).collect();
    // Every (note, signature line, candidate key) to check, in order.
    let mut owners: Vec<(usize, usize, usize)> = Vec::new();
    let mut checks: Vec<skytale_note::SignatureCheck<'_>> = Vec::new();
    for (n, p) in parsed.iter().enumerate() {
        let Ok((note, _)) = p else { continue };
        for (l, sig) in note.signatures.iter().enumerate() {
            let Some(candidates) = keys.by_name_id.get(&(sig.name.clone(), sig.key_id)) else {
                continue;
            };
            for &i in candidates {
                owners.push((n, l, i));
                checks.push(skytale_note::SignatureCheck {
                    key: &keys.entries[i].key,
                    msg: note.text.as_bytes(),
                    sig: &sig.signature,
                });
            }
        }
    }
    let verdicts = skytale_note::verify_all(&checks);
    drop(checks);
    let mut verdicts = owners.into_iter().zip(verdicts).peekable();
    parsed
        .into_iter()
        .enumerate()
        .map(|(n, p)| {
            let (note, statement) = p?;
            let mut signers = Vec::new();
            let mut bad = None;
            for (l, sig) in note.signatures.iter().enumerate() {
                // The first candidate key (in ring order) whose check passed, as if each were
                // tried in turn; none passing is a bad signature if the line had candidates.
                let mut had_candidates = false;
                let mut ok = None;
                while let Some(&((vn, vl, i), verdict)) = verdicts.peek() {
                    if (vn, vl) != (n, l) {
                        break;
                    }
                    had_candidates = true;
                    if verdict && ok.is_none() {
                        ok = Some(i);
                    }
                    verdicts.next();
                }
                match ok {
                    Some(i) => signers.push(i),
                    None if had_candidates && bad.is_none() => bad = Some(sig.name.clone()),
                    None => {}
                }
            }
            finish_verified(note, statement, signers, bad, election)
        })
        .collect()
}

fn parse_entry(bytes: &[u8]) -> Result<(Note, Statement), Rejection> {
    if bytes.len() > MAX_ENTRY_SIZE {
        return Err(Rejection::new(
            RejectCode::MalformedNote,
            format!(
                "the note has {} bytes; a log entry may have at most {MAX_ENTRY_SIZE}",
                bytes.len()
            ),
        ));
    }
    let note = Note::parse(bytes).map_err(|e| {
        Rejection::new(RejectCode::MalformedNote, format!("not a signed note: {e}"))
    })?;
    let statement = Statement::parse(&note.text)?;
    Ok((note, statement))
}

/// The rest of [`verify_note`] once every signature line was checked: `bad` is the first line
/// by a known key that did not verify.
fn finish_verified(
    note: Note,
    statement: Statement,
    signers: Vec<usize>,
    bad: Option<String>,
    election: &str,
) -> Result<VerifiedNote, Rejection> {
    if let Some(name) = bad {
        return Err(Rejection::new(
            RejectCode::BadSignature,
            format!("the signature by {name:?} does not verify"),
        ));
    }
    if signers.is_empty() {
        let names: Vec<&str> = note.signatures.iter().map(|s| s.name.as_str()).collect();
        return Err(Rejection::new(
            RejectCode::UnknownKey,
            format!(
                "no signature is by a key this election knows (signed by: {})",
                if names.is_empty() {
                    "nobody".to_string()
                } else {
                    names.join(", ")
                }
            ),
        ));
    }
    if statement.election() != election {
        return Err(Rejection::at(
            RejectCode::WrongElection,
            "election",
            format!(
                "the statement is for election {:?}, this log is {:?}",
                statement.election(),
                election
            ),
        ));
    }
    Ok(VerifiedNote {
        note,
        statement,
        signers,
    })
}

/// A plausibility problem: the statement is well-formed and authorised but looks wrong, so it
/// is held for an official's review instead of being published or dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlausibilityIssue {
    pub field: String,
    pub why: String,
}

/// A statement that passed every rule and may be sequenced.
#[derive(Clone, Debug)]
pub struct Admitted {
    pub verified: VerifiedNote,
    pub unit: Option<usize>,
    pub issues: Vec<PlausibilityIssue>,
}

/// Why entry 0 cannot start a log.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    #[error("entry 0 is not a signed note: {0}")]
    Note(String),
    #[error("entry 0 is not an election statement: {0}")]
    Statement(String),
    #[error("{0}")]
    Definition(#[from] DefinitionErrors),
    #[error("entry 0 is not validly signed by the authority key named in its definition ({0})")]
    Signature(String),
    #[error("entry 0 names election {statement:?} but its definition has id {definition:?}")]
    Mismatch {
        statement: String,
        definition: String,
    },
    #[error("the authority key in entry 0 ({found}) is not the expected one ({expected})")]
    UnexpectedAuthority { found: String, expected: String },
    #[error(
        "the election definition takes the first {need} entries of the log, but it has only {have}"
    )]
    Incomplete { have: u64, need: u64 },
    #[error("entry {index} (a part of the election definition): {why}")]
    Part { index: u64, why: String },
    #[error("the definition parts are {bytes} bytes with SHA-256 {sha256}, but entry 0 announces {expected_bytes} bytes with SHA-256 {expected_sha256}")]
    Digest {
        bytes: u64,
        sha256: String,
        expected_bytes: u64,
        expected_sha256: String,
    },
}

/// One publication of an `approval`-mode election: the moment the log's content got its quorum
/// of approvals. The publications of a log prefix are a pure function of the prefix (the
/// server, a restart and a verifier list the same ones), by this rule:
///
/// - The *content size* at tree size N, c(N), is N minus the run of `publication` entries
///   right before N: the size just after the last entry that is not a publication (results,
///   cvr, key, definition). Approvals change nothing that is counted, so they must not move
///   the target either.
/// - An approval (a `publication` statement) of tree size N counts for c(N). When A approves
///   size 5 and the log grows to 6 with A's own approval, B's approval of 6 counts for 5 too.
/// - A publication is the approval that brings c(N)'s distinct approvers to the quorum, when
///   c(N) is larger than the last publication's size. It publishes c(N), with the log's root
///   there, whatever N the approvals named.
///
/// `automatic` mode has none: every accepted entry is public the moment it is sequenced, and
/// any grouping of entries into "publications" would either follow the server's batching
/// (which the log does not record, so a verifier could not recompute it) or be one per entry
/// (where "change since the last publication" is just the last statement, which readers would
/// misread as the change since they last looked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publication {
    /// The published tree size: the content size the approvals counted for.
    pub tree_size: u64,
    /// Base64 of the log's root at `tree_size` (looked up when the approvals were admitted).
    pub root_hash: String,
    /// `signed_at` of the approval that completed the quorum.
    pub published_at: String,
    /// Log index of that approval.
    pub index: u64,
    /// Names of the approvers' keys that approved this size by then, in key-ring order.
    pub approvers: Vec<String>,
}

/// A content size that approvers have started to approve but that has no quorum yet (see
/// [`Publication`] for what an approval counts for): what officials and the approvers' own
/// client need to join one round instead of each approving a different size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingApproval {
    /// The content size the approvals count for.
    pub tree_size: u64,
    /// Names of the approvers' keys that approved it, in key-ring order.
    pub approved_by: Vec<String>,
    /// Names of the approvers' keys that have not, in key-ring order.
    pub waiting_for: Vec<String>,
}

/// The log's roots at the content sizes that approvals count for, as [`Ledger::admit`] looked
/// them up with its `root_at`: [`Ledger::commit`] has no tree, yet a publication records the
/// root at the content size, which an approval of a larger size does not name. These are facts
/// about the log prefix, not acceptance state, so learning them while admitting keeps `admit`
/// free of any effect on what is accepted. Only sizes beyond the last publication are kept.
#[derive(Debug, Default)]
struct ContentRoots(Mutex<BTreeMap<u64, [u8; 32]>>);

impl ContentRoots {
    fn map(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, [u8; 32]>> {
        // The map is only ever inserted into or split: a panic elsewhere cannot leave it torn.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn learn(&self, size: u64, root: [u8; 32]) {
        self.map().insert(size, root);
    }
    fn get(&self, size: u64) -> Option<[u8; 32]> {
        self.map().get(&size).copied()
    }
    /// Forgets the sizes up to `size` (published: no approval can count for them any more).
    fn forget_through(&self, size: u64) {
        let mut map = self.map();
        *map = map.split_off(&(size + 1));
    }
}

impl Clone for ContentRoots {
    fn clone(&self) -> Self {
        ContentRoots(Mutex::new(self.map().clone()))
    }
}

/// The acceptance state after some prefix of the log.
#[derive(Clone, Debug)]
pub struct Ledger {
    def: Arc<ValidDefinition>,
    keys: Arc<KeyRing>,
    /// Entries taken by the definition (entry 0 and its parts).
    genesis_size: u64,
    /// Entries applied so far (the log size this state describes).
    size: u64,
    /// Last accepted version per unit index, and the log index of the entry that carried it
    /// (to answer a retry of that entry with its receipt: [`Ledger::retry_of`]).
    last_version: HashMap<usize, (u64, u64)>,
    /// The latest CVR series per (unit, contest) of ranked-choice contests.
    cvr_series: HashMap<(usize, usize), CvrSeries>,
    /// Content size → approver key indexes whose approvals count for it (`approval` mode;
    /// only sizes beyond the last publication, the others can never be published).
    approvals: BTreeMap<u64, BTreeSet<usize>>,
    /// The runs of consecutive `publication` entries, as half-open index ranges in log order,
    /// to find the content size at any tree size (a handful per night, so kept whole).
    publication_runs: Vec<(u64, u64)>,
    /// See [`ContentRoots`].
    content_roots: ContentRoots,
    /// Every publication so far (`approval` mode), oldest first: a few per night, so kept
    /// whole; the last one is the published size.
    publications: Vec<Publication>,
    /// The time of the latest statement (reporter's or approver's clock), for `automatic` mode.
    latest_time: Option<String>,
    /// The latest result type given per scope (contest index, unit index; `None` = all), so
    /// a step back from `certified` can be made to say why.
    result_types: HashMap<(Option<usize>, Option<usize>), ResultType>,
    /// Held notes the officials decided on, by the SHA-256 the review names: the decision and
    /// the review's log index. A held note is decided once.
    reviews: HashMap<String, (crate::ReviewDecision, u64)>,
}

/// Where a held submission stands, as the log says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeldState {
    /// Waiting for an official.
    Waiting,
    /// Released (its counts entered the log) or rejected by the review at this log index.
    Decided(crate::ReviewDecision, u64),
    /// The unit has since accepted this version or a newer one: nothing to release any more.
    Superseded { accepted_version: u64 },
}

impl Ledger {
    /// Starts a ledger from the head of a log: entry 0 and, for a large definition, the parts
    /// after it (see [`crate::genesis`]). `log` may hold more entries; those are not read, and
    /// the returned ledger's [`size`](Ledger::size) is where the caller goes on. With
    /// `expected_authority`, the authority key must be that key (how a verifier pins the trust
    /// root it got out of band).
    pub fn genesis<E: AsRef<[u8]>>(
        log: &[E],
        expected_authority: Option<&VerifierKey>,
    ) -> Result<Ledger, GenesisError> {
        let head = crate::genesis::read_head(log, expected_authority)?;
        let def = head.definition.validate()?;
        Ok(Ledger::from_definition(def, head.entries))
    }

    /// A ledger right after the `entries` entries that carry an already validated definition.
    fn from_definition(def: ValidDefinition, entries: u64) -> Ledger {
        let mut keys = KeyRing::default();
        let d = def.definition();
        keys.push(d.authority_key.clone(), Role::Authority);
        for r in &d.reporters {
            let scope = r.scope.iter().filter_map(|s| def.unit_index(s)).collect();
            keys.push(
                r.key.clone(),
                Role::Reporter {
                    name: r.name.clone(),
                    scope,
                },
            );
        }
        for a in &d.publication.approvers {
            keys.push(a.clone(), Role::Approver);
        }
        Ledger {
            def: Arc::new(def),
            keys: Arc::new(keys),
            genesis_size: entries,
            size: entries,
            last_version: HashMap::new(),
            cvr_series: HashMap::new(),
            approvals: BTreeMap::new(),
            publication_runs: Vec::new(),
            content_roots: ContentRoots::default(),
            publications: Vec::new(),
            latest_time: None,
            result_types: HashMap::new(),
            reviews: HashMap::new(),
        }
    }

    /// How many entries the definition takes at the head of the log (1, or 1 + its parts):
    /// the log size at which results may begin, and the published size before any publication.
    pub fn genesis_size(&self) -> u64 {
        self.genesis_size
    }

    pub fn definition(&self) -> &Arc<ValidDefinition> {
        &self.def
    }
    /// The key ring as of this state; cheap to clone for parallel [`verify_note`] calls.
    pub fn keys(&self) -> &Arc<KeyRing> {
        &self.keys
    }
    pub fn size(&self) -> u64 {
        self.size
    }
    pub fn election(&self) -> &str {
        self.def.id()
    }
    /// The log index of the unit's last accepted results (its own report, not its children's).
    pub fn last_entry(&self, unit: usize) -> Option<u64> {
        self.last_version.get(&unit).map(|&(_, i)| i)
    }
    pub fn last_version(&self, unit: usize) -> Option<u64> {
        self.last_version.get(&unit).map(|&(v, _)| v)
    }
    /// The largest published tree size under the election's policy and the time it was
    /// published (from the log, never the server's clock). `automatic`: every entry is
    /// published at once. `approval`: `None` before the first quorum of approvals.
    pub fn published(&self) -> Option<(u64, Option<&str>)> {
        match self.def.definition().publication.mode {
            crate::PublicationMode::Automatic => Some((self.size, self.latest_time.as_deref())),
            crate::PublicationMode::Approval => self
                .publications
                .last()
                .map(|p| (p.tree_size, Some(p.published_at.as_str()))),
        }
    }

    /// The publications of this log prefix, oldest first (see [`Publication`]): the approved
    /// sizes under the `approval` policy, none under `automatic`. Kept as the log is folded, so
    /// asking costs nothing.
    pub fn publications(&self) -> &[Publication] {
        &self.publications
    }

    /// The content size of the log as it stands: its size just after the last entry that is
    /// not a `publication` statement. This is what approvers approve (see [`Publication`]).
    pub fn content_size(&self) -> u64 {
        self.content_size_at(self.size)
    }

    /// The content size at tree size `tree_size` (at most [`size`](Ledger::size)): what an
    /// approval of `tree_size` counts for. `tree_size` minus the run of `publication` entries
    /// right before it.
    pub fn content_size_at(&self, tree_size: u64) -> u64 {
        let i = self
            .publication_runs
            .partition_point(|&(_, end)| end < tree_size);
        match self.publication_runs.get(i) {
            Some(&(start, _)) if start < tree_size => start,
            _ => tree_size,
        }
    }

    /// Distinct approvers a publication needs (`approval` mode): the definition's quorum.
    pub fn quorum(&self) -> usize {
        self.def.definition().publication.quorum.max(1) as usize
    }

    /// The names of the approvers' keys, in the order of the definition.
    pub fn approver_names(&self) -> Vec<&str> {
        self.keys
            .entries()
            .iter()
            .filter(|e| e.role == Role::Approver)
            .map(|e| e.key.name())
            .collect()
    }

    /// The content sizes beyond the last publication that have approvals but no quorum yet,
    /// smallest first (`approval` mode; none under `automatic`, which needs no approval).
    pub fn pending_approvals(&self) -> Vec<PendingApproval> {
        if self.def.definition().publication.mode != crate::PublicationMode::Approval {
            return Vec::new();
        }
        let published = self.publications.last().map(|p| p.tree_size);
        self.approvals
            .iter()
            .filter(|(&size, set)| published.is_none_or(|p| size > p) && !set.is_empty())
            .map(|(&tree_size, set)| {
                let (approved_by, waiting_for) = self
                    .keys
                    .entries()
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.role == Role::Approver)
                    .map(|(i, e)| (set.contains(&i), e.key.name().to_string()))
                    .partition::<Vec<_>, _>(|(approved, _)| *approved);
                PendingApproval {
                    tree_size,
                    approved_by: approved_by.into_iter().map(|(_, n)| n).collect(),
                    waiting_for: waiting_for.into_iter().map(|(_, n)| n).collect(),
                }
            })
            .collect()
    }

    /// Verifies and admits in one step (replay, verifier, tests). `root_at` gives the log's root
    /// hash at a size up to the current one, to check publication statements.
    pub fn check(
        &self,
        bytes: &[u8],
        root_at: &dyn Fn(u64) -> Option<[u8; 32]>,
    ) -> Result<Admitted, Rejection> {
        let v = verify_note(&self.keys, self.election(), bytes)?;
        self.admit(v, root_at)
    }

    /// The order-dependent checks of design §4.3. Does not change the state.
    pub fn admit(
        &self,
        v: VerifiedNote,
        root_at: &dyn Fn(u64) -> Option<[u8; 32]>,
    ) -> Result<Admitted, Rejection> {
        match &v.statement {
            Statement::Election(_) => Err(Rejection::new(
                RejectCode::NotAllowed,
                "an election statement may only be entry 0 of a log",
            )),
            Statement::DefinitionPart(_) => Err(Rejection::new(
                RejectCode::NotAllowed,
                "a definition part may only follow entry 0, as many as entry 0 announces",
            )),
            Statement::Results(r) => {
                let (unit, issues) = self.admit_results(&v.signers, r)?;
                Ok(Admitted {
                    verified: v,
                    unit: Some(unit),
                    issues,
                })
            }
            Statement::Cvr(c) => {
                let unit = self.admit_cvr(&v.signers, c)?;
                Ok(Admitted {
                    verified: v,
                    unit: Some(unit),
                    issues: vec![],
                })
            }
            Statement::Publication(p) => {
                self.admit_publication(&v.signers, p, root_at)?;
                Ok(Admitted {
                    verified: v,
                    unit: None,
                    issues: vec![],
                })
            }
            Statement::Key(k) => {
                self.admit_key(&v.signers, &k.change)?;
                Ok(Admitted {
                    verified: v,
                    unit: None,
                    issues: vec![],
                })
            }
            Statement::Status(st) => {
                let unit = self.admit_status(&v.signers, st)?;
                Ok(Admitted {
                    verified: v,
                    unit,
                    issues: vec![],
                })
            }
            Statement::Review(rv) => {
                let unit = self.admit_review(&v.signers, rv)?;
                Ok(Admitted {
                    verified: v,
                    unit,
                    issues: vec![],
                })
            }
        }
    }

    /// A review is the officials' word on a held submission: the authority's root key or an
    /// approver signs it, with a reason. A release's note is checked as a submission of its
    /// own (its reporter's signature and scope, its contests and counts, a version above the
    /// unit's last); only its plausibility issues, which are why it was held, are let pass.
    fn admit_review(
        &self,
        signers: &[usize],
        rv: &crate::ReviewStatement,
    ) -> Result<Option<usize>, Rejection> {
        self.officials_only(signers, "a review of a held submission")?;
        check_time("signed_at", &rv.signed_at)?;
        if rv.reason.trim().is_empty() {
            return Err(Rejection::at(
                RejectCode::MalformedStatement,
                "reason",
                "a review says why: give a reason",
            ));
        }
        if !is_hex_sha256(&rv.held) {
            return Err(Rejection::at(
                RejectCode::MalformedStatement,
                "held",
                "not a lowercase hex SHA-256 of the held note",
            ));
        }
        if let Some(&(decision, index)) = self.reviews.get(&rv.held) {
            return Err(Rejection::at(
                RejectCode::NotAllowed,
                "held",
                format!(
                    "this held submission was already {} by entry {index}; a decision is final",
                    match decision {
                        crate::ReviewDecision::Release => "released",
                        crate::ReviewDecision::Reject => "rejected",
                    }
                ),
            ));
        }
        let Some(note) = &rv.note else {
            return Ok(None);
        };
        if crate::hex_sha256(note.as_bytes()) != rv.held {
            return Err(Rejection::at(
                RejectCode::MalformedStatement,
                "held",
                "the digest does not match the released note",
            ));
        }
        let inner = verify_note(&self.keys, self.election(), note.as_bytes())
            .map_err(|e| in_released_note(e, "the released note"))?;
        let Statement::Results(r) = &inner.statement else {
            return Err(Rejection::at(
                RejectCode::MalformedStatement,
                "note",
                "only results statements are held, so only they can be released",
            ));
        };
        let (unit, _issues) = self.admit_results(&inner.signers, r).map_err(|e| {
            let superseded = matches!(
                e.code,
                RejectCode::StaleVersion | RejectCode::DuplicateVersion
            );
            let what = if superseded {
                "the held submission was overtaken"
            } else {
                "the released note"
            };
            in_released_note(e, what)
        })?;
        Ok(Some(unit))
    }

    /// Where the held note with SHA-256 `held` (hex), carrying results statement `r`, stands.
    pub fn held_state(&self, held: &str, r: &ResultsStatement) -> HeldState {
        if let Some(&(decision, index)) = self.reviews.get(held) {
            return HeldState::Decided(decision, index);
        }
        match self
            .def
            .unit_index(&r.unit)
            .and_then(|u| self.last_version(u))
        {
            Some(v) if v >= r.version => HeldState::Superseded {
                accepted_version: v,
            },
            _ => HeldState::Waiting,
        }
    }

    /// The result type in force for a scope (contest, unit; `None` = all), as last stated.
    pub fn result_type(&self, contest: Option<usize>, unit: Option<usize>) -> Option<ResultType> {
        self.result_types.get(&(contest, unit)).copied()
    }

    /// A status is the officials' word: the authority's root key or an approver signs it. Its
    /// contest and unit exist, the unit is in the contest's area (at or below one of its
    /// roots), and a step back from `certified` says why.
    fn admit_status(
        &self,
        signers: &[usize],
        st: &StatusStatement,
    ) -> Result<Option<usize>, Rejection> {
        self.officials_only(signers, "a result type")?;
        check_time("signed_at", &st.signed_at)?;
        let def = &self.def;
        let contest = match &st.contest {
            None => None,
            Some(c) => Some(def.contest_index(c).ok_or_else(|| {
                Rejection::at(
                    RejectCode::UnknownContest,
                    "contest",
                    format!("contest {c:?} is not in this election"),
                )
            })?),
        };
        let unit = match &st.unit {
            None => None,
            Some(u) => Some(def.unit_index(u).ok_or_else(|| {
                Rejection::at(
                    RejectCode::UnknownUnit,
                    "unit",
                    format!("unit {u:?} is not in this election"),
                )
            })?),
        };
        if let (Some(ci), Some(u)) = (contest, unit) {
            if !def.contest_area(ci).iter().any(|&a| def.is_within(u, a)) {
                return Err(Rejection::at(
                    RejectCode::ContestNotInUnit,
                    "unit",
                    format!(
                        "contest {:?} is not held in unit {:?}",
                        st.contest.as_deref().unwrap_or_default(),
                        st.unit.as_deref().unwrap_or_default()
                    ),
                ));
            }
        }
        let stepping_back = self.result_type(contest, unit) == Some(ResultType::Certified)
            && st.result_type != ResultType::Certified;
        let reason_given = st.reason.as_deref().is_some_and(|r| !r.trim().is_empty());
        if stepping_back && !reason_given {
            return Err(Rejection::at(
                RejectCode::MalformedStatement,
                "reason",
                format!(
                    "the result is certified; making it {} again needs a reason",
                    st.result_type.as_str()
                ),
            ));
        }
        Ok(unit)
    }

    /// When `v` is a retry of the results statement last accepted for its unit, the log index
    /// of that entry; `None` otherwise (then [`Ledger::admit`] decides as for anything new).
    ///
    /// A retry is the same unit and version, signed by a key that signed the accepted entry and
    /// may still report the unit, whose content equals the accepted one in everything but
    /// `submitted_at` (a client stamps the time on each run, so a resent file differs there
    /// alone). Different counts under the same version stay a refusal (`duplicate_version`).
    /// `entry` gives the bytes of a log entry. This decides no acceptance: nothing is appended
    /// for a retry, so the log and its verification are as if it never came.
    pub fn retry_of(
        &self,
        v: &VerifiedNote,
        entry: &dyn Fn(u64) -> Option<Vec<u8>>,
    ) -> Option<u64> {
        let Statement::Results(r) = &v.statement else {
            return None;
        };
        let unit = self.def.unit_index(&r.unit)?;
        let &(version, index) = self.last_version.get(&unit)?;
        if version != r.version || self.authorise(&v.signers, unit, &r.unit).is_err() {
            return None;
        }
        let original = verify_note(&self.keys, self.election(), &entry(index)?).ok()?;
        if !v.signers.iter().any(|s| original.signers.contains(s)) {
            return None;
        }
        let Statement::Results(mut o) = original.statement else {
            return None;
        };
        o.submitted_at.clone_from(&r.submitted_at);
        (o == *r).then_some(index)
    }

    /// The officials' statements (result types, reviews) are signed by a live key of the
    /// authority or of an approver; `what` names the statement in the refusal.
    fn officials_only(&self, signers: &[usize], what: &str) -> Result<(), Rejection> {
        if self
            .live_signers(signers)
            .any(|(_, e)| matches!(e.role, Role::Authority | Role::Approver))
        {
            return Ok(());
        }
        Err(Rejection::new(
            RejectCode::KeyNotAuthorised,
            format!("{what} must be signed by the election authority's root key or an approver"),
        ))
    }

    fn live_signers<'a>(
        &'a self,
        signers: &'a [usize],
    ) -> impl Iterator<Item = (usize, &'a KeyEntry)> + 'a {
        signers
            .iter()
            .filter_map(|&i| self.keys.get(i).map(|e| (i, e)))
            .filter(|(_, e)| e.revoked_at.is_none())
    }

    /// A live reporter key whose scope holds `unit` signed the statement.
    fn authorise(&self, signers: &[usize], unit: usize, unit_id: &str) -> Result<(), Rejection> {
        let def = &self.def;
        let authorised = self.live_signers(signers).any(|(_, e)| match &e.role {
            Role::Reporter { scope, .. } => scope.iter().any(|&s| def.is_within(unit, s)),
            _ => false,
        });
        if !authorised {
            let revoked = signers
                .iter()
                .filter_map(|&i| self.keys.get(i))
                .any(|e| e.revoked_at.is_some());
            let who: Vec<String> = signers
                .iter()
                .filter_map(|&i| self.keys.get(i))
                .map(|e| e.key.name().to_string())
                .collect();
            return Err(if revoked {
                Rejection::at(
                    RejectCode::KeyRevoked,
                    "unit",
                    format!(
                        "the key of {} was revoked by the election authority",
                        who.join(", ")
                    ),
                )
            } else {
                Rejection::at(
                    RejectCode::KeyNotAuthorised,
                    "unit",
                    format!(
                        "{} may not report unit {:?}: it is outside the key's scope",
                        who.join(", "),
                        unit_id
                    ),
                )
            });
        }
        Ok(())
    }

    fn admit_results(
        &self,
        signers: &[usize],
        r: &ResultsStatement,
    ) -> Result<(usize, Vec<PlausibilityIssue>), Rejection> {
        let def = &self.def;
        let unit = def.unit_index(&r.unit).ok_or_else(|| {
            Rejection::at(
                RejectCode::UnknownUnit,
                "unit",
                format!("unit {:?} is not in this election", r.unit),
            )
        })?;
        self.authorise(signers, unit, &r.unit)?;
        let mut seen = BTreeSet::new();
        let mut contest_indexes = Vec::with_capacity(r.contests.len());
        for (i, c) in r.contests.iter().enumerate() {
            let ci = def.contest_index(&c.contest).ok_or_else(|| {
                Rejection::at(
                    RejectCode::UnknownContest,
                    format!("contests[{i}].contest"),
                    format!("contest {:?} is not in this election", c.contest),
                )
            })?;
            contest_indexes.push(ci);
            if def.contests()[ci].kind == ContestKind::RankedChoice {
                return Err(Rejection::at(
                    RejectCode::WrongContestKind,
                    format!("contests[{i}].contest"),
                    format!(
                        "contest {:?} is ranked-choice: its ballots come as `cvr` statements, not summed counts",
                        c.contest
                    ),
                ));
            }
            if !seen.insert(ci) {
                return Err(Rejection::at(
                    RejectCode::MalformedStatement,
                    format!("contests[{i}].contest"),
                    format!("contest {:?} appears twice", c.contest),
                ));
            }
            if !def.contest_held_in(ci, unit) {
                return Err(Rejection::at(
                    RejectCode::ContestNotInUnit,
                    format!("contests[{i}].contest"),
                    format!("contest {:?} is not held in unit {:?}", c.contest, r.unit),
                ));
            }
            for sel in c.selections.keys() {
                if def.selection_index(ci, sel).is_none() {
                    let known: Vec<&str> = def.contests()[ci]
                        .selections
                        .iter()
                        .map(|s| s.id.as_str())
                        .collect();
                    return Err(Rejection::at(
                        RejectCode::UnknownSelection,
                        format!("contests[{i}].selections.{sel}"),
                        format!(
                            "contest {:?} has no selection {sel:?} (it has: {})",
                            c.contest,
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
        r.check_counts()?;
        check_time("submitted_at", &r.submitted_at)?;
        let last = self.last_version(unit);
        if r.version == 0 || last.is_none_or(|l| r.version > l) {
            check_version(r.version, last)?;
        }
        if let Some(last) = &last {
            if r.version < *last {
                return Err(Rejection::at(
                    RejectCode::StaleVersion,
                    "version",
                    format!(
                        "version {} is older than version {last} already accepted for unit {:?}",
                        r.version, r.unit
                    ),
                ));
            }
            if r.version == *last {
                return Err(Rejection::at(
                    RejectCode::DuplicateVersion,
                    "version",
                    format!("version {} of unit {:?} was already accepted with other content; a correction needs a new version", r.version, r.unit),
                ));
            }
        }
        let registered = def.units()[unit].registered;
        let mut issues = Vec::new();
        for (i, (c, &ci)) in r.contests.iter().zip(&contest_indexes).enumerate() {
            let votes_allowed = def.contests()[ci].votes_allowed;
            plausibility(i, c, votes_allowed, registered, &mut issues);
        }
        Ok((unit, issues))
    }

    /// The checks of a `cvr` batch, in order: unit, key, contest (exists, ranked-choice, held
    /// in the unit), version and batch numbering, ballots (counts, ids, ranks), then the series
    /// it joins or starts (stale, mismatched, duplicate batch, ballot total).
    fn admit_cvr(&self, signers: &[usize], c: &CvrStatement) -> Result<usize, Rejection> {
        let def = &self.def;
        let unit = def.unit_index(&c.unit).ok_or_else(|| {
            Rejection::at(
                RejectCode::UnknownUnit,
                "unit",
                format!("unit {:?} is not in this election", c.unit),
            )
        })?;
        self.authorise(signers, unit, &c.unit)?;
        let ci = def.contest_index(&c.contest).ok_or_else(|| {
            Rejection::at(
                RejectCode::UnknownContest,
                "contest",
                format!("contest {:?} is not in this election", c.contest),
            )
        })?;
        let contest = &def.contests()[ci];
        if contest.kind != ContestKind::RankedChoice {
            return Err(Rejection::at(
                RejectCode::WrongContestKind,
                "contest",
                format!(
                    "contest {:?} is {}, not ranked_choice: it takes results statements",
                    c.contest,
                    contest.kind.as_str()
                ),
            ));
        }
        if !def.contest_held_in(ci, unit) {
            return Err(Rejection::at(
                RejectCode::ContestNotInUnit,
                "contest",
                format!("contest {:?} is not held in unit {:?}", c.contest, c.unit),
            ));
        }
        check_time("submitted_at", &c.submitted_at)?;
        let last = self.cvr_series.get(&(unit, ci)).map(|s| s.version);
        if c.version == 0 || last.is_none_or(|l| c.version > l) {
            check_version(c.version, last)?;
        }
        if !is_hex_sha256(&c.source.sha256) {
            return Err(Rejection::at(
                RejectCode::MalformedStatement,
                "source.sha256",
                "not a lowercase hex SHA-256",
            ));
        }
        if c.batches == 0 || c.batches > MAX_CVR_BATCHES {
            return Err(Rejection::at(
                RejectCode::BadBatch,
                "batches",
                format!(
                    "a file is cut into 1 to {MAX_CVR_BATCHES} batches, not {}",
                    c.batches
                ),
            ));
        }
        if c.batch == 0 || c.batch > c.batches {
            return Err(Rejection::at(
                RejectCode::BadBatch,
                "batch",
                format!("batch {} is not between 1 and {}", c.batch, c.batches),
            ));
        }
        if c.file_ballots > crate::MAX_COUNT {
            return Err(Rejection::at(
                RejectCode::CountOutOfRange,
                "file_ballots",
                format!("{} is larger than {}", c.file_ballots, crate::MAX_COUNT),
            ));
        }
        let max_rank = contest
            .tabulation
            .as_ref()
            .and_then(|r| r.max_rankings)
            .unwrap_or(skytale_rcv::ballots::MAX_RANK);
        let mut batch_ballots: u64 = 0;
        for (k, p) in c.ballots.iter().enumerate() {
            if p.count == 0 || p.count > crate::MAX_COUNT {
                return Err(Rejection::at(
                    RejectCode::CountOutOfRange,
                    format!("ballots[{k}][0]"),
                    format!(
                        "a ballot's count is 1 to {}, not {}",
                        crate::MAX_COUNT,
                        p.count
                    ),
                ));
            }
            batch_ballots = batch_ballots.saturating_add(p.count);
            if p.max_rank() > max_rank {
                return Err(Rejection::at(
                    RejectCode::RankOutOfRange,
                    format!("ballots[{k}][{}]", p.max_rank()),
                    format!(
                        "the ballot ranks {} candidates deep; contest {:?} allows {max_rank}",
                        p.max_rank(),
                        c.contest
                    ),
                ));
            }
            for (rank, token) in p.marks() {
                if token != OVERVOTE_MARKER && def.selection_index(ci, token).is_none() {
                    return Err(Rejection::at(
                        RejectCode::UnknownSelection,
                        format!("ballots[{k}][{rank}]"),
                        format!(
                            "contest {:?} has no candidate {token:?} (ranks name selection ids, several joined by '+', or {OVERVOTE_MARKER:?})",
                            c.contest
                        ),
                    ));
                }
            }
        }
        match self.cvr_series.get(&(unit, ci)) {
            Some(s) if c.version < s.version => Err(Rejection::at(
                RejectCode::StaleVersion,
                "version",
                format!(
                    "version {} is older than version {} already accepted for contest {:?} in unit {:?}",
                    c.version, s.version, c.contest, c.unit
                ),
            )),
            Some(s) if c.version == s.version => {
                let differs = [
                    ("source.sha256", s.sha256 != c.source.sha256),
                    ("source.format", s.format != c.source.format),
                    ("batches", s.batches != c.batches),
                    ("file_ballots", s.file_ballots != c.file_ballots),
                ];
                if let Some((field, _)) = differs.iter().find(|(_, d)| *d) {
                    return Err(Rejection::at(
                        RejectCode::SeriesMismatch,
                        *field,
                        format!(
                            "version {} of contest {:?} in unit {:?} is already the file {} ({}, {} batches, {} ballots); a different file needs a new version",
                            c.version, c.contest, c.unit, s.sha256, s.format, s.batches, s.file_ballots
                        ),
                    ));
                }
                if s.received.contains(&c.batch) {
                    return Err(Rejection::at(
                        RejectCode::DuplicateBatch,
                        "batch",
                        format!(
                            "batch {} of {} of this file was already accepted",
                            c.batch, c.batches
                        ),
                    ));
                }
                let completes = s.received.len() as u64 + 1 == u64::from(c.batches);
                check_ballot_total(c, s.ballots.saturating_add(batch_ballots), completes)
            }
            _ => check_ballot_total(c, batch_ballots, c.batches == 1),
        }?;
        Ok(unit)
    }

    fn admit_publication(
        &self,
        signers: &[usize],
        p: &PublicationStatement,
        root_at: &dyn Fn(u64) -> Option<[u8; 32]>,
    ) -> Result<(), Rejection> {
        if !self
            .live_signers(signers)
            .any(|(_, e)| e.role == Role::Approver)
        {
            return Err(Rejection::new(
                RejectCode::KeyNotAuthorised,
                "a publication must be signed by an approver named in the election's publication policy",
            ));
        }
        check_time("signed_at", &p.signed_at)?;
        if p.tree_size < self.genesis_size || p.tree_size > self.size {
            return Err(Rejection::at(
                RejectCode::BadPublication,
                "tree_size",
                format!(
                    "tree size {} is not between {} (the end of the definition) and the log's size {}",
                    p.tree_size, self.genesis_size, self.size
                ),
            ));
        }
        let root = crate::decode_hash(&p.root_hash).ok_or_else(|| {
            Rejection::at(
                RejectCode::MalformedStatement,
                "root_hash",
                "not the base64 of 32 bytes",
            )
        })?;
        if root_at(p.tree_size) != Some(root) {
            return Err(Rejection::at(
                RejectCode::BadPublication,
                "root_hash",
                format!(
                    "the log's root at size {} is not {}",
                    p.tree_size, p.root_hash
                ),
            ));
        }
        let content = self.content_size_at(p.tree_size);
        if self.counts_for(content) {
            let content_root = if content == p.tree_size {
                Some(root)
            } else {
                root_at(content)
            };
            if let Some(r) = content_root {
                self.content_roots.learn(content, r);
            }
        }
        Ok(())
    }

    /// Whether approvals for content size `size` may still make a publication: `approval`
    /// mode, and larger than the last publication.
    fn counts_for(&self, size: u64) -> bool {
        self.def.definition().publication.mode == crate::PublicationMode::Approval
            && self
                .publications
                .last()
                .is_none_or(|last| size > last.tree_size)
    }

    fn admit_key(&self, signers: &[usize], change: &KeyChange) -> Result<(), Rejection> {
        if !self
            .live_signers(signers)
            .any(|(_, e)| e.role == Role::Authority)
        {
            return Err(Rejection::new(
                RejectCode::KeyNotAuthorised,
                "key changes must be signed by the election authority's root key",
            ));
        }
        match change {
            KeyChange::Add { name, key, scope } => {
                if name.trim().is_empty() {
                    return Err(Rejection::at(
                        RejectCode::MalformedStatement,
                        "name",
                        "is empty",
                    ));
                }
                if self.keys.find(key).is_some() {
                    return Err(Rejection::at(
                        RejectCode::NotAllowed,
                        "key",
                        "this key is already known to the election",
                    ));
                }
                if scope.is_empty() {
                    return Err(Rejection::at(
                        RejectCode::MalformedStatement,
                        "scope",
                        "names no unit",
                    ));
                }
                for (j, s) in scope.iter().enumerate() {
                    if check_id(s).is_err() || self.def.unit_index(s).is_none() {
                        return Err(Rejection::at(
                            RejectCode::UnknownUnit,
                            format!("scope[{j}]"),
                            format!("unit {s:?} is not in this election"),
                        ));
                    }
                }
            }
            KeyChange::Revoke { key } => match self.keys.find(key) {
                None => {
                    return Err(Rejection::at(
                        RejectCode::UnknownKey,
                        "key",
                        "this key is not known to the election",
                    ))
                }
                Some(i) => {
                    let e = &self.keys.entries[i];
                    if !matches!(e.role, Role::Reporter { .. }) {
                        return Err(Rejection::at(
                            RejectCode::NotAllowed,
                            "key",
                            "only reporting keys can be revoked",
                        ));
                    }
                    if e.revoked_at.is_some() {
                        return Err(Rejection::at(
                            RejectCode::NotAllowed,
                            "key",
                            "this key is already revoked",
                        ));
                    }
                }
            },
        }
        Ok(())
    }

    /// Records the publication of content size `size`, completed by approval `p` at log index
    /// `index`, and forgets what can no longer be published.
    fn publish(&mut self, size: u64, p: &PublicationStatement, index: u64) {
        let approvers = self
            .approvals
            .get(&size)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.keys.get(i))
            .map(|e| e.key.name().to_string())
            .collect();
        // Admission looked the root up (and checked the statement's own root when it names
        // this size); re-encoding gives every reader the one canonical spelling.
        let root = self.content_roots.get(size).or_else(|| {
            (p.tree_size == size)
                .then(|| crate::decode_hash(&p.root_hash))
                .flatten()
        });
        debug_assert!(
            root.is_some(),
            "commit() of an approval this ledger did not admit"
        );
        self.publications.push(Publication {
            tree_size: size,
            root_hash: root.map(|r| crate::encode_hash(&r)).unwrap_or_default(),
            published_at: p.signed_at.clone(),
            index,
            approvers,
        });
        self.approvals = self.approvals.split_off(&(size + 1));
        self.content_roots.forget_through(size);
    }

    /// Applies an admitted statement as log entry number `self.size()`.
    /// [`Ledger::commit`] of a results or CVR statement, noting in `undo` what it changed so
    /// that [`Ledger::undo_to`] puts it back. Batches are checked in order on the ledger itself
    /// this way: a national election's ledger holds a version per polling station, and copying
    /// it for every batch cost more than checking the batch. Returns false, changing nothing,
    /// for any other statement (they never come in batches).
    pub fn commit_undoable(&mut self, a: &Admitted, undo: &mut Undo) -> bool {
        let change = match &a.verified.statement {
            Statement::Results(_) => match a.unit {
                Some(u) => UndoChange::Version(u, self.last_version.get(&u).copied()),
                None => UndoChange::Nothing,
            },
            Statement::Cvr(c) => match (a.unit, self.def.contest_index(&c.contest)) {
                (Some(u), Some(ci)) => {
                    UndoChange::Series((u, ci), self.cvr_series.get(&(u, ci)).cloned())
                }
                _ => UndoChange::Nothing,
            },
            _ => return false,
        };
        undo.steps.push(UndoStep {
            size: self.size,
            latest_time: self.latest_time.clone(),
            change,
        });
        self.commit(a);
        true
    }

    /// Puts back what the [`Ledger::commit_undoable`] calls noted in `undo` after `mark` (an
    /// earlier [`Undo::mark`]) changed, newest first.
    pub fn undo_to(&mut self, undo: &mut Undo, mark: usize) {
        while undo.steps.len() > mark {
            let Some(step) = undo.steps.pop() else { break };
            match step.change {
                UndoChange::Version(u, Some(v)) => {
                    self.last_version.insert(u, v);
                }
                UndoChange::Version(u, None) => {
                    self.last_version.remove(&u);
                }
                UndoChange::Series(k, Some(s)) => {
                    self.cvr_series.insert(k, s);
                }
                UndoChange::Series(k, None) => {
                    self.cvr_series.remove(&k);
                }
                UndoChange::Nothing => {}
            }
            self.size = step.size;
            self.latest_time = step.latest_time;
        }
    }

    /// Puts back everything `undo` noted.
    pub fn undo(&mut self, mut undo: Undo) {
        self.undo_to(&mut undo, 0);
    }

    pub fn commit(&mut self, a: &Admitted) {
        let index = self.size;
        self.size += 1;
        match &a.verified.statement {
            Statement::Results(r) => {
                if let Some(u) = a.unit {
                    self.last_version.insert(u, (r.version, index));
                }
                self.latest_time = Some(r.submitted_at.clone());
            }
            Statement::Review(rv) => {
                self.reviews.insert(rv.held.clone(), (rv.decision, index));
                if let (Some(u), Some(r)) = (a.unit, rv.released()) {
                    self.last_version.insert(u, (r.version, index));
                    self.latest_time = Some(r.submitted_at.clone());
                }
            }
            Statement::Cvr(c) => {
                if let (Some(u), Some(ci)) = (a.unit, self.def.contest_index(&c.contest)) {
                    let series = self.cvr_series.entry((u, ci)).or_default();
                    if series.version != c.version {
                        *series = CvrSeries {
                            version: c.version,
                            sha256: c.source.sha256.clone(),
                            format: c.source.format.clone(),
                            batches: c.batches,
                            file_ballots: c.file_ballots,
                            received: BTreeSet::new(),
                            ballots: 0,
                        };
                    }
                    series.received.insert(c.batch);
                    series.ballots += c.ballots.iter().map(|p| p.count).sum::<u64>();
                }
                self.latest_time = Some(c.submitted_at.clone());
            }
            Statement::Publication(p) => {
                match self.publication_runs.last_mut() {
                    Some((_, end)) if *end == index => *end += 1,
                    _ => self.publication_runs.push((index, index + 1)),
                }
                let content = self.content_size_at(p.tree_size);
                if self.counts_for(content) {
                    let quorum = self.quorum();
                    let approvers: Vec<usize> = self
                        .live_signers(&a.verified.signers)
                        .filter(|(_, e)| e.role == Role::Approver)
                        .map(|(i, _)| i)
                        .collect();
                    let set = self.approvals.entry(content).or_default();
                    set.extend(approvers);
                    if set.len() >= quorum {
                        self.publish(content, p, index);
                    }
                }
                self.latest_time = Some(p.signed_at.clone());
            }
            Statement::Key(k) => {
                let keys = Arc::make_mut(&mut self.keys);
                match &k.change {
                    KeyChange::Add { name, key, scope } => {
                        let scope = scope
                            .iter()
                            .filter_map(|s| self.def.unit_index(s))
                            .collect();
                        keys.push(
                            key.clone(),
                            Role::Reporter {
                                name: name.clone(),
                                scope,
                            },
                        );
                    }
                    KeyChange::Revoke { key } => {
                        if let Some(i) = keys.find(key) {
                            keys.entries[i].revoked_at = Some(index);
                        }
                    }
                }
            }
            Statement::Status(st) => {
                let contest = st
                    .contest
                    .as_deref()
                    .and_then(|c| self.def.contest_index(c));
                self.result_types.insert((contest, a.unit), st.result_type);
                self.latest_time = Some(st.signed_at.clone());
            }
            Statement::Election(_) | Statement::DefinitionPart(_) => {}
        }
    }
}

/// The ballots of a series so far stay within its announced total, and meet it exactly once
/// the last batch arrives.
fn check_ballot_total(c: &CvrStatement, sum: u64, completes: bool) -> Result<(), Rejection> {
    if sum > c.file_ballots || (completes && sum != c.file_ballots) {
        return Err(Rejection::at(
            RejectCode::InconsistentCounts,
            "file_ballots",
            format!(
                "the batches of this file carry {sum} ballots{}, but it announces {}",
                if completes { " in all" } else { " so far" },
                c.file_ballots
            ),
        ));
    }
    Ok(())
}

/// What [`Ledger::commit_undoable`] changed, for [`Ledger::undo_to`].
#[derive(Debug, Default)]
pub struct Undo {
    steps: Vec<UndoStep>,
}

impl Undo {
    /// A point to undo back to.
    pub fn mark(&self) -> usize {
        self.steps.len()
    }
}

/// One commit's worth of undo: the ledger's size and latest time before it, and the entry it
/// replaced.
#[derive(Debug)]
struct UndoStep {
    size: u64,
    latest_time: Option<String>,
    change: UndoChange,
}

#[derive(Debug)]
enum UndoChange {
    Version(usize, Option<(u64, u64)>),
    Series((usize, usize), Option<CvrSeries>),
    Nothing,
}

/// What the ledger remembers of the latest CVR series of one contest in one unit.
#[derive(Clone, Debug, Default)]
struct CvrSeries {
    version: u64,
    sha256: String,
    format: String,
    batches: u32,
    file_ballots: u64,
    received: BTreeSet<u32>,
    ballots: u64,
}

/// The plausibility issues that would hold `r` for review (more votes than ballots, more
/// ballots than registered voters…), for a preview before signing. Contests and units the
/// definition lacks are left out here: the ledger refuses them.
pub fn plausibility_issues(def: &ValidDefinition, r: &ResultsStatement) -> Vec<PlausibilityIssue> {
    let mut issues = Vec::new();
    let Some(unit) = def.unit_index(&r.unit) else {
        return issues;
    };
    let registered = def.units()[unit].registered;
    for (i, c) in r.contests.iter().enumerate() {
        if let Some(ci) = def.contest_index(&c.contest) {
            plausibility(
                i,
                c,
                def.contests()[ci].votes_allowed,
                registered,
                &mut issues,
            );
        }
    }
    issues
}

fn plausibility(
    i: usize,
    c: &ContestReport,
    votes_allowed: u32,
    registered: Option<u64>,
    issues: &mut Vec<PlausibilityIssue>,
) {
    let base = format!("contests[{i}]");
    let votes: u64 = c
        .selections
        .values()
        .map(ContestReport::selection_total)
        .sum();
    if let Some(b) = c.ballots {
        let b = b.get();
        let max = b.saturating_mul(u64::from(votes_allowed));
        if votes > max {
            issues.push(PlausibilityIssue {
                field: format!("{base}.selections"),
                why: format!("{votes} votes exceed {b} ballots × {votes_allowed} vote(s) allowed"),
            });
        }
        let other: u64 = [c.blank, c.invalid].iter().flatten().map(|x| x.get()).sum();
        if other > b {
            issues.push(PlausibilityIssue {
                field: format!("{base}.ballots"),
                why: format!("blank and invalid ballots ({other}) exceed ballots cast ({b})"),
            });
        }
        if let Some(reg) = registered {
            if b > reg {
                issues.push(PlausibilityIssue {
                    field: format!("{base}.ballots"),
                    why: format!("{b} ballots exceed the unit's {reg} registered voters"),
                });
            }
        }
    } else if let Some(reg) = registered {
        if votes > reg.saturating_mul(u64::from(votes_allowed)) {
            issues.push(PlausibilityIssue {
                field: format!("{base}.selections"),
                why: format!("{votes} votes exceed the unit's {reg} registered voters"),
            });
        }
    }
}
