//! ES&S cast vote records: an `.xlsx` workbook whose first sheet has one row per ballot and
//! one column per rank (from `firstVoteColumnIndex`), each cell naming a candidate
//! (RCTab's `StreamingCvrReader`).
//!
//! Cell rules follow RCTab: text is trimmed; the `skippedRankLabel` means no mark at that
//! rank; the `overvoteLabel` is an explicit overvote; the `undeclaredWriteInLabel` is an
//! undeclared write-in; with an `overvoteDelimiter`, one cell may name several candidates
//! (none of them blank); with `treatBlankAsUndeclaredWriteIn`, blank ranks up to the maximum
//! count as undeclared write-ins; columns past `maxRankingsAllowed` are ignored.
//!
//! Speed: the sheet is streamed once ([`super::xlsx`]); a shared string (the usual cell) is
//! trimmed, split, labelled and resolved the first time it is met and its meaning reused for
//! every later cell that points at it.

use crate::ballots::{CvrSink, Mark};
use crate::config::{ContestConfig, CvrSource};
use crate::RcvError;

use super::xlsx::{CellValue, Row, Sheet};

/// Most rows read from one sheet.
pub const MAX_ROWS: usize = 50_000_000;

/// A number cell's text as calamine rendered it for RCTab-style reading: whole numbers without
/// a fraction, others as Rust prints the `f64`.
fn number_text(s: &str) -> String {
    match s.trim().parse::<f64>() {
        Ok(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        Ok(f) => f.to_string(),
        Err(_) => s.to_string(),
    }
}

/// One thing a cell says at its rank.
#[derive(Debug, Clone)]
enum Item {
    /// A candidate or the explicit overvote.
    Mark(Mark),
    /// A name the config does not know (counted, and reported when the source ends).
    Unknown(Box<str>),
}

/// What a cell's text means, worked out once per distinct shared string.
#[derive(Debug, Clone)]
enum Meaning {
    /// The marks at this rank, in cell order (none for the skipped-rank label).
    Items(Vec<Item>),
    /// Several names split by the overvote delimiter, one of them blank or skipped.
    BadDelimited,
}

/// RCTab's reading of one cell: trimmed, split by the overvote delimiter, labels applied.
fn interpret(source: &CvrSource, sink: &CvrSink<'_>, text: &str) -> Meaning {
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
    let mut items = Vec::with_capacity(parts.len());
    for p in parts {
        let p = p.trim();
        let is_skip = source.skipped_rank_label.as_deref() == Some(p);
        if multi && (p.is_empty() || is_skip) {
            return Meaning::BadDelimited;
        }
        if is_skip {
            continue;
        }
        match super::apply_labels(source, sink.table(), p) {
            Some(super::Label::Mark(m)) => items.push(Item::Mark(m)),
            Some(super::Label::Name) => items.push(match sink.classify(p) {
                Some(m) => Item::Mark(m),
                None => Item::Unknown(p.into()),
            }),
            None => {}
        }
    }
    Meaning::Items(items)
}

/// Reads an ES&S xlsx source.
pub fn read(
    files: &dyn super::files::Files,
    source: &CvrSource,
    config: &ContestConfig,
    sink: &mut CvrSink<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<(), RcvError> {
    let path = &source.path;
    let mut sheet = Sheet::open(path, files.open(path)?)?;
    let first_row = source.first_vote_row.unwrap_or(1).saturating_sub(1);
    let first_col = source.first_vote_column.unwrap_or(1).saturating_sub(1);
    let max_rank = config.rules.max_rankings;
    let id_col = source.id_column.map(|c| c.saturating_sub(1));
    let precinct_col = source.precinct_column.map(|c| c.saturating_sub(1));
    let batch_col = source.batch_column.map(|c| c.saturating_sub(1));
    let uwi_mark = sink.table().uwi.map(Mark::Candidate);
    let fill_blank = |sink: &mut CvrSink<'_>, from: u32, to: u32| {
        if source.treat_blank_as_uwi {
            for r in from..to {
                match uwi_mark {
                    Some(m) => sink.rank(r as i64, m),
                    None => sink.rank_name(r as i64, crate::config::UWI_LABEL),
                }
            }
        }
    };
    // Meaning of each shared string, filled in on first use.
    let mut meanings: Vec<Option<Meaning>> = vec![None; sheet.shared_strings.len()];
    let mut rows_seen: usize = 0;
    sheet.for_each_row(|row: &Row, shared: &[String]| {
        rows_seen += 1;
        if rows_seen > MAX_ROWS {
            return Err(RcvError::Limit {
                path: path.clone(),
                why: format!("more than {MAX_ROWS} rows"),
            });
        }
        let abs_row = row.index;
        if abs_row < first_row {
            return Ok(());
        }
        let mut last_rank = 0u32;
        let mut has_id = false;
        for &(col, value) in &row.cells {
            if Some(col) == precinct_col || Some(col) == batch_col {
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
            let owned;
            let meaning: &Meaning = match value {
                CellValue::Shared(i) => {
                    let slot = &mut meanings[i as usize];
                    if slot.is_none() {
                        *slot = Some(interpret(source, sink, &shared[i as usize]));
                    }
                    match slot {
                        Some(m) => m,
                        None => continue,
                    }
                }
                CellValue::Text(..) => {
                    owned = interpret(source, sink, row.str_of(value));
                    &owned
                }
                CellValue::Number(..) => {
                    owned = interpret(source, sink, &number_text(row.str_of(value)));
                    &owned
                }
            };
            match meaning {
                Meaning::Items(items) => {
                    for item in items {
                        match item {
                            Item::Mark(m) => sink.rank(rank as i64, *m),
                            Item::Unknown(name) => sink.unknown(name),
                        }
                    }
                }
                Meaning::BadDelimited => {
                    return Err(RcvError::Cvr {
                        path: path.clone(),
                        row: Some(abs_row as u64 + 1),
                        column: Some(col as u64 + 1),
                        why: "a cell with several candidates split by the overvote delimiter has a blank or skipped-rank entry".into(),
                    });
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
        Ok(())
    })
}
