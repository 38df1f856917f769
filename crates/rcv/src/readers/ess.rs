//! ES&S cast vote records: an `.xlsx` workbook whose first sheet has one row per ballot and
//! one column per rank (from `firstVoteColumnIndex`), each cell naming a candidate
//! (RCTab's `StreamingCvrReader`).
//!
//! Cell rules follow RCTab: text is trimmed; the `skippedRankLabel` means no mark at that
//! rank; the `overvoteLabel` is an explicit overvote; the `undeclaredWriteInLabel` is an
//! undeclared write-in; with an `overvoteDelimiter`, one cell may name several candidates
//! (none of them blank); with `treatBlankAsUndeclaredWriteIn`, blank ranks up to the maximum
//! count as undeclared write-ins; columns past `maxRankingsAllowed` are ignored.

use calamine::{Data, Reader};

use crate::ballots::{CvrSink, Mark};
use crate::config::{ContestConfig, CvrSource};
use crate::RcvError;

/// Most rows read from one sheet.
pub const MAX_ROWS: usize = 50_000_000;

fn cell_text(d: &Data) -> Option<String> {
    match d {
        Data::Empty => None,
        Data::String(s) => Some(s.clone()),
        Data::Float(f) => Some(if f.fract() == 0.0 && f.abs() < 1e15 {
            format!("{}", *f as i64)
        } else {
            f.to_string()
        }),
        Data::Int(i) => Some(i.to_string()),
        Data::Bool(b) => Some(if *b { "TRUE".into() } else { "FALSE".into() }),
        Data::DateTime(dt) => Some(dt.to_string()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Some(s.clone()),
        Data::Error(_) => None,
    }
}

/// The 0-based numbers of the `<row>` elements of the workbook's first sheet, in file order.
/// RCTab reads sheets with Apache POI's event API, which reports every `<row>` element, even
/// one without cells, as a ballot; this reproduces that.
fn physical_rows(path: &std::path::Path) -> Result<Vec<u32>, RcvError> {
    use quick_xml::events::Event;
    use std::io::Read;
    let zip_err = |why: String| RcvError::cvr(path, None, why);
    let file = std::fs::File::open(path).map_err(|e| RcvError::io(path, e))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| zip_err(format!("not an xlsx (zip) file: {e}")))?;
    let mut read_entry = |name: &str| -> Result<String, RcvError> {
        let mut s = String::new();
        zip.by_name(name)
            .map_err(|e| zip_err(format!("missing {name}: {e}")))?
            .read_to_string(&mut s)
            .map_err(|e| zip_err(format!("cannot read {name}: {e}")))?;
        Ok(s)
    };
    let attr = |e: &quick_xml::events::BytesStart<'_>, key: &[u8]| -> Option<String> {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == key || a.key.local_name().as_ref() == key)
            .map(|a| String::from_utf8_lossy(&a.value).into_owned())
    };
    // First sheet of the workbook, then its part name through the relationships.
    let workbook = read_entry("xl/workbook.xml")?;
    let mut rd = quick_xml::Reader::from_str(&workbook);
    let mut rid = None;
    loop {
        match rd.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == b"sheet" => {
                rid = attr(&e, b"r:id").or_else(|| attr(&e, b"id"));
                break;
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(zip_err(format!("xl/workbook.xml: {e}"))),
            _ => {}
        }
    }
    let rid = rid.ok_or_else(|| zip_err("workbook has no sheet".into()))?;
    let rels = read_entry("xl/_rels/workbook.xml.rels")?;
    let mut rd = quick_xml::Reader::from_str(&rels);
    let mut target = None;
    loop {
        match rd.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e))
                if e.local_name().as_ref() == b"Relationship"
                    && attr(&e, b"Id").as_deref() == Some(rid.as_str()) =>
            {
                target = attr(&e, b"Target");
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
    let entry = zip
        .by_name(&part)
        .map_err(|e| zip_err(format!("missing {part}: {e}")))?;
    let mut rd = quick_xml::Reader::from_reader(std::io::BufReader::with_capacity(1 << 16, entry));
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut next: u32 = 0;
    loop {
        match rd.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == b"row" => {
                let r = attr(&e, b"r")
                    .and_then(|v| v.trim().parse::<u32>().ok())
                    .map(|r| r.saturating_sub(1))
                    .unwrap_or(next);
                out.push(r);
                next = r + 1;
                if out.len() > MAX_ROWS {
                    return Err(RcvError::Limit {
                        path: path.to_path_buf(),
                        why: format!("more than {MAX_ROWS} rows"),
                    });
                }
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(zip_err(format!("{part}: {e}"))),
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

/// Reads an ES&S xlsx source.
pub fn read(
    source: &CvrSource,
    config: &ContestConfig,
    sink: &mut CvrSink<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<(), RcvError> {
    let path = &source.path;
    super::check_size(path)?;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).map_err(|e| {
        RcvError::cvr(
            path,
            None,
            format!("ES&S CVR files must be Excel workbooks (.xlsx): {e}"),
        )
    })?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| RcvError::cvr(path, None, "workbook has no sheet"))?
        .map_err(|e| RcvError::cvr(path, None, format!("cannot read first sheet: {e}")))?;
    if range.height() > MAX_ROWS {
        return Err(RcvError::Limit {
            path: path.clone(),
            why: format!("{} rows, limit {MAX_ROWS}", range.height()),
        });
    }
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let first_row = source.first_vote_row.unwrap_or(1).saturating_sub(1);
    let first_col = source.first_vote_column.unwrap_or(1).saturating_sub(1);
    let max_rank = config.rules.max_rankings;
    let id_col = source.id_column.map(|c| c.saturating_sub(1));
    let uwi = sink.table().uwi;
    let table_uwi_mark = uwi.map(Mark::Candidate);
    let fill_blank = |sink: &mut CvrSink<'_>, from: u32, to: u32| {
        if source.treat_blank_as_uwi {
            for r in from..to {
                match table_uwi_mark {
                    Some(m) => sink.rank(r as i64, m),
                    None => sink.rank_name(r as i64, crate::config::UWI_LABEL),
                }
            }
        }
    };
    let rows: Vec<&[Data]> = range.rows().collect();
    let physical = physical_rows(path)?;
    for abs_row in physical {
        if abs_row < first_row {
            continue;
        }
        let row: &[Data] = abs_row
            .checked_sub(row0)
            .and_then(|i| rows.get(i as usize).copied())
            .unwrap_or(&[]);
        let mut last_rank = 0u32;
        let mut has_id = false;
        for (j, d) in row.iter().enumerate() {
            let col = col0 + j as u32;
            let Some(text) = cell_text(d) else { continue };
            if Some(col) == source.precinct_column.map(|c| c - 1)
                || Some(col) == source.batch_column.map(|c| c - 1)
            {
                continue;
            }
            if Some(col) == id_col {
                has_id = true;
                continue;
            }
            if col < first_col || max_rank.is_some_and(|m| col >= first_col + m) {
                continue;
            }
            let rank = col - first_col + 1;
            fill_blank(sink, last_rank + 1, rank);
            let cell = text.trim();
            let mut parts: Vec<&str> = match source.overvote_delimiter.as_deref() {
                Some(delim) => cell.split(delim).collect(),
                None => vec![cell],
            };
            // Java's String.split drops trailing empty strings.
            while parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
                parts.pop();
            }
            let multi = parts.len() > 1;
            for p in parts {
                let p = p.trim();
                let is_skip = source.skipped_rank_label.as_deref() == Some(p);
                if multi && (p.is_empty() || is_skip) {
                    return Err(RcvError::Cvr {
                        path: path.clone(),
                        row: Some(abs_row as u64 + 1),
                        column: Some(col as u64 + 1),
                        why: "a cell with several candidates split by the overvote delimiter has a blank or skipped-rank entry".into(),
                    });
                }
                if is_skip {
                    continue;
                }
                match super::apply_labels(source, sink.table(), p) {
                    Some(super::Label::Mark(m)) => sink.rank(rank as i64, m),
                    Some(super::Label::Name) => sink.rank_name(rank as i64, p),
                    None => {}
                }
            }
            last_rank = rank;
        }
        if let Some(m) = max_rank {
            fill_blank(sink, last_rank + 1, m + 1);
        }
        if id_col.is_some() && !has_id {
            return Err(RcvError::Cvr {
                path: path.clone(),
                row: Some(abs_row as u64 + 1),
                column: id_col.map(|c| c as u64 + 1),
                why: "cast vote record identifier missing".into(),
            });
        }
        let r = abs_row + 1;
        sink.end(path, || format!("row {r}"))?;
        if sink.records().is_multiple_of(super::PROGRESS_EVERY) {
            progress(sink.records());
        }
    }
    Ok(())
}
