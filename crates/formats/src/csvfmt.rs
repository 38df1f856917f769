//! CSV results: the OpenElections column layout, and other layouts described by the mapping's
//! `[csv]` section.
//!
//! OpenElections: `county, precinct, office, district, party, candidate, votes` plus optional
//! vote-type columns whose names the built-in table knows (`election_day[_votes]`,
//! `advance[d]_voting_votes`, `absentee_by_mail_votes`, `absentee`, `mail`, `provisional[_votes]`
//! …) or the mapping's `[count_types]` names. Header names are matched case-insensitively.
//! The geography is every column `geography` recognises (state, county, town, ward, precinct
//! and their usual spellings), not only county and precinct: a row's unit is the path through
//! them, so a precinct code shared by several towns is several units.
//!
//! Deliberate handling of real files:
//! - encoding: UTF-8, or Latin-1 (windows-1252) when the layout says so or when the bytes are not
//!   UTF-8 (decided at the first non-UTF-8 field, since the file streams; a file whose earlier
//!   fields were non-ASCII UTF-8 is refused as mixing encodings);
//! - a row's vote-type cells are its counts; `votes` must then equal their sum (else an error
//!   naming the line); with all vote-type cells empty, `votes` is the `total`. Columns the
//!   tables do not know (e.g. Centre County's always-empty `federal`) are ignored, which the
//!   sum check makes safe: a column that carried votes would break it;
//! - counts may have thousands separators (`1,569`);
//! - pseudo-offices `Registered Voters` (→ the unit's registered voters), `Ballots Cast`,
//!   `Ballots Cast Blank` are not contests;
//! - pseudo-candidates: `Over Votes`/`Under Votes` → over/undervotes, `Blank(s)` → blank,
//!   `Total Votes (Cast)`, `Registered Voters`, `Ballots Cast` are skipped (they repeat totals);
//! - `Write-In: <name>` and `Not Assigned` rows break the `Write-ins` row down: they are not
//!   votes of their own, and must add up to it (else an error); without a `Write-ins` row,
//!   their sum becomes it;
//! - names: see `norm` (bilingual `Governor/Gobernador`, `Raphael Warnock (I) (Dem)`, case,
//!   trailing spaces); a contest name may end in `(Vote For N)`, which sets votes allowed;
//! - a unit, contest and candidate given twice is an error (duplicated rows).
//!
//! Streaming and speed: the file is read record by record (`csvrec`), never whole. Every name
//! cell is looked up by its raw bytes, the last row's answer first (files are sorted, so most
//! rows repeat it), and decoded, normalised and classified only the first time a spelling is
//! seen; counts are parsed from the bytes. Limits: [`MAX_FIELD_BYTES`] per used field,
//! [`MAX_ROWS`], `csvrec`'s record size and field count, and the caller's input size limit.

use std::borrow::Cow;
use std::io::{BufRead, Read};

use foldhash::{HashMap, HashMapExt};

use skytale_model::CountType;

use crate::csvrec::Records;
use crate::error::{FormatError, Location};
use crate::geography::{self, GeoColumn, UnitPaths};
use crate::mapping::{builtin_count_type, CsvLayout};
use crate::norm::{candidate_key, check_max, norm_key, parse_count};
use crate::sheet::{Other, Sheet};
use crate::{Format, Mapping};

/// Longest CSV field, in bytes.
pub const MAX_FIELD_BYTES: usize = 4096;
/// Most rows in one file.
pub const MAX_ROWS: u64 = 100_000_000;

struct Cols {
    /// The geography columns, outermost first (`geography`).
    geography: Vec<GeoColumn>,
    office: usize,
    district: Option<usize>,
    party: Option<usize>,
    candidate: usize,
    votes: Option<usize>,
    types: Vec<(usize, CountType)>,
    over: Option<usize>,
    under: Option<usize>,
    ignore_offices: Vec<String>,
    ignore_candidates: Vec<String>,
}

