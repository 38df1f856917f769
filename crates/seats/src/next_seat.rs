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
//! tie). Each other priority `(j, k)` is a line in `x` that `p` crosses once:
//!
//! - fractional quotas (`q = T/d`, `d` = `S`, `S + 1`, `S + 2`): `(j, k)` ranks above while
//!   `d(v_j − v_i) + s·T − k·T ≥ (d − s + k)·x`, so fewer rank above as `x` grows, and the
//!   answer is one past the `(K + 1)`-th largest of the last `x` each ranks above;
//! - Droop's whole quota `Q` is constant on runs of `S + 1` totals: over the runs' *last*
//!   totals `(j, k)` ranks above while `v_j + 1 + T_o ≥ (S + 1 − s + k)·Q` (`T_o`: the other
//!   lists' votes), again falling, which picks the first run that has a winning total; inside
//!   it the quota is fixed and the crossing points are whole numbers. The runs' *first* totals
//!   give, the same way, the first run from which every total wins: the "always" number.
//!
//! Crossing points are compared as fractions by cross-multiplication and only the chosen one
//! is divided; the counts where the search starts come from the allocation's own whole quotas
//! and remainders. So a party costs O(lists) multiplications and no division per list (a
//! fallback divides when the search starts elsewhere, e.g. above a threshold), and only an
//! exact tie asks the tie-break rules (a lot also needs the seat's number, counted then).
//!
//! Where the Imperiali quota hands out more whole quotas than seats, the allocation withdraws
//! seats by its own order, which this arithmetic does not model; the figure is then an estimate.

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
    /// The allocation's quota: Droop's whole quota, or the total (the quota is `total / d`).
    q0: i128,
    /// Per list (input order): `Some((votes, whole quotas, remainder))` if eligible, where the
    /// remainder is scaled by `d` for fractional quotas (`d·v − f·total`), so all are integers.
    lists: Vec<Option<(i128, i128, i128)>>,
    labels: &'a [&'a str],
    tie: TieBreaker<'a>,
}

/// The answer for one party: the least number of votes, and (when different) the least from
/// which every larger number also wins the seat.
pub(crate) type NextSeat = (Option<u64>, Option<u64>);

/// An other list's priority in a search: its row's position, the last `y` at which it is at
/// least level with the party, and whether it is exactly level there (then it ranks above
/// only if it wins the tie, asked only where that matters).
type Crossing = (u32, i128, bool);

/// A row of a search: the list, `n` of its lines, and how many of its priorities rank above
/// the party where the search starts.
type Row = (usize, i128, i128);

