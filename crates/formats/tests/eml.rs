//! EML 510 (EML_NL) import and EML 510/520 export: a real count (Assen 2026, `testdata/eml/`)
//! imported with its known totals; both exports read back by Kiesraad's own `eml-nl` crate in
//! strict mode; round trips export → import → the same statements; every error path of the
//! importer on a small hand-written count; mutated counts never panic.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{keys, opts, pos, read, run};
use eml_nl::documents::election_count::{ElectionCount, ElectionCountSelectionType};
use eml_nl::documents::election_result::ElectionResult;
use eml_nl::io::{EMLParsingMode, EMLRead};
use proptest::prelude::*;
use skytale_formats::{export, import_results, Format, FormatError};
use skytale_model::{ResultsStatement, ValidDefinition};
use skytale_tally::Tally;

const ASSEN: &str = "eml/Telling_GR2026_Assen.eml.xml";
const ID: &str = "gr2026_assen";

/// The list totals of the Assen count (testdata/eml/PROVENANCE.md).
const LISTS: [u64; 13] = [
    5438, 2211, 3273, 5895, 2641, 2854, 1988, 1461, 1112, 2001, 140, 1226, 1833,
];

fn tally_of(def: &Arc<ValidDefinition>, statements: &[ResultsStatement]) -> Tally {
    let mut t = Tally::new(def.clone());
    for s in statements {
        t.apply(s);
    }
    t
}

/// Statements without what names their source file (which differs between a file and its
/// export), sorted by unit.
fn comparable(statements: &[ResultsStatement]) -> Vec<ResultsStatement> {
    let mut v: Vec<ResultsStatement> = statements
        .iter()
        .cloned()
        .map(|mut s| {
            s.source = None;
            s
        })
        .collect();
    v.sort_by(|a, b| a.unit.cmp(&b.unit));
    v
}

fn strict_count(bytes: &[u8]) -> ElectionCount {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    ElectionCount::parse_eml(text, EMLParsingMode::Strict)
        .ok()
        .unwrap_or_else(|e| panic!("eml-nl refuses the EML 510 export: {e}\n{text}"))
}

#[test]
fn the_real_count_is_detected_and_imported_with_its_totals() {
    let bytes = read(ASSEN);
    assert_eq!(Format::detect(&bytes[..]).unwrap(), Format::Eml510);
    assert_eq!("eml510".parse::<Format>().unwrap(), Format::Eml510);
    let r = run(Format::Eml510, &bytes, ID);
    let d = r.def.definition();
    assert_eq!(d.date, "2026-03-18");
    assert_eq!(
        d.units.len(),
        45,
        "the municipality and its 44 polling stations"
    );
    assert_eq!(d.units[0].id, "0106");
    assert!(d.units.iter().any(|u| u.id == "0106::SB1"));
    assert_eq!(d.parties.len(), 13);
    assert_eq!(d.contests.len(), 1);
    let c = &d.contests[0];
    assert_eq!((c.id.as_str(), c.selections.len()), ("geen", 228));
    assert_eq!(c.selections[0].id, "1.1");
    assert_eq!(r.statements.len(), 44);
    let doc = r.doc();
    let total = &doc.contests[0];
    assert_eq!(total.valid_votes, 32_073);
    assert_eq!(total.blank, 61);
    assert_eq!(total.invalid, 45);
    assert_eq!(total.ballots, 32_183);
    assert_eq!(total.registered, 55_959);
    assert_eq!(total.units_reporting, 44);
    // Each list's votes are its candidates'.
    for (i, want) in LISTS.iter().enumerate() {
        let party = (i + 1).to_string();
        let got: u64 = total
            .selections
            .iter()
            .filter(|s| s.party.as_deref() == Some(party.as_str()))
            .map(|s| s.votes)
            .sum();
        assert_eq!(got, *want, "list {party}");
    }
    let first = &r.statements[0];
    assert_eq!(first.unit, "0106::SB1");
    assert_eq!(first.source.as_ref().unwrap().format, "eml510");
}

