//! The pure tabulation core: RCTab's round loop (`Tabulator.java`) over a [`BallotStore`].
//!
//! Every rule here follows RCTab 2.x semantics, including its quirks:
//! * each round re-reads a ballot from its first ranking when its recipient stops continuing
//!   (skipped-rank, duplicate and overvote checks are applied from the start every time);
//! * thresholds: Droop `floor(active / (seats+1)) + 1` (or with `decimalPlaces` decimals),
//!   Hare `ceil(active / seats)`, bottoms-up `active × percentage`; recomputed per round only in
//!   single-winner contests (unless the first round fixes it);
//! * surplus transfer: the winner's fraction `(votes − threshold) / votes` cut to the decimal
//!   places, each ballot's transfer value `value × fraction` cut again, the remainder locked in,
//!   and any residual above the threshold reported as "residual surplus";
//! * batch elimination, cutoff elimination, undeclared write-ins dropped first;
//! * tie-breaks by candidate order, generated permutation, previous-round counts and seeded
//!   `java.util.Random`, drawn in RCTab's order.
//!
//! No I/O. Interactive tie-breaks abort with [`RcvError::Aborted`].

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::ballots::{BallotStore, CandId, CandidateTable, OVERVOTE};
use crate::config::{OvervoteRule, Rules, TiebreakMode, WinnerMode};
use crate::decimal::{add, divide, mul, multiply_down, sub, unit, Round};
use crate::java::{hash_map_order, shuffle, string_cmp, JavaRandom};
use crate::RcvError;

/// The candidate string RCTab reserves for an explicit overvote.
pub const EXPLICIT_OVERVOTE_LABEL: &str = "overvote";
/// Rounds after which tabulation gives up (a contest can't need more than its candidates).
pub const MAX_ROUNDS: u32 = 100_000;

const NO_RECIPIENT: u16 = u16::MAX;

/// Why a ballot is (or is not) counting (RCTab's `StatusForRound`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BallotStatus {
    /// Counting for a candidate.
    Active = 0,
    /// Ranked nobody.
    DidNotRankAnyCandidates = 1,
    /// Ran out of continuing rankings.
    ExhaustedChoices = 2,
    /// Stopped at an overvote.
    Overvotes = 3,
    /// Stopped at too many skipped ranks.
    SkippedRankings = 4,
    /// Stopped at a repeated candidate.
    RepeatedRankings = 5,
    /// Left over after the last seat was filled (multi-seat surplus contests).
    FinalRoundSurplus = 6,
}

/// Number of [`BallotStatus`] values.
pub const N_STATUS: usize = 7;

/// One end of a vote transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    /// A candidate.
    Candidate(CandId),
    /// Ballots not yet counted (round 1 source).
    Uncounted,
    /// Ballots becoming inactive.
    Exhausted,
    /// Surplus above the threshold that cannot be transferred.
    ResidualSurplus,
}

/// A candidate elected or eliminated in a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The candidate.
    pub candidate: CandId,
    /// Elected (true) or eliminated (false).
    pub elected: bool,
    /// Decided by a tie-break.
    pub tiebreak: bool,
}

/// Everything about one round.
#[derive(Debug, Clone)]
pub struct RoundResult {
    /// 1-based round number.
    pub round: u32,
    /// Votes per candidate in this round's tally (continuing candidates and, in multi-seat
    /// contests, earlier winners at their locked-in value), by candidate id.
    pub tally: Vec<(CandId, Decimal)>,
    /// Winning threshold in force.
    pub threshold: Decimal,
    /// Ballot value per status (index = `BallotStatus as usize`).
    pub statuses: [Decimal; N_STATUS],
    /// Elected then eliminated, in decision order.
    pub decisions: Vec<Decision>,
    /// Transfers made while counting this round, by (from, to).
    pub transfers: BTreeMap<(Endpoint, Endpoint), Decimal>,
}

impl RoundResult {
    /// Votes of `c` in this round, if it was in the tally.
    pub fn votes(&self, c: CandId) -> Option<Decimal> {
        self.tally.iter().find(|(id, _)| *id == c).map(|(_, v)| *v)
    }

    /// Inactive ballot value with `status`.
    pub fn status(&self, s: BallotStatus) -> Decimal {
        self.statuses[s as usize]
    }
}

/// The result of a tabulation.
#[derive(Debug, Clone)]
pub struct Tabulation {
    /// Round by round.
    pub rounds: Vec<RoundResult>,
    /// Winners in the order elected.
    pub winners: Vec<CandId>,
}

