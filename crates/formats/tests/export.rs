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

/// A statement's time is the publication's (`submit` writes nanoseconds, a reporter's clock may
/// write an offset or lower-case letters); the report's `GeneratedDate` is the same instant as
/// NIST's `DateTimeWithZone` allows it (no fraction, an offset within ±14:00): UTC, whole
/// seconds. Both exports validate against NIST's XSD and JSON schema.
#[test]
fn generated_date_is_valid_for_the_schema_whatever_the_statement_wrote() {
    let bytes = read("nist-1500-100/cdf-test-method/err-gen-03.json");
    for (tag, submitted_at, want) in [
        (
            "nanos",
            "2026-12-06T21:17:23.535534872Z",
            "2026-12-06T21:17:23Z",
        ),
        (
            "offset",
            "2026-12-06T23:17:23+02:00",
            "2026-12-06T21:17:23Z",
        ),
        (
            "far-offset",
            "2026-12-06T05:17:23.5-16:00",
            "2026-12-06T21:17:23Z",
        ),
        ("lower", "2026-12-06t21:17:23.1z", "2026-12-06T21:17:23Z"),
    ] {
        let def = std::sync::Arc::new(
            derive(Format::NistJson, &bytes, "gen-03")
                .validate()
                .unwrap(),
        );
        let mut o = opts("gen-03", None);
        o.submitted_at = submitted_at;
        let statements = import_results(Format::NistJson, &bytes, &def, &o).unwrap();
        assert_eq!(statements[0].submitted_at, submitted_at);
        let mut tally = Tally::new(def.clone());
        for st in &statements {
            tally.apply(st);
        }
        let at = skytale_tally::LogPosition {
            published_at: Some(statements[0].submitted_at.clone()),
            ..pos()
        };
        let contests = export::tally_contests(&tally, &at);
        let xml = export::cdf_xml(&def, &contests, &at);
        validate_xml(&xml, &format!("time-{tag}"));
        let text = String::from_utf8(xml).unwrap();
        assert!(
            text.contains(&format!("<GeneratedDate>{want}</GeneratedDate>")),
            "{tag}"
        );
        let json = export::cdf_json(&def, &contests, &at);
        validate_json(&json);
        let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(doc["GeneratedDate"], want, "{tag}");
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

/// The German EP 2019 lists (`seats/de_ep2019.csv`: votes and the officially published seats,
/// Sainte-Laguë, 96 seats) as a definition with two party-list contests: `ep` over the nation
/// (one unit) and `ep-split` over its two halves (an area of several units). The votes are
/// split between the halves, so both contests total the real votes.
fn ep_germany() -> (Run, Vec<(String, u64, u32)>) {
    let text = String::from_utf8(read("seats/de_ep2019.csv")).unwrap();
    let rows: Vec<(String, u64, u32)> = text
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[1].to_string(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 32, "de_ep2019.csv has 32 lists");
    let (a, r) = keys();
    let mut t = format!(
        "id = \"ep-2019\"\nname = {{ en = \"EP 2019\" }}\ndate = \"2019-05-26\"\ndefault_language = \"en\"\nlanguages = [\"en\"]\nauthority_key = \"{a}\"\n\
         [[units]]\nid = \"de\"\nname = {{ en = \"Germany\" }}\nlevel = \"country\"\n\
         [[units]]\nid = \"de-n\"\nparent = \"de\"\nname = {{ en = \"North\" }}\n\
         [[units]]\nid = \"de-s\"\nparent = \"de\"\nname = {{ en = \"South\" }}\n"
    );
    for (i, (name, _, _)) in rows.iter().enumerate() {
        t += &format!("[[parties]]\nid = \"p{i}\"\nname = {{ en = \"{name}\" }}\n");
    }
    for (cid, area) in [("ep", "[\"de\"]"), ("ep-split", "[\"de-n\", \"de-s\"]")] {
        t += &format!("[[contests]]\nid = \"{cid}\"\nname = {{ en = \"European Parliament ({cid})\" }}\nkind = \"party_list\"\narea = {area}\nseats = {{ method = \"sainte-lague\", seats = 96 }}\n");
        for (i, (name, _, _)) in rows.iter().enumerate() {
            t += &format!("[[contests.selections]]\nid = \"l{i}\"\nname = {{ en = \"{name}\" }}\nparty = \"p{i}\"\n");
        }
    }
    t +=
        &format!("[[reporters]]\nname = \"Bundeswahlleiterin\"\nkey = \"{r}\"\nscope = [\"de\"]\n");
    let def = std::sync::Arc::new(
        skytale_model::Definition::parse(&t, skytale_model::DefinitionFormat::Toml)
            .unwrap()
            .validate()
            .unwrap(),
    );
    let mut tally = Tally::new(def.clone());
    let mut statements = Vec::new();
    for (unit, half) in [("de-n", 0), ("de-s", 1)] {
        let part = |v: u64| if half == 0 { v / 2 } else { v - v / 2 };
        let sels: Vec<String> = rows
            .iter()
            .enumerate()
            .map(|(i, (_, v, _))| format!("\"l{i}\":{{\"total\":{}}}", part(*v)))
            .collect();
        let ballots: u64 = rows.iter().map(|(_, v, _)| part(*v)).sum();
        let contests: Vec<String> = ["ep", "ep-split"]
            .iter()
            .map(|c| {
                format!(
                    "{{\"contest\":\"{c}\",\"ballots\":{ballots},\"selections\":{{{}}}}}",
                    sels.join(",")
                )
            })
            .collect();
        let json = format!(
            "{{\"type\":\"results\",\"election\":\"ep-2019\",\"unit\":\"{unit}\",\"version\":1,\"status\":\"complete\",\"submitted_at\":\"2019-05-27T00:00:00Z\",\"contests\":[{}]}}",
            contests.join(",")
        );
        match skytale_model::Statement::parse(&json).unwrap() {
            skytale_model::Statement::Results(s) => {
                tally.apply(&s);
                statements.push(s);
            }
            _ => panic!("not a results statement"),
        }
    }
    (
        Run {
            def,
            statements,
            tally,
        },
        rows,
    )
}

/// Seats are in the CSV (a `seats` column) and in both CDF forms (`VoteCounts` of type
/// `seats`), equal to the officially published German EP 2019 seats, and the CDF stays valid
/// against NIST's JSON schema and XSD; the CDF import still reads the same votes back.
#[test]
fn seats_are_in_the_csv_and_cdf_exports() {
    let (r, rows) = ep_germany();
    let contests = all_contests(&r);
    let want: Vec<u32> = rows.iter().map(|x| x.2).collect();
    assert_eq!(want.iter().sum::<u32>(), 96);

    // CSV: the single-unit contest carries seats on the nation's rows only.
    let ep = &contests[0];
    let csv_text = String::from_utf8(export::contest_csv(&r.def, ep)).unwrap();
    let mut rd = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header.last().map(String::as_str),
        Some("seats"),
        "{header:?}"
    );
    let col = |h: &str| header.iter().position(|x| x == h).unwrap();
    let (unit, sel, seats) = (col("unit"), col("selection"), col("seats"));
    let recs: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    let nation: Vec<u32> = (0..rows.len())
        .map(|i| {
            let rec = recs
                .iter()
                .find(|x| &x[unit] == "de" && x[sel] == format!("l{i}"))
                .unwrap();
            rec[seats].parse().unwrap()
        })
        .collect();
    assert_eq!(nation, want, "CSV seats of the nation");
    assert!(
        recs.iter()
            .filter(|x| &x[unit] != "de")
            .all(|x| x[seats].is_empty()),
        "seats are never shown per unit below the contest"
    );
    // The multi-unit contest gets total rows that carry the seats.
    let split = String::from_utf8(export::contest_csv(&r.def, &contests[1])).unwrap();
    let mut rd = csv::Reader::from_reader(split.as_bytes());
    let got: Vec<u32> = rd
        .records()
        .map(Result::unwrap)
        .filter(|x| &x[unit] == "area-ep-split")
        .map(|x| x[seats].parse().unwrap())
        .collect();
    assert_eq!(got, want, "CSV seats of the multi-unit contest");
    // A candidate contest has no seats column.
    let mayor = run(
        Format::Csv,
        b"county,precinct,office,district,party,candidate,votes\nX,P1,Mayor,,D,Ann,1\n",
        "x-2024-01-01",
    );
    let cand =
        String::from_utf8(export::contest_csv(&mayor.def, &all_contests(&mayor)[0])).unwrap();
    assert!(!cand.lines().next().unwrap().contains("seats"), "{cand}");

    // CDF JSON: one `seats` VoteCounts per selection, on the contest's district.
    let json = export::cdf_json(&r.def, &contests, &pos());
    validate_json(&json);
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    for (ci, district) in [(0, "de"), (1, "area-ep-split")] {
        let c = &v["Election"][0]["Contest"][ci];
        assert_eq!(c["@type"], "ElectionResults.PartyContest");
        assert_eq!(c["ElectionDistrictId"], district);
        let got: Vec<u64> = c["ContestSelection"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let seats: Vec<&serde_json::Value> = s["VoteCounts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|vc| vc["Type"] == "seats")
                    .collect();
                assert_eq!(seats.len(), 1, "{s}");
                assert_eq!(seats[0]["GpUnitId"], district);
                seats[0]["Count"].as_u64().unwrap()
            })
            .collect();
        let want64: Vec<u64> = want.iter().map(|&x| u64::from(x)).collect();
        assert_eq!(got, want64, "CDF JSON seats of contest {ci}");
    }

    // CDF XML: valid, with 2 × 32 seats counts equal to the published seats.
    let xml = export::cdf_xml(&r.def, &contests, &pos());
    validate_xml(&xml, "seats");
    let x = String::from_utf8(xml.clone()).unwrap();
    let got: Vec<u32> = x
        .split("<Type>seats</Type>")
        .skip(1)
        .map(|rest| {
            let c = rest.split("<Count>").nth(1).unwrap();
            c[..c.find('<').unwrap()].parse().unwrap()
        })
        .collect();
    assert_eq!(got, [want.clone(), want].concat(), "CDF XML seats");

    // Importing the exports reads the same votes (seats are not votes), also for the contest
    // over several units, whose seats sit on its composed district.
    let json = export::cdf_json(&r.def, &contests, &pos());
    let xml = export::cdf_xml(&r.def, &contests, &pos());
    let t0 = totals(&r.def, &r.tally);
    assert!(
        t0.iter().any(|x| x.0 == "ep-split"),
        "both contests are compared"
    );
    for (fmt, out) in [(Format::NistJson, json), (Format::NistXml, xml)] {
        let st = import_results(fmt, &out, &r.def, &opts("ep-2019", None))
            .unwrap_or_else(|e| panic!("{fmt}: {e}"));
        let mut t = Tally::new(r.def.clone());
        st.iter().for_each(|s| t.apply(s));
        assert_eq!(totals(&r.def, &t), t0, "{fmt} round trip");
    }
}

/// Before any vote is counted the seats column is there and empty, and the CDF has no seats.
#[test]
fn no_seats_before_votes() {
    let (r, _) = ep_germany();
    let empty = Tally::new(r.def.clone());
    let c = empty
        .contest_document("ep", &pos())
        .unwrap()
        .contests
        .remove(0);
    let csv_text = String::from_utf8(export::contest_csv(&r.def, &c)).unwrap();
    assert!(csv_text.lines().next().unwrap().ends_with(",seats"));
    assert!(
        csv_text.lines().skip(1).all(|l| l.ends_with(',')),
        "{csv_text}"
    );
    let json = export::cdf_json(&r.def, std::slice::from_ref(&c), &pos());
    validate_json(&json);
    assert!(!String::from_utf8(json).unwrap().contains("\"seats\""));
}

/// A ranked-choice contest (Minneapolis 2013 mayor, its real CVR as `cvr` batches): the CDF
/// exports validate, mark the contest `rcv` with the seats it fills, and carry the final
/// round's totals; the rounds CSV has every round and the transfers.
#[test]
fn ranked_choice_exports() {
    let k = skytale_testkit::keys();
    let (def, cfg) = skytale_testkit::minneapolis_definition(&k);
    let batches = skytale_testkit::minneapolis_cvr(&def, &cfg);
    let valid = std::sync::Arc::new(def.validate().unwrap());
    let mut t = Tally::new(valid.clone());
    for b in &batches {
        t.apply_cvr(b);
    }
    let contests: Vec<ContestResult> = t.contest_document("mayor", &pos()).unwrap().contests;
    let json = export::cdf_json(&valid, &contests, &pos());
    validate_json(&json);
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let c = &v["Election"][0]["Contest"][0];
    assert_eq!(c["VoteVariation"], "rcv");
    assert_eq!(c["NumberElected"], 1);
    let text = String::from_utf8(json.clone()).unwrap();
    assert!(
        text.contains("38852") && text.contains("24942"),
        "final round"
    );
    validate_xml(&export::cdf_xml(&valid, &contests, &pos()), "rcv");
    let csv = String::from_utf8(export::rounds_csv(&valid, &contests[0]).unwrap()).unwrap();
    assert!(csv.starts_with("pass,round,kind,from,id,name,value,outcome\n"));
    assert!(
        csv.contains("1,33,candidate,,betsy-hodges,BETSY HODGES,38852,elected\n"),
        "{csv}"
    );
    assert!(
        csv.contains("1,1,transfer,uwi,betsy-hodges,BETSY HODGES,21,\n"),
        "{csv}"
    );
    assert!(csv.contains("1,33,threshold,,,,31898,\n"));
    assert_eq!(csv.matches(",threshold,").count(), 33);
}

/// What a statement says, without where it came from: the unit and, contest by contest, every
/// count (selections by count type, ballots, blank, invalid, over- and undervotes). A count of
/// 0 and a count not given say the same to the tally (an export writes a reported unit's
/// selections with 0 votes, a source may leave them out), so zeros are left out here.
fn said(statements: &[skytale_model::ResultsStatement]) -> Vec<(String, String)> {
    let nonzero = |c: Option<skytale_model::Count>| c.filter(|c| c.get() > 0);
    let mut v: Vec<(String, String)> = statements
        .iter()
        .flat_map(|s| {
            s.contests.iter().map(move |c| {
                let mut c = c.clone();
                c.selections
                    .retain(|_, by| by.values().any(|n| n.get() > 0));
                for by in c.selections.values_mut() {
                    let zeros: Vec<_> = by
                        .iter()
                        .filter(|(_, n)| n.get() == 0)
                        .map(|(t, _)| *t)
                        .collect();
                    for t in zeros {
                        by.remove(&t);
                    }
                }
                c.ballots = nonzero(c.ballots);
                c.blank = nonzero(c.blank);
                c.invalid = nonzero(c.invalid);
                c.overvotes = nonzero(c.overvotes);
                c.undervotes = nonzero(c.undervotes);
                (s.unit.clone(), format!("{c:?}"))
            })
        })
        .collect();
    v.sort();
    v
}

/// Stricter than the totals: import → tally → export (CDF JSON and XML) → re-import into the
/// same definition gives the same statements, unit by unit and contest by contest, for every
/// importer whose file a definition can be derived from. A count the export drops (ballots,
/// a count type, a unit without votes) fails here even when the totals still agree.
#[test]
fn round_trip_gives_the_same_statements_unit_by_unit() {
    for (tag, f, bytes) in cases() {
        let r = run(f, &bytes, "rt-2024-01-01");
        let want = said(&r.statements);
        assert!(!want.is_empty(), "{tag}: nothing imported");
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
            let got = said(&st);
            let missing: Vec<_> = want.iter().filter(|x| !got.contains(x)).take(3).collect();
            let extra: Vec<_> = got.iter().filter(|x| !want.contains(x)).take(3).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{tag} via {fmt}: {} contest reports imported, {} after the round trip; \
                 lost {missing:#?}; gained {extra:#?}",
                want.len(),
                got.len()
            );
        }
    }
}