/// The export of the imported count is read by Kiesraad's own reader in strict mode, with the
/// file's figures; imported again it gives the very statements the file gave.
#[test]
fn the_real_count_round_trips_through_the_510_export() {
    let bytes = read(ASSEN);
    let r = run(Format::Eml510, &bytes, ID);
    let eml = export::eml_510(&r.tally, &pos());
    assert_eq!(eml, export::eml_510(&r.tally, &pos()), "deterministic");
    let doc = strict_count(&eml);
    assert_eq!(doc.count.election.identifier.id.raw(), "GR2026_assen");
    let contest = &doc.count.election.contests[0];
    assert_eq!(contest.identifier.id.raw(), "geen");
    assert_eq!(contest.reporting_unit_votes.len(), 44);
    let total = contest.total_votes.as_ref().expect("TotalVotes");
    assert_eq!(total.candidate_votes_count.raw(), "32073");
    assert_eq!(total.eligible_voter_count.raw(), "55959");
    let lists: Vec<u64> = total
        .selections
        .iter()
        .filter(|s| matches!(s.selection_type, ElectionCountSelectionType::Affiliation(_)))
        .map(|s| s.valid_votes.copied_value().unwrap())
        .collect();
    assert_eq!(lists, LISTS);
    let sb1 = &contest.reporting_unit_votes[0];
    assert_eq!(sb1.identifier.id.raw(), "0106::SB1");
    let back = import_results(Format::Eml510, &eml, &r.def, &opts(ID, None))
        .unwrap_or_else(|e| panic!("import of the export: {e}"));
    assert_eq!(comparable(&back), comparable(&r.statements));
}

/// An election that is not Dutch: ids that EML_NL cannot take are numbered, names carry the
/// way back, and the figures come back the same.
#[test]
fn a_definition_with_other_ids_round_trips_by_name() {
    let r = run(
        Format::ClarityXml,
        &read("clarity/clarify__precinct_KY_Greenup_2014_primary.xml"),
        "ky-greenup-2014-05-20",
    );
    let eml = export::eml_510(&r.tally, &pos());
    let doc = strict_count(&eml);
    let (id, category) = (
        doc.count.election.identifier.id.raw().to_string(),
        doc.count.election.identifier.category.raw().to_string(),
    );
    assert_eq!(id, "GR20140520_ky-greenup-2014-05-20");
    assert_eq!(category, "GR");
    let back = import_results(
        Format::Eml510,
        &eml,
        &r.def,
        &opts("ky-greenup-2014-05-20", None),
    )
    .unwrap_or_else(|e| panic!("import of the export: {e}"));
    let again = tally_of(&r.def, &back);
    let before = r.doc();
    let after = again.document(&pos());
    assert!(!before.contests.is_empty());
    for (a, b) in before.contests.iter().zip(&after.contests) {
        let votes = |c: &skytale_tally::ContestResult| -> BTreeMap<String, u64> {
            c.selections
                .iter()
                .map(|s| (s.id.clone(), s.votes))
                .collect()
        };
        assert_eq!(votes(a), votes(b), "contest {}", a.id);
        assert_eq!(
            (a.units_reporting, a.ballots, a.blank, a.invalid),
            (b.units_reporting, b.ballots, b.blank, b.invalid),
            "contest {}",
            a.id
        );
    }
}

