//! Input that used to be silently resolved: times that are free text, versions that would
//! freeze a unit, and the retry of an accepted statement (answered with its entry, never a
//! second one).

use skytale_testkit as common;

use common::{keys, ledger, mayor, results_json, sign};
use skytale_model::{Ledger, RejectCode, Statement, MAX_VERSION, MAX_VERSION_STEP};

fn no_root(_: u64) -> Option<[u8; 32]> {
    None
}

fn code_of(l: &Ledger, bytes: &[u8]) -> RejectCode {
    l.check(bytes, &no_root).expect_err("must be refused").code
}

#[test]
fn submitted_at_must_be_an_rfc3339_time() {
    let k = keys();
    let l = ledger(&k);
    let good = results_json("n1", 1, &mayor(300, 200, 510));
    for bad in ["tonight", "2026-11-25", "2026-11-25T20:00:00", "<script>"] {
        let text = good.replace("2026-11-25T20:00:00Z", bad);
        let err = l.check(&sign(&k.north, &text), &no_root).unwrap_err();
        assert_eq!(err.code, RejectCode::BadTimestamp, "{bad}: {err}");
        assert_eq!(err.field.as_deref(), Some("submitted_at"));
    }
    let nanos = good.replace("20:00:00Z", "20:00:00.535534872+01:00");
    assert!(l.check(&sign(&k.north, &nanos), &no_root).is_ok());
}

#[test]
fn versions_taken_from_a_clock_are_accepted() {
    let k = keys();
    let mut l = ledger(&k);
    let v = |n: u64| sign(&k.north, &results_json("n1", n, &mayor(300, 200, 510)));
    // YYYYMMDDhhmmss, then Unix milliseconds would be a step down (stale); a later clock
    // reading is a small step up.
    l.commit(&l.check(&v(20_261_207_013_000), &no_root).unwrap());
    l.commit(&l.check(&v(20_261_207_020_000), &no_root).unwrap());
    let mut m = ledger(&k);
    m.commit(&m.check(&v(1_796_601_600_000), &no_root).unwrap());
}

#[test]
fn versions_are_bounded_so_no_statement_can_freeze_a_unit() {
    let k = keys();
    let mut l = ledger(&k);
    let v = |n: u64| sign(&k.north, &results_json("n1", n, &mayor(300, 200, 510)));
    assert_eq!(code_of(&l, &v(u64::MAX)), RejectCode::VersionOutOfRange);
    assert_eq!(
        code_of(&l, &v(MAX_VERSION + 1)),
        RejectCode::VersionOutOfRange
    );
    assert_eq!(
        code_of(&l, &v(MAX_VERSION_STEP + 1)),
        RejectCode::VersionOutOfRange
    );
    l.commit(&l.check(&v(MAX_VERSION_STEP), &no_root).unwrap());
    assert_eq!(
        code_of(&l, &v(2 * MAX_VERSION_STEP + 1)),
        RejectCode::VersionOutOfRange
    );
    // The unit can still be corrected.
    l.commit(&l.check(&v(2 * MAX_VERSION_STEP), &no_root).unwrap());
    assert_eq!(
        l.last_version(l.definition().unit_index("n1").unwrap()),
        Some(2 * MAX_VERSION_STEP)
    );
    // Stale and duplicate versions keep their own codes.
    assert_eq!(code_of(&l, &v(u64::MAX / 2)), RejectCode::VersionOutOfRange);
    assert_eq!(code_of(&l, &v(3)), RejectCode::StaleVersion);
}

#[test]
fn a_retry_with_a_new_time_is_the_accepted_entry_and_other_counts_are_not() {
    let k = keys();
    let mut l = ledger(&k);
    let first = sign(&k.north, &results_json("n1", 1, &mayor(300, 200, 510)));
    let index = l.size();
    l.commit(&l.check(&first, &no_root).unwrap());
    let entries = [first.clone()];
    let entry = |i: u64| (i == index).then(|| entries[0].clone());
    let retry_text =
        results_json("n1", 1, &mayor(300, 200, 510)).replace("20:00:00Z", "20:05:00.25Z");
    let verified = |key: &skytale_note::SigningKey, text: &str| {
        skytale_model::verify_note(l.keys(), l.election(), &sign(key, text)).unwrap()
    };
    // Same content, new submitted_at, same key: the accepted entry.
    assert_eq!(
        l.retry_of(&verified(&k.north, &retry_text), &entry),
        Some(index)
    );
    // The ledger alone still refuses it as a duplicate version (nothing new enters the log).
    assert_eq!(
        code_of(&l, &sign(&k.north, &retry_text)),
        RejectCode::DuplicateVersion
    );
    // Other counts under the same version: not a retry.
    let other = results_json("n1", 1, &mayor(301, 200, 510));
    assert_eq!(l.retry_of(&verified(&k.north, &other), &entry), None);
    assert_eq!(
        code_of(&l, &sign(&k.north, &other)),
        RejectCode::DuplicateVersion
    );
    // Another status or version: not a retry either.
    let partial = retry_text.replace(r#""complete""#, r#""partial""#);
    assert_eq!(l.retry_of(&verified(&k.north, &partial), &entry), None);
    let v2 = results_json("n1", 2, &mayor(300, 200, 510));
    assert_eq!(l.retry_of(&verified(&k.north, &v2), &entry), None);
    // A key that did not sign the accepted entry: not its retry.
    let by_authority = verified(&k.authority, &retry_text);
    assert!(matches!(by_authority.statement, Statement::Results(_)));
    assert_eq!(l.retry_of(&by_authority, &entry), None);
}
