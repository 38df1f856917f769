//! CSV results: the OpenElections column layout, and other layouts described by the mapping's
//! `[csv]` section.
//!
//! OpenElections: `county, precinct, office, district, party, candidate, votes` plus optional
//! vote-type columns whose names the built-in table knows (`election_day[_votes]`,
//! `advance[d]_voting_votes`, `absentee_by_mail_votes`, `absentee`, `mail`, `provisional[_votes]`
//! …) or the mapping's `[count_types]` names. Header names are matched case-insensitively.
//!
//! Deliberate handling of real files:
//! - encoding: UTF-8, or Latin-1 (windows-1252) when the bytes are not UTF-8 or the layout says so;
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

use std::borrow::Cow;

use foldhash::{HashMap, HashMapExt};

use skytale_model::CountType;

use crate::error::{FormatError, Location};
use crate::mapping::{builtin_count_type, CsvLayout};
use crate::norm::{candidate_key, norm_key, parse_count};
use crate::sheet::{Other, Sheet};
use crate::{Format, Mapping};

/// Longest CSV field, in bytes.
pub const MAX_FIELD_BYTES: usize = 4096;
/// Most rows in one file.
pub const MAX_ROWS: u64 = 100_000_000;

struct Cols {
    county: Option<usize>,
    precinct: Option<usize>,
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
            county: opt(&l.county)?,
            precinct: opt(&l.precinct)?,
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
            county: find(headers, "county"),
            precinct: find(headers, "precinct"),
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
        let known: Vec<Option<usize>> = vec![
            cols.county,
            cols.precinct,
            Some(cols.office),
            cols.district,
            cols.party,
            Some(cols.candidate),
            cols.votes,
        ];
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

/// Memo of a per-spelling classification: one hash look-up per row instead of normalising.
struct Memo<T: Copy> {
    map: HashMap<Box<str>, T>,
}

impl<T: Copy> Memo<T> {
    fn new() -> Self {
        Memo {
            map: HashMap::new(),
        }
    }
    fn get(&mut self, raw: &str, f: impl FnOnce(&str) -> T) -> T {
        if let Some(v) = self.map.get(raw) {
            return *v;
        }
        let v = f(raw);
        self.map.insert(Box::from(raw), v);
        v
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

pub(crate) fn read(bytes: &[u8], mapping: Option<&Mapping>) -> Result<Sheet, FormatError> {
    let layout = mapping.and_then(Mapping::csv_layout);
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let latin1 = layout.and_then(|l| l.encoding.as_deref()).map(|e| {
        let e = e.to_ascii_lowercase();
        e != "utf-8" && e != "utf8"
    });
    let text: Cow<str> = match latin1 {
        Some(true) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
        _ => match std::str::from_utf8(bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(e) if latin1 == Some(false) => {
                return Err(FormatError::syntax(
                    Location::default(),
                    format!("the file is declared UTF-8 but is not: {e}"),
                ))
            }
            Err(_) => {
                encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(bytes)
                    .0
            }
        },
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let csv_err = |e: csv::Error| {
        let line = e.position().map(|p| p.line());
        FormatError::syntax(
            Location {
                line,
                ..Location::default()
            },
            format!("malformed CSV: {e}"),
        )
    };
    let headers: Vec<String> = rdr
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(str::to_string)
        .collect();
    let cols = columns(&headers, layout, mapping)?;
    let mut sheet = Sheet::new(Format::Csv);
    let mut rec = csv::StringRecord::new();
    let mut all_units: Option<usize> = None;
    // (unit, contest) → per-type sums of write-in detail rows, first line.
    let mut detail: HashMap<(usize, usize), ([u64; 5], u64)> = HashMap::new();
    let mut write_in_sel: HashMap<usize, usize> = HashMap::new();
    let mut rows = 0u64;
    let (mut last_byte, mut last_line) = (0usize, 1u64);
    let mut parts: Vec<(CountType, u64)> = Vec::with_capacity(8);
    let mut offices: Memo<Office> = Memo::new();
    let mut last_contest: Option<(String, String, usize)> = None;
    let mut last_county: Option<(String, usize)> = None;
    let mut candidates: Memo<Pseudo> = Memo::new();
    let mut parties: HashMap<Box<str>, Option<usize>> = HashMap::new();
    while rdr.read_record(&mut rec).map_err(csv_err)? {
        rows += 1;
        if rows > MAX_ROWS {
            return Err(FormatError::TooLarge {
                at: Location::default(),
                what: "the number of rows",
                limit: MAX_ROWS,
            });
        }
        // Line numbers counted from byte offsets (exact also after quoted newlines).
        let mut byte = rec
            .position()
            .map(|p| p.byte() as usize)
            .unwrap_or(last_byte)
            .min(text.len());
        // With CRLF endings the csv reader places a record at the `\n` of the previous line's `\r\n`.
        while matches!(text.as_bytes().get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        if byte > last_byte {
            last_line += memchr_count(&text.as_bytes()[last_byte..byte]);
            last_byte = byte;
        }
        let line = last_line;
        let cell = |i: Option<usize>| -> Result<&str, FormatError> {
            let v = i.and_then(|i| rec.get(i)).unwrap_or("");
            if v.len() > MAX_FIELD_BYTES {
                return Err(FormatError::TooLarge {
                    at: Location::line(line).field(headers[i.unwrap_or(0)].clone()),
                    what: "the length of a field",
                    limit: MAX_FIELD_BYTES as u64,
                });
            }
            Ok(v)
        };
        // All fields blank (their concatenation is then blank too).
        if rec.as_slice().trim().is_empty() {
            continue;
        }
        let office_raw = cell(Some(cols.office))?;
        let candidate = cell(Some(cols.candidate))?;
        let office = offices.get(office_raw, |o| office_kind(o, &cols));
        // Figures of the row.
        parts.clear();
        for &(i, t) in &cols.types {
            if let Some(v) = parse_count(cell(Some(i))?, || {
                Location::line(line).field(headers[i].clone())
            })? {
                match parts.iter_mut().find(|(pt, _)| *pt == t) {
                    Some(p) => p.1 = p.1.saturating_add(v),
                    None => parts.push((t, v)),
                }
            }
        }
        let votes = match cols.votes {
            Some(i) => parse_count(cell(Some(i))?, || {
                Location::line(line).field(headers[i].clone())
            })?,
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
                    Location::line(line).field(headers[cols.votes.unwrap_or(0)].clone()),
                    format!(
                        "votes is {v} but the vote-type columns ({}) add up to {parts_sum}",
                        names.join(", ")
                    ),
                ));
            }
        }
        let total = votes.or((!parts.is_empty()).then_some(parts_sum));
        // The unit.
        let county = cell(cols.county)?.trim();
        let precinct = cell(cols.precinct)?.trim();
        let unit = match (county.is_empty(), precinct.is_empty()) {
            (false, false) => {
                // Files hold one county or are grouped by county: the last row's county.
                let c = match &last_county {
                    Some((name, c)) if name == county => *c,
                    _ => {
                        let c = sheet.unit(None, county, Some("county"), line)?;
                        last_county = Some((county.to_string(), c));
                        c
                    }
                };
                sheet.unit(Some(c), precinct, Some("precinct"), line)?
            }
            (false, true) => sheet.unit(None, county, Some("county"), line)?,
            (true, false) => sheet.unit(None, precinct, Some("precinct"), line)?,
            (true, true) => match all_units {
                Some(u) => u,
                None => {
                    let u = sheet.unit(None, "All reporting units", None, line)?;
                    all_units = Some(u);
                    u
                }
            },
        };
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
        let kind = candidates.get(candidate, |k| classify(k, &cols));
        if matches!(kind, Pseudo::Skip) {
            continue;
        }
        let office = match vf {
            Some(_) => vote_for(office_raw).0,
            None => office_raw,
        };
        let district = cell(cols.district)?;
        // Rows come grouped by contest: the last row's contest is the usual answer.
        let c = match &last_contest {
            Some((o, d, c)) if o == office && d == district => *c,
            _ => {
                let c = sheet.contest(office, district, line)?;
                last_contest = Some((office.to_string(), district.to_string(), c));
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
                if let Some(v) = parse_count(cell(Some(i))?, || {
                    Location::line(line).field(headers[i].clone())
                })? {
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
                    return Err(FormatError::invalid(
                        Location::line(line),
                        format!("the row for {candidate:?} in {office_raw:?} has no vote figure"),
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
                let party_code = cell(cols.party)?.trim();
                let party = if party_code.is_empty() {
                    None
                } else {
                    match parties.get(party_code) {
                        Some(&p) => p,
                        None => {
                            let p = sheet.party(party_code);
                            parties.insert(Box::from(party_code), p);
                            p
                        }
                    }
                };
                let s = if matches!(kind, Pseudo::WriteIns) {
                    let s = sheet.selection(c, "Write-ins", None, line)?;
                    write_in_sel.insert(c, s);
                    s
                } else {
                    sheet.selection(c, candidate, party, line)?
                };
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
        let given = write_in_sel.get(&c).and_then(|&s| {
            sheet
                .cells
                .get(&(u, c))
                .and_then(|cell| cell.sel.get(&s))
                .copied()
        });
        match given {
            Some(row) => {
                let total: u64 = row.iter().map(|v| v.unwrap_or(0)).sum();
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

fn memchr_count(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
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
        let e = read(csv.as_bytes(), None).unwrap_err();
        assert_eq!(e.location().unwrap().line, Some(2));
        assert!(e.to_string().contains("add up to 9"), "{e}");
    }

    #[test]
    fn duplicate_rows_are_refused() {
        let csv = "county,precinct,office,district,party,candidate,votes\nA,P1,Gov,,D,X,10\nA,P1,Gov,,D,X ,10\n";
        let e = read(csv.as_bytes(), None).unwrap_err();
        assert_eq!(e.location().unwrap().line, Some(3), "{e}");
    }

    #[test]
    fn write_in_details_must_add_up() {
        let ok = "county,precinct,office,district,party,candidate,votes\nA,P1,Gov,,,Write-ins,3\nA,P1,Gov,,,Write-In: Z,2\nA,P1,Gov,,,Not Assigned,1\n";
        let s = read(ok.as_bytes(), None).unwrap();
        assert_eq!(s.contests[0].selections.len(), 1);
        let bad = "county,precinct,office,district,party,candidate,votes\nA,P1,Gov,,,Write-ins,3\nA,P1,Gov,,,Write-In: Z,1\n";
        assert!(read(bad.as_bytes(), None).is_err());
    }
}
