//! skytale-seats: party-list seat allocation in exact arithmetic.
//!
//! Implements the apportionment rules of party-list elections as election laws state them:
//! highest averages (D'Hondt; Sainte-Laguë and its modified form with any first divisor,
//! e.g. Sweden 1.2, Norway 1.4; Imperiali; Danish) and largest remainder (Hare, Droop,
//! Hagenbach-Bischoff and Imperiali quotas); thresholds as a share of valid votes (per
//! constituency or national, with an explicit base when the rows are partial, and an
//! alternative condition of constituency seats won); multi-constituency systems with national
//! levelling seats placed in constituencies as in Norway's Election Act § 11-6; ties broken by
//! named rules (most votes, list order, lot with a published seed) and always reported.
//!
//! No float is ever used: quotients are exact [`Fraction`]s compared by cross-multiplication.
//! The library is pure (no I/O, no clock, no randomness beyond the published lot seed), so
//! the tally can recompute seats live as results arrive and any verifier gets the same bytes.
//! The `skytale seats` subcommand, which reads files, lives in the binary crate.
//!
//! Out of scope: assigning seats to candidates within a list, list connections (apparentements),
//! biproportional apportionment, and Germany's overhang/compensation seats.
//!
//! # Public API
//!
//! - [`Method`]: `dhondt`, `sainte-lague`, `modified-sainte-lague`, `imperiali`, `danish`,
//!   `hare`, `droop`, `hagenbach-bischoff`, `imperiali-quota` (`FromStr`, serde as those names).
//! - [`Rules`]: method, seats, first divisor, [`Threshold`], tie-break rules ([`TieRule`]) and
//!   lot seed; `Deserialize` with `deny_unknown_fields`, so it can sit in an election definition.
//! - [`allocate`]`(&Rules, &[(party, votes)]) -> Result<`[`Allocation`]`, `[`SeatsError`]`>` and
//!   [`allocate_with`] (adds a [`Context`]: an explicit valid-vote base, constituency seats for
//!   the alternative threshold condition, parties excluded elsewhere).
//!   An [`Allocation`] gives per party the votes, seats, exclusion reason ([`Exclusion`]) and
//!   the votes to one more seat ([`PartyResult::votes_to_next_seat`]: the smallest number of
//!   additional votes with which the allocation, ties included, gives one more seat; for
//!   largest remainder solved exactly, and where a whole-number quota makes it non-monotone,
//!   also the number from which it always does); the last seat's and the first missed seat's party and
//!   quotient ([`SeatQuotient`]); every tie broken and how ([`TieRecord`]).
//! - [`SystemRules`] (constituencies, district method, optional [`Levelling`]; preset
//!   [`SystemRules::norway`]) and [`allocate_system`]`(&SystemRules, &[(constituency, party,
//!   votes)], national_valid_votes) -> Result<`[`SystemAllocation`]`, _>`.
//!
//! ```
//! use skytale_seats::{allocate, Method, Rules};
//! let rules = Rules::new(Method::Dhondt, 8);
//! let a = allocate(&rules, &[("A", 100_000), ("B", 80_000), ("C", 30_000), ("D", 20_000)]).unwrap();
//! let seats: Vec<u32> = a.parties.iter().map(|p| p.seats).collect();
//! assert_eq!(seats, [4, 3, 1, 0]);
//! ```

mod allocate;
mod error;
mod fraction;
mod method;
mod next_seat;
mod rules;
mod system;
mod tie;

pub use allocate::{allocate, allocate_with, Allocation, Exclusion, PartyResult, SeatQuotient};
pub use error::SeatsError;
pub use fraction::{Fraction, ParseFractionError, MAX_DECIMAL_PLACES, MAX_PARSED_PART};
pub use method::{
    known_methods, Kind, Method, UnknownMethod, METHODS, MODIFIED_SAINTE_LAGUE_FIRST_DIVISOR,
};
pub use rules::{
    default_tie_break, Context, Rules, Scope, Threshold, TieRule, MAX_PARTIES, MAX_SEATS,
};
pub use system::{
    allocate_system, ConstituencyResult, ConstituencySeats, Levelling, LevellingPlacement,
    LevellingResult, LevellingStatus, NationalParty, Placement, SystemAllocation, SystemRules,
};
pub use tie::TieRecord;
