//! The sheet's figures: per (unit, contest) a cell holding each selection's counts and the
//! other figures (over/undervotes, blank, ballots), stored for fast filling and reading.

use std::collections::BTreeMap;

use foldhash::HashMap;

use skytale_model::{ByType, Count, CountType};

use super::{Other, Sheet, SheetFigure};
use crate::error::{FormatError, Location};

/// The selections' figures of one cell, in selection order. Nearly every cell holds a few
/// selections: up to [`Sels::INLINE`] live in the cell itself (no allocation, and an import
/// reading the cell finds them on the same cache lines); then a sorted vector, a fraction of a
/// B-tree node's size (a leaf reserves room for eleven entries); past [`Sels::SMALL`] entries a
/// B-tree keeps insertion logarithmic whatever the row order.
#[derive(Clone, Debug)]
pub(crate) enum Sels {
    Inline(u8, [(usize, ByType); Sels::INLINE]),
    Small(Vec<(usize, ByType)>),
    Large(BTreeMap<usize, ByType>),
}

impl Default for Sels {
    fn default() -> Self {
        Sels::Inline(0, [(0, ByType::default()); Sels::INLINE])
    }
}

impl Sels {
    const INLINE: usize = 3;
    const SMALL: usize = 16;

    pub fn get(&self, s: usize) -> Option<&ByType> {
        match self {
            Sels::Inline(n, a) => {
                let v = &a[..usize::from(*n)];
                v.binary_search_by_key(&s, |e| e.0).ok().map(|i| &v[i].1)
            }
            Sels::Small(v) => v.binary_search_by_key(&s, |e| e.0).ok().map(|i| &v[i].1),
            Sels::Large(m) => m.get(&s),
        }
    }

    /// The figures of `s`, added empty if absent.
    pub fn entry(&mut self, s: usize) -> &mut ByType {
        if self.get(s).is_none() {
            self.make_room();
        }
        match self {
            Sels::Inline(n, a) => {
                let len = usize::from(*n);
                let i = match a[..len].binary_search_by_key(&s, |e| e.0) {
                    Ok(i) => return &mut a[i].1,
                    Err(i) => i,
                };
                // `make_room` left a free place at the end.
                a[i..=len].rotate_right(1);
                a[i] = (s, ByType::default());
                *n += 1;
                &mut a[i].1
            }
            Sels::Small(v) => {
                // Rows usually come in selection order: the end is the common place.
                let i = match v.last() {
                    Some(l) if l.0 < s => v.len(),
                    _ => match v.binary_search_by_key(&s, |e| e.0) {
                        Ok(i) => return &mut v[i].1,
                        Err(i) => i,
                    },
                };
                v.insert(i, (s, ByType::default()));
                &mut v[i].1
            }
            Sels::Large(m) => m.entry(s).or_default(),
        }
    }

    /// Before adding a selection: a full form moves to the next larger one.
    fn make_room(&mut self) {
        match self {
            Sels::Inline(n, a) if usize::from(*n) == Self::INLINE => {
                let mut v = Vec::with_capacity(Self::INLINE * 2);
                v.extend_from_slice(a);
                *self = Sels::Small(v);
            }
            Sels::Small(v) if v.len() >= Self::SMALL => {
                *self = Sels::Large(std::mem::take(v).into_iter().collect());
            }
            _ => {}
        }
    }

    /// Every selection's figures, in selection order.
    pub fn iter(&self) -> SelsIter<'_> {
        match self {
            Sels::Inline(n, a) => SelsIter::Small(a[..usize::from(*n)].iter()),
            Sels::Small(v) => SelsIter::Small(v.iter()),
            Sels::Large(m) => SelsIter::Large(m.iter()),
        }
    }
}

