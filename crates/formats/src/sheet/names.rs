//! The sheet's name tables: each unit, contest, selection and party the file names, found
//! again by its raw spelling, its normalised name or its source key, or added.

use foldhash::{HashMap, HashMapExt};

use skytale_model::ContestKind;

use super::{Names, SContest, SParty, SSel, SUnit, Sheet};
use super::{MAX_FILE_CONTESTS, MAX_FILE_PARTIES, MAX_FILE_SELECTIONS, MAX_FILE_UNITS};
use crate::error::{FormatError, Location};
use crate::norm::{candidate_display, candidate_key, norm_key};

fn parent_slot(p: Option<usize>) -> usize {
    p.map(|x| x + 1).unwrap_or(0)
}

impl Sheet {
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
            ballots: None,
            ballots_line: 0,
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
}