/// A report of the election's root (a county's own total over its precincts' reports) shadows
/// the reports below it: the 510 gives it as the total alone, which reads back as the root's
/// report, the only one that counts.
#[test]
fn a_report_of_the_root_is_the_total() {
    let id = "ky-greenup-2014-05-20";
    let r = run(
        Format::ClarityXml,
        &read("clarity/clarify__precinct_KY_Greenup_2014_primary.xml"),
        id,
    );
    let doc = r.doc();
    let root = r.def.units()[r.def.root()].id.clone();
    let mut own = r.statements[0].clone();
    own.unit = root.clone();
    own.contests = doc
        .contests
        .iter()
        .map(|c| skytale_model::ContestReport {
            contest: c.id.clone(),
            ballots: None,
            blank: None,
            invalid: None,
            overvotes: None,
            undervotes: None,
            selections: c
                .selections
                .iter()
                .map(|s| {
                    let mut b = skytale_model::ByType::new();
                    b.insert(
                        skytale_model::CountType::Total,
                        skytale_model::Count::new(s.votes + 1),
                    );
                    (s.id.clone(), b)
                })
                .collect(),
        })
        .collect();
    let mut all = r.statements.clone();
    all.push(own.clone());
    let t = tally_of(&r.def, &all);
    let eml = export::eml_510(&t, &pos());
    let parsed = strict_count(&eml);
    assert!(parsed
        .count
        .election
        .contests
        .iter()
        .all(|c| c.reporting_unit_votes.is_empty()));
    let back = import_results(Format::Eml510, &eml, &r.def, &opts(id, None)).unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].unit, root);
    // EML_NL requires blank and invalid votes: figures not stated are written, and read, as 0.
    let zero = Some(skytale_model::Count::new(0));
    for c in &mut own.contests {
        (c.blank, c.invalid) = (zero, zero);
    }
    assert_eq!(back[0].contests, own.contests);
}

/// Before any report the 510 has the contests and no figures: read back it gives no
/// statement (a total of zeros would have been taken for a report of zeros).
#[test]
fn an_election_without_reports_exports_no_figures() {
    let r = run(Format::Eml510, &read(ASSEN), ID);
    let empty = Tally::new(r.def.clone());
    let eml = export::eml_510(&empty, &pos());
    let doc = strict_count(&eml);
    let contest = &doc.count.election.contests[0];
    assert!(contest.total_votes.is_none() && contest.reporting_unit_votes.is_empty());
    let back = import_results(Format::Eml510, &eml, &r.def, &opts(ID, None)).unwrap();
    assert!(back.is_empty(), "{back:?}");
}

/// Seats allocated in a party-list contest are the 520's `Elected`; eml-nl reads it strictly.
#[test]
fn the_520_export_names_the_lists_that_won_seats() {
    let bytes = read(ASSEN);
    let r = run(Format::Eml510, &bytes, ID);
    // No party-list contest with seats: a valid 520 without contests.
    let empty = export::eml_520(&r.tally, &pos());
    let text = String::from_utf8(empty).unwrap();
    let doc = ElectionResult::parse_eml(&text, EMLParsingMode::Strict)
        .ok()
        .unwrap_or_else(|e| panic!("eml-nl refuses the 520: {e}\n{text}"));
    assert!(doc.result.election.contests.is_empty());

    // The same count as a party-list contest of the 13 lists with 39 seats (D'Hondt).
    let mut def = r.def.definition().clone();
    let c = &mut def.contests[0];
    c.kind = skytale_model::ContestKind::PartyList;
    c.selections = (1..=13)
        .map(|i| skytale_model::Selection {
            id: i.to_string(),
            name: [("en".to_string(), format!("List {i}"))]
                .into_iter()
                .collect(),
            party: Some(i.to_string()),
            write_in: false,
        })
        .collect();
    c.seats = Some(
        serde_json::from_value(serde_json::json!({"seats": 39, "method": "dhondt"}))
            .expect("seat rules"),
    );
    let def = Arc::new(def.validate().expect("valid"));
    let lists: Vec<ResultsStatement> = r
        .statements
        .iter()
        .map(|s| {
            let mut s = s.clone();
            let mut by_list: BTreeMap<String, u64> = BTreeMap::new();
            for (sel, counts) in &s.contests[0].selections {
                let list = sel.split('.').next().unwrap().to_string();
                *by_list.entry(list).or_default() += counts.values().map(|c| c.get()).sum::<u64>();
            }
            s.contests[0].selections = by_list
                .into_iter()
                .map(|(k, v)| {
                    let mut b = skytale_model::ByType::new();
                    b.insert(
                        skytale_model::CountType::Total,
                        skytale_model::Count::new(v),
                    );
                    (k, b)
                })
                .collect();
            s
        })
        .collect();
    let t = tally_of(&def, &lists);
    let seats = t.contest_head(0).unwrap().seats.unwrap();
    assert_eq!(seats.values().sum::<u32>(), 39);
    let text = String::from_utf8(export::eml_520(&t, &pos())).unwrap();
    let doc = ElectionResult::parse_eml(&text, EMLParsingMode::Strict)
        .ok()
        .unwrap_or_else(|e| panic!("eml-nl refuses the 520: {e}\n{text}"));
    let contest = &doc.result.election.contests[0];
    assert_eq!(contest.selections.len(), 13);
    for (i, s) in contest.selections.iter().enumerate() {
        let won = seats[&(i + 1).to_string()];
        assert_eq!(s.votes.as_ref().unwrap().raw(), LISTS[i].to_string());
        assert_eq!(
            s.elected.raw(),
            if won > 0 { "yes" } else { "no" },
            "list {}",
            i + 1
        );
    }
    // The party-list 510 round-trips too.
    let eml = export::eml_510(&t, &pos());
    strict_count(&eml);
    let back = import_results(Format::Eml510, &eml, &def, &opts(ID, None)).unwrap();
    assert_eq!(comparable(&back), comparable(&lists));
}

