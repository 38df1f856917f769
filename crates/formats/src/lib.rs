//! skytale-formats: real tabulator exports in, standard formats out (floor 3; pure, no I/O).
//!
//! Implemented:
//! - **NIST SP 1500-100 v2** (Election Results Reporting Common Data Format), JSON and XML:
//!   import as results (one statement per GpUnit with VoteCounts, per CountItemType) and as an
//!   election definition (GpUnits, parties, candidates, candidate / ballot-measure / party
//!   contests, keeping the CDF ObjectIds as our ids); export of a tally as an `ElectionReport`
//!   valid against NIST's XSD and the draft-07 JSON schema of NIST's test method ([`export`]).
//! - **Clarity ENR `detail.xml`** (Scytl): contests, choices, vote types, precinct- or
//!   county-level counts, registered voters of the turnout block.
//! - **CSV** in the OpenElections layout (`county, precinct, office, district, party,
//!   candidate, votes` and optional vote-type columns), other layouts through the `[csv]`
//!   section of a [`Mapping`]; UTF-8 or Latin-1. CSV export per contest.
//! - **EML 510** (OASIS EML v5 count as the Dutch Electoral Council's EML_NL has it, what
//!   Kiesraad's Abacus writes): import of the counts per reporting unit (`eml` module doc);
//!   export of a tally as EML 510 and EML 520 ([`export::eml_510`], [`export::eml_520`]).
//!
//! Which format a file is in is told from its structure ([`Format::detect`]: the XML root
//! element and namespace, the JSON object's keys in any order, the CSV header row), or named.
//!
//! Real files are messy; each quirk is handled deliberately (see `norm`, `csvfmt`, `clarity`
//! and `cdf` module docs) and anything beyond those rules needs a [`Mapping`] entry: an
//! unmapped name is an error listing the closest known names. Every error carries the file,
//! line (and column or field) and why.
//!
//! Safety: inputs are byte slices or streams (`impl Read`, e.g. an open file) with a size limit
//! ([`MAX_INPUT_BYTES`], counted as the bytes pass). CSV streams record by record
//! ([`import_results_from`], [`derive_definition_from`]): memory follows the file's units,
//! contests and figures, not its size. XML and JSON are read whole first (the XML reader
//! borrows from one slice, and CDF JSON is a single document); XML is parsed with a reader that
//! refuses DOCTYPE/ENTITY declarations and limits depth; counts of units, contests and
//! selections are bounded by the model's limits.
//!
//! Out of scope: opening files or the network (the caller passes bytes or a reader), signing,
//! acceptance rules (skytale-model), tallying (skytale-tally), NIST SP 1500-103 cast vote records.

// Errors carry a location with the file name and field path; they are rare and the size
// of the Err variant does not matter next to the parsing it reports on.
#![allow(clippy::result_large_err)]

use std::io::{BufReader, Read};
use std::str::FromStr;

use sha2::{Digest, Sha256};
use skytale_model::{Definition, ReportStatus, ResultsStatement, ValidDefinition};
use skytale_note::VerifierKey;

mod cdf;
mod clarity;
mod csvfmt;
mod csvrec;
mod detect;
mod eml;
mod error;
pub mod export;
mod geography;
mod mapping;
mod norm;
pub mod ocd;
mod offices;
mod party;
mod sheet;
mod source;
mod xml;

pub use csvfmt::{MAX_FIELD_BYTES, MAX_ROWS};
pub use csvrec::{MAX_RECORD_BYTES, MAX_RECORD_FIELDS};
pub use error::{FormatError, Location};
pub use mapping::{CsvLayout, Mapping};
pub use sheet::{
    Figure, Trace, MAX_FILE_CONTESTS, MAX_FILE_PARTIES, MAX_FILE_SELECTIONS, MAX_FILE_UNITS,
};
pub use xml::{MAX_XML_ATTRIBUTES, MAX_XML_DEPTH};

/// Largest input accepted by any importer (a state's precinct file is hundreds of MB).
pub const MAX_INPUT_BYTES: usize = 1 << 30;

