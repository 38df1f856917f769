//! Exports of a published tally: NIST SP 1500-100 v2 `ElectionReport` (JSON and XML), CSV
//! per contest, and EML 510/520 as the Dutch Electoral Council has them (`eml` below). Pure
//! functions of the definition, the tally's contest results and the log position, so the same
//! tally gives the same bytes.
//!
//! The CDF report carries every unit of the tree as a `ReportingUnit` (children as
//! `ComposingGpUnitIds`, registered voters as `VotersRegistered`), parties, one `Candidate` per
//! candidate selection, the contests with one `VoteCounts` per unit that has counts and count
//! type (`election-day`, `early`, `absentee-mail`, `provisional`, `total`). A contest whose area
//! is several units gets a GpUnit `area-<contest id>` composed of them. Ids are the definition's
//! ids (so an imported CDF report round-trips), made document-unique and NCName-valid where
//! needed. Seats of a party-list contest (once the tally has allocated them) are one more
//! `VoteCounts` per selection with the standard's CountItemType `seats` ("for legislative
//! balance-of-power results information") on the contest's `ElectionDistrictId`; importers of
//! CDF read that type as no votes (`cdf.rs`), so an exported report round-trips. Fields the model does not keep are filled with neutral values: election `Type`
//! `other`, `Issuer` "Skytale", `SequenceStart`/`SequenceEnd` 1.

mod google;
pub use google::cdf_xml_google;

use std::collections::{BTreeMap, HashMap};

mod eml;
pub use eml::{eml_510, eml_520};

use serde_json::{json, Map, Value};
use skytale_model::{ContestKind, LocalizedText, ValidDefinition};
use skytale_tally::{ContestResult, LogPosition, Tally};

/// The XML namespace of NIST SP 1500-100 v2.
pub const CDF_NAMESPACE: &str = "http://itl.nist.gov/ns/voting/1500-100/v2";

const UNIT_TYPES: &[&str] = &[
    "ballot-batch",
    "ballot-style-area",
    "borough",
    "city",
    "city-council",
    "combined-precinct",
    "congressional",
    "country",
    "county",
    "county-council",
    "drop-box",
    "judicial",
    "municipality",
    "polling-place",
    "precinct",
    "school",
    "special",
    "split-precinct",
    "state",
    "state-house",
    "state-senate",
    "town",
    "township",
    "utility",
    "village",
    "vote-center",
    "ward",
    "water",
];

