//! The contest page of a ranked-choice contest: who won, what was counted, the round-by-round
//! chart (decorative) with its caption and legend, the table of candidates × rounds with marks,
//! inactive ballots and thresholds, and the transfers in words; in every UI language.

use std::sync::Arc;

use skytale_model::cvr::{batch_cvr_within, BallotPattern, CvrHeader};
use skytale_model::SourceFile;
use skytale_render::Site;
use skytale_tally::{LogPosition, Tally};
use skytale_testkit as kit;

fn pattern(count: u64, ranks: &[&str]) -> BallotPattern {
    BallotPattern {
        count,
        ranks: ranks.iter().map(|s| s.to_string()).collect(),
    }
}

fn tally(complete: bool) -> Tally {
    let def = Arc::new(kit::rcv_definition(&kit::keys()).validate().unwrap());
    let mut t = Tally::new(def);
    let header = CvrHeader {
        election: "test-2026".into(),
        contest: "rcv-mayor".into(),
        unit: "nation".into(),
        version: 1,
        submitted_at: "2026-11-25T21:00:00Z".into(),
        reason: None,
        source: SourceFile {
            format: "genericCsv".into(),
            sha256: "a".repeat(64),
            name: Some("cvr.csv".into()),
        },
    };
    let ballots = vec![
        pattern(5, &["ann", "ben"]),
        pattern(4, &["ben"]),
        pattern(3, &["cat", "ben"]),
        pattern(1, &["uwi"]),
        pattern(1, &["@overvote"]),
    ];
    let batches = batch_cvr_within(&header, ballots, 300);
    let n = if complete { batches.len() } else { 1 };
    for b in &batches[..n] {
        t.apply_cvr(b);
    }
    t
}

fn pos() -> LogPosition {
    LogPosition {
        tree_size: 9,
        root_hash: "AAAA".into(),
        published_at: Some("2026-11-25T21:00:00Z".into()),
    }
}

#[test]
fn the_contest_page_shows_the_rounds() {
    let t = tally(true);
    let site = Site::new(t.definition().clone()).unwrap();
    let all = site.render_all(&t, &pos(), &[]);
    let page = std::str::from_utf8(&all["/en/test-2026/rcv-mayor/"].body).unwrap();
    let sec = &page[page.find("id=\"rounds-h\"").expect("rounds section")..];
    let sec = &sec[..sec.find("</section>").unwrap()];
    assert!(sec.contains("Elected: Ben"), "{sec}");
    assert!(
        sec.contains("Ballots counted: 14 (from 1 CVR files)"),
        "{sec}"
    );
    assert!(
        sec.contains("aria-hidden=\"true\""),
        "the chart is decorative"
    );
    assert!(sec.contains("<figcaption"), "with a caption");
    // Write-ins out in round 1, Cat in round 2, Ben elected in round 3.
    assert!(
        sec.contains("<th scope=\"col\" class=\"num\">Round 3</th>"),
        "{sec}"
    );
    assert!(sec.contains("(eliminated)"), "{sec}");
    assert!(sec.contains("(elected)"), "{sec}");
    assert!(sec.contains("Inactive ballots"), "{sec}");
    assert!(sec.contains("Threshold"), "{sec}");
    assert!(sec.contains("Round 2: Cat (eliminated) → Ben 3"), "{sec}");
    insta::assert_snapshot!("rcv_mayor_en", sec);
    // Every UI language has the section in its own words (no English left over).
    let fr = std::str::from_utf8(&all["/fr/test-2026/rcv-mayor/"].body).unwrap();
    assert!(
        fr.contains("Tour par tour") && fr.contains("Élus : Ben"),
        "{fr}"
    );
    for (lang, _) in skytale_render::i18n::UI_LANGUAGES {
        if lang == "en" {
            continue;
        }
        let m = skytale_render::i18n::messages();
        assert_ne!(
            m.get(lang, "rcv-title", &[]),
            m.get("en", "rcv-title", &[]),
            "{lang}"
        );
    }
}

#[test]
fn an_incomplete_file_is_said_and_not_counted() {
    let t = tally(false);
    let site = Site::new(t.definition().clone()).unwrap();
    let all = site.render_all(&t, &pos(), &[]);
    let page = std::str::from_utf8(&all["/en/test-2026/rcv-mayor/"].body).unwrap();
    assert!(
        page.contains("CVR files not yet complete, so not counted: 1"),
        "{page}"
    );
    assert!(page.contains("Ballots counted: 0"), "{page}");
}

#[test]
fn first_choices_and_the_final_round_are_both_shown_and_labelled() {
    let t = tally(true);
    let site = Site::new(t.definition().clone()).unwrap();
    let all = site.render_all(&t, &pos(), &[]);
    let page = std::str::from_utf8(&all["/en/test-2026/rcv-mayor/"].body).unwrap();
    let sec = &page[page.find("id=\"rcv-sum-h\"").expect("summary section")..];
    let sec = &sec[..sec.find("</section>").unwrap()];
    assert!(sec.contains("First choices and the final round"), "{sec}");
    assert!(
        sec.contains("<th scope=\"col\">First choices</th><th scope=\"col\">Share</th><th scope=\"col\">Final round</th>"),
        "{sec}"
    );
    // Cat: 3 first choices of 13 active ballots, eliminated before the final round.
    let cat = sec.split("<tr>").find(|r| r.contains(">Cat</th>")).unwrap();
    assert!(
        cat.contains("data-label=\"First choices\">3</td><td data-label=\"Share\">23.08%</td>"),
        "{cat}"
    );
    assert!(cat.contains("data-label=\"Final round\">–</td>"), "{cat}");
    // Ann keeps her 5 to the end.
    let ann = sec.split("<tr>").find(|r| r.contains(">Ann</th>")).unwrap();
    assert!(ann.contains("data-label=\"First choices\">5</td>"), "{ann}");
    assert!(ann.contains("data-label=\"Final round\">5</td>"), "{ann}");
    // The generic chart of final-round totals is not shown under "Votes by choice".
    assert!(!page.contains("Votes by choice"));
    // Each round's bar is labelled with its round.
    let chart = &page[page.find("<figure class=\"rounds\"").unwrap()..];
    let chart = &chart[..chart.find("</figure>").unwrap()];
    for n in 1..=3 {
        assert!(
            chart.contains(&format!("<span>Round {n}</span>")),
            "{chart}"
        );
    }
}
