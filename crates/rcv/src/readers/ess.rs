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
    for (i, row) in range.rows().enumerate() {
        let abs_row = row0 + i as u32;
        if abs_row < first_row {
            continue;
        }
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
        if sink.records() % super::PROGRESS_EVERY == 0 {
            progress(sink.records());
        }
    }
    Ok(())
}