/// What a contest is counted over: candidate names/exclusions and the rules.
#[derive(Debug, Clone)]
pub struct ContestSpec {
    /// Candidate names and exclusions (ids as in the ballot store).
    pub table: CandidateTable,
    /// The rules.
    pub rules: Rules,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CState {
    Continuing,
    Winner(u32),
    Eliminated(u32),
    Excluded,
}

/// Exact accumulator: whole ballots as an integer count, fractional values as a decimal sum.
#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    whole: u64,
    frac: Decimal,
}

impl Acc {
    #[inline]
    fn add(&mut self, value: Option<Decimal>, count: u64) {
        match value {
            None => self.whole += count,
            Some(v) => self.frac = add(self.frac, mul(v, Decimal::from(count))),
        }
    }
    fn get(&self) -> Decimal {
        add(Decimal::from(self.whole), self.frac)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OvervoteDecision {
    None,
    Exhaust,
    SkipToNextRank,
}

struct Tabulator<'a> {
    spec: &'a ContestSpec,
    store: &'a BallotStore,
    state: Vec<CState>,
    winners: Vec<(CandId, u32)>,
    eliminated: Vec<(CandId, u32)>,
    recipient: Vec<u16>,
    status: Vec<u8>,
    /// Per-ballot remaining value; `None` = exactly `BigDecimal.ONE`. Empty unless surpluses.
    value: Vec<Option<Decimal>>,
    /// Distinct ballots counted for each candidate (index = candidate id). Only the lists of
    /// candidates that stopped continuing are re-read in a round; the rest are not touched.
    holders: Vec<Vec<u32>>,
    /// Whole ballots (value exactly one) counted for each candidate, kept up to date as
    /// ballots move. Fractional values are summed afresh each round (see `tally_of`).
    whole: Vec<u64>,
    /// Ballots not read yet (all of them before round 1).
    unread: Vec<u32>,
    /// Ballots RCTab re-read but left with their old recipient, uncounted (see
    /// `compute_tallies`); re-read every round.
    limbo: Vec<u32>,
    /// Running totals of inactive ballots by status (a ballot's status never changes back).
    inactive: [Acc; N_STATUS],
    locked: Vec<Decimal>,
    rounds: Vec<RoundResult>,
    random: Option<JavaRandom>,
    permutation: Vec<CandId>,
    round: u32,
}

/// Tabulates a contest. Pure: same inputs, same rounds.
pub fn tabulate(spec: &ContestSpec, store: &BallotStore) -> Result<Tabulation, RcvError> {
    let n = spec.table.names.len();
    let state = (0..n)
        .map(|i| {
            if spec.table.excluded[i] {
                CState::Excluded
            } else {
                CState::Continuing
            }
        })
        .collect();
    let uses_surpluses = spec.rules.uses_surpluses();
    let mut t = Tabulator {
        spec,
        store,
        state,
        winners: Vec::new(),
        eliminated: Vec::new(),
        recipient: vec![NO_RECIPIENT; store.distinct()],
        status: vec![0; store.distinct()],
        value: if uses_surpluses {
            vec![None; store.distinct()]
        } else {
            Vec::new()
        },
        holders: vec![Vec::new(); n],
        whole: vec![0; n],
        unread: (0..store.distinct() as u32).collect(),
        limbo: Vec::new(),
        inactive: [Acc::default(); N_STATUS],
        locked: vec![Decimal::ZERO; n],
        rounds: Vec::new(),
        random: None,
        permutation: (0..n as CandId)
            .filter(|&c| Some(c) != spec.table.uwi)
            .collect(),
        round: 0,
    };
    t.run()?;
    Ok(Tabulation {
        rounds: t.rounds,
        winners: t.winners.iter().map(|(c, _)| *c).collect(),
    })
}

impl<'a> Tabulator<'a> {
    fn rules(&self) -> &Rules {
        &self.spec.rules
    }

    fn name(&self, c: CandId) -> &str {
        &self.spec.table.names[c as usize]
    }

    fn num_candidates(&self) -> usize {
        self.state.len()
            - self
                .state
                .iter()
                .filter(|s| **s == CState::Excluded)
                .count()
    }

    fn num_declared(&self) -> usize {
        self.state.len() - usize::from(self.spec.table.uwi.is_some())
    }

    fn is_continuing(&self, c: CandId) -> bool {
        match self.state.get(c as usize) {
            Some(CState::Continuing) => true,
            Some(CState::Winner(_)) => self.rules().continue_until_two,
            _ => false,
        }
    }

