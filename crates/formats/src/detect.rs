//! Telling a file's format from its structure rather than from words in its first bytes.
//!
//! Exporters write the same document in many shapes: JSON keys in any order (NIST's own
//! examples put `@type` last, after an `Election` tens of thousands of lines long; a tool that
//! sorts keys puts it first), pretty-printed or not, after a byte-order mark or a blank line. So
//! detection reads what decides, as a stream, and stops as soon as it knows:
//! - **XML**: the root element's local name and namespace (`ElectionReport` in NIST SP
//!   1500-100 v2's namespace, or in none → nist-xml; `ElectionResult` → clarity-xml; `EML` in
//!   OASIS EML's namespace whose `Id` is `510a`–`510d` → eml510).
//! - **JSON**: the top-level keys, skipping their values without building them (`@type`
//!   `ElectionResults.ElectionReport` or a key only an `ElectionReport` has → nist-json;
//!   `election`, `unit`, `contests`, `submitted_at` or `type: results` → native; an array
//!   whose first item is such a statement, or an empty array → native).
//! - **CSV**: a header row of at least two comma-separated columns.
//!
//! When nothing fits, the error says what was seen (the root element, the first keys, the first
//! line), so the caller can name the format instead.

use std::fmt::{self, Write as _};
use std::io::{BufRead, BufReader, Read};

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::eml::{is_count_id, EML_NAMESPACE};
use crate::error::{FormatError, Location};
use crate::export::CDF_NAMESPACE;
use crate::Format;

/// The `@type` of a NIST SP 1500-100 v2 report in JSON.
const NIST_REPORT_TYPE: &str = "ElectionResults.ElectionReport";

/// Top-level keys that only a NIST `ElectionReport` has (its generic ones, `Format`, `Status`,
/// `Notes`, `Header`, `ExternalIdentifier`, are not enough on their own).
const NIST_REPORT_KEYS: &[&str] = &[
    "Election",
    "GeneratedDate",
    "GpUnit",
    "IsTest",
    "Issuer",
    "IssuerAbbreviation",
    "Office",
    "OfficeGroup",
    "Party",
    "Person",
    "SequenceEnd",
    "SequenceStart",
    "TestType",
    "VendorApplicationId",
];

/// Keys that make an object one of our results statements. A file may leave `election` out
/// (it is filled in) or miss `unit` by mistake; its other fields still say what it is, so the
/// error becomes the missing field rather than an unknown format.
const NATIVE_KEYS: &[&str] = &["election", "unit", "contests", "submitted_at"];

/// Keys named in an error about an object that fits nothing.
const KEYS_SHOWN: usize = 8;
/// Characters of a first line shown in an error.
const LINE_SHOWN: usize = 80;
/// Buffer of the detection reader.
const BUFFER: usize = 1 << 16;

/// Reads as much of `input` as it takes to tell its format (see the module doc). The input is
/// consumed: a caller that imports afterwards reads the file again from its start.
pub(crate) fn detect<R: Read>(input: R) -> Result<Format, FormatError> {
    let mut input = BufReader::with_capacity(BUFFER, input);
    let skipped_lines = skip_bom_and_white_space(&mut input)?;
    let first = input.fill_buf().map_err(cannot_read)?.first().copied();
    match first {
        None => Err(undetected("an empty file (nothing but white space)")),
        Some(b'<') => xml_root(input),
        Some(b'{' | b'[') => json_keys(input, skipped_lines),
        Some(_) => csv_header(input),
    }
}

fn undetected(seen: impl Into<String>) -> FormatError {
    FormatError::Undetected {
        at: Location::default(),
        seen: seen.into(),
    }
}

fn cannot_read(e: std::io::Error) -> FormatError {
    FormatError::syntax(Location::default(), format!("cannot read: {e}"))
}

/// Consumes a UTF-8 byte-order mark and the white space after it; returns the line ends passed
/// (so that JSON errors keep the file's line numbers).
fn skip_bom_and_white_space<R: BufRead>(input: &mut R) -> Result<u64, FormatError> {
    if input
        .fill_buf()
        .map_err(cannot_read)?
        .starts_with(b"\xEF\xBB\xBF")
    {
        input.consume(3);
    }
    let mut lines = 0;
    loop {
        let buf = input.fill_buf().map_err(cannot_read)?;
        if buf.is_empty() {
            return Ok(lines);
        }
        let n = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        let done = n < buf.len();
        input.consume(n);
        if done {
            return Ok(lines);
        }
    }
}

