//! Google's profile of the CDF XML export (`export::cdf_xml_google`) on the real U.S. files of
//! `testdata/` (Clarity, OpenElections CSV, NIST's SP 1500-100 examples), imported as
//! `election create --from` and `submit` import them.
//!
//! `google_profile_passes_googles_validator` runs Google's `civics_cdf_validator` (`validate
//! --rule_set election_results --ocdid_file testdata/ocd/us-states-counties.csv`) on every
//! export and wants no error and no fatal message. The validator is the program named by
//! `SKYTALE_CIVICS_VALIDATOR` (`.ci/run` installs the pinned PyPI release in a venv); without
//! it the test says it skipped, unless `SKYTALE_REQUIRE_VALIDATORS=1`, when it fails. Its
//! `--xsd` is Google's own schema, `civics_cdf_spec.xsd`, when `SKYTALE_CIVICS_XSD` names it:
//! that schema is not published with the validator on PyPI and this repository copies nothing
//! from other repositories, so without it the validator's `Schema` rule (the document against
//! the schema) is left out and the other rules are given NIST's v2 schema (the rules that
//! read a schema read element names, which the two share); the test then says so.
//!
//! The other tests need nothing beside the repository: what the profile must carry (stable
//! ids, OCD-IDs, one country root) is checked on the exports directly.

mod common;
use common::*;
use skytale_formats::{export, import_results, DeriveOptions, Format, Mapping};
use skytale_tally::Tally;

/// One U.S. file: a tag, its format, bytes and the mapping it needs.
struct Case {
    tag: &'static str,
    format: Format,
    path: &'static str,
    mapping: Option<&'static str>,
}

fn cases() -> Vec<Case> {
    let c = |tag, format, path| Case {
        tag,
        format,
        path,
        mapping: None,
    };
    vec![
        c(
            "clarity-ar-2014",
            Format::ClarityXml,
            "clarity/clarify__county_AR_2014_general.xml",
        ),
        c(
            "clarity-ky-greenup-2014",
            Format::ClarityXml,
            "clarity/clarify__precinct_KY_Greenup_2014_primary.xml",
        ),
        c(
            "clarity-ga-2020",
            Format::ClarityXml,
            "clarity/elex-clarity__GA_statewide_detail_11-3.xml",
        ),
        c(
            "clarity-ga-counties-2020",
            Format::ClarityXml,
            "clarity/elex-clarity__ga_counties_11-3.xml",
        ),
        c(
            "clarity-ga-atkinson-2020",
            Format::ClarityXml,
            "clarity/elex-clarity__atkinson_precincts_11-3.original.xml",
        ),
        c(
            "clarity-ga-bacon-2020",
            Format::ClarityXml,
            "clarity/elex-clarity__ga_bacon_precincts_11-3.xml",
        ),
        c(
            "csv-ga-2022-runoff",
            Format::Csv,
            "openelections/ga_2022_general_runoff/20221206__ga__general_runoff__precinct.csv",
        ),
        c(
            "csv-ga-2022-fulton",
            Format::Csv,
            "openelections/ga_2022_general/counties/20221108__ga__general__fulton__precinct.csv",
        ),
        // County files (the county-level file has a row that does not add up and is refused,
        // see csv_real.rs).
        c(
            "csv-pa-2020-centre",
            Format::Csv,
            "openelections/pa_2020_general/counties/20201103__pa__general__centre__precinct.csv",
        ),
        c(
            "csv-pa-2020-clinton",
            Format::Csv,
            "openelections/pa_2020_general/counties/20201103__pa__general__clinton__precinct.csv",
        ),
        c(
            "csv-pa-2020-allegheny",
            Format::Csv,
            "openelections/pa_2020_general/counties/20201103__pa__general__allegheny__precinct.csv",
        ),
        Case {
            tag: "csv-co-boulder-2024",
            format: Format::Csv,
            path:
                "openelections/other_layouts/2024G-Boulder-County-Official-Statement-of-Votes.csv",
            mapping: Some(include_str!("../mappings/boulder-statement-of-votes.toml")),
        },
        Case {
            tag: "csv-co-2024",
            format: Format::Csv,
            path: "openelections/other_layouts/20241105__co__general__clarity_summary.csv",
            mapping: Some(include_str!("../mappings/clarity-summary-csv.toml")),
        },
        c(
            "nist-gen-01",
            Format::NistXml,
            "nist-1500-100/cdf-test-method/err-gen-01.xml",
        ),
        c(
            "nist-gen-02",
            Format::NistXml,
            "nist-1500-100/cdf-test-method/err-gen-02.xml",
        ),
        c(
            "nist-gen-03",
            Format::NistXml,
            "nist-1500-100/cdf-test-method/err-gen-03.xml",
        ),
        c(
            "nist-prim-01",
            Format::NistXml,
            "nist-1500-100/cdf-test-method/err-prim-01.xml",
        ),
        c(
            "nist-prim-02",
            Format::NistXml,
            "nist-1500-100/cdf-test-method/err-prim-02.xml",
        ),
        c(
            "nist-prim-03",
            Format::NistXml,
            "nist-1500-100/cdf-test-method/err-prim-03.xml",
        ),
        c(
            "nist-cambridge-2022",
            Format::NistXml,
            "nist-1500-100/cdf-test-method/err-2022-09-06-Massachusetts-Cambridge.xml",
        ),
    ]
}

