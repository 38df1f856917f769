//! One allocation: a fixed number of seats among parties' vote counts.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use serde::Serialize;

use crate::error::SeatsError;
use crate::fraction::Fraction;
use crate::method::{Kind, Method};
use crate::next_seat::{NextSeat, RemainderView};
use crate::rules::{Context, Rules, MAX_PARTIES};
use crate::tie::{Contender, TieBreaker, TieRecord};

/// The result of one allocation. Parties are in the input order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Allocation {
    /// The method used.
    pub method: Method,
    /// The seats handed out.
    pub seats: u32,
    /// The first divisor in force (highest-averages methods).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_divisor: Option<Fraction>,
    /// The threshold in force, in percent of the base.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold_percent: Option<Fraction>,
    /// The valid votes the threshold share was taken of.
    pub threshold_base: u64,
    /// The quota (largest-remainder methods), from the votes of the eligible parties.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<Fraction>,
    /// Each party's votes, seats, eligibility and what one more seat takes.
    pub parties: Vec<PartyResult>,
    /// The last seat won: for highest averages its quotient, for largest remainder the
    /// remainder that won the last remainder seat (`None` if no seat went by remainder).
    pub last_seat: Option<SeatQuotient>,
    /// The first seat missed: the highest quotient (or remainder) that did not win.
    pub first_missed: Option<SeatQuotient>,
    /// Ties that decided a seat, and how each was broken.
    pub ties: Vec<TieRecord>,
    /// Anything else a reader must know (e.g. an Imperiali-quota over-allocation undone).
    pub notes: Vec<String>,
}

/// One party in an [`Allocation`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartyResult {
    /// The party id as given.
    pub party: String,
    /// Its votes.
    pub votes: u64,
    /// The seats it won.
    pub seats: u32,
    /// Why it took no part, if it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclusion: Option<Exclusion>,
    /// The smallest number of additional votes with which this allocation, by its rules and
    /// its tie-break, gives the party one more seat, with every other party's votes and
    /// eligibility held fixed (the threshold base and any quota grow with them). A tie it
    /// would win counts: with exactly these votes it may be level with a rival and win on the
    /// named rule. Never fewer than it needs to pass the threshold. `None` when no number of
    /// votes can (it holds every seat, or was excluded by context).
    pub votes_to_next_seat: Option<u64>,
    /// Present only where it differs from `votes_to_next_seat`: the least number from which
    /// every larger number of additional votes also wins the seat. Largest remainder with a
    /// whole-number quota (Droop) is not monotone: a few votes more raise the quota and can
    /// lose the seat again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub votes_to_next_seat_always: Option<u64>,
}

impl PartyResult {
    /// Whether the party took part in the allocation.
    pub fn eligible(&self) -> bool {
        self.exclusion.is_none()
    }
}

/// Why a party took no part in an allocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Exclusion {
    /// Its share of the valid votes is below the threshold (and no alternative condition holds).
    BelowThreshold {
        /// Its share of the base, in percent.
        share_percent: Fraction,
        /// The threshold, in percent.
        threshold_percent: Fraction,
        /// Additional votes that would take it over the threshold.
        votes_to_threshold: u64,
    },
    /// It has no votes.
    NoVotes,
    /// Excluded by a decision made elsewhere (e.g. a national threshold in a multi-constituency
    /// system); the text says which.
    Excluded {
        /// Why.
        why: String,
    },
}

impl std::fmt::Display for Exclusion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exclusion::BelowThreshold {
                share_percent,
                threshold_percent,
                ..
            } => write!(
                f,
                "below the {}% threshold ({}%)",
                threshold_percent.to_decimal_trimmed(),
                share_percent.to_decimal(2)
            ),
            Exclusion::NoVotes => f.write_str("no votes"),
            Exclusion::Excluded { why } => f.write_str(why),
        }
    }
}

/// A seat and the quotient (or remainder) that decided it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeatQuotient {
    /// The party.
    pub party: String,
    /// Which of the party's seats (1 = its first).
    pub party_seat: u32,
    /// The quotient, exact.
    pub quotient: Fraction,
}

/// Allocates `rules.seats` seats among `votes` (party id, votes), thresholds measured on the
/// sum of the rows. See [`allocate_with`].
pub fn allocate<S: AsRef<str>>(
    rules: &Rules,
    votes: &[(S, u64)],
) -> Result<Allocation, SeatsError> {
    allocate_with(rules, votes, &Context::default())
}

