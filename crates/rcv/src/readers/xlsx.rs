//! A streaming reader of an `.xlsx` workbook's first worksheet, row by row, in one pass.
//!
//! Why not calamine's `worksheet_range`: it builds the whole sheet as owned cells (an allocation
//! per string cell), spends thousands of instructions per cell on attribute handling, and does
//! not report `<row>` elements without cells, which RCTab (Apache POI's event API) counts as
//! blank ballots; that forced a second decompress-and-parse pass over the sheet. Here the sheet
//! is inflated once (on a helper thread, in pieces, so memory stays bounded) and parsed once
//! as it arrives, every `<row>` element is reported (empty or not), and string cells point at
//! the shared-string table by index, so a reader can interpret each distinct string once.
//!
//! Cell values follow what calamine gave the ES&S reader before: shared and inline strings
//! (rich-text runs concatenated, phonetic runs left out), `str` and `d` as their text, booleans
//! as `TRUE`/`FALSE`, numbers as written in `<v>` (the reader formats them), errors and cells
//! without a value as absent. Number formats (dates) are not applied: a CVR's rankings are
//! text, and only a date-styled number in a ranking column would read differently.

use std::io::{BufReader, Read};
use std::path::Path;

use quick_xml::events::{BytesStart, Event};

use crate::RcvError;

/// Most bytes inflated from one part of the workbook (zip-bomb guard).
pub const MAX_PART_BYTES: u64 = 16 * 1024 * 1024 * 1024;
/// Most shared strings accepted.
pub const MAX_SHARED_STRINGS: usize = 50_000_000;
/// Most cells in one row.
pub const MAX_CELLS_PER_ROW: usize = 100_000;

/// A cell's value, as stored in a [`Row`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellValue {
    /// Index into [`Sheet::shared_strings`].
    Shared(u32),
    /// Text held in the row (byte range of [`Row::text`]): inline strings, `str`, dates, booleans.
    Text(u32, u32),
    /// A number as written in `<v>` (byte range of [`Row::text`]).
    Number(u32, u32),
}

/// One `<row>` element of the sheet.
#[derive(Debug, Default)]
pub struct Row {
    /// 0-based row number (`r` attribute, or one past the previous row).
    pub index: u32,
    /// Cells with a value, by ascending 0-based column; a later duplicate column wins.
    pub cells: Vec<(u32, CellValue)>,
    /// Backing text of [`CellValue::Text`] and [`CellValue::Number`].
    pub text: String,
}

impl Row {
    /// The text of a `Text` or `Number` value (empty for `Shared`).
    pub fn str_of(&self, v: CellValue) -> &str {
        match v {
            CellValue::Text(s, e) | CellValue::Number(s, e) => {
                self.text.get(s as usize..e as usize).unwrap_or("")
            }
            CellValue::Shared(_) => "",
        }
    }
}

/// The first worksheet of a workbook, located and its shared strings read.
pub struct Sheet {
    /// The shared-string table (`xl/sharedStrings.xml`), one entry per `<si>`.
    pub shared_strings: Vec<String>,
    path: std::path::PathBuf,
    part: String,
    zip: zip::ZipArchive<BufReader<Box<dyn super::files::Input>>>,
}

impl std::fmt::Debug for Sheet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sheet")
            .field("path", &self.path)
            .field("part", &self.part)
            .field("shared_strings", &self.shared_strings.len())
            .finish()
    }
}

fn attr<'e>(e: &'e BytesStart<'_>, key: &[u8]) -> Option<std::borrow::Cow<'e, [u8]>> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.as_ref() == key || a.key.local_name().as_ref() == key)
        .map(|a| a.value)
}

fn attr_string(e: &BytesStart<'_>, key: &[u8]) -> Option<String> {
    attr(e, key).map(|v| String::from_utf8_lossy(&v).into_owned())
}