/// [`Sels::iter`] (an enum, not a boxed iterator: one per cell of a large import).
pub(crate) enum SelsIter<'a> {
    Small(std::slice::Iter<'a, (usize, ByType)>),
    Large(std::collections::btree_map::Iter<'a, usize, ByType>),
}

impl<'a> Iterator for SelsIter<'a> {
    type Item = (usize, &'a ByType);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            SelsIter::Small(i) => i.next().map(|(s, c)| (*s, c)),
            SelsIter::Large(i) => i.next().map(|(s, c)| (*s, c)),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Cell {
    pub sel: Sels,
    pub other: [Option<u64>; 5],
    pub line: u64,
}

/// The cells of a sheet: per unit, a table from contest to a position, and the cells themselves
/// side by side in the order the file first names them. Rows of one county come together, so
/// the cells an import visits one after another lie near each other in memory, as do the
/// tables of the precincts a file cycles through; one table of all (unit, contest) pairs
/// scattered each look-up over its whole size (a cache miss per row). The cells are kept in
/// fixed-size chunks: a growing vector would copy them all at each doubling and hold both
/// copies at once (tens of megabytes for a statewide file, faulted in afresh).
#[derive(Clone, Debug, Default)]
pub(crate) struct Cells {
    /// Per unit: contest → position.
    index: Vec<UnitCells>,
    chunks: Vec<Vec<((usize, usize), Cell)>>,
}

/// A unit's contests with a cell, and each cell's position: a sorted vector for the usual few
/// dozen, a hash table past [`UnitCells::FEW`] (insertion into a sorted vector is linear).
#[derive(Clone, Debug)]
enum UnitCells {
    Few(Vec<(usize, usize)>),
    Many(HashMap<usize, usize>),
}

impl Default for UnitCells {
    fn default() -> Self {
        UnitCells::Few(Vec::new())
    }
}

impl UnitCells {
    const FEW: usize = 64;

    fn get(&self, c: usize) -> Option<usize> {
        match self {
            UnitCells::Few(v) => v.binary_search_by_key(&c, |e| e.0).ok().map(|i| v[i].1),
            UnitCells::Many(m) => m.get(&c).copied(),
        }
    }

    fn insert(&mut self, c: usize, at: usize) {
        if let UnitCells::Few(v) = self {
            if v.len() >= Self::FEW {
                *self = UnitCells::Many(v.iter().copied().collect());
            }
        }
        match self {
            UnitCells::Few(v) => {
                // Contests are numbered as first seen: a unit's new contest is usually the last.
                let i = match v.last() {
                    Some(l) if l.0 < c => v.len(),
                    _ => v.binary_search_by_key(&c, |e| e.0).unwrap_or_else(|i| i),
                };
                v.insert(i, (c, at));
            }
            UnitCells::Many(m) => {
                m.insert(c, at);
            }
        }
    }
}

impl Cells {
    /// Cells per chunk (about a megabyte).
    const CHUNK: usize = 4096;

    /// The cell of unit `u` and contest `c`, added (first seen on `line`) if absent.
    pub fn entry(&mut self, u: usize, c: usize, line: u64) -> &mut Cell {
        if self.index.len() <= u {
            self.index.resize_with(u + 1, UnitCells::default);
        }
        let i = match self.index[u].get(c) {
            Some(i) => i,
            None => {
                let i = self.push(u, c, line);
                self.index[u].insert(c, i);
                i
            }
        };
        &mut self.chunks[i / Self::CHUNK][i % Self::CHUNK].1
    }

    /// A new cell at the end; its position.
    fn push(&mut self, u: usize, c: usize, line: u64) -> usize {
        if self.chunks.last().is_none_or(|l| l.len() == Self::CHUNK) {
            self.chunks.push(Vec::with_capacity(Self::CHUNK));
        }
        let last = self.chunks.len() - 1;
        let chunk = &mut self.chunks[last];
        chunk.push((
            (u, c),
            Cell {
                line,
                ..Cell::default()
            },
        ));
        last * Self::CHUNK + chunk.len() - 1
    }

    /// Whether the cell of unit `u` and contest `c` gives figure `o` already.
    pub fn gives(&self, u: usize, c: usize, o: Other) -> bool {
        self.get(&(u, c))
            .is_some_and(|cell| cell.other[other_slot(o)].is_some())
    }

    pub fn get(&self, key: &(usize, usize)) -> Option<&Cell> {
        let i = self.index.get(key.0)?.get(key.1)?;
        Some(&self.chunks[i / Self::CHUNK][i % Self::CHUNK].1)
    }

    /// Every cell with its (unit, contest), in the order first seen.
    pub fn iter(&self) -> impl Iterator<Item = (&(usize, usize), &Cell)> {
        self.chunks.iter().flatten().map(|(k, cell)| (k, cell))
    }

    /// Every (unit, contest) with a cell.
    pub fn keys(&self) -> impl Iterator<Item = &(usize, usize)> {
        self.iter().map(|(k, _)| k)
    }
}

fn other_slot(o: Other) -> usize {
    match o {
        Other::Overvotes => 0,
        Other::Undervotes => 1,
        Other::Blank => 2,
        Other::Ballots => 3,
        Other::Invalid => 4,
    }
}

impl Sheet {
    /// Records `v` votes for selection `s` of contest `c` in unit `u`. With `accumulate`, a second
    /// figure for the same cell is added (two vote types that map to one count type); without,
    /// it is an error (a duplicated row).
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        u: usize,
        c: usize,
        s: usize,
        t: CountType,
        v: u64,
        line: u64,
        accumulate: bool,
    ) -> Result<(), FormatError> {
        self.note(u, c, SheetFigure::Votes(s, t), line);
        let cell = self.cells.entry(u, c, line);
        let row = cell.sel.entry(s);
        match row.get(&t).copied() {
            Some(old) if accumulate => {
                row.insert(t, Count::new(old.get().saturating_add(v)));
            }
            Some(_) => {
                let cell_line = cell.line;
                return Err(self.second_count(u, c, s, t, line, cell_line));
            }
            None => {
                row.insert(t, Count::new(v));
            }
        }
        Ok(())
    }

    /// [`Sheet::add`] of several count types of one row (one cell look-up for all of them).
    #[allow(clippy::too_many_arguments)]
    pub fn add_parts(
        &mut self,
        u: usize,
        c: usize,
        s: usize,
        parts: &[(CountType, u64)],
        line: u64,
        accumulate: bool,
    ) -> Result<(), FormatError> {
        for &(t, _) in parts {
            self.note(u, c, SheetFigure::Votes(s, t), line);
        }
        let cell = self.cells.entry(u, c, line);
        let row = cell.sel.entry(s);
        for &(t, v) in parts {
            match row.get(&t).copied() {
                Some(old) if accumulate => {
                    row.insert(t, Count::new(old.get().saturating_add(v)));
                }
                Some(_) => {
                    let cell_line = cell.line;
                    return Err(self.second_count(u, c, s, t, line, cell_line));
                }
                None => {
                    row.insert(t, Count::new(v));
                }
            }
        }
        Ok(())
    }

    /// The error of a duplicated row: a second `t` figure for one selection and unit.
    fn second_count(
        &self,
        u: usize,
        c: usize,
        s: usize,
        t: CountType,
        line: u64,
        first: u64,
    ) -> FormatError {
        let (unit, contest, sel) = (
            &self.units[u].name.display,
            &self.contests[c].name.display,
            &self.contests[c].selections[s].name.display,
        );
        FormatError::invalid(
            Location::line(line),
            format!("{sel:?} in contest {contest:?} has a second {} count for unit {unit:?} (first near line {first}); duplicated rows are refused", t.as_str()),
        )
    }

    /// Records a figure other than votes (over/undervotes, blank, ballots).
    pub fn add_other(
        &mut self,
        u: usize,
        c: usize,
        o: Other,
        v: u64,
        line: u64,
        accumulate: bool,
    ) -> Result<(), FormatError> {
        self.note(u, c, SheetFigure::Other(o), line);
        let cell = self.cells.entry(u, c, line);
        let x = &mut cell.other[other_slot(o)];
        match x {
            Some(old) if accumulate => *old = old.saturating_add(v),
            Some(old) if *old == v => {}
            Some(_) => {
                return Err(FormatError::invalid(
                    Location::line(line),
                    format!(
                        "{:?} of contest {:?} in unit {:?} is given twice with different values",
                        o, self.contests[c].name.display, self.units[u].name.display
                    ),
                ))
            }
            None => *x = Some(v),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every form of `Sels` (inline, vector, B-tree) answers like a map, whatever the order the
    /// selections arrive in.
    #[test]
    fn sels_agree_with_a_map_through_every_form() {
        for order in [
            (0..40).collect::<Vec<usize>>(),
            (0..40).rev().collect(),
            (0..40).map(|i| (i * 17) % 40).collect(),
        ] {
            let mut sels = Sels::default();
            let mut model: BTreeMap<usize, ByType> = BTreeMap::new();
            for (k, &s) in order.iter().enumerate() {
                let v = u64::try_from(k).unwrap_or(0);
                let t = CountType::ALL[k % 5];
                sels.entry(s).insert(t, Count::new(v));
                model.entry(s).or_default().insert(t, Count::new(v));
                // A second figure for a selection already present.
                sels.entry(order[k / 2])
                    .insert(CountType::Total, Count::new(v));
                model
                    .entry(order[k / 2])
                    .or_default()
                    .insert(CountType::Total, Count::new(v));
                let got: Vec<(usize, ByType)> = sels.iter().map(|(s, c)| (s, *c)).collect();
                let want: Vec<(usize, ByType)> = model.iter().map(|(s, c)| (*s, *c)).collect();
                assert_eq!(got, want, "after {k} of {order:?}");
                for probe in 0..41 {
                    assert_eq!(sels.get(probe), model.get(&probe));
                }
            }
            assert!(matches!(sels, Sels::Large(_)));
        }
    }

    /// A unit's cell table finds every cell, before and after it outgrows its sorted vector,
    /// whatever the order contests arrive in.
    #[test]
    fn cells_are_found_through_both_forms_of_a_units_table() {
        let mut cells = Cells::default();
        let contests: Vec<usize> = (0..150).map(|i| (i * 37) % 150).collect();
        for (k, &c) in contests.iter().enumerate() {
            let line = u64::try_from(k).unwrap_or(0);
            cells.entry(3, c, line).other[0] = Some(line);
            // Met again: the same cell, its first line kept.
            assert_eq!(cells.entry(3, c, 9999).line, line);
            for &seen in &contests[..=k] {
                assert!(cells.get(&(3, seen)).is_some(), "{seen} after {k}");
            }
            assert!(cells.get(&(2, c)).is_none());
        }
        assert!(cells.get(&(3, 150)).is_none());
        let order: Vec<(usize, usize)> = cells.keys().copied().collect();
        let want: Vec<(usize, usize)> = contests.iter().map(|&c| (3, c)).collect();
        assert_eq!(order, want);
    }

    #[test]
    fn counts_keep_given_zeros_apart_from_absent() {
        let mut c = ByType::default();
        c.insert(CountType::ALL[2], Count::new(0));
        assert_eq!(
            CountType::ALL
                .iter()
                .map(|t| c.get(t).map(|v| v.get()))
                .collect::<Vec<_>>(),
            vec![None, None, Some(0), None, None]
        );
    }
}