/// The inputs of the seat arithmetic, after eligibility is decided.
pub(crate) struct Contest<'a> {
    pub method: Method,
    pub seats: u32,
    pub first: Option<Fraction>,
    pub labels: Vec<&'a str>,
    pub votes: Vec<u64>,
    pub eligible: Vec<usize>,
    pub tie: TieBreaker<'a>,
}

/// What the seat arithmetic produces.
pub(crate) struct Outcome {
    pub seats: Vec<u32>,
    pub ties: Vec<TieRecord>,
    pub notes: Vec<String>,
    pub quota: Option<Fraction>,
    pub last_seat: Option<(usize, Fraction)>,
    pub first_missed: Option<(usize, Fraction)>,
}

/// Allocates with facts from outside the rules: an explicit base of valid votes, constituency
/// seats for an alternative threshold condition, parties excluded elsewhere.
///
/// Errors: invalid rules, duplicate party ids, more than [`MAX_PARTIES`] parties, vote sums
/// over `u64`, an explicit base below the listed votes, no eligible party with votes, and a tie
/// the named rules cannot break.
pub fn allocate_with<S: AsRef<str>>(
    rules: &Rules,
    votes: &[(S, u64)],
    ctx: &Context,
) -> Result<Allocation, SeatsError> {
    rules.validate()?;
    if votes.len() > MAX_PARTIES {
        return Err(SeatsError::TooLarge {
            what: "parties",
            given: votes.len() as u64,
            limit: MAX_PARTIES as u64,
        });
    }
    let mut seen = HashSet::with_capacity(votes.len());
    for (p, _) in votes {
        if !seen.insert(p.as_ref()) {
            return Err(SeatsError::DuplicateParty {
                party: p.as_ref().to_string(),
                constituency: None,
            });
        }
    }
    let listed = votes
        .iter()
        .try_fold(0u64, |acc, (_, v)| acc.checked_add(*v))
        .ok_or(SeatsError::Overflow {
            during: "adding the votes",
        })?;
    let base = ctx.valid_votes.unwrap_or(listed);
    if base < listed {
        return Err(SeatsError::BaseTooSmall { base, listed });
    }

    let mut exclusions: Vec<Option<Exclusion>> = Vec::with_capacity(votes.len());
    for (p, v) in votes {
        let p = p.as_ref();
        let ex = if let Some(e) = ctx.excluded.get(p) {
            Some(e.clone())
        } else if let Some(t) = rules.threshold.as_ref().filter(|t| {
            !passes(t.percent, *v, base)
                && t.or_constituency_seats
                    .is_none_or(|n| ctx.constituency_seats.get(p).copied().unwrap_or(0) < n)
        }) {
            Some(Exclusion::BelowThreshold {
                share_percent: share_percent(*v, base),
                threshold_percent: t.percent,
                votes_to_threshold: votes_to_threshold(t.percent, *v, base).unwrap_or(u64::MAX),
            })
        } else if *v == 0 {
            Some(Exclusion::NoVotes)
        } else {
            None
        };
        exclusions.push(ex);
    }
    let eligible: Vec<usize> = (0..votes.len())
        .filter(|i| exclusions[*i].is_none())
        .collect();
    if eligible.is_empty() {
        return Err(SeatsError::NoEligibleParty { constituency: None });
    }
    let contest = Contest {
        method: rules.method,
        seats: rules.seats,
        first: rules.effective_first_divisor(),
        labels: votes.iter().map(|(p, _)| p.as_ref()).collect(),
        votes: votes.iter().map(|(_, v)| *v).collect(),
        eligible,
        tie: TieBreaker {
            rules: &rules.tie_break,
            seed: rules.lot_seed.as_deref(),
        },
    };
    let out = contest.run()?;

    // Votes to one more seat: never fewer than what it takes to take part (pass the
    // threshold; have a vote), then the seat arithmetic from there.
    let lowest = contest.lowest_winning(&out);
    let view = (rules.method.kind() == Kind::LargestRemainder).then(|| {
        RemainderView::new(
            rules.method,
            rules.seats,
            &contest.votes,
            &contest.eligible,
            &contest.labels,
            contest.tie,
        )
    });
    let needed: Vec<NextSeat> = (0..votes.len())
        .map(|i| {
            let v = contest.votes[i];
            let threshold = |t: &crate::rules::Threshold| votes_to_threshold(t.percent, v, base);
            let lb = match &exclusions[i] {
                None => Some(0),
                Some(Exclusion::NoVotes) => match &rules.threshold {
                    Some(t) => threshold(t).map(|x| x.max(1)),
                    None => Some(1),
                },
                Some(Exclusion::BelowThreshold {
                    votes_to_threshold, ..
                }) => Some(*votes_to_threshold),
                Some(Exclusion::Excluded { .. }) => None,
            };
            let Some(lb) = lb else { return (None, None) };
            match &view {
                Some(view) => view.next_seat(i, v, out.seats[i], lb),
                None => (
                    contest
                        .divisor_votes_to_next_seat(&out, &lowest, i)
                        .map(|s| s.max(lb)),
                    None,
                ),
            }
        })
        .collect();

    let name = |q: Option<(usize, Fraction)>, seats_before: bool| {
        q.map(|(i, quotient)| SeatQuotient {
            party: contest.labels[i].to_string(),
            party_seat: if seats_before {
                out.seats[i]
            } else {
                out.seats[i] + 1
            },
            quotient,
        })
    };
    Ok(Allocation {
        method: rules.method,
        seats: rules.seats,
        first_divisor: contest.first,
        threshold_percent: rules.threshold.as_ref().map(|t| t.percent),
        threshold_base: base,
        quota: out.quota,
        last_seat: name(out.last_seat, true),
        first_missed: name(out.first_missed, false),
        parties: votes
            .iter()
            .zip(exclusions)
            .zip(needed)
            .enumerate()
            .map(
                |(i, (((p, v), exclusion), (votes_to_next_seat, votes_to_next_seat_always)))| {
                    PartyResult {
                        party: p.as_ref().to_string(),
                        votes: *v,
                        seats: out.seats[i],
                        exclusion,
                        votes_to_next_seat,
                        votes_to_next_seat_always,
                    }
                },
            )
            .collect(),
        ties: out.ties.clone(),
        notes: out.notes.clone(),
    })
}

