//! skytale-tally: the pure, incremental fold from accepted `results` statements to the
//! published results (floor 2; no I/O, no clock).
//!
//! ## The roll-up rule
//! For each contest and each unit of its area, the unit's **effective** counts are
//! - its own latest report for that contest, if it has one (a county's own official total
//!   wins over the sum of its precincts, which may be incomplete or preliminary);
//! - otherwise the sum of its children's effective counts.
//!
//! The contest total is the sum of the effective counts of the contest's area roots. A leaf
//! unit (polling station) *is reporting* when it or one of its ancestors has reported for the
//! contest; `units_reporting` counts such leaves, `units_total` all leaves of the area.
//! Turnout is ballots over the registered voters of the reporting part of the area (the whole
//! area's own figure once every unit of it reports).
//!
//! Each new report updates only the path from its unit up to the area root (delta
//! propagation, stopping at the first ancestor with a report of its own), so applying a
//! statement costs O(depth × selections) whatever the size of the election.
//!
//! ## Determinism
//! Same statements in the same order → same [`Tally`] → same bytes from [`Tally::document`]:
//! there are no hash-map iterations in the output, no floats (shares are computed in integers
//! and rounded half up to two decimals) and no clock (the publication time comes from the log).
//!
//! ## Ranked-choice contests
//! Their ballots come in `cvr` batches and cannot be summed: folding a batch only files it, and
//! the rounds are tabulated by skytale-rcv when a document is built, cached by the set of CVR
//! series counted (see the `ranked` module). A complete series makes its unit "reporting" with
//! the file's ballots, so progress and the roll-up rule (a unit's own file shadows those below)
//! work as for counts.
//!
//! ## Count types
//! Votes are kept per count type (`election_day`, `early`, `mail`, `provisional`) and summed.
//! A report that gives only `total` for a selection is kept in the `total` bucket, which
//! therefore means "not broken down by count type".

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;
use skytale_model::{
    ContestKind, ContestReport, CountType, CvrStatement, LocalizedText, ReportStatus,
    ResultsStatement, SeatRules, Statement, ValidDefinition,
};

pub mod changes;
mod published;
mod ranked;
mod seats;

pub use published::PublishedTally;
pub use ranked::{CvrFile, Pass, PendingSeries, RankedChoiceResult};

/// Number of count-type buckets, in the order of [`CountType::ALL`].
const TYPES: usize = 5;

/// Counts of one contest in one unit: per selection and count type, plus ballot figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Counts {
    votes: Vec<[u64; TYPES]>,
    ballots: u64,
    blank: u64,
    invalid: u64,
    overvotes: u64,
    undervotes: u64,
}

impl Counts {
    fn zero(selections: usize) -> Counts {
        Counts {
            votes: vec![[0; TYPES]; selections],
            ..Counts::default()
        }
    }

    fn from_report(def: &ValidDefinition, contest: usize, r: &ContestReport) -> Counts {
        let mut c = Counts::zero(def.contests()[contest].selections.len());
        for (sel, by_type) in &r.selections {
            let Some(s) = def.selection_index(contest, sel) else {
                continue;
            };
            let broken_down = by_type.keys().any(|t| *t != CountType::Total);
            for (t, v) in by_type {
                if *t == CountType::Total && broken_down {
                    continue; // consistent with the parts (checked at acceptance)
                }
                c.votes[s][type_slot(*t)] = v.get();
            }
        }
        let g = |x: Option<skytale_model::Count>| x.map(|v| v.get()).unwrap_or(0);
        c.ballots = g(r.ballots);
        c.blank = g(r.blank);
        c.invalid = g(r.invalid);
        c.overvotes = g(r.overvotes);
        c.undervotes = g(r.undervotes);
        c
    }

    /// self += other, in wrapping arithmetic (`other` may be a [`Counts::minus`] delta).
    fn add(&mut self, other: &Counts) {
        self.combine(other, u64::wrapping_add);
    }

