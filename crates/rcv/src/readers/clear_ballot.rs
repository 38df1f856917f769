//! Clear Ballot CSV cast vote records (RCTab provider `clearBallot`).
//!
//! Ten fixed columns (`RowNumber, BoxID, BoxPosition, BallotID, PrecinctID, BallotStyleID,
//! PrecinctStyleName, ScanComputerName, Status, Remade`), then one column per
//! (contest, rank, candidate) whose header is
//! `Choice_<n>:<contest>:<rank>:<vote rule>:<candidate>:<party>`; a cell of `1` marks it.
//! Only columns of the config's `contestId` and ranks allowed by `maxRankingsAllowed` are read.

use crate::ballots::{CvrSink, Mark};
use crate::config::CvrSource;
use crate::RcvError;

/// Index of the first choice column.
const CHOICES_BEGIN: usize = 10;
/// Fields in a choice header.
const CHOICE_FIELDS: usize = 6;

/// Reads a Clear Ballot CSV source.
pub fn read(
    files: &dyn super::files::Files,
    source: &CvrSource,
    sink: &mut CvrSink<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<(), RcvError> {
    let path = &source.path;
    let file = files.open(path)?;
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let mut rec = ::csv::StringRecord::new();
    let err = |row: u64, col: Option<u64>, why: String| RcvError::Cvr {
        path: path.clone(),
        row: Some(row),
        column: col,
        why,
    };
    if !rdr
        .read_record(&mut rec)
        .map_err(|e| err(1, None, e.to_string()))?
    {
        return Err(err(1, None, "empty file: no header row".into()));
    }
    if rec.len() < CHOICES_BEGIN {
        return Err(err(
            1,
            None,
            format!(
                "header has {} columns, expected at least {CHOICES_BEGIN}",
                rec.len()
            ),
        ));
    }
    let contest = source.contest_id.as_deref().unwrap_or("");
    let mut columns: Vec<(usize, u32, Result<Mark, String>)> = Vec::new();
    for (col, header) in rec.iter().enumerate().skip(CHOICES_BEGIN) {
        let f: Vec<&str> = header.split(':').collect();
        if f.len() != CHOICE_FIELDS {
            return Err(err(
                1,
                Some(col as u64 + 1),
                format!(
                    "choice header {header:?} does not have {CHOICE_FIELDS} ':'-separated fields"
                ),
            ));
        }
        if f[1] != contest {
            continue;
        }
        let rank: u32 = f[2].trim().parse().map_err(|_| {
            err(
                1,
                Some(col as u64 + 1),
                format!("rank {:?} is not a number", f[2]),
            )
        })?;
        if rank == 0 || sink_max(sink).is_some_and(|m| rank > m) {
            continue;
        }
        let name = f[4];
        let mark = if source.uwi_label.as_deref() == Some(name) {
            sink.table()
                .uwi
                .map(Mark::Candidate)
                .ok_or_else(|| name.to_string())
        } else {
            sink.table()
                .resolve(name)
                .map(Mark::Candidate)
                .ok_or_else(|| name.to_string())
        };
        columns.push((col, rank, mark));
    }
    let mut row: u64 = 1;
    loop {
        row += 1;
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(err(row, None, e.to_string())),
        }
        for (col, rank, mark) in &columns {
            let cell = rec
                .get(*col)
                .ok_or_else(|| {
                    err(
                        row,
                        Some(*col as u64 + 1),
                        "row is shorter than the header".into(),
                    )
                })?
                .trim();
            let v: i64 = cell.parse().map_err(|_| {
                err(
                    row,
                    Some(*col as u64 + 1),
                    format!("expected 0 or 1, got {cell:?}"),
                )
            })?;
            if v == 1 {
                match mark {
                    Ok(m) => sink.rank(*rank as i64, *m),
                    Err(name) => sink.rank_name(*rank as i64, name),
                }
            }
        }
        let id = rec.get(3).unwrap_or("").to_string();
        sink.end(path, || id)?;
        if sink.records().is_multiple_of(super::PROGRESS_EVERY) {
            progress(sink.records());
        }
    }
    Ok(())
}

fn sink_max(sink: &CvrSink<'_>) -> Option<u32> {
    sink.max_rankings()
}
