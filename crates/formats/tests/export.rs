//! Exports: NIST CDF JSON valid against NIST's draft-07 schema, XML valid against NIST's XSD
//! (xmllint; the test FAILS if xmllint is missing), round trips, CSV snapshot.

mod common;
use common::*;
use skytale_formats::{export, import_results, Format};
use skytale_tally::{ContestResult, Tally};

fn all_contests(r: &Run) -> Vec<ContestResult> {
    r.def
        .contests()
        .iter()
        .map(|c| {
            r.tally
                .contest_document(&c.id, &pos())
                .unwrap()
                .contests
                .remove(0)
        })
        .collect()
}

fn totals(def: &skytale_model::ValidDefinition, t: &Tally) -> Vec<(String, String, u64)> {
    let d = t.document(&pos());
    let mut v: Vec<(String, String, u64)> = d
        .contests
        .iter()
        .flat_map(|c| {
            c.selections
                .iter()
                .map(move |s| (c.id.clone(), s.id.clone(), s.votes))
        })
        .collect();
    v.sort();
    let _ = def;
    v
}

fn validate_json(bytes: &[u8]) {
    let schema: serde_json::Value = serde_json::from_slice(&read(
        "nist-1500-100/cdf-test-method/catalog_NIST_V2_election_results_reporting.draft07.json",
    ))
    .unwrap();
    let v = jsonschema::draft7::new(&schema).expect("schema compiles");
    let inst: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    let errs: Vec<String> = v
        .iter_errors(&inst)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errs.is_empty(),
        "CDF JSON does not validate:\n{}",
        errs.join("\n")
    );
}

fn validate_xml(bytes: &[u8], tag: &str) {
    let dir =
        std::env::temp_dir().join(format!("skytale-formats-xsd-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("report.xml");
    std::fs::write(&f, bytes).unwrap();
    let xsd = data("nist-1500-100/NIST_V2_election_results_reporting.xsd");
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&xsd)
        .arg(&f)
        .output()
        .expect("xmllint is required for this test (Debian: apt-get install -y libxml2-utils)");
    assert!(
        out.status.success(),
        "CDF XML does not validate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn cases() -> Vec<(&'static str, Format, Vec<u8>)> {
    vec![
        (
            "cambridge",
            Format::NistJson,
            read("nist-1500-100/cdf-test-method/err-2022-09-06-Massachusetts-Cambridge.json"),
        ),
        (
            "gen01",
            Format::NistXml,
            read("nist-1500-100/cdf-test-method/err-gen-01.xml"),
        ),
        (
            "prim02",
            Format::NistJson,
            read("nist-1500-100/cdf-test-method/err-prim-02.json"),
        ),
        (
            "atkinson",
            Format::ClarityXml,
            read("clarity/elex-clarity__atkinson_precincts_11-3.original.xml"),
        ),
        (
            "runoff",
            Format::Csv,
            read("openelections/ga_2022_general_runoff/20221206__ga__general_runoff__precinct.csv"),
        ),
    ]
}

#[test]
fn cdf_json_validates_against_nist_schema() {
    for (tag, f, bytes) in cases() {
        let r = run(f, &bytes, "ga-2022-12-06");
        let out = export::cdf_json(&r.def, &all_contests(&r), &pos());
        validate_json(&out);
        let _ = tag;
    }
}

#[test]
fn cdf_xml_validates_against_nist_xsd() {
    for (tag, f, bytes) in cases() {
        let r = run(f, &bytes, "ga-2022-12-06");
        let out = export::cdf_xml(&r.def, &all_contests(&r), &pos());
        validate_xml(&out, tag);
    }
}

/// Import a report, tally, export, re-import (into the same definition and via a definition
/// derived from the export): same numbers.
#[test]
fn round_trip_gives_the_same_numbers() {
    for (tag, f, bytes) in cases() {
        let r = run(f, &bytes, "rt-2024-01-01");
        let want = totals(&r.def, &r.tally);
        let contests = all_contests(&r);
        for (fmt, out) in [
            (
                Format::NistJson,
                export::cdf_json(&r.def, &contests, &pos()),
            ),
            (Format::NistXml, export::cdf_xml(&r.def, &contests, &pos())),
        ] {
            let st = import_results(fmt, &out, &r.def, &opts("rt-2024-01-01", None))
                .unwrap_or_else(|e| panic!("{tag} {fmt}: {e}"));
            let mut t = Tally::new(r.def.clone());
            st.iter().for_each(|s| t.apply(s));
            assert_eq!(
                totals(&r.def, &t),
                want,
                "{tag} {fmt} into the same definition"
            );
            let r2 = run(fmt, &out, "rt-2024-01-01");
            let mut got: Vec<u64> = totals(&r2.def, &r2.tally)
                .into_iter()
                .map(|x| x.2)
                .collect();
            let mut w: Vec<u64> = want.iter().map(|x| x.2).collect();
            got.sort();
            w.sort();
            assert_eq!(got, w, "{tag} {fmt} via a derived definition");
        }
    }
}

#[test]
fn csv_export_snapshot_and_formula_safety() {
    let csv = "county,precinct,office,district,party,candidate,votes,election_day,mail\nX,P1,Mayor,,D,=HYPERLINK(\"evil\"),10,6,4\nX,P1,Mayor,,R,Bob,7,7,0\nX,P2,Mayor,,D,=HYPERLINK(\"evil\"),3,1,2\n";
    let r = run(Format::Csv, csv.as_bytes(), "x-2024-01-01");
    let c = r
        .tally
        .contest_document("mayor", &pos())
        .unwrap()
        .contests
        .remove(0);
    let out = String::from_utf8(export::contest_csv(&r.def, &c)).unwrap();
    assert!(!out.contains(",=HYPERLINK"), "{out}");
    insta::assert_snapshot!("contest_csv", out);
    let json =
        String::from_utf8(export::cdf_json(&r.def, std::slice::from_ref(&c), &pos())).unwrap();
    insta::assert_snapshot!("cdf_json_small", json);
    let xml = String::from_utf8(export::cdf_xml(&r.def, &[c], &pos())).unwrap();
    insta::assert_snapshot!("cdf_xml_small", xml);
}