    fn run(&mut self) -> Result<(), RcvError> {
        let rules = self.rules().clone();
        if let Some(seed) = rules.random_seed {
            let mut rnd = JavaRandom::new(seed);
            if rules.tiebreak_mode == TiebreakMode::GeneratePermutation {
                let names = &self.spec.table.names;
                self.permutation
                    .sort_by(|a, b| string_cmp(&names[*a as usize], &names[*b as usize]));
                shuffle(&mut self.permutation, &mut rnd);
            } else if matches!(
                rules.tiebreak_mode,
                TiebreakMode::Random | TiebreakMode::PreviousRoundCountsThenRandom
            ) {
                self.random = Some(rnd);
            }
        }
        while self.should_continue() {
            self.round += 1;
            if self.round > MAX_ROUNDS {
                return Err(RcvError::Aborted {
                    round: self.round,
                    why: format!("more than {MAX_ROUNDS} rounds"),
                });
            }
            let mut rr = self.compute_tallies()?;
            let active =
                rr.status(BallotStatus::Active) + rr.status(BallotStatus::FinalRoundSurplus);
            rr.threshold = if self.should_recompute_threshold() {
                self.threshold_for(active)?
            } else {
                self.rounds.last().map(|p| p.threshold).unwrap_or_default()
            };
            self.rounds.push(rr);
            let ttc = self.tally_to_candidates(self.rounds.len() - 1, None);
            let winners = self.identify_winners(&ttc)?;
            let r = self.round;
            if !winners.is_empty() {
                for d in &winners {
                    self.state[d.candidate as usize] = CState::Winner(r);
                    self.winners.push((d.candidate, r));
                }
                if rules.uses_surpluses() {
                    for d in &winners {
                        self.transfer_surplus(d.candidate)?;
                    }
                }
                self.current().decisions.extend(winners);
            } else if self.winners.len() < rules.number_of_winners as usize
                || (rules.continue_until_two && self.eliminated.len() + 2 < self.num_candidates())
                || rules.winner_mode == WinnerMode::BottomsUpPercentage
            {
                let mut out = self.drop_undeclared_write_ins();
                if out.is_empty() {
                    out = self.cutoff_elimination();
                }
                if out.is_empty() {
                    out = self.batch_elimination(&ttc);
                }
                if out.is_empty() {
                    out = self.regular_elimination(&ttc)?;
                }
                if out.is_empty() {
                    return Err(RcvError::Aborted {
                        round: r,
                        why: "failed to eliminate any candidates".into(),
                    });
                }
                for d in &out {
                    self.state[d.candidate as usize] = CState::Eliminated(r);
                    self.eliminated.push((d.candidate, r));
                }
                self.current().decisions.extend(out);
            }
            if rules.number_of_winners > 1 {
                self.update_winner_tallies();
            }
        }
        Ok(())
    }

    fn current(&mut self) -> &mut RoundResult {
        let i = self.rounds.len() - 1;
        &mut self.rounds[i]
    }

    fn should_continue(&self) -> bool {
        let rules = self.rules();
        let r = self.round;
        let stopped_early = rules.stop_after_round.is_some_and(|s| r >= s);
        // RCTab: "more winners than candidates: everyone is now elected".
        let everyone_elected = self.winners.len() == self.num_declared()
            && rules.number_of_winners as usize > self.num_candidates();
        if stopped_early || everyone_elected {
            false
        } else if rules.continue_until_two {
            self.eliminated.len() + self.winners.len() + 1 < self.num_candidates()
                || self.eliminated.iter().any(|(_, er)| *er == r)
        } else if rules.winner_mode == WinnerMode::BottomsUpPercentage {
            self.winners.is_empty()
        } else {
            self.winners.len() < rules.number_of_winners as usize
                || (rules.uses_surpluses() && self.winners.iter().any(|(_, wr)| *wr == r))
        }
    }

    fn should_recompute_threshold(&self) -> bool {
        let rules = self.rules();
        if rules.number_of_winners > 1 {
            return self.round == 1;
        }
        if self.round == 1 {
            return true;
        }
        if rules.first_round_determines_threshold {
            return false;
        }
        if rules.continue_until_two {
            return self.winners.is_empty();
        }
        true
    }

    fn threshold_for(&self, active: Decimal) -> Result<Decimal, RcvError> {
        let rules = self.rules();
        let overflow = || RcvError::Aborted {
            round: self.round,
            why: "threshold arithmetic overflow".into(),
        };
        if rules.winner_mode == WinnerMode::BottomsUpPercentage {
            let f = rules.bottoms_up_fraction.unwrap_or_default();
            return active.checked_mul(f).ok_or_else(overflow);
        }
        let seats = rules.number_of_winners;
        let divisor = Decimal::from(if rules.hare_quota { seats } else { seats + 1 });
        let decimals = if rules.non_integer_threshold {
            rules.decimal_places
        } else {
            0
        };
        if rules.hare_quota {
            divide(active, divisor, decimals, Round::Up).ok_or_else(overflow)
        } else {
            Ok(
                divide(active, divisor, decimals, Round::Down).ok_or_else(overflow)?
                    + unit(decimals),
            )
        }
    }