fn find(headers: &[String], name: &str) -> Option<usize> {
    let n = norm_key(name);
    headers.iter().position(|h| norm_key(h) == n)
}

fn columns(
    headers: &[String],
    layout: Option<&CsvLayout>,
    mapping: Option<&Mapping>,
) -> Result<Cols, FormatError> {
    let need = |name: &str| {
        find(headers, name).ok_or_else(|| {
            FormatError::invalid(
                Location::line(1).field(name),
                format!(
                    "the header has no {name:?} column; columns are: {}",
                    headers.join(", ")
                ),
            )
        })
    };
    let opt = |name: &Option<String>| -> Result<Option<usize>, FormatError> {
        match name {
            Some(n) => need(n).map(Some),
            None => Ok(None),
        }
    };
    let mut cols = match layout {
        Some(l) => Cols {
            geography: geography::columns(headers, layout)?,
            office: need(&l.office)?,
            district: opt(&l.district)?,
            party: opt(&l.party)?,
            candidate: need(&l.candidate)?,
            votes: opt(&l.votes)?,
            types: l
                .count_columns
                .iter()
                .map(|(c, t)| need(c).map(|i| (i, *t)))
                .collect::<Result<_, _>>()?,
            over: opt(&l.overvotes)?,
            under: opt(&l.undervotes)?,
            ignore_offices: l.ignore_offices.iter().map(|s| norm_key(s)).collect(),
            ignore_candidates: l.ignore_candidates.iter().map(|s| norm_key(s)).collect(),
        },
        None => Cols {
            geography: geography::columns(headers, None)?,
            office: need("office")?,
            district: find(headers, "district"),
            party: find(headers, "party"),
            candidate: need("candidate")?,
            votes: find(headers, "votes"),
            types: Vec::new(),
            over: None,
            under: None,
            ignore_offices: Vec::new(),
            ignore_candidates: Vec::new(),
        },
    };
    if layout.is_none() {
        let mut known: Vec<Option<usize>> = vec![
            Some(cols.office),
            cols.district,
            cols.party,
            Some(cols.candidate),
            cols.votes,
        ];
        known.extend(cols.geography.iter().map(|g| Some(g.index)));
        for (i, h) in headers.iter().enumerate() {
            if known.contains(&Some(i)) {
                continue;
            }
            if let Some(t) = mapping
                .and_then(|m| m.count_type(h))
                .or_else(|| builtin_count_type(h))
            {
                cols.types.push((i, t));
            }
        }
    }
    if cols.votes.is_none() && cols.types.is_empty() {
        return Err(FormatError::invalid(
            Location::line(1),
            format!(
                "the header has neither a votes column nor vote-type columns; columns are: {}",
                headers.join(", ")
            ),
        ));
    }
    Ok(cols)
}

#[derive(Clone, Copy)]
enum Pseudo {
    Skip,
    Other(Other),
    WriteInDetail,
    WriteIns,
    Candidate,
}

fn classify(candidate: &str, cols: &Cols) -> Pseudo {
    let k = candidate_key(candidate);
    if cols.ignore_candidates.contains(&k) {
        return Pseudo::Skip;
    }
    match k.as_str() {
        "over votes" | "overvotes" | "over vote" => Pseudo::Other(Other::Overvotes),
        "under votes" | "undervotes" | "under vote" => Pseudo::Other(Other::Undervotes),
        "blank" | "blanks" | "blank votes" => Pseudo::Other(Other::Blank),
        "ballots cast" | "total ballots cast" => Pseudo::Other(Other::Ballots),
        "total votes" | "total votes cast" | "total" | "registered voters" | "times cast" => {
            Pseudo::Skip
        }
        "write-ins" | "write-in" | "write ins" | "write in" | "write-in totals" => Pseudo::WriteIns,
        "not assigned" => Pseudo::WriteInDetail,
        _ if k.starts_with("write-in:") || k.starts_with("write in:") => Pseudo::WriteInDetail,
        _ => Pseudo::Candidate,
    }
}