    /// self − old, in wrapping arithmetic: added to a sum that holds `old`, it gives the sum
    /// holding `self` instead.
    fn minus(&self, old: &Counts) -> Counts {
        let mut d = self.clone();
        d.combine(old, u64::wrapping_sub);
        d
    }

    /// Every figure of `self` replaced by `op(it, other's)`.
    fn combine(&mut self, other: &Counts, op: fn(u64, u64) -> u64) {
        for (row, o) in self.votes.iter_mut().zip(&other.votes) {
            for (v, x) in row.iter_mut().zip(o) {
                *v = op(*v, *x);
            }
        }
        let f = |a: &mut u64, x: u64| *a = op(*a, x);
        f(&mut self.ballots, other.ballots);
        f(&mut self.blank, other.blank);
        f(&mut self.invalid, other.invalid);
        f(&mut self.overvotes, other.overvotes);
        f(&mut self.undervotes, other.undervotes);
    }

    fn selection_votes(&self, s: usize) -> u64 {
        self.votes[s].iter().sum()
    }
}

fn type_slot(t: CountType) -> usize {
    CountType::ALL
        .iter()
        .position(|x| *x == t)
        .unwrap_or(TYPES - 1)
}

/// Which leaves and registered voters are covered by reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Coverage {
    leaves: u64,
    registered: u64,
}

#[derive(Clone, Debug)]
struct OwnReport {
    counts: Counts,
    status: ReportStatus,
}

/// The tally of one contest.
#[derive(Clone, Debug)]
struct ContestTally {
    own: UnitMap<OwnReport>,
    /// For units below which something was reported: the sum of the children's effective counts.
    child_sum: UnitMap<Counts>,
    child_cov: UnitMap<Coverage>,
}

/// Unit index → value. foldhash, not SipHash: the keys are our own indexes, not input, and
/// every fold looks up a unit and each of its ancestors.
type UnitMap<V> = HashMap<usize, V, foldhash::fast::RandomState>;

/// The incremental tally of an election.
#[derive(Clone, Debug)]
pub struct Tally {
    def: Arc<ValidDefinition>,
    contests: Vec<ContestTally>,
    /// Per contest: the ballots of a ranked-choice contest (`None` for other kinds).
    ranked: Vec<Option<ranked::RankedContest>>,
    /// Per unit: number of leaf units at or below it.
    leaves: Vec<u64>,
    /// Per unit: registered voters (its own figure, else the sum of its children's).
    registered: Vec<u64>,
    /// Per unit: its children that have children of their own, so the whole document walks
    /// the levels above the polling stations without touching each station (shared by clones).
    inner_children: Arc<Vec<Vec<usize>>>,
    statements: u64,
}

/// Contest id → selection id → total votes (see [`Tally::selection_totals`]).
pub type SelectionTotals = BTreeMap<String, BTreeMap<String, u64>>;

/// Where in the log a tally comes from; goes into every document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogPosition {
    pub tree_size: u64,
    /// Base64 root hash at `tree_size`.
    pub root_hash: String,
    /// Time of the publication, from the log (RFC 3339), if any statement carried one.
    pub published_at: Option<String>,
}

impl Tally {
    pub fn new(def: Arc<ValidDefinition>) -> Tally {
        let n = def.units().len();
        let mut leaves = vec![0u64; n];
        let mut registered = vec![0u64; n];
        for &u in def.topo_order().iter().rev() {
            let kids = def.children(u);
            if kids.is_empty() {
                leaves[u] = 1;
            } else {
                leaves[u] = kids.iter().map(|&k| leaves[k]).sum();
            }
            registered[u] = match def.units()[u].registered {
                Some(r) => r,
                None => kids.iter().map(|&k| registered[k]).sum(),
            };
        }
        let inner_children = Arc::new(
            (0..n)
                .map(|u| {
                    def.children(u)
                        .iter()
                        .copied()
                        .filter(|&k| !def.children(k).is_empty())
                        .collect()
                })
                .collect(),
        );
        // Every polling station of a contest's area reports by the end of the night: sized for
        // them up front, the map of own reports never rehashes (a national election's maps
        // rehashed through 200,000 entries during the busiest minutes, 15 % of the page
        // faults of a loaded server). Control bytes only: the slots are touched as they fill.
        let contests = (0..def.contests().len())
            .map(|ci| {
                let stations: u64 = def.contest_area(ci).iter().map(|&a| leaves[a]).sum();
                ContestTally {
                    own: UnitMap::with_capacity_and_hasher(
                        usize::try_from(stations).unwrap_or(0),
                        Default::default(),
                    ),
                    child_sum: UnitMap::default(),
                    child_cov: UnitMap::default(),
                }
            })
            .collect();
        let ranked = (0..def.contests().len())
            .map(|ci| ranked::RankedContest::new(&def, ci))
            .collect();
        Tally {
            ranked,
            def,
            contests,
            leaves,
            registered,
            inner_children,
            statements: 0,
        }
    }

