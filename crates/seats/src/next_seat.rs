//! Votes to one more seat under a largest-remainder method, solved exactly.
//!
//! # What is computed
//!
//! For a party with `s` seats, *votes to the next seat* is the **smallest** number `x` of
//! additional votes with which the allocation, by its own rules and tie-break, gives it at
//! least `s + 1` seats, every other list's votes and eligibility held fixed (the quota and the
//! threshold base grow with `x`). Largest remainder is not monotone in a party's own votes
//! when the quota is a whole number (Droop: `⌊total/(seats+1)⌋ + 1` rises by one every
//! `seats + 1` votes and can push the party's remainder back below a rival's), so a second
//! number is given where it differs: the least `y` from which *every* `x ≥ y` wins the seat.
//!
//! # How
//!
//! Largest remainder with quota `q` hands out the `S` highest of the *priorities*
//! `v_j − k·q` (`k = 0, 1, …`; a list's whole quotas come first, then its remainder, then,
//! in the rare round where every list gets one more, its remainder less a quota). The party
//! wins its seat `g = s + 1` exactly when at most `K = S − g` priorities of other lists rank
//! above its own `g`-th priority `p = v_i + x − s·q` (an equal one ranks above if it wins the
//! tie). How many do is a count over the lines `v_j − k·q(x)` against `p(x)`:
//!
//! - with a fractional quota (`q = T/d`, `d` = `S`, `S + 1`, `S + 2`), `p` gains on every
//!   other priority with every vote (`(j, k)` ranks above while `d·v_j ≥ d·v_i − s·T + k·T +
//!   (d − s + k)·x`), so the count only falls as `x` grows and the least `x` with a count of at
//!   most `K` is found by bisection, exactly;
//! - Droop's whole quota `Q` is constant on runs of `S + 1` totals and jumps by one between
//!   them, which can undo the gain. Over the runs' *last* totals the count falls again
//!   (`v_j + 1 + T_o ≥ (S + 1 − s + k)·Q`, `T_o` the other lists' votes), which bisects to the
//!   first run with a winning total; inside a run the quota is fixed and the count falls with
//!   `x`. The runs' *first* totals give, the same way, the first run from which every total
//!   wins: the "always" number.
//!
//! A count takes the eligible lists grouped by their whole quotas in the allocation, each group
//! sorted by votes: for each group every priority `k` lies wholly above `p`, wholly below, or
//! (for at most two `k`) splits the group where a binary search finds. So a count costs
//! O(groups · log lists), and a party O(log votes) counts, instead of a pass over all lists:
//! every party of 1,000 lists in 1,000 seats in a few milliseconds. Only an exact tie asks the
//! tie-break rules (a lot also needs the seat's number, counted then); where the quota hands
//! out more whole quotas than seats (Imperiali quota), a tie goes by the order in which the
//! allocation withdraws them instead.

use crate::method::Method;
use crate::tie::TieBreaker;

/// One largest-remainder allocation seen from any party's side, prepared once.
pub(crate) struct RemainderView<'a> {
    droop: bool,
    /// The quota's divisor of the total for fractional quotas (`S`, `S + 1`, `S + 2`).
    d: i128,
    seats: i128,
    /// Votes of the eligible lists.
    total: i128,
    /// Votes per list (input order), `None` if not eligible.
    votes: Vec<Option<i128>>,
    /// The eligible lists grouped by their whole quotas in the allocation, each sorted by key
    /// (`d·votes` for fractional quotas, `votes` for Droop): a group is narrower than one
    /// quota, so a priority level splits it at most once.
    groups: Vec<Group>,
    labels: &'a [&'a str],
    tie: TieBreaker<'a>,
}

struct Group {
    /// Keys, ascending, and the list of each.
    keys: Vec<i128>,
    lists: Vec<usize>,
}

/// The answer for one party: the least number of votes, and (when different) the least from
/// which every larger number also wins the seat.
pub(crate) type NextSeat = (Option<u64>, Option<u64>);