/// The file imported (definition derived, statements imported, tallied) and exported with the
/// google profile, and with the plain one.
fn export_case(case: &Case) -> &'static (Run, Vec<u8>, Vec<u8>) {
    // Every file is imported once for all the tests (the largest take seconds in a debug
    // build); the first test to ask imports them, the others wait for it.
    type Done = std::collections::HashMap<&'static str, (Run, Vec<u8>, Vec<u8>)>;
    static DONE: std::sync::OnceLock<Done> = std::sync::OnceLock::new();
    let done = DONE.get_or_init(|| {
        cases()
            .iter()
            .map(|c| (c.tag, import_and_export(c)))
            .collect()
    });
    &done[case.tag]
}

fn import_and_export(case: &Case) -> (Run, Vec<u8>, Vec<u8>) {
    let bytes = read(case.path);
    let id = case.tag;
    let mapping = case
        .mapping
        .map(|m| Mapping::from_toml(m).unwrap_or_else(|e| panic!("{}: mapping: {e}", case.tag)));
    let (a, r) = keys();
    let def = skytale_formats::derive_definition_with(
        case.format,
        &bytes,
        id,
        a,
        "county",
        r,
        &DeriveOptions {
            date: Some("2024-01-01"),
            mapping: mapping.as_ref(),
        },
    )
    .unwrap_or_else(|e| panic!("{}: derive: {e}", case.tag));
    let def = std::sync::Arc::new(
        def.validate()
            .unwrap_or_else(|e| panic!("{}: derived definition: {e}", case.tag)),
    );
    let statements = import_results(case.format, &bytes, &def, &opts(id, mapping.as_ref()))
        .unwrap_or_else(|e| panic!("{}: import: {e}", case.tag));
    let mut tally = Tally::new(def.clone());
    for s in &statements {
        tally.apply(s);
    }
    let contests = export::tally_contests(&tally, &pos());
    let google = export::cdf_xml_google(&def, &contests, &pos());
    let plain = export::cdf_xml(&def, &contests, &pos());
    (
        Run {
            def,
            statements,
            tally,
        },
        google,
        plain,
    )
}

/// Error, fatal and warning counts in the validator's report.
#[derive(Debug, Default, PartialEq, Eq)]
struct Verdict {
    fatal: u64,
    errors: u64,
    warnings: u64,
}

/// `     3 Error messages found` → 3 for "Error".
fn count(report: &str, kind: &str) -> Option<u64> {
    report.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        let n = w.next()?.parse().ok()?;
        let k = w.next()?;
        let rest: Vec<&str> = w.collect();
        (k == kind && rest.first().is_some_and(|m| m.starts_with("message")) && rest.len() == 2)
            .then_some(n)
    })
}