/// Whether `votes` is at least `percent`% of `base`: `votes·100·den ≥ num·base`, exact.
pub(crate) fn passes(percent: Fraction, votes: u64, base: u64) -> bool {
    let l = u128::from(votes) * 100;
    let lhs = Fraction::from_int(l);
    let rhs = Fraction::new(percent.numer() * u128::from(base), percent.denom());
    rhs.is_none_or(|r| lhs >= r)
}

/// `votes` as a percentage of `base`.
pub(crate) fn share_percent(votes: u64, base: u64) -> Fraction {
    Fraction::new(u128::from(votes) * 100, u128::from(base)).unwrap_or(Fraction::ZERO)
}

/// Least `x` with `(votes + x)·100 ≥ percent·(base + x)`; `None` if not representable.
pub(crate) fn votes_to_threshold(percent: Fraction, votes: u64, base: u64) -> Option<u64> {
    if passes(percent, votes, base) {
        return Some(0);
    }
    // x·(100·den − num) ≥ num·base − 100·den·votes
    let (num, den) = (percent.numer(), percent.denom());
    let k = (100 * den).checked_sub(num).filter(|k| *k > 0)?;
    let need = num
        .checked_mul(u128::from(base))?
        .checked_sub(100 * den * u128::from(votes))?;
    u64::try_from(need.div_ceil(k)).ok()
}

/// The lowest winning quotient (with its party) and the lowest of any other party, and for
/// each the parties with a quotient exactly there (and whether that quotient won a seat).
#[derive(Default)]
pub(crate) struct LowestWinning {
    first: Option<(usize, Fraction)>,
    second: Option<Fraction>,
    /// Filled on first use: only an exact tie needs them.
    first_level: std::cell::OnceCell<Vec<(usize, bool)>>,
    second_level: std::cell::OnceCell<Vec<(usize, bool)>>,
}

/// A candidate quotient in the highest-averages heap.
#[derive(PartialEq, Eq)]
struct Cand {
    q: Fraction,
    party: Reverse<usize>,
}

impl Ord for Cand {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.q.cmp(&o.q).then(self.party.cmp(&o.party))
    }
}

impl PartialOrd for Cand {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Contest<'_> {
    /// `votes / divisor(k)`, exact.
    pub(crate) fn quotient(&self, i: usize, k: u32) -> Fraction {
        let d = self.method.divisor(k, self.first);
        // votes < 2^64 and the parsed denominator ≤ 10^9: the product fits.
        Fraction::new(u128::from(self.votes[i]) * d.denom(), d.numer()).unwrap_or(Fraction::ZERO)
    }

    fn contender(&self, i: usize) -> Contender {
        Contender {
            label: self.labels[i].to_string(),
            lot_key: self.labels[i].to_string(),
            votes: self.votes[i],
            order: i,
            index: i,
        }
    }

