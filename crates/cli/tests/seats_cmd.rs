//! The `skytale seats` subcommand on the real data files (insta snapshots) and on bad input.

use std::io::Write as _;

use clap::Parser;
use skytale::seats_cmd::{run, SeatsArgs};
use skytale_seats::SeatsError;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/seats");

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: SeatsArgs,
}

fn parse(args: &[&str]) -> SeatsArgs {
    let mut v = vec!["seats"];
    v.extend_from_slice(args);
    Cmd::try_parse_from(v).unwrap().args
}

fn data(name: &str) -> String {
    let p = format!("{DATA}/{name}");
    assert!(std::path::Path::new(&p).exists(), "missing test data {p}");
    p
}

/// Runs and replaces the machine-specific data path in the output.
fn out(args: &[&str]) -> String {
    run(&parse(args)).unwrap().replace(DATA, "DATA")
}

#[test]
fn germany_ep2019_report() {
    insta::assert_snapshot!(out(&["--method", "sainte-lague", &data("de_ep2019.csv")]));
}

#[test]
fn spain_ep2019_report_and_csv() {
    insta::assert_snapshot!(out(&["--method", "dhondt", &data("es_ep2019.csv")]));
    insta::assert_snapshot!(out(&[
        "--method",
        "dhondt",
        "--seats",
        "59",
        "--csv",
        &data("es_ep2019.csv")
    ]));
}

#[test]
fn spain_ep2019_what_if_threshold_shows_differences() {
    // A what-if: a 5 % threshold of the published 22,426,066 valid votes.
    insta::assert_snapshot!(out(&[
        "--method",
        "dhondt",
        "--threshold",
        "5",
        "--valid-votes",
        "22426066",
        &data("es_ep2019.csv"),
    ]));
}

#[test]
fn norway_storting_2021_report_and_csv() {
    let report = out(&["--system", "norway", &data("no_storting_2021.csv")]);
    assert!(report.contains("Official seats: all match"), "{report}");
    insta::assert_snapshot!(report);
    insta::assert_snapshot!(out(&[
        "--system",
        "norway",
        "--csv",
        &data("no_storting_2021.csv")
    ]));
}

#[test]
fn norway_with_generic_levelling_options_matches_the_preset() {
    let generic = out(&[
        "--method",
        "modified-sainte-lague",
        "--levelling-seats",
        "1",
        "--levelling-threshold",
        "4",
        "--csv",
        &data("no_storting_2021.csv"),
    ]);
    let preset = out(&["--system", "norway", "--csv", &data("no_storting_2021.csv")]);
    assert_eq!(generic, preset);
}

#[test]
fn unknown_method_lists_the_known_ones() {
    let e = Cmd::try_parse_from(["seats", "--method", "borda", "x.csv"])
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("known methods: dhondt, sainte-lague, modified-sainte-lague"),
        "{e}"
    );
}

fn bad(csv: &str, extra: &[&str]) -> String {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(csv.as_bytes()).unwrap();
    let path = f.path().to_str().unwrap().to_string();
    let mut args = vec!["--method", "dhondt"];
    args.extend_from_slice(extra);
    args.push(&path);
    let e: SeatsError = run(&parse(&args)).unwrap_err();
    e.to_string().replace(&path, "FILE")
}

