//! [`Sheet::import`]: the file's names resolved against an existing definition, and one
//! results statement per unit.

use std::collections::{BTreeMap, BTreeSet};

use foldhash::{HashMap, HashMapExt};

use skytale_model::{
    ByType, Contest, ContestReport, Count, ResultsStatement, SourceFile, ValidDefinition,
};

use super::{Cell, SContest, SSel, SUnit, Sheet};
use crate::error::{FormatError, Location};
use crate::norm::{candidate_key, closest, norm_key};
use crate::ImportOptions;

impl Sheet {
    /// Resolves the file's names against `def` and produces one statement per unit.
    pub fn import(
        &self,
        def: &ValidDefinition,
        opts: &ImportOptions,
        sha256: &str,
    ) -> Result<Vec<ResultsStatement>, FormatError> {
        if opts.election != def.id() {
            return Err(FormatError::invalid(
                Location::at_field("election"),
                format!(
                    "the statements are for election {:?} but the definition is {:?}",
                    opts.election,
                    def.id()
                ),
            ));
        }
        // Cells as stored, in the order the file first names them: memory order, so the pass
        // reads them one after another (in (unit, contest) order each cell was a cache miss).
        // Statements do not depend on the order; errors must be found in (unit, contest) order,
        // as they always were: a pass that meets one is made again in that order, which meets
        // the first.
        let stored: Vec<((usize, usize), &Cell)> =
            self.cells.iter().map(|(k, cell)| (*k, cell)).collect();
        self.statements(def, opts, sha256, &stored).or_else(|_| {
            let mut sorted = stored.clone();
            sorted.sort_unstable_by_key(|(k, _)| *k);
            self.statements(def, opts, sha256, &sorted)
        })
    }

