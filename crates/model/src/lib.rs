//! skytale-model: the election model and its acceptance rules (floor 1; pure, no I/O).
//!
//! - [`definition`]: the election definition (native TOML/JSON), validated with errors that
//!   name the field; its JSON Schema is derived from the types.
//! - [`statement`]: the statement kinds of design §3 (`election`, `results`, `cvr`,
//!   `publication`, `key`), the JSON texts of the log's signed notes.
//! - [`cvr`]: `cvr` statements, a ranked-choice contest's ballots in numbered batches.
//! - [`genesis`]: the definition at the head of the log (entry 0, and its parts when large).
//! - [`rctab`]: a ranked-choice contest built from an RCTab contest config.
//! - [`ledger`]: the acceptance rules of design §4.3 as a fold over the log, shared by the
//!   server, start-up replay and `skytale verify`.
//! - [`timestamp`]: a statement's RFC 3339 time in the narrow form exported formats require
//!   (UTC, whole seconds).
//!
//! Out of scope: storage, transport, the tally (skytale-tally), the Merkle log (skytale-tlog).

pub mod cvr;
pub mod definition;
pub mod error;
pub mod genesis;
pub mod geometry;
pub mod ledger;
pub mod rctab;
pub mod replay;
pub mod statement;
pub mod timestamp;

pub use cvr::{BallotPattern, CvrHeader, CvrStatement, OVERVOTE_MARKER};
pub use definition::{
    check_ocd_id, Contest, ContestGroup, ContestKind, Definition, DefinitionFormat, LocalizedText,
    Party, PreviousContest, PreviousElection, PreviousFigures, PublicationMode, PublicationPolicy,
    Reporter, SeatRules, Selection, Unit, ValidDefinition, WitnessPolicySpec, WitnessSpec,
};
pub use error::{DefinitionError, DefinitionErrors, RejectCode, Rejection};
pub use genesis::{sign_definition, SignDefinitionError, MAX_ENTRY_BYTES};
pub use ledger::{
    plausibility_issues, verify_note, verify_notes, Admitted, GenesisError, HeldState, KeyRing,
    Ledger, PendingApproval, PlausibilityIssue, Publication, Role, Undo, VerifiedNote, MAX_VERSION,
    MAX_VERSION_STEP, VERIFY_TOGETHER,
};
pub use statement::check_timestamp;
pub use statement::{
    hex_sha256, ByType, ByTypeIter, ContestReport, Count, CountType, DefinitionPart,
    DefinitionParts, ElectionStatement, KeyChange, KeyStatement, PublicationStatement,
    ReportStatus, ResultType, ResultsStatement, ReviewDecision, ReviewStatement, SourceFile,
    Statement, StatusStatement, MAX_COUNT,
};
pub use timestamp::{format_unix, unix_seconds, utc_seconds};

use base64::Engine as _;

/// Decodes a base64 32-byte hash (as in checkpoints and publication statements).
pub fn decode_hash(s: &str) -> Option<[u8; 32]> {
    let v = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
    v.try_into().ok()
}

/// Encodes a 32-byte hash as standard base64.
pub fn encode_hash(h: &[u8; 32]) -> String {
    base64::engine::general_purpose::STANDARD.encode(h)
}