    /// RCTab's `buildTallyToCandidates`: vote total → candidates, candidates listed in the
    /// iteration order of RCTab's `HashMap` for that round's tally.
    fn tally_to_candidates(
        &self,
        round_idx: usize,
        only: Option<&[CandId]>,
    ) -> BTreeMap<Decimal, Vec<CandId>> {
        let rr = &self.rounds[round_idx];
        let mut out: BTreeMap<Decimal, Vec<CandId>> = BTreeMap::new();
        match only {
            None => {
                for c in self.java_order(&rr.tally.iter().map(|(c, _)| *c).collect::<Vec<_>>()) {
                    if let Some(v) = rr.votes(c) {
                        out.entry(v).or_default().push(c);
                    }
                }
            }
            Some(cands) => {
                for &c in cands {
                    if let Some(v) = rr.votes(c) {
                        out.entry(v).or_default().push(c);
                    }
                }
            }
        }
        out
    }

    /// Orders candidates as a Java `HashMap` keyed by their names, filled in the order RCTab
    /// fills it (the `HashSet` of all candidate names, filtered), would iterate them.
    fn java_order(&self, cands: &[CandId]) -> Vec<CandId> {
        let names = &self.spec.table.names;
        let all: Vec<&str> = names.iter().map(String::as_str).collect();
        let set_order = hash_map_order(&all);
        let inserted: Vec<CandId> = set_order
            .into_iter()
            .map(|i| i as CandId)
            .filter(|c| cands.contains(c))
            .collect();
        let keys: Vec<&str> = inserted
            .iter()
            .map(|c| names[*c as usize].as_str())
            .collect();
        hash_map_order(&keys)
            .into_iter()
            .map(|i| inserted[i])
            .collect()
    }

    fn identify_winners(
        &mut self,
        ttc: &BTreeMap<Decimal, Vec<CandId>>,
    ) -> Result<Vec<Decision>, RcvError> {
        let rules = self.rules().clone();
        let idx = self.rounds.len() - 1;
        let rr = &self.rounds[idx];
        if let Some(u) = self.spec.table.uwi {
            if rr.votes(u).is_some_and(|v| !v.is_zero()) {
                return Ok(Vec::new());
            }
        }
        let tally_cands: Vec<CandId> =
            self.java_order(&rr.tally.iter().map(|(c, _)| *c).collect::<Vec<_>>());
        let threshold = rr.threshold;
        let mut sel: Vec<CandId> = Vec::new();
        if rules.winner_mode == WinnerMode::BottomsUpPercentage {
            let above = rr.tally.iter().filter(|(_, v)| *v > threshold).count();
            if above == rr.tally.len() {
                sel = tally_cands;
            }
            return Ok(sel
                .into_iter()
                .map(|c| Decision {
                    candidate: c,
                    elected: true,
                    tiebreak: false,
                })
                .collect());
        }
        let unfilled = rules.number_of_winners as i64 - self.winners.len() as i64;
        let active_cands = rr.tally.len() as i64;
        if unfilled > 0 {
            if active_cands <= unfilled {
                sel = tally_cands;
            } else if rules.first_round_determines_threshold
                && active_cands - 1 == rules.number_of_winners as i64
            {
                sel = ttc.values().next_back().cloned().unwrap_or_default();
            } else if rules.winner_mode != WinnerMode::BottomsUp {
                for (votes, cands) in ttc {
                    if *votes >= threshold {
                        sel.extend(
                            cands
                                .iter()
                                .copied()
                                .filter(|c| Some(*c) != self.spec.table.uwi),
                        );
                    }
                }
            }
        }
        let needs_multi = sel.len() > 1
            && (rules.winner_mode == WinnerMode::MultiWinnerOnlyOnePerRound
                || rules.first_round_determines_threshold);
        let needs_none =
            rules.number_of_winners == 1 && sel.is_empty() && active_cands == 2 && unfilled == 1;
        if needs_multi || needs_none {
            let Some((_, top)) = ttc.iter().next_back() else {
                return Ok(Vec::new());
            };
            if top.len() > 1 {
                let w = self.tiebreak(true, top.clone())?;
                return Ok(vec![Decision {
                    candidate: w,
                    elected: true,
                    tiebreak: true,
                }]);
            }
            sel = top.clone();
        }
        Ok(sel
            .into_iter()
            .map(|c| Decision {
                candidate: c,
                elected: true,
                tiebreak: false,
            })
            .collect())
    }

