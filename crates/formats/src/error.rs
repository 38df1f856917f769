//! Errors of the parsers and writers: every error says where (file, line, column, field) and why.

use std::fmt;

/// Where in a source file a problem was found. Every part is optional: a CSV error has a line
/// and a column name, an XML error a line and column, a JSON error a field path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    /// The source file name, when the caller gave one (`ImportOptions::source_name`).
    pub file: Option<String>,
    /// 1-based line number.
    pub line: Option<u64>,
    /// 1-based column (byte offset within the line for XML).
    pub column: Option<u64>,
    /// Field, column header, attribute or JSON path.
    pub field: Option<String>,
}

impl Location {
    pub(crate) fn line(line: u64) -> Location {
        Location {
            line: Some(line),
            ..Location::default()
        }
    }
    pub(crate) fn field(mut self, field: impl Into<String>) -> Location {
        self.field = Some(field.into());
        self
    }
    pub(crate) fn at_field(field: impl Into<String>) -> Location {
        Location::default().field(field)
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.file.is_none() && self.line.is_none() && self.column.is_none() && self.field.is_none()
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return Ok(());
        }
        let mut parts = Vec::new();
        if let Some(file) = &self.file {
            parts.push(file.clone());
        }
        if let Some(l) = self.line {
            parts.push(format!("line {l}"));
        }
        if let Some(c) = self.column {
            parts.push(format!("column {c}"));
        }
        if let Some(fl) = &self.field {
            parts.push(format!("field {fl:?}"));
        }
        write!(f, "{}: ", parts.join(", "))
    }
}

/// Everything that can go wrong reading or writing a format.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The bytes are not well-formed in the format (bad XML, bad CSV quoting, bad JSON, bad number).
    #[error("{at}{why}")]
    Syntax { at: Location, why: String },
    /// Well-formed, but the content breaks a rule (inconsistent totals, duplicate rows, missing ids).
    #[error("{at}{why}")]
    Invalid { at: Location, why: String },
    /// A name in the source matches nothing in the election definition, and no mapping names it.
    #[error("{at}{kind} {name:?} is not in the election definition and the mapping does not name it; closest known: {}", if closest.is_empty() { "(none)".to_string() } else { closest.join(", ") })]
    Unmapped {
        at: Location,
        kind: &'static str,
        name: String,
        closest: Vec<String>,
    },
    /// A size, depth or count limit was exceeded.
    #[error("{at}{what} exceeds the limit of {limit}")]
    TooLarge {
        at: Location,
        what: &'static str,
        limit: u64,
    },
    /// XML with a document type declaration or entity declarations (billion laughs, XXE).
    #[error("{at}XML with a DOCTYPE or ENTITY declaration is refused (entity expansion and external entities are attack vectors)")]
    Dtd { at: Location },
    /// The format could not be told from the file's structure: `seen` says what it holds (the
    /// root element, the first keys, the first line), so the caller can name the format.
    #[error("{at}cannot tell its format: it is {seen}")]
    Undetected { at: Location, seen: String },
    /// An unknown format name.
    #[error("unknown format {given:?}; valid formats: {valid}")]
    UnknownFormat { given: String, valid: String },
}

impl FormatError {
    pub(crate) fn syntax(at: Location, why: impl Into<String>) -> FormatError {
        FormatError::Syntax {
            at,
            why: why.into(),
        }
    }
    pub(crate) fn invalid(at: Location, why: impl Into<String>) -> FormatError {
        FormatError::Invalid {
            at,
            why: why.into(),
        }
    }

    /// The location of the problem, if the error has one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            FormatError::Syntax { at, .. }
            | FormatError::Invalid { at, .. }
            | FormatError::Unmapped { at, .. }
            | FormatError::TooLarge { at, .. }
            | FormatError::Undetected { at, .. }
            | FormatError::Dtd { at } => Some(at),
            FormatError::UnknownFormat { .. } => None,
        }
    }

    /// Sets the file name (kept if already set).
    pub fn with_file(mut self, name: &str) -> FormatError {
        if let FormatError::Syntax { at, .. }
        | FormatError::Invalid { at, .. }
        | FormatError::Unmapped { at, .. }
        | FormatError::TooLarge { at, .. }
        | FormatError::Undetected { at, .. }
        | FormatError::Dtd { at } = &mut self
        {
            if at.file.is_none() {
                at.file = Some(name.to_string());
            }
        }
        self
    }
}