/// The report's `GeneratedDate`: the publication's time as the schema's `DateTimeWithZone`
/// allows it (no fraction of a second, an offset within ±14:00), which the statement's own
/// time need not be (`2026-12-06T21:17:23.535534872Z`): the same instant in UTC, whole seconds.
/// Without a time (or with one that is not RFC 3339, which the ledger never admits), the epoch.
fn generated_date(published_at: Option<&str>) -> String {
    published_at
        .and_then(skytale_model::utc_seconds)
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// One element of the report, fields in the XSD's sequence order.
struct Node {
    ty: &'static str,
    id: Option<String>,
    /// Whether XML needs `xsi:type` (the element's declared type is abstract).
    xsi: bool,
    fields: Vec<(&'static str, Val)>,
}

enum Val {
    Str(String),
    Num(u64),
    Bool(bool),
    List(Vec<Node>),
    Ids(Vec<String>),
    Intl(LocalizedText),
}

impl Node {
    fn new(ty: &'static str, id: Option<String>, xsi: bool) -> Node {
        Node {
            ty,
            id,
            xsi,
            fields: Vec::new(),
        }
    }
    fn f(mut self, k: &'static str, v: Val) -> Node {
        self.fields.push((k, v));
        self
    }
}

fn to_json(n: &Node) -> Value {
    let mut m = Map::new();
    if let Some(id) = &n.id {
        m.insert("@id".into(), Value::String(id.clone()));
    }
    m.insert(
        "@type".into(),
        Value::String(format!("ElectionResults.{}", n.ty)),
    );
    for (k, v) in &n.fields {
        let jv = match v {
            Val::Str(s) => Value::String(s.clone()),
            Val::Num(x) => Value::from(*x),
            Val::Bool(x) => Value::Bool(*x),
            Val::List(l) => Value::Array(l.iter().map(to_json).collect()),
            Val::Ids(ids) => Value::Array(ids.iter().map(|s| Value::String(s.clone())).collect()),
            Val::Intl(t) => intl_json(t),
        };
        m.insert((*k).to_string(), jv);
    }
    Value::Object(m)
}

fn intl_json(t: &LocalizedText) -> Value {
    json!({
        "@type": "ElectionResults.InternationalizedText",
        "Text": t.iter().map(|(l, c)| json!({"@type": "ElectionResults.LanguageString", "Content": c, "Language": l})).collect::<Vec<_>>()
    })
}

fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

fn to_xml(out: &mut String, name: &str, n: &Node, indent: usize) {
    let pad = "  ".repeat(indent);
    out.push_str(&format!("{pad}<{name}"));
    if indent == 0 {
        out.push_str(&format!(
            " xmlns=\"{CDF_NAMESPACE}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
        ));
    }
    if let Some(id) = &n.id {
        out.push_str(&format!(" ObjectId=\"{}\"", esc(id)));
    }
    if n.xsi {
        out.push_str(&format!(" xsi:type=\"{}\"", n.ty));
    }
    out.push_str(">\n");
    let inner = "  ".repeat(indent + 1);
    for (k, v) in &n.fields {
        match v {
            Val::Str(s) => out.push_str(&format!("{inner}<{k}>{}</{k}>\n", esc(s))),
            Val::Num(x) => out.push_str(&format!("{inner}<{k}>{x}</{k}>\n")),
            Val::Bool(x) => out.push_str(&format!("{inner}<{k}>{x}</{k}>\n")),
            Val::List(l) => l.iter().for_each(|c| to_xml(out, k, c, indent + 1)),
            Val::Ids(ids) => out.push_str(&format!("{inner}<{k}>{}</{k}>\n", esc(&ids.join(" ")))),
            Val::Intl(t) => {
                out.push_str(&format!("{inner}<{k}>\n"));
                for (l, c) in t {
                    out.push_str(&format!(
                        "{inner}  <Text Language=\"{}\">{}</Text>\n",
                        esc(l),
                        esc(c)
                    ));
                }
                out.push_str(&format!("{inner}</{k}>\n"));
            }
        }
    }
    out.push_str(&format!("{pad}</{name}>\n"));
}

/// xsd:ID values must be NCNames, unique in the document.
struct Ids {
    used: HashMap<String, usize>,
}

impl Ids {
    fn ncname(s: &str) -> String {
        let mut o: String = s
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if !o.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            o.insert(0, '_');
        }
        o
    }
    /// Claims `preferred` (or a prefixed form of it if taken).
    fn claim(&mut self, preferred: &str, prefix: &str) -> String {
        let base = Ids::ncname(preferred);
        let mut cand = base.clone();
        if self.used.contains_key(&cand) {
            cand = Ids::ncname(&format!("{prefix}-{preferred}"));
        }
        let mut k = 2;
        while self.used.contains_key(&cand) {
            cand = format!("{base}-{k}");
            k += 1;
        }
        self.used.insert(cand.clone(), 1);
        cand
    }
}

fn cdf_type(t: &str) -> &'static str {
    match t {
        "election_day" => "election-day",
        "early" => "early",
        "mail" => "absentee-mail",
        "provisional" => "provisional",
        _ => "total",
    }
}

