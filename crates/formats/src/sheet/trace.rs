//! Where each figure of an import came from: the source line of every number, so a person can
//! check what will be signed against the file itself (`skytale submit --dry-run`). Recorded
//! only when asked: an ordinary import of a statewide file keeps no per-figure record.

use std::collections::BTreeMap;

use skytale_model::{CountType, ValidDefinition};

use super::{Other, Sheet};
use crate::error::FormatError;
use crate::ImportOptions;

/// One figure as a reader gave it to the sheet.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Traced {
    pub unit: usize,
    pub contest: usize,
    pub figure: SheetFigure,
    pub line: u64,
}

/// A figure in the sheet's own numbering.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SheetFigure {
    Votes(usize, CountType),
    Other(Other),
}

/// Which figure of a contest's report a number is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Figure {
    /// A selection's votes of one count type.
    Votes {
        selection: String,
        count_type: CountType,
    },
    Ballots,
    Overvotes,
    Undervotes,
    Blank,
    Invalid,
}

/// The source lines of every figure of an import, per (definition unit id, contest id).
/// A figure summed from several rows (two vote types a mapping joins) has several lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    figures: BTreeMap<(String, String), BTreeMap<Figure, Vec<u64>>>,
}

impl Trace {
    /// The lines of one figure of `unit`'s report for `contest` (empty when the file gave none,
    /// or the format keeps no lines: NIST JSON and native statements).
    pub fn lines(&self, unit: &str, contest: &str, figure: &Figure) -> &[u64] {
        self.figures
            .get(&(unit.to_string(), contest.to_string()))
            .and_then(|f| f.get(figure))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Every line that gave a figure of `unit`'s report for `contest`, in order.
    pub fn contest_lines(&self, unit: &str, contest: &str) -> Vec<u64> {
        let mut v: Vec<u64> = self
            .figures
            .get(&(unit.to_string(), contest.to_string()))
            .map(|f| f.values().flatten().copied().collect())
            .unwrap_or_default();
        v.sort_unstable();
        v.dedup();
        v
    }

    pub fn is_empty(&self) -> bool {
        self.figures.is_empty()
    }
}

impl Sheet {
    /// Keeps the source line of every figure from now on (see [`Sheet::trace`]).
    pub fn traced(mut self, on: bool) -> Sheet {
        self.trace = on.then(Vec::new);
        self
    }

    /// Records that `figure` of cell (`unit`, `contest`) came from `line`, when tracing.
    pub(crate) fn note(&mut self, unit: usize, contest: usize, figure: SheetFigure, line: u64) {
        if let Some(t) = &mut self.trace {
            t.push(Traced {
                unit,
                contest,
                figure,
                line,
            });
        }
    }

    /// The recorded figures resolved to the definition's ids, as [`Sheet::import`] resolves
    /// them (call it after a successful import: every name then resolves). Lines of 0 (a
    /// reader that knows none) are left out.
    pub fn trace(&self, def: &ValidDefinition, opts: &ImportOptions) -> Result<Trace, FormatError> {
        let mut out = Trace::default();
        let Some(rows) = &self.trace else {
            return Ok(out);
        };
        let r = super::import::Resolver::new(def, opts.mapping);
        let mut unit_memo: Vec<Option<usize>> = vec![None; self.units.len()];
        let mut contest_memo: Vec<Option<usize>> = vec![None; self.contests.len()];
        let mut sel_memo: Vec<Vec<Option<usize>>> = self
            .contests
            .iter()
            .map(|c| vec![None; c.selections.len()])
            .collect();
        for t in rows.iter().filter(|t| t.line > 0) {
            let du = self.resolve_unit(t.unit, &r, &mut unit_memo)?;
            let dc = match contest_memo[t.contest] {
                Some(x) => x,
                None => {
                    let x = r.contest(&self.contests[t.contest], t.line)?;
                    contest_memo[t.contest] = Some(x);
                    x
                }
            };
            let contest = &def.contests()[dc];
            let figure = match t.figure {
                SheetFigure::Votes(s, count_type) => {
                    let ds = self.resolve_selection(t.contest, s, dc, &r, &mut sel_memo)?;
                    Figure::Votes {
                        selection: contest.selections[ds].id.clone(),
                        count_type,
                    }
                }
                SheetFigure::Other(Other::Ballots) => Figure::Ballots,
                SheetFigure::Other(Other::Overvotes) => Figure::Overvotes,
                SheetFigure::Other(Other::Undervotes) => Figure::Undervotes,
                SheetFigure::Other(Other::Blank) => Figure::Blank,
                SheetFigure::Other(Other::Invalid) => Figure::Invalid,
            };
            let lines = out
                .figures
                .entry((def.units()[du].id.clone(), contest.id.clone()))
                .or_default()
                .entry(figure)
                .or_default();
            if !lines.contains(&t.line) {
                lines.push(t.line);
            }
        }
        for figures in out.figures.values_mut() {
            for lines in figures.values_mut() {
                lines.sort_unstable();
            }
        }
        Ok(out)
    }
}
