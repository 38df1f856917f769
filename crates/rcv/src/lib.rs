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
//! * [`report`]: the detailed report as serde types, and a readable round table;
//! * [`cli`]: the `skytale rcv` subcommand.
//!
//! Not in scope: RCTab's per-precinct / per-batch slice reports (`tabulateByPrecinct`,
//! `tabulateByBatch`), its CSV summary reports, CDF CVR export, interactive tie-breaks
//! (a tie needing an operator aborts with an error), and config migration from RCTab 1.x.

pub mod ballots;
pub mod cli;
pub mod config;
pub mod decimal;
mod error;
pub mod java;
pub mod readers;
pub mod report;
pub mod session;
pub mod synthetic;
pub mod tabulate;

pub use error::RcvError;