fn report(def: &ValidDefinition, contests: &[ContestResult], pos: &LogPosition) -> Node {
    let d = def.definition();
    let mut ids = Ids {
        used: HashMap::new(),
    };
    let unit_ids: Vec<String> = d.units.iter().map(|u| ids.claim(&u.id, "unit")).collect();
    let party_ids: HashMap<&str, String> = d
        .parties
        .iter()
        .map(|p| (p.id.as_str(), ids.claim(&p.id, "party")))
        .collect();
    let mut gpunits: Vec<Node> = Vec::new();
    for (i, u) in d.units.iter().enumerate() {
        let kids: Vec<String> = def
            .children(i)
            .iter()
            .map(|&c| unit_ids[c].clone())
            .collect();
        let mut n = Node::new("ReportingUnit", Some(unit_ids[i].clone()), true);
        if !kids.is_empty() {
            n = n.f("ComposingGpUnitIds", Val::Ids(kids));
        }
        n = n.f("Name", Val::Intl(u.name.clone()));
        let level = u.level.as_deref().unwrap_or("other");
        match UNIT_TYPES.iter().find(|t| **t == level) {
            Some(t) => n = n.f("Type", Val::Str((*t).to_string())),
            None => {
                n = n
                    .f("Type", Val::Str("other".into()))
                    .f("OtherType", Val::Str(level.to_string()))
            }
        }
        if let Some(r) = u.registered {
            n = n.f("VotersRegistered", Val::Num(r));
        }
        gpunits.push(n);
    }
    let mut candidates = Vec::new();
    let mut contest_nodes = Vec::new();
    let by_id: HashMap<&str, &ContestResult> =
        contests.iter().map(|c| (c.id.as_str(), c)).collect();
    for c in &d.contests {
        let Some(ci) = def.contest_index(&c.id) else {
            continue;
        };
        let cid = ids.claim(&c.id, "contest");
        let area = def.contest_area(ci);
        let district = if area.len() == 1 {
            unit_ids[area[0]].clone()
        } else {
            let gid = ids.claim(&format!("area-{}", c.id), "area");
            gpunits.push(
                Node::new("ReportingUnit", Some(gid.clone()), true)
                    .f(
                        "ComposingGpUnitIds",
                        Val::Ids(area.iter().map(|&u| unit_ids[u].clone()).collect()),
                    )
                    .f("Name", Val::Intl(c.name.clone()))
                    .f("Type", Val::Str("other".into()))
                    .f("OtherType", Val::Str("contest-area".into())),
            );
            gid
        };
        let result = by_id.get(c.id.as_str());
        let party_contest =
            c.kind == ContestKind::PartyList && c.selections.iter().all(|s| s.party.is_some());
        let mut sels = Vec::new();
        for s in &c.selections {
            let sid = ids.claim(&s.id, &c.id);
            let mut counts = Vec::new();
            if let (Some(r), ContestKind::RankedChoice) = (result, c.kind) {
                // No per-unit counts: the final round's votes on the whole district.
                let votes = r
                    .selections
                    .iter()
                    .find(|x| x.id == s.id)
                    .map_or(0, |x| x.votes);
                counts.push(vc(&district, "total", votes));
            } else if let Some(r) = result {
                for u in &r.units {
                    let Some(ui) = def.unit_index(&u.id) else {
                        continue;
                    };
                    let Some(bt) = u.by_count_type.as_ref() else {
                        continue;
                    };
                    let types: BTreeMap<&str, u64> = bt.get(&s.id).cloned().unwrap_or_default();
                    if types.is_empty() {
                        if u.reported {
                            counts.push(vc(&unit_ids[ui], "total", 0));
                        }
                        continue;
                    }
                    for (t, n) in types {
                        counts.push(vc(&unit_ids[ui], cdf_type(t), n));
                    }
                }
            }
            let mut n = match (c.kind, party_contest) {
                (ContestKind::BallotMeasure, _) => {
                    Node::new("BallotMeasureSelection", Some(sid), true)
                }
                (ContestKind::PartyList, true) => Node::new("PartySelection", Some(sid), true),
                _ => Node::new("CandidateSelection", Some(sid), true),
            };
            // Seats won, as NIST's own CountItemType `seats` ("for legislative balance-of-power
            // results information") on the contest's whole district: present for every selection
            // once the tally has allocated seats, so a party with 0 seats says so.
            if let Some(n) = result
                .and_then(|r| r.seats.as_ref())
                .and_then(|m| m.get(&s.id))
            {
                counts.push(vc(&district, "seats", u64::from(*n)));
            }
            if !counts.is_empty() {
                n = n.f("VoteCounts", Val::List(counts));
            }
            n = match (c.kind, party_contest) {
                (ContestKind::BallotMeasure, _) => n.f("Selection", Val::Intl(s.name.clone())),
                (ContestKind::PartyList, true) => n.f(
                    "PartyIds",
                    Val::Ids(vec![party_ids[s.party.as_deref().unwrap_or("")].clone()]),
                ),
                _ => {
                    let can = ids.claim(&format!("can-{}-{}", c.id, s.id), "can");
                    let mut cn = Node::new("Candidate", Some(can.clone()), false)
                        .f("BallotName", Val::Intl(s.name.clone()));
                    if let Some(p) = s.party.as_deref().and_then(|p| party_ids.get(p)) {
                        cn = cn.f("PartyId", Val::Str(p.clone()));
                    }
                    candidates.push(cn);
                    n.f("CandidateIds", Val::Ids(vec![can]))
                }
            };
            sels.push(n);
        }
        let ty = match (c.kind, party_contest) {
            (ContestKind::BallotMeasure, _) => "BallotMeasureContest",
            (ContestKind::PartyList, true) => "PartyContest",
            _ => "CandidateContest",
        };
        let mut n = Node::new(ty, Some(cid), true)
            .f("ContestSelection", Val::List(sels))
            .f("ElectionDistrictId", Val::Str(district.clone()))
            .f(
                "Name",
                Val::Str(def.text(&c.name, &d.default_language).to_string()),
            );
        // Over- and undervotes per unit, as the source gave them (a ranked-choice contest has
        // no unit rows: its figures are the whole district's).
        // Each figure only when stated (both are optional): the tally keeps an unstated
        // figure as 0, and a 0 written here would come back as a stated one.
        let other = |gpunit: &str, over: u64, under: u64| {
            let mut n =
                Node::new("OtherCounts", None, false).f("GpUnitId", Val::Str(gpunit.to_string()));
            if over > 0 {
                n = n.f("Overvotes", Val::Num(over));
            }
            if under > 0 {
                n = n.f("Undervotes", Val::Num(under));
            }
            n
        };
        let others: Vec<Node> = match result {
            Some(r) if c.kind == ContestKind::RankedChoice => (r.overvotes > 0 || r.undervotes > 0)
                .then(|| other(&district, r.overvotes, r.undervotes))
                .into_iter()
                .collect(),
            Some(r) => r
                .units
                .iter()
                .filter(|u| u.overvotes > 0 || u.undervotes > 0)
                .filter_map(|u| {
                    let ui = def.unit_index(&u.id)?;
                    Some(other(&unit_ids[ui], u.overvotes, u.undervotes))
                })
                .collect(),
            None => Vec::new(),
        };
        if !others.is_empty() {
            n = n.f("OtherCounts", Val::List(others));
        }
        // A ranked-choice contest: NIST's VoteVariation `rcv`, the seats it fills, and as
        // vote counts the final round's (the selections' votes). The rounds themselves have no
        // place in SP 1500-100 and are in the results JSON and the rounds CSV.
        if let (ContestKind::RankedChoice, Some(rules)) = (c.kind, &c.tabulation) {
            n = n.f("VoteVariation", Val::Str("rcv".into())).f(
                "NumberElected",
                Val::Num(u64::from(rules.number_of_winners)),
            );
        }
        if ty == "CandidateContest" {
            n = n.f("VotesAllowed", Val::Num(u64::from(c.votes_allowed)));
        }
        contest_nodes.push(n);
    }
    let mut election = Node::new("Election", None, false);
    let ballots: Vec<Node> = unit_ballots(def, contests)
        .into_iter()
        .map(|(u, n)| {
            Node::new("BallotCounts", None, false)
                .f("GpUnitId", Val::Str(unit_ids[u].clone()))
                .f("Type", Val::Str("total".into()))
                .f("BallotsCast", Val::Num(n))
        })
        .collect();
    if !ballots.is_empty() {
        election = election.f("BallotCounts", Val::List(ballots));
    }
    if !candidates.is_empty() {
        election = election.f("Candidate", Val::List(candidates));
    }
    if !contest_nodes.is_empty() {
        election = election.f("Contest", Val::List(contest_nodes));
    }
    election = election
        .f("ElectionScopeId", Val::Str(unit_ids[def.root()].clone()))
        .f("Name", Val::Intl(d.name.clone()))
        .f("StartDate", Val::Str(d.date.clone()))
        .f("EndDate", Val::Str(d.date.clone()))
        .f("Type", Val::Str("other".into()))
        .f("OtherType", Val::Str("unspecified".into()));
    let parties: Vec<Node> = d
        .parties
        .iter()
        .map(|p| {
            Node::new("Party", Some(party_ids[p.id.as_str()].clone()), false)
                .f("Name", Val::Intl(p.name.clone()))
        })
        .collect();
    let mut root = Node::new("ElectionReport", None, false)
        .f("Election", Val::List(vec![election]))
        .f("Format", Val::Str("precinct-level".into()))
        .f(
            "GeneratedDate",
            Val::Str(generated_date(pos.published_at.as_deref())),
        )
        .f("GpUnit", Val::List(gpunits))
        .f("Issuer", Val::Str("Skytale".into()))
        .f("IssuerAbbreviation", Val::Str(d.id.clone()));
    if d.test {
        root = root.f("IsTest", Val::Bool(true));
    }
    if !parties.is_empty() {
        root = root.f("Party", Val::List(parties));
    }
    root.f("SequenceStart", Val::Num(1))
        .f("SequenceEnd", Val::Num(1))
        .f("Status", Val::Str(results_status(contests).into()))
        .f(
            "VendorApplicationId",
            Val::Str(format!(
                "Skytale {} (log tree size {}, root {})",
                env!("CARGO_PKG_VERSION"),
                pos.tree_size,
                pos.root_hash
            )),
        )
}

