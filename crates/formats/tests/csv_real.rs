//! OpenElections CSV files: import → tally reproduces the README's totals exactly.

mod common;
use common::*;
use skytale_formats::{import_results, Format, FormatError, Mapping};

#[test]
fn georgia_2022_general_statewide_from_159_counties() {
    let files = list("openelections/ga_2022_general/counties", "csv");
    assert_eq!(files.len(), 159);
    let bytes = concat_csv(&files);
    let r = run(Format::Csv, &bytes, "ga-2022-11-08");
    let d = r.doc();
    // 159 counties + 2,723 precincts + the root.
    assert_eq!(r.def.units().len(), 1 + 159 + 2723);
    assert_eq!(votes(&d, "U.S. Senate", "Raphael Warnock"), 1_946_117);
    assert_eq!(votes(&d, "U.S. Senate", "Herschel Walker"), 1_908_442);
    // Chase Oliver appears under party codes `Lib` and `L`: one selection all the same.
    assert_eq!(votes(&d, "U.S. Senate", "Chase Oliver"), 81_365);
    // Gwinnett's `Governor/Gobernador` is the same contest.
    assert_eq!(votes(&d, "Governor", "Brian Kemp"), 2_111_572);
    assert_eq!(votes(&d, "Governor", "Stacey Abrams"), 1_813_673);
    assert_eq!(votes(&d, "Governor", "Shane Hazel"), 28_163);
    // Every row has votes = the sum of the 4 vote-type columns, so the parts are kept.
    let senate_parts: u64 = ["election_day", "early", "mail", "provisional"]
        .iter()
        .map(|t| by_type(&d, "U.S. Senate", "Raphael Warnock", t))
        .sum();
    assert_eq!(senate_parts, 1_946_117);
    assert_eq!(by_type(&d, "U.S. Senate", "Raphael Warnock", "total"), 0);
}

#[test]
fn georgia_2022_runoff_with_two_name_forms() {
    let bytes =
        read("openelections/ga_2022_general_runoff/20221206__ga__general_runoff__precinct.csv");
    let r = run(Format::Csv, &bytes, "ga-2022-12-06");
    let d = r.doc();
    assert_eq!(d.contests.len(), 1);
    assert_eq!(votes(&d, "U.S. Senate", "Raphael Warnock"), 1_820_633);
    assert_eq!(votes(&d, "U.S. Senate", "Herschel Walker"), 1_721_244);
    for (sel, ed, adv, abm, prov) in [
        ("Raphael Warnock", 703_895, 992_112, 122_958, 1_668),
        ("Herschel Walker", 927_835, 724_429, 68_156, 824),
    ] {
        assert_eq!(by_type(&d, "U.S. Senate", sel, "election_day"), ed);
        assert_eq!(by_type(&d, "U.S. Senate", sel, "early"), adv);
        assert_eq!(by_type(&d, "U.S. Senate", sel, "mail"), abm);
        assert_eq!(by_type(&d, "U.S. Senate", sel, "provisional"), prov);
    }
    assert_eq!(
        r.def.contests()[0].selections.len(),
        2,
        "name forms with (I) (Dem) suffixes are one selection"
    );
}

fn pa(county: &str) -> Run {
    let rel = format!(
        "openelections/pa_2020_general/counties/20201103__pa__general__{county}__precinct.csv"
    );
    run(Format::Csv, &read(&rel), "pa-2020-11-03")
}

