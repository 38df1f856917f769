//! Statements: the JSON texts of the signed notes that make up an election's log.
//!
//! Every statement names its election, so a note can never be replayed into another log.
//! Counts are decoded as JSON integers and then range-checked with the field path, so a
//! negative or oversized count gets its own error code instead of a generic parse error. A
//! number written with a fraction or an exponent (`100.0`, `1e2`) is refused, and so is a count
//! given twice (a selection twice in a contest, a count type twice in a selection): which of
//! two would win is a guess, and a guess is not a count.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use skytale_note::VerifierKey;

use crate::cvr::CvrStatement;
use crate::definition::Definition;
use crate::error::{RejectCode, Rejection};

/// Largest count accepted for any one number (ten billion: more than any electorate on Earth,
/// and small enough that sums over millions of units cannot overflow a u64).
pub const MAX_COUNT: u64 = 10_000_000_000;
/// Largest number of contests in one results statement.
pub const MAX_CONTESTS_PER_STATEMENT: usize = 10_000;

/// How a results statement's text begins when Skytale writes it (the tag first).
const RESULTS_PREFIX: &str = r#"{"type":"results","#;
/// How a CVR statement's text begins when Skytale writes it.
const CVR_PREFIX: &str = r#"{"type":"cvr","#;

/// A statement of any type, as found in the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Statement {
    /// Entry 0: the election definition (or its digest), signed by the authority's root key.
    Election(Box<ElectionStatement>),
    /// Entries 1..=n when the definition is too large for entry 0: one slice of its JSON text.
    DefinitionPart(DefinitionPart),
    Results(ResultsStatement),
    /// One batch of a ranked-choice contest's cast vote records (see [`crate::cvr`]).
    Cvr(CvrStatement),
    Publication(PublicationStatement),
    Key(KeyStatement),
    /// The officials' result type for an election, a contest or a unit (see [`StatusStatement`]).
    Status(StatusStatement),
    /// An official's decision on a held submission (see [`ReviewStatement`]).
    Review(ReviewStatement),
}

impl Statement {
    /// The election this statement belongs to.
    pub fn election(&self) -> &str {
        match self {
            Statement::Election(s) => &s.election,
            Statement::DefinitionPart(s) => &s.election,
            Statement::Results(s) => &s.election,
            Statement::Cvr(s) => &s.election,
            Statement::Publication(s) => &s.election,
            Statement::Key(s) => &s.election,
            Statement::Status(s) => &s.election,
            Statement::Review(s) => &s.election,
        }
    }

    /// Decodes a statement from a note's text. Errors name the field path.
    pub fn parse(text: &str) -> Result<Statement, Rejection> {
        // Results statements are nearly every entry of a log, and serde decodes an internally
        // tagged enum by buffering the whole object first. Statements as Skytale writes them
        // start with their tag, so decode those straight into the struct; anything else, and
        // every error (for its message), goes the general way, which accepts the same texts.
        if let Some(rest) = text.strip_prefix(RESULTS_PREFIX) {
            let mut body = String::with_capacity(rest.len() + 1);
            body.push('{');
            body.push_str(rest);
            let de = &mut serde_json::Deserializer::from_str(&body);
            if let Ok(r) = ResultsStatement::deserialize(&mut *de) {
                if de.end().is_ok() {
                    r.check_counts()?;
                    return Ok(Statement::Results(r));
                }
            }
        }
        // CVR batches are tens of kilobytes each: the same shortcut spares buffering them.
        if let Some(rest) = text.strip_prefix(CVR_PREFIX) {
            let mut body = String::with_capacity(rest.len() + 1);
            body.push('{');
            body.push_str(rest);
            let de = &mut serde_json::Deserializer::from_str(&body);
            if let Ok(c) = CvrStatement::deserialize(&mut *de) {
                if de.end().is_ok() {
                    return Ok(Statement::Cvr(c));
                }
            }
        }
        Statement::parse_general(text)
    }