/// The lines of one search: priority `k` of row `(j, n, c)` ranks above the party at `y`
/// while `n − k·β ≥ (α + k·γ)·y`; at equality `tie(j, y)` says whether it does.
struct Lines<'t> {
    alpha: i128,
    beta: i128,
    gamma: i128,
    tie: &'t dyn Fn(usize, i128) -> bool,
}

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
        let mut lists = vec![None; votes.len()];
        for &j in eligible {
            let v = i128::from(votes[j]);
            let (num, den) = if droop { (v, q0) } else { (d * v, total) };
            let f = num / den.max(1);
            lists[j] = Some((v, f, num - f * den));
        }
        RemainderView {
            droop,
            d,
            seats: s,
            total,
            q0,
            lists,
            labels,
            tie,
        }
    }

    /// Whether list `j` ranks before party `i` (with `vi + x` votes) in a tie between their
    /// remainders at `x`; a tie the rules cannot break counts against the party.
    fn beats(&self, j: usize, i: usize, vi: i128, x: i128) -> bool {
        let vj = self.lists[j].map_or(0, |l| l.0);
        let vix = vi + x;
        let votes = |v: i128| u64::try_from(v).unwrap_or(u64::MAX);
        let at = || format!("remainder seat {}", self.remainders_above(i, vi, x) + 1);
        self.tie
            .before(
                &at,
                (self.labels[j], votes(vj), j),
                (self.labels[i], votes(vix), i),
            )
            .unwrap_or(true)
    }

    /// How many lists' remainders exceed party `i`'s at `x` (the number of the tied seat).
    /// Only a lot needs it, and only at an exact tie: O(lists) divisions are fine there.
    fn remainders_above(&self, i: usize, vi: i128, x: i128) -> usize {
        let own = self.lists.get(i).copied().flatten().map_or(0, |o| o.0);
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
        self.lists
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .filter_map(|(_, l)| *l)
            .filter(|l| rem(l.0) > ri)
            .count()
    }

    /// Votes party `i` (with `votes` and `seats` now) needs for one more seat, at least `lb`
    /// (what it needs to pass the threshold, or 1 without votes).
    pub(crate) fn next_seat(&self, i: usize, votes: u64, seats: u32, lb: u64) -> NextSeat {
        let s = i128::from(seats);
        if s + 1 > self.seats {
            return (None, None);
        }
        let vi = i128::from(votes);
        let own = self.lists.get(i).copied().flatten();
        let t_o = self.total - own.map_or(0, |o| o.0);
        let t0 = t_o + vi;
        let lb = i128::from(lb);
        // The allocation's own floors and remainders serve when the search starts where the
        // allocation stands: the party is in it and needs nothing to take part.
        let here = own.filter(|_| lb == 0);
        let k = self.seats - s - 1;
        let others = || {
            self.lists
                .iter()
                .enumerate()
                .filter(move |(j, _)| *j != i)
                .filter_map(|(j, l)| l.map(|l| (j, l)))
        };
        let fit = |x: i128| u64::try_from(x).ok();
        if !self.droop {
            let d = self.d;
            let alpha = d - s;
            // Each other priority ranks above while n − k·T0 ≥ (α + k)·x.
            let mut rows: Vec<Row> = Vec::with_capacity(self.lists.len());
            let mut vmax = 0;
            for (j, (vj, fj, rj)) in others() {
                vmax = vmax.max(vj);
                let n = d * (vj - vi) + s * t0;
                let c = match here {
                    Some((_, fi, ri)) => (fj - fi + s + i128::from(rj >= ri)).max(0),
                    None => count(n, alpha, t0, 1, lb),
                };
                rows.push((j, n, c));
            }
            // Above every other list's first priority nothing outranks the party.
            let mut ymax = (d * vmax - d * vi + s * t0).div_euclid(alpha) + 1;
            if self.d == self.seats && s + 1 < d {
                // Hare never hands out more whole quotas than seats: with s + 1 whole quotas
                // the seat is won.
                let g = s + 1;
                ymax = ymax.min(ceil_div((g * t0 - d * vi).max(0), d - g));
            }
            let tie = |j: usize, x: i128| self.beats(j, i, vi, x);
            let lines = Lines {
                alpha,
                beta: t0,
                gamma: 1,
                tie: &tie,
            };
            let mut crossings = Vec::new();
            let ymax = ymax.max(lb);
            let x = least(&rows, &lines, lb, ymax, k, &mut crossings).unwrap_or(ymax);
            return (fit(x), None);
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
        let q_lb = quota(lb);
        let qmax = quota(x_ub) + 1;
        // Counts at run q_lb, over the runs' last totals (n = v + 1 + T_o) and first ones (+S).
        let q0 = self.q0.max(1);
        let (cq, cr) = ((1 + t_o).div_euclid(q0), (1 + t_o).rem_euclid(q0));
        let (sq, sr) = (
            (1 + t_o + self.seats).div_euclid(q0),
            (1 + t_o + self.seats).rem_euclid(q0),
        );
        let mut last_rows = Vec::with_capacity(self.lists.len());
        let mut first_rows = Vec::with_capacity(self.lists.len());
        for (j, (vj, fj, rj)) in others() {
            let n = vj + 1 + t_o;
            let (c_last, c_first) = if here.is_some() {
                // ⌊n/Q0⌋ = f + ⌊(r + C)/Q0⌋, and 0 ≤ r + (C mod Q0) < 2·Q0.
                let a = fj + cq + i128::from(rj + cr >= q0) - alpha + 1;
                let b = fj + sq + i128::from(rj + sr >= q0) - alpha + 1;
                (a.max(0), b.max(0))
            } else {
                (
                    count(n, alpha, 0, 1, q_lb),
                    count(n + self.seats, alpha, 0, 1, q_lb),
                )
            };
            last_rows.push((j, n, c_last));
            first_rows.push((j, n + self.seats, c_first));
        }
        let tie_at = |x: i128, j: usize| self.beats(j, i, vi, x);
        let tie_end = |j: usize, q: i128| tie_at(end(q), j);
        let tie_start = |j: usize, q: i128| tie_at(start(q), j);
        let last_lines = Lines {
            alpha,
            beta: 0,
            gamma: 1,
            tie: &tie_end,
        };
        let first_lines = Lines {
            alpha,
            beta: 0,
            gamma: 1,
            tie: &tie_start,
        };
        let mut crossings = Vec::new();
        let q_first = least(&last_rows, &last_lines, q_lb, qmax, k, &mut crossings).unwrap_or(qmax);
        let run = Run {
            view: self,
            i,
            vi,
            s,
            k,
            rows: &last_rows,
            crossings: &crossings,
        };
        let first = run.least_in(q_first, start(q_first).max(lb), end(q_first));
        // Usually every total of the next run wins already; look further only if not.
        let mut unused = Vec::new();
        let q_always = least(&first_rows, &first_lines, q_lb, q_first + 1, k, &mut unused)
            .or_else(|| least(&first_rows, &first_lines, q_lb, qmax, k, &mut unused))
            .unwrap_or(qmax)
            .max(q_first + 1);
        let always = if q_always == q_first + 1 {
            first
        } else {
            let q = q_always - 1;
            run.least_in(q, start(q), end(q))
        };
        (fit(first), Some(always).filter(|a| *a != first).and_then(fit))
    }
}