#[test]
fn pennsylvania_2020_president_by_county() {
    let d = pa("centre").doc();
    assert_eq!(votes(&d, "President", "Joseph R. Biden"), 40_055);
    assert_eq!(votes(&d, "President", "Donald J. Trump"), 36_372);
    assert_eq!(votes(&d, "President", "Jo Jorgensen"), 1_066);
    // Write-In: … and Not Assigned rows break the Write-ins row down; not counted twice.
    assert_eq!(votes(&d, "President", "Write-ins"), 398);
    let c = d
        .contests
        .iter()
        .find(|c| c.name["en"] == "President")
        .unwrap();
    assert_eq!(c.selections.len(), 4);
    assert!(
        c.overvotes > 0 || c.undervotes > 0,
        "Over/Under Votes rows are contest figures"
    );

    let d = pa("clinton").doc();
    assert_eq!(
        (
            votes(&d, "President", "Joseph R. Biden"),
            votes(&d, "President", "Donald J. Trump"),
            votes(&d, "President", "Jo Jorgensen")
        ),
        (5_502, 11_902, 221)
    );
    // Clinton's `Not Assigned` rows repeat its `Write-ins` rows (36 for President): once.
    assert_eq!(votes(&d, "President", "Write-ins"), 36);
    let d = pa("cambria").doc();
    assert_eq!(
        (
            votes(&d, "President", "Donald J. Trump"),
            votes(&d, "President", "Joseph R. Biden")
        ),
        (48_085, 21_730)
    );
    let d = pa("somerset").doc();
    assert_eq!(
        (
            votes(&d, "President", "Donald J. Trump"),
            votes(&d, "President", "Joseph R. Biden")
        ),
        (31_466, 8_654)
    );
    let d = pa("allegheny").doc();
    assert_eq!(votes(&d, "President", "Joseph R. Biden"), 430_759);
    assert_eq!(votes(&d, "President", "Donald J. Trump"), 282_913);
    assert_eq!(votes(&d, "President", "Jo Jorgensen"), 8_361);
    assert_eq!(
        by_type(&d, "President", "Joseph R. Biden", "election_day"),
        148_171
    );
    assert_eq!(by_type(&d, "President", "Joseph R. Biden", "mail"), 274_774);
    assert_eq!(
        by_type(&d, "President", "Joseph R. Biden", "provisional"),
        7_814
    );
}

#[test]
fn pennsylvania_registered_voters_pseudo_office() {
    let r = pa("centre");
    assert!(r
        .def
        .contests()
        .iter()
        .all(|c| !c.name["en"].contains("Registered") && !c.name["en"].contains("Ballots Cast")));
    let reg: u64 = r.def.units().iter().filter_map(|u| u.registered).sum();
    assert!(reg > 0);
}

#[test]
fn pennsylvania_county_level_file_with_an_inconsistent_row_is_refused_precisely() {
    // Northampton, State House 136, Write-ins: votes 383 but election_day 202 + mail 177 = 379.
    let bytes = read("openelections/pa_2020_general/20201103__pa__general__county.csv");
    let (a, rk) = keys();
    let e = skytale_formats::derive_definition(Format::Csv, &bytes, "pa-2020-11-03", a, "pa", rk)
        .unwrap_err();
    let at = e.location().unwrap();
    assert_eq!(at.line, Some(336), "{e}");
    assert_eq!(at.field.as_deref(), Some("votes"));
    assert!(e.to_string().contains("add up to 379"), "{e}");
}

#[test]
fn boulder_statement_of_votes_with_a_mapping() {
    let mapping =
        Mapping::from_toml(include_str!("../mappings/boulder-statement-of-votes.toml")).unwrap();
    let bytes =
        read("openelections/other_layouts/2024G-Boulder-County-Official-Statement-of-Votes.csv");
    let (a, rk) = keys();
    let opts_d = skytale_formats::DeriveOptions {
        date: Some("2024-11-05"),
        mapping: Some(&mapping),
    };
    let def = skytale_formats::derive_definition_with(
        Format::Csv,
        &bytes,
        "boulder-2024",
        a,
        "boulder",
        rk,
        &opts_d,
    )
    .unwrap();
    let def = std::sync::Arc::new(def.validate().unwrap());
    assert_eq!(def.contests().len(), 65);
    let st = import_results(
        Format::Csv,
        &bytes,
        &def,
        &opts("boulder-2024", Some(&mapping)),
    )
    .unwrap();
    // The README counts 190 precincts; the file has 197 distinct precinct codes.
    assert_eq!(st.len(), 197);
    let mut t = skytale_tally::Tally::new(def.clone());
    st.iter().for_each(|s| t.apply(s));
    let d = t.document(&pos());
    for (name, n) in [
        ("Kamala D. Harris / Tim Walz", 150_149),
        ("Donald J. Trump / JD Vance", 40_758),
        ("Chase Russell Oliver / Mike ter Maat", 1_263),
    ] {
        assert_eq!(votes(&d, "Presidential Electors", name), n, "{name}");
    }
}