fn validate(
    validator: &str,
    xsd: &std::path::Path,
    schema_rule: bool,
    file: &std::path::Path,
) -> (Verdict, String) {
    let mut cmd = std::process::Command::new(validator);
    cmd.arg("validate")
        .args(["--rule_set", "election_results"])
        .arg("--ocdid_file")
        .arg(data("ocd/us-states-counties.csv"))
        .arg("--xsd")
        .arg(xsd);
    if !schema_rule {
        cmd.args(["--exclude", "Schema"]);
    }
    let out = cmd
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {validator}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let get = |k: &str| {
        count(&text, k).unwrap_or_else(|| panic!("no {k} count in the validator's report:\n{text}"))
    };
    (
        Verdict {
            fatal: get("Fatal"),
            errors: get("Error"),
            warnings: get("Warning"),
        },
        text,
    )
}

#[test]
fn reads_the_validators_counts() {
    let r = "     0 Fatal message found\n    46 Error messages found\n        39 MissingStableIds Error messages\n    65 Warning messages found\n";
    assert_eq!(count(r, "Fatal"), Some(0));
    assert_eq!(count(r, "Error"), Some(46));
    assert_eq!(count(r, "Warning"), Some(65));
    assert_eq!(count(r, "Info"), None);
}

#[test]
fn google_profile_passes_googles_validator() {
    let Ok(validator) = std::env::var("SKYTALE_CIVICS_VALIDATOR") else {
        assert!(
            std::env::var("SKYTALE_REQUIRE_VALIDATORS").as_deref() != Ok("1"),
            "SKYTALE_REQUIRE_VALIDATORS=1 but SKYTALE_CIVICS_VALIDATOR is not set (the path of \
             civics_cdf_validator; .ci/run installs it)"
        );
        eprintln!(
            "SKIPPED: set SKYTALE_CIVICS_VALIDATOR to the civics_cdf_validator program to run \
             Google's validator on the google profile"
        );
        return;
    };
    let (xsd, schema_rule) = match std::env::var("SKYTALE_CIVICS_XSD") {
        Ok(x) => (std::path::PathBuf::from(x), true),
        Err(_) => {
            eprintln!(
                "NOTE: SKYTALE_CIVICS_XSD (Google's civics_cdf_spec.xsd) is not set: the \
                 validator's Schema rule is left out"
            );
            (
                data("nist-1500-100/NIST_V2_election_results_reporting.xsd"),
                false,
            )
        }
    };
    let dir = std::env::temp_dir().join(format!("skytale-google-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failed = Vec::new();
    for (k, case) in cases().into_iter().enumerate() {
        let (_, google, plain) = export_case(&case);
        let (google, plain) = (google.clone(), plain.clone());
        if k == 0 {
            // The harness sees errors when there are some: the plain NIST v2 report of the
            // same file has them (no stable ids among others).
            let f = dir.join(format!("{}.plain.xml", case.tag));
            std::fs::write(&f, &plain).unwrap();
            let (v, text) = validate(&validator, &xsd, schema_rule, &f);
            assert!(v.errors > 0, "the plain report passes?\n{text}");
            eprintln!("{} (plain NIST v2 report): {} errors", case.tag, v.errors);
        }
        let f = dir.join(format!("{}.xml", case.tag));
        std::fs::write(&f, &google).unwrap();
        let (v, text) = validate(&validator, &xsd, schema_rule, &f);
        eprintln!(
            "{}: {} errors, {} fatal, {} warnings",
            case.tag, v.errors, v.fatal, v.warnings
        );
        if v.errors > 0 || v.fatal > 0 {
            failed.push(format!("{}:\n{text}", case.tag));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        failed.is_empty(),
        "Google's validator found errors:\n{}",
        failed.join("\n")
    );
}

/// Every object Google's rules want a stable id on has exactly one, they are unique, in the
/// validator's alphabet, and the same in two exports at different positions.
#[test]
fn every_object_has_one_stable_id() {
    for case in cases() {
        let (run, google, _) = export_case(&case);
        let text = String::from_utf8(google.clone()).unwrap();
        let doc = roxmltree::Document::parse(&text)
            .unwrap_or_else(|e| panic!("{}: not XML: {e}", case.tag));
        let needs = [
            "Candidate",
            "Party",
            "Person",
            "Election",
            "ReportingUnit",
            "CandidateContest",
            "BallotMeasureContest",
            "PartyContest",
            "BallotMeasureSelection",
        ];
        let xsi = "http://www.w3.org/2001/XMLSchema-instance";
        let mut seen = std::collections::HashSet::new();
        for n in doc.descendants().filter(|n| n.is_element()) {
            let class = n.attribute((xsi, "type")).unwrap_or(n.tag_name().name());
            if !needs.contains(&class) {
                continue;
            }
            let stable: Vec<&str> = n
                .children()
                .filter(|c| c.has_tag_name("ExternalIdentifiers"))
                .flat_map(|e| {
                    e.children()
                        .filter(|c| c.has_tag_name("ExternalIdentifier"))
                })
                .filter(|e| {
                    e.children()
                        .any(|c| c.has_tag_name("OtherType") && c.text() == Some("stable"))
                })
                .filter_map(|e| {
                    e.children()
                        .find(|c| c.has_tag_name("Value"))
                        .and_then(|v| v.text())
                })
                .collect();
            assert_eq!(
                stable.len(),
                1,
                "{}: {class} {:?}",
                case.tag,
                n.attribute("objectId")
            );
            let s = stable[0];
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
                "{}: {s}",
                case.tag
            );
            assert!(
                seen.insert(s.to_string()),
                "{}: stable id {s} twice",
                case.tag
            );
        }
        assert!(!seen.is_empty(), "{}", case.tag);
        // Another position: the same stable ids (they come from the definition alone).
        let later = skytale_tally::LogPosition {
            tree_size: 99,
            root_hash: "BBBB".into(),
            published_at: Some("2026-01-02T00:00:00Z".into()),
        };
        let contests = export::tally_contests(&run.tally, &later);
        let again = String::from_utf8(export::cdf_xml_google(&run.def, &contests, &later)).unwrap();
        for s in &seen {
            assert!(
                again.contains(&format!("<Value>{s}</Value>")),
                "{}: {s}",
                case.tag
            );
        }
    }
}

/// The OCD-IDs of a file's units: `(objectId, ocd-id)` of every GpUnit that has one.
fn ocd_ids(xml: &[u8]) -> Vec<(String, String)> {
    let text = std::str::from_utf8(xml).unwrap();
    let doc = roxmltree::Document::parse(text).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("GpUnit"))
        .filter_map(|n| {
            let ocd = n
                .descendants()
                .filter(|e| e.has_tag_name("ExternalIdentifier"))
                .find(|e| {
                    e.children()
                        .any(|c| c.has_tag_name("Type") && c.text() == Some("ocd-id"))
                })?
                .children()
                .find(|c| c.has_tag_name("Value"))?
                .text()?
                .to_string();
            Some((n.attribute("objectId")?.to_string(), ocd))
        })
        .collect()
}

/// The units' OCD-IDs: GA's 159 counties from the statewide Clarity file (under the state and
/// the country, the document's one root), a county file's county in the one state that has a
/// county of that name, none for NIST's made-up test county; every id is in the table.
#[test]
fn ocd_ids_are_derived_where_unambiguous() {
    let table = String::from_utf8(read("ocd/us-states-counties.csv")).unwrap();
    let known: std::collections::HashSet<&str> = table
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    let by_tag = |tag: &str| {
        let case = cases().into_iter().find(|c| c.tag == tag).unwrap();
        export_case(&case).1.clone()
    };

    let ga = by_tag("clarity-ga-2020");
    let ids = ocd_ids(&ga);
    let counties = ids
        .iter()
        .filter(|(_, o)| o.starts_with("ocd-division/country:us/state:ga/county:"))
        .count();
    assert_eq!(counties, 159, "{ids:?}");
    assert!(ids
        .iter()
        .any(|(_, o)| o == "ocd-division/country:us/state:ga/county:ben_hill"));
    assert!(ids
        .iter()
        .any(|(_, o)| o == "ocd-division/country:us/state:ga"));
    assert!(ids.iter().any(|(_, o)| o == "ocd-division/country:us"));
    for (_, o) in &ids {
        assert!(known.contains(o.as_str()), "{o} is not in the table");
    }
    // One root, and it is the country.
    let text = String::from_utf8(ga).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let units: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("GpUnit"))
        .collect();
    let composed: std::collections::HashSet<&str> = units
        .iter()
        .filter_map(|n| n.children().find(|c| c.has_tag_name("ComposingGpUnitIds")))
        .filter_map(|c| c.text())
        .flat_map(str::split_whitespace)
        .collect();
    let tree_roots: Vec<&str> = units
        .iter()
        .filter(|n| {
            n.children()
                .find(|c| c.has_tag_name("OtherType"))
                .and_then(|c| c.text())
                != Some("contest-area")
        })
        .filter_map(|n| n.attribute("objectId"))
        .filter(|id| !composed.contains(id))
        .collect();
    let country = ids
        .iter()
        .find(|(_, o)| o == "ocd-division/country:us")
        .map(|(id, _)| id.as_str());
    assert_eq!(tree_roots, country.into_iter().collect::<Vec<_>>());

    // A county file: Atkinson County, Georgia, found by its name alone.
    let atkinson = ocd_ids(&by_tag("clarity-ga-atkinson-2020"));
    assert!(
        atkinson
            .iter()
            .any(|(_, o)| o == "ocd-division/country:us/state:ga/county:atkinson"),
        "{atkinson:?}"
    );
    // CSV without a state column: Centre County is Pennsylvania's only; a Clinton County is
    // in Kentucky and in Pennsylvania, so a file of Clinton alone gets no OCD-ID.
    let centre = ocd_ids(&by_tag("csv-pa-2020-centre"));
    assert!(
        centre
            .iter()
            .any(|(_, o)| o == "ocd-division/country:us/state:pa/county:centre"),
        "{centre:?}"
    );
    let clinton = ocd_ids(&by_tag("csv-pa-2020-clinton"));
    assert!(clinton.is_empty(), "{clinton:?}");
    // NIST's test county is in no table: no OCD-ID is made up for it.
    assert!(ocd_ids(&by_tag("nist-prim-02")).is_empty());
}