    pub fn definition(&self) -> &Arc<ValidDefinition> {
        &self.def
    }

    /// Number of results and cvr statements folded in.
    pub fn statements(&self) -> u64 {
        self.statements
    }

    /// Folds one accepted results statement in. Contests or units the definition does not know
    /// are ignored (acceptance has already refused them).
    pub fn apply(&mut self, r: &ResultsStatement) {
        let Some(unit) = self.def.unit_index(&r.unit) else {
            return;
        };
        self.statements += 1;
        for report in &r.contests {
            let Some(ci) = self.def.contest_index(&report.contest) else {
                continue;
            };
            let new = Counts::from_report(&self.def, ci, report);
            self.set_own(ci, unit, new, r.status);
        }
    }

    /// Folds any accepted statement in (results and cvr batches; other kinds do not count).
    pub fn apply_statement(&mut self, st: &Statement) {
        match st {
            Statement::Results(r) => self.apply(r),
            Statement::Cvr(c) => self.apply_cvr(c),
            _ => {}
        }
    }

    /// Folds one accepted CVR batch in: files its ballots; once its series is complete, the
    /// unit counts as reporting the contest with the file's ballots (the rounds themselves are
    /// computed when a document is built, see [`ranked`]).
    pub fn apply_cvr(&mut self, c: &CvrStatement) {
        let (Some(unit), Some(ci)) = (
            self.def.unit_index(&c.unit),
            self.def.contest_index(&c.contest),
        ) else {
            return;
        };
        let Some(Some(rc)) = self.ranked.get_mut(ci) else {
            return;
        };
        self.statements += 1;
        if let ranked::Applied::Completed { ballots } = rc.apply(&self.def, ci, unit, c) {
            let mut counts = Counts::zero(self.def.contests()[ci].selections.len());
            counts.ballots = ballots;
            self.set_own(ci, unit, counts, ReportStatus::Complete);
        }
    }

    fn effective(&self, ci: usize, u: usize) -> Option<&Counts> {
        let t = &self.contests[ci];
        t.own
            .get(&u)
            .map(|o| &o.counts)
            .or_else(|| t.child_sum.get(&u))
    }

    fn coverage(&self, ci: usize, u: usize) -> Coverage {
        let t = &self.contests[ci];
        if t.own.contains_key(&u) {
            Coverage {
                leaves: self.leaves[u],
                registered: self.registered[u],
            }
        } else {
            t.child_cov.get(&u).copied().unwrap_or_default()
        }
    }