/// A Droop run seen from party `i`, after the search over runs.
struct Run<'r, 'a> {
    view: &'r RemainderView<'a>,
    i: usize,
    vi: i128,
    s: i128,
    k: i128,
    rows: &'r [Row],
    crossings: &'r [Crossing],
}

impl Run<'_, '_> {
    /// The least `x` in `[from, to]` (run `q`, whose last total wins) at which the party wins:
    /// with the quota fixed, every crossing point is a whole number.
    fn least_in(&self, q: i128, from: i128, to: i128) -> i128 {
        // Priorities of each list still above the party at the run's last total: its count
        // where the search began, less those that stopped before run q (or tie there and lose).
        let mut at_end: Vec<i128> = self.rows.iter().map(|r| r.2).collect();
        let end_total = q * (self.view.seats + 1) - 1 - (self.view.total - self.own_votes() + self.vi);
        for c in self.crossings {
            let below = c.1 < q
                || (c.1 == q
                    && c.2
                    && !self
                        .view
                        .beats(self.rows[c.0 as usize].0, self.i, self.vi, end_total));
            if below {
                at_end[c.0 as usize] -= 1;
            }
        }
        let room = self.k - at_end.iter().sum::<i128>();
        // Priorities above the party at `from` but not at `to`: each is level with it at
        // x = v_j − k·q − v_i + s·q, and above it up to there if it wins that tie.
        let mut window: Vec<Crossing> = Vec::new();
        for (n, &(j, _, _)) in self.rows.iter().enumerate() {
            let Some((vj, _, _)) = self.view.lists[j] else {
                continue;
            };
            let mut kk = at_end[n];
            loop {
                let level = vj - kk * q - self.vi + self.s * q;
                if level < from {
                    break;
                }
                window.push((n as u32, level.min(to), level <= to));
                kk += 1;
            }
        }
        let tie = |c: &Crossing, x: i128| self.view.beats(self.rows[c.0 as usize].0, self.i, self.vi, x);
        match nth_last(&mut window, room + 1, &tie) {
            Some(Some(last)) => (last + 1).max(from),
            _ => from,
        }
    }

