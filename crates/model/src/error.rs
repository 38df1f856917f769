//! Errors of the model: definition problems and statement rejections.

use std::fmt;

/// One problem with an election definition, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    #[error("{field}: {why}")]
    Syntax { field: String, why: String },
    #[error("{field}: {why}")]
    Invalid { field: String, why: String },
}

/// Every problem found in a definition (validation does not stop at the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionErrors(pub Vec<DefinitionError>);

impl fmt::Display for DefinitionErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the election definition has {} problem(s):",
            self.0.len()
        )?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DefinitionErrors {}

/// Why a statement was refused. Each check of the acceptance order has its own code, so a
/// script can react to it and a test can assert exactly which check fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RejectCode {
    /// The bytes are not a well-formed C2SP signed note (or are too large).
    MalformedNote,
    /// The note's text is not a well-formed statement of a known type.
    MalformedStatement,
    /// The statement names another election.
    WrongElection,
    /// No signature on the note is by a key this election knows.
    UnknownKey,
    /// A signature by a known key does not verify.
    BadSignature,
    /// The key was revoked by the election authority.
    KeyRevoked,
    /// The key is known but not allowed to assert this (unit outside its scope, wrong role).
    KeyNotAuthorised,
    UnknownUnit,
    UnknownContest,
    /// The contest exists but is not held in the reported unit.
    ContestNotInUnit,
    UnknownSelection,
    /// A count is negative, not a whole number, or above [`crate::MAX_COUNT`].
    CountOutOfRange,
    /// Counts contradict each other in a way that cannot be an honest report (e.g. a `total`
    /// count type that differs from the sum of the others).
    InconsistentCounts,
    /// The version is lower than one already accepted for this unit.
    StaleVersion,
    /// The version equals one already accepted for this unit, with different content.
    DuplicateVersion,
    /// A publication names a tree size or root that does not match the log.
    BadPublication,
    /// The statement type may not appear here (e.g. a second `election` statement).
    NotAllowed,
    /// The contest is of the wrong kind for the statement: ballots (`cvr`) for a contest that
    /// is not ranked-choice, or summed counts (`results`) for one that is.
    WrongContestKind,
    /// A ballot ranks beyond the contest's `max_rankings` (or beyond the 1,000 ranks any CVR
    /// may have).
    RankOutOfRange,
    /// A CVR batch number is not between 1 and the series' batch count, or the count is 0 or
    /// above the limit.
    BadBatch,
    /// This batch of this CVR series was already accepted.
    DuplicateBatch,
    /// A batch names the same unit, contest and version as an accepted series but another
    /// file, format, batch count or ballot total.
    SeriesMismatch,
    /// A count is given twice: a selection twice in one contest, or a count type twice in one
    /// selection. Neither is silently resolved (which one would win is a guess).
    DuplicateCount,
    /// A time (`submitted_at`, `signed_at`) is not RFC 3339 with a UTC offset; it becomes the
    /// site's "last update", so free text is refused.
    BadTimestamp,
    /// A version beyond [`crate::MAX_VERSION`], or more than [`crate::MAX_VERSION_STEP`]
    /// above the last accepted one: a version no correction could ever exceed would freeze
    /// the unit for the rest of the night.
    VersionOutOfRange,
}

impl RejectCode {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectCode::MalformedNote => "malformed_note",
            RejectCode::MalformedStatement => "malformed_statement",
            RejectCode::WrongElection => "wrong_election",
            RejectCode::UnknownKey => "unknown_key",
            RejectCode::BadSignature => "bad_signature",
            RejectCode::KeyRevoked => "key_revoked",
            RejectCode::KeyNotAuthorised => "key_not_authorised",
            RejectCode::UnknownUnit => "unknown_unit",
            RejectCode::UnknownContest => "unknown_contest",
            RejectCode::ContestNotInUnit => "contest_not_in_unit",
            RejectCode::UnknownSelection => "unknown_selection",
            RejectCode::CountOutOfRange => "count_out_of_range",
            RejectCode::InconsistentCounts => "inconsistent_counts",
            RejectCode::StaleVersion => "stale_version",
            RejectCode::DuplicateVersion => "duplicate_version",
            RejectCode::BadPublication => "bad_publication",
            RejectCode::NotAllowed => "not_allowed",
            RejectCode::WrongContestKind => "wrong_contest_kind",
            RejectCode::RankOutOfRange => "rank_out_of_range",
            RejectCode::BadBatch => "bad_batch",
            RejectCode::DuplicateBatch => "duplicate_batch",
            RejectCode::SeriesMismatch => "series_mismatch",
            RejectCode::DuplicateCount => "duplicate_count",
            RejectCode::BadTimestamp => "bad_timestamp",
            RejectCode::VersionOutOfRange => "version_out_of_range",
        }
    }

    /// The HTTP status that interfaces.md assigns to this kind of error.
    pub fn http_status(self) -> u16 {
        match self {
            RejectCode::MalformedNote
            | RejectCode::MalformedStatement
            | RejectCode::DuplicateCount
            | RejectCode::BadTimestamp => 400,
            RejectCode::UnknownKey | RejectCode::BadSignature => 401,
            RejectCode::KeyRevoked | RejectCode::KeyNotAuthorised => 403,
            RejectCode::StaleVersion
            | RejectCode::DuplicateVersion
            | RejectCode::DuplicateBatch
            | RejectCode::SeriesMismatch => 409,
            _ => 422,
        }
    }
}

impl fmt::Display for RejectCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused statement: the code, a sentence for a person, and the offending field if any.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}{}", field.as_ref().map(|f| format!(" (field {f})")).unwrap_or_default())]
pub struct Rejection {
    pub code: RejectCode,
    pub message: String,
    pub field: Option<String>,
}

impl Rejection {
    pub fn new(code: RejectCode, message: impl Into<String>) -> Rejection {
        Rejection {
            code,
            message: message.into(),
            field: None,
        }
    }
    pub fn at(code: RejectCode, field: impl Into<String>, message: impl Into<String>) -> Rejection {
        Rejection {
            code,
            message: message.into(),
            field: Some(field.into()),
        }
    }
}