    pub(crate) fn run(&self) -> Result<Outcome, SeatsError> {
        match self.method.kind() {
            Kind::HighestAverages => self.highest_averages(),
            Kind::LargestRemainder => self.largest_remainder(),
        }
    }

    /// Seats one by one to the highest quotient; equal quotients are taken as a group, and a
    /// group larger than the seats left is a tie broken by the rules.
    fn highest_averages(&self) -> Result<Outcome, SeatsError> {
        let mut seats = vec![0u32; self.votes.len()];
        let mut heap: BinaryHeap<Cand> = self
            .eligible
            .iter()
            .map(|&i| Cand {
                q: self.quotient(i, 0),
                party: Reverse(i),
            })
            .collect();
        let mut taken = 0u32;
        let mut ties = Vec::new();
        let mut tie_losers: Vec<usize> = Vec::new();
        let mut tie_last_winner = None;
        while taken < self.seats {
            let Some(top) = heap.pop() else { break };
            let mut group = vec![top.party.0];
            while heap.peek().is_some_and(|c| c.q == top.q) {
                if let Some(c) = heap.pop() {
                    group.push(c.party.0);
                }
            }
            let left = (self.seats - taken) as usize;
            if group.len() > left {
                group.sort_unstable();
                let (ordered, record) = self.tie.resolve(
                    format!("seat {}", taken + 1),
                    top.q,
                    group.iter().map(|&i| self.contender(i)).collect(),
                    left,
                )?;
                ties.push(record);
                group = ordered.iter().take(left).map(|c| c.index).collect();
                tie_last_winner = group.last().copied();
                tie_losers = ordered.iter().skip(left).map(|c| c.index).collect();
            }
            for &i in &group {
                seats[i] += 1;
                taken += 1;
                heap.push(Cand {
                    q: self.quotient(i, seats[i]),
                    party: Reverse(i),
                });
            }
        }
        let last_seat = match tie_last_winner {
            Some(i) => Some((i, self.quotient(i, seats[i] - 1))),
            None => self.extreme(&seats, true),
        };
        let first_missed = match tie_losers.first() {
            Some(&i) => Some((i, self.quotient(i, seats[i]))),
            None => self.extreme(&seats, false),
        };
        Ok(Outcome {
            seats,
            ties,
            notes: Vec::new(),
            quota: None,
            last_seat,
            first_missed,
        })
    }

    /// The lowest winning quotient (`won`) or the highest losing one; equal quotients are
    /// ordered by votes, then party id, so the answer does not depend on the input order.
    fn extreme(&self, seats: &[u32], won: bool) -> Option<(usize, Fraction)> {
        let key = |i: usize| {
            let q = if won {
                self.quotient(i, seats[i] - 1)
            } else {
                self.quotient(i, seats[i])
            };
            (q, self.votes[i], Reverse(self.labels[i]))
        };
        let it = self
            .eligible
            .iter()
            .copied()
            .filter(|&i| !won || seats[i] > 0);
        let best = if won {
            it.min_by_key(|&i| key(i))
        } else {
            it.max_by_key(|&i| key(i))
        };
        best.map(|i| (i, key(i).0))
    }