#[test]
fn colorado_clarity_summary_latin1() {
    let mapping = Mapping::from_toml(include_str!("../mappings/clarity-summary-csv.toml")).unwrap();
    let bytes = read("openelections/other_layouts/20241105__co__general__clarity_summary.csv");
    assert!(std::str::from_utf8(&bytes).is_err(), "the file is Latin-1");
    let (a, rk) = keys();
    let def = skytale_formats::derive_definition_with(
        Format::Csv,
        &bytes,
        "co-2024-11-05",
        a,
        "co",
        rk,
        &skytale_formats::DeriveOptions {
            date: None,
            mapping: Some(&mapping),
        },
    )
    .unwrap();
    assert_eq!(def.contests.len(), 295);
    assert!(def
        .contests
        .iter()
        .all(|c| !c.name["en"].contains("Vote For")));
    let def = std::sync::Arc::new(def.validate().unwrap());
    let st = import_results(
        Format::Csv,
        &bytes,
        &def,
        &opts("co-2024-11-05", Some(&mapping)),
    )
    .unwrap();
    let mut t = skytale_tally::Tally::new(def.clone());
    st.iter().for_each(|s| t.apply(s));
    let d = t.document(&pos());
    assert_eq!(
        votes(&d, "Presidential Electors", "Kamala D. Harris / Tim Walz"),
        1_728_159
    );
    assert_eq!(
        votes(&d, "Presidential Electors", "Donald J. Trump / JD Vance"),
        1_377_441
    );
    // Latin-1 text arrives as UTF-8.
    let json = serde_json::to_string(&d).unwrap();
    assert!(!json.contains('\u{FFFD}'));
}

#[test]
fn unmapped_names_list_the_closest_and_a_mapping_fixes_them() {
    let base = "county,precinct,office,district,party,candidate,votes\nA,P1,Governor,,D,Ann Smith,10\nA,P1,Governor,,R,Bob Jones,7\n";
    let def = derive(Format::Csv, base.as_bytes(), "x-2024-01-01")
        .validate()
        .unwrap();
    let other =
        "county,precinct,office,district,party,candidate,votes\nA,P1,Gov.,,D,Ann Smith,11\n";
    let e = import_results(
        Format::Csv,
        other.as_bytes(),
        &def,
        &opts("x-2024-01-01", None),
    )
    .unwrap_err();
    match &e {
        FormatError::Unmapped {
            kind,
            name,
            closest,
            at,
        } => {
            assert_eq!(*kind, "contest");
            assert_eq!(name, "Gov.");
            assert_eq!(closest[0], "Governor");
            assert_eq!(at.line, Some(2));
            assert_eq!(at.file.as_deref(), Some("test-file"));
        }
        other => panic!("expected Unmapped, got {other}"),
    }
    let m = Mapping::from_toml("[contests]\n\"Gov.\" = \"governor\"\n").unwrap();
    let st = import_results(
        Format::Csv,
        other.as_bytes(),
        &def,
        &opts("x-2024-01-01", Some(&m)),
    )
    .unwrap();
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].contests[0].contest, "governor");
    // A misspelt candidate: the error lists the contest's candidates.
    let typo =
        "county,precinct,office,district,party,candidate,votes\nA,P1,Governor,,D,Anne Smith,11\n";
    let e = import_results(
        Format::Csv,
        typo.as_bytes(),
        &def,
        &opts("x-2024-01-01", None),
    )
    .unwrap_err();
    assert!(e.to_string().contains("Ann Smith"), "{e}");
    // An unknown precinct.
    let p =
        "county,precinct,office,district,party,candidate,votes\nA,P9,Governor,,D,Ann Smith,11\n";
    let e =
        import_results(Format::Csv, p.as_bytes(), &def, &opts("x-2024-01-01", None)).unwrap_err();
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
fn statements_carry_the_source() {
    let bytes =
        read("openelections/ga_2022_general_runoff/20221206__ga__general_runoff__precinct.csv");
    let r = run(Format::Csv, &bytes, "ga-2022-12-06");
    let s = &r.statements[0];
    let src = s.source.as_ref().unwrap();
    assert_eq!(src.format, "csv");
    assert_eq!(src.sha256, skytale_formats::sha256_hex(&bytes));
    assert_eq!(src.name.as_deref(), Some("test-file"));
    assert_eq!(r.statements.len(), 2711);
}