    fn drop_undeclared_write_ins(&self) -> Vec<Decision> {
        let rr = &self.rounds[self.rounds.len() - 1];
        match self.spec.table.uwi {
            Some(u) if rr.votes(u).is_some_and(|v| v > Decimal::ZERO) => {
                vec![Decision {
                    candidate: u,
                    elected: false,
                    tiebreak: false,
                }]
            }
            _ => Vec::new(),
        }
    }

    fn cutoff_elimination(&self) -> Vec<Decision> {
        if !self.rules().cutoff_elimination {
            return Vec::new();
        }
        let rr = &self.rounds[self.rounds.len() - 1];
        self.java_order(&rr.tally.iter().map(|(c, _)| *c).collect::<Vec<_>>())
            .into_iter()
            .filter(|c| rr.votes(*c).is_some_and(|v| v < rr.threshold))
            .map(|c| Decision {
                candidate: c,
                elected: false,
                tiebreak: false,
            })
            .collect()
    }

    fn batch_elimination(&self, ttc: &BTreeMap<Decimal, Vec<CandId>>) -> Vec<Decision> {
        let rules = self.rules();
        if !rules.batch_elimination {
            return Vec::new();
        }
        let dp = rules.decimal_places;
        let mut running = Decimal::ZERO;
        let mut seen: Vec<CandId> = Vec::new();
        let mut done: Vec<CandId> = Vec::new();
        let mut elims: Vec<CandId> = Vec::new();
        let mut previous: Vec<CandId> = Vec::new();
        for (votes, cands) in ttc {
            let mut new_elims = elims.clone();
            if running < *votes {
                for c in &seen {
                    if !done.contains(c) {
                        done.push(*c);
                        new_elims.push(*c);
                    }
                }
            }
            running +=
                multiply_down(*votes, Decimal::from(cands.len() as u64), dp).unwrap_or(*votes);
            seen.extend(cands.iter().copied());
            if new_elims.len() > elims.len() {
                previous = std::mem::replace(&mut elims, new_elims);
            }
        }
        if rules.continue_until_two
            && elims.len() + self.eliminated.len() + 1 == self.num_candidates()
        {
            elims = previous;
        }
        if elims.len() > 1 {
            elims
                .into_iter()
                .map(|c| Decision {
                    candidate: c,
                    elected: false,
                    tiebreak: false,
                })
                .collect()
        } else {
            Vec::new()
        }
    }

    fn regular_elimination(
        &mut self,
        ttc: &BTreeMap<Decimal, Vec<CandId>>,
    ) -> Result<Vec<Decision>, RcvError> {
        let Some((_, last)) = ttc.iter().next() else {
            return Ok(Vec::new());
        };
        if last.len() > 1 {
            let c = self.tiebreak(false, last.clone())?;
            Ok(vec![Decision {
                candidate: c,
                elected: false,
                tiebreak: true,
            }])
        } else {
            Ok(vec![Decision {
                candidate: last[0],
                elected: false,
                tiebreak: false,
            }])
        }
    }

    /// RCTab's `Tiebreak.selectCandidate`: picks the winner (or loser) among `tied`.
    fn tiebreak(
        &mut self,
        selecting_winner: bool,
        mut tied: Vec<CandId>,
    ) -> Result<CandId, RcvError> {
        let names = self.spec.table.names.clone();
        tied.sort_by(|a, b| string_cmp(&names[*a as usize], &names[*b as usize]));
        match self.rules().tiebreak_mode {
            TiebreakMode::Interactive => Err(self.interactive_error(&tied)),
            TiebreakMode::Random => self.random_pick(&tied),
            TiebreakMode::UseCandidateOrder | TiebreakMode::GeneratePermutation => {
                let pick = if selecting_winner {
                    self.permutation.iter().find(|c| tied.contains(c))
                } else {
                    self.permutation.iter().rev().find(|c| tied.contains(c))
                };
                pick.copied().ok_or_else(|| RcvError::Aborted {
                    round: self.round,
                    why: "tied candidates are not in the tie-break permutation".into(),
                })
            }
            TiebreakMode::PreviousRoundCountsThenRandom
            | TiebreakMode::PreviousRoundCountsThenAsk => {
                let mut contention = tied;
                for rc in (1..self.round).rev() {
                    // RCTab builds a HashSet of the contenders, so they come out in hash order.
                    let ordered = self.java_order_of(&contention);
                    let ttc = self.tally_to_candidates(rc as usize - 1, Some(&ordered));
                    let pick = if selecting_winner {
                        ttc.into_iter().next_back()
                    } else {
                        ttc.into_iter().next()
                    };
                    if let Some((_, cands)) = pick {
                        contention = cands;
                    }
                    if contention.len() == 1 {
                        return Ok(contention[0]);
                    }
                }
                if self.rules().tiebreak_mode == TiebreakMode::PreviousRoundCountsThenAsk {
                    Err(self.interactive_error(&contention))
                } else {
                    self.random_pick(&contention)
                }
            }
        }
    }

