//! What a Clarity detail.xml states beyond the votes survives derive → import → tally: ballots
//! cast and turnout per unit, party identity (one name and colour per party in every contest),
//! each contest's own area, whole-word ids, and the mapping's party names, colours and origin.

mod common;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use common::*;
use skytale_formats::{Format, Mapping};

/// An attribute of an XML start tag (the files write `name="value"`, no entities in these).
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("{name}=\"");
    let at = if tag.starts_with(&key) {
        key.len()
    } else {
        tag.find(&format!(" {key}"))? + key.len() + 1
    };
    let end = tag[at..].find('"')? + at;
    Some(&tag[at..end])
}

/// The subunits of the turnout block, as the file states them: name → (totalVoters,
/// ballotsCast, voterTurnout).
fn turnout_block(xml: &str) -> BTreeMap<String, (u64, u64, String)> {
    let end = xml.find("<Contest ").unwrap_or(xml.len());
    xml[..end]
        .split('<')
        .filter(|t| t.starts_with("Precinct ") || t.starts_with("County "))
        .filter_map(|t| {
            Some((
                attr(t, "name")?.to_string(),
                (
                    attr(t, "totalVoters")?.parse().ok()?,
                    attr(t, "ballotsCast")?.parse().ok()?,
                    attr(t, "voterTurnout")?.to_string(),
                ),
            ))
        })
        .collect()
}

