//! Roll-ups: a unit's figures that a file states beside its subunits' and that are exactly
//! their sum.
//!
//! NIST CDF reports commonly give a contest's counts at every level of their GpUnit tree (the
//! county and state beside the precincts; Skytale's own CDF exports do so too), so this applies
//! to them; a row of a CSV or Clarity file is a report of its own. Such a figure
//! says nothing its subunits do not: imported as the unit's own report it would win over its
//! subunits' in the tally (the roll-up rule), mark the unit as reporting on its own, and make a
//! second statement of what the file already states once. So a report that equals the sum of
//! its nearest reporting subunits is left out; one that differs is the unit's own report (a
//! county's count of ballots no precinct holds) and stays, as before.

use std::collections::BTreeMap;

use skytale_model::{ByType, ContestReport, CountType, ValidDefinition};

use super::import::UnitReports;

/// What a report says, comparable with a sum: per selection its total and each part given
/// (count types other than `total`), and the ballot figures (absent as 0).
#[derive(Default, PartialEq, Eq)]
struct Figures {
    totals: BTreeMap<String, u64>,
    parts: BTreeMap<(String, CountType), u64>,
    other: [u64; 5],
}

impl Figures {
    fn of(r: &ContestReport) -> Figures {
        let mut f = Figures::default();
        f.add(r);
        f
    }

    fn add(&mut self, r: &ContestReport) {
        for (sel, by) in &r.selections {
            let total = ContestReport::selection_total(by);
            if total > 0 {
                *self.totals.entry(sel.clone()).or_default() += total;
            }
            for (t, v) in parts(by) {
                if v > 0 {
                    *self.parts.entry((sel.clone(), t)).or_default() += v;
                }
            }
        }
        let g = |c: Option<skytale_model::Count>| c.map_or(0, |c| c.get());
        for (slot, v) in self.other.iter_mut().zip([
            g(r.ballots),
            g(r.blank),
            g(r.invalid),
            g(r.overvotes),
            g(r.undervotes),
        ]) {
            *slot = slot.saturating_add(v);
        }
    }

    /// Whether a unit's own report (`self`) says nothing its subunits' sum does not: the same
    /// totals and ballot figures, and each part it gives equal to theirs (a unit may give a
    /// total where its subunits break it down).
    fn is_rolled_up_from(&self, sum: &Figures) -> bool {
        self.totals == sum.totals
            && self.other == sum.other
            && self
                .parts
                .iter()
                .all(|(k, v)| sum.parts.get(k).copied().unwrap_or(0) == *v)
    }
}

/// The parts of a selection's counts (its count types other than `total`).
fn parts(by: &ByType) -> impl Iterator<Item = (CountType, u64)> + '_ {
    by.iter()
        .filter(|(t, _)| **t != CountType::Total)
        .map(|(t, v)| (*t, v.get()))
}

/// Leaves out every report of `out` (per definition unit) that is the roll-up of its
/// subunits' reports of the same contest in the same file.
pub(super) fn drop_rollups(def: &ValidDefinition, out: &mut [Option<UnitReports>]) {
    // Only a unit with subunits can hold a roll-up: a file of leaves costs one pass.
    let mut drops: Vec<(usize, usize)> = Vec::new();
    for (u, reports) in out.iter().enumerate() {
        let Some((_, _, reports)) = reports else {
            continue;
        };
        if def.children(u).is_empty() {
            continue;
        }
        for (dc, report) in reports {
            if let Some(sum) = subunits_sum(def, out, u, *dc) {
                if Figures::of(report).is_rolled_up_from(&sum) {
                    drops.push((u, *dc));
                }
            }
        }
    }
    for (u, dc) in drops {
        if let Some((_, _, reports)) = &mut out[u] {
            reports.retain(|(c, _)| *c != dc);
        }
        if out[u].as_ref().is_some_and(|(_, _, r)| r.is_empty()) {
            out[u] = None;
        }
    }
}

/// The sum of contest `dc`'s reports of `u`'s nearest reporting subunits (a subunit's own
/// report, else its subunits' in turn), or `None` when no subunit reports it.
fn subunits_sum(
    def: &ValidDefinition,
    out: &[Option<UnitReports>],
    u: usize,
    dc: usize,
) -> Option<Figures> {
    let mut sum: Option<Figures> = None;
    // Depth first with an explicit stack: the tree may be as deep as the definition allows.
    let mut stack: Vec<usize> = def.children(u).to_vec();
    while let Some(ch) = stack.pop() {
        let own = out[ch]
            .as_ref()
            .and_then(|(_, _, r)| r.iter().find(|(c, _)| *c == dc));
        match own {
            Some((_, report)) => sum.get_or_insert_with(Figures::default).add(report),
            None => stack.extend_from_slice(def.children(ch)),
        }
    }
    sum
}