/// A definition's own `ocd_id` wins over a derived one and is checked for its shape.
#[test]
fn a_stated_ocd_id_is_used_and_a_bad_one_refused() {
    let case = cases()
        .into_iter()
        .find(|c| c.tag == "clarity-ga-bacon-2020")
        .unwrap();
    let (run, _, _) = export_case(&case);
    let mut d = run.def.definition().clone();
    let root = run.def.root();
    d.units[root].ocd_id = Some("ocd-division/country:us/state:ga/county:bacon".into());
    for u in d.units.iter_mut().skip(1).take(1) {
        u.ocd_id = Some("ocd-division/country:us/state:ga/county:bacon/precinct:1".into());
    }
    let def = std::sync::Arc::new(d.clone().validate().unwrap());
    let contests = export::tally_contests(&Tally::new(def.clone()), &pos());
    let ids = ocd_ids(&export::cdf_xml_google(&def, &contests, &pos()));
    assert!(ids
        .iter()
        .any(|(_, o)| o == "ocd-division/country:us/state:ga/county:bacon/precinct:1"));
    for bad in [
        "ocd-division/country:US",
        "ocd-division/state:ga",
        "ocd-division/country:us/county:Fulton",
        "ocd/country:us",
        "ocd-division/country:us/state:",
    ] {
        let mut d2 = d.clone();
        d2.units[root].ocd_id = Some(bad.into());
        let err = d2.validate().expect_err(bad).to_string();
        assert!(
            err.contains("ocd_id") && err.contains("is not an OCD-ID"),
            "{bad}: {err}"
        );
    }
}