/// A small count: municipality 0001 with polling stations SB1 and SB2, two lists with two
/// candidates each.
const SMALL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<EML xmlns="urn:oasis:names:tc:evs:schema:eml" xmlns:kr="http://www.kiesraad.nl/extensions" Id="510b" SchemaVersion="5">
  <TransactionId>1</TransactionId>
  <ManagingAuthority><AuthorityIdentifier Id="0001">Dorp</AuthorityIdentifier><AuthorityAddress/></ManagingAuthority>
  <kr:CreationDateTime>2026-03-18T21:00:00</kr:CreationDateTime>
  <Count><EventIdentifier/><Election>
    <ElectionIdentifier Id="gr2026_dorp"><ElectionName>Gemeenteraad Dorp 2026</ElectionName><ElectionCategory>GR</ElectionCategory><kr:ElectionDate>2026-03-18</kr:ElectionDate></ElectionIdentifier>
    <Contests><Contest><ContestIdentifier Id="geen"/>
      <TotalVotes>
        <Selection><AffiliationIdentifier Id="1"><RegisteredName>Rood</RegisteredName></AffiliationIdentifier><ValidVotes>30</ValidVotes></Selection>
        <Selection><Candidate><CandidateIdentifier Id="1"/></Candidate><ValidVotes>20</ValidVotes></Selection>
        <Selection><Candidate><CandidateIdentifier Id="2"/></Candidate><ValidVotes>10</ValidVotes></Selection>
        <Selection><AffiliationIdentifier Id="2"><RegisteredName>Blauw</RegisteredName></AffiliationIdentifier><ValidVotes>12</ValidVotes></Selection>
        <Selection><Candidate><CandidateIdentifier Id="1"/></Candidate><ValidVotes>7</ValidVotes></Selection>
        <Selection><Candidate><CandidateIdentifier Id="2"/></Candidate><ValidVotes>5</ValidVotes></Selection>
        <Cast>100</Cast><TotalCounted>42</TotalCounted>
        <RejectedVotes ReasonCode="ongeldig">2</RejectedVotes><RejectedVotes ReasonCode="blanco">1</RejectedVotes>
        <UncountedVotes ReasonCode="toegelaten kiezers">45</UncountedVotes>
      </TotalVotes>
      <ReportingUnitVotes><ReportingUnitIdentifier Id="0001::SB1">Stembureau Stadhuis</ReportingUnitIdentifier>
        <Selection><AffiliationIdentifier Id="1"><RegisteredName>Rood</RegisteredName></AffiliationIdentifier><ValidVotes>18</ValidVotes></Selection>
        <Selection><Candidate><CandidateIdentifier Id="1"/></Candidate><ValidVotes>12</ValidVotes></Selection>
        <Selection><Candidate><CandidateIdentifier Id="2"/></Candidate><ValidVotes>6</ValidVotes></Selection>
        <Selection><AffiliationIdentifier Id="2"><RegisteredName>Blauw</RegisteredName></AffiliationIdentifier><ValidVotes>4</ValidVotes></Selection>
        <Selection><Candidate><CandidateIdentifier Id="1"/></Candidate><ValidVotes>3</ValidVotes></Selection>
        <Selection><Candidate><CandidateIdentifier Id="2"/></Candidate><ValidVotes>1</ValidVotes></Selection>
        <Cast>60</Cast><TotalCounted>22</TotalCounted>
        <RejectedVotes ReasonCode="ongeldig">1</RejectedVotes><RejectedVotes ReasonCode="blanco">1</RejectedVotes>
        <UncountedVotes ReasonCode="toegelaten kiezers">24</UncountedVotes>
      </ReportingUnitVotes>
      <ReportingUnitVotes><ReportingUnitIdentifier Id="0001::SB2">Stembureau School</ReportingUnitIdentifier>
        <Selection><AffiliationIdentifier Id="1"><RegisteredName>Rood</RegisteredName></AffiliationIdentifier><ValidVotes>12</ValidVotes></Selection>
        <Selection><Candidate><CandidateIdentifier Id="1"/></Candidate><ValidVotes>8</ValidVotes></Selection>
        <Selection><Candidate><CandidateIdentifier Id="2"/></Candidate><ValidVotes>4</ValidVotes></Selection>
        <Selection><AffiliationIdentifier Id="2"><RegisteredName>Blauw</RegisteredName></AffiliationIdentifier><ValidVotes>8</ValidVotes></Selection>
        <Selection><Candidate><CandidateIdentifier Id="1"/></Candidate><ValidVotes>4</ValidVotes></Selection>
        <Selection><Candidate><CandidateIdentifier Id="2"/></Candidate><ValidVotes>4</ValidVotes></Selection>
        <Cast>40</Cast><TotalCounted>20</TotalCounted>
        <RejectedVotes ReasonCode="ongeldig">1</RejectedVotes><RejectedVotes ReasonCode="blanco">0</RejectedVotes>
        <UncountedVotes ReasonCode="toegelaten kiezers">21</UncountedVotes>
      </ReportingUnitVotes>
    </Contest></Contests>
  </Election></Count>