/// What an office cell means: worked out once per distinct spelling (a file repeats a few
/// hundred office names over millions of rows).
#[derive(Clone, Copy)]
enum Office {
    /// `Registered Voters`: the unit's registered voters.
    Registered,
    /// Turnout pseudo-offices and the layout's `ignore_offices`.
    Ignored,
    /// A contest; `Some(n)` when the name ends in `(Vote For n)`.
    Contest(Option<u32>),
}

fn office_kind(office_raw: &str, cols: &Cols) -> Office {
    let k = norm_key(crate::norm::office_display(office_raw).as_str());
    if cols.ignore_offices.contains(&k) {
        return Office::Ignored;
    }
    match k.as_str() {
        "registered voters" => Office::Registered,
        "ballots cast" | "ballots cast blank" | "total ballots cast" | "ballots" | "voters"
        | "turnout" => Office::Ignored,
        _ => Office::Contest(vote_for(office_raw).1),
    }
}

/// `Presidential Electors (Vote For 1)` → (`Presidential Electors`, 1).
fn vote_for(office: &str) -> (&str, Option<u32>) {
    let t = office.trim_end();
    if let Some(open) = t.rfind('(') {
        let inner = t[open + 1..].trim_end_matches(')');
        let lower = inner.to_ascii_lowercase();
        if let Some(n) = lower.strip_prefix("vote for ") {
            if let Ok(n) = n.trim().parse::<u32>() {
                if t.ends_with(')') {
                    return (t[..open].trim_end(), Some(n));
                }
            }
        }
    }
    (office, None)
}

/// How cell bytes become text: UTF-8, or windows-1252 when the layout says so or when the
/// bytes are not UTF-8. A stream cannot look ahead, so an undeclared file switches to
/// windows-1252 at its first non-UTF-8 field; that is exact while every field decoded before
/// was ASCII (the same text in both), and refused otherwise (the file mixes encodings).
struct Decoder {
    /// `Some(false)`: declared UTF-8 (other bytes are an error).
    declared_utf8: bool,
    latin1: bool,
    /// First line of an undeclared file with a non-ASCII UTF-8 field.
    utf8_seen: Option<u64>,
}

impl Decoder {
    fn new(layout: Option<&CsvLayout>) -> Decoder {
        let declared = layout.and_then(|l| l.encoding.as_deref()).map(|e| {
            let e = e.to_ascii_lowercase();
            e == "utf-8" || e == "utf8"
        });
        Decoder {
            declared_utf8: declared == Some(true),
            latin1: declared == Some(false),
            utf8_seen: None,
        }
    }

    fn text<'a>(&mut self, b: &'a [u8], at: Location) -> Result<Cow<'a, str>, FormatError> {
        if self.latin1 {
            return Ok(encoding_rs::WINDOWS_1252.decode_without_bom_handling(b).0);
        }
        match std::str::from_utf8(b) {
            Ok(s) => {
                if self.utf8_seen.is_none() && !s.is_ascii() {
                    self.utf8_seen = at.line;
                }
                Ok(Cow::Borrowed(s))
            }
            Err(e) if self.declared_utf8 => Err(FormatError::syntax(
                at,
                format!("the file is declared UTF-8 but is not: {e}"),
            )),
            Err(_) => match self.utf8_seen {
                Some(first) => Err(FormatError::syntax(
                    at,
                    format!("this field is not UTF-8, but line {first} is: the file mixes encodings; name its encoding in the mapping's [csv] section"),
                )),
                None => {
                    self.latin1 = true;
                    Ok(encoding_rs::WINDOWS_1252.decode_without_bom_handling(b).0)
                }
            },
        }
    }
}

/// The input without a UTF-8 byte order mark.
fn skip_bom<R: BufRead>(mut input: R) -> Result<impl BufRead, FormatError> {
    let mut head = Vec::with_capacity(3);
    while head.len() < 3 {
        let buf = input
            .fill_buf()
            .map_err(|e| FormatError::syntax(Location::line(1), format!("cannot read: {e}")))?;
        if buf.is_empty() {
            break;
        }
        let n = (3 - head.len()).min(buf.len());
        head.extend_from_slice(&buf[..n]);
        input.consume(n);
    }
    if head == b"\xEF\xBB\xBF" {
        head.clear();
    }
    Ok(std::io::Cursor::new(head).chain(input))
}

