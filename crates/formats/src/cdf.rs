//! NIST SP 1500-100 v2 (stub, filled in below).
use crate::error::{FormatError, Location};
use crate::sheet::Sheet;
use crate::Mapping;
pub(crate) fn read_json(_b: &[u8], _m: Option<&Mapping>) -> Result<Sheet, FormatError> {
    Err(FormatError::invalid(Location::default(), "todo"))
}
pub(crate) fn read_xml(_b: &[u8], _m: Option<&Mapping>) -> Result<Sheet, FormatError> {
    Err(FormatError::invalid(Location::default(), "todo"))
}
