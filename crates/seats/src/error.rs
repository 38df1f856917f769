//! Errors, each carrying what is needed to find and fix the problem.

use crate::fraction::Fraction;
use crate::method::UnknownMethod;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum SeatsError {
    /// The rules ask for no seats at all.
    #[error("seats: must be at least 1 (got 0)")]
    ZeroSeats,
    /// More seats or parties than this crate accepts.
    #[error("{what}: {given} is more than the limit of {limit}")]
    TooLarge {
        /// Which quantity.
        what: &'static str,
        /// The value given.
        given: u64,
        /// The limit.
        limit: u64,
    },
    /// A method name that does not exist.
    #[error(transparent)]
    UnknownMethod(#[from] UnknownMethod),
    /// A rule that does not fit the method or is out of range.
    #[error("rules: {field}: {why}")]
    InvalidRules {
        /// The field of the rules.
        field: &'static str,
        /// What is wrong.
        why: String,
    },
    /// The same party appears twice in one allocation.
    #[error("party {party:?} appears more than once{}", in_constituency(.constituency))]
    DuplicateParty {
        /// The party id.
        party: String,
        /// Its constituency, if any.
        constituency: Option<String>,
    },
    /// No party can take a seat (none over the threshold with votes).
    #[error("no party with votes is eligible for seats{}", in_constituency(.constituency))]
    NoEligibleParty {
        /// The constituency, if any.
        constituency: Option<String>,
    },
    /// The explicit base of the threshold is smaller than the votes listed.
    #[error("valid votes {base} is less than the {listed} votes listed for the parties")]
    BaseTooSmall {
        /// The explicit base.
        base: u64,
        /// The sum of the rows.
        listed: u64,
    },
    /// A sum or product of vote counts that does not fit.
    #[error("arithmetic overflow while {during}: vote counts are too large")]
    Overflow {
        /// What was being computed.
        during: &'static str,
    },
    /// A tie the named tie-break rules could not resolve.
    #[error("tie for {seats} seat(s) at quotient {quotient} between {parties:?} is not resolved by the tie-break rules {rules}; add `list-order` or `lot` (with a seed)")]
    UnresolvedTie {
        /// The tied parties.
        parties: Vec<String>,
        /// The number of seats they contest.
        seats: u32,
        /// The equal quotient.
        quotient: Fraction,
        /// The rules that were tried.
        rules: String,
    },
    /// A constituency in the votes that the system does not define.
    #[error("constituency {0:?} is not defined in the rules")]
    UnknownConstituency(String),
    /// A data file could not be read or parsed.
    #[error("{file}:{line}{}: {why}", column.as_ref().map(|c| format!(": column {c}")).unwrap_or_default())]
    Input {
        /// The file.
        file: String,
        /// The 1-based line (0 when not known).
        line: u64,
        /// The column name, if the problem is in one field.
        column: Option<String>,
        /// What is wrong.
        why: String,
    },
}

fn in_constituency(c: &Option<String>) -> String {
    c.as_ref()
        .map(|c| format!(" in constituency {c:?}"))
        .unwrap_or_default()
}