    /// [`Sheet::import`] from `cells` in the order given.
    fn statements(
        &self,
        def: &ValidDefinition,
        opts: &ImportOptions,
        sha256: &str,
        cells: &[((usize, usize), &Cell)],
    ) -> Result<Vec<ResultsStatement>, FormatError> {
        let r = Resolver::new(def, opts.mapping);
        let mut unit_memo: Vec<Option<usize>> = vec![None; self.units.len()];
        let mut contest_memo: Vec<Option<usize>> = vec![None; self.contests.len()];
        let mut sel_memo: Vec<Vec<Option<usize>>> = self
            .contests
            .iter()
            .map(|c| vec![None; c.selections.len()])
            .collect();
        // Per definition unit: its first cell in (unit, contest) order and that cell's line (the
        // statements' order), and its (contest, report)s. A vector per unit, not a B-tree: a
        // B-tree node reserves eleven ~150-byte reports whatever a unit has.
        let mut out: Vec<Option<UnitReports>> = (0..def.units().len()).map(|_| None).collect();
        // Two source names for one (unit, contest, selection) are caught by the report already
        // holding the selection; a selection with no counts is not in the report, so those
        // (rare) are remembered here.
        let mut empty_cells: HashMap<(usize, usize, usize), u64> = HashMap::new();
        let mut ranks: Vec<Vec<u32>> = vec![Vec::new(); def.contests().len()];
        let mut sorted: Vec<(u32, usize, ByType)> = Vec::new();
        // A unit's reports vector is made at its final size (one report per cell, unless
        // several source units or contests map to one): grown by doubling, its copies were
        // a good part of the memory an import touches.
        let mut cells_of_unit = vec![0usize; self.units.len()];
        for ((u, _), _) in cells {
            cells_of_unit[*u] += 1;
        }
        for &((u, c), cell) in cells {
            let du = self.resolve_unit(u, &r, &mut unit_memo)?;
            let dc = match contest_memo[c] {
                Some(x) => x,
                None => {
                    let x = r.contest(&self.contests[c], cell.line)?;
                    contest_memo[c] = Some(x);
                    x
                }
            };
            if !def.contest_held_in(dc, du) {
                return Err(FormatError::invalid(
                    Location::line(cell.line),
                    format!("contest {:?} is not held in reporting unit {:?} according to the definition", def.contests()[dc].id, def.units()[du].id),
                ));
            }
            let entry = out[du]
                .get_or_insert_with(|| ((u, c), cell.line, Vec::with_capacity(cells_of_unit[u])));
            if (u, c) < entry.0 {
                (entry.0, entry.1) = ((u, c), cell.line);
            }
            // A report met again is usually the last one (several source units or contests
            // mapped to one are the exception).
            let (at, fresh) = match entry.2.iter().rposition(|(d, _)| *d == dc) {
                Some(i) => (i, false),
                None => {
                    entry.2.push((
                        dc,
                        ContestReport {
                            contest: def.contests()[dc].id.clone(),
                            ballots: None,
                            blank: None,
                            invalid: None,
                            overvotes: None,
                            undervotes: None,
                            selections: BTreeMap::new(),
                        },
                    ));
                    (entry.2.len() - 1, true)
                }
            };
            let report = &mut entry.2[at].1;
            if ranks[dc].is_empty() {
                ranks[dc] = id_ranks(&def.contests()[dc]);
            }
            // A report's first cell (nearly always its only one) goes the short way when its
            // selections resolve to distinct ones; anything else takes the general way below,
            // which meets the same errors in the same order as it always has.
            let short = fresh
                && self.sorted_selections(c, dc, cell, &r, &mut sel_memo, &ranks[dc], &mut sorted);
            if short {
                let sels = &def.contests()[dc].selections;
                for &(_, ds, by) in &sorted {
                    if by.is_empty() {
                        empty_cells.insert((du, dc, ds), cell.line);
                    }
                }
                // In key order, each insertion lands at the end of the (one-leaf) map.
                for &(_, ds, by) in &sorted {
                    if !by.is_empty() {
                        report.selections.insert(sels[ds].id.clone(), by);
                    }
                }
            }
            for (s, counts) in cell.sel.iter().filter(|_| !short) {
                let ds = self.resolve_selection(c, s, dc, &r, &mut sel_memo)?;
                let sid = &def.contests()[dc].selections[ds].id;
                let twice = |first: Option<u64>| {
                    let first = first.unwrap_or(cell.line);
                    FormatError::invalid(
                        Location::line(cell.line),
                        format!("two source names map to selection {sid:?} of contest {:?} in unit {:?} (also near line {first})", def.contests()[dc].id, def.units()[du].id),
                    )
                };
                if let Some(&first) = empty_cells.get(&(du, dc, ds)) {
                    return Err(twice(Some(first)));
                }
                if report.selections.contains_key(sid) {
                    return Err(twice(first_line_mapping_to(
                        cells,
                        &unit_memo,
                        &contest_memo,
                        &sel_memo,
                        (du, dc, ds),
                    )));
                }
                let by = *counts;
                if by.is_empty() {
                    empty_cells.insert((du, dc, ds), cell.line);
                } else {
                    report.selections.insert(sid.clone(), by);
                }
            }
            let add = |slot: &mut Option<Count>, v: Option<u64>| {
                if let Some(v) = v {
                    *slot = Some(Count::new(
                        slot.map(|c| c.get()).unwrap_or(0).saturating_add(v),
                    ));
                }
            };
            add(&mut report.overvotes, cell.other[0]);
            add(&mut report.undervotes, cell.other[1]);
            add(&mut report.blank, cell.other[2]);
            add(&mut report.ballots, cell.other[3]);
            add(&mut report.invalid, cell.other[4]);
        }
        // A NIST report gives a contest's counts at each level of its GpUnit tree; a row of a
        // CSV or a Clarity file is a report of its own (a county's row beside its towns').
        if matches!(
            self.format,
            crate::Format::NistJson | crate::Format::NistXml
        ) {
            super::rollup::drop_rollups(def, &mut out);
        }
        let source = SourceFile {
            format: self.format.name().to_string(),
            sha256: sha256.to_string(),
            name: opts.source_name.map(str::to_string),
        };
        let mut list: Vec<(u64, usize, Reports)> = out
            .into_iter()
            .enumerate()
            .filter_map(|(du, o)| o.map(|(_, line, m)| (line, du, m)))
            .collect();
        list.sort_by_key(|(line, du, _)| (*line, *du));
        let mut statements = Vec::with_capacity(list.len());
        for (line, du, mut reports) in list {
            // Contests in definition order, as ever.
            reports.sort_unstable_by_key(|(dc, _)| *dc);
            let st = ResultsStatement {
                election: opts.election.to_string(),
                unit: def.units()[du].id.clone(),
                version: opts.version,
                status: opts.status,
                submitted_at: opts.submitted_at.to_string(),
                reason: None,
                source: Some(source.clone()),
                contests: reports.into_iter().map(|(_, r)| r).collect(),
            };
            // The model's count checks have the last word, here and again when the ledger
            // admits the statement.
            st.check_counts().map_err(|rej| {
                FormatError::invalid(
                    Location {
                        line: Some(line),
                        field: rej.field.clone(),
                        ..Location::default()
                    },
                    format!("unit {:?}: {}", st.unit, rej.message),
                )
            })?;
            statements.push(st);
        }
        Ok(statements)
    }