/// `(selection objectId, unit objectId, count type, count)` of every `VoteCounts` of a report
/// on a unit of the definition (not on a contest's district), sorted.
fn unit_counts(xml: &[u8]) -> Vec<(String, String, String, u64)> {
    let text = std::str::from_utf8(xml).unwrap();
    let doc = roxmltree::Document::parse(text).unwrap();
    let child = |n: roxmltree::Node, name: &str| {
        n.children()
            .find(|c| c.has_tag_name(name))
            .and_then(|c| c.text())
            .unwrap_or_default()
            .to_string()
    };
    let mut v: Vec<(String, String, String, u64)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("VoteCounts"))
        .filter_map(|vc| {
            let sel = vc.ancestors().find(|a| {
                a.has_tag_name("ContestSelection") || a.has_tag_name("BallotSelection")
            })?;
            let unit = child(vc, "GpUnitId");
            let t = child(vc, "Type");
            if unit.starts_with("area-") || t == "seats" || t == "other" {
                return None;
            }
            let sel = sel.attribute("ObjectId").or(sel.attribute("objectId"))?;
            let n = child(vc, "Count").parse().ok()?;
            Some((sel.to_string(), unit, t, n))
        })
        .collect();
    v.sort();
    v
}

/// The google profile is the plain NIST v2 report in another form, not another report: every
/// count on a unit is in both, under the same ids. (The plain one is checked against NIST's
/// schema in export.rs; the google one cannot be, it has no namespace.)
#[test]
fn google_profile_carries_the_plain_reports_counts() {
    for case in cases() {
        let (_, google, plain) = export_case(&case);
        let (google, plain) = (google.clone(), plain.clone());
        let (g, p) = (unit_counts(&google), unit_counts(&plain));
        assert!(!p.is_empty(), "{}", case.tag);
        assert_eq!(g.len(), p.len(), "{}", case.tag);
        assert!(g == p, "{}: the counts differ", case.tag);
    }
}