fn xml_root<R: BufRead>(input: R) -> Result<Format, FormatError> {
    let mut reader = NsReader::from_reader(input);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let (ns, event) = reader.read_resolved_event_into(&mut buf).map_err(|e| {
            undetected(format!(
                "XML that is malformed before its root element ({e})"
            ))
        })?;
        let start = match event {
            Event::Start(e) | Event::Empty(e) => e,
            Event::Eof => return Err(undetected("XML without a root element")),
            _ => continue,
        };
        let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
        let namespace = match ns {
            ResolveResult::Bound(n) => Some(String::from_utf8_lossy(n.as_ref()).into_owned()),
            ResolveResult::Unbound | ResolveResult::Unknown(_) => None,
        };
        if name == "EML" && matches!(namespace.as_deref(), Some(EML_NAMESPACE) | None) {
            return eml_document(&start);
        }
        return match (name.as_str(), namespace.as_deref()) {
            ("ElectionReport", Some(CDF_NAMESPACE) | None) => Ok(Format::NistXml),
            ("ElectionResult", None) => Ok(Format::ClarityXml),
            ("ElectionReport", Some(other)) => Err(undetected(format!(
                "XML whose root element is <ElectionReport> in namespace {other:?}, not NIST SP 1500-100 v2's {CDF_NAMESPACE:?}"
            ))),
            (_, Some(ns)) => Err(undetected(format!(
                "XML whose root element is <{name}> in namespace {ns:?}"
            ))),
            (_, None) => Err(undetected(format!(
                "XML whose root element is <{name}> (no namespace)"
            ))),
        };
    }
}

/// An `<EML>` root: which EML_NL document its `Id` says it is. Only counts (`510a`–`510d`) are
/// read; the others are named, so the error says what the file is.
fn eml_document(start: &quick_xml::events::BytesStart) -> Result<Format, FormatError> {
    let id = start
        .try_get_attribute("Id")
        .ok()
        .flatten()
        .map(|a| String::from_utf8_lossy(&a.value).trim().to_string());
    let Some(id) = id else {
        return Err(undetected(
            "an EML document without an Id (510a–510d would be a count)",
        ));
    };
    if is_count_id(&id) {
        return Ok(Format::Eml510);
    }
    let what = match id.as_str() {
        "520" => "a result (520), not a count (510)",
        "110a" | "110b" => "an election definition or polling stations (110), not a count (510)",
        "210" | "230b" | "230c" => "a nomination or candidate lists (2xx), not a count (510)",
        _ => "not a count (510a–510d)",
    };
    Err(undetected(format!(
        "an EML document with Id {id:?}: {what}"
    )))
}

/// What the first keys of a JSON object show.
enum Verdict {
    Nist,
    Native,
    /// Decided that it is neither (e.g. another `@type`): the description.
    Neither(String),
}

/// What the JSON walk found; filled in by [`Look`] as it goes, read once it stops.
#[derive(Default)]
struct Peek {
    verdict: Option<Verdict>,
    /// Keys of the object looked at, in file order (the first few are named in errors).
    keys: Vec<String>,
    /// What the value looked at is when it is not an object: "a string", "an array"…
    other: Option<&'static str>,
}

impl Peek {
    fn keys_named(&self) -> String {
        let mut s = String::new();
        for (i, k) in self.keys.iter().take(KEYS_SHOWN).enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            let _ = write!(s, "{k:?}");
        }
        if self.keys.len() > KEYS_SHOWN {
            let _ = write!(s, " and {} more", self.keys.len() - KEYS_SHOWN);
        }
        s
    }
}

/// Walks one JSON value: an object's keys until one decides, values skipped unread.
struct Look<'a> {
    peek: &'a mut Peek,
    /// The top-level value (an array there is looked into; an array in an array is not).
    top: bool,
}

/// The walk's way of stopping the parser once it knows: the verdict is in [`Peek`].
const STOP: &str = "format decided";

impl<'de> DeserializeSeed<'de> for Look<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Look<'_> {
    fn other<E: de::Error>(self, what: &'static str) -> Result<(), E> {
        self.peek.other = Some(what);
        Ok(())
    }

    fn decide<E: de::Error>(self, verdict: Verdict) -> Result<(), E> {
        self.peek.verdict = Some(verdict);
        Err(E::custom(STOP))
    }
}

