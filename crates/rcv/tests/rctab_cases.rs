//! Data-driven parity test: every RCTab test case in `testdata/rcv` is run from its config
//! file unchanged and compared with RCTab's expected detailed report, round by round: tally,
//! elected/eliminated with transfers, inactive ballots and threshold, exactly (as decimals).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rust_decimal::Decimal;
use skytale_rcv::report::DetailedReport;
use skytale_rcv::session::run_config_file;

const REPO_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/rcv");

/// The case folder: the repository's copy (`testdata/rcv`), or `RCV_CASES_DIR` to run another
/// copy of RCTab's `test_data` (e.g. upstream's full set) through the same comparison.
fn data() -> String {
    std::env::var("RCV_CASES_DIR").unwrap_or_else(|_| REPO_DATA.to_string())
}

/// Folders that hold support files, not cases.
const NOT_CASES: &[&str] = &["_shared", "unisyn_cvrs", "docs"];

/// Cases RCTab expects to fail, with a fragment of the error we must give.
const EXPECTED_ERRORS: &[(&str, &str)] = &[("max_ranking_enforcement", "max ranking")];

/// Cases without an expected tabulation report (conversion-only upstream): they must read and
/// tabulate without error.
const NO_REPORT: &[&str] = &["conversions_from_dominion"];

/// Cases that do not pass yet, with the reason. The test fails if one of these passes (so the
/// list only shrinks) or if any other case fails.
const KNOWN_FAILING: &[(&str, &str)] = &[];

fn cases() -> Vec<String> {
    let root = data();
    let dir = Path::new(&root);
    assert!(dir.is_dir(), "test data folder {root} is missing");
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !NOT_CASES.contains(&n.as_str()))
        .collect();
    out.sort();
    out
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|_| panic!("not a decimal: {s}"))
}

fn cmp_maps(
    what: &str,
    exp: &BTreeMap<String, String>,
    got: &BTreeMap<String, String>,
) -> Result<(), String> {
    for (k, v) in exp {
        match got.get(k) {
            Some(g) if dec(g) == dec(v) => {}
            Some(g) => return Err(format!("{what}[{k:?}]: expected {v}, got {g}")),
            None => return Err(format!("{what}[{k:?}]: expected {v}, missing")),
        }
    }
    for (k, g) in got {
        if !exp.contains_key(k) {
            return Err(format!("{what}[{k:?}]: unexpected entry {g}"));
        }
    }
    Ok(())
}

fn compare(exp: &DetailedReport, got: &DetailedReport) -> Result<(), String> {
    for (i, (e, g)) in exp.results.iter().zip(&got.results).enumerate() {
        let r = i + 1;
        cmp_maps(&format!("round {r} tally"), &e.tally, &g.tally)?;
        if dec(&e.threshold) != dec(&g.threshold) {
            return Err(format!(
                "round {r} threshold: expected {}, got {}",
                e.threshold, g.threshold
            ));
        }
        cmp_maps(
            &format!("round {r} inactiveBallots"),
            &e.inactive_ballots,
            &g.inactive_ballots,
        )?;
        let key = |t: &skytale_rcv::report::TallyResult| {
            t.elected
                .clone()
                .map(|n| format!("elected {n}"))
                .or(t.eliminated.clone().map(|n| format!("eliminated {n}")))
        };
        // Order matters too: RCTab lists decisions in the order its HashMaps yield them,
        // which the tabulator reproduces.
        let es: Vec<_> = e.tally_results.iter().collect();
        let gs: Vec<_> = g.tally_results.iter().collect();
        let en: Vec<_> = es.iter().map(|t| key(t)).collect();
        let gn: Vec<_> = gs.iter().map(|t| key(t)).collect();
        if en != gn {
            return Err(format!(
                "round {r} tallyResults: expected {en:?}, got {gn:?}"
            ));
        }
        for (et, gt) in es.iter().zip(&gs) {
            cmp_maps(
                &format!("round {r} {:?} transfers", key(et)),
                &et.transfers,
                &gt.transfers,
            )?;
        }
    }
    if exp.results.len() != got.results.len() {
        return Err(format!(
            "rounds: expected {}, got {}",
            exp.results.len(),
            got.results.len()
        ));
    }
    let (es, gs) = (&exp.summary, &got.summary);
    if dec(&es.total_num_ballots) != dec(&gs.total_num_ballots) {
        return Err(format!(
            "totalNumBallots: expected {}, got {}",
            es.total_num_ballots, gs.total_num_ballots
        ));
    }
    if dec(&es.final_threshold) != dec(&gs.final_threshold) {
        return Err(format!(
            "finalThreshold: expected {}, got {}",
            es.final_threshold, gs.final_threshold
        ));
    }
    if es.undervotes != gs.undervotes
        || es.num_candidates != gs.num_candidates
        || es.num_winners != gs.num_winners
    {
        return Err(format!("summary: expected {es:?}, got {gs:?}"));
    }
    Ok(())
}

