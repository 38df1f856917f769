//! Reader for the `hart` CVR format (not yet implemented).

use crate::ballots::CvrSink;
use crate::config::CvrSource;
use crate::RcvError;

/// Reads a source of this format.
pub fn read(
    source: &CvrSource,
    _sink: &mut CvrSink<'_>,
    _progress: &mut dyn FnMut(u64),
) -> Result<(), RcvError> {
    Err(RcvError::cvr(
        &source.path,
        None,
        "format not implemented yet: hart",
    ))
}
