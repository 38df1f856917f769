//! Clarity detail.xml files: import → tally reproduces facts.json exactly.

mod common;
use common::*;
use skytale_formats::{import_results, Format, FormatError, Mapping};

fn facts() -> serde_json::Value {
    serde_json::from_slice(&read("clarity/facts.json")).unwrap()
}

/// Every file: contest count, first-contest per-choice sums of the subunit figures, per vote
/// type, contest-level undervotes, subunit count and registered voters.
#[test]
fn every_clarity_file_reproduces_its_facts() {
    let facts = facts();
    let mut checked = 0;
    for f in facts.as_array().unwrap() {
        let file = f["file"].as_str().unwrap();
        if file.contains("EDITED") {
            continue; // refused, see below
        }
        let bytes = read(&format!("clarity/{file}"));
        let r = run(Format::ClarityXml, &bytes, "clarity-test");
        let d = r.doc();
        assert_eq!(
            d.contests.len() as u64,
            f["n_contests"].as_u64().unwrap(),
            "{file}"
        );
        let n_choices: usize = r.def.contests().iter().map(|c| c.selections.len()).sum();
        assert_eq!(
            n_choices as u64,
            f["n_choices_total"].as_u64().unwrap(),
            "{file}"
        );
        // Root = Region, children = the subunits named in the file.
        let root = &r.def.units()[r.def.root()];
        assert_eq!(root.name["en"], f["Region"].as_str().unwrap());
        assert_eq!(
            r.def.children(r.def.root()).len() as u64,
            f["n_distinct_subunit_names_in_contests"].as_u64().unwrap(),
            "{file}"
        );
        let first = &f["first_contest"];
        let name = first["attrs"]["text"].as_str().unwrap();
        let mut sum = 0;
        for ch in first["choices"].as_array().unwrap() {
            let text = ch["text"].as_str().unwrap();
            let expected = ch["sum_of_subunit_votes"].as_u64().unwrap();
            assert_eq!(votes(&d, name, text), expected, "{file}: {text}");
            sum += expected;
            for (vt, n) in ch["vote_types"].as_object().unwrap() {
                let t = match vt.as_str() {
                    "Election Day Votes" | "Election Day" => "election_day",
                    "Advanced Voting Votes" | "Early Vote" => "early",
                    "Absentee by Mail Votes" | "Absentee" => "mail",
                    "Provisional Votes" | "Provisional" => "provisional",
                    "Election" => "total",
                    other => panic!("unexpected vote type {other}"),
                };
                assert_eq!(
                    by_type(&d, name, text, t),
                    n.as_u64().unwrap(),
                    "{file}: {text} {vt}"
                );
            }
        }
        assert_eq!(
            sum,
            first["sum_subunit_votes_all_choices"].as_u64().unwrap()
        );
        let c = d.contests.iter().find(|c| c.name["en"] == name).unwrap();
        if let Some(u) = first["contest_level_VoteTypes"].get("Undervotes") {
            assert_eq!(c.undervotes, u.as_u64().unwrap(), "{file}");
        }
        if let Some(reg) = f["turnout_attrs"].get("totalVoters") {
            let reg: u64 = reg.as_str().unwrap().parse().unwrap();
            assert_eq!(root.registered, Some(reg), "{file}");
            assert_eq!(c.registered, reg, "{file}");
        }
        checked += 1;
    }
    assert_eq!(checked, 6);
}

#[test]
fn arkansas_total_votes_gap_is_tolerated_and_the_vote_types_are_imported() {
    // Tom Cotton totalVotes=477734, but his vote types (= the 75 counties) add up to 462123.
    let r = run(
        Format::ClarityXml,
        &read("clarity/clarify__county_AR_2014_general.xml"),
        "ar-2014",
    );
    let d = r.doc();
    assert_eq!(votes(&d, "U.S. Senate", "Tom Cotton"), 462_123);
    assert_eq!(r.def.units()[r.def.root()].registered, Some(1_690_577));
    let reg: u64 = r
        .def
        .children(r.def.root())
        .iter()
        .map(|&u| r.def.units()[u].registered.unwrap())
        .sum();
    assert_eq!(reg, 1_690_577);
    assert_eq!(r.statements.len(), 75);
}

#[test]
fn georgia_statewide_full_file() {
    let r = run(
        Format::ClarityXml,
        &read("clarity/elex-clarity__GA_statewide_detail_11-3.xml"),
        "ga-2020",
    );
    let d = r.doc();
    assert_eq!(d.contests.len(), 298);
    assert_eq!(
        votes(
            &d,
            "President of the United States",
            "Joseph R. Biden (Dem)"
        ),
        2_471_955
    );
    assert_eq!(
        votes(
            &d,
            "President of the United States",
            "Donald J. Trump (I) (Rep)"
        ),
        2_457_910
    );
    assert_eq!(r.statements.len(), 159);
    assert_eq!(r.def.definition().date, "2020-11-03");
    assert_eq!(
        r.def.definition().name["en"],
        "November 3,2020-General Election"
    );
    // A U.S. export: U.S. dates and numbers, contests grouped by office level.
    let def = r.def.definition();
    assert_eq!(def.locale.as_deref(), Some("en-US"));
    let groups: Vec<&str> = def.groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(groups[0], "federal", "{groups:?}");
    assert!(
        groups.contains(&"legislative") && groups.contains(&"local"),
        "{groups:?}"
    );
    let group_of = |name: &str| {
        def.contests
            .iter()
            .find(|c| c.name["en"] == name)
            .and_then(|c| c.group.as_deref())
    };
    assert_eq!(group_of("President of the United States"), Some("federal"));
    assert!(def.contests.iter().all(|c| c.group.is_some()));
}