    /// Hash order of a `new HashSet<>(list)` of candidate names.
    fn java_order_of(&self, cands: &[CandId]) -> Vec<CandId> {
        let keys: Vec<&str> = cands.iter().map(|c| self.name(*c)).collect();
        hash_map_order(&keys)
            .into_iter()
            .map(|i| cands[i])
            .collect()
    }

    fn random_pick(&mut self, tied: &[CandId]) -> Result<CandId, RcvError> {
        let round = self.round;
        let rnd = self.random.as_mut().ok_or_else(|| RcvError::Aborted {
            round,
            why: "random tie-break needs rules.randomSeed".into(),
        })?;
        let d = rnd.next_double();
        let i = (d * tied.len() as f64).floor() as usize;
        tied.get(i).copied().ok_or_else(|| RcvError::Aborted {
            round,
            why: "random tie-break index out of range".into(),
        })
    }

    fn interactive_error(&self, tied: &[CandId]) -> RcvError {
        let names: Vec<&str> = tied.iter().map(|c| self.name(*c)).collect();
        RcvError::Aborted {
            round: self.round,
            why: format!("tie among {names:?} needs an operator (tiebreakMode stopCountingAndAsk)"),
        }
    }

    fn transfer_surplus(&mut self, w: CandId) -> Result<(), RcvError> {
        let dp = self.rules().decimal_places;
        let rr = &self.rounds[self.rounds.len() - 1];
        let votes = rr.votes(w).unwrap_or_default();
        let extra = sub(votes, rr.threshold);
        let fraction = if extra > Decimal::ZERO {
            divide(extra, votes, dp, Round::Down).ok_or(RcvError::Aborted {
                round: self.round,
                why: "surplus fraction overflow".into(),
            })?
        } else {
            Decimal::ZERO
        };
        for k in 0..self.holders[w as usize].len() {
            let i = self.holders[w as usize][k] as usize;
            if self.value[i].is_none() {
                // No longer a whole ballot: its value is summed with the fractions from now on.
                self.whole[w as usize] -= self.store.count(i);
            }
            let v = self.value[i].unwrap_or(Decimal::ONE);
            let moved = multiply_down(v, fraction, dp).ok_or(RcvError::Aborted {
                round: self.round,
                why: "transfer value overflow".into(),
            })?;
            let kept = sub(v, moved);
            self.locked[w as usize] = add(
                self.locked[w as usize],
                mul(kept, Decimal::from(self.store.count(i))),
            );
            self.value[i] = Some(sub(v, kept));
        }
        Ok(())
    }

    fn update_winner_tallies(&mut self) {
        let r = self.round;
        let idx = self.rounds.len() - 1;
        let mut requiring = Vec::new();
        for &(w, wr) in &self.winners {
            if wr == r {
                continue;
            }
            let v = if wr + 1 == r {
                requiring.push(w);
                self.locked[w as usize]
            } else {
                self.rounds[idx - 1].votes(w).unwrap_or_default()
            };
            set_votes(&mut self.rounds[idx].tally, w, v);
        }
        let threshold = self.rounds[idx].threshold;
        for w in requiring {
            let v = self.rounds[idx].votes(w).unwrap_or_default();
            let residual = sub(v, threshold);
            if residual > Decimal::ZERO {
                set_votes(&mut self.rounds[idx].tally, w, threshold);
                *self.rounds[idx]
                    .transfers
                    .entry((Endpoint::Candidate(w), Endpoint::ResidualSurplus))
                    .or_insert(Decimal::ZERO) = residual;
            }
        }
    }