/// The formats Skytale reads (and, for the NIST ones and CSV, writes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Our own results statements as JSON (one object or an array).
    Native,
    /// NIST SP 1500-100 v2 ElectionReport, JSON.
    NistJson,
    /// NIST SP 1500-100 v2 ElectionReport, XML.
    NistXml,
    /// Clarity ENR detail.xml.
    ClarityXml,
    /// CSV, OpenElections layout or one described by a mapping.
    Csv,
    /// OASIS EML v5 count (`510a`–`510d`) as the Dutch Electoral Council's EML_NL has it.
    Eml510,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Native,
        Format::NistJson,
        Format::NistXml,
        Format::ClarityXml,
        Format::Csv,
        Format::Eml510,
    ];

    /// The name used on the command line and in `source.format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Native => "native",
            Format::NistJson => "nist-json",
            Format::NistXml => "nist-xml",
            Format::ClarityXml => "clarity-xml",
            Format::Csv => "csv",
            Format::Eml510 => "eml510",
        }
    }

    /// Tells the format from the file's structure: the root element of XML, the top-level keys
    /// of JSON (in any order, their values skipped unbuilt), the header row of CSV. Reads only
    /// as far as it takes (see `detect.rs`) and consumes what it reads, so an importer reads the
    /// file again from its start. When nothing fits, [`FormatError::Undetected`] says what the
    /// file holds.
    pub fn detect<R: Read>(input: R) -> Result<Format, FormatError> {
        detect::detect(input)
    }

    /// The names of every format, for messages that list them.
    pub fn names() -> String {
        Format::ALL.map(Format::name).join(", ")
    }
}

impl FromStr for Format {
    type Err = FormatError;
    fn from_str(s: &str) -> Result<Format, FormatError> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| FormatError::UnknownFormat {
                given: s.to_string(),
                valid: Format::names(),
            })
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What an import needs besides the file and the definition.
#[derive(Clone, Copy, Debug)]
pub struct ImportOptions<'a> {
    /// Election id (must be the definition's).
    pub election: &'a str,
    /// Version of every statement produced (per unit; must exceed the last accepted one).
    pub version: u64,
    /// RFC 3339 time of the submission.
    pub submitted_at: &'a str,
    pub status: ReportStatus,
    /// Source name → definition id table, CSV layout, extra vote-type names.
    pub mapping: Option<&'a Mapping>,
    /// The file's name: goes into `source.name` and into error locations.
    pub source_name: Option<&'a str>,
}

/// Options of [`derive_definition_with`].
#[derive(Clone, Copy, Debug, Default)]
pub struct DeriveOptions<'a> {
    /// Election day `YYYY-MM-DD` when the file states none (CSV).
    pub date: Option<&'a str>,
    /// Mapping (its `[csv]` layout and `[count_types]` are used when reading the file).
    pub mapping: Option<&'a Mapping>,
}

fn check_size(bytes: &[u8]) -> Result<(), FormatError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(FormatError::TooLarge {
            at: Location::default(),
            what: "the file size in bytes",
            limit: MAX_INPUT_BYTES as u64,
        });
    }
    Ok(())
}

fn read_sheet(
    format: Format,
    bytes: &[u8],
    mapping: Option<&Mapping>,
    trace: bool,
) -> Result<sheet::Sheet, FormatError> {
    check_size(bytes)?;
    match format {
        Format::Csv => csvfmt::read(bytes, mapping, trace),
        Format::ClarityXml => clarity::read(bytes, mapping, trace),
        Format::NistJson => cdf::read_json(bytes, mapping, trace),
        Format::NistXml => cdf::read_xml(bytes, mapping, trace),
        Format::Eml510 => eml::read(bytes),
        Format::Native => Err(FormatError::invalid(
            Location::default(),
            "the native format holds statements, not an election definition",
        )),
    }
}

/// Buffer of the streaming CSV reader: large enough that a read is a few system calls per MB.
const STREAM_BUFFER: usize = 1 << 16;

