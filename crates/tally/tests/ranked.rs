//! Ranked-choice contests in the tally: rounds from admitted CVR batches, equal to RCTab's on
//! real data, independent of how a file was cut into batches, with pending series and
//! corrections.

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use skytale_model::cvr::{batch_cvr_within, BallotPattern, CvrHeader};
use skytale_model::{SourceFile, Statement};
use skytale_rcv::report::DetailedReport;
use skytale_tally::{LogPosition, RankedChoiceResult, Tally};
use skytale_testkit as kit;

fn pos() -> LogPosition {
    LogPosition {
        tree_size: 1,
        root_hash: String::new(),
        published_at: None,
    }
}

fn ranked(t: &Tally, contest: &str) -> RankedChoiceResult {
    let doc = t.contest_document(contest, &pos()).unwrap();
    doc.contests[0].ranked_choice.clone().unwrap()
}

/// Every round of `got` (candidates by selection id) equals RCTab's expected report (by name).
fn assert_rounds_match(
    got: &RankedChoiceResult,
    names: &BTreeMap<String, String>,
    exp: &DetailedReport,
) {
    let rounds = &got.passes.last().unwrap().rounds;
    assert_eq!(rounds.len(), exp.results.len(), "number of rounds");
    let by_name = |m: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        m.iter()
            .map(|(k, v)| {
                (
                    names.get(k).cloned().unwrap_or_else(|| k.clone()),
                    v.clone(),
                )
            })
            .collect()
    };
    for (g, e) in rounds.iter().zip(&exp.results) {
        let r = e.round;
        assert_eq!(g.round, r);
        assert_eq!(by_name(&g.tally), e.tally, "round {r} tally");
        assert_eq!(g.threshold, e.threshold, "round {r} threshold");
        assert_eq!(
            g.inactive_ballots, e.inactive_ballots,
            "round {r} inactive ballots"
        );
        let gr: Vec<_> = g
            .tally_results
            .iter()
            .map(|x| {
                (
                    x.elected.as_ref().map(|n| names[n].clone()),
                    x.eliminated.as_ref().map(|n| names[n].clone()),
                    by_name(&x.transfers),
                )
            })
            .collect();
        let er: Vec<_> = e
            .tally_results
            .iter()
            .map(|x| (x.elected.clone(), x.eliminated.clone(), x.transfers.clone()))
            .collect();
        assert_eq!(gr, er, "round {r} elected/eliminated and transfers");
    }
}

#[test]
fn minneapolis_2013_mayor_rounds_equal_rctabs() {
    let k = kit::keys();
    let (def, cfg) = kit::minneapolis_definition(&k);
    let statements = kit::minneapolis_cvr(&def, &cfg);
    assert!(statements.len() > 1, "a real CVR needs several batches");
    let valid = Arc::new(def.clone().validate().unwrap());
    let mut t = Tally::new(valid);
    // Batches in reverse: the order of arrival does not matter.
    for s in statements.iter().rev() {
        t.apply_statement(&Statement::Cvr(s.clone()));
    }
    let got = ranked(&t, "mayor");
    assert!(got.complete);
    assert_eq!(got.ballots, 80_101);
    assert_eq!(got.winners, ["betsy-hodges"]);
    assert_eq!(got.files.len(), 1);
    assert!(got.files[0].counted);
    let names: BTreeMap<String, String> = def.contests[0]
        .selections
        .iter()
        .map(|s| (s.id.clone(), s.name["en"].clone()))
        .collect();
    let exp: DetailedReport =
        serde_json::from_str(
            &std::fs::read_to_string(kit::rcv_data().join(
                "2013_minneapolis_mayor/2013_minneapolis_mayor_expected_detailed_report.json",
            ))
            .unwrap(),
        )
        .unwrap();
    assert_rounds_match(&got, &names, &exp);
    // The contest's selections carry the final round.
    let doc = t.document(&pos());
    let c = &doc.contests[0];
    assert_eq!(c.ballots, 80_101);
    let hodges = c
        .selections
        .iter()
        .find(|s| s.id == "betsy-hodges")
        .unwrap();
    assert_eq!(hodges.votes, 38_852);
    // Same log, same bytes; the second document comes from the cache.
    assert_eq!(t.document(&pos()).to_bytes(), doc.to_bytes());
}

fn header(unit: &str, version: u64, sha: char) -> CvrHeader {
    CvrHeader {
        election: "test-2026".into(),
        contest: "rcv-mayor".into(),
        unit: unit.into(),
        version,
        submitted_at: "2026-11-25T21:00:00Z".into(),
        reason: None,
        source: SourceFile {
            format: "genericCsv".into(),
            sha256: std::iter::repeat_n(sha, 64).collect(),
            name: None,
        },
    }
}

fn pattern(count: u64, ranks: &[&str]) -> BallotPattern {
    BallotPattern {
        count,
        ranks: ranks.iter().map(|s| s.to_string()).collect(),
    }
}

fn rcv_tally() -> Tally {
    let k = kit::keys();
    Tally::new(Arc::new(kit::rcv_definition(&k).validate().unwrap()))
}

