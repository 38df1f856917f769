//! NIST SP 1500-100 v2 examples: JSON and XML twins give the same definition and totals.

mod common;
use common::*;
use skytale_formats::Format;

const RESULTS: &[&str] = &[
    "err-gen-01",
    "err-gen-02",
    "err-gen-03",
    "err-prim-01",
    "err-prim-02",
    "err-prim-03",
    "err-2022-09-06-Massachusetts-Cambridge",
];

#[test]
fn every_results_file_json_and_xml_agree_with_facts() {
    let facts: serde_json::Value =
        serde_json::from_slice(&read("nist-1500-100/facts.json")).unwrap();
    for name in RESULTS {
        let mut sums = Vec::new();
        for (ext, fmt) in [("json", Format::NistJson), ("xml", Format::NistXml)] {
            let bytes = read(&format!("nist-1500-100/cdf-test-method/{name}.{ext}"));
            let r = run(fmt, &bytes, "cdf-test");
            let f = &facts[format!("{name}.{ext}")];
            assert_eq!(
                r.def.contests().len() as u64,
                f["n_contests"].as_u64().unwrap(),
                "{name}.{ext}"
            );
            let sels: usize = r.def.contests().iter().map(|c| c.selections.len()).sum();
            assert_eq!(
                sels as u64,
                f["n_contest_selections"].as_u64().unwrap(),
                "{name}.{ext}"
            );
            let first = &f["first_contest"];
            let cid = first["ObjectId"].as_str().unwrap();
            assert_eq!(r.def.contests()[0].id, cid, "ObjectIds are kept");
            let doc = r.tally.contest_document(cid, &pos()).unwrap();
            let c = &doc.contests[0];
            let mut got = Vec::new();
            for s in first["selections"].as_array().unwrap() {
                let sid = s["ObjectId"].as_str().unwrap();
                let sel = c
                    .selections
                    .iter()
                    .find(|x| x.id == sid)
                    .unwrap_or_else(|| panic!("{name}: selection {sid}"));
                got.push(sel.votes);
                // Where the file has a count at the contest's district, the tally shows it;
                // otherwise the district total is the sum of the precinct counts.
                if let Some(n) = s["counts_at_ElectionDistrict_by_type"].get("total") {
                    assert_eq!(sel.votes, n.as_f64().unwrap() as u64, "{name}.{ext} {sid}");
                } else {
                    assert_eq!(
                        sel.votes,
                        s["sum_all_votecounts"].as_f64().unwrap() as u64,
                        "{name}.{ext} {sid}"
                    );
                }
            }
            sums.push(got);
        }
        assert_eq!(sums[0], sums[1], "{name}: JSON and XML twins differ");
    }
}

#[test]
fn cambridge_trailing_space_object_ids_are_trimmed() {
    let r = run(
        Format::NistXml,
        &read("nist-1500-100/cdf-test-method/err-2022-09-06-Massachusetts-Cambridge.xml"),
        "cambridge",
    );
    assert!(r.def.unit_index("prec-1-1").is_some());
    assert!(r.def.units().iter().all(|u| u.id.trim() == u.id));
    let d = r.doc();
    let g = d
        .contests
        .iter()
        .find(|c| c.id == "cc-dem-governor-statewide")
        .unwrap();
    let v = |id: &str| g.selections.iter().find(|s| s.id == id).unwrap().votes;
    assert_eq!(
        (
            v("cs-s-rosa-chang-diaz"),
            v("cs-m-healey"),
            v("cs-dem-governor-statewide-wi")
        ),
        (2338, 13184, 14)
    );
    // Districts (congressional, state house, polling places) are areas, not units.
    assert_eq!(r.def.children(r.def.root()).len(), 42);
}

#[test]
fn pre_election_reports_derive_definitions() {
    for name in [
        "pe-err-gen-01",
        "pe-err-gen-02",
        "pe-err-gen-03",
        "pe-err-prim-01",
        "pe-err-prim-02",
        "pe-err-prim-03",
    ] {
        for (ext, fmt) in [("json", Format::NistJson), ("xml", Format::NistXml)] {
            let bytes = read(&format!("nist-1500-100/cdf-test-method/{name}.{ext}"));
            let def = derive(fmt, &bytes, "pe")
                .validate()
                .unwrap_or_else(|e| panic!("{name}.{ext}: {e:?}"));
            assert!(!def.contests().is_empty());
            let st = skytale_formats::import_results(fmt, &bytes, &def, &opts("pe", None)).unwrap();
            assert!(st.is_empty(), "a pre-election report has no counts");
        }
    }
}