/// Reads a sheet from a stream: CSV record by record; the other formats (XML through a
/// borrowed-slice reader, JSON through serde) are read whole first, within the size limit.
/// Returns the sheet and the stream's SHA-256.
fn read_sheet_from<R: Read>(
    format: Format,
    input: R,
    mapping: Option<&Mapping>,
    trace: bool,
) -> Result<(sheet::Sheet, String), FormatError> {
    read_sheet_limited(format, input, mapping, MAX_INPUT_BYTES as u64, trace)
}

fn read_sheet_limited<R: Read>(
    format: Format,
    input: R,
    mapping: Option<&Mapping>,
    limit: u64,
    trace: bool,
) -> Result<(sheet::Sheet, String), FormatError> {
    let mut src = source::Source::new(input, limit);
    let sheet = if format == Format::Csv {
        let r = csvfmt::read(
            BufReader::with_capacity(STREAM_BUFFER, &mut src),
            mapping,
            trace,
        );
        // Past the limit the reader fails with an I/O error; say which limit instead.
        if let Some(e) = src.exceeded() {
            return Err(e);
        }
        r?
    } else {
        let bytes = read_whole(&mut src)?;
        read_sheet(format, &bytes, mapping, trace)?
    };
    Ok((sheet, src.sha256_hex()))
}

/// The whole stream, refusing it once it passes the size limit (without reading further).
fn read_whole<R: Read>(src: &mut source::Source<R>) -> Result<Vec<u8>, FormatError> {
    let mut bytes = Vec::new();
    if let Err(e) = src.read_to_end(&mut bytes) {
        return Err(src.exceeded().unwrap_or_else(|| {
            FormatError::syntax(Location::default(), format!("cannot read: {e}"))
        }));
    }
    Ok(bytes)
}

/// Hex SHA-256 of a file (what `source.sha256` records).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// One ResultsStatement per reporting unit found in the file (fills `source` with format +
/// sha256 of `bytes`). `Native` = a JSON array of ResultsStatement or a single one (already
/// our format).
pub fn import_results(
    format: Format,
    bytes: &[u8],
    def: &ValidDefinition,
    opts: &ImportOptions,
) -> Result<Vec<ResultsStatement>, FormatError> {
    let run = || -> Result<Vec<ResultsStatement>, FormatError> {
        check_size(bytes)?;
        if format == Format::Native {
            return native(bytes, opts);
        }
        let sheet = read_sheet(format, bytes, opts.mapping, false)?;
        sheet.import(def, opts, &sha256_hex(bytes))
    };
    run().map_err(|e| match opts.source_name {
        Some(n) => e.with_file(n),
        None => e,
    })
}

/// [`import_results`] reading from a stream (an open file): CSV is parsed record by record and
/// never held whole; the SHA-256 is computed as the bytes pass. The same statements as
/// [`import_results`] on the same bytes.
pub fn import_results_from<R: Read>(
    format: Format,
    input: R,
    def: &ValidDefinition,
    opts: &ImportOptions,
) -> Result<Vec<ResultsStatement>, FormatError> {
    let run = || -> Result<Vec<ResultsStatement>, FormatError> {
        if format == Format::Native {
            let bytes = read_whole(&mut source::Source::new(input, MAX_INPUT_BYTES as u64))?;
            return native(&bytes, opts);
        }
        let (sheet, sha) = read_sheet_from(format, input, opts.mapping, false)?;
        sheet.import(def, opts, &sha)
    };
    run().map_err(|e| match opts.source_name {
        Some(n) => e.with_file(n),
        None => e,
    })
}

/// [`import_results_from`] that also gives the source line of every figure, for a preview a
/// person checks against the file (`skytale submit --dry-run`). The same statements. Native
/// statements and NIST JSON (whose reader keeps no positions) give an empty [`Trace`].
pub fn import_results_traced<R: Read>(
    format: Format,
    input: R,
    def: &ValidDefinition,
    opts: &ImportOptions,
) -> Result<(Vec<ResultsStatement>, Trace), FormatError> {
    let run = || -> Result<(Vec<ResultsStatement>, Trace), FormatError> {
        if format == Format::Native {
            let bytes = read_whole(&mut source::Source::new(input, MAX_INPUT_BYTES as u64))?;
            return Ok((native(&bytes, opts)?, Trace::default()));
        }
        let (sheet, sha) = read_sheet_from(format, input, opts.mapping, true)?;
        let statements = sheet.import(def, opts, &sha)?;
        Ok((statements, sheet.trace(def, opts)?))
    };
    run().map_err(|e| match opts.source_name {
        Some(n) => e.with_file(n),
        None => e,
    })
}