/// The report's `ResultsStatus`: `certified` once every contest is (its officials' result
/// type, or its area's certified reports), else complete or partial by units reporting.
pub(crate) fn results_status(contests: &[ContestResult]) -> &'static str {
    if !contests.is_empty() && contests.iter().all(|c| c.status == "certified") {
        "certified"
    } else if contests.iter().all(|c| c.units_reporting == c.units_total) {
        "unofficial-complete"
    } else {
        "unofficial-partial"
    }
}

/// Each unit's ballots cast, for `Election.BallotCounts` (NIST's one place for ballots: per
/// unit, not per contest): given only where every contest reported in the unit states the same
/// figure, so that a reader who gives it to each contest of the unit (as Skytale's importer
/// does) reads back what was stated.
fn unit_ballots(def: &ValidDefinition, contests: &[ContestResult]) -> Vec<(usize, u64)> {
    // Per unit: Some(n) while all its reported contests agree on n, None once they do not.
    let mut agreed: BTreeMap<usize, Option<u64>> = BTreeMap::new();
    for r in contests {
        for row in &r.units {
            let Some(u) = def.unit_index(&row.id) else {
                continue;
            };
            let counted = row.reported || row.votes.values().any(|v| *v > 0);
            if row.ballots == 0 && !counted {
                continue;
            }
            let slot = agreed.entry(u).or_insert(Some(row.ballots));
            if *slot != Some(row.ballots) {
                *slot = None;
            }
        }
    }
    agreed
        .into_iter()
        .filter_map(|(u, n)| n.filter(|n| *n > 0).map(|n| (u, n)))
        .collect()
}

