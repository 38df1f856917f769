//! The tally: the roll-up rule, reporting progress, count types, and — by property tests —
//! that the incremental fold equals a naive recomputation and does not depend on batching.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use proptest::prelude::*;
use skytale_model::{ResultsStatement, Statement};
use skytale_tally::{share, LogPosition, Tally};
use skytale_testkit as kit;

fn pos(n: u64) -> LogPosition {
    LogPosition {
        tree_size: n,
        root_hash: "AAAA".into(),
        published_at: Some("2026-11-25T20:00:00Z".into()),
    }
}

fn results(unit: &str, version: u64, contests: &str) -> ResultsStatement {
    match Statement::parse(&kit::results_json(unit, version, contests)).unwrap() {
        Statement::Results(r) => r,
        _ => unreachable!(),
    }
}

fn tally() -> Tally {
    Tally::new(Arc::new(kit::valid(&kit::keys())))
}

fn mayor_votes(t: &Tally) -> (u64, u64) {
    let d = t.document(&pos(1));
    let c = &d.contests[0];
    (c.selections[0].votes, c.selections[1].votes)
}

fn unit_votes(t: &Tally, unit: &str) -> (u64, u64) {
    let d = t.contest_document("mayor", &pos(1)).unwrap();
    let u = d.contests[0].units.iter().find(|u| u.id == unit).unwrap();
    (u.votes["alice"], u.votes["bob"])
}

#[test]
fn a_units_own_report_wins_over_the_sum_of_its_children() {
    let mut t = tally();
    t.apply(&results("n1", 1, &kit::mayor(100, 50, 160)));
    t.apply(&results("n2", 1, &kit::mayor(10, 5, 16)));
    assert_eq!(
        unit_votes(&t, "north"),
        (110, 55),
        "no own report: the sum of the children"
    );
    t.apply(&results("north", 1, &kit::mayor(120, 60, 190)));
    assert_eq!(unit_votes(&t, "north"), (120, 60), "its own report wins");
    t.apply(&results("n1", 2, &kit::mayor(1, 1, 2)));
    assert_eq!(
        unit_votes(&t, "north"),
        (120, 60),
        "children changing below an own report do not change it"
    );
    assert_eq!(
        unit_votes(&t, "n1"),
        (1, 1),
        "the latest version of a unit counts"
    );
    t.apply(&results("s1", 1, &kit::mayor(7, 3, 10)));
    assert_eq!(mayor_votes(&t), (127, 63));
    let d = t.document(&pos(1));
    let c = &d.contests[0];
    assert_eq!(
        (c.units_reporting, c.units_total),
        (3, 4),
        "n1, n2 (under north's report) and s1"
    );
    assert_eq!(c.registered, 3800);
    assert_eq!(c.registered_reporting, 3000);
    assert_eq!(c.ballots, 200);
}

/// The units whose own reports make up the total: none before any report; a county's own
/// report replaces its precincts'; their figures add up to the contest's.
#[test]
fn counted_units_are_the_reports_that_make_up_the_total() {
    let mut t = tally();
    let ci = 0;
    let id = |t: &Tally| -> Vec<String> {
        t.counted_units(ci)
            .into_iter()
            .map(|u| t.definition().units()[u].id.clone())
            .collect()
    };
    assert!(t.counted_units(ci).is_empty());
    t.apply(&results("n1", 1, &kit::mayor(100, 50, 160)));
    t.apply(&results("s2", 1, &kit::mayor(7, 3, 11)));
    t.apply(&results("n2", 1, &kit::mayor(10, 5, 16)));
    assert_eq!(
        id(&t),
        ["n1", "n2", "s2"],
        "parents before children, definition order"
    );
    t.apply(&results("north", 1, &kit::mayor(120, 60, 190)));
    assert_eq!(
        id(&t),
        ["north", "s2"],
        "north's own report shadows n1 and n2"
    );
    let sum: u64 = t
        .counted_units(ci)
        .into_iter()
        .map(|u| t.unit_figures(ci, u).votes[0])
        .sum();
    assert_eq!(sum, mayor_votes(&t).0);
    assert_eq!(t.unit_figures(ci, 0).blank, 0);
}

#[test]
fn contests_only_count_in_their_area_and_keep_count_types_apart() {
    let mut t = tally();
    let measure = r#"{"contest":"north-measure","ballots":90,"selections":{"yes":{"election_day":40,"mail":20},"no":{"total":30}}}"#;
    t.apply(&results("n1", 1, measure));
    let d = t.contest_document("north-measure", &pos(1)).unwrap();
    let c = &d.contests[0];
    assert_eq!((c.units_reporting, c.units_total), (1, 2));
    assert_eq!(c.selections[0].votes, 60);
    assert_eq!(
        c.selections[0].by_count_type,
        BTreeMap::from([("election_day", 40), ("mail", 20)])
    );
    assert_eq!(
        c.selections[1].by_count_type,
        BTreeMap::from([("total", 30)])
    );
    assert_eq!(c.selections[0].share, "66.67");
    assert!(
        c.units.iter().all(|u| u.id != "s1" && u.id != "south"),
        "south is outside the area"
    );
    let n1 = c.units.iter().find(|u| u.id == "n1").unwrap();
    assert_eq!(n1.by_count_type.as_ref().unwrap()["yes"]["mail"], 20);
}

