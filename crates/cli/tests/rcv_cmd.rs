//! The `skytale rcv` subcommand on real RCTab cases: report files and errors.

use std::path::{Path, PathBuf};

use skytale::rcv_cmd::{run, RcvArgs};
use skytale_rcv::report::DetailedReport;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/rcv");

fn case(name: &str) -> PathBuf {
    let p = Path::new(DATA)
        .join(name)
        .join(format!("{name}_config.json"));
    assert!(p.is_file(), "missing test data {}", p.display());
    p
}

#[test]
fn prints_round_table_without_report_json() {
    let out = run(&RcvArgs {
        rctab_config: case("tiebreak_seed_test"),
        report_json: None,
        quiet: true,
    })
    .unwrap();
    assert!(out.contains("Round 1"), "{out}");
    assert!(out.contains("Winner(s): George Gervin"), "{out}");
}

#[test]
fn writes_one_report_per_sequential_pass() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("out.json");
    let out = run(&RcvArgs {
        rctab_config: case("sequential_with_batch"),
        report_json: Some(base),
        quiet: true,
    })
    .unwrap();
    assert!(out.is_empty());
    for i in 1..=3 {
        let got = std::fs::read_to_string(dir.path().join(format!("out_{i}.json"))).unwrap();
        let exp_path = Path::new(DATA).join("sequential_with_batch").join(format!(
            "sequential_with_batch_{i}_expected_detailed_report.json"
        ));
        let exp: DetailedReport =
            serde_json::from_str(&std::fs::read_to_string(exp_path).unwrap()).unwrap();
        let got: DetailedReport = serde_json::from_str(&got).unwrap();
        assert_eq!(got.results, exp.results, "pass {i}");
    }
}

#[test]
fn missing_config_names_the_file() {
    let err = run(&RcvArgs {
        rctab_config: PathBuf::from("/nonexistent/x_config.json"),
        report_json: None,
        quiet: true,
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("/nonexistent/x_config.json"), "{err}");
}

#[test]
fn bad_cvr_row_is_reported_with_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cvr.csv"), "id,A,B\n1,1,2\n2,x,1\n").unwrap();
    std::fs::write(
        dir.path().join("c.json"),
        r#"{"outputSettings": {"contestName": "t"},
            "cvrFileSources": [{"filePath": "cvr.csv", "provider": "genericCsv", "firstVoteColumnIndex": "2", "firstVoteRowIndex": "2"}],
            "candidates": [{"name": "A"}, {"name": "B"}],
            "rules": {"tiebreakMode": "useCandidateOrder", "overvoteRule": "exhaustImmediately",
                      "winnerElectionMode": "singleWinnerMajority", "numberOfWinners": "1",
                      "decimalPlacesForVoteArithmetic": "4", "maxSkippedRanksAllowed": "1", "maxRankingsAllowed": "max"}}"#,
    )
    .unwrap();
    let err = run(&RcvArgs {
        rctab_config: dir.path().join("c.json"),
        report_json: None,
        quiet: true,
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("row 3") && err.contains("column 2") && err.contains("\"x\""),
        "{err}"
    );
}

#[test]
fn unknown_candidate_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cvr.csv"), "id,A,Zed\n1,1,2\n").unwrap();
    std::fs::write(
        dir.path().join("c.json"),
        r#"{"cvrFileSources": [{"filePath": "cvr.csv", "provider": "genericCsv", "firstVoteColumnIndex": "2", "firstVoteRowIndex": "2"}],
            "candidates": [{"name": "A"}, {"name": "B"}],
            "rules": {"tiebreakMode": "useCandidateOrder", "overvoteRule": "exhaustImmediately",
                      "winnerElectionMode": "singleWinnerMajority", "numberOfWinners": 1,
                      "decimalPlacesForVoteArithmetic": 4, "maxSkippedRanksAllowed": 1, "maxRankingsAllowed": "max"}}"#,
    )
    .unwrap();
    let err = run(&RcvArgs {
        rctab_config: dir.path().join("c.json"),
        report_json: None,
        quiet: true,
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("Zed"), "{err}");
}

/// The generic CSV reader's two paths (quote-free fast split, csv crate from the first quote
/// on) and the body's start after the header: a byte-order mark, CRLF or CR line ends, blank
/// lines and quoted cells must not change the result.
#[test]
fn generic_csv_line_ends_bom_and_quotes_do_not_change_the_result() {
    use skytale_rcv::session::run_config_file;
    let src = Path::new(DATA).join("generic_csv_test");
    let config = std::fs::read_to_string(src.join("generic_csv_test_config.json")).unwrap();
    let cvr = std::fs::read_to_string(src.join("generic_csv_test_cvr.csv")).unwrap();
    let tally = |cvr: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("generic_csv_test_config.json"), &config).unwrap();
        std::fs::write(dir.path().join("generic_csv_test_cvr.csv"), cvr).unwrap();
        let (_, passes) = run_config_file(
            &dir.path().join("generic_csv_test_config.json"),
            &mut |_| {},
        )
        .unwrap();
        serde_json::to_string(&passes[0].report.results).unwrap()
    };
    let plain = tally(&cvr);
    let lines: Vec<&str> = cvr.lines().collect();
    let crlf = format!("\u{feff}{}\r\n", lines.join("\r\n"));
    assert_eq!(tally(&crlf), plain, "BOM and CRLF");
    let cr_blank = format!("{}\r\r\n\n", lines.join("\r\n\n"));
    assert_eq!(tally(&cr_blank), plain, "CR and blank lines");
    // Quote every cell of the second half: the csv crate reads from there on.
    let half = lines.len() / 2;
    let quoted: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i < half {
                l.to_string()
            } else {
                l.split(',')
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(",")
            }
        })
        .collect();
    assert_eq!(tally(&quoted.join("\n")), plain, "quoted cells");
}