    /// RCTab's `computeTalliesForRound` over distinct ballots, incrementally: RCTab re-reads
    /// every CVR each round, but a ballot whose recipient is still continuing counts for it
    /// again unchanged, so only the ballots of candidates that stopped continuing (and, in
    /// round 1, all of them) are read. Totals are exact, so the result is the same.
    fn compute_tallies(&mut self) -> Result<RoundResult, RcvError> {
        let n = self.state.len();
        let continuing: Vec<bool> = (0..n).map(|c| self.is_continuing(c as CandId)).collect();
        let mut transfers = Transfers::new(n);
        let mut seen: Vec<u32> = Vec::new();
        // Ballots to re-read, by where they come from.
        let mut batches: Vec<(Option<CandId>, Vec<u32>)> = Vec::new();
        if !self.unread.is_empty() {
            batches.push((None, std::mem::take(&mut self.unread)));
        }
        for (c, held) in self.holders.iter_mut().enumerate() {
            if !continuing[c] && !held.is_empty() {
                batches.push((Some(c as CandId), std::mem::take(held)));
            }
        }
        let limbo = std::mem::take(&mut self.limbo);
        for (from, list) in batches {
            if let Some(c) = from {
                // These ballots are no longer counted for `c`.
                self.whole[c as usize] = 0;
            }
            for i in list {
                self.reread(i, &continuing, &mut transfers, &mut seen)?;
            }
        }
        for i in limbo {
            self.reread(i, &continuing, &mut transfers, &mut seen)?;
        }
        let round_tally: Vec<(CandId, Decimal)> = (0..n)
            .filter(|&c| continuing[c])
            .map(|c| (c as CandId, self.tally_of(c)))
            .collect();
        let mut st = [Decimal::ZERO; N_STATUS];
        for (k, a) in self.inactive.iter().enumerate() {
            st[k] = a.get();
        }
        // Active ballots are counted in the candidates' tallies.
        st[BallotStatus::Active as usize] = round_tally
            .iter()
            .fold(Decimal::ZERO, |s, (_, v)| add(s, *v));
        Ok(RoundResult {
            round: self.round,
            tally: round_tally,
            threshold: Decimal::ZERO,
            statuses: st,
            decisions: Vec::new(),
            transfers: transfers.into_map(),
        })
    }

    /// Votes of candidate `c` now: its whole ballots plus the fractional values it holds,
    /// summed in `BigDecimal` fashion (so the scale is that of the values it holds now).
    fn tally_of(&self, c: usize) -> Decimal {
        let mut acc = Acc {
            whole: self.whole[c],
            frac: Decimal::ZERO,
        };
        if !self.value.is_empty() {
            for &i in &self.holders[c] {
                if let Some(v) = self.value[i as usize] {
                    acc.add(Some(v), self.store.count(i as usize));
                }
            }
        }
        acc.get()
    }

    /// Re-reads distinct ballot `i` from its first ranking (its recipient stopped continuing,
    /// or it was never read) and counts it where it now goes.
    fn reread(
        &mut self,
        i: u32,
        continuing: &[bool],
        transfers: &mut Transfers,
        seen: &mut Vec<u32>,
    ) -> Result<(), RcvError> {
        let idx = i as usize;
        let store = self.store;
        let count = store.count(idx);
        let surpluses = !self.value.is_empty();
        let value = if surpluses { self.value[idx] } else { None };
        let rules = &self.spec.rules;
        let all_seats_filled =
            rules.uses_surpluses() && self.winners.len() == rules.number_of_winners as usize;
        let rc = self.recipient[idx];
        let from = if rc == NO_RECIPIENT {
            Endpoint::Uncounted
        } else {
            Endpoint::Candidate(rc)
        };
        let ballot = store.ballot(idx);
        let max_rank = store.max_rank(idx);
        let mut outcome: Option<(Option<CandId>, BallotStatus)> = None;
        if ballot.is_empty() {
            outcome = Some((None, BallotStatus::DidNotRankAnyCandidates));
        }
        let mut last_rank = 0u32;
        seen.clear();
        for (rank, cands) in ballot.ranks() {
            if all_seats_filled {
                outcome = Some((None, BallotStatus::FinalRoundSurplus));
                break;
            }
            if let Some(max_skip) = rules.max_skipped_ranks {
                if rank - last_rank > max_skip + 1 {
                    outcome = Some((None, BallotStatus::SkippedRankings));
                    break;
                }
            }
            last_rank = rank;
            if rules.exhaust_on_duplicate {
                let mut dup = false;
                for &c in cands {
                    if seen.contains(&c) {
                        dup = true;
                        break;
                    }
                    seen.push(c);
                }
                if dup {
                    outcome = Some((None, BallotStatus::RepeatedRankings));
                    break;
                }
            }
            match self.overvote_decision(cands, continuing)? {
                OvervoteDecision::Exhaust => {
                    outcome = Some((None, BallotStatus::Overvotes));
                    break;
                }
                OvervoteDecision::SkipToNextRank => {
                    if rank == max_rank {
                        outcome = Some((None, BallotStatus::ExhaustedChoices));
                    }
                    continue;
                }
                OvervoteDecision::None => {}
            }
            if let Some(&c) = cands.iter().find(|&&c| {
                c != OVERVOTE as u32 && continuing.get(c as usize).copied().unwrap_or(false)
            }) {
                outcome = Some((Some(c as CandId), BallotStatus::Active));
                break;
            }
            if rank == max_rank {
                outcome = Some((None, BallotStatus::ExhaustedChoices));
            }
        }
        let Some((selected, new_status)) = outcome else {
            // RCTab leaves such a ballot with its old recipient, not counted this round.
            self.limbo.push(i);
            return Ok(());
        };
        let positive = value.is_none_or(|v| v > Decimal::ZERO);
        if positive {
            let to = selected
                .map(Endpoint::Candidate)
                .unwrap_or(Endpoint::Exhausted);
            transfers.add(from, to, value, count);
        }
        match selected {
            Some(c) => {
                self.recipient[idx] = c;
                self.holders[c as usize].push(i);
                if value.is_none() {
                    self.whole[c as usize] += count;
                }
            }
            None => {
                self.recipient[idx] = NO_RECIPIENT;
                self.status[idx] = new_status as u8;
                self.inactive[new_status as usize].add(value, count);
            }
        }
        Ok(())
    }