    fn set_own(&mut self, ci: usize, unit: usize, new: Counts, status: ReportStatus) {
        // What the ancestors' sums change by: the new report less what counted before (none,
        // on a unit's first report: the report itself, without a copy).
        let replaced = self.effective(ci, unit).map(|old| new.minus(old));
        let delta = replaced.as_ref().unwrap_or(&new);
        let old_cov = self.coverage(ci, unit);
        let new_cov = Coverage {
            leaves: self.leaves[unit],
            registered: self.registered[unit],
        };
        // Walk up while inside the contest's area, stopping at the first ancestor whose own
        // report shadows its children.
        let area_root = |d: &ValidDefinition, u: usize| d.contest_area(ci).contains(&u);
        let nsel = new.votes.len();
        let mut u = unit;
        while !area_root(&self.def, u) {
            let Some(p) = self.def.parent(u) else { break };
            let t = &mut self.contests[ci];
            t.child_sum
                .entry(p)
                .or_insert_with(|| Counts::zero(nsel))
                .add(delta);
            let cov = t.child_cov.entry(p).or_default();
            cov.leaves = cov.leaves + new_cov.leaves - old_cov.leaves;
            cov.registered = cov.registered + new_cov.registered - old_cov.registered;
            if t.own.contains_key(&p) {
                break;
            }
            u = p;
        }
        self.contests[ci].own.insert(
            unit,
            OwnReport {
                counts: new,
                status,
            },
        );
    }

    /// Each contest's total votes per selection (contest id → selection id → votes): what a
    /// page needs to show the change since an earlier publication. O(contests × area roots ×
    /// selections), whatever the number of units, so it can be kept at every publication.
    pub fn selection_totals(&self) -> SelectionTotals {
        let def = &self.def;
        def.contests()
            .iter()
            .enumerate()
            .map(|(ci, c)| {
                let mut votes = vec![0u64; c.selections.len()];
                for &a in def.contest_area(ci) {
                    if let Some(e) = self.effective(ci, a) {
                        for (s, v) in votes.iter_mut().enumerate() {
                            *v += e.selection_votes(s);
                        }
                    }
                }
                let by_sel = c
                    .selections
                    .iter()
                    .zip(votes)
                    .map(|(sel, v)| (sel.id.clone(), v))
                    .collect();
                (c.id.clone(), by_sel)
            })
            .collect()
    }

    /// The whole results document: every contest with its totals, selections and the units of
    /// every level above the leaves (the leaves are in [`Tally::contest_document`]).
    pub fn document(&self, pos: &LogPosition) -> ResultsDoc {
        let contests = (0..self.contests.len())
            .map(|ci| self.contest_result(ci, Units::Inner))
            .collect();
        self.wrap(pos, contests)
    }

    /// One contest with every reporting level down to the leaves.
    pub fn contest_document(&self, contest: &str, pos: &LogPosition) -> Option<ResultsDoc> {
        let ci = self.def.contest_index(contest)?;
        Some(self.wrap(pos, vec![self.contest_result(ci, Units::All)]))
    }

    /// One contest's totals, seats and rounds without any unit rows (the head of
    /// [`Tally::contest_document`]): what a contest page shows above its table of areas.
    pub fn contest_head(&self, ci: usize) -> Option<ContestResult> {
        (ci < self.contests.len()).then(|| self.contest_result(ci, Units::None))
    }

    /// Contest `ci`'s totals with the rows of `units` and of every unit above them up to the
    /// contest's area (their figures moved with them), parents first: a change feed's view of
    /// a contest in which those units reported. `None` for an unknown contest.
    pub fn contest_with_units(
        &self,
        ci: usize,
        units: impl IntoIterator<Item = usize>,
    ) -> Option<ContestResult> {
        let mut head = self.contest_head(ci)?;
        let def = &self.def;
        let area = def.contest_area(ci);
        let mut rows: Vec<usize> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for u in units {
            let mut at = Some(u);
            while let Some(x) = at {
                if x >= def.units().len() || !seen.insert(x) {
                    break;
                }
                rows.push(x);
                at = if area.contains(&x) {
                    None
                } else {
                    def.parent(x)
                };
            }
        }
        rows.sort_by_key(|&u| (def.depth(u), u));
        head.units = rows
            .into_iter()
            .map(|u| self.unit_result(ci, u, false))
            .collect();
        Some(head)
    }

