//! Step 3 and the tally half of step 4: replaying the log through the server's own acceptance
//! rules ([`skytale_model::Ledger`]) and folding the published tally, incrementally.
//!
//! Signatures are the expensive part, so they are checked in parallel (rayon) in chunks, each
//! against the key ring in force at the start of the chunk; admission is then sequential, in
//! log order, exactly as the server does it. A `key` statement changes the ring, so the chunk
//! is cut right after it and the next chunk is verified against the new ring: a statement is
//! never checked against a key that was added after it, and revocations are enforced by
//! [`Ledger::admit`] at the statement's own position.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use rayon::prelude::*;
use skytale_model::{
    verify_note, Admitted, DefinitionPart, Ledger, Rejection, Statement, VerifiedNote,
};
use skytale_note::{Note, VerifierKey};
use skytale_render::PublicationRecord;
use skytale_tally::{LogPosition, SelectionTotals, Tally};
use skytale_tlog::Tree;

use crate::report::{Failure, Step};

/// Entries whose signatures are checked in one parallel batch.
pub const VERIFY_CHUNK: usize = 4096;

/// Counts of what was replayed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReplayStats {
    /// Results statements accepted.
    pub results: u64,
    /// Publication statements accepted.
    pub publications: u64,
    /// Key changes accepted.
    pub keys: u64,
    /// CVR batches (ranked-choice ballots) accepted.
    pub cvr: u64,
    /// Entries the rules refuse (each is a failure).
    pub rejected: u64,
}

/// The verifier's replay state: the ledger at the log's size, and the tally at the latest
/// published size (with snapshots at requested sizes).
pub struct Replayer {
    ledger: Ledger,
    tally: Tally,
    tally_size: u64,
    /// Accepted statements that count (results, cvr) not yet folded into the tally.
    pending: VecDeque<(u64, Statement)>,
    published_times: HashMap<u64, Option<String>>,
    targets: BTreeSet<u64>,
    snapshots: BTreeMap<u64, Tally>,
    /// Contest totals at the publication before the published size (`approval` mode), for
    /// the pages' change column; and the same for each snapshot.
    previous: Option<SelectionTotals>,
    previous_at: BTreeMap<u64, Option<SelectionTotals>>,
    placeholder: Admitted,
    /// What was replayed so far.
    pub stats: ReplayStats,
}

fn describe(r: &Rejection) -> String {
    match &r.field {
        Some(f) => format!("{} (code {}, field {f})", r.message, r.code.as_str()),
        None => format!("{} (code {})", r.message, r.code.as_str()),
    }
}

impl Replayer {
    /// Starts from the head of the log (entry 0, and the definition parts after it when the
    /// definition is large): the authority's signatures (its key must be `authority` when
    /// pinned) and a valid definition. `log` may go on past the head; replay the rest with
    /// [`Replayer::feed`] from `self.ledger().size()`.
    pub fn genesis(log: &[Vec<u8>], authority: Option<&VerifierKey>) -> Result<Replayer, Failure> {
        let ledger = Ledger::genesis(log, authority)
            .map_err(|e| Failure::new("entry0_invalid", "entry 0", e.to_string()))?;
        let def = ledger.definition().clone();
        let tally = Tally::new(def.clone());
        // A rejected entry still occupies its index; committing this no-op statement keeps the
        // ledger's size equal to the log index (a definition part changes nothing else).
        let placeholder = Admitted {
            verified: VerifiedNote {
                note: Note {
                    text: String::new(),
                    signatures: vec![],
                },
                statement: Statement::DefinitionPart(DefinitionPart {
                    election: def.id().to_owned(),
                    part: 0,
                    text: String::new(),
                }),
                signers: vec![],
            },
            unit: None,
            issues: vec![],
        };
        let genesis_size = ledger.genesis_size();
        let mut published_times = HashMap::new();
        let (size, time) = ledger
            .published()
            .map(|(n, t)| (n, t.map(str::to_owned)))
            .unwrap_or((genesis_size, None));
        published_times.insert(size, time);
        Ok(Replayer {
            ledger,
            tally,
            tally_size: genesis_size,
            pending: VecDeque::new(),
            published_times,
            targets: BTreeSet::new(),
            snapshots: BTreeMap::new(),
            previous: None,
            previous_at: BTreeMap::new(),
            placeholder,
            stats: ReplayStats::default(),
        })
    }

    /// The acceptance state.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Asks for a copy of the tally when the published size reaches each of `sizes` (the
    /// sizes the published documents claim). A size equal to the current published size is
    /// copied at once.
    pub fn set_targets(&mut self, sizes: impl IntoIterator<Item = u64>) {
        self.targets = sizes.into_iter().collect();
        self.snapshots.retain(|n, _| self.targets.contains(n));
        self.previous_at.retain(|n, _| self.targets.contains(n));
        if self.targets.contains(&self.tally_size) {
            self.snapshots.insert(self.tally_size, self.tally.clone());
            self.previous_at
                .insert(self.tally_size, self.previous.clone());
        }
    }

