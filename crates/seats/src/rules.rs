//! The rules of a party-list contest, as written in an election definition.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::SeatsError;
use crate::fraction::Fraction;
use crate::method::{Kind, Method};

/// Most seats one allocation may hand out (keeps the divisor arithmetic far from overflow).
pub const MAX_SEATS: u32 = 1_000_000;

/// Most parties one allocation may take.
pub const MAX_PARTIES: usize = 1_000_000;

/// How one party-list allocation is made.
///
/// In TOML: `method = "modified-sainte-lague"`, `seats = 10`, `first_divisor = "1.4"`,
/// `threshold = { percent = "4" }`, `tie_break = ["most-votes", "lot"]`, `lot_seed = "…"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// The method.
    pub method: Method,
    /// The seats to fill (at least 1).
    pub seats: u32,
    /// Replaces the first divisor of a highest-averages method (Sweden 1.2, Norway 1.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_divisor: Option<Fraction>,
    /// The share of valid votes a party needs to take part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Threshold>,
    /// How ties are broken, criteria in order; see [`TieRule`]. Default: most votes, then list order.
    #[serde(default = "default_tie_break")]
    pub tie_break: Vec<TieRule>,
    /// The published seed for [`TieRule::Lot`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_seed: Option<String>,
}

/// The default tie-break: most votes, then the order of the lists as given.
pub fn default_tie_break() -> Vec<TieRule> {
    vec![TieRule::MostVotes, TieRule::ListOrder]
}

/// An electoral threshold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// The least share of valid votes, in percent (`"5"`, `"2.5"`); reaching it exactly passes.
    pub percent: Fraction,
    /// Where the share is measured; in a single allocation both mean "of this allocation's base".
    #[serde(default)]
    pub scope: Scope,
    /// Alternative condition: a party that won at least this many constituency seats passes
    /// even below the share (e.g. Denmark; Germany's three direct mandates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub or_constituency_seats: Option<u32>,
}

/// Where a threshold's share is measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Share of the constituency's valid votes.
    #[default]
    Constituency,
    /// Share of the national valid votes (multi-constituency systems).
    National,
}

/// One criterion for breaking a tie between equal quotients (or remainders).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TieRule {
    /// The party with more votes wins.
    MostVotes,
    /// The party listed first (in the definition or the file) wins.
    ListOrder,
    /// Drawn by lot: the lowest SHA-256 of `seed \n seat \n party` wins, reproducible by anyone
    /// who knows the published seed.
    Lot,
}

impl TieRule {
    /// The rule's name as written in rules.
    pub fn name(self) -> &'static str {
        match self {
            TieRule::MostVotes => "most-votes",
            TieRule::ListOrder => "list-order",
            TieRule::Lot => "lot",
        }
    }
}

/// Facts outside the rules that a threshold may need.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// Valid votes the threshold share is taken of, when the rows do not cover all lists
    /// (e.g. small lists left out). `None`: the sum of the rows.
    pub valid_votes: Option<u64>,
    /// Constituency seats each party won, for [`Threshold::or_constituency_seats`].
    pub constituency_seats: BTreeMap<String, u32>,
    /// Parties excluded by a decision made elsewhere (e.g. a national threshold), with the reason.
    pub excluded: BTreeMap<String, crate::Exclusion>,
}

impl Rules {
    /// Rules with the method's defaults: no threshold, most votes then list order on ties.
    pub fn new(method: Method, seats: u32) -> Rules {
        Rules {
            method,
            seats,
            first_divisor: None,
            threshold: None,
            tie_break: default_tie_break(),
            lot_seed: None,
        }
    }

    /// The first divisor in force: the rules' own, else the method's default.
    pub fn effective_first_divisor(&self) -> Option<Fraction> {
        match self.method.kind() {
            Kind::HighestAverages => self
                .first_divisor
                .or_else(|| self.method.default_first_divisor()),
            Kind::LargestRemainder => None,
        }
    }

    /// Checks everything that does not depend on the votes.
    pub fn validate(&self) -> Result<(), SeatsError> {
        if self.seats == 0 {
            return Err(SeatsError::ZeroSeats);
        }
        if self.seats > MAX_SEATS {
            return Err(SeatsError::TooLarge {
                what: "seats",
                given: u64::from(self.seats),
                limit: u64::from(MAX_SEATS),
            });
        }
        if let Some(d) = self.first_divisor {
            if self.method.kind() == Kind::LargestRemainder {
                return Err(SeatsError::InvalidRules {
                    field: "first_divisor",
                    why: format!(
                        "{} is a largest-remainder method and has no divisors",
                        self.method
                    ),
                });
            }
            if d.is_zero() || d.numer() > crate::fraction::MAX_PARSED_PART {
                return Err(SeatsError::InvalidRules {
                    field: "first_divisor",
                    why: format!("{d} must be above 0 and at most 1000000000"),
                });
            }
        }
        if let Some(t) = &self.threshold {
            if t.percent >= Fraction::from_int(100) {
                return Err(SeatsError::InvalidRules {
                    field: "threshold.percent",
                    why: format!("{} must be below 100", t.percent.to_decimal_trimmed()),
                });
            }
            if t.percent.numer() > crate::fraction::MAX_PARSED_PART
                || t.percent.denom() > crate::fraction::MAX_PARSED_PART
            {
                return Err(SeatsError::InvalidRules {
                    field: "threshold.percent",
                    why: "write it with at most six decimal places".into(),
                });
            }
        }
        if self.tie_break.contains(&TieRule::Lot) && self.lot_seed.is_none() {
            return Err(SeatsError::InvalidRules {
                field: "lot_seed",
                why: "tie_break names `lot` but no published seed is given".into(),
            });
        }
        Ok(())
    }
}