/// Column and row of an A1-style reference, 0-based (`None` if it is not one).
fn parse_ref(r: &[u8]) -> Option<(u32, Option<u32>)> {
    let letters = r.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let (l, d) = r.split_at(letters);
    let mut col: u32 = 0;
    for &b in l {
        col = col
            .checked_mul(26)?
            .checked_add((b.to_ascii_uppercase() - b'A') as u32 + 1)?;
    }
    let mut row: u32 = 0;
    if d.is_empty() {
        return None;
    }
    for &b in d {
        if !b.is_ascii_digit() {
            return None;
        }
        row = row.checked_mul(10)?.checked_add((b - b'0') as u32)?;
    }
    Some((row.checked_sub(1)?, col.checked_sub(1)))
}

fn sheet_err(path: &Path, part: &str, row: Option<u32>, why: impl std::fmt::Display) -> RcvError {
    RcvError::Cvr {
        path: path.to_path_buf(),
        row: row.map(|r| r as u64 + 1),
        column: None,
        why: format!("{part}: {why}"),
    }
}

impl Sheet {
    /// Opens the workbook `file` (read from `path`, which errors name), reads its shared
    /// strings and positions at the first worksheet's data.
    pub fn open(path: &Path, file: Box<dyn super::files::Input>) -> Result<Sheet, RcvError> {
        let zip_err = |why: String| RcvError::cvr(path, None, why);
        let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| {
            zip_err(format!(
                "ES&S CVR files must be Excel workbooks (.xlsx): not a zip file: {e}"
            ))
        })?;
        let mut read_entry = |name: &str| -> Result<Option<String>, RcvError> {
            let entry = match zip.by_name(name) {
                Ok(e) => e,
                Err(zip::result::ZipError::FileNotFound) => return Ok(None),
                Err(e) => return Err(zip_err(format!("cannot read {name}: {e}"))),
            };
            let mut s = String::new();
            entry
                .take(MAX_PART_BYTES)
                .read_to_string(&mut s)
                .map_err(|e| zip_err(format!("cannot read {name}: {e}")))?;
            Ok(Some(s))
        };
        // First sheet of the workbook, then its part name through the relationships.
        let workbook = read_entry("xl/workbook.xml")?
            .ok_or_else(|| zip_err("not an xlsx workbook: no xl/workbook.xml".into()))?;
        let mut rd = quick_xml::Reader::from_str(&workbook);
        let mut rid = None;
        loop {
            match rd.read_event() {
                Ok(Event::Start(e)) | Ok(Event::Empty(e))
                    if e.local_name().as_ref() == b"sheet" =>
                {
                    rid = attr_string(&e, b"r:id").or_else(|| attr_string(&e, b"id"));
                    break;
                }
                Ok(Event::Eof) => break,
                Err(e) => return Err(zip_err(format!("xl/workbook.xml: {e}"))),
                _ => {}
            }
        }
        let rid = rid.ok_or_else(|| zip_err("workbook has no sheet".into()))?;
        let rels = read_entry("xl/_rels/workbook.xml.rels")?
            .ok_or_else(|| zip_err("missing xl/_rels/workbook.xml.rels".into()))?;
        let mut rd = quick_xml::Reader::from_str(&rels);
        let mut target = None;
        loop {
            match rd.read_event() {
                Ok(Event::Start(e)) | Ok(Event::Empty(e))
                    if e.local_name().as_ref() == b"Relationship"
                        && attr_string(&e, b"Id").as_deref() == Some(rid.as_str()) =>
                {
                    target = attr_string(&e, b"Target");
                    break;
                }
                Ok(Event::Eof) => break,
                Err(e) => return Err(zip_err(format!("xl/_rels/workbook.xml.rels: {e}"))),
                _ => {}
            }
        }
        let target = target.ok_or_else(|| zip_err(format!("no relationship {rid}")))?;
        let part = match target.strip_prefix('/') {
            Some(abs) => abs.to_string(),
            None => format!("xl/{target}"),
        };
        let shared_strings = match read_entry("xl/sharedStrings.xml")? {
            Some(xml) => read_shared_strings(&xml)
                .map_err(|why| zip_err(format!("xl/sharedStrings.xml: {why}")))?,
            None => Vec::new(),
        };
        Ok(Sheet {
            shared_strings,
            path: path.to_path_buf(),
            part,
            zip,
        })
    }

    /// Calls `each` for every `<row>` element in file order, with its cells and the
    /// shared-string table.
    pub fn for_each_row(
        &mut self,
        mut each: impl FnMut(&Row, &[String]) -> Result<(), RcvError>,
    ) -> Result<(), RcvError> {
        let Sheet {
            shared_strings,
            path,
            part,
            zip,
        } = self;
        let path: &Path = path;
        let part: &str = part;
        if zip.index_for_name(part).is_none() {
            return Err(RcvError::cvr(path, None, format!("missing {part}")));
        }
        // Inflating is a tenth of the work: a helper thread does it, this one parses.
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel(INFLATED_IN_FLIGHT);
            let (recycle_tx, recycle_rx) = std::sync::mpsc::channel();
            scope.spawn(move || inflate(zip, part, tx, recycle_rx));
            parse_sheet(rx, recycle_tx, path, part, shared_strings, &mut each)
        })
    }
}