    /// Definition selection of source selection `s` of source contest `c` (resolved in
    /// definition contest `dc` once, then remembered).
    pub(super) fn resolve_selection(
        &self,
        c: usize,
        s: usize,
        dc: usize,
        r: &Resolver,
        memo: &mut [Vec<Option<usize>>],
    ) -> Result<usize, FormatError> {
        if let Some(ds) = memo[c].get(s).copied().flatten() {
            return Ok(ds);
        }
        let ds = r.selection(dc, &self.contests[c].selections[s])?;
        if let Some(m) = memo[c].get_mut(s) {
            *m = Some(ds);
        }
        Ok(ds)
    }

    /// The selections of `cell` as (id rank, definition selection, counts), sorted by rank into
    /// `out`; `false` when a selection does not resolve or two map to one definition selection
    /// (the caller then takes the general way, which reports it).
    #[allow(clippy::too_many_arguments)]
    fn sorted_selections(
        &self,
        c: usize,
        dc: usize,
        cell: &Cell,
        r: &Resolver,
        memo: &mut [Vec<Option<usize>>],
        ranks: &[u32],
        out: &mut Vec<(u32, usize, ByType)>,
    ) -> bool {
        out.clear();
        for (s, counts) in cell.sel.iter() {
            match self.resolve_selection(c, s, dc, r, memo) {
                Ok(ds) => out.push((ranks[ds], ds, *counts)),
                Err(_) => return false,
            }
        }
        out.sort_unstable_by_key(|e| e.0);
        out.windows(2).all(|w| w[0].0 != w[1].0)
    }

    pub(super) fn resolve_unit(
        &self,
        u: usize,
        r: &Resolver,
        memo: &mut [Option<usize>],
    ) -> Result<usize, FormatError> {
        if let Some(d) = memo.get(u).copied().flatten() {
            return Ok(d);
        }
        // Ancestors first, iteratively (the chain is bounded by the parsers' depth limits).
        let mut chain = vec![u];
        while let Some(p) = self.units[*chain.last().unwrap_or(&u)].parent {
            if memo[p].is_some() || chain.len() > self.units.len() {
                break;
            }
            chain.push(p);
        }
        for &x in chain.iter().rev() {
            if memo[x].is_some() {
                continue;
            }
            let su = &self.units[x];
            let parent = su
                .parent
                .map(|p| (memo[p], self.units[p].name.display.as_str()));
            let d = r.unit(su, parent)?;
            memo[x] = Some(d);
        }
        memo[u].ok_or_else(|| {
            FormatError::invalid(
                Location::line(self.units[u].line),
                "internal: unit not resolved",
            )
        })
    }
}

/// Each selection's rank among its contest's selection ids in string order: the order of a
/// report's selection map, so a report's selections are sorted by number and the map built
/// from sorted input in one go.
fn id_ranks(contest: &Contest) -> Vec<u32> {
    let mut order: Vec<usize> = (0..contest.selections.len()).collect();
    order.sort_unstable_by(|&a, &b| contest.selections[a].id.cmp(&contest.selections[b].id));
    let mut ranks = vec![0u32; order.len()];
    for (rank, &i) in order.iter().enumerate() {
        ranks[i] = u32::try_from(rank).unwrap_or(u32::MAX);
    }
    ranks
}

