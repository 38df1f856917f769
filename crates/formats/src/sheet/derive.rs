//! [`Sheet::derive`]: an election definition built from what the file has.

use std::collections::{BTreeSet, HashSet};

use foldhash::{HashMap, HashMapExt};

use skytale_model::{
    Contest, Definition, LocalizedText, Party, PublicationPolicy, Reporter, Selection, Unit,
};
use skytale_note::VerifierKey;

use super::{Names, SParty, Sheet};
use crate::error::{FormatError, Location};
use crate::norm::norm_key;
use crate::norm::{cut_id, slug, valid_id};
use crate::party;

/// What `derive` needs besides the file.
pub(crate) struct DeriveParams<'a> {
    pub election_id: &'a str,
    pub authority_key: VerifierKey,
    pub reporter_name: &'a str,
    pub reporter_key: VerifierKey,
    pub date: Option<&'a str>,
    pub mapping: Option<&'a crate::Mapping>,
}

impl Sheet {
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
            let base = cut_id(&base, crate::norm::MAX_SLUG * 2);
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
                ocd_id: None,
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
                ocd_id: None,
            });
        }
        let root_id =
            root_id.unwrap_or_else(|| tops.first().map(|&t| ids[t].clone()).unwrap_or_default());

        let mut party_used = HashSet::new();
        let mut other_colors = crate::party::OTHER_COLORS.iter().cycle();
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
            let (name, color) = self.party_look(sp, code, p.mapping, &mut other_colors);
            parties.push(Party {
                id,
                name: self.text(&name, &langs),
                abbreviation: sp.abbreviation.clone(),
                color,
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
                group: None,
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
            origin: p.mapping.and_then(|m| m.origin()).map(str::to_string),
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
            test: false,
            previous: None,
            groups: Vec::new(),
            locale: None,
            map: None,
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

    /// A party's name and colour: the mapping's (`[party_names]`, `[party_colors]`, by source
    /// code), else the file's own name and the table's colour, else (a bare code) the table's
    /// name; a code neither knows keeps the code as its name and takes the next of `others`.
    fn party_look<'c>(
        &self,
        sp: &SParty,
        code: &str,
        mapping: Option<&crate::Mapping>,
        others: &mut impl Iterator<Item = &'c &'static str>,
    ) -> (Names, Option<String>) {
        let known = party::known(code).or_else(|| party::known(&sp.name.display));
        let name = match mapping.and_then(|m| m.party_name(code)) {
            Some(n) => Names::plain(n),
            None => match known {
                Some(k) if norm_key(&sp.name.display) == norm_key(code) => Names::plain(k.name),
                _ => sp.name.clone(),
            },
        };
        let color = match (mapping.and_then(|m| m.party_color(code)), known) {
            (Some(c), _) => Some(c.to_string()),
            (None, Some(k)) => k.color.map(str::to_string),
            (None, None) => others.next().map(|c| c.to_string()),
        };
        (name, color)
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
}
