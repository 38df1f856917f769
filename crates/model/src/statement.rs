//! Statements: the JSON texts of the signed notes that make up an election's log.
//!
//! Every statement names its election, so a note can never be replayed into another log.
//! Counts are decoded leniently (any JSON number) and then range-checked with the field path,
//! so a negative or oversized count gets its own error code instead of a generic parse error.

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
            Rejection {
                code: RejectCode::MalformedStatement,
                message: format!("the statement is not valid: {}", e.inner()),
                field: (path != ".").then_some(path),
            }
        })?;
        de.end().map_err(|e| {
            Rejection::new(
                RejectCode::MalformedStatement,
                format!("the statement is not valid: text after the JSON object ({e})"),
            )
        })?;
        if let Statement::Results(r) = &st {
            r.check_counts()?;
        }
        Ok(st)
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

/// One contest's counts in one unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    pub selections: BTreeMap<String, BTreeMap<CountType, Count>>,
}

impl ContestReport {
    /// Votes of one selection summed over count types (`total` alone when it is the only type).
    pub fn selection_total(counts: &BTreeMap<CountType, Count>) -> u64 {
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
    pub fn parts_total(counts: &BTreeMap<CountType, Count>) -> u64 {
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

/// A vote count as received: any JSON number, range-checked later with its field path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Count(i128);

impl Count {
    pub fn new(v: u64) -> Count {
        Count(v as i128)
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
                format!("count {} is negative", self.0),
            ));
        }
        if self.0 > MAX_COUNT as i128 {
            return Err(Rejection::at(
                RejectCode::CountOutOfRange,
                field(),
                format!("count {} is larger than {MAX_COUNT}", CountDisplay(self.0)),
            ));
        }
        Ok(())
    }
}

struct CountDisplay(i128);
impl fmt::Display for CountDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == i128::MAX {
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
                Ok(Count(v as i128))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Count, E> {
                Ok(Count(v as i128))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Count, E> {
                Ok(Count(v))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Count, E> {
                Ok(Count(i128::try_from(v).unwrap_or(i128::MAX)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Count, E> {
                // serde_json hands numbers beyond 64 bits over as floats; mark them out of range.
                if v.is_finite() && v.fract() == 0.0 {
                    if v >= 1e30 {
                        Ok(Count(i128::MAX))
                    } else if v <= -1e30 {
                        Ok(Count(i128::MIN))
                    } else {
                        Ok(Count(v as i128))
                    }
                } else {
                    Err(E::custom(format!("{v} is not a whole number")))
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
        let base = r#"{"type":"results","election":"e","unit":"u","version":1,"status":"complete","submitted_at":"2026-11-25T20:00:00Z","contests":[{"contest":"c","ballots":5,"selections":{"a":{"election_day":3},"b":{"total":2.0}}}]}"#;
        let texts = [
            base.to_string(),
            format!("{base}\n"),
            format!("{base} trailing"),
            base.replace(r#""version":1"#, r#""version":1,"type":"results""#),
            base.replace(r#""ballots":5"#, r#""ballots":-5"#),
            base.replace(r#""ballots":5"#, r#""ballots":5.5"#),
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
}