/// A memo from a column's raw bytes to what they mean, with the last row's answer in front: files
/// come sorted, so most rows repeat the last row's county, office, candidate and party, and a
/// byte comparison answers them without hashing.
struct Memo<T: Copy> {
    last: Vec<u8>,
    last_value: Option<T>,
    map: HashMap<Box<[u8]>, T>,
}

impl<T: Copy> Memo<T> {
    fn new() -> Self {
        Memo {
            last: Vec::new(),
            last_value: None,
            map: HashMap::new(),
        }
    }

    fn get(
        &mut self,
        raw: &[u8],
        f: impl FnOnce(&[u8]) -> Result<T, FormatError>,
    ) -> Result<T, FormatError> {
        if let Some(v) = self.last_value {
            if self.last == raw {
                return Ok(v);
            }
        }
        let v = match self.map.get(raw) {
            Some(v) => *v,
            None => {
                let v = f(raw)?;
                self.map.insert(Box::from(raw), v);
                v
            }
        };
        self.last.clear();
        self.last.extend_from_slice(raw);
        self.last_value = Some(v);
        Ok(v)
    }
}

/// What a candidate row's name cells (office, district, party, candidate) came to.
#[derive(Clone, Copy)]
struct Names {
    office: Office,
    kind: Pseudo,
    contest: usize,
    party: Option<usize>,
    selection: usize,
}

/// The last candidate row's name cells and what they came to. Files come sorted, so most rows
/// repeat them and differ only by precinct: one comparison of those cells' bytes (side by side
/// in the record, from the first name column to the last) then stands for the office,
/// candidate, contest, party and selection look-ups, each of which compared its own cell. The
/// answer depends on nothing but those bytes: a sheet never renames what it has numbered.
struct NameRun {
    /// First and last name column.
    lo: usize,
    hi: usize,
    bytes: Vec<u8>,
    /// Where each field from `lo` to `hi` ends, from the start of field `lo`.
    ends: Vec<usize>,
    names: Option<Names>,
}

impl NameRun {
    fn new(cols: &Cols) -> NameRun {
        let name_cols = [
            Some(cols.office),
            Some(cols.candidate),
            cols.district,
            cols.party,
        ];
        let used = name_cols.iter().flatten();
        NameRun {
            lo: used.clone().copied().min().unwrap_or(0),
            hi: used.copied().max().unwrap_or(0),
            bytes: Vec::new(),
            ends: Vec::new(),
            names: None,
        }
    }

    /// What the current record's names come to, if they are the last candidate row's.
    fn get<R: BufRead>(&self, rec: &Records<R>) -> Option<Names> {
        let names = self.names?;
        let (bytes, ends, base) = rec.span(self.lo, self.hi)?;
        let same = ends.len() == self.ends.len()
            && ends.iter().zip(&self.ends).all(|(e, s)| e - base == *s)
            && bytes == self.bytes.as_slice();
        same.then_some(names)
    }

    /// Remembers what the current record's names came to.
    fn remember<R: BufRead>(&mut self, rec: &Records<R>, names: Names) {
        self.names = None;
        if let Some((bytes, ends, base)) = rec.span(self.lo, self.hi) {
            self.bytes.clear();
            self.bytes.extend_from_slice(bytes);
            self.ends.clear();
            self.ends.extend(ends.iter().map(|e| e - base));
            self.names = Some(names);
        }
    }
}

/// A candidate row's selection as the file names it.
struct SelRow<'a> {
    contest: usize,
    /// The candidate cell.
    raw: &'a [u8],
    kind: Pseudo,
    party: Option<usize>,
    line: u64,
}

