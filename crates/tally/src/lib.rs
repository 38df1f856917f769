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

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;
use skytale_model::{
    format_unix, unix_seconds, ContestKind, ContestReport, CountType, CvrStatement, LocalizedText,
    ReportStatus, ResultType, ResultsStatement, SeatRules, Statement, StatusStatement,
    ValidDefinition,
};

pub mod changes;
pub mod flags;
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

/// A unit's own report, its counts kept compactly: a national election keeps one per polling
/// station and contest in every copy of the tally, and a station gives one or two of the five
/// count types, so only the types it gives are stored (a fifth of the bytes of [`Counts`]).
#[derive(Clone, Debug)]
struct OwnReport {
    /// Bit `t` set: count type slot `t` is stored.
    types: u8,
    /// For each selection, its votes of the stored types in slot order; then ballots, blank,
    /// invalid, overvotes, undervotes.
    values: Box<[u64]>,
    status: ReportStatus,
    /// When its statement was submitted (Unix seconds, from the statement).
    at: i64,
}

impl OwnReport {
    fn new(c: &Counts, status: ReportStatus, at: i64) -> OwnReport {
        let mut types = 0u8;
        for row in &c.votes {
            for (t, v) in row.iter().enumerate() {
                if *v != 0 {
                    types |= 1 << t;
                }
            }
        }
        let stored = types.count_ones() as usize;
        let mut values = Vec::with_capacity(c.votes.len() * stored + 5);
        for row in &c.votes {
            values.extend((0..TYPES).filter(|t| types & (1 << t) != 0).map(|t| row[t]));
        }
        values.extend([c.ballots, c.blank, c.invalid, c.overvotes, c.undervotes]);
        OwnReport {
            types,
            values: values.into_boxed_slice(),
            status,
            at,
        }
    }

    /// The counts, for a contest of `selections` selections.
    fn counts(&self, selections: usize) -> Counts {
        let mut c = Counts::zero(selections);
        let slots: Vec<usize> = (0..TYPES).filter(|t| self.types & (1 << t) != 0).collect();
        let mut it = self.values.iter().copied();
        if !slots.is_empty() {
            for row in c.votes.iter_mut() {
                for &t in &slots {
                    row[t] = it.next().unwrap_or(0);
                }
            }
        }
        let mut next = || it.next().unwrap_or(0);
        c.ballots = next();
        c.blank = next();
        c.invalid = next();
        c.overvotes = next();
        c.undervotes = next();
        c
    }
}

/// The tally of one contest.
#[derive(Clone, Debug)]
struct ContestTally {
    own: UnitMap<OwnReport>,
    /// For units below which something was reported: the sum of the children's effective counts.
    child_sum: UnitMap<Counts>,
    child_cov: UnitMap<Coverage>,
    /// For the same units: the latest submission time of a report counted below them.
    child_at: UnitMap<i64>,
}

