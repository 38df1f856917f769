//! The change index: for every results, CVR and status statement of a log, its index, unit
//! and contests, so a follower's cursor (a published tree size) gives the contests and units whose
//! figures moved since it. Each change is a statement of the log between the cursor and the
//! snapshot, so the server's change feed and the verifier's recomputation of it are made by
//! the same pure code from the same log.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use skytale_model::{Statement, ValidDefinition};

use crate::{ContestResult, LogPosition, Tally};

/// One results, CVR or status statement: where it is in the log and what it reports on.
#[derive(Clone, Debug)]
struct Change {
    index: u64,
    /// The unit, or [`WHOLE_AREA`] for a result type given a whole contest.
    unit: u32,
    contests: Box<[u32]>,
}

/// A change to a contest as a whole (a result type given it), not to one of its units.
const WHOLE_AREA: u32 = u32::MAX;

/// Every results and CVR statement of a log, in log order.
#[derive(Clone, Debug, Default)]
pub struct ChangeIndex {
    entries: Vec<Change>,
}

impl ChangeIndex {
    /// Remembers statement `st` at log `index`. An index at or below the last one recorded is
    /// ignored (a statement replayed twice is one change).
    pub fn record(&mut self, def: &ValidDefinition, index: u64, st: &Statement) {
        let (unit, contests): (Option<&str>, Vec<&str>) = match st {
            Statement::Results(_) | Statement::Review(_) => match st.results() {
                Some(r) => (
                    Some(&r.unit),
                    r.contests.iter().map(|c| c.contest.as_str()).collect(),
                ),
                None => return,
            },
            Statement::Cvr(c) => (Some(&c.unit), vec![c.contest.as_str()]),
            // A result type changes what a contest's figures are said to be: its contest (or
            // every contest), with the unit it names.
            Statement::Status(s) => (
                s.unit.as_deref(),
                match &s.contest {
                    Some(c) => vec![c.as_str()],
                    None => def.contests().iter().map(|c| c.id.as_str()).collect(),
                },
            ),
            _ => return,
        };
        // Accepted statements name known ids; anything else changes no figure.
        let unit = match unit {
            None => WHOLE_AREA,
            Some(u) => match def.unit_index(u) {
                Some(u) => u as u32,
                None => return,
            },
        };
        if self.entries.last().is_some_and(|e| e.index >= index) {
            return;
        }
        let contests: Box<[u32]> = contests
            .into_iter()
            .filter_map(|c| def.contest_index(c))
            .map(|c| c as u32)
            .collect();
        self.entries.push(Change {
            index,
            unit,
            contests,
        });
    }

    /// Contest → the units with a statement at an index in `from..to` (a contest given a
    /// result type as a whole is there with the units that reported, maybe none).
    pub fn between(&self, from: u64, to: u64) -> BTreeMap<usize, BTreeSet<usize>> {
        let start = self.entries.partition_point(|e| e.index < from);
        let mut out: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        for e in self.entries[start..].iter().take_while(|e| e.index < to) {
            for &c in e.contests.iter() {
                let units = out.entry(c as usize).or_default();
                if e.unit != WHOLE_AREA {
                    units.insert(e.unit as usize);
                }
            }
        }
        out
    }
}

/// The change feed's document: what moved between `since` and the snapshot at `pos`.
#[derive(Serialize)]
struct ChangesDoc<'a> {
    election: &'a str,
    /// A test election: the figures are not real.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    test: bool,
    since: u64,
    /// The cursor to ask with next time: the snapshot's tree size.
    next: u64,
    tree_size: u64,
    root_hash: &'a str,
    published_at: Option<&'a str>,
    contests: Vec<ContestResult>,
}

/// The change feed's body for cursor `since` at the snapshot `pos` of `tally`: each contest
/// with a statement between them, with its totals and the rows of the units that reported and
/// the areas above them ([`Tally::contest_with_units`]). Compact JSON and a newline.
pub fn changes_document(
    tally: &Tally,
    index: &ChangeIndex,
    since: u64,
    pos: &LogPosition,
) -> Vec<u8> {
    document_of(tally, index.between(since, pos.tree_size), since, pos)
}

/// [`changes_document`] from what moved (`ChangeIndex::between(since, pos.tree_size)`), so a
/// caller can let go of the index before the document is built.
pub fn document_of(
    tally: &Tally,
    moved: BTreeMap<usize, BTreeSet<usize>>,
    since: u64,
    pos: &LogPosition,
) -> Vec<u8> {
    let contests = moved
        .into_iter()
        .filter_map(|(ci, units)| tally.contest_with_units(ci, units))
        .collect();
    let doc = ChangesDoc {
        election: tally.definition().id(),
        test: tally.definition().definition().test,
        since,
        next: pos.tree_size,
        tree_size: pos.tree_size,
        root_hash: &pos.root_hash,
        published_at: pos.published_at.as_deref(),
        contests,
    };
    let mut v = serde_json::to_vec(&doc).unwrap_or_default();
    v.push(b'\n');
    v
}