/// Per contest: candidate spelling → selection, with the last answer in front.
#[derive(Default)]
struct SelTable {
    by_contest: Vec<HashMap<Box<[u8]>, usize>>,
    last: Option<(usize, Vec<u8>, usize)>,
    /// Per contest: its `Write-ins` selection.
    write_ins: HashMap<usize, usize>,
}

impl SelTable {
    /// The selection of `row`, added to the sheet the first time its spelling is met.
    fn get(
        &mut self,
        sheet: &mut Sheet,
        dec: &mut Decoder,
        row: &SelRow,
        at: impl Fn() -> Location,
    ) -> Result<usize, FormatError> {
        let c = row.contest;
        if let Some((lc, raw, s)) = &self.last {
            if *lc == c && raw == row.raw {
                return Ok(*s);
            }
        }
        if self.by_contest.len() <= c {
            self.by_contest.resize_with(c + 1, HashMap::new);
        }
        let s = match self.by_contest[c].get(row.raw) {
            Some(&s) => s,
            None => {
                let s = if matches!(row.kind, Pseudo::WriteIns) {
                    let s = sheet.selection(c, "Write-ins", None, row.line)?;
                    self.write_ins.insert(c, s);
                    s
                } else {
                    let name = dec.text(row.raw, at())?;
                    sheet.selection(c, &name, row.party, row.line)?
                };
                self.by_contest[c].insert(Box::from(row.raw), s);
                s
            }
        };
        self.last = Some((c, row.raw.to_vec(), s));
        Ok(s)
    }
}

/// A table keyed by a cell's raw bytes.
type ByRaw<T> = HashMap<Box<[u8]>, T>;