</EML>
"#;

fn small_def() -> Arc<ValidDefinition> {
    let (a, r) = keys();
    let def = skytale_formats::derive_definition(
        Format::Eml510,
        SMALL.as_bytes(),
        "gr2026_dorp",
        a,
        "c",
        r,
    )
    .unwrap_or_else(|e| panic!("derive: {e}"));
    Arc::new(def.validate().expect("valid"))
}

#[test]
fn the_small_count_gives_one_statement_per_polling_station() {
    assert_eq!(Format::detect(SMALL.as_bytes()).unwrap(), Format::Eml510);
    let def = small_def();
    let st = import_results(
        Format::Eml510,
        SMALL.as_bytes(),
        &def,
        &opts("gr2026_dorp", None),
    )
    .unwrap();
    assert_eq!(st.len(), 2);
    let sb1 = &st[0];
    assert_eq!(sb1.unit, "0001::SB1");
    let c = &sb1.contests[0];
    assert_eq!(c.contest, "geen");
    let get = |x: Option<skytale_model::Count>| x.map(|c| c.get());
    assert_eq!(
        (get(c.ballots), get(c.blank), get(c.invalid)),
        (Some(24), Some(1), Some(1))
    );
    let votes: Vec<(String, u64)> = c
        .selections
        .iter()
        .map(|(k, v)| (k.clone(), v.values().map(|c| c.get()).sum()))
        .collect();
    assert_eq!(
        votes,
        [("1.1", 12), ("1.2", 6), ("2.1", 3), ("2.2", 1)].map(|(k, v)| (k.to_string(), v))
    );
    assert_eq!(def.definition().units[1].registered, Some(60));
}

