//! CVR readers, one file per format RCTab reads. Each reads one configured source into a
//! [`CvrSink`], which resolves names, checks ranks and dedupes ballots.
//!
//! Readers are adapters (they do I/O); they bound what they accept with the limits below and
//! report failures with file, record/row, column and reason.

use std::path::Path;

use crate::ballots::{BallotStore, BallotStoreBuilder, CandidateTable, CvrSink, Mark};
use crate::config::{ContestConfig, CvrSource, Provider};
use crate::RcvError;

pub mod cdf_json;
pub mod cdf_xml;
pub mod clear_ballot;
pub mod csv;
pub mod dominion;
pub mod ess;
pub mod hart;
pub mod xlsx;
pub mod xml;

/// Largest single CVR file read (bytes).
pub const MAX_CVR_FILE_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Most files read from one Dominion or Hart folder.
pub const MAX_FILES_IN_FOLDER: usize = 1_000_000;

/// Reads every source of a config into one ballot store. `progress` is called with the number
/// of CVRs read so far, now and then.
pub fn read_all(
    config: &ContestConfig,
    table: &CandidateTable,
    progress: &mut dyn FnMut(u64),
) -> Result<BallotStore, RcvError> {
    let mut builder = BallotStoreBuilder::new();
    for source in &config.sources {
        let mut sink = CvrSink::new(table, &mut builder, config.rules.max_rankings);
        read_source(source, config, &mut sink, progress)?;
        sink.finish(&source.path)?;
    }
    Ok(builder.finish())
}

/// Reads one source into `sink`.
pub fn read_source(
    source: &CvrSource,
    config: &ContestConfig,
    sink: &mut CvrSink<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<(), RcvError> {
    match source.provider {
        Provider::Cdf => {
            let ext = source
                .path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            match ext.as_deref() {
                Some("json") => cdf_json::read(source, sink, progress),
                Some("xml") => cdf_xml::read(source, sink, progress),
                _ => Err(RcvError::cvr(
                    &source.path,
                    None,
                    "CDF files must end in .json or .xml",
                )),
            }
        }
        Provider::GenericCsv => csv::read(source, sink, progress),
        Provider::ClearBallot => clear_ballot::read(source, sink, progress),
        Provider::Ess => ess::read(source, config, sink, progress),
        Provider::Dominion => dominion::read(source, sink, progress),
        Provider::Hart => hart::read(source, sink, progress),
    }
}

/// Checks a file's size against [`MAX_CVR_FILE_BYTES`].
pub(crate) fn check_size(path: &Path) -> Result<u64, RcvError> {
    let meta = std::fs::metadata(path).map_err(|e| RcvError::io(path, e))?;
    if meta.len() > MAX_CVR_FILE_BYTES {
        return Err(RcvError::Limit {
            path: path.to_path_buf(),
            why: format!("{} bytes, limit {MAX_CVR_FILE_BYTES}", meta.len()),
        });
    }
    Ok(meta.len())
}

/// Applies a source's labels to a candidate string (ES&S-style cells).
/// Returns `None` for the skipped-rank label.
pub(crate) fn apply_labels(source: &CvrSource, table: &CandidateTable, s: &str) -> Option<Label> {
    if source.skipped_rank_label.as_deref() == Some(s) {
        return None;
    }
    if source.overvote_label.as_deref() == Some(s) {
        return Some(Label::Mark(Mark::Overvote));
    }
    if source.uwi_label.as_deref() == Some(s) {
        if let Some(u) = table.uwi {
            return Some(Label::Mark(Mark::Candidate(u)));
        }
    }
    Some(Label::Name)
}

/// What a cell means after labels.
pub(crate) enum Label {
    /// A resolved mark.
    Mark(Mark),
    /// A name to resolve through the candidate table.
    Name,
}

/// Calls `progress` every this many CVRs.
pub(crate) const PROGRESS_EVERY: u64 = 10_000;