/// Reads a CSV file from `input` into a sheet, one record at a time (the file is never held
/// whole; memory grows with its distinct units, contests and figures, not its bytes).
pub(crate) fn read<R: BufRead>(
    input: R,
    mapping: Option<&Mapping>,
    trace: bool,
) -> Result<Sheet, FormatError> {
    let layout = mapping.and_then(Mapping::csv_layout);
    let mut dec = Decoder::new(layout);
    let mut rec = Records::new(skip_bom(input)?);
    let mut headers: Vec<String> = Vec::new();
    if rec.next()? {
        for i in 0..rec.len() {
            let at = Location::line(rec.line());
            headers.push(dec.text(rec.get(i).unwrap_or_default(), at)?.into_owned());
        }
    }
    let cols = columns(&headers, layout, mapping)?;
    let mut sheet = Sheet::new(Format::Csv).traced(trace);
    // (unit, contest) → per-type sums of write-in detail rows, first line.
    let mut detail: HashMap<(usize, usize), ([u64; 5], u64)> = HashMap::new();
    let mut rows = 0u64;
    let mut parts: Vec<(CountType, u64)> = Vec::with_capacity(8);
    let mut offices: Memo<Office> = Memo::new();
    let mut units = UnitPaths::new(cols.geography.clone());
    // Office spelling → district spelling → contest.
    let mut contests: HashMap<Box<[u8]>, ByRaw<usize>> = HashMap::new();
    let mut last_contest: Option<(Vec<u8>, Vec<u8>, usize)> = None;
    let mut kinds: Memo<Pseudo> = Memo::new();
    // Per contest: candidate spelling → selection.
    let mut sels = SelTable::default();
    let mut parties: Memo<Option<usize>> = Memo::new();
    let mut names = NameRun::new(&cols);
    while rec.next()? {
        rows += 1;
        if rows > MAX_ROWS {
            return Err(FormatError::TooLarge {
                at: Location::line(rec.line()),
                what: "the number of rows",
                limit: MAX_ROWS,
            });
        }
        let line = rec.line();
        let at = |i: usize| Location::line(line).field(headers.get(i).cloned().unwrap_or_default());
        let cell = |i: Option<usize>| -> Result<&[u8], FormatError> {
            let v = i.and_then(|i| rec.get(i)).unwrap_or_default();
            if v.len() > MAX_FIELD_BYTES {
                return Err(FormatError::TooLarge {
                    at: at(i.unwrap_or(0)),
                    what: "the length of a field",
                    limit: MAX_FIELD_BYTES as u64,
                });
            }
            Ok(v)
        };
        // All fields blank (their concatenation is then blank too).
        match rec.bytes().trim_ascii_start().first() {
            None => continue,
            Some(b) if !b.is_ascii() => {
                if dec
                    .text(rec.bytes(), Location::line(line))?
                    .trim()
                    .is_empty()
                {
                    continue;
                }
            }
            Some(_) => {}
        }
        let office_raw = cell(Some(cols.office))?;
        let candidate_raw = cell(Some(cols.candidate))?;
        // The last candidate row's names, if this row repeats them.
        let run = names.get(&rec);
        let office = match run {
            Some(n) => n.office,
            None => offices.get(office_raw, |o| {
                Ok(office_kind(&dec.text(o, at(cols.office))?, &cols))
            })?,
        };
        // Figures of the row.
        parts.clear();
        for &(i, t) in &cols.types {
            if let Some(v) = count(&mut dec, cell(Some(i))?, || at(i))? {
                match parts.iter_mut().find(|(pt, _)| *pt == t) {
                    Some(p) => p.1 = p.1.saturating_add(v),
                    None => parts.push((t, v)),
                }
            }
        }
        let votes = match cols.votes {
            Some(i) => count(&mut dec, cell(Some(i))?, || at(i))?,
            None => None,
        };
        let parts_sum: u64 = parts.iter().map(|p| p.1).sum();
        if let (Some(v), false) = (votes, parts.is_empty()) {
            if v != parts_sum {
                let names: Vec<&str> = cols
                    .types
                    .iter()
                    .map(|(i, _)| headers[*i].as_str())
                    .collect();
                return Err(FormatError::invalid(
                    at(cols.votes.unwrap_or(0)),
                    format!(
                        "votes is {v} but the vote-type columns ({}) add up to {parts_sum}",
                        names.join(", ")
                    ),
                ));
            }
        }
        let total = votes.or((!parts.is_empty()).then_some(parts_sum));
        // The unit: the path through the row's geography cells.
        let unit = units.unit(
            &mut sheet,
            line,
            |i| cell(Some(i)),
            |raw, i| Ok(dec.text(raw, at(i))?.into_owned()),
        )?;
        // Pseudo-offices.
        let vf = match office {
            Office::Registered => {
                if let Some(v) = total {
                    sheet.units[unit].registered = Some(v);
                }
                continue;
            }
            Office::Ignored => continue,
            Office::Contest(vf) => vf,
        };
        let kind = match run {
            Some(n) => n.kind,
            None => kinds.get(candidate_raw, |k| {
                Ok(classify(&dec.text(k, at(cols.candidate))?, &cols))
            })?,
        };
        if matches!(kind, Pseudo::Skip) {
            continue;
        }
        let district_raw = match run {
            Some(_) => &[][..],
            None => cell(cols.district)?,
        };
        // Rows come grouped by contest: the last row's contest is the usual answer.
        let c = match (run, &last_contest) {
            (Some(n), _) => n.contest,
            (None, Some((o, d, c))) if o == office_raw && d == district_raw => *c,
            _ => {
                let c = match contests.get(office_raw).and_then(|m| m.get(district_raw)) {
                    Some(&c) => c,
                    None => {
                        let office = dec.text(office_raw, at(cols.office))?;
                        let office = match vf {
                            Some(_) => vote_for(&office).0.to_string(),
                            None => office.into_owned(),
                        };
                        let district = dec.text(district_raw, at(cols.district.unwrap_or(0)))?;
                        let c = sheet.contest(&office, &district, line)?;
                        contests
                            .entry(Box::from(office_raw))
                            .or_default()
                            .insert(Box::from(district_raw), c);
                        c
                    }
                };
                last_contest = Some((office_raw.to_vec(), district_raw.to_vec(), c));
                c
            }
        };
        if let Some(n) = vf {
            sheet.contests[c].votes_allowed = n.max(1);
        }
        // Per-row contest figures of other layouts (repeated on every row of the contest).
        for (col, o) in [
            (cols.over, Other::Overvotes),
            (cols.under, Other::Undervotes),
        ] {
            if let Some(i) = col {
                if let Some(v) = count(&mut dec, cell(Some(i))?, || at(i))? {
                    sheet.add_other(unit, c, o, v, line, false)?;
                }
            }
        }
        let only_total;
        let row_parts: &[(CountType, u64)] = if parts.is_empty() {
            match votes {
                Some(v) => {
                    only_total = [(CountType::Total, v)];
                    &only_total
                }
                None => {
                    let candidate = dec.text(candidate_raw, at(cols.candidate))?;
                    let office = dec.text(office_raw, at(cols.office))?;
                    return Err(FormatError::invalid(
                        Location::line(line),
                        format!("the row for {candidate:?} in {office:?} has no vote figure"),
                    ));
                }
            }
        } else {
            &parts
        };
        match kind {
            Pseudo::Skip => {}
            Pseudo::Other(o) => sheet.add_other(unit, c, o, total.unwrap_or(0), line, false)?,
            Pseudo::WriteInDetail => {
                let e = detail.entry((unit, c)).or_insert(([0; 5], line));
                for &(t, v) in row_parts {
                    let i = CountType::ALL.iter().position(|x| *x == t).unwrap_or(4);
                    e.0[i] = e.0[i].saturating_add(v);
                }
            }
            Pseudo::WriteIns | Pseudo::Candidate => {
                let (party, s) = match run {
                    Some(n) => (n.party, n.selection),
                    None => {
                        let party = match cols.party {
                            Some(i) => parties.get(cell(Some(i))?, |raw| {
                                let code = dec.text(raw, at(i))?;
                                Ok(match code.trim() {
                                    "" => None,
                                    code => sheet.party(code),
                                })
                            })?,
                            None => None,
                        };
                        let row = SelRow {
                            contest: c,
                            raw: candidate_raw,
                            kind,
                            party,
                            line,
                        };
                        let s = sels.get(&mut sheet, &mut dec, &row, || at(cols.candidate))?;
                        names.remember(
                            &rec,
                            Names {
                                office,
                                kind,
                                contest: c,
                                party,
                                selection: s,
                            },
                        );
                        (party, s)
                    }
                };
                // A selection takes the first party a row gives it (`sheet.selection`'s rule).
                if matches!(kind, Pseudo::Candidate) {
                    let sel = &mut sheet.contests[c].selections[s];
                    if sel.party.is_none() {
                        sel.party = party;
                    }
                }
                sheet.add_parts(unit, c, s, row_parts, line, false)?;
            }
        }
    }
    // Write-in detail rows against their Write-ins row.
    let mut keys: Vec<(usize, usize)> = detail.keys().copied().collect();
    keys.sort_unstable();
    for k in keys {
        let (sums, line) = detail[&k];
        let (u, c) = k;
        let given = sels.write_ins.get(&c).and_then(|&s| {
            sheet
                .cells
                .get(&(u, c))
                .and_then(|cell| cell.sel.get(s))
                .copied()
        });
        match given {
            Some(row) => {
                let total: u64 = row.values().map(|v| v.get()).sum();
                let detail_total: u64 = sums.iter().sum();
                if total != detail_total {
                    return Err(FormatError::invalid(
                        Location::line(line),
                        format!(
                            "the write-in detail rows (Write-In: …, Not Assigned) of {:?} in {:?} add up to {detail_total}, but its Write-ins row says {total}",
                            sheet.contests[c].name.display, sheet.units[u].name.display
                        ),
                    ));
                }
            }
            None => {
                let s = sheet.selection(c, "Write-ins", None, line)?;
                for (i, v) in sums.iter().enumerate() {
                    if *v > 0 || i == 4 {
                        sheet.add(u, c, s, CountType::ALL[i], *v, line, true)?;
                    }
                }
            }
        }
    }
    if sheet.units.is_empty() {
        return Err(FormatError::invalid(
            Location::line(1),
            "the file has no data rows",
        ));
    }
    Ok(sheet)
}