/// A NIST report's counts at a unit that are its subunits' sum are a roll-up (left out, as the
/// round trip above shows); counts that differ are the unit's own report and are kept.
#[test]
fn a_units_counts_that_differ_from_its_subunits_sum_are_its_own_report() {
    let (_, f, bytes) = cases().into_iter().next().unwrap();
    let r = run(f, &bytes, "rt-2024-01-01");
    let out = export::cdf_json(&r.def, &all_contests(&r), &pos());
    let mut doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let election = &mut doc["Election"][0];
    let scope = election["ElectionScopeId"].as_str().unwrap().to_string();
    let root = r.def.units()[r.def.root()].id.clone();
    let mut bumped = None;
    'found: for c in election["Contest"].as_array_mut().unwrap() {
        let contest = c["@id"].as_str().unwrap().to_string();
        for s in c["ContestSelection"].as_array_mut().unwrap() {
            for vc in s["VoteCounts"].as_array_mut().into_iter().flatten() {
                if vc["GpUnitId"] == scope.as_str() && vc["Count"].as_u64() > Some(0) {
                    vc["Count"] = (vc["Count"].as_u64().unwrap() + 5).into();
                    bumped = Some(contest);
                    break 'found;
                }
            }
        }
    }
    let bumped = bumped.expect("the export gives the root's counts");
    let bytes = serde_json::to_vec(&doc).unwrap();
    let st = import_results(
        Format::NistJson,
        &bytes,
        &r.def,
        &opts("rt-2024-01-01", None),
    )
    .unwrap();
    let own: Vec<&str> = st
        .iter()
        .filter(|s| s.unit == root)
        .flat_map(|s| s.contests.iter().map(|c| c.contest.as_str()))
        .collect();
    assert_eq!(
        own,
        [bumped.as_str()],
        "only the contest whose root counts differ"
    );
}