    /// One unit's figures in contest `ci`, votes by selection position: the numbers a page row
    /// shows, without building a [`UnitResult`] (its strings and maps cost more than the page
    /// needs when a site digests every polling station's row on each render).
    pub fn unit_figures(&self, ci: usize, u: usize) -> UnitFigures {
        let nsel = self.def.contests()[ci].selections.len();
        let eff = self.effective(ci, u);
        let cov = self.coverage(ci, u);
        UnitFigures {
            votes: (0..nsel)
                .map(|s| eff.map(|e| e.selection_votes(s)).unwrap_or(0))
                .collect(),
            ballots: eff.map(|e| e.ballots).unwrap_or(0),
            blank: eff.map(|e| e.blank).unwrap_or(0),
            invalid: eff.map(|e| e.invalid).unwrap_or(0),
            registered: self.registered[u],
            units_reporting: cov.leaves,
            units_total: self.leaves[u],
        }
    }

    /// The units whose own reports make up contest `ci`'s total, parents before children:
    /// every unit of the area with a report of its own and no ancestor in the area with one
    /// (a county's own total shadows its precincts'). Their figures add up to the contest's, so
    /// an export that lists counts per reporting unit lists these. Walks only where something
    /// was reported, never the whole tree.
    pub fn counted_units(&self, ci: usize) -> Vec<usize> {
        let Some(t) = self.contests.get(ci) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut stack: Vec<usize> = self.def.contest_area(ci).iter().rev().copied().collect();
        while let Some(u) = stack.pop() {
            if t.own.contains_key(&u) {
                out.push(u);
            } else if t.child_sum.contains_key(&u) {
                stack.extend(self.def.children(u).iter().rev().copied());
            }
        }
        out
    }