#[test]
fn hand_edited_file_whose_precincts_do_not_add_up_is_refused() {
    let bytes = read("clarity/elex-clarity__ga_atkinson_precincts_11-3.EDITED.xml");
    let (a, rk) = keys();
    let e = skytale_formats::derive_definition(Format::ClarityXml, &bytes, "x", a, "c", rk)
        .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("716") && msg.contains("492"), "{msg}");
    assert!(e.location().unwrap().line.unwrap() > 1);
    // Importing it against the original's definition fails the same way, naming the file.
    let def = derive(
        Format::ClarityXml,
        &read("clarity/elex-clarity__atkinson_precincts_11-3.original.xml"),
        "ga-atkinson",
    )
    .validate()
    .unwrap();
    let e =
        import_results(Format::ClarityXml, &bytes, &def, &opts("ga-atkinson", None)).unwrap_err();
    assert_eq!(e.location().unwrap().file.as_deref(), Some("test-file"));
}

#[test]
fn another_county_does_not_silently_match() {
    let def = derive(
        Format::ClarityXml,
        &read("clarity/elex-clarity__atkinson_precincts_11-3.original.xml"),
        "ga-atkinson",
    )
    .validate()
    .unwrap();
    let e = import_results(
        Format::ClarityXml,
        &read("clarity/elex-clarity__ga_bacon_precincts_11-3.xml"),
        &def,
        &opts("ga-atkinson", None),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            FormatError::Unmapped {
                kind: "reporting unit",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn unknown_vote_type_needs_a_mapping() {
    let x = br#"<?xml version="1.0"?><ElectionResult><ElectionDate>1/2/2024</ElectionDate><Region>X</Region>
<Contest key="1" text="Mayor" voteFor="1"><Choice key="1" text="A" totalVotes="3"><VoteType name="Mail-in Ballots" votes="3"><Precinct name="P1" votes="3"/></VoteType></Choice></Contest></ElectionResult>"#;
    let (a, rk) = keys();
    let e =
        skytale_formats::derive_definition(Format::ClarityXml, x, "x", a.clone(), "c", rk.clone())
            .unwrap_err();
    assert!(
        matches!(
            e,
            FormatError::Unmapped {
                kind: "vote type",
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(e.location().unwrap().line, Some(2));
    let m = Mapping::from_toml("[count_types]\n\"Mail-in Ballots\" = \"mail\"\n").unwrap();
    let def = skytale_formats::derive_definition_with(
        Format::ClarityXml,
        x,
        "x",
        a,
        "c",
        rk,
        &skytale_formats::DeriveOptions {
            date: None,
            mapping: Some(&m),
        },
    )
    .unwrap();
    let def = def.validate().unwrap();
    let st = import_results(Format::ClarityXml, x, &def, &opts("x", Some(&m))).unwrap();
    assert_eq!(
        st[0].contests[0].selections["a"][&skytale_model::CountType::Mail].get(),
        3
    );
}

#[test]
fn dtd_is_refused() {
    let x = b"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaa\">]><ElectionResult><Region>&a;</Region></ElectionResult>";
    let (a, rk) = keys();
    let e = skytale_formats::derive_definition(Format::ClarityXml, x, "x", a, "c", rk).unwrap_err();
    assert!(matches!(e, FormatError::Dtd { .. }), "{e}");
}

#[test]
fn a_precinct_clarity_lists_with_zero_voters_has_unknown_registration() {
    // Greenup County's 2014 primary lists every precinct with totalVoters="0" beside hundreds
    // of ballots: the county did not load its rolls. Zero would hold every precinct's report
    // for review (ballots above registered voters); unknown holds none.
    let r = run(
        Format::ClarityXml,
        &read("clarity/clarify__precinct_KY_Greenup_2014_primary.xml"),
        "greenup-2014",
    );
    let precincts = r.def.children(r.def.root());
    assert!(!precincts.is_empty());
    for &u in precincts {
        assert_eq!(r.def.units()[u].registered, None, "{}", r.def.units()[u].id);
    }
    for s in &r.statements {
        assert!(
            skytale_model::plausibility_issues(&r.def, s).is_empty(),
            "{}: {:?}",
            s.unit,
            skytale_model::plausibility_issues(&r.def, s)
        );
    }
}