#[test]
fn bad_csv_errors_name_file_line_column_and_why() {
    let h = "constituency,party,votes\n";
    assert_eq!(
        bad(&format!("{h}X,A,10\nX,B,ten\n"), &["--seats", "2"]),
        "FILE:3: column votes: \"ten\" is not a whole number (digits only, no separators)"
    );
    assert_eq!(
        bad(&format!("{h}X,A,-5\n"), &["--seats", "2"]),
        "FILE:2: column votes: \"-5\" is negative"
    );
    assert_eq!(
        bad(&format!("{h}X,A,99999999999999999999\n"), &["--seats", "2"]),
        "FILE:2: column votes: 99999999999999999999 is more than the largest accepted value 18446744073709551615"
    );
    assert_eq!(
        bad(
            &format!("{h}X,A,18446744073709551615\nX,B,1\n"),
            &["--seats", "2"]
        ),
        "arithmetic overflow while adding the votes: vote counts are too large"
    );
    assert_eq!(
        bad("constituency,party,count\nX,A,1\n", &["--seats", "2"]),
        "FILE:1: column count: unknown column; expected constituency,party,votes[,seats]"
    );
    assert_eq!(
        bad(&format!("{h}X,A,1\nX,A,2\n"), &["--seats", "2"]),
        "FILE:3: column party: \"A\" appears twice in constituency \"X\""
    );
    assert!(bad(&format!("{h}X,A,1,7\n"), &["--seats", "2"]).starts_with("FILE:2: "));
    assert_eq!(
        bad(&format!("{h}X,A,1\n"), &["--seats", "0"]),
        "seats: must be at least 1 (got 0)"
    );
    assert_eq!(
        bad(&format!("{h}X,A,1\n"), &[]),
        "FILE:1: column seats: give --seats N or a `seats` column"
    );
    assert_eq!(bad(h, &["--seats", "1"]), "FILE:1: no data rows");
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let e = run(&parse(&[
        "--method",
        "dhondt",
        "--seats",
        "1",
        "/nonexistent/x.csv",
    ]))
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/x.csv:0: cannot read"),
        "{e}"
    );
}

#[test]
fn droop_report_says_from_when_the_next_seat_is_certain() {
    // Droop, 5 seats: C wins one more seat with 57 more votes (a tie it wins on votes), loses
    // it again at +59 when the quota rises, and holds it for good from +60.
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        f,
        "constituency,party,votes\nX,A,24\nX,B,58\nX,C,223\nX,D,80"
    )
    .unwrap();
    let path = f.path().to_str().unwrap().to_string();
    let report = out(&["--method", "droop", "--seats", "5", &path]);
    let line = report.lines().find(|l| l.starts_with('C')).unwrap();
    assert!(line.contains(" 57  (for certain from +60)"), "{report}");
    let csv = out(&["--method", "droop", "--seats", "5", "--csv", &path]);
    assert!(!csv.contains("certain"), "{csv}");
}

#[test]
fn the_votes_to_one_more_seat_win_it_exactly_level_on_most_votes() {
    // Spain 2019 what-if (5 %): PP needs 358,689 more votes. With them its 14th quotient is
    // exactly level with the last seat's and most votes gives PP the seat; one vote fewer
    // does not.
    let rows: Vec<(String, u64)> = std::fs::read_to_string(data("es_ep2019.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].to_string(), f[2].parse().unwrap())
        })
        .collect();
    let mut rules = skytale_seats::Rules::new(skytale_seats::Method::Dhondt, 54);
    rules.threshold = Some(skytale_seats::Threshold {
        percent: skytale_seats::Fraction::from_int(5),
        scope: Default::default(),
        or_constituency_seats: None,
    });
    let ctx = |extra: u64| skytale_seats::Context {
        valid_votes: Some(22_426_066 + extra),
        ..Default::default()
    };
    let pp = rows.iter().position(|r| r.0 == "PP").unwrap();
    let seats = |extra: u64| {
        let mut r = rows.clone();
        r[pp].1 += extra;
        skytale_seats::allocate_with(&rules, &r, &ctx(extra))
            .unwrap()
            .parties[pp]
            .seats
    };
    assert_eq!(seats(0), 13);
    assert_eq!(seats(358_688), 13);
    let a = {
        let mut r = rows.clone();
        r[pp].1 += 358_689;
        skytale_seats::allocate_with(&rules, &r, &ctx(358_689)).unwrap()
    };
    assert_eq!(a.parties[pp].seats, 14);
    assert!(!a.ties.is_empty(), "won on a tie");
}