#[test]
fn the_whole_document_leaves_out_the_leaves_and_names_its_log_position() {
    let mut t = tally();
    t.apply(&results("n1", 1, &kit::mayor(100, 50, 160)));
    let d = t.document(&pos(9));
    assert_eq!(d.tree_size, 9);
    assert_eq!(d.root_hash, "AAAA");
    let ids: Vec<&str> = d.contests[0].units.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["nation", "north", "south"]);
    let json: serde_json::Value = serde_json::from_slice(&d.to_bytes()).unwrap();
    for f in [
        "election",
        "tree_size",
        "root_hash",
        "status",
        "published_at",
        "contests",
    ] {
        assert!(
            json.get(f).is_some(),
            "results JSON keeps interfaces.md's field {f}"
        );
    }
    let c = &json["contests"][0];
    for f in [
        "id",
        "name",
        "kind",
        "units_reporting",
        "units_total",
        "ballots",
        "registered",
        "selections",
        "units",
    ] {
        assert!(c.get(f).is_some(), "contest keeps field {f}");
    }
    assert!(
        c["selections"][0]["share"].is_string(),
        "shares are decimal strings"
    );
}

#[test]
fn party_list_contests_carry_seats() {
    let mut t = tally();
    let council = r#"{"contest":"council","selections":{"l1":{"total":600},"l2":{"total":400}}}"#;
    t.apply(&results("n1", 1, council));
    let d = t.document(&pos(1));
    let c = d.contests.iter().find(|c| c.id == "council").unwrap();
    assert_eq!(
        c.seats.as_ref().unwrap(),
        &BTreeMap::from([("l1".to_string(), 3), ("l2".to_string(), 2)])
    );
}

#[test]
fn shares_round_half_up_in_integers() {
    assert_eq!(share(1, 3), "33.33");
    assert_eq!(share(2, 3), "66.67");
    assert_eq!(share(1, 8), "12.50");
    assert_eq!(share(1, 80_000), "0.00");
    assert_eq!(share(1, 20_000), "0.01", "0.005 % rounds up");
    assert_eq!(share(0, 0), "0.00");
    assert_eq!(share(u64::MAX, u64::MAX), "100.00");
}

const UNITS: [&str; 7] = ["nation", "north", "south", "n1", "n2", "s1", "s2"];

/// Naive oracle: the latest report per unit, then effective = own or sum of children.
fn oracle(reports: &[(usize, u64, u64)]) -> (u64, u64) {
    let mut latest: HashMap<usize, (u64, u64)> = HashMap::new();
    for &(u, a, b) in reports {
        latest.insert(u, (a, b));
    }
    fn eff(u: usize, latest: &HashMap<usize, (u64, u64)>) -> (u64, u64) {
        if let Some(v) = latest.get(&u) {
            return *v;
        }
        let kids: &[usize] = match u {
            0 => &[1, 2],
            1 => &[3, 4],
            2 => &[5, 6],
            _ => &[],
        };
        kids.iter()
            .map(|k| eff(*k, latest))
            .fold((0, 0), |x, y| (x.0 + y.0, x.1 + y.1))
    }
    eff(0, &latest)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn incremental_fold_equals_naive_recount_and_ignores_batching(
        reports in prop::collection::vec((0usize..7, 0u64..10_000, 0u64..10_000), 1..40),
        cuts in prop::collection::vec(any::<bool>(), 40),
    ) {
        let mut versions = [0u64; 7];
        let statements: Vec<ResultsStatement> = reports.iter().map(|&(u, a, b)| {
            versions[u] += 1;
            results(UNITS[u], versions[u], &kit::mayor(a, b, a + b))
        }).collect();

        // One fold, rendered only at the end.
        let mut once = tally();
        for s in &statements { once.apply(s); }
        let end = once.document(&pos(7)).to_bytes();

        // The same statements in "batches", rendering after each batch as the server does.
        let mut batched = tally();
        for (i, s) in statements.iter().enumerate() {
            batched.apply(s);
            if cuts[i] {
                let _ = batched.document(&pos(i as u64));
                let _ = batched.contest_document("mayor", &pos(i as u64));
            }
        }
        prop_assert_eq!(&batched.document(&pos(7)).to_bytes(), &end);

        // The incremental roll-up agrees with a naive recount of the latest reports.
        prop_assert_eq!(mayor_votes(&once), oracle(&reports));
        // And every unit's figure agrees with the oracle restricted to that subtree.
        let d = once.contest_document("mayor", &pos(1)).unwrap();
        let reported: usize = d.contests[0].units.iter().filter(|u| u.reported).count();
        let distinct: std::collections::BTreeSet<usize> = reports.iter().map(|r| r.0).collect();
        prop_assert_eq!(reported, distinct.len());
        // The figures a site page reads per unit are the same numbers as each unit's row, and
        // the head is the contest without its rows.
        let def = once.definition().clone();
        let ci = def.contest_index("mayor").unwrap();
        let full = &d.contests[0];
        for u in &full.units {
            let ui = def.unit_index(&u.id).unwrap();
            let f = once.unit_figures(ci, ui);
            let by_row: Vec<u64> = def.contests()[ci].selections.iter().map(|s| u.votes[&s.id]).collect();
            prop_assert_eq!(&f.votes, &by_row, "unit {}", &u.id);
            prop_assert_eq!(
                (f.ballots, f.registered, f.units_reporting, f.units_total),
                (u.ballots, u.registered, u.units_reporting, u.units_total),
                "unit {}", &u.id
            );
        }
        let mut without_rows = full.clone();
        without_rows.units.clear();
        prop_assert_eq!(once.contest_head(ci).unwrap(), without_rows);
        // The cheap totals kept at each publication agree with the documents.
        let doc = once.document(&pos(7));
        for c in &doc.contests {
            let totals = once.selection_totals();
            for sel in &c.selections {
                prop_assert_eq!(totals[&c.id][&sel.id], sel.votes);
            }
        }
    }
}