/// Bytes of inflated sheet gathered before a piece is cut and handed to the parsing thread.
const INFLATED_PIECE: usize = 1 << 18;
/// Pieces inflated ahead of the parser (bounds memory).
const INFLATED_IN_FLIGHT: usize = 4;

/// The inflating stage: sends the sheet part's bytes in pieces that end just after a `</row>`,
/// then an error if one occurs.
///
/// Each piece is parsed as a slice (no copying of events), with the parser's own state
/// carried from piece to piece, so a piece must not end inside markup. Outside comments,
/// CDATA sections and processing instructions, XML allows no literal `<` in text or attribute
/// values, so a `</row>` is an end tag. Once a comment, CDATA or processing instruction (other
/// than the XML declaration) is seen, no further cut is made: the rest is one piece.
fn inflate(
    zip: &mut zip::ZipArchive<BufReader<Box<dyn super::files::Input>>>,
    part: &str,
    tx: std::sync::mpsc::SyncSender<std::io::Result<Vec<u8>>>,
    recycle: std::sync::mpsc::Receiver<Vec<u8>>,
) {
    let entry = match zip.by_name(part) {
        Ok(e) => e,
        Err(e) => {
            let _ = tx.send(Err(std::io::Error::other(e)));
            return;
        }
    };
    let mut entry = entry.take(MAX_PART_BYTES);
    let mut pending: Vec<u8> = Vec::new();
    // Bytes of `pending` already checked for `<!` and `<?`.
    let mut scanned = 0usize;
    let mut can_cut = true;
    let mut at_start = true;
    // Bytes of `pending` already searched for `</row>` without finding one.
    let mut searched = 0usize;
    loop {
        let got = match (&mut entry)
            .take(INFLATED_PIECE as u64)
            .read_to_end(&mut pending)
        {
            Ok(n) => n,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        if got == 0 {
            if !pending.is_empty() {
                let _ = tx.send(Ok(pending));
            }
            return;
        }
        if at_start {
            at_start = false;
            if pending.starts_with(b"<?xml") {
                if let Some(end) = memchr::memmem::find(&pending, b"?>") {
                    scanned = end + 2;
                }
            }
        }
        if can_cut {
            let from = scanned.saturating_sub(1);
            let region = &pending[from..];
            if memchr::memmem::find(region, b"<!").is_some()
                || memchr::memmem::find(region, b"<?").is_some()
            {
                can_cut = false;
            }
            scanned = pending.len();
        }
        if !can_cut || pending.len() < INFLATED_PIECE {
            continue;
        }
        let from = searched.saturating_sub(b"</row>".len());
        searched = pending.len();
        if let Some(p) = memchr::memmem::rfind(&pending[from..], b"</row>") {
            let cut = from + p + b"</row>".len();
            searched = 0;
            let mut rest = recycle.try_recv().unwrap_or_default();
            rest.clear();
            rest.extend_from_slice(&pending[cut..]);
            pending.truncate(cut);
            scanned -= cut;
            if tx.send(Ok(std::mem::replace(&mut pending, rest))).is_err() {
                // The parser stopped (it failed and says why).
                return;
            }
        }
    }
}

/// Parses the sheet XML arriving in pieces (see [`inflate`]), calling `each` for every `<row>`.
fn parse_sheet(
    pieces: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    recycle: std::sync::mpsc::Sender<Vec<u8>>,
    path: &Path,
    part: &str,
    shared_strings: &[String],
    each: &mut impl FnMut(&Row, &[String]) -> Result<(), RcvError>,
) -> Result<(), RcvError> {
    let err = |row: Option<u32>, why: String| sheet_err(path, part, row, why);
    let mut row = Row::default();
    let mut next_row: u32 = 0;
    let mut in_row = false;
    let mut next_col: u32 = 0;
    // The cell being read: column, type attribute.
    let mut cell: Option<(u32, CellType)> = None;
    // What element's text is being collected (v, or t inside is).
    let mut collect = Collect::None;
    let mut in_is = false;
    let mut rich = false;
    let mut phonetic = false;
    let mut value_start: u32 = 0;
    let mut has_value = false;
    for piece in pieces {
        let piece = piece.map_err(|e| err(None, e.to_string()))?;
        let mut xml = quick_xml::Reader::from_reader(piece.as_slice());
        // A piece starts inside the document: end tags of elements opened in earlier pieces.
        xml.config_mut().check_end_names = false;
        xml.config_mut().allow_unmatched_ends = true;
        loop {
            let ev = xml
                .read_event()
                .map_err(|e| err(in_row.then_some(row.index), e.to_string()))?;
            match ev {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let empty = matches!(ev, Event::Empty(_));
                    match e.local_name().as_ref() {
                        b"row" => {
                            let idx = match attr(e, b"r") {
                                Some(v) => std::str::from_utf8(&v)
                                    .ok()
                                    .and_then(|s| s.trim().parse::<u32>().ok())
                                    .and_then(|r| r.checked_sub(1))
                                    .ok_or_else(|| {
                                        err(None, "a <row> has an invalid r attribute".into())
                                    })?,
                                None => next_row,
                            };
                            row.index = idx;
                            row.cells.clear();
                            row.text.clear();
                            next_row = idx.saturating_add(1);
                            next_col = 0;
                            if empty {
                                each(&row, shared_strings)?;
                            } else {
                                in_row = true;
                            }
                        }
                        b"c" if in_row => {
                            let mut col = next_col;
                            let mut typ = CellType::Number;
                            for a in e.attributes().with_checks(false) {
                                let a = a.map_err(|e| err(Some(row.index), e.to_string()))?;
                                match a.key.as_ref() {
                                    b"r" => {
                                        col = parse_ref(&a.value).and_then(|(_, c)| c).ok_or_else(
                                            || {
                                                err(
                                                    Some(row.index),
                                                    "a cell has an invalid r attribute".into(),
                                                )
                                            },
                                        )?;
                                    }
                                    b"t" => {
                                        typ = CellType::from_attr(&a.value).ok_or_else(|| {
                                            err(
                                                Some(row.index),
                                                format!(
                                                    "unknown cell type {:?}",
                                                    String::from_utf8_lossy(&a.value)
                                                ),
                                            )
                                        })?;
                                    }
                                    _ => {}
                                }
                            }
                            next_col = col.saturating_add(1);
                            if !empty {
                                cell = Some((col, typ));
                                has_value = false;
                                value_start = row.text.len() as u32;
                            }
                        }
                        b"v" if cell.is_some() && !empty => {
                            // A later <v> replaces an earlier value (as in calamine).
                            row.text.truncate(value_start as usize);
                            has_value = true;
                            collect = Collect::Value;
                        }
                        b"is" if cell.is_some() && !empty => {
                            row.text.truncate(value_start as usize);
                            has_value = true;
                            in_is = true;
                            rich = false;
                            phonetic = false;
                        }
                        b"r" if in_is => rich = true,
                        b"rPh" if in_is && !empty => phonetic = true,
                        b"t" if in_is && !phonetic && !empty => collect = Collect::Text,
                        _ => {}
                    }
                }
                Event::Text(t) if collect != Collect::None => {
                    if memchr::memchr(b'&', &t).is_none() {
                        // Nothing to unescape (the usual `<v>12</v>`).
                        let s = std::str::from_utf8(&t)
                            .map_err(|e| err(Some(row.index), e.to_string()))?;
                        row.text.push_str(s);
                    } else {
                        let s = t
                            .decode()
                            .map_err(|e| err(Some(row.index), e.to_string()))?;
                        row.text.push_str(&s);
                    }
                }
                Event::GeneralRef(r) if collect != Collect::None => {
                    let s = super::xml::entity(&r).map_err(|e| err(Some(row.index), e))?;
                    row.text.push_str(&s);
                }
                Event::CData(t) if collect != Collect::None => {
                    row.text.push_str(&String::from_utf8_lossy(&t));
                }
                Event::End(ref e) => match e.local_name().as_ref() {
                    b"v" => collect = Collect::None,
                    b"t" if in_is => {
                        collect = Collect::None;
                        // A plain (non-rich) inline string is its first <t> alone.
                        if !rich {
                            phonetic = true;
                        }
                    }
                    b"rPh" if in_is => phonetic = false,
                    b"is" => in_is = false,
                    b"c" => {
                        if let Some((col, typ)) = cell.take() {
                            collect = Collect::None;
                            in_is = false;
                            if has_value {
                                push_cell(
                                    &mut row,
                                    col,
                                    typ,
                                    value_start,
                                    shared_strings.len(),
                                    &err,
                                )?;
                            }
                        }
                    }
                    b"row" if in_row => {
                        in_row = false;
                        if row.cells.windows(2).any(|w| w[0].0 >= w[1].0) {
                            // Out of order or repeated columns: order them, the last one wins.
                            let mut cells = std::mem::take(&mut row.cells);
                            cells.reverse();
                            cells.sort_by_key(|c| c.0);
                            cells.dedup_by_key(|c| c.0);
                            row.cells = cells;
                        }
                        each(&row, shared_strings)?;
                    }
                    b"sheetData" => return Ok(()),
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        // The inflater may be done; then the buffer is simply dropped.
        let _ = recycle.send(piece);
    }
    Ok(())
}

/// Adds a finished cell's value to `row` (its text starts at `start` of `row.text`).
fn push_cell(
    row: &mut Row,
    col: u32,
    typ: CellType,
    start: u32,
    n_shared: usize,
    err: &dyn Fn(Option<u32>, String) -> RcvError,
) -> Result<(), RcvError> {
    let end = row.text.len() as u32;
    let value = match typ {
        CellType::Shared => {
            let s = row.text.get(start as usize..).unwrap_or("").trim();
            let i: u32 = s.parse().map_err(|_| {
                err(
                    Some(row.index),
                    format!("shared-string index {s:?} is not a number"),
                )
            })?;
            if i as usize >= n_shared {
                return Err(err(
                    Some(row.index),
                    format!(
                        "shared-string index {i} out of range ({} strings)",
                        n_shared
                    ),
                ));
            }
            row.text.truncate(start as usize);
            CellValue::Shared(i)
        }
        CellType::Bool => {
            let b = row.text.get(start as usize..).unwrap_or("") != "0";
            row.text.truncate(start as usize);
            row.text.push_str(if b { "TRUE" } else { "FALSE" });
            CellValue::Text(start, row.text.len() as u32)
        }
        CellType::Error => {
            row.text.truncate(start as usize);
            return Ok(());
        }
        CellType::Text => CellValue::Text(start, end),
        CellType::Number => {
            let s = row.text.get(start as usize..).unwrap_or("");
            if s.is_empty() {
                return Ok(());
            }
            if s.parse::<f64>().is_ok() {
                CellValue::Number(start, end)
            } else {
                // calamine reads an untyped value that is not a number as text.
                CellValue::Text(start, end)
            }
        }
        CellType::NumberStrict => {
            let s = row.text.get(start as usize..).unwrap_or("");
            if s.is_empty() {
                return Ok(());
            }
            if s.parse::<f64>().is_err() {
                return Err(err(Some(row.index), format!("{s:?} is not a number")));
            }
            CellValue::Number(start, end)
        }
    };
    if row.cells.len() >= MAX_CELLS_PER_ROW {
        return Err(err(
            Some(row.index),
            format!("more than {MAX_CELLS_PER_ROW} cells in a row"),
        ));
    }
    row.cells.push((col, value));
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Collect {
    None,
    Value,
    Text,
}

/// The `t` attribute of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CellType {
    /// `s`: index into the shared strings.
    Shared,
    /// `b`.
    Bool,
    /// `e`: an error value; read as no value.
    Error,
    /// `str`, `d`, `inlineStr`: the text itself.
    Text,
    /// No `t`: a number, or text if it does not parse as one.
    Number,
    /// `n`: a number.
    NumberStrict,
}

impl CellType {
    fn from_attr(v: &[u8]) -> Option<CellType> {
        Some(match v {
            b"s" => CellType::Shared,
            b"b" => CellType::Bool,
            b"e" => CellType::Error,
            b"str" | b"d" | b"inlineStr" => CellType::Text,
            b"n" => CellType::NumberStrict,
            _ => return None,
        })
    }
}

/// Reads `xl/sharedStrings.xml`: one string per `<si>`, its rich-text runs concatenated and
/// phonetic (`<rPh>`) runs left out.
fn read_shared_strings(xml: &str) -> Result<Vec<String>, String> {
    let mut rd = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    let mut phonetic = false;
    let mut in_t = false;
    loop {
        match rd.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => match e.local_name().as_ref() {
                b"si" => {
                    cur = Some(String::new());
                    phonetic = false;
                }
                b"rPh" => phonetic = true,
                b"t" if cur.is_some() && !phonetic => in_t = true,
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == b"si" => {
                out.push(String::new());
            }
            Event::Text(t) if in_t => {
                if let Some(s) = cur.as_mut() {
                    s.push_str(&t.decode().map_err(|e| e.to_string())?);
                }
            }
            Event::GeneralRef(r) if in_t => {
                if let Some(s) = cur.as_mut() {
                    s.push_str(&super::xml::entity(&r)?);
                }
            }
            Event::CData(t) if in_t => {
                if let Some(s) = cur.as_mut() {
                    s.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => in_t = false,
                b"rPh" => phonetic = false,
                b"si" => {
                    if let Some(s) = cur.take() {
                        if out.len() >= MAX_SHARED_STRINGS {
                            return Err(format!("more than {MAX_SHARED_STRINGS} strings"));
                        }
                        out.push(s);
                    }
                }
                _ => {}
            },
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs() {
        assert_eq!(parse_ref(b"A1"), Some((0, Some(0))));
        assert_eq!(parse_ref(b"AB12"), Some((11, Some(27))));
        assert_eq!(parse_ref(b"12"), Some((11, None)));
        assert_eq!(parse_ref(b"A"), None);
        assert_eq!(parse_ref(b"A0"), None);
    }

    /// Writes a minimal workbook whose first sheet has `sheet_data` inside `<sheetData>`.
    fn workbook(dir: &Path, sheet_data: &str, shared: &str) -> std::path::PathBuf {
        use std::io::Write;
        let path = dir.join("t.xlsx");
        let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let parts = [
            ("xl/workbook.xml", r#"<workbook xmlns:r="rel"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
            ("xl/_rels/workbook.xml.rels", r#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
            ("xl/sharedStrings.xml", format!("<sst>{shared}</sst>")),
            ("xl/worksheets/sheet1.xml", format!("<worksheet><sheetData>{sheet_data}</sheetData></worksheet>")),
        ];
        for (name, body) in parts {
            z.start_file(name, opts).unwrap();
            z.write_all(body.as_bytes()).unwrap();
        }
        z.finish().unwrap();
        path
    }

    fn rows_of(path: &Path) -> Vec<(u32, Vec<(u32, String)>)> {
        let mut sheet = Sheet::open(path, Box::new(std::fs::File::open(path).unwrap())).unwrap();
        let mut out = Vec::new();
        sheet
            .for_each_row(|row, shared| {
                let cells = row
                    .cells
                    .iter()
                    .map(|&(c, v)| {
                        let text = match v {
                            CellValue::Shared(i) => format!("s:{}", shared[i as usize]),
                            CellValue::Text(..) => format!("t:{}", row.str_of(v)),
                            CellValue::Number(..) => format!("n:{}", row.str_of(v)),
                        };
                        (c, text)
                    })
                    .collect();
                out.push((row.index, cells));
                Ok(())
            })
            .unwrap();
        out
    }

    #[test]
    fn every_row_element_is_reported_with_its_cells() {
        let dir = tempfile::tempdir().unwrap();
        let data = concat!(
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><t>In &amp; line</t></is></c></row>"#,
            r#"<row r="2"/>"#,
            r#"<row r="3" spans="1:3"></row>"#,
            // No r attributes: row 4, columns A and B; a blank styled cell has no value.
            r#"<row><c><v>7</v></c><c t="b"><v>1</v></c><c s="2"/></row>"#,
            // Out of order and repeated columns: ordered, the last one wins.
            r#"<row r="9"><c r="C9" t="str"><v>c</v></c><c r="B9" t="s"><v>1</v></c><c r="C9" t="e"><v>#N/A</v></c><c r="C9" t="str"><v>c2</v></c></row>"#,
        );
        let path = workbook(
            dir.path(),
            data,
            "<si><t>Alice</t></si><si><r><t>B</t></r><r><t>ob</t></r></si>",
        );
        let rows = rows_of(&path);
        let t = |c: u32, s: &str| (c, s.to_string());
        assert_eq!(
            rows,
            vec![
                (0, vec![t(0, "s:Alice"), t(2, "t:In & line")]),
                (1, vec![]),
                (2, vec![]),
                (3, vec![t(0, "n:7"), t(1, "t:TRUE")]),
                (8, vec![t(1, "s:Bob"), t(2, "t:c2")]),
            ]
        );
    }

    #[test]
    fn a_sheet_cut_into_pieces_reads_whole_even_with_comments_and_cdata() {
        let dir = tempfile::tempdir().unwrap();
        let rows = 30_000u32;
        let body = |i: u32| {
            format!(
                r#"<row r="{}" spans="1:3"><c r="A{0}" t="s"><v>{}</v></c><c r="B{0}"><v>{}</v></c></row>"#,
                i + 1,
                i % 2,
                i
            )
        };
        let plain: String = (0..rows).map(body).collect();
        assert!(plain.len() > 4 * INFLATED_PIECE, "{}", plain.len());
        // A comment and a CDATA section holding a literal "</row>" part-way through: from
        // there on the sheet may not be cut, and must still read the same.
        let mid = (rows / 2) as usize;
        let tricky: String = (0..rows)
            .map(|i| {
                if i as usize == mid {
                    format!(
                        r#"<!-- </row> --><row r="{}"><c r="A{0}" t="inlineStr"><is><t><![CDATA[a</row>b]]></t></is></c></row>"#,
                        i + 1
                    )
                } else {
                    body(i)
                }
            })
            .collect();
        let shared = "<si><t>Alice</t></si><si><t>Bob</t></si>";
        let a = rows_of(&workbook(dir.path(), &plain, shared));
        assert_eq!(a.len(), rows as usize);
        for (i, (r, cells)) in a.iter().enumerate() {
            assert_eq!(*r, i as u32);
            let name = if i % 2 == 0 { "s:Alice" } else { "s:Bob" };
            assert_eq!(cells, &vec![(0, name.to_string()), (1, format!("n:{i}"))]);
        }
        let b = rows_of(&workbook(dir.path(), &tricky, shared));
        assert_eq!(b.len(), rows as usize);
        assert_eq!(b[mid].1, vec![(0, "t:a</row>b".to_string())]);
        assert_eq!(a[..mid], b[..mid]);
        assert_eq!(a[mid + 1..], b[mid + 1..]);
    }

    #[test]
    fn bad_shared_string_index_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = workbook(
            dir.path(),
            r#"<row r="1"><c r="A1" t="s"><v>5</v></c></row>"#,
            "<si><t>Alice</t></si>",
        );
        let mut sheet = Sheet::open(&path, Box::new(std::fs::File::open(&path).unwrap())).unwrap();
        let e = sheet.for_each_row(|_, _| Ok(())).unwrap_err().to_string();
        assert!(e.contains("row 1") && e.contains("out of range"), "{e}");
    }

    #[test]
    fn shared_strings_rich_and_phonetic() {
        let xml = r#"<sst><si><t>A &amp; B</t></si><si><r><t>C</t></r><r><t xml:space="preserve"> D</t></r><rPh><t>x</t></rPh></si><si/><si><t/></si></sst>"#;
        assert_eq!(
            read_shared_strings(xml).unwrap(),
            vec!["A & B".to_string(), "C D".into(), "".into(), "".into()]
        );
    }
}