/// A contest over all the children of a unit has that unit as its district; contests over the
/// same other set of units share one district unit (the validator refuses two units of the
/// same parts), which sits beside the tree, not in it.
#[test]
fn districts_are_units_or_shared_areas() {
    let (a, r) = keys();
    let mut t = format!(
        "id = \"d-2024\"\nname = {{ en = \"D\" }}\ndate = \"2024-11-05\"\ndefault_language = \"en\"\nlanguages = [\"en\"]\nauthority_key = \"{a}\"\n\
         [[units]]\nid = \"top\"\nname = {{ en = \"Top\" }}\n"
    );
    for u in ["n", "s", "x"] {
        t += &format!("[[units]]\nid = \"{u}\"\nparent = \"top\"\nname = {{ en = \"{u}\" }}\n");
    }
    for (c, area) in [
        ("all", "[\"n\", \"s\", \"x\"]"),
        ("ns1", "[\"n\", \"s\"]"),
        ("ns2", "[\"s\", \"n\"]"),
        ("nx", "[\"n\", \"x\"]"),
    ] {
        t += &format!(
            "[[contests]]\nid = \"{c}\"\nname = {{ en = \"Contest {c}\" }}\nkind = \"candidate\"\narea = {area}\n\
             [[contests.selections]]\nid = \"ann\"\nname = {{ en = \"Ann\" }}\n"
        );
    }
    t += &format!("[[reporters]]\nname = \"R\"\nkey = \"{r}\"\nscope = [\"top\"]\n");
    let def = std::sync::Arc::new(
        skytale_model::Definition::parse(&t, skytale_model::DefinitionFormat::Toml)
            .unwrap()
            .validate()
            .unwrap(),
    );
    let contests = export::tally_contests(&Tally::new(def.clone()), &pos());
    let xml = String::from_utf8(export::cdf_xml_google(&def, &contests, &pos())).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let district = |c: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("Contest") && n.attribute("objectId") == Some(c))
            .and_then(|n| n.children().find(|k| k.has_tag_name("ElectoralDistrictId")))
            .and_then(|k| k.text())
            .unwrap()
            .to_string()
    };
    assert_eq!(district("all"), "top");
    assert_eq!(district("ns1"), district("ns2"));
    assert_ne!(district("ns1"), district("nx"));
    let units: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("GpUnit"))
        .filter_map(|n| n.attribute("objectId"))
        .collect();
    assert_eq!(units, ["top", "n", "s", "x", "area-ns1", "area-nx"]);
}