fn vc(unit: &str, t: &str, n: u64) -> Node {
    Node::new("VoteCounts", None, false)
        .f("GpUnitId", Val::Str(unit.to_string()))
        .f("Type", Val::Str(t.to_string()))
        .f("Count", Val::Num(n))
}

/// Every contest of `tally` with all its units at `pos`: what the NIST exports report. The
/// server makes its CDF feeds from it and the verifier recomputes them from it.
pub fn tally_contests(tally: &Tally, pos: &LogPosition) -> Vec<ContestResult> {
    tally
        .definition()
        .contests()
        .iter()
        .filter_map(|c| tally.contest_document(&c.id, pos))
        .flat_map(|d| d.contests)
        .collect()
}

/// NIST SP 1500-100 v2 ElectionReport, JSON (pretty, final newline).
pub fn cdf_json(def: &ValidDefinition, contests: &[ContestResult], pos: &LogPosition) -> Vec<u8> {
    let mut v =
        serde_json::to_vec_pretty(&to_json(&report(def, contests, pos))).unwrap_or_default();
    v.push(b'\n');
    v
}

/// NIST SP 1500-100 v2 ElectionReport, XML.
pub fn cdf_xml(def: &ValidDefinition, contests: &[ContestResult], pos: &LogPosition) -> Vec<u8> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    to_xml(&mut out, "ElectionReport", &report(def, contests, pos), 0);
    out.into_bytes()
}

