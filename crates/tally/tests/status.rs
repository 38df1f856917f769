//! Reporting status in the documents: the officials' result types (the latest that applies
//! wins, a unit's own only where it came later than its contest's), when each contest and
//! unit was last updated, the share of units reporting, and the test flag.

use std::sync::Arc;

use skytale_model::{ResultsStatement, Statement};
use skytale_tally::{ContestResult, LogPosition, Tally};
use skytale_testkit as kit;

fn pos() -> LogPosition {
    LogPosition {
        tree_size: 9,
        root_hash: "AAAA".into(),
        published_at: None,
    }
}

fn results_at(unit: &str, version: u64, at: &str, status: &str) -> ResultsStatement {
    let text = kit::results_json(unit, version, &kit::mayor(10, 5, 16))
        .replace("2026-11-25T20:00:00Z", at)
        .replace(r#""status":"complete""#, &format!(r#""status":"{status}""#));
    match Statement::parse(&text).unwrap() {
        Statement::Results(r) => r,
        _ => unreachable!(),
    }
}

fn status(scope: &str, result_type: &str, at: &str) -> Statement {
    Statement::parse(&format!(
        r#"{{"type":"status","election":"test-2026",{scope}"result_type":"{result_type}","signed_at":"{at}"}}"#
    ))
    .unwrap()
}

fn tally() -> Tally {
    Tally::new(Arc::new(kit::valid(&kit::keys())))
}

fn mayor(t: &Tally) -> ContestResult {
    t.contest_document("mayor", &pos())
        .unwrap()
        .contests
        .remove(0)
}

fn unit<'a>(c: &'a ContestResult, id: &str) -> &'a skytale_tally::UnitResult {
    c.units.iter().find(|u| u.id == id).unwrap()
}

#[test]
fn last_updated_is_the_latest_submission_counted_below_whatever_its_offset() {
    let mut t = tally();
    assert_eq!(mayor(&t).last_updated, None);
    t.apply(&results_at(
        "n1",
        1,
        "2026-11-25T21:30:00.123456+01:00",
        "partial",
    ));
    t.apply(&results_at("s1", 1, "2026-11-25T20:45:10Z", "complete"));
    // Later in local time, earlier as an instant.
    t.apply(&results_at(
        "n2",
        1,
        "2026-11-25T21:40:00+02:00",
        "complete",
    ));
    let c = mayor(&t);
    assert_eq!(c.last_updated.as_deref(), Some("2026-11-25T20:45:10Z"));
    assert_eq!(
        unit(&c, "north").last_updated.as_deref(),
        Some("2026-11-25T20:30:00Z")
    );
    assert_eq!(
        unit(&c, "n2").last_updated.as_deref(),
        Some("2026-11-25T19:40:00Z")
    );
    assert_eq!(unit(&c, "s2").last_updated, None);
    // Each unit says how its reporting authority called its own report.
    assert_eq!(
        unit(&c, "n1").report_status,
        Some(skytale_model::ReportStatus::Partial)
    );
    assert_eq!(
        unit(&c, "north").report_status,
        None,
        "no report of its own"
    );
    assert_eq!((c.units_reporting, c.units_total), (3, 4));
    assert_eq!(c.reporting_percent, "75.00");
}

#[test]
fn the_latest_result_type_that_applies_wins() {
    let mut t = tally();
    t.apply(&results_at("n1", 1, "2026-11-25T20:00:00Z", "complete"));
    assert!(mayor(&t).result_type.is_none());
    assert_eq!(mayor(&t).status, "unofficial");

    t.apply_statement(&status("", "provisional", "2026-11-25T22:00:00Z"));
    let c = mayor(&t);
    assert_eq!(c.result_type.as_ref().unwrap().result_type, "provisional");
    let whole = t.document(&pos());
    assert_eq!(
        whole.result_type.as_ref().unwrap().result_type,
        "provisional"
    );
    assert!(
        whole.contests.iter().all(|c| c.result_type.is_some()),
        "an election-wide type applies to every contest"
    );

    // A unit's own type shows on the unit (not below it), as long as it is the latest word.
    t.apply_statement(&status(
        r#""contest":"mayor","unit":"north","#,
        "final",
        "2026-11-25T22:10:00Z",
    ));
    let c = mayor(&t);
    assert_eq!(c.result_type.as_ref().unwrap().result_type, "provisional");
    assert_eq!(
        unit(&c, "north").result_type.as_ref().unwrap().result_type,
        "final"
    );
    assert!(
        unit(&c, "n2").result_type.is_none(),
        "the stations keep the contest's"
    );
    assert!(unit(&c, "south").result_type.is_none());
    let ci = t.definition().contest_index("mayor").unwrap();
    let north = t.definition().unit_index("north").unwrap();
    assert_eq!(t.unit_result_type(ci, north).unwrap().result_type, "final");

    // The contest certified afterwards: that is the latest word for every unit of it.
    t.apply_statement(&status(
        r#""contest":"mayor","#,
        "certified",
        "2026-11-26T10:00:00Z",
    ));
    let c = mayor(&t);
    assert_eq!(c.status, "certified");
    let rt = c.result_type.as_ref().unwrap();
    assert_eq!(
        (rt.result_type, rt.signed_at.as_str()),
        ("certified", "2026-11-26T10:00:00Z")
    );
    assert!(unit(&c, "north").result_type.is_none());
    assert_eq!(
        t.document(&pos()).status,
        "unofficial",
        "other contests are not certified"
    );

    // Every contest certified: so is the document.
    t.apply_statement(&status("", "certified", "2026-11-26T11:00:00Z"));
    assert_eq!(t.document(&pos()).status, "certified");
}

#[test]
fn a_test_election_says_so_in_its_documents() {
    let k = kit::keys();
    let mut def = kit::definition(&k);
    assert!(!tally().document(&pos()).test);
    let plain = String::from_utf8(tally().document(&pos()).to_bytes()).unwrap();
    assert!(
        !plain.contains("\"test\""),
        "a real election's document has no test field"
    );
    def.test = true;
    let t = Tally::new(Arc::new(def.validate().unwrap()));
    let d = t.document(&pos());
    assert!(d.test);
    let json = String::from_utf8(d.to_bytes()).unwrap();
    assert!(json.contains("\"test\": true"), "{json}");
}