/// The bytes after a UTF-8 byte-order mark, which some exporters write before JSON (serde
/// refuses it; line numbers are unchanged).
pub(crate) fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn native(bytes: &[u8], opts: &ImportOptions) -> Result<Vec<ResultsStatement>, FormatError> {
    let v: serde_json::Value =
        serde_json::from_slice(without_bom(bytes)).map_err(|e| FormatError::Syntax {
            at: Location {
                line: Some(e.line() as u64),
                column: Some(e.column() as u64),
                ..Location::default()
            },
            why: e.to_string(),
        })?;
    let items = match v {
        serde_json::Value::Array(a) => a,
        other => vec![other],
    };
    let sha = sha256_hex(bytes);
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            // A missing status would decode as `partial`: never guessed, refused.
            if item.is_object() && item.get("status").is_none() {
                return Err(FormatError::syntax(
                    Location::at_field(format!("[{i}]")),
                    "missing field `status` (one of partial, complete, certified)",
                ));
            }
            let mut st: ResultsStatement = serde_json::from_value(item).map_err(|e| {
                FormatError::syntax(
                    Location::at_field(format!("[{i}]")),
                    format!("not a results statement: {e}"),
                )
            })?;
            if st.election != opts.election {
                return Err(FormatError::invalid(
                    Location::at_field(format!("[{i}].election")),
                    format!(
                        "statement is for election {:?}, not {:?}",
                        st.election, opts.election
                    ),
                ));
            }
            st.check_counts().map_err(|r| {
                FormatError::invalid(
                    Location::at_field(format!("[{i}].{}", r.field.clone().unwrap_or_default())),
                    r.message,
                )
            })?;
            if st.source.is_none() {
                st.source = Some(skytale_model::SourceFile {
                    format: Format::Native.name().into(),
                    sha256: sha.clone(),
                    name: opts.source_name.map(str::to_string),
                });
            }
            Ok(st)
        })
        .collect()
}

/// `election create --from FILE`: derive a definition (geography, contests, selections,
/// parties as the file has them) and authorise `reporter` for all its units (root unit as scope).
pub fn derive_definition(
    format: Format,
    bytes: &[u8],
    election_id: &str,
    authority_key: VerifierKey,
    reporter_name: &str,
    reporter_key: VerifierKey,
) -> Result<Definition, FormatError> {
    derive_definition_with(
        format,
        bytes,
        election_id,
        authority_key,
        reporter_name,
        reporter_key,
        &DeriveOptions::default(),
    )
}

/// [`derive_definition`] with a date for files that state none, and a mapping for CSV layouts.
pub fn derive_definition_with(
    format: Format,
    bytes: &[u8],
    election_id: &str,
    authority_key: VerifierKey,
    reporter_name: &str,
    reporter_key: VerifierKey,
    opts: &DeriveOptions,
) -> Result<Definition, FormatError> {
    let sheet = read_sheet(format, bytes, opts.mapping, false)?;
    let def = sheet.derive(&sheet::DeriveParams {
        election_id,
        authority_key,
        reporter_name,
        reporter_key,
        date: opts.date,
        mapping: opts.mapping,
    })?;
    Ok(us_conventions(format, opts, def))
}

/// [`derive_definition_with`] reading from a stream (CSV record by record, see
/// [`import_results_from`]).
pub fn derive_definition_from<R: Read>(
    format: Format,
    input: R,
    election_id: &str,
    authority_key: VerifierKey,
    reporter_name: &str,
    reporter_key: VerifierKey,
    opts: &DeriveOptions,
) -> Result<Definition, FormatError> {
    let (sheet, _) = read_sheet_from(format, input, opts.mapping, false)?;
    let def = sheet.derive(&sheet::DeriveParams {
        election_id,
        authority_key,
        reporter_name,
        reporter_key,
        date: opts.date,
        mapping: opts.mapping,
    })?;
    Ok(us_conventions(format, opts, def))
}