/// Neutralises spreadsheet formulas: a cell starting with `=`, `+`, `-`, `@`, tab or CR gets a
/// leading `'` (OWASP CSV injection advice). Numbers are written as numbers and need none.
fn safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// The rounds of a ranked-choice contest, one row per fact (`None` for other contests):
/// `pass,round,kind,from,id,name,value,outcome` where `kind` is `candidate` (id, name, votes,
/// and `elected`/`eliminated` in the round decided), `inactive` (id = RCTab's reason:
/// `overvotes`, `skippedRankings`, `exhaustedChoices`, `repeatedRankings`,
/// `finalRoundSurplus`), `threshold`, or `transfer` (votes moved from the candidate `from`,
/// decided in this round, to `id`: a selection, `exhausted` or `residual surplus`). Values are
/// RCTab's decimal strings.
pub fn rounds_csv(def: &ValidDefinition, contest: &ContestResult) -> Option<Vec<u8>> {
    let rc = contest.ranked_choice.as_ref()?;
    let ci = def.contest_index(&contest.id)?;
    let c = &def.contests()[ci];
    let lang = &def.definition().default_language;
    let name = |id: &str| {
        def.selection_index(ci, id)
            .map(|s| def.text(&c.selections[s].name, lang).to_string())
            .unwrap_or_default()
    };
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record([
        "pass", "round", "kind", "from", "id", "name", "value", "outcome",
    ]);
    for (p, pass) in rc.passes.iter().enumerate() {
        let pn = (p + 1).to_string();
        for r in &pass.rounds {
            let rn = r.round.to_string();
            for (id, v) in &r.tally {
                let outcome = r.tally_results.iter().find_map(|x| {
                    if x.elected.as_deref() == Some(id) {
                        Some("elected")
                    } else if x.eliminated.as_deref() == Some(id) {
                        Some("eliminated")
                    } else {
                        None
                    }
                });
                let _ = w.write_record([
                    pn.as_str(),
                    &rn,
                    "candidate",
                    "",
                    &safe(id),
                    &safe(&name(id)),
                    v,
                    outcome.unwrap_or(""),
                ]);
            }
            for (reason, v) in &r.inactive_ballots {
                let _ = w.write_record([pn.as_str(), &rn, "inactive", "", reason, "", v, ""]);
            }
            let _ = w.write_record([pn.as_str(), &rn, "threshold", "", "", "", &r.threshold, ""]);
            for x in &r.tally_results {
                let Some(from) = x.elected.as_deref().or(x.eliminated.as_deref()) else {
                    continue;
                };
                for (to, v) in &x.transfers {
                    let _ = w.write_record([
                        pn.as_str(),
                        &rn,
                        "transfer",
                        &safe(from),
                        &safe(to),
                        &safe(&name(to)),
                        v,
                        "",
                    ]);
                }
            }
        }
    }
    w.into_inner().ok()
}