    /// The party's votes as the view counts them (0 when it is not eligible).
    fn own_votes(&self) -> i128 {
        self.view.lists.get(self.i).copied().flatten().map_or(0, |o| o.0)
    }
}

/// Priorities `k = 0, 1, …` with `n − k·β ≥ (α + k·γ)·y`: how many reach the party at `y`
/// (ties included).
fn count(n: i128, alpha: i128, beta: i128, gamma: i128, y: i128) -> i128 {
    let top = n - alpha * y;
    if top < 0 {
        return 0;
    }
    let step = beta + gamma * y;
    if step <= 0 {
        return i128::MAX / 4;
    }
    top / step + 1
}

fn ceil_div(a: i128, b: i128) -> i128 {
    if b <= 0 {
        return i128::MAX / 4;
    }
    a.div_euclid(b) + i128::from(a.rem_euclid(b) != 0)
}

/// The least integer `y ≥ y0` at which at most `allow` priorities still rank above the party,
/// where the first `c` of each row `(j, n, c)` reach it at `y0` (level ones included, whatever
/// their tie) and at most `allow` rank above it at `ymax`. `crossings` receives every priority
/// that stops ranking above before `ymax`, with the last `y` at which it does. `None` if more
/// than `allow` still rank above at `ymax` (it was no bound).
fn least(
    rows: &[Row],
    lines: &Lines<'_>,
    y0: i128,
    ymax: i128,
    allow: i128,
    crossings: &mut Vec<Crossing>,
) -> Option<i128> {
    let Lines {
        alpha,
        beta,
        gamma,
        tie,
    } = *lines;
    crossings.clear();
    let mut above: i128 = 0;
    for (pos, &(_, n, c)) in rows.iter().enumerate() {
        above += c;
        // The largest k stops ranking above first.
        let mut k = c - 1;
        while k >= 0 {
            let num = n - k * beta;
            let den = alpha + k * gamma;
            if num >= ymax * den {
                break;
            }
            let last = floor_div(num, den);
            crossings.push((pos as u32, last, num == last * den));
            k -= 1;
        }
    }
    let still = above - crossings.len() as i128; // above at ymax
    let tie_at = |c: &Crossing, y: i128| tie(rows[c.0 as usize].0, y);
    nth_last(crossings, allow + 1 - still, &tie_at).map(|last| match last {
        Some(last) => (last + 1).max(y0),
        None => y0,
    })
}

/// Among `crossings`, the `rank`-th largest last `y` at which one ranks above the party
/// (`Some(None)`: fewer than `rank` ever do; `None`: `rank ≤ 0`, too many rank above for good).
/// Ties are asked only at the value selected: a crossing exactly level at `y` ranks above
/// there only if `tie(c, y)`.
fn nth_last(
    crossings: &mut [Crossing],
    rank: i128,
    tie: &dyn Fn(&Crossing, i128) -> bool,
) -> Option<Option<i128>> {
    if rank <= 0 {
        return None;
    }
    let rank = usize::try_from(rank).unwrap_or(usize::MAX);
    if rank > crossings.len() {
        return Some(None);
    }
    let nth = crossings.len() - rank;
    let (_, &mut (_, m, _), _) = crossings.select_nth_unstable_by_key(nth, |c| c.1);
    // At least `rank` are level with the party or above at m; above it there only if enough
    // of those exactly level at m win their tie, else the answer is m − 1.
    let mut at_m = 0usize;
    for c in crossings.iter() {
        if c.1 > m || (c.1 == m && (!c.2 || tie(c, m))) {
            at_m += 1;
            if at_m >= rank {
                return Some(Some(m));
            }
        }
    }
    Some(Some(m - 1))
}

/// `⌊a / b⌋` for `b > 0`, in 64-bit arithmetic when both fit (the common case, and much
/// faster than a 128-bit division).
fn floor_div(a: i128, b: i128) -> i128 {
    match (i64::try_from(a), i64::try_from(b)) {
        (Ok(a), Ok(b)) => i128::from(a.div_euclid(b)),
        _ => a.div_euclid(b),
    }
}