fn expected_reports(dir: &Path, stem: &str) -> Vec<PathBuf> {
    let single = dir.join(format!("{stem}_expected_detailed_report.json"));
    if single.is_file() {
        return vec![single];
    }
    (1..)
        .map(|i| dir.join(format!("{stem}_{i}_expected_detailed_report.json")))
        .take_while(|p| p.is_file())
        .collect()
}

fn run_case(name: &str) -> Result<(), String> {
    let dir = Path::new(&data()).join(name);
    let config = dir.join(format!("{name}_config.json"));
    let result = run_config_file(&config, &mut |_| {});
    if let Some((_, frag)) = EXPECTED_ERRORS.iter().find(|(n, _)| *n == name) {
        return match result {
            Err(e) if e.to_string().contains(frag) => Ok(()),
            Err(e) => Err(format!("expected an error containing {frag:?}, got: {e}")),
            Ok(_) => Err("expected an error, tabulation succeeded".into()),
        };
    }
    let (_, passes) = result.map_err(|e| format!("error: {e}"))?;
    if NO_REPORT.contains(&name) {
        return Ok(());
    }
    let expected = expected_reports(&dir, name);
    if expected.is_empty() {
        return Err("no expected report found".into());
    }
    if expected.len() != passes.len() {
        return Err(format!(
            "passes: expected {}, got {}",
            expected.len(),
            passes.len()
        ));
    }
    for (i, (path, pass)) in expected.iter().zip(&passes).enumerate() {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let exp: DetailedReport =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        compare(&exp, &pass.report).map_err(|e| {
            if passes.len() > 1 {
                format!("pass {}: {e}", i + 1)
            } else {
                e
            }
        })?;
    }
    Ok(())
}

#[test]
fn every_rctab_case_matches_expected_report() {
    let cases = cases();
    assert!(
        cases.len() >= 41,
        "expected at least 41 cases, found {}",
        cases.len()
    );
    let mut failing = Vec::new();
    let mut report = String::new();
    for name in &cases {
        match run_case(name) {
            Ok(()) => report.push_str(&format!("PASS {name}\n")),
            Err(e) => {
                report.push_str(&format!("FAIL {name}: {e}\n"));
                failing.push(name.clone());
            }
        }
    }
    let passed = cases.len() - failing.len();
    eprintln!("{report}{passed}/{} RCTab cases pass", cases.len());
    let known: Vec<&str> = KNOWN_FAILING.iter().map(|(n, _)| *n).collect();
    let unexpected: Vec<&String> = failing
        .iter()
        .filter(|n| !known.contains(&n.as_str()))
        .collect();
    let fixed: Vec<&&str> = known
        .iter()
        .filter(|n| !failing.iter().any(|f| f == *n))
        .collect();
    assert!(
        unexpected.is_empty(),
        "cases failing that are not in KNOWN_FAILING: {unexpected:?}"
    );
    assert!(
        fixed.is_empty(),
        "cases in KNOWN_FAILING now pass; remove them: {fixed:?}"
    );
}

/// Our JSON is RCTab's byte for byte (bar `generatedBy`) on cases whose decimal scales agree.
#[test]
fn report_json_is_byte_identical_to_rctab() {
    let mut differing = Vec::new();
    for name in cases() {
        let dir = Path::new(&data()).join(&name);
        let Ok((_, passes)) =
            run_config_file(&dir.join(format!("{name}_config.json")), &mut |_| {})
        else {
            continue;
        };
        for (i, path) in expected_reports(&dir, &name).iter().enumerate() {
            let expected = std::fs::read_to_string(path).unwrap();
            let mut report = passes[i].report.clone();
            let exp: DetailedReport = serde_json::from_str(&expected).unwrap();
            report.config.generated_by = exp.config.generated_by.clone();
            let got = skytale_rcv::report::to_json_string(&report);
            if let Some(line) = got.lines().zip(expected.lines()).position(|(a, b)| a != b) {
                differing.push(format!(
                    "{name}: line {}: got {:?}, expected {:?}",
                    line + 1,
                    got.lines().nth(line),
                    expected.lines().nth(line)
                ));
            } else if got.len() != expected.len() {
                differing.push(format!("{name}: length differs"));
            }
        }
    }
    assert!(differing.is_empty(), "{}", differing.join("\n"));
}
