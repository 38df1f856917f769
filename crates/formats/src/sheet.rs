//! The common intermediate of every importer: units, contests, selections and parties as the
//! source names them, plus the counts per (unit, contest). The parsers fill a [`Sheet`]; from it
//! [`Sheet::derive`] builds an election definition and [`Sheet::import`] resolves the source
//! names against an existing definition and produces one results statement per unit.

use std::collections::{BTreeMap, BTreeSet, HashSet};

// The name and cell tables are hit for every row of a file: foldhash is several times faster
// than SipHash on short keys and still seeded per process (a crafted file cannot plan
// collisions).
use foldhash::{HashMap, HashMapExt};

use skytale_model::{
    ByType, Contest, ContestKind, ContestReport, Count, CountType, Definition, LocalizedText,
    Party, PublicationPolicy, Reporter, ResultsStatement, Selection, SourceFile, Unit,
    ValidDefinition,
};
use skytale_note::VerifierKey;

use crate::error::{FormatError, Location};
use crate::norm::{candidate_display, candidate_key, closest, norm_key, slug, valid_id};
use crate::{Format, ImportOptions};

/// Largest number of distinct reporting units one file may name.
pub const MAX_FILE_UNITS: usize = skytale_model::definition::MAX_UNITS;
/// Largest number of distinct contests one file may name.
pub const MAX_FILE_CONTESTS: usize = skytale_model::definition::MAX_CONTESTS;
/// Largest number of selections of one contest.
pub const MAX_FILE_SELECTIONS: usize = skytale_model::definition::MAX_SELECTIONS;
/// Largest number of parties one file may name.
pub const MAX_FILE_PARTIES: usize = 10_000;

/// A name, optionally in several languages (NIST CDF).
#[derive(Clone, Debug, Default)]
pub(crate) struct Names {
    pub display: String,
    pub i18n: BTreeMap<String, String>,
}

