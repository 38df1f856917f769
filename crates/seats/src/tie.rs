//! Breaking ties between equal quotients by the rules the definition names, never silently.

use std::cmp::Ordering;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::SeatsError;
use crate::fraction::Fraction;
use crate::rules::TieRule;

/// A tie that decided a seat, and how it was broken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TieRecord {
    /// Where it happened (`"seat 54"`, `"levelling seat 3"`): the first contested seat.
    pub at: String,
    /// How many seats the tied contenders shared.
    pub seats: u32,
    /// The equal quotient (or remainder, or relative quotient).
    pub quotient: Fraction,
    /// The contenders, in the order the tie-break put them (winners first).
    pub tied: Vec<String>,
    /// Those who won a seat by the tie-break.
    pub winners: Vec<String>,
    /// The rule that separated the last winner from the first loser.
    pub decided_by: TieRule,
    /// The published seed, when drawn by lot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
}

/// One side of a tie.
#[derive(Clone, Debug)]
pub(crate) struct Contender {
    /// What the record names (a party id, or `party in constituency`).
    pub label: String,
    /// The key of `lot` (a party id).
    pub lot_key: String,
    /// Votes, for `most-votes`.
    pub votes: u64,
    /// Position in the list order, for `list-order`.
    pub order: usize,
    /// The caller's index of this contender.
    pub index: usize,
}

/// The tie-break rules in force.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TieBreaker<'a> {
    pub rules: &'a [TieRule],
    pub seed: Option<&'a str>,
}

impl TieBreaker<'_> {
    /// The lot value of a contender for the contested seat `at`.
    /// Whether a list `(label, votes, position)` ranks before another in a tie at `at`, by the
    /// rules in order (`None`: the rules cannot tell them apart).
    pub(crate) fn before(
        &self,
        at: &dyn Fn() -> String,
        a: (&str, u64, usize),
        b: (&str, u64, usize),
    ) -> Option<bool> {
        for r in self.rules {
            let o = match r {
                TieRule::MostVotes => b.1.cmp(&a.1),
                TieRule::ListOrder => a.2.cmp(&b.2),
                TieRule::Lot => {
                    let at = at();
                    self.lot(&at, a.0).cmp(&self.lot(&at, b.0))
                }
            };
            if o.is_ne() {
                return Some(o.is_lt());
            }
        }
        None
    }

    pub(crate) fn lot(&self, at: &str, key: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.seed.unwrap_or_default().as_bytes());
        h.update(b"\n");
        h.update(at.as_bytes());
        h.update(b"\n");
        h.update(key.as_bytes());
        h.finalize().into()
    }

    fn cmp_by(
        &self,
        rule: TieRule,
        a: &(Contender, [u8; 32]),
        b: &(Contender, [u8; 32]),
    ) -> Ordering {
        match rule {
            TieRule::MostVotes => b.0.votes.cmp(&a.0.votes),
            TieRule::ListOrder => a.0.order.cmp(&b.0.order),
            TieRule::Lot => a.1.cmp(&b.1),
        }
    }

    /// Orders `tied` so the `slots` winners come first; records how. Errors when the rules
    /// cannot separate the last winner from the first loser.
    pub fn resolve(
        &self,
        at: String,
        quotient: Fraction,
        tied: Vec<Contender>,
        slots: usize,
    ) -> Result<(Vec<Contender>, TieRecord), SeatsError> {
        let mut keyed: Vec<(Contender, [u8; 32])> = tied
            .into_iter()
            .map(|c| {
                let lot = self.lot(&at, &c.lot_key);
                (c, lot)
            })
            .collect();
        keyed.sort_by(|a, b| {
            self.rules
                .iter()
                .map(|r| self.cmp_by(*r, a, b))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
        let decided_by = match (keyed.get(slots.wrapping_sub(1)), keyed.get(slots)) {
            (Some(w), Some(l)) => self
                .rules
                .iter()
                .copied()
                .find(|r| self.cmp_by(*r, w, l).is_ne()),
            _ => None,
        };
        let ordered: Vec<Contender> = keyed.into_iter().map(|(c, _)| c).collect();
        let Some(decided_by) = decided_by else {
            return Err(SeatsError::UnresolvedTie {
                parties: ordered.iter().map(|c| c.label.clone()).collect(),
                seats: slots as u32,
                quotient,
                rules: format!(
                    "[{}]",
                    self.rules
                        .iter()
                        .map(|r| r.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        };
        let record = TieRecord {
            at,
            seats: slots as u32,
            quotient,
            tied: ordered.iter().map(|c| c.label.clone()).collect(),
            winners: ordered[..slots].iter().map(|c| c.label.clone()).collect(),
            decided_by,
            seed: (decided_by == TieRule::Lot).then(|| self.seed.unwrap_or_default().to_string()),
        };
        Ok((ordered, record))
    }
}
