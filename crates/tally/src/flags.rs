//! Plausibility flags for the officials' review before a publication: figures that pass every
//! acceptance rule but deserve a second look. The ledger holds back what cannot be right (more
//! votes than ballots, more ballots than voters); these are comparisons a rule cannot decide
//! (a county's turnout far from its state's, a count that went down in a correction, a swing
//! unlike its neighbours'), so they are shown to the approvers, never used to refuse or hold.
//!
//! Pure and deterministic: the same two tallies give the same flags, in contest and unit order.

use std::collections::BTreeMap;

use crate::Tally;

/// Turnout this many percentage points above or below its parent area's is flagged.
pub const TURNOUT_GAP_POINTS: f64 = 20.0;

/// A swing (change of the contest's leading choice's share since the earlier election) this
/// many points from the median swing of the unit's siblings is flagged.
pub const SWING_GAP_POINTS: f64 = 15.0;

/// Fewest siblings with earlier figures for a swing to be compared with theirs.
pub const MIN_NEIGHBOURS: usize = 3;

/// What a flag is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FlagKind {
    /// A correction lowered a choice's count below the published one.
    CountDown,
    /// The unit's turnout is far from its parent area's.
    Turnout,
    /// The unit swung far from how its neighbours swung.
    Swing,
}

impl FlagKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagKind::CountDown => "count_down",
            FlagKind::Turnout => "turnout",
            FlagKind::Swing => "swing",
        }
    }
}

/// One figure to look at again.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewFlag {
    pub contest: usize,
    pub unit: usize,
    pub kind: FlagKind,
    /// What was seen, in English with the figures (the console shows it as is).
    pub why: String,
}

fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// The flags of `now` (every accepted statement) against `published` (what the public sees;
/// `None` before the first publication), over the units with reports of their own.
pub fn review_flags(now: &Tally, published: Option<&Tally>) -> Vec<ReviewFlag> {
    let def = now.definition().clone();
    let mut flags = Vec::new();
    for ci in 0..def.contests().len() {
        let contest = &def.contests()[ci];
        let counted = now.counted_units(ci);
        let was_counted: std::collections::HashSet<usize> = published
            .map(|p| p.counted_units(ci).into_iter().collect())
            .unwrap_or_default();
        for &u in &counted {
            let f = now.unit_figures(ci, u);
            if let Some(p) = published.filter(|_| was_counted.contains(&u)) {
                let before = p.unit_figures(ci, u);
                for (s, (a, b)) in before.votes.iter().zip(&f.votes).enumerate() {
                    if b < a {
                        flags.push(ReviewFlag {
                            contest: ci,
                            unit: u,
                            kind: FlagKind::CountDown,
                            why: format!(
                                "{}: {a} votes published, {b} now",
                                contest.selections[s].id
                            ),
                        });
                    }
                }
            }
        }
        flags.extend(turnouts(now, ci, &counted));
        flags.extend(swings(now, ci, &counted));
    }
    flags
}

/// Units whose turnout is far from that of the other reporting units of their parent area.
fn turnouts(now: &Tally, ci: usize, counted: &[usize]) -> Vec<ReviewFlag> {
    let def = now.definition().clone();
    let mut by_parent: BTreeMap<usize, Vec<(usize, u64, u64)>> = BTreeMap::new();
    for &u in counted {
        let f = now.unit_figures(ci, u);
        if let (Some(parent), true) = (def.parent(u), f.registered > 0) {
            by_parent
                .entry(parent)
                .or_default()
                .push((u, f.ballots, f.registered));
        }
    }
    let mut flags = Vec::new();
    for (parent, group) in by_parent {
        let ballots: u64 = group.iter().map(|g| g.1).sum();
        let registered: u64 = group.iter().map(|g| g.2).sum();
        for &(u, b, r) in &group {
            let (Some(t), Some(others)) = (percent(b, r), percent(ballots - b, registered - r))
            else {
                continue;
            };
            if (t - others).abs() > TURNOUT_GAP_POINTS {
                flags.push(ReviewFlag {
                    contest: ci,
                    unit: u,
                    kind: FlagKind::Turnout,
                    why: format!(
                        "turnout {t:.1} % against {others:.1} % in the rest of {}",
                        def.units()[parent].id
                    ),
                });
            }
        }
    }
    flags.sort_by_key(|f| f.unit);
    flags
}

/// Units whose swing of the contest's leading choice is far from their siblings' median.
fn swings(now: &Tally, ci: usize, counted: &[usize]) -> Vec<ReviewFlag> {
    let def = now.definition().clone();
    let contest = &def.contests()[ci];
    let Some(previous) = def
        .definition()
        .previous
        .as_ref()
        .and_then(|p| p.contests.iter().find(|c| c.contest == contest.id))
    else {
        return Vec::new();
    };
    let whole = now.unit_figures(ci, def.root());
    let Some((leader, _)) = whole
        .votes
        .iter()
        .enumerate()
        .max_by_key(|&(i, v)| (*v, std::cmp::Reverse(i)))
    else {
        return Vec::new();
    };
    let leader_id = &contest.selections[leader].id;
    // Swing per counted unit that has earlier figures, grouped by parent.
    let mut by_parent: BTreeMap<Option<usize>, Vec<(usize, f64)>> = BTreeMap::new();
    for &u in counted {
        let Some(then) = previous.units.get(&def.units()[u].id) else {
            continue;
        };
        let f = now.unit_figures(ci, u);
        let valid_now: u64 = f.votes.iter().sum();
        let valid_then = then
            .valid_votes
            .unwrap_or_else(|| then.votes.values().sum());
        let (Some(a), Some(b)) = (
            percent(f.votes[leader], valid_now),
            percent(then.votes.get(leader_id).copied().unwrap_or(0), valid_then),
        ) else {
            continue;
        };
        by_parent.entry(def.parent(u)).or_default().push((u, a - b));
    }
    let mut flags = Vec::new();
    for group in by_parent.values() {
        if group.len() <= MIN_NEIGHBOURS {
            continue;
        }
        for &(u, swing) in group {
            let mut others: Vec<f64> = group
                .iter()
                .filter(|(v, _)| *v != u)
                .map(|(_, s)| *s)
                .collect();
            others.sort_by(f64::total_cmp);
            let median = others[others.len() / 2];
            if (swing - median).abs() > SWING_GAP_POINTS {
                flags.push(ReviewFlag {
                    contest: ci,
                    unit: u,
                    kind: FlagKind::Swing,
                    why: format!(
                        "{leader_id} swung {swing:+.1} points since the earlier election; its neighbours {median:+.1} (median)"
                    ),
                });
            }
        }
    }
    flags.sort_by_key(|f| f.unit);
    flags
}