    /// Whole quotas, then remainders.
    fn largest_remainder(&self) -> Result<Outcome, SeatsError> {
        let total = self
            .eligible
            .iter()
            .try_fold(0u64, |a, &i| a.checked_add(self.votes[i]))
            .ok_or(SeatsError::Overflow {
                during: "adding the votes",
            })?;
        let quota = self
            .method
            .quota(total, self.seats)
            .ok_or(SeatsError::InvalidRules {
                field: "method",
                why: "no quota".into(),
            })?;
        let mut seats = vec![0u32; self.votes.len()];
        let mut rems: Vec<(Fraction, usize)> = Vec::with_capacity(self.eligible.len());
        let mut whole: u64 = 0;
        for &i in &self.eligible {
            let (f, r) = floor_rem(self.votes[i], quota);
            seats[i] = u32::try_from(f).unwrap_or(u32::MAX);
            whole += u64::from(seats[i]);
            rems.push((r, i));
        }
        let mut notes = Vec::new();
        let mut ties = Vec::new();
        // Sort by remainder, largest first; equal remainders by votes, then party id, so that
        // reported seats do not depend on the input order (ties at the boundary are broken
        // by the rules below, not by this order).
        rems.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then(self.votes[b.1].cmp(&self.votes[a.1]))
                .then(self.labels[a.1].cmp(self.labels[b.1]))
        });
        if whole > u64::from(self.seats) {
            // Only the Imperiali quota (or an exact Hagenbach-Bischoff split) can hand out more
            // whole quotas than seats: withdraw the excess from the smallest remainders.
            let mut excess = whole - u64::from(self.seats);
            notes.push(format!(
                "the quota gave {whole} whole seats for {} seats; {excess} withdrawn from the lists with the smallest remainders",
                self.seats
            ));
            // One seat per list per pass, smallest remainder first, until the excess is gone.
            while excess > 0 {
                for &(_, i) in rems.iter().rev() {
                    if excess > 0 && seats[i] > 0 {
                        seats[i] -= 1;
                        excess -= 1;
                    }
                }
            }
            return Ok(Outcome {
                seats,
                ties,
                notes,
                quota: Some(quota),
                last_seat: None,
                first_missed: None,
            });
        }
        let mut left = (u64::from(self.seats) - whole) as usize;
        // More remainder seats than lists (only with very few lists): one each per round.
        while left >= rems.len() && !rems.is_empty() {
            for &(_, i) in &rems {
                seats[i] += 1;
            }
            left -= rems.len();
        }
        if left == 0 {
            let first_missed = rems.first().map(|&(r, i)| (i, r));
            return Ok(Outcome {
                seats,
                ties,
                notes,
                quota: Some(quota),
                last_seat: None,
                first_missed,
            });
        }
        let boundary = rems[left - 1].0;
        if rems[left].0 == boundary {
            let above = rems.iter().take_while(|(r, _)| *r > boundary).count();
            let group: Vec<usize> = rems
                .iter()
                .filter(|(r, _)| *r == boundary)
                .map(|&(_, i)| i)
                .collect();
            let slots = left - above;
            let (ordered, record) = self.tie.resolve(
                format!("remainder seat {}", above + 1),
                boundary,
                group.iter().map(|&i| self.contender(i)).collect(),
                slots,
            )?;
            ties.push(record);
            for (k, c) in ordered.iter().enumerate() {
                rems[above + k].1 = c.index;
            }
        }
        for &(_, i) in &rems[..left] {
            seats[i] += 1;
        }
        Ok(Outcome {
            seats,
            ties,
            notes,
            quota: Some(quota),
            last_seat: Some((rems[left - 1].1, rems[left - 1].0)),
            first_missed: rems.get(left).map(|&(r, i)| (i, r)),
        })
    }

    /// The two lowest winning quotients of distinct parties, found once in O(parties).
    pub(crate) fn lowest_winning(&self, out: &Outcome) -> LowestWinning {
        let mut low = LowestWinning::default();
        if self.method.kind() != Kind::HighestAverages {
            return low;
        }
        for &j in &self.eligible {
            if out.seats[j] == 0 {
                continue;
            }
            let q = self.quotient(j, out.seats[j] - 1);
            match low.first {
                Some((_, f)) if q >= f => {
                    if low.second.is_none_or(|s| q < s) {
                        low.second = Some(q);
                    }
                }
                _ => {
                    low.second = low.first.map(|(_, f)| f);
                    low.first = Some((j, q));
                }
            }
        }
        low
    }

    /// The parties with a quotient exactly `l`, and whether that quotient won a seat.
    fn level(&self, out: &Outcome, l: Fraction) -> Vec<(usize, bool)> {
        self.eligible
            .iter()
            .filter_map(|&j| {
                if out.seats[j] > 0 && self.quotient(j, out.seats[j] - 1) == l {
                    Some((j, true))
                } else if self.quotient(j, out.seats[j]) == l {
                    Some((j, false))
                } else {
                    None
                }
            })
            .collect()
    }

    /// The next quotient must exceed the lowest winning quotient of another party.
    fn divisor_votes_to_next_seat(
        &self,
        out: &Outcome,
        low: &LowestWinning,
        i: usize,
    ) -> Option<u64> {
        let (lowest_other, level) = match low.first {
            Some((j, _)) if j == i => (low.second?, &low.second_level),
            Some((_, q)) => (q, &low.first_level),
            None => return None,
        };
        let d = self.method.divisor(out.seats[i], self.first);
        let target = lowest_other.checked_mul(&d)?;
        let mut need = target.floor().checked_add(1)?;
        // Exactly level with the lowest winning quotient: the party joins the tie there and
        // wins a seat if it ranks before at least one of the parties level with it that won.
        if target.numer() % target.denom().max(1) == 0 && need > u128::from(self.votes[i]) {
            let t = need - 1;
            let level = level.get_or_init(|| self.level(out, lowest_other));
            let won = level.iter().filter(|&&(j, w)| j != i && w).count();
            let at = || format!("seat {}", u64::from(self.seats) - won as u64 + 1);
            let votes = u64::try_from(t).unwrap_or(u64::MAX);
            let before_it = level
                .iter()
                .filter(|&&(j, _)| j != i)
                .filter(|&&(j, _)| {
                    self.tie
                        .before(
                            &at,
                            (self.labels[j], self.votes[j], j),
                            (self.labels[i], votes, i),
                        )
                        .unwrap_or(true)
                })
                .count();
            if before_it < won {
                need = t;
            }
        }
        let extra = need.saturating_sub(u128::from(self.votes[i]));
        u64::try_from(extra).ok()
    }
}