    /// `"certified"` once every contest's whole area has a certified report of its own, else
    /// `"unofficial"` (the results document's `status`).
    pub fn status(&self) -> &'static str {
        let certified = !self.contests.is_empty()
            && (0..self.contests.len()).all(|ci| {
                self.def.contest_area(ci).iter().all(|a| {
                    self.contests[ci]
                        .own
                        .get(a)
                        .is_some_and(|o| o.status == ReportStatus::Certified)
                })
            });
        if certified {
            "certified"
        } else {
            "unofficial"
        }
    }

    fn wrap(&self, pos: &LogPosition, contests: Vec<ContestResult>) -> ResultsDoc {
        ResultsDoc {
            election: self.def.id().to_string(),
            tree_size: pos.tree_size,
            root_hash: pos.root_hash.clone(),
            status: self.status(),
            published_at: pos.published_at.clone(),
            statements: self.statements,
            contests,
        }
    }

    fn contest_result(&self, ci: usize, rows: Units) -> ContestResult {
        let def = &self.def;
        let c = &def.contests()[ci];
        let nsel = c.selections.len();
        let mut total = Counts::zero(nsel);
        let mut cov = Coverage::default();
        let mut units_total = 0;
        let mut registered = 0;
        for &a in def.contest_area(ci) {
            if let Some(e) = self.effective(ci, a) {
                total.add(e);
            }
            let cv = self.coverage(ci, a);
            cov.leaves += cv.leaves;
            cov.registered += cv.registered;
            units_total += self.leaves[a];
            registered += self.registered[a];
        }
        let ranked_choice = self.ranked[ci].as_ref().map(|r| r.result(def));
        if let Some(rc) = &ranked_choice {
            // Selections carry the final round's votes (whole votes; fractions of surplus
            // transfers are in the rounds), so every feed has the outcome.
            let last = rc.passes.last().and_then(|p| p.rounds.last());
            for (s, sel) in c.selections.iter().enumerate() {
                let v = last
                    .and_then(|r| r.tally.get(&sel.id))
                    .and_then(|v| v.split('.').next())
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0);
                total.votes[s] = [0; TYPES];
                total.votes[s][TYPES - 1] = v;
            }
        }
        // With every unit of the area reporting, the reporting part is the whole area: its
        // registered voters are the area's own figures (a county may state its registered voters
        // while its precincts state none, as Kentucky's Clarity files do).
        let registered_reporting = if units_total > 0 && cov.leaves == units_total {
            registered.max(cov.registered)
        } else {
            cov.registered
        };
        let valid: u64 = (0..nsel).map(|s| total.selection_votes(s)).sum();
        let selections = c
            .selections
            .iter()
            .enumerate()
            .map(|(s, sel)| SelectionResult {
                id: sel.id.clone(),
                name: sel.name.clone(),
                party: sel.party.clone(),
                votes: total.selection_votes(s),
                share: share(total.selection_votes(s), valid),
                by_count_type: by_type(&total.votes[s]),
            })
            .collect::<Vec<_>>();
        let seat_allocation = match (&c.seats, c.kind) {
            (Some(SeatRules::Single(rules)), ContestKind::PartyList) => {
                let votes: Vec<(String, u64)> =
                    selections.iter().map(|s| (s.id.clone(), s.votes)).collect();
                Some(seats::allocate(rules, &votes, valid))
            }
            (Some(SeatRules::System(rules)), ContestKind::PartyList) => {
                // Each constituency's votes are its unit's effective (rolled-up) counts.
                let mut rows = Vec::with_capacity(rules.constituencies.len() * nsel);
                for (k, &u) in def.contest_constituencies(ci).iter().enumerate() {
                    let eff = self.effective(ci, u);
                    let id = rules.constituencies.get(k).map_or("", |c| c.id.as_str());
                    for (s, sel) in c.selections.iter().enumerate() {
                        rows.push((id, sel.id.as_str(), eff.map_or(0, |e| e.selection_votes(s))));
                    }
                }
                Some(seats::allocate_in_system(rules, &rows))
            }
            _ => None,
        };
        let seats = seat_allocation.as_ref().map(SeatResult::seats_by_selection);
        let mut units = Vec::new();
        if rows != Units::None {
            for &a in def.contest_area(ci) {
                self.collect_units(ci, a, rows == Units::All, &mut units);
            }
        }
        ContestResult {
            id: c.id.clone(),
            name: c.name.clone(),
            kind: c.kind.as_str(),
            units_reporting: cov.leaves,
            units_total,
            ballots: total.ballots,
            registered,
            registered_reporting,
            turnout: share(total.ballots, registered_reporting),
            valid_votes: valid,
            blank: total.blank,
            invalid: total.invalid,
            overvotes: total.overvotes,
            undervotes: total.undervotes,
            selections,
            seats,
            seat_allocation,
            ranked_choice,
            units,
        }
    }

    /// Pre-order walk (parents first, children in definition order): stable and readable.
    fn collect_units(&self, ci: usize, root: usize, with_leaves: bool, out: &mut Vec<UnitResult>) {
        let def = &self.def;
        let mut stack = vec![root];
        while let Some(u) = stack.pop() {
            let kids = def.children(u);
            if !kids.is_empty() || with_leaves {
                out.push(self.unit_result(ci, u, with_leaves));
            }
            // Without leaves, never walk down to them: a national election has hundreds of
            // thousands, and the whole document is rebuilt on every publication.
            let next = if with_leaves {
                kids
            } else {
                &self.inner_children[u][..]
            };
            stack.extend(next.iter().rev().copied());
        }
    }

    fn unit_result(&self, ci: usize, u: usize, detailed: bool) -> UnitResult {
        let def = &self.def;
        let unit = &def.units()[u];
        let c = &def.contests()[ci];
        let eff = self.effective(ci, u);
        let cov = self.coverage(ci, u);
        let votes = c
            .selections
            .iter()
            .enumerate()
            .map(|(s, sel)| {
                (
                    sel.id.clone(),
                    eff.map(|e| e.selection_votes(s)).unwrap_or(0),
                )
            })
            .collect();
        let by_count_type = match (detailed, eff) {
            (true, Some(e)) => Some(
                c.selections
                    .iter()
                    .enumerate()
                    .map(|(s, sel)| (sel.id.clone(), by_type(&e.votes[s])))
                    .collect(),
            ),
            _ => None,
        };
        UnitResult {
            id: unit.id.clone(),
            parent: unit.parent.clone(),
            level: unit.level.clone(),
            reported: self.contests[ci].own.contains_key(&u),
            units_reporting: cov.leaves,
            units_total: self.leaves[u],
            votes,
            by_count_type,
            ballots: eff.map(|e| e.ballots).unwrap_or(0),
            overvotes: eff.map(|e| e.overvotes).unwrap_or(0),
            undervotes: eff.map(|e| e.undervotes).unwrap_or(0),
            registered: self.registered[u],
        }
    }
}