/// A result type the officials gave (a `status` statement), in the tally.
#[derive(Clone, Debug)]
struct GivenType {
    result_type: ResultType,
    signed_at: i64,
    reason: Option<String>,
    /// Order among the status statements folded (the latest applicable one wins).
    order: u64,
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
    /// The officials' result types by scope (contest, unit; `None` = every one).
    result_types: BTreeMap<(Option<usize>, Option<usize>), GivenType>,
    /// Whether any result type names a unit (else units need no look-up of their own).
    unit_result_types: bool,
    /// Status statements folded in (orders them: the latest applicable one wins).
    status_statements: u64,
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
                    child_at: UnitMap::default(),
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
            result_types: BTreeMap::new(),
            unit_result_types: false,
            status_statements: 0,
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
        let at = unix_seconds(&r.submitted_at).unwrap_or(i64::MIN);
        for report in &r.contests {
            let Some(ci) = self.def.contest_index(&report.contest) else {
                continue;
            };
            let new = Counts::from_report(&self.def, ci, report);
            self.set_own(ci, unit, new, r.status, at);
        }
    }

    /// Folds any accepted statement in (results, cvr batches and the officials' result types;
    /// other kinds do not count).
    pub fn apply_statement(&mut self, st: &Statement) {
        match st {
            Statement::Results(r) => self.apply(r),
            Statement::Review(rv) => {
                if let Some(r) = rv.released() {
                    self.apply(r)
                }
            }
            Statement::Cvr(c) => self.apply_cvr(c),
            Statement::Status(s) => self.apply_status(s),
            _ => {}
        }
    }

    /// Folds in the result type the officials gave a contest, a unit or the election.
    pub fn apply_status(&mut self, st: &StatusStatement) {
        let contest = match &st.contest {
            Some(c) => match self.def.contest_index(c) {
                Some(ci) => Some(ci),
                None => return,
            },
            None => None,
        };
        let unit = match &st.unit {
            Some(u) => match self.def.unit_index(u) {
                Some(ui) => Some(ui),
                None => return,
            },
            None => None,
        };
        self.unit_result_types |= unit.is_some();
        self.status_statements += 1;
        self.result_types.insert(
            (contest, unit),
            GivenType {
                result_type: st.result_type,
                signed_at: unix_seconds(&st.signed_at).unwrap_or(i64::MIN),
                reason: st.reason.clone().filter(|r| !r.trim().is_empty()),
                order: self.status_statements,
            },
        );
    }

    /// The latest result type given for contest `ci` as a whole (its own or the election's).
    fn contest_type(&self, ci: usize) -> Option<&GivenType> {
        [
            self.result_types.get(&(Some(ci), None)),
            self.result_types.get(&(None, None)),
        ]
        .into_iter()
        .flatten()
        .max_by_key(|g| g.order)
    }

    /// The result type of unit `u` in contest `ci` when a statement naming the unit is the
    /// latest to apply to it (else it is the contest's, shown there). A unit's result type is
    /// its own: the areas below it keep theirs, so a change feed that lists the unit has all
    /// that moved.
    fn unit_type(&self, ci: usize, u: usize) -> Option<&GivenType> {
        if !self.unit_result_types {
            return None;
        }
        let best = [(Some(ci), Some(u)), (None, Some(u))]
            .iter()
            .filter_map(|k| self.result_types.get(k))
            .max_by_key(|g| g.order)?;
        match self.contest_type(ci) {
            Some(c) if c.order > best.order => None,
            _ => Some(best),
        }
    }

    /// The result type of unit `u` in contest `ci` where the officials gave it one later than
    /// the contest's own; `None` means the contest's applies.
    pub fn unit_result_type(&self, ci: usize, u: usize) -> Option<ResultTypeDoc> {
        if ci >= self.contests.len() || u >= self.def.units().len() {
            return None;
        }
        self.unit_type(ci, u).map(GivenType::document)
    }

    /// When a report counted in contest `ci` at or below unit `u` was last submitted.
    fn unit_at(&self, ci: usize, u: usize) -> Option<i64> {
        let t = &self.contests[ci];
        t.own
            .get(&u)
            .map(|o| o.at)
            .or_else(|| t.child_at.get(&u).copied())
            .filter(|&at| at != i64::MIN)
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
            let at = unix_seconds(&c.submitted_at).unwrap_or(i64::MIN);
            self.set_own(ci, unit, counts, ReportStatus::Complete, at);
        }
    }

    fn effective(&self, ci: usize, u: usize) -> Option<Cow<'_, Counts>> {
        let t = &self.contests[ci];
        match t.own.get(&u) {
            Some(o) => Some(Cow::Owned(
                o.counts(self.def.contests()[ci].selections.len()),
            )),
            None => t.child_sum.get(&u).map(Cow::Borrowed),
        }
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

    fn set_own(&mut self, ci: usize, unit: usize, new: Counts, status: ReportStatus, at: i64) {
        // What the ancestors' sums change by: the new report less what counted before (none,
        // on a unit's first report: the report itself, without a copy).
        let replaced = self.effective(ci, unit).map(|old| new.minus(&old));
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
            let latest = t.child_at.entry(p).or_insert(at);
            *latest = (*latest).max(at);
            if t.own.contains_key(&p) {
                break;
            }
            u = p;
        }
        self.contests[ci]
            .own
            .insert(unit, OwnReport::new(&new, status, at));
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
        let eff = eff.as_deref();
        let cov = self.coverage(ci, u);
        UnitFigures {
            votes: (0..nsel)
                .map(|s| eff.map(|e| e.selection_votes(s)).unwrap_or(0))
                .collect(),
            ballots: eff.map(|e| e.ballots).unwrap_or(0),
            blank: eff.map(|e| e.blank).unwrap_or(0),
            invalid: eff.map(|e| e.invalid).unwrap_or(0),
            registered: self.registered[u],
            // As for a contest: with every station in, the unit's own registered voters count
            // (a county may state them while its precincts do not).
            registered_reporting: if cov.leaves == self.leaves[u] && cov.leaves > 0 {
                self.registered[u].max(cov.registered)
            } else {
                cov.registered
            },
            units_reporting: cov.leaves,
            units_total: self.leaves[u],
        }
    }

    /// One unit's votes in contest `ci` by count type (election day, early, mail, provisional,
    /// and `total` for votes reported without a breakdown), by selection position, only the
    /// types with votes: the `by_count_type` of its [`UnitResult`] in a contest document, for
    /// a unit's page. Empty maps when the unit has nothing counted.
    pub fn unit_count_types(&self, ci: usize, u: usize) -> Vec<BTreeMap<&'static str, u64>> {
        let nsel = self.def.contests()[ci].selections.len();
        match self.effective(ci, u) {
            Some(e) => e.votes.iter().map(by_type).collect(),
            None => vec![BTreeMap::new(); nsel],
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
        let certified =
            !self.contests.is_empty() && (0..self.contests.len()).all(|ci| self.certified(ci));
        if certified {
            "certified"
        } else {
            "unofficial"
        }
    }

    /// Whether contest `ci` is certified: the officials' latest result type for it says so, or
    /// (without one) every root of its area has a certified report of its own.
    fn certified(&self, ci: usize) -> bool {
        match self.contest_type(ci) {
            Some(g) => g.result_type == ResultType::Certified,
            None => self.def.contest_area(ci).iter().all(|a| {
                self.contests[ci]
                    .own
                    .get(a)
                    .is_some_and(|o| o.status == ReportStatus::Certified)
            }),
        }
    }

    fn wrap(&self, pos: &LogPosition, contests: Vec<ContestResult>) -> ResultsDoc {
        ResultsDoc {
            election: self.def.id().to_string(),
            test: self.def.definition().test,
            tree_size: pos.tree_size,
            root_hash: pos.root_hash.clone(),
            status: self.status(),
            result_type: self
                .result_types
                .get(&(None, None))
                .map(GivenType::document),
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
                total.add(&e);
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
                    let eff = eff.as_deref();
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
        let last_updated = def
            .contest_area(ci)
            .iter()
            .filter_map(|&a| self.unit_at(ci, a))
            .max()
            .map(format_unix);
        let comparison = def
            .definition()
            .previous
            .as_ref()
            .and_then(|p| {
                let pc = p.contests.iter().find(|pc| pc.contest == c.id)?;
                Some((p, pc))
            })
            .map(|(p, pc)| {
                let valid_then = pc.valid_votes.unwrap_or_else(|| pc.votes.values().sum());
                Comparison {
                    election: p.election.clone(),
                    valid_votes_then: valid_then,
                    selections: selections
                        .iter()
                        .filter_map(|s| {
                            let then = *pc.votes.get(&s.id)?;
                            let seats_then = pc.seats.get(&s.id).copied();
                            Some(SelectionChange {
                                id: s.id.clone(),
                                votes_then: then,
                                share_then: share(then, valid_then),
                                change: share_change(s.votes, valid, then, valid_then),
                                seats_then,
                                seat_change: seats_then.zip(seats.as_ref()).map(|(t, now)| {
                                    i64::from(now.get(&s.id).copied().unwrap_or(0)) - i64::from(t)
                                }),
                            })
                        })
                        .collect(),
                }
            });
        ContestResult {
            id: c.id.clone(),
            name: c.name.clone(),
            kind: c.kind.as_str(),
            comparison,
            status: if self.certified(ci) {
                "certified"
            } else {
                "unofficial"
            },
            result_type: self.contest_type(ci).map(GivenType::document),
            last_updated,
            units_reporting: cov.leaves,
            units_total,
            reporting_percent: share(cov.leaves, units_total),
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
        let eff = eff.as_deref();
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
        let change = def
            .definition()
            .previous
            .as_ref()
            .and_then(|p| p.contests.iter().find(|pc| pc.contest == c.id))
            .and_then(|pc| pc.units.get(&unit.id))
            .map(|then| {
                let valid_now: u64 = c
                    .selections
                    .iter()
                    .enumerate()
                    .map(|(s, _)| eff.map(|e| e.selection_votes(s)).unwrap_or(0))
                    .sum();
                let valid_then = then
                    .valid_votes
                    .unwrap_or_else(|| then.votes.values().sum());
                c.selections
                    .iter()
                    .enumerate()
                    .filter_map(|(s, sel)| {
                        let before = *then.votes.get(&sel.id)?;
                        let now = eff.map(|e| e.selection_votes(s)).unwrap_or(0);
                        Some((
                            sel.id.clone(),
                            share_change(now, valid_now, before, valid_then),
                        ))
                    })
                    .collect()
            });
        UnitResult {
            id: unit.id.clone(),
            change,
            parent: unit.parent.clone(),
            level: unit.level.clone(),
            reported: self.contests[ci].own.contains_key(&u),
            report_status: self.contests[ci].own.get(&u).map(|o| o.status),
            result_type: self.unit_type(ci, u).map(GivenType::document),
            last_updated: self.unit_at(ci, u).map(format_unix),
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
    /// Registered voters of the stations that have reported: the base of a turnout while
    /// the count goes on.
    pub registered_reporting: u64,
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

/// `part / whole` in hundredths of a percent, rounded half up (0 when `whole` is zero).
fn hundredths(part: u64, whole: u64) -> i128 {
    if whole == 0 {
        return 0;
    }
    ((u128::from(part) * 20_000 + u128::from(whole)) / (2 * u128::from(whole))) as i128
}

/// The change of a share from `then_part / then_whole` to `now_part / now_whole`, in
/// percentage points with two decimals and a sign: the difference of the two shares as
/// [`share`] rounds them, so it is what a reader subtracting the shown figures gets
/// ("+3.19", "-4.62", "0.00").
pub fn share_change(now_part: u64, now_whole: u64, then_part: u64, then_whole: u64) -> String {
    let d = hundredths(now_part, now_whole) - hundredths(then_part, then_whole);
    let sign = match d.signum() {
        1 => "+",
        -1 => "-",
        _ => "",
    };
    let a = d.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
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
    /// A test election (its definition says so): the figures are not real.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
    pub tree_size: u64,
    pub root_hash: String,
    /// `certified` once every contest is, else `unofficial`.
    pub status: &'static str,
    /// The result type the officials last gave the whole election, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultTypeDoc>,
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
    /// The change since the earlier election the definition names, per selection it has
    /// figures for (absent when none is named for this contest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// `certified` when the officials' result type for the contest is, or (with none given)
    /// when every root of its area reported as certified; else `unofficial`.
    pub status: &'static str,
    /// The latest result type the officials gave this contest (or the whole election).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultTypeDoc>,
    /// The latest submission time of a report counted in the contest (UTC, whole seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    pub units_reporting: u64,
    pub units_total: u64,
    /// `units_reporting` over `units_total`, in percent with two decimals.
    pub reporting_percent: String,
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
    /// Per selection: the change of its share since the earlier election, in percentage
    /// points (only units the earlier figures cover).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Whether this unit has a report of its own for the contest.
    pub reported: bool,
    /// The status its reporting authority gave its own report (`partial`, `complete`,
    /// `certified`): "is this county done?", as the county signed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_status: Option<ReportStatus>,
    /// A result type the officials gave this unit later than the contest's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultTypeDoc>,
    /// The latest submission time of a report counted at or below this unit (UTC, seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
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

/// A contest's change since the earlier election its definition names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// The earlier election's id in the archive.
    pub election: String,
    /// Its valid votes, the base of its shares.
    pub valid_votes_then: u64,
    pub selections: Vec<SelectionChange>,
}

/// One selection's figures then and the change since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SelectionChange {
    pub id: String,
    pub votes_then: u64,
    /// Its share then, in percent.
    pub share_then: String,
    /// Share now minus share then, in percentage points, signed.
    pub change: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats_then: Option<u32>,
    /// Seats now minus seats then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seat_change: Option<i64>,
}

/// A result type in a document: what the officials said, when, and why if they said why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResultTypeDoc {
    /// `estimate`, `projection`, `provisional`, `final` or `certified`.
    pub result_type: &'static str,
    /// When the official signed it (UTC, whole seconds).
    pub signed_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl GivenType {
    fn document(&self) -> ResultTypeDoc {
        ResultTypeDoc {
            result_type: self.result_type.as_str(),
            signed_at: format_unix(self.signed_at),
            reason: self.reason.clone(),
        }
    }
}

pub use seats::SeatResult;

#[cfg(test)]
mod tests {
    use super::*;

    /// A report kept compactly gives back exactly its counts, whichever count types it uses.
    #[test]
    fn own_reports_keep_their_counts_exactly() {
        let mut cases = vec![Counts::zero(3), Counts::zero(0)];
        let mut mixed = Counts::zero(4);
        mixed.votes[0][0] = 7;
        mixed.votes[2][3] = u64::MAX;
        mixed.votes[3][0] = 0;
        mixed.ballots = 9;
        mixed.undervotes = 2;
        cases.push(mixed);
        let mut full = Counts::zero(2);
        for (s, row) in full.votes.iter_mut().enumerate() {
            for (t, v) in row.iter_mut().enumerate() {
                *v = (s * 10 + t + 1) as u64;
            }
        }
        full.blank = 1;
        full.invalid = 3;
        full.overvotes = 4;
        cases.push(full);
        for c in cases {
            let own = OwnReport::new(&c, ReportStatus::Partial, 5);
            assert_eq!(own.counts(c.votes.len()), c);
        }
        // One count type for six selections: six values and the five ballot figures.
        let mut one = Counts::zero(6);
        for row in one.votes.iter_mut() {
            row[0] = 100;
        }
        assert_eq!(
            OwnReport::new(&one, ReportStatus::Partial, 0).values.len(),
            11
        );
    }
}