/// Each rule of the importer, broken once in the small count: the error names what is wrong.
#[test]
fn bad_counts_are_refused_with_what_is_wrong() {
    let def = small_def();
    let cases: &[(&str, &str, &str)] = &[
        (r#"Id="510b""#, r#"Id="520""#, "document's Id is \"520\""),
        ("<EML ", "<EMX ", "not an EML 510 count"),
        (r#"<ContestIdentifier Id="geen"/>"#, "<ContestIdentifier/>", "no ContestIdentifier Id"),
        ("<ValidVotes>30</ValidVotes>", "<ValidVotes>31</ValidVotes>", "ValidVotes 31 but its candidates add up to 30"),
        ("<TotalCounted>22</TotalCounted>", "<TotalCounted>23</TotalCounted>", "TotalCounted 23 but the lists add up to 22"),
        ("<RejectedVotes ReasonCode=\"blanco\">1</RejectedVotes>\n        <UncountedVotes ReasonCode=\"toegelaten kiezers\">45", "<RejectedVotes ReasonCode=\"blanco\">2</RejectedVotes>\n        <UncountedVotes ReasonCode=\"toegelaten kiezers\">45", "TotalVotes gives 2 for blank votes but its ReportingUnitVotes add up to 1"),
        ("<UncountedVotes ReasonCode=\"toegelaten kiezers\">45", "<UncountedVotes ReasonCode=\"toegelaten kiezers\">46", "gives 46 for admitted voters"),
        ("ReasonCode=\"ongeldig\">2<", "ReasonCode=\"kapot\">2<", "unknown rejected-votes reason \"kapot\""),
        ("<ValidVotes>18</ValidVotes>", "<ValidVotes>1x8</ValidVotes>", "ValidVotes"),
        ("<ValidVotes>18</ValidVotes>", "", "has no ValidVotes"),
        ("<Selection><AffiliationIdentifier Id=\"1\"><RegisteredName>Rood</RegisteredName></AffiliationIdentifier><ValidVotes>18</ValidVotes></Selection>", "", "comes before any list"),
        ("<ReportingUnitIdentifier Id=\"0001::SB2\">", "<ReportingUnitIdentifier>", "has no ReportingUnitIdentifier Id"),
        ("<AuthorityIdentifier Id=\"0001\">Dorp</AuthorityIdentifier>", "", "names no managing authority"),
        ("<Contests><Contest>", "<Contests><Contest><Contest>", "malformed XML"),
        ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]>", "DOCTYPE"),
        ("<CandidateIdentifier Id=\"2\"/></Candidate><ValidVotes>6", "<CandidateIdentifier Id=\"1\"/></Candidate><ValidVotes>6", "has a second total count"),
    ];
    for (from, to, want) in cases {
        assert!(
            SMALL.contains(from),
            "the case's text is in the count: {from}"
        );
        let bad = SMALL.replacen(from, to, 1);
        let e = import_results(
            Format::Eml510,
            bad.as_bytes(),
            &def,
            &opts("gr2026_dorp", None),
        )
        .err()
        .unwrap_or_else(|| panic!("{from:?} → {to:?} was accepted"));
        let text = e.to_string();
        assert!(text.contains(want), "{from:?} → {to:?}: {text}");
        assert!(
            e.location()
                .is_some_and(|l| l.line.is_some() || l.field.is_some()),
            "{from:?} → {to:?}: no place named: {text}"
        );
    }
    // Other EML documents are told apart by detection, with what they are.
    let result = SMALL.replacen(r#"Id="510b""#, r#"Id="520""#, 1);
    match Format::detect(result.as_bytes()) {
        Err(FormatError::Undetected { seen, .. }) => {
            assert!(seen.contains("a result (520)"), "{seen}")
        }
        other => panic!("{other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Mutated and truncated counts are read or refused, never a panic; one that is read gives
    /// statements that pass the model's count checks.
    #[test]
    fn mutated_counts_never_panic(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..12), cut in any::<prop::sample::Index>()) {
        let def = small_def();
        let mut b = SMALL.as_bytes().to_vec();
        for (at, byte, op) in edits {
            let i = at.index(b.len());
            match op {
                0 => b[i] = byte,
                1 => { b.remove(i); }
                _ => b.insert(i, byte),
            }
        }
        for bytes in [&b[..], &b[..cut.index(b.len() + 1)]] {
            let _ = Format::detect(bytes);
            if let Ok(st) = import_results(Format::Eml510, bytes, &def, &opts("gr2026_dorp", None)) {
                for s in &st {
                    prop_assert!(s.check_counts().is_ok());
                }
            }
        }
    }
}