    fn parse_general(text: &str) -> Result<Statement, Rejection> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let st: Statement = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
            let path = e.path().to_string();
            let why = e.inner().to_string();
            // Our own messages for a count given twice (see `ByType` and `ContestReport`):
            // serde carries only text, so the code is told by the sentence we wrote.
            let code = if why.starts_with(DUPLICATE_SELECTION) || why.starts_with(DUPLICATE_TYPE) {
                RejectCode::DuplicateCount
            } else {
                RejectCode::MalformedStatement
            };
            Rejection {
                code,
                message: format!("the statement is not valid: {why}"),
                field: (path != ".").then_some(path),
            }
        })?;
        de.end().map_err(|e| {
            Rejection::new(
                RejectCode::MalformedStatement,
                format!("the statement is not valid: text after the JSON object ({e})"),
            )
        })?;
        let mut st = st;
        match &mut st {
            Statement::Results(r) => r.check_counts()?,
            Statement::Review(rv) => rv.read_released()?,
            _ => {}
        }
        Ok(st)
    }

    /// The results this statement puts in the tally: a results statement's own, or the held
    /// submission a review releases. `None` for every other kind.
    pub fn results(&self) -> Option<&ResultsStatement> {
        match self {
            Statement::Results(r) => Some(r),
            Statement::Review(rv) => rv.released(),
            _ => None,
        }
    }

    /// The note text for this statement: compact JSON and a final newline (C2SP notes end in one).
    pub fn to_note_text(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Entry 0. A definition that fits in one log entry is carried whole (`definition`); a larger
/// one (a C2SP tlog-tiles entry holds at most 65,535 bytes, and a national election has hundreds
/// of thousands of polling stations) is carried by the next `definition_parts.count` entries,
/// bound to this one by their SHA-256. Entry 0 then names the authority key itself, so its
/// signature can be checked before the parts are read. See [`crate::genesis`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionStatement {
    pub election: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<Definition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority_key: Option<VerifierKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition_parts: Option<DefinitionParts>,
}

/// How a definition too large for entry 0 is spread over the entries after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefinitionParts {
    /// Number of `definition_part` entries (1..=count follow entry 0 directly).
    pub count: u32,
    /// Length in bytes of the concatenated text.
    pub bytes: u64,
    /// Lowercase hex SHA-256 of the concatenated text (the definition as compact JSON).
    pub sha256: String,
}

/// One slice of a large definition's JSON text (entry `part` of the log).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefinitionPart {
    pub election: String,
    pub part: u32,
    pub text: String,
}

/// Status of a unit's report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    #[default]
    Partial,
    Complete,
    Certified,
}

/// The kinds of count kept apart in the tally (design: election day, early, mail, provisional).
/// `Total` is for sources that do not break counts down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountType {
    ElectionDay,
    Early,
    Mail,
    Provisional,
    Total,
}

impl CountType {
    pub const ALL: [CountType; 5] = [
        CountType::ElectionDay,
        CountType::Early,
        CountType::Mail,
        CountType::Provisional,
        CountType::Total,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            CountType::ElectionDay => "election_day",
            CountType::Early => "early",
            CountType::Mail => "mail",
            CountType::Provisional => "provisional",
            CountType::Total => "total",
        }
    }
}

/// One reporting unit's counts for one or more contests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultsStatement {
    pub election: String,
    pub unit: String,
    /// Per-unit version; strictly increases. A correction is a new version with a `reason`.
    pub version: u64,
    #[serde(default)]
    pub status: ReportStatus,
    /// When the reporter signed it (RFC 3339, the reporter's clock). Used as the publication
    /// time of the tally, which keeps the tally a pure function of the log.
    pub submitted_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The tabulator export this statement was parsed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceFile>,
    pub contests: Vec<ContestReport>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceFile {
    /// `native`, `nist-json`, `nist-xml`, `clarity-xml`, `csv`.
    pub format: String,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// How the decoding error of a selection given twice in one contest begins.
const DUPLICATE_SELECTION: &str = "selection ";
/// How the decoding error of a count type given twice in one selection begins.
const DUPLICATE_TYPE: &str = "count type ";

/// One contest's counts in one unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "ContestReportWire")]
pub struct ContestReport {
    pub contest: String,
    /// Ballots cast in this contest in this unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ballots: Option<Count>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blank: Option<Count>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid: Option<Count>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overvotes: Option<Count>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undervotes: Option<Count>,
    /// Selection id → count type → votes.
    pub selections: BTreeMap<String, ByType>,
}

/// [`ContestReport`] as it is decoded: the selections keep a key given twice, so the error can
/// name the contest as well as the selection (a map decoder would keep the last one silently).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContestReportWire {
    contest: String,
    #[serde(default)]
    ballots: Option<Count>,
    #[serde(default)]
    blank: Option<Count>,
    #[serde(default)]
    invalid: Option<Count>,
    #[serde(default)]
    overvotes: Option<Count>,
    #[serde(default)]
    undervotes: Option<Count>,
    selections: SelectionsWire,
}

/// A contest's selections with the first key given twice, if any.
struct SelectionsWire {
    map: BTreeMap<String, ByType>,
    twice: Option<String>,
}