    /// The publication history the site shows at published size `n` (see
    /// [`PublicationRecord::history`]), if the tally at `n` is known ([`Replayer::tally_at`]).
    pub fn history_at(&self, n: u64) -> Option<Vec<PublicationRecord>> {
        let previous = if n == self.tally_size {
            self.previous.as_ref()
        } else {
            self.previous_at.get(&n)?.as_ref()
        };
        Some(PublicationRecord::history(
            self.ledger.publications(),
            n,
            previous,
        ))
    }

    /// The tally at published size `n`, if `n` is the current published size or a target
    /// reached since [`Replayer::set_targets`].
    pub fn tally_at(&self, n: u64) -> Option<&Tally> {
        if n == self.tally_size {
            Some(&self.tally)
        } else {
            self.snapshots.get(&n)
        }
    }

    /// The latest published size (what the site must show).
    pub fn published_size(&self) -> u64 {
        self.tally_size
    }

    /// Where a document published at size `n` stands: the size, the verified tree's root there
    /// and the publication time from the log (`None` if the log never published `n`).
    pub fn position_at(&self, n: u64, tree: &Tree) -> Option<LogPosition> {
        Some(LogPosition {
            tree_size: n,
            root_hash: skytale_model::encode_hash(&tree.root_at(n).ok()?),
            published_at: self.published_time(n)?.map(str::to_owned),
        })
    }

    /// The publication time recorded in the log for published size `n`, if the log ever
    /// published that size (outer `None`: it never did).
    pub fn published_time(&self, n: u64) -> Option<Option<&str>> {
        self.published_times.get(&n).map(|t| t.as_deref())
    }

    /// Replays `entries`, which must be log entries `first_index..`, with `tree` holding at
    /// least those leaves (for publication roots). Rule violations go to `step`.
    pub fn feed(
        &mut self,
        first_index: u64,
        entries: &[Vec<u8>],
        tree: &Tree,
        step: &mut Step,
        progress: &dyn Fn(u64),
    ) {
        if first_index != self.ledger.size() {
            step.fail(Failure::new(
                "replay_gap",
                format!("entry {first_index}"),
                format!(
                    "the replay is at entry {} but was given entries from {first_index}",
                    self.ledger.size()
                ),
            ));
            return;
        }
        let election = self.ledger.election().to_owned();
        let mut i = 0;
        while i < entries.len() {
            let end = (i + VERIFY_CHUNK).min(entries.len());
            let keys = self.ledger.keys().clone();
            let verified: Vec<Result<VerifiedNote, Rejection>> = entries[i..end]
                .par_iter()
                .map(|e| verify_note(&keys, &election, e))
                .collect();
            let mut next = end;
            for (j, v) in verified.into_iter().enumerate() {
                let index = first_index + (i + j) as u64;
                let admitted = v.and_then(|v| self.ledger.admit(v, &|n| tree.root_at(n).ok()));
                match admitted {
                    Err(r) => {
                        self.stats.rejected += 1;
                        step.fail(Failure::new(
                            "entry_rejected",
                            format!("entry {index}"),
                            describe(&r),
                        ));
                        let p = self.placeholder.clone();
                        self.ledger.commit(&p);
                        self.advance_published();
                    }
                    Ok(a) => {
                        if !a.issues.is_empty() {
                            let why: Vec<String> = a
                                .issues
                                .iter()
                                .map(|x| format!("{}: {}", x.field, x.why))
                                .collect();
                            step.fail(Failure::new(
                                "entry_implausible",
                                format!("entry {index}"),
                                format!(
                                    "the server must hold this statement for review, not log it: {}",
                                    why.join("; ")
                                ),
                            ));
                        }
                        let is_key = matches!(a.verified.statement, Statement::Key(_));
                        self.commit(a, index);
                        if is_key {
                            // The key ring changed: verify the rest against the new ring.
                            next = i + j + 1;
                            break;
                        }
                    }
                }
            }
            progress((next - i) as u64);
            i = next;
        }
    }

    fn commit(&mut self, a: Admitted, index: u64) {
        self.ledger.commit(&a);
        match a.verified.statement {
            Statement::Results(r) => {
                self.stats.results += 1;
                self.pending.push_back((index, Statement::Results(r)));
            }
            Statement::Cvr(c) => {
                self.stats.cvr += 1;
                self.pending.push_back((index, Statement::Cvr(c)));
            }
            Statement::Publication(_) => self.stats.publications += 1,
            Statement::Key(_) => self.stats.keys += 1,
            Statement::Election(_) | Statement::DefinitionPart(_) => {}
        }
        self.advance_published();
    }

    fn advance_published(&mut self) {
        let Some((n, t)) = self.ledger.published() else {
            return;
        };
        if n <= self.tally_size {
            return;
        }
        self.published_times.insert(n, t.map(str::to_owned));
        // A commit completes at most one publication, so the tally here is at the one before.
        let pubs = self.ledger.publications();
        if pubs
            .binary_search_by_key(&self.tally_size, |p| p.tree_size)
            .is_ok()
        {
            self.previous = Some(self.tally.selection_totals());
        }
        while let Some((idx, _)) = self.pending.front() {
            if *idx >= n {
                break;
            }
            if let Some((_, st)) = self.pending.pop_front() {
                self.tally.apply_statement(&st);
            }
        }
        self.tally_size = n;
        if self.targets.contains(&n) {
            self.snapshots.insert(n, self.tally.clone());
            self.previous_at.insert(n, self.previous.clone());
        }
    }
}