/// `⌊votes / quota⌋` and the remainder `votes − ⌊…⌋·quota`, exact.
fn floor_rem(votes: u64, quota: Fraction) -> (u64, Fraction) {
    let v = u128::from(votes) * quota.denom();
    let f = v / quota.numer().max(1);
    let r = v - f * quota.numer();
    (
        u64::try_from(f).unwrap_or(u64::MAX),
        Fraction::new(r, quota.denom()).unwrap_or(Fraction::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Threshold, TieRule};

    const WIKI: [(&str, u64); 4] = [("A", 100_000), ("B", 80_000), ("C", 30_000), ("D", 20_000)];

    fn seats(m: Method, n: u32, votes: &[(&str, u64)]) -> Vec<u32> {
        allocate(&Rules::new(m, n), votes)
            .unwrap()
            .parties
            .iter()
            .map(|p| p.seats)
            .collect()
    }

    #[test]
    fn dhondt_textbook() {
        // Quotients by hand: 100 80 50 40 33.3 30 26.7 25 | 20 20 …
        assert_eq!(seats(Method::Dhondt, 8, &WIKI), [4, 3, 1, 0]);
    }

    #[test]
    fn sainte_lague_textbook() {
        // 100 80 33.3 30 26.7 20(A) 20(D) 16 | 14.3 …
        assert_eq!(seats(Method::SainteLague, 8, &WIKI), [3, 3, 1, 1]);
    }

    #[test]
    fn modified_sainte_lague_first_divisor() {
        // D: 20/1.4 = 14.29 < B's 16 and A's 14.29? A: 100/1.4, 33.3, 20, 14.29 → 8 seats:
        // 71.4 57.1 33.3 26.7 21.4(C) 20(A) 16(B) 14.29(A) vs 14.29(D): A 100/7 = D 20/1.4.
        let r = allocate(&Rules::new(Method::ModifiedSainteLague, 8), &WIKI).unwrap();
        let s: Vec<u32> = r.parties.iter().map(|p| p.seats).collect();
        // Exact tie 100000/7 = 20000/1.4 for the 8th seat: most votes gives it to A.
        assert_eq!(s, [4, 3, 1, 0]);
        assert_eq!(r.ties.len(), 1);
        assert_eq!(r.ties[0].decided_by, TieRule::MostVotes);
        assert_eq!(r.ties[0].winners, ["A"]);
        assert_eq!(r.first_missed.as_ref().unwrap().party, "D");
        // Sweden's 1.2: D 16,667 beats A's 100/7.
        let mut rules = Rules::new(Method::ModifiedSainteLague, 8);
        rules.first_divisor = Some("1.2".parse().unwrap());
        let s: Vec<u32> = allocate(&rules, &WIKI)
            .unwrap()
            .parties
            .iter()
            .map(|p| p.seats)
            .collect();
        assert_eq!(s, [3, 3, 1, 1]);
    }

    #[test]
    fn imperiali_and_danish() {
        // Imperiali 2,3,4…: 50 40 33.3 26.7 25 20(A) 20(B) 16.7(A) | 16(B) 15(C)
        assert_eq!(seats(Method::Imperiali, 8, &WIKI), [5, 3, 0, 0]);
        // Danish 1,4,7…: 100 80 30 25 20(B) 20(D) 14.3 11.4 | 10
        assert_eq!(seats(Method::Danish, 8, &WIKI), [3, 3, 1, 1]);
    }

    const LR: [(&str, u64); 6] = [
        ("Yellows", 47_000),
        ("Whites", 16_000),
        ("Reds", 15_800),
        ("Greens", 12_000),
        ("Blues", 6_100),
        ("Pinks", 3_100),
    ];

    #[test]
    fn hare_textbook() {
        // Quota 10,000: 4.7 1.6 1.58 1.2 0.61 0.31 → 7 whole, remainders .7 .61 .6 win.
        let a = allocate(&Rules::new(Method::Hare, 10), &LR).unwrap();
        let s: Vec<u32> = a.parties.iter().map(|p| p.seats).collect();
        assert_eq!(s, [5, 2, 1, 1, 1, 0]);
        assert_eq!(a.quota.unwrap(), Fraction::from_int(10_000));
        assert_eq!(a.last_seat.as_ref().unwrap().party, "Whites");
        assert_eq!(a.first_missed.as_ref().unwrap().party, "Reds");
    }

    #[test]
    fn droop_textbook() {
        // Quota ⌊100000/11⌋+1 = 9092: 5 1 1 1 0 0, remainders 6908 (W) 6708 (R) win.
        assert_eq!(seats(Method::Droop, 10, &LR), [5, 2, 2, 1, 0, 0]);
    }

    #[test]
    fn hagenbach_bischoff_and_imperiali_quota() {
        // HB quota 100000/11 = 9090.9: floors 5 1 1 1 0 0, rems 1545 6909 6709 2909 6100 3100.
        assert_eq!(
            seats(Method::HagenbachBischoff, 10, &LR),
            [5, 2, 2, 1, 0, 0]
        );
        // Imperiali quota 100000/12 = 8333.3: floors 5 1 1 1 0 0 (8), rems 5333 7667 7467 3667 6100 3100.
        assert_eq!(seats(Method::ImperialiQuota, 10, &LR), [5, 2, 2, 1, 0, 0]);
    }

    #[test]
    fn imperiali_quota_over_allocation_is_undone() {
        // 2 seats, quota 90/4 = 22.5: 45 → 2 and 45 → 2 whole seats: 4 > 2.
        let a = allocate(
            &Rules::new(Method::ImperialiQuota, 2),
            &[("A", 45), ("B", 45)],
        )
        .unwrap();
        assert_eq!(a.parties.iter().map(|p| p.seats).sum::<u32>(), 2);
        assert_eq!(a.notes.len(), 1);
    }

    #[test]
    fn threshold_excludes_with_reason() {
        let mut r = Rules::new(Method::Dhondt, 8);
        r.threshold = Some(Threshold {
            percent: Fraction::from_int(10),
            scope: Default::default(),
            or_constituency_seats: None,
        });
        let a = allocate(&r, &WIKI).unwrap();
        assert_eq!(
            a.parties.iter().map(|p| p.seats).collect::<Vec<_>>(),
            [4, 3, 1, 0]
        );
        match &a.parties[3].exclusion {
            Some(Exclusion::BelowThreshold {
                votes_to_threshold, ..
            }) => {
                // (20000 + x)·100 ≥ 10·(230000 + x) → x ≥ 3333.3
                assert_eq!(*votes_to_threshold, 3334);
            }
            other => panic!("{other:?}"),
        }
        // An explicit base: 30,000 of 300,000 is exactly 10 %, which passes.
        let ctx = Context {
            valid_votes: Some(300_000),
            ..Context::default()
        };
        let a = allocate_with(&r, &WIKI, &ctx).unwrap();
        assert!(a.parties[2].eligible());
        assert!(!a.parties[3].eligible());
        // The alternative condition: enough constituency seats.
        r.threshold.as_mut().unwrap().or_constituency_seats = Some(1);
        let ctx = Context {
            constituency_seats: [("D".to_string(), 1)].into_iter().collect(),
            ..Context::default()
        };
        assert!(allocate_with(&r, &WIKI, &ctx).unwrap().parties[3].eligible());
    }

    #[test]
    fn votes_to_next_seat_dhondt_by_hand() {
        let a = allocate(&Rules::new(Method::Dhondt, 8), &WIKI).unwrap();
        let n: Vec<Option<u64>> = a.parties.iter().map(|p| p.votes_to_next_seat).collect();
        // A: v/5 > 80000/3 → 133334; B: v/4 > 25000 → 100001; C: v/2 > 25000; D: v > 25000.
        assert_eq!(n, [Some(33_334), Some(20_001), Some(20_001), Some(5_001)]);
        assert_eq!(a.last_seat.as_ref().unwrap().party, "A");
        assert_eq!(a.last_seat.as_ref().unwrap().party_seat, 4);
        assert_eq!(
            a.last_seat.as_ref().unwrap().quotient,
            Fraction::from_int(25_000)
        );
        assert_eq!(
            a.first_missed.as_ref().unwrap().quotient,
            Fraction::from_int(20_000)
        );
    }

    #[test]
    fn votes_to_next_seat_droop_is_the_least_and_says_when_it_always_holds() {
        // Droop, 5 seats, 385 votes: quota 65; C (223) has 3 whole quotas and remainder 28,
        // B's 58 wins the one remainder seat. C + 57 = 280 of 442: quota 74, remainder 58 ties
        // B's and C wins it on votes; + 58: 59 > 58; + 59 = 444 votes: quota 75, remainder 57
        // loses; from + 60 the remainder is 58 (tie won) or more, and later whole quotas.
        let votes = [("A", 24), ("B", 58), ("C", 223), ("D", 80)];
        let a = allocate(&Rules::new(Method::Droop, 5), &votes).unwrap();
        let c = &a.parties[2];
        assert_eq!(c.seats, 3);
        assert_eq!(c.votes_to_next_seat, Some(57));
        assert_eq!(c.votes_to_next_seat_always, Some(60));
        // Hare's quota is a fraction that grows with every vote: one number says it all.
        let a = allocate(&Rules::new(Method::Hare, 5), &votes).unwrap();
        assert!(a
            .parties
            .iter()
            .all(|p| p.votes_to_next_seat_always.is_none()));
    }

    #[test]
    fn ties_are_broken_by_the_named_rules_and_reported() {
        let votes = [("X", 500), ("Y", 500), ("Z", 100)];
        let mut r = Rules::new(Method::Dhondt, 1);
        let a = allocate(&r, &votes).unwrap();
        assert_eq!(a.parties[0].seats, 1);
        assert_eq!(a.ties[0].decided_by, TieRule::ListOrder);
        r.tie_break = vec![TieRule::MostVotes];
        let e = allocate(&r, &votes).unwrap_err().to_string();
        assert!(e.contains("not resolved"), "{e}");
        r.tie_break = vec![TieRule::Lot];
        assert!(allocate(&r, &votes).is_err(), "lot without a seed");
        r.lot_seed = Some("2026-11-25 published".into());
        let a = allocate(&r, &votes).unwrap();
        let b = allocate(&r, &[("Z", 100), ("Y", 500), ("X", 500)]).unwrap();
        assert_eq!(a.ties[0].winners, b.ties[0].winners);
        assert_eq!(a.ties[0].decided_by, TieRule::Lot);
        assert_eq!(a.ties[0].seed.as_deref(), Some("2026-11-25 published"));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let e = allocate(&Rules::new(Method::Dhondt, 0), &WIKI).unwrap_err();
        assert!(matches!(e, SeatsError::ZeroSeats));
        let e = allocate(&Rules::new(Method::Dhondt, 1), &[("A", 1), ("A", 2)]).unwrap_err();
        assert!(
            e.to_string().contains("\"A\" appears more than once"),
            "{e}"
        );
        let e = allocate(&Rules::new(Method::Dhondt, 1), &[("A", u64::MAX), ("B", 2)]).unwrap_err();
        assert!(matches!(e, SeatsError::Overflow { .. }), "{e}");
        let e = allocate(&Rules::new(Method::Dhondt, 1), &[("A", 0)]).unwrap_err();
        assert!(matches!(e, SeatsError::NoEligibleParty { .. }), "{e}");
        let mut r = Rules::new(Method::Hare, 1);
        r.first_divisor = Some(Fraction::from_int(2));
        assert!(allocate(&r, &WIKI)
            .unwrap_err()
            .to_string()
            .contains("first_divisor"));
        let ctx = Context {
            valid_votes: Some(1),
            ..Context::default()
        };
        assert!(matches!(
            allocate_with(&Rules::new(Method::Dhondt, 1), &WIKI, &ctx).unwrap_err(),
            SeatsError::BaseTooSmall { .. }
        ));
    }

    #[test]
    fn huge_votes_compare_exactly() {
        let big = u64::MAX / 4;
        let a = allocate(
            &Rules::new(Method::SainteLague, 3),
            &[("A", big), ("B", big - 1)],
        )
        .unwrap();
        assert_eq!(a.parties[0].seats, 2);
    }

    #[test]
    fn rules_deserialise_from_a_definition() {
        let r: Rules = toml::from_str(
            "method = \"modified-sainte-lague\"\nseats = 10\nfirst_divisor = \"1.2\"\n\
             threshold = { percent = \"4\" }\ntie_break = [\"most-votes\", \"lot\"]\nlot_seed = \"s\"\n",
        )
        .unwrap();
        assert_eq!(r.first_divisor, Some(Fraction::new(6, 5).unwrap()));
        assert!(toml::from_str::<Rules>("method = \"dhondt\"\nseats = 1\nbogus = 1\n").is_err());
        let e = toml::from_str::<Rules>("method = \"borda\"\nseats = 1\n").unwrap_err();
        assert!(e.to_string().contains("dhondt"), "{e}");
    }
}