/// A unit's contest reports, each with its definition contest index.
pub(super) type Reports = Vec<(usize, ContestReport)>;

/// A definition unit's first source cell in (unit, contest) order, that cell's line, and its
/// reports.
pub(super) type UnitReports = ((usize, usize), u64, Reports);

/// The first line of a cell whose unit, contest and one of whose selections resolved to
/// `target` (definition unit, contest, selection): the earlier source of a name mapped twice.
/// Only for the error message, so a search, not a table kept for every cell.
fn first_line_mapping_to(
    cells: &[((usize, usize), &Cell)],
    unit_memo: &[Option<usize>],
    contest_memo: &[Option<usize>],
    sel_memo: &[Vec<Option<usize>>],
    target: (usize, usize, usize),
) -> Option<u64> {
    let (du, dc, ds) = target;
    cells.iter().find_map(|&((u, c), cell)| {
        let same = unit_memo.get(u).copied().flatten() == Some(du)
            && contest_memo.get(c).copied().flatten() == Some(dc)
            && cell
                .sel
                .iter()
                .any(|(s, _)| sel_memo[c].get(s).copied().flatten() == Some(ds));
        same.then_some(cell.line)
    })
}

/// Name look-ups into a definition.
pub(super) struct Resolver<'a> {
    def: &'a ValidDefinition,
    mapping: Option<&'a crate::Mapping>,
    /// (parent index or usize::MAX for none, normalised name) → unit.
    unit_child: HashMap<(usize, String), usize>,
    unit_any: HashMap<String, Vec<usize>>,
    contest_name: HashMap<String, usize>,
    /// Per definition contest, made on first use: candidate key of every name of every
    /// selection → the first selection with it.
    sel_keys: Vec<std::cell::OnceCell<HashMap<String, usize>>>,
}