#[test]
fn two_source_names_mapped_to_one_selection_are_refused_naming_both_lines() {
    let base = "county,precinct,office,district,party,candidate,votes\nA,P1,Governor,,D,Ann Smith,10\nA,P1,Governor,,R,Bob Jones,7\n";
    let def = derive(Format::Csv, base.as_bytes(), "x-2024-01-01")
        .validate()
        .unwrap();
    let ann = def.contests()[0].selections[0].id.clone();
    let m = Mapping::from_toml(&format!("[selections]\n\"A. Smith\" = \"{ann}\"\n")).unwrap();
    // Line 2 and line 4 both become Ann Smith's votes in P1.
    let twice = "county,precinct,office,district,party,candidate,votes\nA,P1,Governor,,D,Ann Smith,10\nA,P1,Governor,,R,Bob Jones,7\nA,P1,Governor,,D,A. Smith,3\n";
    let e = import_results(
        Format::Csv,
        twice.as_bytes(),
        &def,
        &opts("x-2024-01-01", Some(&m)),
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("two source names map to selection"), "{msg}");
    assert!(msg.contains("also near line 2"), "{msg}");
    // One name alone is fine.
    let once =
        "county,precinct,office,district,party,candidate,votes\nA,P1,Governor,,D,A. Smith,3\n";
    let st = import_results(
        Format::Csv,
        once.as_bytes(),
        &def,
        &opts("x-2024-01-01", Some(&m)),
    )
    .unwrap();
    assert_eq!(
        st[0].contests[0].selections[&ann]
            .values()
            .next()
            .map(|c| c.get()),
        Some(3)
    );
}

/// Of several errors, the import reports the first in (unit, contest) order, whatever the order
/// of the file's rows (here: contest by contest, as OpenElections files come).
#[test]
fn of_two_errors_the_first_by_unit_then_contest_is_reported() {
    let base = "county,precinct,office,district,party,candidate,votes\nA,P1,Gov,,D,X,1\nA,P1,Sen,,D,Y,1\nA,P2,Gov,,D,X,1\nA,P2,Sen,,D,Y,1\n";
    let mut def = derive(Format::Csv, base.as_bytes(), "x-2024-01-01");
    let unit = |name: &str| {
        def.units
            .iter()
            .find(|u| u.name.values().any(|n| n == name))
            .map(|u| u.id.clone())
            .unwrap()
    };
    let (p1, p2) = (unit("P1"), unit("P2"));
    for c in &mut def.contests {
        let gov = c.name.values().any(|n| n == "Gov");
        c.area = vec![if gov { p1.clone() } else { p2.clone() }];
    }
    let sen = def
        .contests
        .iter()
        .find(|c| c.name.values().any(|n| n == "Sen"))
        .map(|c| c.id.clone())
        .unwrap();
    let def = def.validate().unwrap();
    // Line 3: Gov is not held in P2; line 4: Sen is not held in P1, and P1 comes first.
    let file = "county,precinct,office,district,party,candidate,votes\nA,P1,Gov,,D,X,1\nA,P2,Gov,,D,X,1\nA,P1,Sen,,D,Y,1\n";
    let e = import_results(
        Format::Csv,
        file.as_bytes(),
        &def,
        &opts("x-2024-01-01", None),
    )
    .unwrap_err();
    assert_eq!(e.location().and_then(|l| l.line), Some(4), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!(
            "contest {sen:?} is not held in reporting unit {p1:?}"
        )),
        "{msg}"
    );
}
