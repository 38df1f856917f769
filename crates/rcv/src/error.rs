//! Errors of the crate: every variant says where (file, row, column, field) and why.

use std::path::PathBuf;

/// Everything that can go wrong reading a config, reading CVRs or tabulating.
#[derive(Debug, thiserror::Error)]
pub enum RcvError {
    /// A file could not be opened or read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// The RCTab config file is not valid JSON or has the wrong shape.
    #[error("{path}: config is not valid RCTab JSON: {why}")]
    ConfigSyntax {
        /// The config file.
        path: PathBuf,
        /// The parser's message (with line and column).
        why: String,
    },
    /// A config field has a value RCTab would reject.
    #[error("config field `{field}`: {why}")]
    ConfigInvalid {
        /// The JSON field name, as in RCTab's documentation.
        field: &'static str,
        /// Why the value is rejected.
        why: String,
    },
    /// A CVR file is malformed.
    #[error("{path}{}{}: {why}", .row.map(|r| format!(", row {r}")).unwrap_or_default(), .column.map(|c| format!(", column {c}")).unwrap_or_default())]
    Cvr {
        /// The CVR file (or folder for Dominion/Hart).
        path: PathBuf,
        /// 1-based row or record number when known.
        row: Option<u64>,
        /// 1-based column when known.
        column: Option<u64>,
        /// Why the record is rejected.
        why: String,
    },
    /// CVRs name candidates that the config does not declare (RCTab refuses these too).
    #[error("{path}: unrecognized candidate(s) in CVRs (add them to the config or as aliases): {names:?}")]
    UnrecognizedCandidates {
        /// The CVR source.
        path: PathBuf,
        /// The unknown names with how often each appears.
        names: Vec<(String, u64)>,
    },
    /// A CVR ranks beyond `maxRankingsAllowed`.
    #[error("{path}: CVR {cvr} has a ranking {rank}, but the contest has max ranking {max}")]
    MaxRankingExceeded {
        /// The CVR source.
        path: PathBuf,
        /// The record's id (supplied or computed).
        cvr: String,
        /// Its highest rank.
        rank: u32,
        /// The configured maximum.
        max: u32,
    },
    /// A configured limit on input size was exceeded.
    #[error("{path}: limit exceeded: {why}")]
    Limit {
        /// The offending file.
        path: PathBuf,
        /// Which limit.
        why: String,
    },
    /// Tabulation cannot go on (RCTab's TabulationAbortedException), e.g. an interactive tie-break.
    #[error("tabulation aborted in round {round}: {why}")]
    Aborted {
        /// The round being counted.
        round: u32,
        /// Why.
        why: String,
    },
    /// Writing a report failed.
    #[error("{path}: cannot write report: {why}")]
    Write {
        /// The output file.
        path: PathBuf,
        /// Why.
        why: String,
    },
}

impl RcvError {
    /// Shorthand for a CVR error with a record number only.
    #[cfg(feature = "readers")]
    pub(crate) fn cvr(path: &std::path::Path, row: Option<u64>, why: impl Into<String>) -> Self {
        RcvError::Cvr {
            path: path.to_path_buf(),
            row,
            column: None,
            why: why.into(),
        }
    }

    /// Shorthand for an I/O error on a path.
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        RcvError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
