//! The common intermediate of every importer: units, contests, selections and parties as the
//! source names them, plus the counts per (unit, contest). The parsers fill a [`Sheet`] (name
//! tables in [`names`], figures in [`cells`]); from it [`Sheet::derive`] builds an election
//! definition and [`Sheet::import`] resolves the source names against an existing definition
//! and produces one results statement per unit.

use std::collections::BTreeMap;

// The name and cell tables are hit for every row of a file: foldhash is several times faster
// than SipHash on short keys and still seeded per process (a crafted file cannot plan
// collisions).
use foldhash::{HashMap, HashMapExt};

use skytale_model::ContestKind;

use crate::Format;

mod cells;
mod derive;
mod import;
mod names;
mod rollup;
mod trace;

pub(crate) use cells::{Cell, Cells};
pub(crate) use derive::DeriveParams;
pub(crate) use trace::SheetFigure;
pub use trace::{Figure, Trace};

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
    /// Ballots cast in the unit, when the file states them (for turnout; the importer decides
    /// which contests' reports they are the ballots of).
    pub ballots: Option<u64>,
    /// The line that states `ballots`.
    pub ballots_line: u64,
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
    /// Invalid (spoilt) votes, as EML 510 states them (`RejectedVotes ongeldig`).
    Invalid,
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
    /// Every figure's source line, when the caller asked for them ([`Sheet::traced`]).
    trace: Option<Vec<trace::Traced>>,
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
            trace: None,
        }
    }
}
