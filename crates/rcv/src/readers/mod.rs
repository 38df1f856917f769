//! CVR readers, one file per format RCTab reads. Each reads one configured source into a
//! [`CvrSink`], which resolves names, checks ranks and dedupes ballots.
//!
//! Readers are adapters (they do I/O); they bound what they accept with the limits below and
//! report failures with file, record/row, column and reason.

use crate::ballots::{BallotStore, BallotStoreBuilder, CandidateTable, CvrSink, Mark};
use crate::config::{ContestConfig, CvrSource, Provider};
use crate::RcvError;

pub mod cdf_json;
pub mod cdf_xml;
pub mod clear_ballot;
pub mod csv;
pub mod dominion;
pub mod ess;
pub mod files;
pub mod hart;
pub mod xlsx;
pub mod xml;

/// Largest single CVR file read (bytes).
pub const MAX_CVR_FILE_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Most files read from one Dominion or Hart folder.
pub const MAX_FILES_IN_FOLDER: usize = 1_000_000;

/// Reads every source of a config into one ballot store, from the file system. `progress` is
/// called with the number of CVRs read so far, now and then.
pub fn read_all(
    config: &ContestConfig,
    table: &CandidateTable,
    progress: &mut dyn FnMut(u64),
) -> Result<BallotStore, RcvError> {
    read_all_in(&files::Disk, config, table, progress)
}

/// [`read_all`] from `files` (the file system, or files in memory).
pub fn read_all_in(
    files: &dyn files::Files,
    config: &ContestConfig,
    table: &CandidateTable,
    progress: &mut dyn FnMut(u64),
) -> Result<BallotStore, RcvError> {
    let mut builder = BallotStoreBuilder::new();
    for source in &config.sources {
        let mut sink = CvrSink::new(table, &mut builder, config.rules.max_rankings);
        read_source(files, source, config, &mut sink, progress)?;
        sink.finish(&source.path)?;
    }
    Ok(builder.finish())
}

/// Reads one source into `sink`.
pub fn read_source(
    files: &dyn files::Files,
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
                Some("json") => cdf_json::read(files, source, sink, progress),
                Some("xml") => cdf_xml::read(files, source, sink, progress),
                _ => Err(RcvError::cvr(
                    &source.path,
                    None,
                    "CDF files must end in .json or .xml",
                )),
            }
        }
        Provider::GenericCsv => csv::read(files, source, sink, progress),
        Provider::ClearBallot => clear_ballot::read(files, source, sink, progress),
        Provider::Ess => ess::read(files, source, config, sink, progress),
        Provider::Dominion => dominion::read(files, source, sink, progress),
        Provider::Hart => hart::read(files, source, sink, progress),
    }
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