/// `part / whole` in percent, two decimals rounded half up (as the tally and Clarity write it).
fn percent(part: u64, whole: u64) -> String {
    let hundredths = (part * 10_000 * 2 + whole) / (2 * whole);
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

const WITH_TURNOUT: [&str; 4] = [
    "clarify__county_AR_2014_general.xml",
    "clarify__precinct_KY_Greenup_2014_primary.xml",
    "elex-clarity__atkinson_precincts_11-3.original.xml",
    "elex-clarity__ga_bacon_precincts_11-3.xml",
];

#[test]
fn ballots_and_turnout_are_the_files_per_unit() {
    for file in WITH_TURNOUT {
        let text = String::from_utf8(read(&format!("clarity/{file}"))).unwrap();
        let stated = turnout_block(&text);
        assert!(!stated.is_empty(), "{file}");
        let r = run(Format::ClarityXml, text.as_bytes(), "clarity-2020-11-03");
        let root = text
            .split('<')
            .find(|t| t.starts_with("VoterTurnout ") || t.starts_with("ElectionVoterTurnout "))
            .unwrap();
        let root_ballots: u64 = attr(root, "ballotsCast").unwrap().parse().unwrap();
        // The first contest is held everywhere in each of these files.
        let first = &r.def.contests()[0].id;
        let doc = r.tally.contest_document(first, &pos()).unwrap();
        let c = &doc.contests[0];
        assert_eq!(c.ballots, root_ballots, "{file}");
        assert_eq!(
            c.turnout,
            attr(root, "voterTurnout").unwrap(),
            "{file}: turnout of the whole file"
        );
        let mut seen = 0;
        for u in &c.units {
            let unit = &r.def.units()[r.def.unit_index(&u.id).unwrap()];
            let Some((registered, ballots, turnout)) = stated.get(&unit.name["en"]) else {
                continue;
            };
            assert_eq!(u.ballots, *ballots, "{file}: {}", u.id);
            assert_eq!(u.registered, *registered, "{file}: {}", u.id);
            if *registered > 0 {
                assert_eq!(
                    &percent(u.ballots, u.registered),
                    turnout,
                    "{file}: {}",
                    u.id
                );
            }
            seen += 1;
        }
        assert_eq!(
            seen,
            stated.len(),
            "{file}: every subunit of the turnout block"
        );
    }
}

#[test]
fn a_partly_covered_county_gets_no_whole_county_ballots() {
    // County level: District 7 has 2 of Forsyth's 3 precincts and all of Hall's. Forsyth's
    // ballots are the county's, not the district's: only Hall's count for District 7.
    let x = br#"<?xml version="1.0"?><ElectionResult><ElectionDate>11/3/2020</ElectionDate><Region>GA</Region>
<ElectionVoterTurnout totalVoters="300" ballotsCast="200"><Counties>
<County name="Forsyth" totalVoters="200" ballotsCast="120" precinctsParticipating="3"/>
<County name="Hall" totalVoters="100" ballotsCast="80" precinctsParticipating="2"/>
</Counties></ElectionVoterTurnout>
<Contest key="1" text="President" voteFor="1"><Choice key="1" text="A (Dem)" party="NP" totalVotes="150">
<VoteType name="Election Day Votes" votes="150"><County name="Forsyth" votes="90"/><County name="Hall" votes="60"/></VoteType></Choice></Contest>
<Contest key="2" text="US House District 7" voteFor="1"><ParticipatingCounties>
<County name="Forsyth" precinctsParticipating="2"/><County name="Hall" precinctsParticipating="2"/></ParticipatingCounties>
<Choice key="2" text="B (Rep)" party="NP" totalVotes="100">
<VoteType name="Election Day Votes" votes="100"><County name="Forsyth" votes="40"/><County name="Hall" votes="60"/></VoteType></Choice></Contest></ElectionResult>"#;
    let r = run(Format::ClarityXml, x, "ga-2020-11-03");
    let d = r.doc();
    assert_eq!(d.contests[0].ballots, 200);
    assert_eq!(d.contests[1].ballots, 80);
}

/// Every selection's party colour, per party, over every contest of GA's statewide file.
#[test]
fn one_party_has_one_name_and_colour_in_every_contest() {
    let r = run(
        Format::ClarityXml,
        &read("clarity/elex-clarity__GA_statewide_detail_11-3.xml"),
        "ga-2020-11-03",
    );
    let def = r.def.definition();
    let party = |id: &str| def.parties.iter().find(|p| p.id == id).unwrap();
    let mut colours: HashMap<&str, BTreeSet<Option<&str>>> = HashMap::new();
    let mut tagged = 0;
    for c in &def.contests {
        for s in &c.selections {
            let name = &s.name["en"];
            let want = if name.ends_with("(Dem)") {
                Some("Democratic")
            } else if name.ends_with("(Rep)") {
                Some("Republican")
            } else if name.ends_with("(Lib)") {
                Some("Libertarian")
            } else {
                None
            };
            let p = party(s.party.as_deref().unwrap());
            if let Some(w) = want {
                assert_eq!(p.name["en"], w, "{} in {}", name, c.id);
                tagged += 1;
            }
            colours
                .entry(p.name["en"].as_str())
                .or_default()
                .insert(p.color.as_deref());
        }
    }
    assert!(tagged > 300, "{tagged}");
    for (name, set) in &colours {
        assert_eq!(set.len(), 1, "{name}: {set:?}");
    }
    assert_eq!(party("dem").color.as_deref(), Some("#2b6cb0"));
    assert_ne!(party("dem").color, party("rep").color);
    // No party is named by a bare code a reader cannot read.
    for p in &def.parties {
        assert!(p.name["en"].len() > 3, "{:?}", p.name);
    }
}

/// The slug of a whole name (no length limit), to compare ids with.
fn full_slug(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// An id derived from `name` ends at a word end of the name's slug (after its `parent.`
/// prefix and without a `-2`-style suffix that keeps it unique).
fn whole_words(id: &str, name: &str) -> bool {
    let own = id.rsplit('.').next().unwrap_or(id);
    let full = full_slug(name);
    let ends_at_word = |base: &str| {
        full.starts_with(base) && matches!(full.as_bytes().get(base.len()), None | Some(b'-'))
    };
    ends_at_word(own)
        || own
            .rsplit_once('-')
            .is_some_and(|(base, n)| n.parse::<u32>().is_ok() && ends_at_word(base))
}

#[test]
fn ids_end_at_a_word_and_stay_unique() {
    let mut long = 0;
    for file in list("clarity", "xml") {
        if file.to_string_lossy().contains("EDITED") {
            continue;
        }
        let def = derive(
            Format::ClarityXml,
            &std::fs::read(&file).unwrap(),
            "x-2020-11-03",
        );
        let mut all: Vec<(&str, &str)> = Vec::new();
        all.extend(
            def.units
                .iter()
                .map(|u| (u.id.as_str(), u.name["en"].as_str())),
        );
        all.extend(
            def.parties
                .iter()
                .map(|p| (p.id.as_str(), p.abbreviation.as_deref().unwrap())),
        );
        all.extend(
            def.contests
                .iter()
                .map(|c| (c.id.as_str(), c.name["en"].as_str())),
        );
        for (id, name) in &all {
            assert!(
                whole_words(id, name),
                "{}: {id:?} from {name:?}",
                file.display()
            );
            long += usize::from(full_slug(name).len() > 48);
        }
        let ids: BTreeSet<&str> = all.iter().map(|x| x.0).collect();
        assert_eq!(ids.len(), all.len(), "{}", file.display());
        for c in &def.contests {
            let mut sel = BTreeSet::new();
            for s in &c.selections {
                assert!(whole_words(&s.id, &s.name["en"]), "{:?}", s.id);
                assert!(sel.insert(&s.id), "{}: {}", c.id, s.id);
            }
        }
    }
    assert!(long >= 10, "the files have long names to cut: {long}");
}

#[test]
fn a_district_contest_is_the_precincts_that_report_it() {
    let text = String::from_utf8(read(
        "clarity/elex-clarity__atkinson_precincts_11-3.original.xml",
    ))
    .unwrap();
    let stated = turnout_block(&text);
    let r = run(Format::ClarityXml, text.as_bytes(), "ga-2020-11-03");
    let mut districts = 0;
    for block in text.split("<Contest ").skip(1) {
        let name = attr(block, "text").unwrap().to_string();
        let precincts: BTreeSet<&str> = block
            .split("<Precinct ")
            .skip(1)
            .filter_map(|t| attr(t, "name"))
            .collect();
        let ci = r
            .def
            .contests()
            .iter()
            .position(|c| c.name["en"] == name)
            .unwrap();
        let c = &r.def.contests()[ci];
        let doc = r.tally.contest_document(&c.id, &pos()).unwrap();
        let res = &doc.contests[0];
        // Units reporting, registered voters and ballots are those of the contest's precincts.
        assert_eq!(res.units_total, precincts.len() as u64, "{name}");
        assert_eq!(res.units_reporting, precincts.len() as u64, "{name}");
        let reg: u64 = precincts.iter().map(|p| stated[*p].0).sum();
        let ballots: u64 = precincts.iter().map(|p| stated[*p].1).sum();
        assert_eq!(res.registered, reg, "{name}");
        assert_eq!(res.ballots, ballots, "{name}");
        if precincts.len() < stated.len() {
            districts += 1;
            let area: BTreeSet<&str> = c
                .area
                .iter()
                .map(|a| r.def.units()[r.def.unit_index(a).unwrap()].name["en"].as_str())
                .collect();
            assert_eq!(area, precincts, "{name}");
        }
    }
    assert_eq!(districts, 6);
}

#[test]
fn the_mappings_party_names_colours_and_origin_are_applied() {
    let bytes = read("clarity/elex-clarity__atkinson_precincts_11-3.original.xml");
    let m = Mapping::from_toml(
        "origin = \"https://results.example.org/ga-atkinson\"\n\
         [party_names]\nRep = \"Republican Party of Georgia\"\n\
         [party_colors]\nRep = \"#AA0000\"\nInd = \"#00aa00\"\n",
    )
    .unwrap();
    let (a, rk) = keys();
    let def = skytale_formats::derive_definition_with(
        Format::ClarityXml,
        &bytes,
        "ga-2020-11-03",
        a,
        "county",
        rk,
        &skytale_formats::DeriveOptions {
            date: None,
            mapping: Some(&m),
        },
    )
    .unwrap();
    let party = |id: &str| def.parties.iter().find(|p| p.id == id).unwrap();
    assert_eq!(party("rep").name["en"], "Republican Party of Georgia");
    assert_eq!(party("rep").color.as_deref(), Some("#aa0000"));
    assert_eq!(party("ind").color.as_deref(), Some("#00aa00"));
    // What the mapping does not name keeps the table's name and colour.
    assert_eq!(party("dem").name["en"], "Democratic");
    assert_eq!(
        def.origin.as_deref(),
        Some("results.example.org/ga-atkinson")
    );
    def.validate().unwrap();
}
