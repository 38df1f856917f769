//! `skytale-rcv`: ranked-choice tabulation with RCTab parity.
//!
//! Implements the tabulation rules of **RCTab** (BrightSpots/rcv, v2.x), as documented in its
//! `config_file_documentation.txt`, reading its contest configuration files unchanged and
//! writing its detailed-report JSON layout (URCVT `jsonFormatVersion` "1"), so results compare
//! directly with RCTab's.
//!
//! In scope:
//! * [`config`]: RCTab config files (tolerant parsing, validation into typed rules);
//! * [`readers`]: CVR readers for NIST SP 1500-103 CDF (JSON, XML), ES&S xlsx, Dominion JSON,
//!   Hart XML, Clear Ballot CSV and RCTab's generic CSV;
//! * [`ballots`]: a compact store that keeps identical ballots once, with a count;
//! * [`tabulate`]: the pure round loop (single-winner IRV, multi-seat STV-style surplus
//!   transfer, bottoms-up, percentage threshold, sequential passes via [`session`]),
//!   exact decimal arithmetic ([`decimal`]) and java.util.Random-exact tie-breaks ([`java`]);
//! * [`report`]: the detailed report as serde types, and a readable round table.
//!
//! The `skytale rcv` subcommand (arguments, progress bar, report files) lives in the binary
//! crate.
//!
//! Parity: all 41 RCTab cases in `testdata/rcv` match RCTab's expected reports round by
//! round and byte for byte (`tests/rctab_cases.rs`); pointing `RCV_CASES_DIR` at upstream's full
//! `test_data` folder, every case with an expected report and readable CVRs matches too.
//!
//! Speed: identical ballots are tabulated once with a count; each round re-reads only the
//! ballots of candidates that stopped continuing (whole-ballot counts move with them); the
//! ES&S sheet is inflated on a helper thread and parsed once, each shared string interpreted
//! once; generic CSV rows are split on a helper thread (memchr, no per-cell allocation) while
//! the calling thread resolves and dedupes them. Instructions (callgrind), before -> after:
//! synthetic 1,000,000 ballots, 20 candidates, generic CSV: 3.15 G -> 1.82 G in all, 1.07 G
//! on the longest thread; Minneapolis 2013 mayor xlsx (80,101 ballots, 33 rounds): 4.35 G ->
//! 1.59 G, 1.40 G on the longest thread (`benches/tabulate.rs`, `examples/phases.rs`).
//!
//! Not in scope: RCTab's per-precinct / per-batch slice reports (`tabulateByPrecinct`,
//! `tabulateByBatch`), its CSV summary reports, CDF CVR export, interactive tie-breaks
//! (a tie needing an operator aborts with an error), config migration from RCTab 1.x, and
//! `minimumVoteThreshold` (documented by RCTab but no longer applied by its tabulator; parsed
//! and ignored here for parity). CDF JSON and Dominion files are parsed whole (typed, not
//! streamed), within [`readers::MAX_CVR_FILE_BYTES`].

pub mod ballots;
pub mod config;
pub mod decimal;
mod error;
pub mod java;
#[cfg(feature = "readers")]
pub mod readers;
pub mod report;
pub mod session;
pub mod synthetic;
pub mod tabulate;

pub use error::RcvError;
