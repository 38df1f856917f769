//! The `skytale` binary's library half (floor 6): subcommands wired over the floors below.
//! Argument parsing lives in `main.rs`; everything here is callable from tests.

pub mod approvals;
pub mod baseline;
pub mod bench;
pub mod client;
pub mod commands;
pub mod demo;
pub mod drill;
pub mod failover;
pub mod failover_drill;
pub mod fsck;
pub mod loadconn;
pub mod map_file;
pub mod pgcluster;
pub mod preview;
pub mod publish;
pub mod rcv_cmd;
pub mod rehearse;
pub mod sealed;
pub mod seats_cmd;
pub mod sideload;
pub mod submit;
pub mod submit_cvr;
pub mod synthetic;
pub mod synthetic_state;
pub mod verify_cmd;
pub mod webhook;
pub mod witness_cmd;

/// Now, as RFC 3339 UTC. Used for `submitted_at` / `signed_at` of statements this tool signs.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
