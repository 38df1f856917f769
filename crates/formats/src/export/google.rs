//! Google's profile of the NIST SP 1500-100 election report: the document Google's election
//! results intake reads and its `civics_cdf_validator` (`--rule_set election_results`) checks.
//!
//! Google's schema (`civics_cdf_spec.xsd`) is the NIST model in the form of its first version,
//! not the second that [`super::cdf_xml`] writes: no XML namespace, `objectId` attributes,
//! `Text language=…`, objects inside collections (`GpUnitCollection`, `ContestCollection`,
//! `BallotSelection` with `VoteCountsCollection`, …). A namespaced NIST v2 report is therefore
//! not one Google's tools can read (their rules look the elements up by unqualified name), and a
//! Google report is not valid against NIST's v2 schema; both are made from the same tally.
//!
//! What the profile adds to the plain export, all derived from the definition so the same
//! tally gives the same bytes:
//! - a stable id (`ExternalIdentifier` of type `other`, `OtherType` `stable`) on every election,
//!   unit, party, person, candidate, contest and ballot-measure selection: the election's id,
//!   a kind and the object's definition ids, spelt in the validator's alphabet
//!   (`[A-Za-z0-9_-]`: `.` is written `_d`, `:` `_c`, `_` `__`, and `_s` joins two ids), so a
//!   stable id never changes between publications and never collides;
//! - OCD-IDs on units (`ExternalIdentifier` of type `ocd-id`): stated in the definition or
//!   derived for U.S. states and counties ([`crate::ocd`]); above a root that has one, its
//!   ancestors by OCD-ID up to the country, so the geography has one root and that root is a
//!   country, as the validator wants;
//! - a `Person` for each candidate (Google requires `PersonId`), a `BallotTitle` on each
//!   contest, `PartyScopeGpUnitIds` on each party, and the contest's units reporting
//!   (`SubUnitsReported`, `TotalSubUnits`) and over- and undervotes (`SummaryCounts`);
//! - a contest over several units gets one district unit composed of them, shared by the
//!   contests over the same units (the validator refuses two units with the same parts), and
//!   none when the units are all the children of one unit (that unit is the district). Such
//!   districts sit beside the geography's tree, not in it: a unit in two composing lists is a
//!   cycle to the validator.
//! - Seats of a party-list contest are `VoteCounts` of type `other`, `seats-won`, Google's type.
//!
//! Contest names the definition gives twice (each party's primary for an office) are told
//! apart by the contest id in brackets, in `Name` and `BallotTitle` (the validator refuses two
//! contests of one name, or of one English ballot title).

use std::collections::{BTreeMap, HashMap};

use skytale_model::{ContestKind, LocalizedText, ValidDefinition};
use skytale_tally::{ContestResult, LogPosition};

use super::{cdf_type, esc, generated_date, Ids, UNIT_TYPES};
use crate::ocd;

/// An XML element of the report: attributes, then either text or children.
struct El {
    name: &'static str,
    attrs: Vec<(&'static str, String)>,
    text: Option<String>,
    kids: Vec<El>,
}

impl El {
    fn new(name: &'static str) -> El {
        El {
            name,
            attrs: Vec::new(),
            text: None,
            kids: Vec::new(),
        }
    }
    fn text(name: &'static str, t: impl Into<String>) -> El {
        let mut e = El::new(name);
        e.text = Some(t.into());
        e
    }
    fn num(name: &'static str, n: u64) -> El {
        El::text(name, n.to_string())
    }
    fn attr(mut self, k: &'static str, v: impl Into<String>) -> El {
        self.attrs.push((k, v.into()));
        self
    }
    /// `objectId` and, for an abstract declared type, `xsi:type`.
    fn object(self, id: &str, xsi: Option<&str>) -> El {
        let e = self.attr("objectId", id);
        match xsi {
            Some(t) => e.attr("xsi:type", t),
            None => e,
        }
    }
    fn kid(mut self, k: El) -> El {
        self.kids.push(k);
        self
    }
    fn kids(mut self, k: impl IntoIterator<Item = El>) -> El {
        self.kids.extend(k);
        self
    }
    fn write(&self, out: &mut String, indent: usize) {
        let pad = "  ".repeat(indent);
        out.push_str(&pad);
        out.push('<');
        out.push_str(self.name);
        for (k, v) in &self.attrs {
            out.push_str(&format!(" {k}=\"{}\"", esc(v)));
        }
        match (&self.text, self.kids.is_empty()) {
            (Some(t), _) => out.push_str(&format!(">{}</{}>\n", esc(t), self.name)),
            (None, true) => out.push_str("/>\n"),
            (None, false) => {
                out.push_str(">\n");
                for k in &self.kids {
                    k.write(out, indent + 1);
                }
                out.push_str(&format!("{pad}</{}>\n", self.name));
            }
        }
    }
}

/// `InternationalizedText`: one `Text` per language.
fn intl(name: &'static str, t: &LocalizedText) -> El {
    El::new(name).kids(
        t.iter()
            .map(|(l, c)| El::text("Text", c.clone()).attr("language", l.clone())),
    )
}

/// An id in the validator's stable-id alphabet `[A-Za-z0-9_-]`, one to one: `.` → `_d`,
/// `:` → `_c`, `_` → `__`, anything else (which ids never hold) → `_u` and its code point.
fn stable_part(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' => o.push(c),
            '.' => o.push_str("_d"),
            ':' => o.push_str("_c"),
            '_' => o.push_str("__"),
            c => o.push_str(&format!("_u{:x}_", u32::from(c))),
        }
    }
    o
}