    fn overvote_decision(
        &self,
        cands: &[u32],
        continuing: &[bool],
    ) -> Result<OvervoteDecision, RcvError> {
        let rule = self.rules().overvote_rule;
        let explicit = cands.contains(&(OVERVOTE as u32));
        if explicit {
            if cands.len() != 1 {
                return Err(RcvError::Aborted {
                    round: self.round,
                    why: "a ranking holds the explicit overvote label together with candidates"
                        .into(),
                });
            }
            return match rule {
                OvervoteRule::ExhaustImmediately => Ok(OvervoteDecision::Exhaust),
                OvervoteRule::AlwaysSkipToNextRank => Ok(OvervoteDecision::SkipToNextRank),
                OvervoteRule::ExhaustIfMultipleContinuing => Err(RcvError::Aborted {
                    round: self.round,
                    why: "overvoteRule exhaustIfMultipleContinuing cannot be used with an explicit overvote label".into(),
                }),
            };
        }
        if cands.len() <= 1 {
            return Ok(OvervoteDecision::None);
        }
        Ok(match rule {
            OvervoteRule::ExhaustImmediately => OvervoteDecision::Exhaust,
            OvervoteRule::AlwaysSkipToNextRank => OvervoteDecision::SkipToNextRank,
            OvervoteRule::ExhaustIfMultipleContinuing => {
                let k = cands
                    .iter()
                    .filter(|&&c| continuing.get(c as usize).copied().unwrap_or(false))
                    .count();
                if k >= 2 {
                    OvervoteDecision::Exhaust
                } else {
                    OvervoteDecision::None
                }
            }
        })
    }
}

fn set_votes(tally: &mut Vec<(CandId, Decimal)>, c: CandId, v: Decimal) {
    match tally.iter_mut().find(|(id, _)| *id == c) {
        Some(e) => e.1 = v,
        None => tally.push((c, v)),
    }
}

/// One round's transfers, accumulated per (from, to) in dense rows: a round re-reads the
/// ballots of one or a few candidates, so there are few rows, and adding is an index.
struct Transfers {
    n: usize,
    /// `(from, per-destination totals)`; destination `n` is `Exhausted`.
    rows: Vec<(Endpoint, Vec<Option<Acc>>)>,
}

impl Transfers {
    fn new(n: usize) -> Self {
        Transfers {
            n,
            rows: Vec::new(),
        }
    }

    fn add(&mut self, from: Endpoint, to: Endpoint, value: Option<Decimal>, count: u64) {
        let r = match self.rows.iter().rposition(|(f, _)| *f == from) {
            Some(r) => r,
            None => {
                self.rows.push((from, vec![None; self.n + 1]));
                self.rows.len() - 1
            }
        };
        let k = match to {
            Endpoint::Candidate(c) => c as usize,
            _ => self.n,
        };
        self.rows[r].1[k]
            .get_or_insert_with(Acc::default)
            .add(value, count);
    }

    fn into_map(self) -> BTreeMap<(Endpoint, Endpoint), Decimal> {
        let n = self.n;
        let mut out = BTreeMap::new();
        for (from, row) in self.rows {
            for (k, acc) in row.into_iter().enumerate() {
                if let Some(acc) = acc {
                    let to = if k == n {
                        Endpoint::Exhausted
                    } else {
                        Endpoint::Candidate(k as CandId)
                    };
                    out.insert((from, to), acc.get());
                }
            }
        }
        out
    }
}