impl<'de> Deserialize<'de> for SelectionsWire {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SelectionsWire, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SelectionsWire;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object from selection id to counts by type")
            }
            fn visit_map<A: de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<SelectionsWire, A::Error> {
                let mut out = SelectionsWire {
                    map: BTreeMap::new(),
                    twice: None,
                };
                while let Some((k, v)) = m.next_entry::<String, ByType>()? {
                    match out.map.entry(k) {
                        std::collections::btree_map::Entry::Occupied(e) => {
                            out.twice.get_or_insert_with(|| e.key().clone());
                        }
                        std::collections::btree_map::Entry::Vacant(e) => {
                            e.insert(v);
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

impl TryFrom<ContestReportWire> for ContestReport {
    type Error = String;
    fn try_from(w: ContestReportWire) -> Result<ContestReport, String> {
        if let Some(sel) = w.selections.twice {
            return Err(format!(
                "{DUPLICATE_SELECTION}{sel:?} is given twice in contest {:?}; a count given twice is refused, never resolved",
                w.contest
            ));
        }
        Ok(ContestReport {
            contest: w.contest,
            ballots: w.ballots,
            blank: w.blank,
            invalid: w.invalid,
            overvotes: w.overvotes,
            undervotes: w.undervotes,
            selections: w.selections.map,
        })
    }
}

impl ContestReport {
    /// Votes of one selection summed over count types (`total` alone when it is the only type).
    pub fn selection_total(counts: &ByType) -> u64 {
        let parts = Self::parts_total(counts);
        match counts.get(&CountType::Total) {
            Some(t) if counts.len() == 1 => t.get(),
            Some(t) => t.get().max(parts),
            None => parts,
        }
    }
}

impl ContestReport {
    /// Sum of the broken-down count types (everything but `total`).
    pub fn parts_total(counts: &ByType) -> u64 {
        counts
            .iter()
            .filter(|(t, _)| **t != CountType::Total)
            .map(|(_, c)| c.get())
            .sum()
    }
}

impl ResultsStatement {
    /// Range and consistency checks of every count, naming the field.
    pub fn check_counts(&self) -> Result<(), Rejection> {
        if self.contests.len() > MAX_CONTESTS_PER_STATEMENT {
            return Err(Rejection::at(
                RejectCode::MalformedStatement,
                "contests",
                format!("more than {MAX_CONTESTS_PER_STATEMENT} contests in one statement"),
            ));
        }
        for (i, c) in self.contests.iter().enumerate() {
            // Field paths are built only for a count that fails: this runs for every
            // statement the server admits and every row an importer turns into one.
            let base = || format!("contests[{i}]");
            for (name, v) in [
                ("ballots", &c.ballots),
                ("blank", &c.blank),
                ("invalid", &c.invalid),
                ("overvotes", &c.overvotes),
                ("undervotes", &c.undervotes),
            ] {
                if let Some(v) = v {
                    v.check(|| format!("{}.{name}", base()))?;
                }
            }
            for (sel, counts) in &c.selections {
                if counts.is_empty() {
                    return Err(Rejection::at(
                        RejectCode::MalformedStatement,
                        format!("{}.selections.{sel}", base()),
                        "a selection needs at least one count type",
                    ));
                }
                for (t, v) in counts {
                    v.check(|| format!("{}.selections.{sel}.{}", base(), t.as_str()))?;
                }
                if let Some(total) = counts.get(&CountType::Total) {
                    if counts.len() > 1 {
                        let parts = ContestReport::parts_total(counts);
                        if parts != total.get() {
                            return Err(Rejection::at(
                                RejectCode::InconsistentCounts,
                                format!("{}.selections.{sel}.total", base()),
                                format!(
                                    "total {} differs from the sum of the other count types ({parts})",
                                    total.get()
                                ),
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// "Publish the tally at tree size N, whose root is R", signed by one or more approvers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicationStatement {
    pub election: String,
    pub tree_size: u64,
    /// Base64 of the 32-byte root hash at `tree_size`.
    pub root_hash: String,
    /// When the approver signed (RFC 3339).
    pub signed_at: String,
}

/// What the officials say the published figures are, in the labels election sites use: a
/// reporting authority's own report says whether *its* count is complete, this says what the
/// figures of a contest (or of one of its units, or of the whole election) stand for. Signed
/// by the authority's root key or an approver; the latest statement for a scope wins, so a
/// change is a new statement, and leaving `certified` needs a `reason`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusStatement {
    pub election: String,
    /// The contest it applies to; absent: every contest of the election.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contest: Option<String>,
    /// The unit it applies to (in the contest's area); absent: the whole area.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    pub result_type: ResultType,
    /// When the official signed (RFC 3339).
    pub signed_at: String,
    /// Why, for a step back (a certified result reopened, say). Shown with the status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An official's decision on a held submission: results that passed every rule but looked
/// implausible (more votes than ballots, say) are held out of the log until an official looks.
/// Either decision is a log entry, so the public can see who released or rejected what and why.
///
/// - `release`: the held note itself (`note`, verbatim, the reporter's signature included)
///   enters the tally as if it had been accepted now. The ledger checks it exactly as a new
///   submission, plausibility aside: signed by a reporter of the unit, a version above the
///   unit's last (a held submission overtaken by a newer version can no longer be released).
/// - `reject`: the held note stays out; only its digest is logged.
///
/// Signed by the authority's root key or an approver; `reason` is required.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewStatement {
    pub election: String,
    pub decision: ReviewDecision,
    /// Lowercase hex SHA-256 of the held signed note's bytes (how the held queue names it).
    pub held: String,
    /// For `release`: the held signed note, verbatim. Absent for `reject`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Why: shown in the officials' audit trail and published with the log.
    pub reason: String,
    /// When the official signed (RFC 3339).
    pub signed_at: String,
    /// The results statement inside `note`, read once when the statement is parsed.
    #[serde(skip)]
    released: Option<Box<ResultsStatement>>,
}

/// What an official decided about a held submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Release,
    Reject,
}

impl ReviewDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::Release => "release",
            ReviewDecision::Reject => "reject",
        }
    }
}

impl ReviewStatement {
    /// A review of the held signed note `held_note` (its bytes as held).
    pub fn new(
        election: &str,
        decision: ReviewDecision,
        held_note: &[u8],
        reason: &str,
        signed_at: &str,
    ) -> Result<ReviewStatement, Rejection> {
        let mut rv = ReviewStatement {
            election: election.to_string(),
            decision,
            held: hex_sha256(held_note),
            note: match decision {
                ReviewDecision::Release => Some(String::from_utf8_lossy(held_note).into_owned()),
                ReviewDecision::Reject => None,
            },
            reason: reason.to_string(),
            signed_at: signed_at.to_string(),
            released: None,
        };
        rv.read_released()?;
        Ok(rv)
    }

    /// The results statement a `release` puts in the tally (`None` for `reject`).
    pub fn released(&self) -> Option<&ResultsStatement> {
        self.released.as_deref()
    }

    /// Reads the released note's statement (its signatures are the ledger's to check): a
    /// release carries a results statement, a rejection carries none.
    fn read_released(&mut self) -> Result<(), Rejection> {
        self.released = None;
        let note = match (self.decision, &self.note) {
            (ReviewDecision::Reject, None) => return Ok(()),
            (ReviewDecision::Reject, Some(_)) => {
                return Err(Rejection::at(
                    RejectCode::MalformedStatement,
                    "note",
                    "a rejection names the held note by its digest only; leave `note` out",
                ))
            }
            (ReviewDecision::Release, None) => {
                return Err(Rejection::at(
                    RejectCode::MalformedStatement,
                    "note",
                    "a release carries the held note it releases",
                ))
            }
            (ReviewDecision::Release, Some(n)) => n,
        };
        let parsed = skytale_note::Note::parse(note.as_bytes()).map_err(|e| {
            Rejection::at(
                RejectCode::MalformedStatement,
                "note",
                format!("the released note is not a signed note: {e}"),
            )
        })?;
        match Statement::parse(&parsed.text) {
            Ok(Statement::Results(r)) => {
                self.released = Some(Box::new(r));
                Ok(())
            }
            Ok(_) => Err(Rejection::at(
                RejectCode::MalformedStatement,
                "note",
                "only results statements are held, so only they can be released",
            )),
            Err(e) => Err(Rejection::at(
                e.code,
                "note",
                format!("the released note: {}", e.message),
            )),
        }
    }
}

/// Lowercase hex SHA-256 of `bytes`: how held notes are named.
pub fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The result types an official gives published figures, from least to most settled: the
/// labels of the 2019 European Parliament results site (estimates and projections from polls
/// and samples, provisional counts, final counts, certified results).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultType {
    Estimate,
    Projection,
    Provisional,
    Final,
    Certified,
}

impl ResultType {
    pub const ALL: [ResultType; 5] = [
        ResultType::Estimate,
        ResultType::Projection,
        ResultType::Provisional,
        ResultType::Final,
        ResultType::Certified,
    ];
    /// The name used in statements, documents and feeds.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultType::Estimate => "estimate",
            ResultType::Projection => "projection",
            ResultType::Provisional => "provisional",
            ResultType::Final => "final",
            ResultType::Certified => "certified",
        }
    }
    /// The result type named `s`, if any.
    pub fn parse(s: &str) -> Option<ResultType> {
        ResultType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A change of reporting keys, signed by the authority's root key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyStatement {
    pub election: String,
    #[serde(flatten)]
    pub change: KeyChange,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum KeyChange {
    /// A new reporting key with its scope (rotation = add the new key, revoke the old one).
    Add {
        name: String,
        key: VerifierKey,
        scope: Vec<String>,
    },
    /// From this entry on, statements signed by `key` are refused.
    Revoke { key: VerifierKey },
}

/// One selection's votes by count type: at most one count per type, in the order of
/// [`CountType::ALL`] (the JSON object's key order, as the `BTreeMap` it replaces gave). A fixed
/// array, not a map: an importer builds one per selection per polling station and the server
/// parses one per selection per statement, and a B-tree node apiece was a third of a CSV
/// import. A count type given twice in JSON is refused (a map silently kept the last).
///
/// 48 bytes: which types are present, and their counts (zero where absent, so equality and
/// hashing can be derived).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ByType {
    present: u8,
    counts: [Count; 5],
}

/// [`CountType::ALL`] with a `'static` address, so iterators can hand out `&CountType`.
static COUNT_TYPES: [CountType; 5] = CountType::ALL;

impl ByType {
    pub fn new() -> ByType {
        ByType::default()
    }
    fn slot(t: CountType) -> usize {
        t as usize
    }
    fn has(&self, i: usize) -> bool {
        self.present & (1 << i) != 0
    }
    pub fn get(&self, t: &CountType) -> Option<&Count> {
        let i = Self::slot(*t);
        self.has(i).then(|| &self.counts[i])
    }
    pub fn contains_key(&self, t: &CountType) -> bool {
        self.has(Self::slot(*t))
    }
    /// Sets the count of `t`, returning the one it replaces.
    pub fn insert(&mut self, t: CountType, c: Count) -> Option<Count> {
        let i = Self::slot(t);
        let old = self.has(i).then_some(self.counts[i]);
        self.present |= 1 << i;
        self.counts[i] = c;
        old
    }
    pub fn remove(&mut self, t: &CountType) -> Option<Count> {
        let i = Self::slot(*t);
        let old = self.has(i).then_some(self.counts[i]);
        self.present &= !(1 << i);
        self.counts[i] = Count::default();
        old
    }
    pub fn len(&self) -> usize {
        self.present.count_ones() as usize
    }
    pub fn is_empty(&self) -> bool {
        self.present == 0
    }
    /// The counts present, in [`CountType::ALL`] order.
    pub fn iter(&self) -> ByTypeIter<'_> {
        ByTypeIter {
            by: self,
            front: 0,
            back: COUNT_TYPES.len(),
        }
    }
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &'static CountType> + '_ {
        self.iter().map(|(t, _)| t)
    }
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Count> + '_ {
        self.iter().map(|(_, c)| c)
    }
}

/// The counts of a [`ByType`] that are present, in [`CountType::ALL`] order (a named type, so
/// `for (t, c) in &counts` costs no allocation).
#[derive(Clone, Debug)]
pub struct ByTypeIter<'a> {
    by: &'a ByType,
    front: usize,
    back: usize,
}

impl<'a> Iterator for ByTypeIter<'a> {
    type Item = (&'static CountType, &'a Count);
    fn next(&mut self) -> Option<Self::Item> {
        while self.front < self.back {
            let i = self.front;
            self.front += 1;
            if self.by.has(i) {
                return Some((&COUNT_TYPES[i], &self.by.counts[i]));
            }
        }
        None
    }
}

impl DoubleEndedIterator for ByTypeIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        while self.back > self.front {
            self.back -= 1;
            let i = self.back;
            if self.by.has(i) {
                return Some((&COUNT_TYPES[i], &self.by.counts[i]));
            }
        }
        None
    }
}