impl<'de> Visitor<'de> for Look<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object or array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let verdict = match key.as_str() {
                "@type" | "type" => {
                    let value: serde_json::Value = map.next_value()?;
                    match (key.as_str(), value.as_str()) {
                        ("@type", Some(NIST_REPORT_TYPE)) => Some(Verdict::Nist),
                        ("@type", Some(t)) => Some(Verdict::Neither(format!(
                            "a JSON object with \"@type\": {t:?}, not {NIST_REPORT_TYPE:?}"
                        ))),
                        ("type", Some("results")) => Some(Verdict::Native),
                        _ => None,
                    }
                }
                k if NIST_REPORT_KEYS.contains(&k) => Some(Verdict::Nist),
                k if NATIVE_KEYS.contains(&k) => Some(Verdict::Native),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    None
                }
            };
            self.peek.keys.push(key);
            if let Some(v) = verdict {
                return self.decide(v);
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if !self.top {
            return self.other("an array");
        }
        let item = seq.next_element_seed(Look {
            peek: &mut *self.peek,
            top: false,
        });
        match (item, self.peek.verdict.take()) {
            // An empty array: no statements, which the native reader says itself.
            (Ok(None), _) => self.decide(Verdict::Native),
            (_, Some(Verdict::Native)) => self.decide(Verdict::Native),
            (_, Some(Verdict::Nist)) => self.decide(Verdict::Neither(
                "a JSON array of NIST SP 1500-100 reports (a report is one JSON object)".into(),
            )),
            (_, Some(Verdict::Neither(why))) => self.decide(Verdict::Neither(format!(
                "a JSON array whose first item is {why}"
            ))),
            (Err(e), None) => Err(e),
            (Ok(Some(())), None) => {
                let what = match self.peek.other {
                    Some(other) => other.to_string(),
                    None if self.peek.keys.is_empty() => "an empty object".into(),
                    None => format!("an object with the keys {}", self.peek.keys_named()),
                };
                self.decide(Verdict::Neither(format!(
                    "a JSON array whose first item is {what}, not a results statement"
                )))
            }
        }
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.other("a boolean")
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.other("a number")
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.other("a number")
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.other("a number")
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.other("a string")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.other("null")
    }
}

fn json_keys<R: BufRead>(input: R, skipped_lines: u64) -> Result<Format, FormatError> {
    let mut peek = Peek::default();
    let mut de = serde_json::Deserializer::from_reader(input);
    let walked = Look {
        peek: &mut peek,
        top: true,
    }
    .deserialize(&mut de);
    match (peek.verdict.take(), walked) {
        (Some(Verdict::Nist), _) => Ok(Format::NistJson),
        (Some(Verdict::Native), _) => Ok(Format::Native),
        (Some(Verdict::Neither(seen)), _) => Err(undetected(seen)),
        (None, Err(e)) => {
            let after = if peek.keys.is_empty() {
                String::new()
            } else {
                format!(" after the keys {}", peek.keys_named())
            };
            Err(undetected(format!(
                "JSON that is malformed at line {}, column {}{after} ({e})",
                e.line() as u64 + skipped_lines,
                e.column()
            )))
        }
        (None, Ok(())) if peek.keys.is_empty() => Err(undetected("an empty JSON object")),
        (None, Ok(())) => Err(undetected(format!(
            "a JSON object with the keys {}, none of them a NIST SP 1500-100 report's or a results statement's",
            peek.keys_named()
        ))),
    }
}

