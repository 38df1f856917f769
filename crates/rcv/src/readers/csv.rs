//! RCTab's generic CSV format (`genericCsv`): a header row of candidate names from
//! `firstVoteColumnIndex` on, then one row per ballot with the rank number in each candidate's
//! cell (blank = not ranked). The column named by `undeclaredWriteInLabel` counts as
//! undeclared write-ins.
//!
//! Like RCTab, every row after the header is a ballot (RCTab's `firstVoteRowIndex` skip is a
//! no-op for this format).

use crate::ballots::{CvrSink, Mark};
use crate::config::CvrSource;
use crate::RcvError;

/// Longest line accepted, in bytes.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// Reads a generic CSV source.
pub fn read(
    source: &CvrSource,
    sink: &mut CvrSink<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<(), RcvError> {
    let path = &source.path;
    super::check_size(path)?;
    let file = std::fs::File::open(path).map_err(|e| RcvError::io(path, e))?;
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let first_col = source.first_vote_column.unwrap_or(1).saturating_sub(1) as usize;
    let mut rec = ::csv::ByteRecord::new();
    let csv_err = |e: ::csv::Error, row: u64| RcvError::Cvr {
        path: path.clone(),
        row: Some(row),
        column: None,
        why: e.to_string(),
    };
    if !rdr.read_byte_record(&mut rec).map_err(|e| csv_err(e, 1))? {
        return Err(RcvError::cvr(path, Some(1), "empty file: no header row"));
    }
    // Header: candidate columns.
    let mut columns: Vec<Option<Mark>> = Vec::new();
    for col in first_col..rec.len() {
        let name = std::str::from_utf8(&rec[col]).map_err(|_| RcvError::Cvr {
            path: path.clone(),
            row: Some(1),
            column: Some(col as u64 + 1),
            why: "header is not UTF-8".into(),
        })?;
        if name.trim().is_empty() {
            return Err(RcvError::Cvr {
                path: path.clone(),
                row: Some(1),
                column: Some(col as u64 + 1),
                why: "blank candidate name in header".into(),
            });
        }
        let mark = if source.uwi_label.as_deref() == Some(name) {
            sink.table().uwi.map(Mark::Candidate)
        } else {
            sink.table().resolve(name).map(Mark::Candidate)
        };
        if mark.is_none() {
            // Unknown header name: only an error if some ballot ranks it (as in RCTab).
            columns.push(None);
        } else {
            columns.push(mark);
        }
    }
    let header_names: Vec<String> = (first_col..rec.len())
        .map(|c| String::from_utf8_lossy(&rec[c]).into_owned())
        .collect();
    let mut row: u64 = 1;
    loop {
        row += 1;
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_err(e, row)),
        }
        if rec.as_slice().len() > MAX_LINE_BYTES {
            return Err(RcvError::Limit {
                path: path.clone(),
                why: format!("row {row} longer than {MAX_LINE_BYTES} bytes"),
            });
        }
        for col in first_col..rec.len() {
            let cell = rec[col].trim_ascii();
            if cell.is_empty() {
                continue;
            }
            let rank: i64 = parse_rank(cell).ok_or_else(|| RcvError::Cvr {
                path: path.clone(),
                row: Some(row),
                column: Some(col as u64 + 1),
                why: format!(
                    "expected a rank number, got {:?}",
                    String::from_utf8_lossy(cell)
                ),
            })?;
            let k = col - first_col;
            match columns.get(k).copied().flatten() {
                Some(m) => sink.rank(rank, m),
                None => match header_names.get(k) {
                    Some(name) => sink.rank_name(rank, name),
                    None => {
                        return Err(RcvError::Cvr {
                            path: path.clone(),
                            row: Some(row),
                            column: Some(col as u64 + 1),
                            why: "more cells than header columns".into(),
                        })
                    }
                },
            }
        }
        let r = row;
        sink.end(path, || format!("row {r}"))?;
        if sink.records().is_multiple_of(super::PROGRESS_EVERY) {
            progress(sink.records());
        }
    }
    Ok(())
}

/// Parses an optionally signed decimal integer of at most 18 digits.
fn parse_rank(cell: &[u8]) -> Option<i64> {
    let (neg, digits) = match cell.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, cell),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut v: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (b - b'0') as i64;
    }
    Some(if neg { -v } else { v })
}