impl<'a> Resolver<'a> {
    pub(super) fn new(
        def: &'a ValidDefinition,
        mapping: Option<&'a crate::Mapping>,
    ) -> Resolver<'a> {
        let mut unit_child = HashMap::new();
        let mut unit_any: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, u) in def.units().iter().enumerate() {
            let names: BTreeSet<String> = u.name.values().map(|n| norm_key(n)).collect();
            for n in names {
                unit_child.insert((def.parent(i).unwrap_or(usize::MAX), n.clone()), i);
                unit_any.entry(n).or_default().push(i);
            }
        }
        let mut contest_name = HashMap::new();
        for (i, c) in def.contests().iter().enumerate() {
            for n in c.name.values() {
                contest_name.entry(norm_key(n)).or_insert(i);
            }
        }
        Resolver {
            def,
            mapping,
            unit_child,
            unit_any,
            contest_name,
            sel_keys: vec![std::cell::OnceCell::new(); def.contests().len()],
        }
    }

    fn unit(
        &self,
        su: &SUnit,
        parent: Option<(Option<usize>, &str)>,
    ) -> Result<usize, FormatError> {
        let at = || Location::line(su.line);
        let name = &su.name.display;
        if let Some(id) = self.mapping.and_then(|m| m.unit(parent.map(|p| p.1), name)) {
            return self.def.unit_index(id).ok_or_else(|| {
                FormatError::invalid(at(), format!("the mapping sends unit {name:?} to {id:?}, which is not a unit of the definition"))
            });
        }
        if let Some(k) = su.key.as_deref().map(str::trim) {
            if let Some(i) = self.def.unit_index(k) {
                return Ok(i);
            }
        }
        let n = norm_key(name);
        let root = self.def.root();
        match parent {
            Some((Some(pd), _)) => {
                if let Some(&i) = self.unit_child.get(&(pd, n.clone())) {
                    return Ok(i);
                }
            }
            _ => {
                if self.def.units()[root]
                    .name
                    .values()
                    .any(|v| norm_key(v) == n)
                {
                    return Ok(root);
                }
                if let Some(&i) = self.unit_child.get(&(root, n.clone())) {
                    return Ok(i);
                }
            }
        }
        // A name unique in the whole definition (the file skips a level the definition has),
        // but under the file's parent only: precinct `1` of one town is never another town's.
        if let Some(v) = self.unit_any.get(&n) {
            let under = |pd: usize| {
                std::iter::successors(self.def.parent(v[0]), |&p| self.def.parent(p))
                    .any(|a| a == pd)
            };
            if v.len() == 1 && parent.and_then(|p| p.0).is_none_or(under) {
                return Ok(v[0]);
            }
        }
        let pool: Vec<&str> = match parent {
            Some((Some(pd), _)) => self
                .def
                .children(pd)
                .iter()
                .map(|&c| self.def.text(&self.def.units()[c].name, ""))
                .collect(),
            _ => self
                .def
                .children(root)
                .iter()
                .map(|&c| self.def.text(&self.def.units()[c].name, ""))
                .collect(),
        };
        let shown = match parent {
            Some((_, pn)) => format!("{pn}/{name}"),
            None => name.clone(),
        };
        Err(FormatError::Unmapped {
            at: at(),
            kind: "reporting unit",
            name: shown,
            closest: closest(name, pool.into_iter()),
        })
    }

    pub(super) fn contest(&self, sc: &SContest, line: u64) -> Result<usize, FormatError> {
        let at = || Location::line(if line > 0 { line } else { sc.line });
        let name = &sc.name.display;
        if let Some(id) = self.mapping.and_then(|m| {
            m.contest(name)
                .or_else(|| sc.key.as_deref().and_then(|k| m.contest(k)))
        }) {
            return self.def.contest_index(id).ok_or_else(|| {
                FormatError::invalid(at(), format!("the mapping sends contest {name:?} to {id:?}, which is not a contest of the definition"))
            });
        }
        if let Some(k) = sc.key.as_deref().map(str::trim) {
            if let Some(i) = self.def.contest_index(k) {
                return Ok(i);
            }
        }
        if let Some(&i) = self.contest_name.get(&norm_key(name)) {
            return Ok(i);
        }
        for n in sc.name.i18n.values() {
            if let Some(&i) = self.contest_name.get(&norm_key(n)) {
                return Ok(i);
            }
        }
        let pool = self
            .def
            .contests()
            .iter()
            .map(|c| self.def.text(&c.name, ""));
        Err(FormatError::Unmapped {
            at: at(),
            kind: "contest",
            name: name.clone(),
            closest: closest(name, pool),
        })
    }

    fn selection(&self, dc: usize, ss: &SSel) -> Result<usize, FormatError> {
        let at = || Location::line(ss.line);
        let c = &self.def.contests()[dc];
        let name = &ss.name.display;
        if let Some(id) = self.mapping.and_then(|m| m.selection(&c.id, name)) {
            return self.def.selection_index(dc, id).ok_or_else(|| {
                FormatError::invalid(at(), format!("the mapping sends {name:?} to selection {id:?}, which contest {:?} does not have", c.id))
            });
        }
        if let Some(k) = ss.key.as_deref().map(str::trim) {
            if let Some(i) = self.def.selection_index(dc, k) {
                return Ok(i);
            }
        }
        // The first selection having a name with the key of the source name or of one of its
        // translations.
        let keys = self.sel_keys[dc].get_or_init(|| {
            let mut m: HashMap<String, usize> = HashMap::new();
            for (i, s) in c.selections.iter().enumerate() {
                for v in s.name.values() {
                    m.entry(candidate_key(v)).or_insert(i);
                }
            }
            m
        });
        let found = std::iter::once(candidate_key(name))
            .chain(ss.name.i18n.values().map(|v| candidate_key(v)))
            .filter_map(|k| keys.get(&k).copied())
            .min();
        if let Some(i) = found {
            return Ok(i);
        }
        let pool = c.selections.iter().map(|s| self.def.text(&s.name, ""));
        Err(FormatError::Unmapped {
            at: at(),
            kind: "selection",
            name: format!("{}/{name}", c.id),
            closest: closest(name, pool),
        })
    }
}