fn csv_header<R: BufRead>(input: R) -> Result<Format, FormatError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut header = csv::ByteRecord::new();
    match reader.read_byte_record(&mut header) {
        Ok(true) => {}
        Ok(false) => return Err(undetected("an empty file (nothing but white space)")),
        Err(e) => return Err(undetected(format!("text that is not CSV ({e})"))),
    }
    let text: Vec<u8> = header.as_slice().to_vec();
    if text
        .iter()
        .any(|&b| b == 0 || (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n')))
    {
        let first: Vec<String> = text.iter().take(8).map(|b| format!("{b:02x}")).collect();
        return Err(undetected(format!(
            "binary data, not text (it starts with the bytes {})",
            first.join(" ")
        )));
    }
    if header.len() >= 2 {
        return Ok(Format::Csv);
    }
    let line: String = String::from_utf8_lossy(header.get(0).unwrap_or_default())
        .chars()
        .take(LINE_SHOWN)
        .collect();
    Err(undetected(format!(
        "text whose first line {line:?} is not a CSV header (one column; a results CSV has at least office, candidate and votes)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(bytes: &[u8]) -> String {
        match detect(bytes) {
            Err(FormatError::Undetected { seen, .. }) => seen,
            other => panic!("expected no format, got {other:?}"),
        }
    }

    #[test]
    fn xml_by_root_element_and_namespace() {
        let nist = format!(
            "\u{feff}\n<?xml version=\"1.0\"?>\n<!-- made by hand -->\n<ElectionReport xmlns=\"{CDF_NAMESPACE}\"/>"
        );
        assert_eq!(detect(nist.as_bytes()).unwrap(), Format::NistXml);
        let prefixed = format!("<cdf:ElectionReport xmlns:cdf=\"{CDF_NAMESPACE}\">");
        assert_eq!(detect(prefixed.as_bytes()).unwrap(), Format::NistXml);
        assert_eq!(
            detect(&b"<ElectionReport><Election/>"[..]).unwrap(),
            Format::NistXml
        );
        assert_eq!(
            detect(&b"<?xml version=\"1.0\"?><ElectionResult><Timestamp/>"[..]).unwrap(),
            Format::ClarityXml
        );
        let s = seen(b"<CastVoteRecordReport xmlns=\"http://itl.nist.gov/ns/voting/1500-103/v1\">");
        assert!(
            s.contains("<CastVoteRecordReport>") && s.contains("1500-103"),
            "{s}"
        );
        let s = seen(b"<ElectionReport xmlns=\"http://itl.nist.gov/ns/voting/1500-100/v1\">");
        assert!(s.contains("1500-100/v1") && s.contains("not NIST"), "{s}");
        assert!(seen(b"<?xml version=\"1.0\"?>").contains("without a root"));
    }

    #[test]
    fn eml_by_its_document_id() {
        let eml = |id: &str| {
            format!("<?xml version=\"1.0\"?>\n<EML xmlns=\"{EML_NAMESPACE}\" Id=\"{id}\" SchemaVersion=\"5\">")
        };
        for id in ["510a", "510b", "510c", "510d"] {
            assert_eq!(detect(eml(id).as_bytes()).unwrap(), Format::Eml510, "{id}");
        }
        assert!(seen(eml("520").as_bytes()).contains("a result (520)"));
        assert!(seen(eml("230b").as_bytes()).contains("candidate lists"));
        assert!(seen(eml("999").as_bytes()).contains("\"999\": not a count"));
        assert!(
            seen(format!("<EML xmlns=\"{EML_NAMESPACE}\">").as_bytes()).contains("without an Id")
        );
        let s = seen(b"<EML xmlns=\"urn:example\" Id=\"510b\">");
        assert!(s.contains("<EML> in namespace \"urn:example\""), "{s}");
    }

    #[test]
    fn json_by_its_top_level_keys_in_any_order() {
        let late_type = br#"{"Format": "summary-contest", "Status": "x", "@type": "ElectionResults.ElectionReport"}"#;
        assert_eq!(detect(&late_type[..]).unwrap(), Format::NistJson);
        let election_first = b"\n\n{ \"Election\": [ {\"@type\": \"ElectionResults.Election\"} ] ";
        assert_eq!(
            detect(&election_first[..]).unwrap(),
            Format::NistJson,
            "decided at the first key, the rest never read"
        );
        let native = br#"{"contests": [], "status": "complete"}"#;
        assert_eq!(detect(&native[..]).unwrap(), Format::Native);
        let typed = br#"{"status": "complete", "type": "results", "version": 2}"#;
        assert_eq!(detect(&typed[..]).unwrap(), Format::Native);
        assert_eq!(
            detect(&b"[{\"status\": \"partial\", \"unit\": \"p1\"}]"[..]).unwrap(),
            Format::Native
        );
        assert_eq!(detect(&b" [ ] "[..]).unwrap(), Format::Native);
    }

    #[test]
    fn json_that_fits_nothing_is_described() {
        let s = seen(br#"{"Format": "x", "Notes": "y", "count": 3}"#);
        assert!(s.contains(r#""Format", "Notes", "count""#), "{s}");
        let s = seen(br#"{"@type": "CVR.CastVoteRecordReport", "CVR": []}"#);
        assert!(s.contains("CVR.CastVoteRecordReport"), "{s}");
        let s = seen(b"[1, 2]");
        assert!(s.contains("first item is a number"), "{s}");
        let s = seen(br#"[{"Election": []}]"#);
        assert!(s.contains("array of NIST"), "{s}");
        let s = seen(b"\n\n{\"a\": 1, \"b\": ");
        assert!(s.contains("line 3") && s.contains(r#""a""#), "{s}");
        assert!(seen(b"{}").contains("empty JSON object"));
    }

    #[test]
    fn csv_by_its_header_row() {
        assert_eq!(
            detect(&b"\xEF\xBB\xBFcounty,precinct,office,candidate,votes\r\n"[..]).unwrap(),
            Format::Csv
        );
        assert_eq!(
            detect(&b"\"Contest Title\",\"Choice\nName\",Votes"[..]).unwrap(),
            Format::Csv
        );
        let s = seen(b"just a line of prose\nand another");
        assert!(s.contains("\"just a line of prose\""), "{s}");
        assert!(seen(b"PK\x03\x04\x14\x00").contains("50 4b 03 04"));
        assert!(seen(b" \n\t").contains("empty file"));
    }
}