impl Names {
    pub fn plain(s: &str) -> Names {
        Names {
            display: s.to_string(),
            i18n: BTreeMap::new(),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct SUnit {
    pub key: Option<String>,
    pub name: Names,
    pub parent: Option<usize>,
    pub level: Option<String>,
    pub registered: Option<u64>,
    pub line: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct SSel {
    pub key: Option<String>,
    pub name: Names,
    pub party: Option<usize>,
    pub line: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct SContest {
    pub key: Option<String>,
    pub name: Names,
    pub kind: ContestKind,
    pub votes_allowed: u32,
    pub selections: Vec<SSel>,
    sel_raw: HashMap<Box<str>, usize>,
    sel_norm: HashMap<String, usize>,
    sel_key: HashMap<String, usize>,
    pub line: u64,
    /// The contest's area as the source states it (CDF `ElectionDistrictId`), as unit indexes.
    pub area: Option<Vec<usize>>,
}

#[derive(Clone, Debug)]
pub(crate) struct SParty {
    pub key: Option<String>,
    pub name: Names,
    pub abbreviation: Option<String>,
}

/// Figures of a contest in a unit besides the selections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Other {
    Overvotes,
    Undervotes,
    Blank,
    Ballots,
}

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
    pub other: [Option<u64>; 4],
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
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Sheet {
    pub format: Format,
    pub title: Option<String>,
    pub date: Option<String>,
    /// Languages of the names (first = default); empty means `["en"]`.
    pub languages: Vec<String>,
    pub units: Vec<SUnit>,
    /// Raw spelling → unit, per parent slot (0 = no parent, else parent index + 1).
    unit_raw: Vec<HashMap<Box<str>, usize>>,
    unit_norm: HashMap<(usize, String), usize>,
    unit_key: HashMap<String, usize>,
    pub contests: Vec<SContest>,
    contest_raw: HashMap<Box<str>, HashMap<Box<str>, usize>>,
    contest_norm: HashMap<String, usize>,
    contest_key: HashMap<String, usize>,
    pub parties: Vec<SParty>,
    party_norm: HashMap<String, usize>,
    party_key: HashMap<String, usize>,
    pub cells: Cells,
    /// Whether source keys are stable ids worth keeping as definition ids (NIST ObjectIds);
    /// Clarity keys are only used to find things within the file.
    pub keys_are_ids: bool,
}

fn parent_slot(p: Option<usize>) -> usize {
    p.map(|x| x + 1).unwrap_or(0)
}

impl Sheet {
    pub fn new(format: Format) -> Sheet {
        Sheet {
            format,
            title: None,
            date: None,
            languages: Vec::new(),
            units: Vec::new(),
            unit_raw: Vec::new(),
            unit_norm: HashMap::new(),
            unit_key: HashMap::new(),
            contests: Vec::new(),
            contest_raw: HashMap::new(),
            contest_norm: HashMap::new(),
            contest_key: HashMap::new(),
            parties: Vec::new(),
            party_norm: HashMap::new(),
            party_key: HashMap::new(),
            cells: Cells::default(),
            keys_are_ids: false,
        }
    }

    /// The unit `name` under `parent` (found by name, or added).
    pub fn unit(
        &mut self,
        parent: Option<usize>,
        name: &str,
        level: Option<&str>,
        line: u64,
    ) -> Result<usize, FormatError> {
        let ps = parent_slot(parent);
        if let Some(&u) = self.unit_raw.get(ps).and_then(|m| m.get(name)) {
            return Ok(u);
        }
        let n = norm_key(name);
        if n.is_empty() {
            return Err(FormatError::invalid(
                Location::line(line),
                "a reporting unit has no name",
            ));
        }
        let u = match self.unit_norm.get(&(ps, n.clone())) {
            Some(&u) => u,
            None => self.push_unit(
                None,
                Names::plain(&crate::norm::clean(name)),
                parent,
                level,
                line,
            )?,
        };
        self.unit_norm.insert((ps, n), u);
        if self.unit_raw.len() <= ps {
            self.unit_raw.resize_with(ps + 1, HashMap::default);
        }
        self.unit_raw[ps].insert(Box::from(name), u);
        Ok(u)
    }

    /// A unit with a source id (NIST CDF GpUnit).
    pub fn unit_keyed(
        &mut self,
        key: &str,
        name: Names,
        parent: Option<usize>,
        level: Option<&str>,
        line: u64,
    ) -> Result<usize, FormatError> {
        if let Some(&u) = self.unit_key.get(key) {
            return Ok(u);
        }
        let u = self.push_unit(Some(key.to_string()), name, parent, level, line)?;
        self.unit_key.insert(key.to_string(), u);
        Ok(u)
    }

    fn push_unit(
        &mut self,
        key: Option<String>,
        name: Names,
        parent: Option<usize>,
        level: Option<&str>,
        line: u64,
    ) -> Result<usize, FormatError> {
        if self.units.len() >= MAX_FILE_UNITS {
            return Err(FormatError::TooLarge {
                at: Location::line(line),
                what: "the number of reporting units",
                limit: MAX_FILE_UNITS as u64,
            });
        }
        self.units.push(SUnit {
            key,
            name,
            parent,
            level: level.map(str::to_string),
            registered: None,
            line,
        });
        Ok(self.units.len() - 1)
    }

    /// The contest of `office` (and `district`), found by normalised name or added.
    pub fn contest(
        &mut self,
        office: &str,
        district: &str,
        line: u64,
    ) -> Result<usize, FormatError> {
        if let Some(&c) = self.contest_raw.get(office).and_then(|m| m.get(district)) {
            return Ok(c);
        }
        let display = crate::norm::contest_display(office, district);
        let n = norm_key(&display);
        if n.is_empty() {
            return Err(FormatError::invalid(
                Location::line(line),
                "a row has no contest (office) name",
            ));
        }
        let c = match self.contest_norm.get(&n) {
            Some(&c) => c,
            None => self.push_contest(
                None,
                Names::plain(&display),
                ContestKind::Candidate,
                1,
                line,
            )?,
        };
        self.contest_norm.insert(n, c);
        self.contest_raw
            .entry(Box::from(office))
            .or_default()
            .insert(Box::from(district), c);
        Ok(c)
    }

    /// A contest with a source id (Clarity key, CDF ObjectId).
    pub fn contest_keyed(
        &mut self,
        key: &str,
        name: Names,
        kind: ContestKind,
        votes_allowed: u32,
        line: u64,
    ) -> Result<usize, FormatError> {
        if let Some(&c) = self.contest_key.get(key) {
            return Ok(c);
        }
        let c = self.push_contest(Some(key.to_string()), name, kind, votes_allowed, line)?;
        self.contest_key.insert(key.to_string(), c);
        Ok(c)
    }

    fn push_contest(
        &mut self,
        key: Option<String>,
        name: Names,
        kind: ContestKind,
        votes_allowed: u32,
        line: u64,
    ) -> Result<usize, FormatError> {
        if self.contests.len() >= MAX_FILE_CONTESTS {
            return Err(FormatError::TooLarge {
                at: Location::line(line),
                what: "the number of contests",
                limit: MAX_FILE_CONTESTS as u64,
            });
        }
        self.contests.push(SContest {
            key,
            name,
            kind,
            votes_allowed: votes_allowed.max(1),
            selections: Vec::new(),
            sel_raw: HashMap::new(),
            sel_norm: HashMap::new(),
            sel_key: HashMap::new(),
            line,
            area: None,
        });
        Ok(self.contests.len() - 1)
    }

    /// The selection `name` of contest `c`, found by candidate key or added.
    pub fn selection(
        &mut self,
        c: usize,
        name: &str,
        party: Option<usize>,
        line: u64,
    ) -> Result<usize, FormatError> {
        let con = &mut self.contests[c];
        if let Some(&s) = con.sel_raw.get(name) {
            if con.selections[s].party.is_none() {
                con.selections[s].party = party;
            }
            return Ok(s);
        }
        let n = candidate_key(name);
        if n.is_empty() {
            return Err(FormatError::invalid(
                Location::line(line),
                "a row has no candidate / choice name",
            ));
        }
        let s = match con.sel_norm.get(&n) {
            Some(&s) => s,
            None => {
                if con.selections.len() >= MAX_FILE_SELECTIONS {
                    return Err(FormatError::TooLarge {
                        at: Location::line(line),
                        what: "the number of selections of a contest",
                        limit: MAX_FILE_SELECTIONS as u64,
                    });
                }
                con.selections.push(SSel {
                    key: None,
                    name: Names::plain(&candidate_display(name)),
                    party,
                    line,
                });
                con.selections.len() - 1
            }
        };
        if con.selections[s].party.is_none() {
            con.selections[s].party = party;
        }
        con.sel_norm.insert(n, s);
        con.sel_raw.insert(Box::from(name), s);
        Ok(s)
    }

    /// A selection with a source id.
    pub fn selection_keyed(
        &mut self,
        c: usize,
        key: &str,
        name: Names,
        party: Option<usize>,
        line: u64,
    ) -> Result<usize, FormatError> {
        let con = &mut self.contests[c];
        if let Some(&s) = con.sel_key.get(key) {
            return Ok(s);
        }
        if con.selections.len() >= MAX_FILE_SELECTIONS {
            return Err(FormatError::TooLarge {
                at: Location::line(line),
                what: "the number of selections of a contest",
                limit: MAX_FILE_SELECTIONS as u64,
            });
        }
        con.selections.push(SSel {
            key: Some(key.to_string()),
            name,
            party,
            line,
        });
        let s = con.selections.len() - 1;
        con.sel_key.insert(key.to_string(), s);
        Ok(s)
    }

    /// The party with code or name `code`.
    pub fn party(&mut self, code: &str) -> Option<usize> {
        let n = norm_key(code);
        if n.is_empty() {
            return None;
        }
        if let Some(&p) = self.party_norm.get(&n) {
            return Some(p);
        }
        if self.parties.len() >= MAX_FILE_PARTIES {
            return None;
        }
        self.parties.push(SParty {
            key: None,
            name: Names::plain(&crate::norm::clean(code)),
            abbreviation: Some(crate::norm::clean(code)),
        });
        self.party_norm.insert(n, self.parties.len() - 1);
        Some(self.parties.len() - 1)
    }

    /// A party with a source id.
    pub fn party_keyed(
        &mut self,
        key: &str,
        name: Names,
        abbreviation: Option<String>,
    ) -> Option<usize> {
        if let Some(&p) = self.party_key.get(key) {
            return Some(p);
        }
        if self.parties.len() >= MAX_FILE_PARTIES {
            return None;
        }
        self.parties.push(SParty {
            key: Some(key.to_string()),
            name,
            abbreviation,
        });
        self.party_key
            .insert(key.to_string(), self.parties.len() - 1);
        Some(self.parties.len() - 1)
    }

    pub fn party_by_key(&self, key: &str) -> Option<usize> {
        self.party_key.get(key).copied()
    }

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
        let cell = self.cells.entry(u, c, line);
        let row = cell.sel.entry(s);
        match row.get(&t).copied() {
            Some(old) if accumulate => {
                row.insert(t, Count::new(old.get().saturating_add(v)));
            }
            Some(_) => {
                let (unit, contest, sel) = (
                    &self.units[u].name.display,
                    &self.contests[c].name.display,
                    &self.contests[c].selections[s].name.display,
                );
                return Err(FormatError::invalid(
                    Location::line(line),
                    format!("{sel:?} in contest {contest:?} has a second {} count for unit {unit:?} (first near line {}); duplicated rows are refused", t.as_str(), cell.line),
                ));
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
        let cell = self.cells.entry(u, c, line);
        let row = cell.sel.entry(s);
        for &(t, v) in parts {
            match row.get(&t).copied() {
                Some(old) if accumulate => {
                    row.insert(t, Count::new(old.get().saturating_add(v)));
                }
                Some(_) => return self.add(u, c, s, t, v, line, accumulate),
                None => {
                    row.insert(t, Count::new(v));
                }
            }
        }
        Ok(())
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

    fn languages(&self) -> Vec<String> {
        if self.languages.is_empty() {
            vec!["en".to_string()]
        } else {
            self.languages.clone()
        }
    }

    fn text(&self, n: &Names, langs: &[String]) -> LocalizedText {
        let mut t: LocalizedText = n
            .i18n
            .iter()
            .filter(|(l, _)| langs.contains(l))
            .map(|(l, v)| (l.clone(), v.clone()))
            .collect();
        if let Some(d) = langs.first() {
            t.entry(d.clone()).or_insert_with(|| n.display.clone());
        }
        t
    }

    /// Builds an election definition from what the file has: its geography, contests, choices
    /// and parties; `reporter` may report every unit (scope: the root).
    pub fn derive(&self, p: &DeriveParams) -> Result<Definition, FormatError> {
        let langs = self.languages();
        let date = p
            .date
            .map(str::to_string)
            .or_else(|| self.date.clone())
            .or_else(|| crate::norm::date_in(p.election_id))
            .ok_or_else(|| {
                FormatError::invalid(
                    Location::at_field("date"),
                    "the file states no election date; give one (DeriveOptions::date) or put it into the election id, e.g. ga-2022-11-08",
                )
            })?;
        let mut used: HashSet<String> = HashSet::new();
        let fresh = |base: String, used: &mut HashSet<String>| -> String {
            let base: String = base.chars().take(crate::norm::MAX_SLUG * 2).collect();
            if used.insert(base.clone()) {
                return base;
            }
            let mut k = 2;
            loop {
                let cand = format!("{base}-{k}");
                if used.insert(cand.clone()) {
                    return cand;
                }
                k += 1;
            }
        };
        // Root: the file's single top unit, or a synthetic one above several.
        let tops: Vec<usize> = (0..self.units.len())
            .filter(|&u| self.units[u].parent.is_none())
            .collect();
        let mut units: Vec<Unit> = Vec::with_capacity(self.units.len() + 1);
        let mut ids: Vec<String> = vec![String::new(); self.units.len()];
        let synthetic_root = tops.len() != 1;
        let root_id = if synthetic_root {
            let title = self
                .title
                .clone()
                .unwrap_or_else(|| "All reporting units".to_string());
            let id = fresh("all".to_string(), &mut used);
            units.push(Unit {
                id: id.clone(),
                name: self.text(&Names::plain(&title), &langs),
                parent: None,
                level: Some("root".into()),
                registered: None,
            });
            Some(id)
        } else {
            None
        };
        // Parents before children: walk from the tops.
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); self.units.len()];
        for (u, su) in self.units.iter().enumerate() {
            if let Some(pa) = su.parent {
                children[pa].push(u);
            }
        }
        let mut order: Vec<usize> = tops.clone();
        let mut k = 0;
        while k < order.len() {
            order.extend(children[order[k]].iter().copied());
            k += 1;
        }
        for &u in &order {
            let su = &self.units[u];
            let parent_id = match su.parent {
                Some(pa) => Some(ids[pa].clone()),
                None => root_id.clone(),
            };
            let id = match su.key.as_deref().map(str::trim) {
                Some(key) if self.keys_are_ids && valid_id(key) && !used.contains(key) => {
                    fresh(key.to_string(), &mut used)
                }
                _ => {
                    let s = slug(&su.name.display);
                    let base = match (&su.parent, &parent_id) {
                        (Some(_), Some(pid)) => format!("{pid}.{s}"),
                        _ => s,
                    };
                    fresh(base, &mut used)
                }
            };
            ids[u] = id.clone();
            units.push(Unit {
                id,
                name: self.text(&su.name, &langs),
                parent: parent_id,
                level: su.level.clone(),
                registered: su.registered,
            });
        }
        let root_id =
            root_id.unwrap_or_else(|| tops.first().map(|&t| ids[t].clone()).unwrap_or_default());

        let mut party_used = HashSet::new();
        let mut party_ids = Vec::with_capacity(self.parties.len());
        let mut parties = Vec::new();
        for sp in &self.parties {
            let code = sp.abbreviation.as_deref().unwrap_or(&sp.name.display);
            let mapped = p
                .mapping
                .and_then(|m| m.party(code))
                .filter(|id| valid_id(id));
            let id = match sp.key.as_deref().map(str::trim) {
                // The mapping may merge codes (`L` and `Lib`) into one party id.
                _ if mapped.is_some_and(|m| party_used.contains(m)) => {
                    mapped.unwrap_or_default().to_string()
                }
                _ if mapped.is_some() => {
                    fresh(mapped.unwrap_or_default().to_string(), &mut party_used)
                }
                Some(k) if self.keys_are_ids && valid_id(k) && !party_used.contains(k) => {
                    fresh(k.to_string(), &mut party_used)
                }
                _ => fresh(
                    slug(sp.abbreviation.as_deref().unwrap_or(&sp.name.display)),
                    &mut party_used,
                ),
            };
            party_ids.push(id.clone());
            if parties.iter().any(|q: &Party| q.id == id) {
                continue;
            }
            parties.push(Party {
                id,
                name: self.text(&sp.name, &langs),
                abbreviation: sp.abbreviation.clone(),
                color: None,
            });
        }

        // Areas: where the contest has figures, lifted to the highest units fully covered.
        let areas = self.areas(synthetic_root);
        let mut contest_used = HashSet::new();
        let mut contests = Vec::with_capacity(self.contests.len());
        for (ci, sc) in self.contests.iter().enumerate() {
            let id = match sc.key.as_deref().map(str::trim) {
                Some(k) if self.keys_are_ids && valid_id(k) && !contest_used.contains(k) => {
                    fresh(k.to_string(), &mut contest_used)
                }
                _ => fresh(slug(&sc.name.display), &mut contest_used),
            };
            let area: Vec<String> = match &sc.area {
                // The stated district, plus units outside it where the file has counts (a
                // real file reports zeros there; acceptance would refuse them otherwise).
                Some(a) if !a.is_empty() => {
                    let mut set: BTreeSet<usize> = a.iter().copied().collect();
                    if let Some(Some(cells)) = areas.get(ci) {
                        set.extend(cells.iter().copied().filter(|&u| u != usize::MAX));
                    }
                    let within = |u: usize| {
                        let mut p = self.units[u].parent;
                        while let Some(x) = p {
                            if set.contains(&x) {
                                return true;
                            }
                            p = self.units[x].parent;
                        }
                        false
                    };
                    set.iter()
                        .copied()
                        .filter(|&u| !within(u))
                        .map(|u| ids[u].clone())
                        .collect()
                }
                _ => match &areas[ci] {
                    Some(a) if !a.is_empty() => a
                        .iter()
                        .map(|&u| {
                            if u == usize::MAX {
                                root_id.clone()
                            } else {
                                ids[u].clone()
                            }
                        })
                        .collect(),
                    _ => vec![root_id.clone()],
                },
            };
            let mut sel_used = HashSet::new();
            let selections = sc
                .selections
                .iter()
                .map(|ss| {
                    let id = match ss.key.as_deref().map(str::trim) {
                        Some(k) if self.keys_are_ids && valid_id(k) && !sel_used.contains(k) => {
                            fresh(k.to_string(), &mut sel_used)
                        }
                        _ => fresh(slug(&ss.name.display), &mut sel_used),
                    };
                    Selection {
                        id,
                        name: self.text(&ss.name, &langs),
                        party: ss.party.map(|p| party_ids[p].clone()),
                        write_in: false,
                    }
                })
                .collect();
            contests.push(Contest {
                id,
                name: self.text(&sc.name, &langs),
                kind: sc.kind,
                area,
                votes_allowed: sc.votes_allowed,
                selections,
                seats: None,
                tabulation: None,
            });
        }
        let title = self
            .title
            .clone()
            .unwrap_or_else(|| p.election_id.to_string());
        let def = Definition {
            id: p.election_id.to_string(),
            name: self.text(&Names::plain(&title), &langs),
            date,
            default_language: langs[0].clone(),
            languages: langs.clone(),
            origin: None,
            authority_key: p.authority_key.clone(),
            units,
            parties,
            contests,
            reporters: vec![Reporter {
                name: p.reporter_name.to_string(),
                key: p.reporter_key.clone(),
                scope: vec![root_id],
            }],
            publication: PublicationPolicy::default(),
            witnesses: None,
        };
        match def.clone().validate() {
            Ok(_) => Ok(def),
            Err(errs) => {
                let first = errs.0.first().map(|e| e.to_string()).unwrap_or_default();
                Err(FormatError::invalid(
                    Location::default(),
                    format!(
                        "the derived definition is not valid ({} problems); first: {first}",
                        errs.0.len()
                    ),
                ))
            }
        }
    }

    /// Per contest: the highest units whose whole subtree has figures (`usize::MAX` = the
    /// synthetic root), or `None` when the contest has no figures at all.
    fn areas(&self, synthetic_root: bool) -> Vec<Option<Vec<usize>>> {
        let n = self.units.len();
        let mut nchildren = vec![0usize; n];
        let mut ntops = 0usize;
        for su in &self.units {
            match su.parent {
                Some(p) => nchildren[p] += 1,
                None => ntops += 1,
            }
        }
        let mut per_contest: Vec<Vec<usize>> = vec![Vec::new(); self.contests.len()];
        for &(u, c) in self.cells.keys() {
            per_contest[c].push(u);
        }
        per_contest
            .into_iter()
            .map(|mut us| {
                if us.is_empty() {
                    return None;
                }
                us.sort_unstable();
                let mut covered: HashSet<usize> = HashSet::new();
                let mut counts: HashMap<usize, usize> = HashMap::new();
                let mut top_count = 0usize;
                let mut work: Vec<usize> = us;
                while let Some(u) = work.pop() {
                    if !covered.insert(u) {
                        continue;
                    }
                    match self.units[u].parent {
                        Some(p) => {
                            let e = counts.entry(p).or_insert(0);
                            *e += 1;
                            if *e == nchildren[p] {
                                work.push(p);
                            }
                        }
                        None => top_count += 1,
                    }
                }
                if synthetic_root && top_count == ntops {
                    return Some(vec![usize::MAX]);
                }
                let mut area: Vec<usize> = covered
                    .iter()
                    .copied()
                    .filter(|&u| self.units[u].parent.is_none_or(|p| !covered.contains(&p)))
                    .collect();
                area.sort_unstable();
                Some(area)
            })
            .collect()
    }

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
    fn resolve_selection(
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

    fn resolve_unit(
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
type Reports = Vec<(usize, ContestReport)>;

/// A definition unit's first source cell in (unit, contest) order, that cell's line, and its
/// reports.
type UnitReports = ((usize, usize), u64, Reports);

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

/// What `derive` needs besides the file.
pub(crate) struct DeriveParams<'a> {
    pub election_id: &'a str,
    pub authority_key: VerifierKey,
    pub reporter_name: &'a str,
    pub reporter_key: VerifierKey,
    pub date: Option<&'a str>,
    pub mapping: Option<&'a crate::Mapping>,
}

/// Name look-ups into a definition.
struct Resolver<'a> {
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
    fn new(def: &'a ValidDefinition, mapping: Option<&'a crate::Mapping>) -> Resolver<'a> {
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

    fn contest(&self, sc: &SContest, line: u64) -> Result<usize, FormatError> {
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