/// A vote count cell: plain digits without decoding, anything else through `parse_count`.
fn count(
    dec: &mut Decoder,
    b: &[u8],
    at: impl Fn() -> Location,
) -> Result<Option<u64>, FormatError> {
    // Plain digits (nearly every cell): no decoding, no trimming (15 digits cannot overflow; the
    // model's limit is applied by `check_max`).
    if !b.is_empty() && b.len() <= 15 && b.iter().all(u8::is_ascii_digit) {
        let v = b
            .iter()
            .fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0'));
        return check_max(v, at);
    }
    let s = dec.text(b, at())?;
    parse_count(&s, at)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vote_for_suffix() {
        assert_eq!(
            vote_for("Presidential Electors (Vote For 1)"),
            ("Presidential Electors", Some(1))
        );
        assert_eq!(vote_for("Regent (Vote for 2) "), ("Regent", Some(2)));
        assert_eq!(vote_for("Question (A)"), ("Question (A)", None));
    }

    #[test]
    fn totals_must_match_parts() {
        let csv = "county,precinct,office,district,party,candidate,votes,election_day,mail\nA,P1,Gov,,D,X,10,4,5\n";
        let e = read(csv.as_bytes(), None, false).unwrap_err();
        assert_eq!(e.location().unwrap().line, Some(2));
        assert!(e.to_string().contains("add up to 9"), "{e}");
    }

    #[test]
    fn duplicate_rows_are_refused() {
        let csv = "county,precinct,office,district,party,candidate,votes\nA,P1,Gov,,D,X,10\nA,P1,Gov,,D,X ,10\n";
        let e = read(csv.as_bytes(), None, false).unwrap_err();
        assert_eq!(e.location().unwrap().line, Some(3), "{e}");
    }

    /// Rows repeating the last row's names take its answer; cells whose bytes run together the
    /// same way but split differently (`AB`,`C` and `A`,`BC`) are other names.
    #[test]
    fn repeated_names_are_recognised_by_their_cells() {
        let csv = "county,precinct,office,district,party,candidate,votes\nA,P1,AB,C,D,X,1\nA,P2,AB,C,D,X,2\nA,P1,A,BC,D,X,3\nA,P2,A,BC,D,X,4\nA,P3,A,BC,,X,5\n";
        let s = read(csv.as_bytes(), None, false).unwrap();
        let names: Vec<&str> = s.contests.iter().map(|c| c.name.display.as_str()).collect();
        assert_eq!(names, vec!["AB, C", "A, BC"]);
        let total = |p: &str, c: usize| {
            let u = s.units.iter().position(|u| u.name.display == p).unwrap();
            s.cells
                .get(&(u, c))
                .and_then(|cell| cell.sel.get(0))
                .and_then(|f| f.get(&CountType::Total).map(|v| v.get()))
        };
        assert_eq!(
            [
                total("P1", 0),
                total("P2", 0),
                total("P1", 1),
                total("P2", 1),
                total("P3", 1)
            ],
            [Some(1), Some(2), Some(3), Some(4), Some(5)]
        );
        assert_eq!(
            s.contests[1].selections[0].party,
            s.contests[0].selections[0].party
        );
    }

    #[test]
    fn write_in_details_must_add_up() {
        let ok = "county,precinct,office,district,party,candidate,votes\nA,P1,Gov,,,Write-ins,3\nA,P1,Gov,,,Write-In: Z,2\nA,P1,Gov,,,Not Assigned,1\n";
        let s = read(ok.as_bytes(), None, false).unwrap();
        assert_eq!(s.contests[0].selections.len(), 1);
        let bad = "county,precinct,office,district,party,candidate,votes\nA,P1,Gov,,,Write-ins,3\nA,P1,Gov,,,Write-In: Z,1\n";
        assert!(read(bad.as_bytes(), None, false).is_err());
    }
}