impl FromIterator<(CountType, Count)> for ByType {
    /// A later count of the same type replaces an earlier one (as collecting into a map does).
    fn from_iter<I: IntoIterator<Item = (CountType, Count)>>(iter: I) -> ByType {
        let mut b = ByType::new();
        for (t, c) in iter {
            b.insert(t, c);
        }
        b
    }
}

impl std::ops::Index<&CountType> for ByType {
    type Output = Count;
    /// Panics when `t` has no count, as indexing a map does.
    fn index(&self, t: &CountType) -> &Count {
        match self.get(t) {
            Some(c) => c,
            None => panic!("no {} count", t.as_str()),
        }
    }
}

impl<'a> IntoIterator for &'a ByType {
    type Item = (&'static CountType, &'a Count);
    type IntoIter = ByTypeIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Serialize for ByType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.len()))?;
        for (t, c) in self.iter() {
            m.serialize_entry(t, c)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for ByType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ByType, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ByType;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object from count type to a whole number")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<ByType, A::Error> {
                let mut b = ByType::new();
                while let Some((t, c)) = map.next_entry::<CountType, Count>()? {
                    if b.insert(t, c).is_some() {
                        return Err(de::Error::custom(format_args!(
                            "{DUPLICATE_TYPE}{:?} is given twice",
                            t.as_str()
                        )));
                    }
                }
                Ok(b)
            }
        }
        d.deserialize_map(V)
    }
}