/// Which unit rows a contest result carries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Units {
    None,
    /// The levels above the leaves.
    Inner,
    All,
}

/// One unit's figures in one contest (see [`Tally::unit_figures`]); the same numbers as its
/// [`UnitResult`], votes by selection position.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnitFigures {
    pub votes: Vec<u64>,
    pub ballots: u64,
    pub blank: u64,
    pub invalid: u64,
    pub registered: u64,
    pub units_reporting: u64,
    pub units_total: u64,
}

fn by_type(v: &[u64; TYPES]) -> BTreeMap<&'static str, u64> {
    CountType::ALL
        .iter()
        .zip(v.iter())
        .filter(|(_, n)| **n > 0)
        .map(|(t, n)| (t.as_str(), *n))
        .collect()
}

/// `part / whole` in percent with two decimals, rounded half up, in integers ("41.27").
/// "0.00" when `whole` is zero.
pub fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0.00".to_string();
    }
    // Hundredths of a percent, rounded half up: floor((part·10⁴ + whole/2) / whole), doubled to
    // stay in integers.
    let hundredths = (u128::from(part) * 20_000 + u128::from(whole)) / (2 * u128::from(whole));
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// The results document (interfaces.md's "Results JSON"): a stable feed, field names fixed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResultsDoc {
    pub election: String,
    pub tree_size: u64,
    pub root_hash: String,
    pub status: &'static str,
    pub published_at: Option<String>,
    /// Results statements folded in.
    pub statements: u64,
    pub contests: Vec<ContestResult>,
}

impl ResultsDoc {
    /// The canonical bytes: pretty JSON with a final newline. Same document, same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContestResult {
    pub id: String,
    pub name: LocalizedText,
    pub kind: &'static str,
    pub units_reporting: u64,
    pub units_total: u64,
    pub ballots: u64,
    pub registered: u64,
    /// Registered voters of the units that have reported (the base of `turnout`).
    pub registered_reporting: u64,
    /// Ballots over `registered_reporting`, in percent.
    pub turnout: String,
    pub valid_votes: u64,
    pub blank: u64,
    pub invalid: u64,
    pub overvotes: u64,
    pub undervotes: u64,
    pub selections: Vec<SelectionResult>,
    /// Seats per selection (party-list contests with seat rules): interfaces.md's `seats`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats: Option<BTreeMap<String, u32>>,
    /// How the seats were allocated: method, last seat, first seat missed, ties, exclusions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seat_allocation: Option<SeatResult>,
    /// Ranked-choice contests: the rounds and the CVR files they were computed from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ranked_choice: Option<RankedChoiceResult>,
    pub units: Vec<UnitResult>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SelectionResult {
    pub id: String,
    pub name: LocalizedText,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    pub votes: u64,
    pub share: String,
    pub by_count_type: BTreeMap<&'static str, u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnitResult {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Whether this unit has a report of its own for the contest.
    pub reported: bool,
    pub units_reporting: u64,
    pub units_total: u64,
    pub votes: BTreeMap<String, u64>,
    /// Selection → count type → votes; only in single-contest documents (all levels).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_count_type: Option<BTreeMap<String, BTreeMap<&'static str, u64>>>,
    pub ballots: u64,
    /// Over- and undervotes of the unit (0 when none were stated): in the results JSON only
    /// when stated, so a CDF export can give them per unit as the source did.
    #[serde(skip_serializing_if = "is_zero")]
    pub overvotes: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub undervotes: u64,
    pub registered: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

pub use seats::SeatResult;
