//! Reviews of held submissions: an official releases a held note into the tally or rejects it,
//! with a reason, as a log entry; the released note is checked as a submission of its own.

use skytale_testkit as common;

use common::{keys, ledger, mayor, results_json, sign};
use skytale_model::{
    hex_sha256, HeldState, RejectCode, ReviewDecision, ReviewStatement, Statement,
};

fn no_root(_: u64) -> Option<[u8; 32]> {
    None
}

const AT: &str = "2026-11-25T21:30:00Z";

fn review(decision: ReviewDecision, held: &[u8], reason: &str) -> String {
    let rv = ReviewStatement::new("test-2026", decision, held, reason, AT).unwrap();
    Statement::Review(rv).to_note_text()
}

/// More votes than ballots in n1: held for review.
fn implausible(version: u64) -> Vec<u8> {
    sign(
        &common::keys().north,
        &results_json("n1", version, &mayor(700, 600, 1200)),
    )
}

#[test]
fn a_release_puts_the_held_counts_in_the_log_and_decides_once() {
    let k = keys();
    let mut l = ledger(&k);
    let held = implausible(1);
    let a = l.check(&held, &no_root).unwrap();
    assert!(
        !a.issues.is_empty(),
        "the note must be one the server holds"
    );
    let Statement::Results(r) = &a.verified.statement else {
        panic!("results")
    };
    let digest = hex_sha256(&held);
    assert_eq!(l.held_state(&digest, r), HeldState::Waiting);
    let release = sign(
        &k.authority,
        &review(
            ReviewDecision::Release,
            &held,
            "recount confirmed 1,300 votes",
        ),
    );
    let admitted = l.check(&release, &no_root).unwrap();
    assert!(
        admitted.issues.is_empty(),
        "released: its issues are decided"
    );
    assert_eq!(admitted.unit, l.definition().unit_index("n1"));
    let released = admitted.verified.statement.results().unwrap().clone();
    assert_eq!(released.version, 1);
    l.commit(&admitted);
    let n1 = l.definition().unit_index("n1").unwrap();
    assert_eq!(l.last_version(n1), Some(1));
    assert_eq!(
        l.held_state(&digest, &released),
        HeldState::Decided(ReviewDecision::Release, 1)
    );
    // Decided once: neither a second release nor a rejection afterwards.
    let again = sign(
        &k.approver,
        &review(ReviewDecision::Reject, &held, "changed my mind"),
    );
    let e = l.check(&again, &no_root).unwrap_err();
    assert_eq!(e.code, RejectCode::NotAllowed, "{e}");
    assert_eq!(e.field.as_deref(), Some("held"));
}

#[test]
fn a_rejection_logs_the_digest_only() {
    let k = keys();
    let mut l = ledger(&k);
    let held = implausible(1);
    let text = review(ReviewDecision::Reject, &held, "the county resends");
    assert!(!text.contains("\"note\""), "{text}");
    let a = l.check(&sign(&k.approver, &text), &no_root).unwrap();
    assert_eq!(a.unit, None);
    assert!(a.verified.statement.results().is_none());
    l.commit(&a);
    let n1 = l.definition().unit_index("n1").unwrap();
    assert_eq!(l.last_version(n1), None, "nothing entered the tally");
    let Ok(Statement::Results(r)) =
        Statement::parse(&results_json("n1", 1, &mayor(700, 600, 1200)))
    else {
        panic!("results")
    };
    assert_eq!(
        l.held_state(&hex_sha256(&held), &r),
        HeldState::Decided(ReviewDecision::Reject, 1)
    );
}

#[test]
fn a_newer_version_supersedes_a_held_one() {
    let k = keys();
    let mut l = ledger(&k);
    let held = implausible(1);
    let newer = l
        .check(
            &sign(&k.north, &results_json("n1", 2, &mayor(300, 200, 510))),
            &no_root,
        )
        .unwrap();
    l.commit(&newer);
    let Ok(Statement::Results(r)) =
        Statement::parse(&results_json("n1", 1, &mayor(700, 600, 1200)))
    else {
        panic!("results")
    };
    assert_eq!(
        l.held_state(&hex_sha256(&held), &r),
        HeldState::Superseded {
            accepted_version: 2
        }
    );
    let release = sign(
        &k.authority,
        &review(ReviewDecision::Release, &held, "looks right"),
    );
    let e = l.check(&release, &no_root).unwrap_err();
    assert_eq!(e.code, RejectCode::StaleVersion, "{e}");
    assert_eq!(e.field.as_deref(), Some("note.version"));
    assert!(e.message.contains("overtaken"), "{e}");
}

#[test]
fn only_the_authority_or_an_approver_reviews_and_always_says_why() {
    let k = keys();
    let l = ledger(&k);
    let held = implausible(1);
    let text = review(ReviewDecision::Release, &held, "fine");
    let e = l.check(&sign(&k.north, &text), &no_root).unwrap_err();
    assert_eq!(e.code, RejectCode::KeyNotAuthorised, "{e}");
    let e = l
        .check(
            &sign(&k.authority, &review(ReviewDecision::Release, &held, "  ")),
            &no_root,
        )
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("reason"), "{e}");
}

#[test]
fn a_release_must_carry_a_reporter_signed_note_that_matches_its_digest() {
    let k = keys();
    let l = ledger(&k);
    // The authority cannot sign counts itself and release them: the note needs the reporter.
    let forged = sign(&k.authority, &results_json("n1", 1, &mayor(700, 600, 1200)));
    let e = l
        .check(
            &sign(&k.authority, &review(ReviewDecision::Release, &forged, "x")),
            &no_root,
        )
        .unwrap_err();
    assert_eq!(e.code, RejectCode::KeyNotAuthorised, "{e}");
    assert!(
        e.field.as_deref().is_some_and(|f| f.starts_with("note")),
        "{e}"
    );
    // A note out of scope of its reporter (south's key for n1) is refused as a submission is.
    let other = sign(&k.south, &results_json("n1", 1, &mayor(700, 600, 1200)));
    let e = l
        .check(
            &sign(&k.authority, &review(ReviewDecision::Release, &other, "x")),
            &no_root,
        )
        .unwrap_err();
    assert_eq!(e.code, RejectCode::KeyNotAuthorised, "{e}");
    // A digest that is not the note's.
    let held = implausible(1);
    let mut text = review(ReviewDecision::Release, &held, "x");
    text = text.replace(&hex_sha256(&held), &"0".repeat(64));
    let e = l.check(&sign(&k.authority, &text), &no_root).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("held"), "{e}");
    // A rejection with a note, or a release without one.
    let e = Statement::parse(&text.replace("\"release\"", "\"reject\"")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("note"), "{e}");
}