/// A vote count as received: a JSON integer, range-checked later with its field path.
/// Eight bytes: numbers beyond `i64` saturate to its bounds, which are far outside
/// `0..=MAX_COUNT` and so refused by the same check, named "too large to represent".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Count(i64);

impl Count {
    pub fn new(v: u64) -> Count {
        Count(i64::try_from(v).unwrap_or(i64::MAX))
    }
    fn saturating(v: i128) -> Count {
        Count(v.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
    }
    /// The value; only meaningful after [`ResultsStatement::check_counts`] passed.
    pub fn get(self) -> u64 {
        u64::try_from(self.0).unwrap_or(0)
    }
    fn check(self, field: impl FnOnce() -> String) -> Result<(), Rejection> {
        if self.0 < 0 {
            return Err(Rejection::at(
                RejectCode::CountOutOfRange,
                field(),
                format!("count {} is negative", CountDisplay(self.0)),
            ));
        }
        if self.0 > MAX_COUNT as i64 {
            return Err(Rejection::at(
                RejectCode::CountOutOfRange,
                field(),
                format!("count {} is larger than {MAX_COUNT}", CountDisplay(self.0)),
            ));
        }
        Ok(())
    }
}

/// 2^63 as a float: floats below it in magnitude were written as decimals, not integers.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// Checks that `s` is an RFC 3339 date-time with a UTC offset, as tabulators and Skytale write
/// them: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1 to 9 digits, then `Z` or `±hh:mm`
/// (upper-case `T` and `Z`; no leap second). A statement's time becomes the site's "last
/// update", so free text, a date alone or a time without an offset is refused. The error says
/// what is wrong, for a person.
pub fn check_timestamp(s: &str) -> Result<(), String> {
    let shape = || {
        format!("{s:?} is not an RFC 3339 time with an offset (like 2026-11-25T21:04:05Z or 2026-11-25T22:04:05.123+01:00)")
    };
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        part.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let sep = |at: usize, c: u8| b.get(at) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return Err(shape());
    }
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        num(0, 4),
        num(5, 2),
        num(8, 2),
        num(11, 2),
        num(14, 2),
        num(17, 2),
    ) else {
        return Err(shape());
    };
    let mut at = 19;
    if sep(at, b'.') {
        let digits = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if !(1..=9).contains(&digits) {
            return Err(format!(
                "{s:?}: a fraction of a second has 1 to 9 digits, not {digits}"
            ));
        }
        at += 1 + digits;
    }
    match b.get(at..) {
        Some(b"Z") => {}
        Some(&[sign, _, _, b':', _, _]) if sign == b'+' || sign == b'-' => {
            match (num(at + 1, 2), num(at + 4, 2)) {
                (Some(h), Some(m)) if h <= 23 && m <= 59 => {}
                _ => return Err(format!("{s:?}: the offset is not ±hh:mm")),
            }
        }
        _ => return Err(shape()),
    }
    let days = crate::timestamp::days_in_month(i64::from(year), i64::from(month))
        .ok_or_else(|| format!("{s:?}: month {month} does not exist"))?;
    if year == 0 || day == 0 || i64::from(day) > days {
        return Err(format!(
            "{s:?}: {year:04}-{month:02}-{day:02} is not a date"
        ));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(format!(
            "{s:?}: {hour:02}:{minute:02}:{second:02} is not a time of day"
        ));
    }
    Ok(())
}