/// The stable ids of one election.
struct Stable<'a> {
    election: &'a str,
}

impl Stable<'_> {
    /// `<election>-<kind>-<id>[_s<id>…]`.
    fn id(&self, kind: &str, parts: &[&str]) -> String {
        let joined: Vec<String> = parts.iter().map(|p| stable_part(p)).collect();
        format!(
            "{}-{kind}-{}",
            stable_part(self.election),
            joined.join("_s")
        )
    }
    fn el(&self, kind: &str, parts: &[&str]) -> El {
        external_ids(&[("other", Some("stable"), self.id(kind, parts))])
    }
}

/// `ExternalIdentifiers` with one `ExternalIdentifier` per (type, other type, value).
fn external_ids(ids: &[(&str, Option<&str>, String)]) -> El {
    El::new("ExternalIdentifiers").kids(ids.iter().map(|(t, other, v)| {
        let mut e = El::new("ExternalIdentifier").kid(El::text("Type", *t));
        if let Some(o) = other {
            e = e.kid(El::text("OtherType", *o));
        }
        e.kid(El::text("Value", v.clone()))
    }))
}

/// A `VoteCounts`: unit, type (NIST's, or `other` with Google's `OtherType`), count.
fn vote_counts(unit: &str, t: &str, n: u64) -> El {
    let e = El::new("VoteCounts").kid(El::text("GpUnitId", unit));
    let e = if t == "seats-won" {
        e.kid(El::text("Type", "other"))
            .kid(El::text("OtherType", "seats-won"))
    } else {
        e.kid(El::text("Type", t))
    };
    e.kid(El::num("Count", n))
}

/// The `Type` (and `OtherType`) of a unit of `level`.
fn unit_type(level: Option<&str>) -> Vec<El> {
    let level = level.unwrap_or("other");
    match UNIT_TYPES.iter().find(|t| **t == level) {
        Some(t) => vec![El::text("Type", *t)],
        None => vec![El::text("Type", "other"), El::text("OtherType", level)],
    }
}

/// One `GpUnit` (a `ReportingUnit`).
struct Gp {
    id: String,
    kids: Vec<String>,
    ext: El,
    /// `InternationalizedName` (Google's schema has it or a plain `Name`, and its rules want it).
    name: LocalizedText,
    types: Vec<El>,
    registered: Option<u64>,
}

impl Gp {
    fn el(self) -> El {
        let mut e = El::new("GpUnit").object(&self.id, Some("ReportingUnit"));
        if !self.kids.is_empty() {
            e = e.kid(El::text("ComposingGpUnitIds", self.kids.join(" ")));
        }
        e = e
            .kid(self.ext)
            .kid(intl("InternationalizedName", &self.name))
            .kids(self.types);
        if let Some(r) = self.registered {
            e = e.kid(El::num("VotersRegistered", r));
        }
        e
    }
}

/// The OCD-ID's kind of division as a unit type (`state`, `county`, …).
fn ocd_type(id: &str) -> Vec<El> {
    let kind = id
        .rsplit('/')
        .next()
        .and_then(|p| p.split_once(':'))
        .map_or("other", |(k, _)| k);
    unit_type(Some(kind))
}

/// Google's profile of the NIST SP 1500-100 election report, XML (see the module doc).
pub fn cdf_xml_google(
    def: &ValidDefinition,
    contests: &[ContestResult],
    pos: &LogPosition,
) -> Vec<u8> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    report(def, contests, pos).write(&mut out, 0);
    out.into_bytes()
}