#[test]
fn incomplete_series_are_pending_and_corrections_replace() {
    let mut t = rcv_tally();
    let ballots = vec![
        pattern(5, &["ann", "ben"]),
        pattern(4, &["ben"]),
        pattern(3, &["cat", "ben"]),
        pattern(1, &["uwi"]),
    ];
    let batches = batch_cvr_within(&header("north", 1, 'a'), ballots, 300);
    assert!(batches.len() >= 2, "cut finer than the ballots");
    for b in &batches[1..] {
        t.apply_cvr(b);
    }
    let r = ranked(&t, "rcv-mayor");
    assert!(!r.complete);
    assert_eq!(r.ballots, 0);
    assert_eq!(r.pending.len(), 1);
    assert_eq!(r.pending[0].received as usize, batches.len() - 1);
    t.apply_cvr(&batches[0]);
    let r = ranked(&t, "rcv-mayor");
    assert!(r.complete && r.pending.is_empty());
    assert_eq!(r.ballots, 13);
    // Ann 5, Ben 4, Cat 3, write-ins 1: write-ins out, then Cat's to Ben: Ben 7 of 12.
    assert_eq!(r.winners, ["ben"]);
    // A correction (version 2): while incomplete the old file still counts.
    let v2 = batch_cvr_within(
        &header("north", 2, 'b'),
        vec![pattern(9, &["ann"]), pattern(2, &["cat"])],
        200,
    );
    t.apply_cvr(&v2[0]);
    let r = ranked(&t, "rcv-mayor");
    assert_eq!(r.winners, ["ben"]);
    assert_eq!(r.pending.len(), 1);
    for b in &v2[1..] {
        t.apply_cvr(b);
    }
    let r = ranked(&t, "rcv-mayor");
    assert_eq!(
        (r.ballots, r.winners.clone()),
        (11, vec!["ann".to_string()])
    );
    assert_eq!(r.files[0].version, 2);
}

#[test]
fn a_units_own_file_shadows_the_files_below_it() {
    let mut t = rcv_tally();
    for b in batch_cvr_within(&header("n1", 1, 'a'), vec![pattern(10, &["cat"])], 60_000) {
        t.apply_cvr(&b);
    }
    for b in batch_cvr_within(&header("s1", 1, 'c'), vec![pattern(3, &["ben"])], 60_000) {
        t.apply_cvr(&b);
    }
    assert_eq!(ranked(&t, "rcv-mayor").winners, ["cat"]);
    for b in batch_cvr_within(&header("north", 1, 'b'), vec![pattern(2, &["ann"])], 60_000) {
        t.apply_cvr(&b);
    }
    let r = ranked(&t, "rcv-mayor");
    assert_eq!(
        r.ballots, 5,
        "north's own 2 and south's 3; n1's 10 are shadowed"
    );
    assert_eq!(r.winners, ["ben"]);
    let n1 = r.files.iter().find(|f| f.unit == "n1").unwrap();
    assert!(!n1.counted);
    let doc = t.contest_document("rcv-mayor", &pos()).unwrap();
    assert_eq!(doc.contests[0].ballots, 5);
    assert_eq!(
        doc.contests[0].units_reporting, 3,
        "n1, n2 (via north) and s1"
    );
}

fn arb_ballots() -> impl Strategy<Value = Vec<BallotPattern>> {
    let rank = prop_oneof![
        Just(String::new()),
        Just("ann".to_string()),
        Just("ben".to_string()),
        Just("cat".to_string()),
        Just("uwi".to_string()),
        Just("ann+cat".to_string()),
        Just(skytale_model::OVERVOTE_MARKER.to_string()),
    ];
    prop::collection::vec((1u64..50, prop::collection::vec(rank, 0..=3)), 1..40).prop_map(|v| {
        v.into_iter()
            .map(|(count, ranks)| BallotPattern { count, ranks })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// However a file is cut into batches (budget), however its ballots are ordered and split
    /// (a pattern split in two counts), and in whatever order the batches arrive, the rounds
    /// are the same.
    #[test]
    fn batching_does_not_change_the_rounds(
        ballots in arb_ballots(),
        budget in 150usize..2_000,
        rotate in 0usize..40,
        split in any::<bool>(),
        reverse in any::<bool>(),
    ) {
        let mut a = rcv_tally();
        for b in batch_cvr_within(&header("nation", 1, 'a'), ballots.clone(), 60_000) {
            a.apply_cvr(&b);
        }
        let mut other = ballots.clone();
        let n = other.len();
        other.rotate_left(rotate % n);
        if split {
            other = other
                .into_iter()
                .flat_map(|p| {
                    if p.count > 1 {
                        let h = p.count / 2;
                        vec![BallotPattern { count: h, ranks: p.ranks.clone() }, BallotPattern { count: p.count - h, ranks: p.ranks }]
                    } else {
                        vec![p]
                    }
                })
                .collect();
        }
        let mut batches = batch_cvr_within(&header("nation", 1, 'a'), other, budget);
        if reverse {
            batches.reverse();
        }
        let mut b = rcv_tally();
        for s in &batches {
            b.apply_cvr(s);
        }
        let (ra, mut rb) = (ranked(&a, "rcv-mayor"), ranked(&b, "rcv-mayor"));
        prop_assert!(rb.complete);
        rb.files = ra.files.clone(); // the batch count differs, nothing else
        prop_assert_eq!(ra, rb);
    }
}