/// One row per reporting unit (every level) and selection, count types as columns.
///
/// A party-list contest with seat rules has one more column, `seats`, last (so the columns of
/// other contests keep their places). Seats are allocated on the contest's total, never per
/// unit: the column is filled on the rows of the contest's area when that is one unit, and
/// empty on the units below. A contest over several units gets rows of its total first, unit
/// `area-<contest id>` (the GpUnit id of the CDF export), level `contest-area`, which carry
/// the seats. While no seats are allocated (no votes yet) the column is empty.
pub fn contest_csv(def: &ValidDefinition, contest: &ContestResult) -> Vec<u8> {
    let lang = &def.definition().default_language;
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let types = ["election_day", "early", "mail", "provisional", "total"];
    let mut header = vec![
        "contest",
        "unit",
        "unit_name",
        "parent",
        "level",
        "reported",
        "selection",
        "selection_name",
        "party",
        "votes",
    ];
    header.extend(types);
    let seats = contest.seats.as_ref();
    if seats.is_some() {
        header.push("seats");
    }
    let _ = w.write_record(&header);
    let names: HashMap<&str, &str> = contest
        .selections
        .iter()
        .map(|s| (s.id.as_str(), def.text(&s.name, lang)))
        .collect();
    let area: Vec<&str> = def
        .contest_index(&contest.id)
        .map(|ci| {
            def.contest_area(ci)
                .iter()
                .map(|&u| def.units()[u].id.as_str())
                .collect()
        })
        .unwrap_or_default();
    let seat_cell = |sid: &str| {
        seats
            .and_then(|m| m.get(sid))
            .map(|n| n.to_string())
            .unwrap_or_default()
    };
    if let Some(seats) = seats.filter(|_| area.len() != 1) {
        let contest_name = def
            .contest_index(&contest.id)
            .map(|ci| def.text(&def.contests()[ci].name, lang))
            .unwrap_or("");
        for s in &contest.selections {
            let mut row = vec![
                safe(&contest.id),
                safe(&format!("area-{}", contest.id)),
                safe(contest_name),
                String::new(),
                "contest-area".to_string(),
                false.to_string(),
                safe(&s.id),
                safe(names.get(s.id.as_str()).copied().unwrap_or("")),
                safe(s.party.as_deref().unwrap_or("")),
                s.votes.to_string(),
            ];
            for t in types {
                row.push(
                    s.by_count_type
                        .get(t)
                        .map(|n| n.to_string())
                        .unwrap_or_default(),
                );
            }
            row.push(seats.get(&s.id).map(|n| n.to_string()).unwrap_or_default());
            let _ = w.write_record(&row);
        }
    }
    for u in &contest.units {
        let unit_name = def
            .unit_index(&u.id)
            .map(|i| def.text(&def.units()[i].name, lang))
            .unwrap_or("");
        let whole_contest = area.len() == 1 && area[0] == u.id;
        for s in &contest.selections {
            let bt = u.by_count_type.as_ref().and_then(|m| m.get(&s.id));
            let mut row = vec![
                safe(&contest.id),
                safe(&u.id),
                safe(unit_name),
                safe(u.parent.as_deref().unwrap_or("")),
                safe(u.level.as_deref().unwrap_or("")),
                u.reported.to_string(),
                safe(&s.id),
                safe(names.get(s.id.as_str()).copied().unwrap_or("")),
                safe(s.party.as_deref().unwrap_or("")),
                u.votes.get(&s.id).copied().unwrap_or(0).to_string(),
            ];
            for t in types {
                row.push(
                    bt.and_then(|m| m.get(t))
                        .map(|n| n.to_string())
                        .unwrap_or_default(),
                );
            }
            if seats.is_some() {
                row.push(if whole_contest {
                    seat_cell(&s.id)
                } else {
                    String::new()
                });
            }
            let _ = w.write_record(&row);
        }
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_injection_is_neutralised() {
        assert_eq!(safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe("-1+2"), "'-1+2");
        assert_eq!(safe("Ann"), "Ann");
    }

    #[test]
    fn ids_are_ncnames_and_unique() {
        let mut ids = Ids {
            used: HashMap::new(),
        };
        assert_eq!(ids.claim("5000", "c"), "_5000");
        assert_eq!(ids.claim("a:b", "c"), "a_b");
        let a = ids.claim("write-ins", "gov");
        let b = ids.claim("write-ins", "mayor");
        assert_ne!(a, b);
    }
}