impl<'a> RemainderView<'a> {
    /// `votes` and `labels` in input order, `eligible` the lists that take part.
    pub(crate) fn new(
        method: Method,
        seats: u32,
        votes: &[u64],
        eligible: &[usize],
        labels: &'a [&'a str],
        tie: TieBreaker<'a>,
    ) -> Self {
        let droop = method == Method::Droop;
        let s = i128::from(seats);
        let d = match method {
            Method::HagenbachBischoff => s + 1,
            Method::ImperialiQuota => s + 2,
            _ => s,
        };
        let total: i128 = eligible.iter().map(|&j| i128::from(votes[j])).sum();
        let q0 = if droop { total / (s + 1) + 1 } else { total };
        let key = |v: i128| if droop { v } else { d * v };
        let mut per = vec![None; votes.len()];
        let mut keyed: Vec<(i128, i128, usize)> = eligible
            .iter()
            .map(|&j| {
                let v = i128::from(votes[j]);
                per[j] = Some(v);
                (key(v) / q0.max(1), key(v), j)
            })
            .collect();
        keyed.sort_unstable();
        let mut groups: Vec<Group> = Vec::new();
        let mut current = None;
        for (f, k, j) in keyed {
            if current != Some(f) {
                groups.push(Group {
                    keys: Vec::new(),
                    lists: Vec::new(),
                });
                current = Some(f);
            }
            if let Some(g) = groups.last_mut() {
                g.keys.push(k);
                g.lists.push(j);
            }
        }
        RemainderView {
            droop,
            d,
            seats: s,
            total,
            votes: per,
            groups,
            labels,
            tie,
        }
    }

    /// Whether list `j` ranks before party `i` (with `vi + x` votes) in a tie between their
    /// remainders at `x`; a tie the rules cannot break counts against the party.
    fn beats(&self, j: usize, i: usize, vi: i128, x: i128) -> bool {
        let vj = self.votes[j].unwrap_or(0);
        if self.d > self.seats && self.whole_quotas(i, vi, x) > self.seats {
            // More whole quotas than seats (Imperiali quota, or Hagenbach-Bischoff with no
            // remainder anywhere): the allocation withdraws seats from the smallest
            // remainders, and among equal ones from fewer votes, then the later id, first.
            return vj > vi + x || (vj == vi + x && self.labels[j] < self.labels[i]);
        }
        let votes = |v: i128| u64::try_from(v).unwrap_or(u64::MAX);
        let at = || format!("remainder seat {}", self.remainders_above(i, vi, x) + 1);
        self.tie
            .before(
                &at,
                (self.labels[j], votes(vj), j),
                (self.labels[i], votes(vi + x), i),
            )
            .unwrap_or(true)
    }

    /// Whole quotas of all lists when party `i` has `vi + x` votes (fractional quotas; only at
    /// an exact tie, so O(lists) divisions are fine).
    fn whole_quotas(&self, i: usize, vi: i128, x: i128) -> i128 {
        let own = self.votes.get(i).copied().flatten();
        let t = (self.total - own.unwrap_or(0) + vi + x).max(1);
        let others: i128 = self
            .votes
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .filter_map(|(_, v)| *v)
            .map(|v| self.d * v / t)
            .sum();
        others + self.d * (vi + x) / t
    }

    /// How many lists' remainders exceed party `i`'s at `x` (the number of the tied seat).
    /// Only a lot needs it, and only at an exact tie: O(lists) divisions are fine there.
    fn remainders_above(&self, i: usize, vi: i128, x: i128) -> usize {
        let own = self.votes.get(i).copied().flatten().unwrap_or(0);
        let t = self.total - own + vi + x;
        // Remainders scaled to integers: v mod Q (Droop), d·v mod T (fractional quotas).
        let rem = |v: i128| {
            if self.droop {
                v.rem_euclid(t.div_euclid(self.seats + 1) + 1)
            } else {
                (self.d * v).rem_euclid(t.max(1))
            }
        };
        let ri = rem(vi + x);
        self.votes
            .iter()
            .enumerate()
            .filter(|(j, v)| *j != i && v.is_some_and(|v| rem(v) > ri))
            .count()
    }

    /// Priorities of lists other than `i` that rank above the party, where priority `k` of a
    /// list with key `key` ranks above while `key ≥ θ0 + k·step` (`step` at least a group's
    /// width), and at equality only if it wins the tie at `x`. `own` is the party's own key,
    /// if it is among the lists (its own priorities are not rivals).
    fn above(
        &self,
        i: usize,
        vi: i128,
        own: Option<i128>,
        theta0: i128,
        step: i128,
        x: i128,
    ) -> i128 {
        // Priorities k = 0, 1, … with θ0 + k·step < bound.
        let below = |bound: i128| {
            if bound > theta0 {
                (bound - theta0 - 1) / step + 1
            } else {
                0
            }
        };
        let mut n = 0;
        for g in &self.groups {
            let (Some(&lo), Some(&hi)) = (g.keys.first(), g.keys.last()) else {
                continue;
            };
            // Levels under the group's lowest key: every list of it ranks above there.
            let full = below(lo);
            n += full * g.keys.len() as i128;
            let mut k = full;
            loop {
                let theta = theta0 + k * step;
                if theta > hi {
                    break;
                }
                let lt = g.keys.partition_point(|&v| v < theta);
                let le = g.keys.partition_point(|&v| v <= theta);
                n += (g.keys.len() - le) as i128;
                n += g.lists[lt..le]
                    .iter()
                    .filter(|&&j| j != i && self.beats(j, i, vi, x))
                    .count() as i128;
                k += 1;
            }
        }
        // The party's own priorities, counted above among its group when strictly above.
        n - own.map_or(0, below)
    }

    /// Votes party `i` (with `votes` and `seats` now) needs for one more seat, at least `lb`
    /// (what it needs to pass the threshold, or 1 without votes).
    pub(crate) fn next_seat(&self, i: usize, votes: u64, seats: u32, lb: u64) -> NextSeat {
        let s = i128::from(seats);
        if s + 1 > self.seats {
            return (None, None);
        }
        let vi = i128::from(votes);
        let own_votes = self.votes.get(i).copied().flatten();
        let t_o = self.total - own_votes.unwrap_or(0);
        let t0 = t_o + vi;
        let lb = i128::from(lb);
        let k = self.seats - s - 1;
        let fit = |x: i128| u64::try_from(x).ok();
        if !self.droop {
            let d = self.d;
            let alpha = d - s;
            let own = own_votes.map(|v| d * v);
            // Priority k of list j ranks above while d·v_j ≥ d·v_i − s·T0 + k·T0 + (α + k)·x.
            let wins =
                |x: i128| self.above(i, vi, own, d * vi - s * t0 + alpha * x, t0 + x, x) <= k;
            // Above every other list's first priority nothing outranks the party.
            let vmax = self.votes.iter().flatten().copied().max().unwrap_or(0);
            let mut hi = (d * vmax - d * vi + s * t0).div_euclid(alpha) + 1;
            if self.d == self.seats && s + 1 < d {
                // Hare never hands out more whole quotas than seats: with s + 1 whole quotas
                // the seat is won.
                let g = s + 1;
                hi = hi.min(ceil_div((g * t0 - d * vi).max(0), d - g));
            }
            return (fit(bisect(lb, hi.max(lb), wins)), None);
        }

        // Droop. Quota at total t: ⌊t/(S+1)⌋ + 1; run Q covers totals (Q−1)(S+1) … Q(S+1)−1.
        let s1 = self.seats + 1;
        let alpha = s1 - s;
        let quota = |x: i128| (t0 + x).div_euclid(s1) + 1;
        let start = |q: i128| (q - 1) * s1 - t0;
        let end = |q: i128| q * s1 - 1 - t0;
        let g = s + 1;
        // From here on s + 1 whole quotas are certain (Droop never over-allocates).
        let x_ub = ceil_div((g * (t0 + s1) - s1 * vi).max(0), s1 - g).max(lb);
        let (q_lb, qmax) = (quota(lb), quota(x_ub) + 1);
        let c = 1 + t_o;
        // Over the runs' last totals, priority k of list j ranks above while
        // v_j ≥ (α + k)·Q − 1 − T_o; over their first totals while v_j ≥ (α + k)·Q − 1 − T_o − S.
        let wins_end = |q: i128| self.above(i, vi, own_votes, alpha * q - c, q, end(q)) <= k;
        let wins_start =
            |q: i128| self.above(i, vi, own_votes, alpha * q - c - self.seats, q, start(q)) <= k;
        // Inside run q: priority k of list j ranks above while v_j ≥ v_i + x + (k − s)·q.
        let in_run = |q: i128, from: i128, to: i128| {
            bisect(from, to, |x| {
                self.above(i, vi, own_votes, vi + x - s * q, q, x) <= k
            })
        };
        let q_first = bisect(q_lb, qmax, wins_end);
        let first = in_run(q_first, start(q_first).max(lb), end(q_first));
        let q_always = bisect(q_lb, qmax, wins_start).max(q_first + 1);
        let always = if q_always == q_first + 1 {
            first
        } else {
            let q = q_always - 1;
            in_run(q, start(q), end(q))
        };
        (
            fit(first),
            Some(always).filter(|a| *a != first).and_then(fit),
        )
    }
}

fn ceil_div(a: i128, b: i128) -> i128 {
    if b <= 0 {
        return i128::MAX / 4;
    }
    a.div_euclid(b) + i128::from(a.rem_euclid(b) != 0)
}

/// The least `y` in `[lo, hi]` with `wins(y)`, for a predicate that never turns false again
/// once true; `hi` if none (it is a proven bound where this is used).
fn bisect(mut lo: i128, mut hi: i128, wins: impl Fn(i128) -> bool) -> i128 {
    if lo >= hi || wins(lo) {
        return lo.min(hi.max(lo));
    }
    // wins(lo) is false; find the least winning y in (lo, hi].
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if wins(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}