struct CountDisplay(i64);
impl fmt::Display for CountDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == i64::MAX || self.0 == i64::MIN {
            f.write_str("(too large to represent)")
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.get())
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Count, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Count, E> {
                Ok(Count(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Count, E> {
                Ok(Count::new(v))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Count, E> {
                Ok(Count::saturating(v))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Count, E> {
                Ok(Count::saturating(i128::try_from(v).unwrap_or(i128::MAX)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Count, E> {
                // serde_json decodes every integer literal that fits 64 bits as an integer, so
                // a float inside i64's range was written with a fraction or an exponent
                // (`100.0`, `1e2`): refused, whatever its value. Beyond that range it is an
                // integer literal too long for 64 bits (or a huge exponent): saturate, and the
                // range check refuses it as out of range, as before.
                if v.is_finite() && v.abs() < TWO_POW_63 {
                    if v.fract() == 0.0 {
                        Err(E::custom(format!(
                            "{v} is written as a decimal number; a count is a JSON integer, without a fraction or exponent"
                        )))
                    } else {
                        Err(E::custom(format!("{v} is not a whole number")))
                    }
                } else if v.is_nan() {
                    Err(E::custom("not a number"))
                } else {
                    // `as` saturates at i64's bounds (and those are refused as out of range).
                    Ok(Count(v as i64))
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path and the general one agree on every text (same statement or both refuse).
    #[test]
    fn the_results_fast_path_accepts_what_the_general_path_accepts() {
        let base = r#"{"type":"results","election":"e","unit":"u","version":1,"status":"complete","submitted_at":"2026-11-25T20:00:00Z","contests":[{"contest":"c","ballots":5,"selections":{"a":{"election_day":3},"b":{"total":2}}}]}"#;
        let texts = [
            base.to_string(),
            format!("{base}\n"),
            format!("{base} trailing"),
            base.replace(r#""version":1"#, r#""version":1,"type":"results""#),
            base.replace(r#""ballots":5"#, r#""ballots":-5"#),
            base.replace(r#""ballots":5"#, r#""ballots":5.5"#),
            base.replace(r#""total":2"#, r#""total":2.0"#),
            base.replace(r#""total":2"#, r#""total":2e0"#),
            base.replace(r#""b":{"total":2}"#, r#""b":{"total":2},"b":{"total":7}"#),
            base.replace(r#""status":"complete""#, r#""status":"complete","extra":1"#),
            base.replace(r#""election":"e","#, ""),
        ];
        for t in &texts {
            let fast = Statement::parse(t);
            let general = Statement::parse_general(t);
            assert_eq!(fast, general, "{t}");
        }
        assert!(Statement::parse(&texts[0]).is_ok());
        assert!(
            Statement::parse(&texts[2]).is_err(),
            "text after the object"
        );
    }

    /// `ByType` writes the JSON a `BTreeMap<CountType, Count>` wrote (keys in `CountType::ALL`
    /// order), reads it back, and refuses a count type given twice.
    #[test]
    fn counts_by_type_keep_the_map_json_and_refuse_duplicates() {
        for (i, t) in CountType::ALL.iter().enumerate() {
            assert_eq!(ByType::slot(*t), i, "slot order is CountType::ALL's");
        }
        let pairs = [
            (CountType::Total, Count::new(9)),
            (CountType::ElectionDay, Count::new(1)),
            (CountType::Provisional, Count::new(3)),
        ];
        let map: BTreeMap<CountType, Count> = pairs.into_iter().collect();
        let by: ByType = pairs.into_iter().collect();
        let json = serde_json::to_string(&by).unwrap();
        assert_eq!(json, serde_json::to_string(&map).unwrap());
        assert_eq!(json, r#"{"election_day":1,"provisional":3,"total":9}"#);
        assert_eq!(serde_json::from_str::<ByType>(&json).unwrap(), by);
        assert_eq!(by.len(), 3);
        assert_eq!(by.get(&CountType::Mail), None);
        assert_eq!(by[&CountType::Total], Count::new(9));
        let keys: Vec<CountType> = by.keys().copied().collect();
        assert_eq!(keys, map.keys().copied().collect::<Vec<_>>());
        let back: Vec<CountType> = by.keys().rev().copied().collect();
        assert_eq!(back, map.keys().rev().copied().collect::<Vec<_>>());
        let both: Vec<(CountType, Count)> = (&by).into_iter().map(|(t, c)| (*t, *c)).collect();
        assert_eq!(both, map.iter().map(|(t, c)| (*t, *c)).collect::<Vec<_>>());
        let twice = serde_json::from_str::<ByType>(r#"{"mail":1,"mail":2}"#).unwrap_err();
        assert!(
            twice.to_string().contains("\"mail\" is given twice"),
            "{twice}"
        );
        assert!(serde_json::from_str::<ByType>(r#"{"absentee":1}"#).is_err());
        assert!(serde_json::from_str::<ByType>("{}").unwrap().is_empty());
        assert_eq!(
            std::mem::size_of::<ByType>(),
            48,
            "one cache line a selection"
        );
        let mut removed = by;
        removed.remove(&CountType::ElectionDay);
        assert_eq!(removed, ByType::from_iter([pairs[0], pairs[2]]));
    }

    /// Numbers beyond 64 bits saturate and are refused as out of range, as before.
    #[test]
    fn counts_beyond_64_bits_are_refused_not_wrapped() {
        for (n, why) in [
            ("18446744073709551615", "too large to represent"),
            ("1e40", "too large to represent"),
            ("-1e40", "is negative"),
            ("-5", "count -5 is negative"),
            (
                "10000000001",
                "count 10000000001 is larger than 10000000000",
            ),
        ] {
            let c: Count = serde_json::from_str(n).unwrap();
            let e = c.check(|| "f".into()).unwrap_err();
            assert_eq!(e.code, RejectCode::CountOutOfRange, "{n}");
            assert!(e.message.contains(why), "{n}: {}", e.message);
        }
        let ok: Count = serde_json::from_str("10000000000").unwrap();
        assert!(ok.check(|| "f".into()).is_ok());
        assert_eq!(ok.get(), 10_000_000_000);
    }

    /// A count written as a decimal (`100.0`, `1e2`) is refused, not read as 100: a count is
    /// a JSON integer.
    #[test]
    fn counts_written_as_decimals_are_refused() {
        for n in ["100.0", "1e2", "1E2", "100e0", "0.0", "-0.0", "5.5"] {
            let e = serde_json::from_str::<Count>(n).expect_err(n);
            let why = e.to_string();
            assert!(
                why.contains("JSON integer") || why.contains("not a whole number"),
                "{n}: {why}"
            );
        }
        let text = r#"{"type":"results","election":"e","unit":"u","version":1,"status":"complete","submitted_at":"2026-11-25T20:00:00Z","contests":[{"contest":"c","selections":{"a":{"total":1e2}}}]}"#;
        let e = Statement::parse(text).unwrap_err();
        assert_eq!(e.code, RejectCode::MalformedStatement, "{e}");
        assert!(
            e.message.contains("100 is written as a decimal number"),
            "{e}"
        );
        assert_eq!(
            serde_json::from_str::<Count>("100").unwrap(),
            Count::new(100)
        );
    }

    /// A selection given twice in one contest is refused with its own code, naming the contest
    /// and the selection (a map decoder silently kept the last one).
    #[test]
    fn a_selection_given_twice_is_refused_naming_contest_and_key() {
        let text = r#"{"type":"results","election":"e","unit":"u","version":1,"status":"complete","submitted_at":"2026-11-25T20:00:00Z","contests":[{"contest":"mayor","selections":{"alice":{"total":1},"bob":{"total":2},"alice":{"total":900}}}]}"#;
        let e = Statement::parse(text).unwrap_err();
        assert_eq!(e.code, RejectCode::DuplicateCount, "{e}");
        assert!(
            e.message
                .contains(r#"selection "alice" is given twice in contest "mayor""#),
            "{e}"
        );
        let twice_type = text.replace(
            r#""bob":{"total":2},"alice":{"total":900}"#,
            r#""bob":{"mail":2,"mail":3}"#,
        );
        let e = Statement::parse(&twice_type).unwrap_err();
        assert_eq!(e.code, RejectCode::DuplicateCount, "{e}");
        assert!(e.message.contains(r#""mail" is given twice"#), "{e}");
        let once = text.replace(r#","alice":{"total":900}"#, "");
        assert!(Statement::parse(&once).is_ok());
    }

    /// Times are RFC 3339 with an offset, with 0 to 9 digits of fraction, as exporters write.
    #[test]
    fn timestamps_must_be_rfc3339_with_an_offset() {
        for ok in [
            "2026-11-25T20:00:00Z",
            "2026-11-25T20:00:00.5Z",
            "2026-12-06T21:17:23.535534872Z",
            "2026-11-25T21:00:00+01:00",
            "2026-11-25T15:00:00.123-05:00",
            "2028-02-29T23:59:59Z",
        ] {
            assert_eq!(check_timestamp(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "tonight",
            "2026-11-25",
            "2026-11-25 20:00:00Z",
            "2026-11-25T20:00:00",
            "2026-11-25T20:00:00.Z",
            "2026-11-25T20:00:00.1234567890Z",
            "2026-11-25T20:00:00+0100",
            "2026-11-25T20:00:00+24:00",
            "2026-11-25T20:00:00z",
            "2026-13-25T20:00:00Z",
            "2027-02-29T20:00:00Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25T20:60:00Z",
            "2026-11-25T20:00:60Z",
            "2026-11-25T20:00:00Z trailing",
            "2026-11-25T20:00:00Z\n",
            "０２０26-11-25T20:00:00Z",
        ] {
            assert!(check_timestamp(bad).is_err(), "{bad:?} must be refused");
        }
    }
}
