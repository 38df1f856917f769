//! # skytale-witness: C2SP tlog-witness and tlog-cosignature
//!
//! Implements:
//! - [C2SP tlog-cosignature](https://c2sp.org/tlog-cosignature): both cosignature types,
//!   Ed25519 `cosignature/v1` (type `0x04`) and ML-DSA-44 `subtree/v1` (type `0x06`, FIPS 204,
//!   post-quantum: the spec's recommendation for new deployments), their vkeys, and a k-of-n
//!   [`WitnessPolicy`] that verifiers check checkpoints against ([`cosignature`]);
//! - [C2SP tlog-witness](https://c2sp.org/tlog-witness) `add-checkpoint`: the request codec
//!   ([`protocol`]), the witness's decision and atomic persistence ([`witness`]), its HTTP
//!   service ([`server`]), and the log-side client that gathers cosignatures after each new
//!   checkpoint ([`client`]).
//!
//! The `skytale witness serve` / `skytale witness key` subcommands live in the binary crate.
//!
//! **In scope:** cosigning whole checkpoints (start 0), refusing conflicting checkpoints
//! (409 for a stale old size, 422 for a bad proof or a different root at the same size),
//! the monitoring endpoint `GET /<origin hash>/checkpoint`.
//!
//! **Out of scope:** the optional `sign-subtree` API, bastion transport, rate limiting, and
//! verifying that extension lines mean anything (the spec makes no statement about them).

pub mod client;
pub mod cosignature;
pub mod protocol;
pub mod server;
pub mod witness;

pub use client::{attach, CosignOutcome, WitnessClient, WitnessEndpoint};
pub use cosignature::{
    CosignatureError, CosignatureKind, Cosigned, PolicyError, WitnessPolicy, WitnessSigner,
    WitnessVerifier,
};
pub use witness::{Witness, WitnessError};