/// Clarity is a U.S. system, and OpenElections' CSV (no mapping) U.S. results: an English
/// definition derived from them writes dates and numbers as the United States does, and its
/// contests are grouped by office level.
fn us_conventions(format: Format, opts: &DeriveOptions, mut def: Definition) -> Definition {
    let us = format == Format::ClarityXml || (format == Format::Csv && opts.mapping.is_none());
    if us && def.default_language == "en" {
        def.locale = Some("en-US".into());
        offices::group_by_office(&mut def);
    }
    def
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An endless CSV of distinct rows (a new precinct each), or endless bytes.
    struct Endless {
        row: u64,
        csv: bool,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let line = match (self.csv, self.row) {
                (false, _) => "<x>".to_string(),
                (true, 0) => "county,precinct,office,district,party,candidate,votes\n".into(),
                (true, n) => format!("A,P{n},Gov,,D,X,1\n"),
            };
            self.row += 1;
            let k = line.len().min(buf.len());
            buf[..k].copy_from_slice(&line.as_bytes()[..k]);
            Ok(k)
        }
    }

    #[test]
    fn streams_past_the_size_limit_are_refused_as_such() {
        for (format, csv) in [(Format::Csv, true), (Format::ClarityXml, false)] {
            let e = read_sheet_limited(format, Endless { row: 0, csv }, None, 100_000, false)
                .err()
                .unwrap();
            assert!(
                matches!(e, FormatError::TooLarge { limit: 100_000, .. }),
                "{format}: {e}"
            );
        }
    }

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>().unwrap(), f);
        }
        let e = "xlsx".parse::<Format>().unwrap_err().to_string();
        assert!(e.contains("nist-json") && e.contains("clarity-xml"), "{e}");
    }

    #[test]
    fn detects() {
        let detect = |bytes: &[u8]| Format::detect(bytes).ok();
        assert_eq!(
            detect(b"<?xml version=\"1.0\"?>\n<ElectionResult>"),
            Some(Format::ClarityXml)
        );
        assert_eq!(
            detect(b"<ElectionReport xmlns=\"http://itl.nist.gov/ns/voting/1500-100/v2\">"),
            Some(Format::NistXml)
        );
        assert_eq!(
            detect(b"{\"@type\": \"ElectionResults.ElectionReport\""),
            Some(Format::NistJson)
        );
        assert_eq!(
            detect(b"{\"election\": \"x\", \"unit\": \"y\"}"),
            Some(Format::Native)
        );
        assert_eq!(detect(b"county,precinct,office"), Some(Format::Csv));
        assert_eq!(detect(b"\x00\x01"), None);
    }

    /// A native file that misses its unit is still native (its contests say so), so the error
    /// names the missing field instead of "cannot tell its format".
    #[test]
    fn a_native_file_without_its_unit_is_told_native() {
        let text = br#"{"version": 1, "status": "complete", "contests": [{"contest": "mayor", "selections": {"a": {"total": 1}}}]}"#;
        assert_eq!(Format::detect(&text[..]).ok(), Some(Format::Native));
    }

    /// A native statement without `status` is refused, never read as partial.
    #[test]
    fn a_native_statement_without_status_is_refused() {
        let opts = ImportOptions {
            election: "e",
            version: 1,
            submitted_at: "2026-11-25T20:00:00Z",
            status: ReportStatus::Partial,
            mapping: None,
            source_name: None,
        };
        let with = br#"[{"election": "e", "unit": "u", "version": 1, "status": "complete", "submitted_at": "2026-11-25T20:00:00Z", "contests": []}]"#;
        assert!(native(with, &opts).is_ok());
        let without = String::from_utf8_lossy(with).replace(r#""status": "complete", "#, "");
        let e = native(without.as_bytes(), &opts).unwrap_err().to_string();
        assert!(e.contains("missing field `status`"), "{e}");
    }
}
