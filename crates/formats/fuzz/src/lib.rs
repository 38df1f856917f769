//! What every fuzz target does with its input: `derive_definition` from the bytes, then
//! `import_results` of the same bytes into that definition (when it derives and validates), so
//! both halves of `election create --from FILE` + `submit FILE` run on every input. Errors are
//! expected; a panic, overflow or hang is a finding.

use skytale_formats::{
    derive_definition_with, import_results, DeriveOptions, Format, ImportOptions, Mapping,
};
use skytale_model::ReportStatus;
use skytale_note::SigningKey;

const ELECTION: &str = "fuzz-2024-01-01";

/// Derive, then import the same bytes into the derived definition.
pub fn exercise(format: Format, data: &[u8], mapping: Option<&Mapping>) {
    let (Ok(a), Ok(r)) = (
        SigningKey::from_seed("authority", [1; 32]),
        SigningKey::from_seed("county", [2; 32]),
    ) else {
        return;
    };
    let opts = DeriveOptions {
        date: None,
        mapping,
    };
    let Ok(def) = derive_definition_with(
        format,
        data,
        ELECTION,
        a.verifier(),
        "c",
        r.verifier(),
        &opts,
    ) else {
        return;
    };
    let Ok(def) = def.validate() else {
        return;
    };
    let io = ImportOptions {
        election: ELECTION,
        version: 1,
        submitted_at: "2024-01-01T00:00:00Z",
        status: ReportStatus::Partial,
        mapping,
        source_name: Some("fuzz"),
    };
    let _ = import_results(format, data, &def, &io);
}