fn report(def: &ValidDefinition, contests: &[ContestResult], pos: &LogPosition) -> El {
    let d = def.definition();
    let lang = d.default_language.as_str();
    let stable = Stable { election: &d.id };
    let mut ids = Ids {
        used: HashMap::new(),
    };
    let unit_ids: Vec<String> = d.units.iter().map(|u| ids.claim(&u.id, "unit")).collect();
    let party_ids: HashMap<&str, String> = d
        .parties
        .iter()
        .map(|p| (p.id.as_str(), ids.claim(&p.id, "party")))
        .collect();
    let ocd_ids = ocd::unit_ocd_ids(def);

    // The geography: the definition's tree, under the root's ancestors by OCD-ID.
    let mut gpunits: Vec<El> = Vec::new();
    let root = def.root();
    let mut top = unit_ids[root].clone();
    if let Some(root_ocd) = &ocd_ids[root] {
        let parts: Vec<&str> = root_ocd.split('/').collect();
        // `ocd-division/country:us/state:ga/county:x`: ancestors are the prefixes of 2.. parts.
        let mut child = top.clone();
        for k in (2..parts.len()).rev() {
            let aid = parts[..k].join("/");
            let id = ids.claim(&format!("ocd-{}", parts[k - 1].replace(':', "-")), "ocd");
            let name = ocd::table_name(&aid)
                .map(str::to_string)
                .unwrap_or_else(|| parts[k - 1].to_string());
            gpunits.push(
                Gp {
                    id: id.clone(),
                    kids: vec![child],
                    ext: external_ids(&[
                        ("other", Some("stable"), stable.id("ocd", &[&aid])),
                        ("ocd-id", None, aid.clone()),
                    ]),
                    name: LocalizedText::from([(lang.to_string(), name)]),
                    types: ocd_type(&aid),
                    registered: None,
                }
                .el(),
            );
            child = id;
        }
        top = child;
    }
    gpunits.reverse();
    for (i, u) in d.units.iter().enumerate() {
        let mut ext = vec![("other", Some("stable"), stable.id("unit", &[&u.id]))];
        if let Some(o) = &ocd_ids[i] {
            ext.push(("ocd-id", None, o.clone()));
        }
        gpunits.push(
            Gp {
                id: unit_ids[i].clone(),
                kids: def
                    .children(i)
                    .iter()
                    .map(|&c| unit_ids[c].clone())
                    .collect(),
                ext: external_ids(&ext),
                name: u.name.clone(),
                types: unit_type(u.level.as_deref()),
                registered: u.registered,
            }
            .el(),
        );
    }

    let mut parent: Vec<Option<usize>> = vec![None; d.units.len()];
    for p in 0..d.units.len() {
        for &c in def.children(p) {
            parent[c] = Some(p);
        }
    }
    // Districts of contests over several units: one per set of units.
    let mut districts: HashMap<Vec<usize>, String> = HashMap::new();
    let mut names: HashMap<String, usize> = HashMap::new();
    for c in &d.contests {
        *names
            .entry(def.text(&c.name, lang).to_string())
            .or_default() += 1;
    }
    let by_id: HashMap<&str, &ContestResult> =
        contests.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut candidates: Vec<El> = Vec::new();
    let mut persons: Vec<El> = Vec::new();
    let mut contest_els: Vec<El> = Vec::new();
    for c in &d.contests {
        let Some(ci) = def.contest_index(&c.id) else {
            continue;
        };
        let cid = ids.claim(&c.id, "contest");
        let area = def.contest_area(ci);
        let district = if area.len() == 1 {
            unit_ids[area[0]].clone()
        } else {
            let mut set = area.to_vec();
            set.sort_unstable();
            set.dedup();
            // All the children of one unit: that unit (checked through the first unit's
            // parent, so a national election's many contests cost their areas, not the tree).
            let whole = set.first().and_then(|&u| parent[u]).filter(|&p| {
                def.children(p).len() == set.len() && set.iter().all(|&u| parent[u] == Some(p))
            });
            match (whole, districts.get(&set)) {
                (Some(p), _) => unit_ids[p].clone(),
                (None, Some(id)) => id.clone(),
                (None, None) => {
                    let gid = ids.claim(&format!("area-{}", c.id), "area");
                    gpunits.push(
                        Gp {
                            id: gid.clone(),
                            kids: area.iter().map(|&u| unit_ids[u].clone()).collect(),
                            ext: stable.el("area", &[&c.id]),
                            name: c.name.clone(),
                            types: unit_type(Some("contest-area")),
                            registered: None,
                        }
                        .el(),
                    );
                    districts.insert(set, gid.clone());
                    gid
                }
            }
        };
        let result = by_id.get(c.id.as_str()).copied();
        let party_contest =
            c.kind == ContestKind::PartyList && c.selections.iter().all(|s| s.party.is_some());
        let mut sels = Vec::new();
        for s in &c.selections {
            let sid = ids.claim(&s.id, &c.id);
            let mut counts = Vec::new();
            if let (Some(r), ContestKind::RankedChoice) = (result, c.kind) {
                let votes = r
                    .selections
                    .iter()
                    .find(|x| x.id == s.id)
                    .map_or(0, |x| x.votes);
                counts.push(vote_counts(&district, "total", votes));
            } else if let Some(r) = result {
                for u in &r.units {
                    let (Some(ui), Some(bt)) = (def.unit_index(&u.id), u.by_count_type.as_ref())
                    else {
                        continue;
                    };
                    let types: BTreeMap<&str, u64> = bt.get(&s.id).cloned().unwrap_or_default();
                    if types.is_empty() {
                        if u.reported {
                            counts.push(vote_counts(&unit_ids[ui], "total", 0));
                        }
                        continue;
                    }
                    for (t, n) in types {
                        counts.push(vote_counts(&unit_ids[ui], cdf_type(t), n));
                    }
                }
            }
            if let Some(n) = result
                .and_then(|r| r.seats.as_ref())
                .and_then(|m| m.get(&s.id))
            {
                counts.push(vote_counts(&district, "seats-won", u64::from(*n)));
            }
            let xsi = match (c.kind, party_contest) {
                (ContestKind::BallotMeasure, _) => "BallotMeasureSelection",
                (ContestKind::PartyList, true) => "PartySelection",
                _ => "CandidateSelection",
            };
            let mut e = El::new("BallotSelection").object(&sid, Some(xsi));
            if !counts.is_empty() {
                e = e.kid(El::new("VoteCountsCollection").kids(counts));
            }
            e = match xsi {
                "BallotMeasureSelection" => e
                    .kid(stable.el("selection", &[&c.id, &s.id]))
                    .kid(intl("Selection", &s.name)),
                "PartySelection" => e.kid(El::text(
                    "PartyIds",
                    party_ids[s.party.as_deref().unwrap_or("")].clone(),
                )),
                _ => {
                    let can = ids.claim(&format!("can-{}-{}", c.id, s.id), "can");
                    let per = ids.claim(&format!("per-{}-{}", c.id, s.id), "per");
                    let mut cn = El::new("Candidate")
                        .object(&can, None)
                        .kid(intl("BallotName", &s.name))
                        .kid(stable.el("candidate", &[&c.id, &s.id]));
                    let party = s.party.as_deref().and_then(|p| party_ids.get(p));
                    if let Some(p) = party {
                        cn = cn.kid(El::text("PartyId", p.clone()));
                    }
                    candidates.push(cn.kid(El::text("PersonId", per.clone())));
                    let mut person = El::new("Person")
                        .object(&per, None)
                        .kid(stable.el("person", &[&c.id, &s.id]))
                        .kid(intl("FullName", &s.name));
                    if let Some(p) = party {
                        person = person.kid(El::text("PartyId", p.clone()));
                    }
                    persons.push(person);
                    e.kid(El::text("CandidateIds", can))
                }
            };
            sels.push(e);
        }
        let xsi = match (c.kind, party_contest) {
            (ContestKind::BallotMeasure, _) => "BallotMeasureContest",
            (ContestKind::PartyList, true) => "PartyContest",
            _ => "CandidateContest",
        };
        // A name two contests share (a party's primary beside another's) gets the contest's
        // id, in `Name` and in each language of `BallotTitle`.
        let shared = names.get(def.text(&c.name, lang)).is_some_and(|&n| n > 1);
        let told_apart = |t: &str| {
            if shared {
                format!("{t} ({})", c.id)
            } else {
                t.to_string()
            }
        };
        let title: LocalizedText = c
            .name
            .iter()
            .map(|(l, t)| (l.clone(), told_apart(t)))
            .collect();
        let mut e = El::new("Contest")
            .object(&cid, Some(xsi))
            .kids(sels)
            .kid(intl("BallotTitle", &title))
            .kid(El::text("ElectoralDistrictId", district.clone()))
            .kid(stable.el("contest", &[&c.id]))
            .kid(El::text("Name", told_apart(def.text(&c.name, lang))));
        if let Some(r) = result {
            e = e.kid(El::num("SubUnitsReported", r.units_reporting));
            if r.overvotes > 0 || r.undervotes > 0 {
                e = e.kid(
                    El::new("SummaryCounts")
                        .kid(El::text("GpUnitId", district.clone()))
                        .kid(El::text("Type", "total"))
                        .kid(El::num("Overvotes", r.overvotes))
                        .kid(El::num("Undervotes", r.undervotes)),
                );
            }
            e = e.kid(El::num("TotalSubUnits", r.units_total));
        }
        let rcv = match (c.kind, &c.tabulation) {
            (ContestKind::RankedChoice, Some(rules)) => Some(rules.number_of_winners),
            _ => None,
        };
        if rcv.is_some() {
            e = e.kid(El::text("VoteVariation", "rcv"));
        }
        match xsi {
            "CandidateContest" => {
                if let Some(n) = rcv {
                    e = e.kid(El::num("NumberElected", u64::from(n)));
                }
                e = e.kid(El::num("VotesAllowed", u64::from(c.votes_allowed)));
            }
            "PartyContest" => {
                if let Some(seats) = result.and_then(|r| r.seats.as_ref()) {
                    let n: u64 = seats.values().map(|&x| u64::from(x)).sum();
                    e = e.kid(El::num("NumberElected", n));
                }
            }
            _ => {}
        }
        contest_els.push(e);
    }

    let mut election = El::new("Election");
    if !candidates.is_empty() {
        election = election.kid(El::new("CandidateCollection").kids(candidates));
    }
    if !contest_els.is_empty() {
        election = election.kid(El::new("ContestCollection").kids(contest_els));
    }
    election = election
        .kid(El::text("ElectionScopeId", top.clone()))
        .kid(stable.el("election", &[]))
        .kid(intl("Name", &d.name))
        .kid(El::text("StartDate", d.date.clone()))
        .kid(El::text("EndDate", d.date.clone()))
        .kid(El::text("Type", "other"))
        .kid(El::text("OtherType", "unspecified"));
    let mut root = El::new("ElectionReport")
        .attr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
        .kid(election)
        .kid(El::text("Format", "precinct-level"))
        .kid(El::text(
            "GeneratedDate",
            generated_date(pos.published_at.as_deref()),
        ))
        .kid(El::new("GpUnitCollection").kids(gpunits))
        .kid(El::text("Issuer", "Skytale"))
        .kid(El::text("IssuerAbbreviation", d.id.clone()));
    if d.test {
        root = root.kid(El::text("IsTest", "true"));
    }
    if !d.parties.is_empty() {
        root = root.kid(El::new("PartyCollection").kids(d.parties.iter().map(|p| {
            El::new("Party")
                .object(&party_ids[p.id.as_str()], None)
                .kid(stable.el("party", &[&p.id]))
                .kid(intl("Name", &p.name))
                .kid(El::text("PartyScopeGpUnitIds", top.clone()))
        })));
    }
    if !persons.is_empty() {
        root = root.kid(El::new("PersonCollection").kids(persons));
    }
    root.kid(El::num("SequenceStart", 1))
        .kid(El::num("SequenceEnd", 1))
        .kid(El::text("Status", super::results_status(contests)))
        .kid(El::text(
            "VendorApplicationId",
            format!(
                "Skytale {} (log tree size {}, root {})",
                env!("CARGO_PKG_VERSION"),
                pos.tree_size,
                pos.root_hash
            ),
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn stable_parts_are_one_to_one_and_in_the_validators_alphabet() {
        let ids = ["a.b", "a_db", "a:b", "a_cb", "a__b", "a_b", "ga-2022.x_y:z"];
        let enc: Vec<String> = ids.iter().map(|s| stable_part(s)).collect();
        let distinct: HashSet<&String> = enc.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "{enc:?}");
        for e in &enc {
            assert!(
                e.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
                "{e}"
            );
        }
        let s = Stable { election: "e.1" };
        assert_eq!(s.id("sel", &["c", "s.1"]), "e_d1-sel-c_ss_d1");
        assert_ne!(s.id("sel", &["c_s", "x"]), s.id("sel", &["c", "s_x"]));
    }
}
