//! Ranked-choice contests in the definition and `cvr` statements at the ledger: each refusal
//! has its own code and field, and a refused batch changes nothing.

use skytale_testkit as common;

use common::{cvr_json, keys, rcv_definition, rcv_ledger, results_json, sign};
use skytale_model::{Definition, DefinitionFormat, Ledger, RejectCode};

fn no_root(_: u64) -> Option<[u8; 32]> {
    None
}

fn admit(l: &mut Ledger, bytes: &[u8]) {
    let a = l.check(bytes, &no_root).expect("must be admitted");
    l.commit(&a);
}

/// `bytes` is refused with `code` at `field`, and a clone of the ledger that then admits the
/// follow-up batch `next` behaves exactly as if the refused one had never been seen.
fn refused(l: &Ledger, bytes: &[u8], code: RejectCode, field: &str) {
    let size = l.size();
    let err = l.check(bytes, &no_root).expect_err("must be refused");
    assert_eq!(err.code, code, "{err}");
    assert_eq!(err.field.as_deref(), Some(field), "{err}");
    assert_eq!(l.size(), size);
}

#[test]
fn a_ranked_choice_definition_round_trips_and_validates() {
    let k = keys();
    let def = rcv_definition(&k);
    let json = serde_json::to_string(&def).unwrap();
    assert!(
        json.contains(r#""winner_mode":"singleWinnerMajority""#),
        "{json}"
    );
    let back = Definition::parse(&json, DefinitionFormat::Json).unwrap();
    assert_eq!(back, def);
    let toml = toml::to_string(&def).unwrap();
    assert_eq!(
        Definition::parse(&toml, DefinitionFormat::Toml).unwrap(),
        def
    );
    def.validate().unwrap();
}

#[test]
fn bad_ranked_choice_definitions_name_the_field() {
    let k = keys();
    let field_of = |def: Definition| -> Vec<String> {
        def.validate()
            .unwrap_err()
            .0
            .iter()
            .map(|e| match e {
                skytale_model::DefinitionError::Invalid { field, .. }
                | skytale_model::DefinitionError::Syntax { field, .. } => field.clone(),
            })
            .collect()
    };
    let mut d = rcv_definition(&k);
    d.contests[3].tabulation = None;
    assert_eq!(field_of(d), ["contests[3].tabulation"]);

    let mut d = rcv_definition(&k);
    d.contests[0].tabulation = d.contests[3].tabulation.clone();
    assert_eq!(field_of(d), ["contests[0].tabulation"]);

    let mut d = rcv_definition(&k);
    let r = d.contests[3].tabulation.as_mut().unwrap();
    r.tiebreak_mode = skytale_rcv::config::TiebreakMode::Random;
    assert_eq!(field_of(d), ["contests[3].tabulation.random_seed"]);

    let mut d = rcv_definition(&k);
    d.contests[3].selections[2].write_in = true;
    assert_eq!(field_of(d), ["contests[3].selections[3].write_in"]);

    let mut d = rcv_definition(&k);
    d.contests[3].selections[1].name = d.contests[3].selections[0].name.clone();
    assert_eq!(field_of(d), ["contests[3].selections[1].name.en"]);

    let mut d = rcv_definition(&k);
    d.contests[0].selections[0].write_in = true;
    assert_eq!(field_of(d), ["contests[0].selections[0].write_in"]);

    // Unknown rule fields and mode names are refused while parsing, with the path.
    let json = serde_json::to_string(&rcv_definition(&k))
        .unwrap()
        .replace("singleWinnerMajority", "mostVotesWins");
    let e = Definition::parse(&json, DefinitionFormat::Json).unwrap_err();
    assert!(e.to_string().contains("contests[3].tabulation"), "{e}");
}

#[test]
fn a_series_is_admitted_batch_by_batch_in_any_order() {
    let k = keys();
    let mut l = rcv_ledger(&k);
    admit(
        &mut l,
        &sign(
            &k.north,
            &cvr_json("north", 1, 'a', 2, 2, 5, r#"[[2,"ben","ann"]]"#),
        ),
    );
    admit(
        &mut l,
        &sign(
            &k.north,
            &cvr_json("north", 1, 'a', 1, 2, 5, r#"[[3,"ann","","cat+ben"]]"#),
        ),
    );
    // A new version starts a new series (a correction), here of one batch.
    admit(
        &mut l,
        &sign(
            &k.north,
            &cvr_json("north", 2, 'b', 1, 1, 1, r#"[[1,"@overvote"]]"#),
        ),
    );
}

#[test]
fn cvr_rejection_matrix() {
    let k = keys();
    let mut l = rcv_ledger(&k);
    admit(
        &mut l,
        &sign(
            &k.north,
            &cvr_json("north", 2, 'a', 1, 3, 10, r#"[[4,"ann","ben"]]"#),
        ),
    );
    let cvr = |unit: &str, v: u64, sha: char, b: u32, n: u32, total: u64, ballots: &str| {
        sign(&k.north, &cvr_json(unit, v, sha, b, n, total, ballots))
    };
    // Key not authorised for the unit (south is not the north office's).
    refused(
        &l,
        &cvr("s1", 1, 'a', 1, 1, 1, r#"[[1,"ann"]]"#),
        RejectCode::KeyNotAuthorised,
        "unit",
    );
    // A cvr for a contest that is not ranked-choice, and results for one that is.
    let wrong = cvr_json("north", 1, 'a', 1, 1, 1, r#"[[1,"alice"]]"#)
        .replace(r#""contest":"rcv-mayor""#, r#""contest":"mayor""#);
    refused(
        &l,
        &sign(&k.north, &wrong),
        RejectCode::WrongContestKind,
        "contest",
    );
    let results = results_json(
        "n1",
        1,
        r#"{"contest":"rcv-mayor","selections":{"ann":{"total":3}}}"#,
    );
    refused(
        &l,
        &sign(&k.north, &results),
        RejectCode::WrongContestKind,
        "contests[0].contest",
    );
    // A ranked id that is no selection of the contest (a selection of another contest).
    refused(
        &l,
        &cvr(
            "north",
            3,
            'c',
            1,
            1,
            2,
            r#"[[1,"ann"],[1,"ben","","alice"]]"#,
        ),
        RejectCode::UnknownSelection,
        "ballots[1][3]",
    );
    refused(
        &l,
        &cvr("north", 3, 'c', 1, 1, 1, r#"[[1,"ann+"]]"#),
        RejectCode::UnknownSelection,
        "ballots[0][1]",
    );
    // Deeper than max_rankings = 3.
    refused(
        &l,
        &cvr("north", 3, 'c', 1, 1, 1, r#"[[1,"ann","","","ben"]]"#),
        RejectCode::RankOutOfRange,
        "ballots[0][4]",
    );
    // Batch numbering.
    refused(
        &l,
        &cvr("north", 3, 'c', 0, 2, 1, r#"[[1,"ann"]]"#),
        RejectCode::BadBatch,
        "batch",
    );
    refused(
        &l,
        &cvr("north", 3, 'c', 3, 2, 1, r#"[[1,"ann"]]"#),
        RejectCode::BadBatch,
        "batch",
    );
    refused(
        &l,
        &cvr("north", 3, 'c', 1, 0, 1, r#"[[1,"ann"]]"#),
        RejectCode::BadBatch,
        "batches",
    );
    // The same batch again, even with other ballots.
    refused(
        &l,
        &cvr("north", 2, 'a', 1, 3, 10, r#"[[4,"cat"]]"#),
        RejectCode::DuplicateBatch,
        "batch",
    );
    // Same version, another file / batch count / total.
    refused(
        &l,
        &cvr("north", 2, 'b', 2, 3, 10, r#"[[4,"cat"]]"#),
        RejectCode::SeriesMismatch,
        "source.sha256",
    );
    refused(
        &l,
        &cvr("north", 2, 'a', 2, 4, 10, r#"[[4,"cat"]]"#),
        RejectCode::SeriesMismatch,
        "batches",
    );
    refused(
        &l,
        &cvr("north", 2, 'a', 2, 3, 11, r#"[[4,"cat"]]"#),
        RejectCode::SeriesMismatch,
        "file_ballots",
    );
    // An older version.
    refused(
        &l,
        &cvr("north", 1, 'a', 1, 1, 1, r#"[[1,"ann"]]"#),
        RejectCode::StaleVersion,
        "version",
    );
    // Counts: zero, more than announced so far, and a last batch that misses the total.
    refused(
        &l,
        &cvr("north", 2, 'a', 2, 3, 10, r#"[[0,"ann"]]"#),
        RejectCode::CountOutOfRange,
        "ballots[0][0]",
    );
    refused(
        &l,
        &cvr("north", 2, 'a', 2, 3, 10, r#"[[7,"ann"]]"#),
        RejectCode::InconsistentCounts,
        "file_ballots",
    );
    admit(&mut l, &cvr("north", 2, 'a', 2, 3, 10, r#"[[3,"cat"]]"#));
    refused(
        &l,
        &cvr("north", 2, 'a', 3, 3, 10, r#"[[2,"cat"]]"#),
        RejectCode::InconsistentCounts,
        "file_ballots",
    );
    // A malformed hash.
    let bad_hash = cvr_json("north", 3, 'a', 1, 1, 1, r#"[[1,"ann"]]"#)
        .replace(&"a".repeat(64), &"A".repeat(64));
    refused(
        &l,
        &sign(&k.north, &bad_hash),
        RejectCode::MalformedStatement,
        "source.sha256",
    );
    // After every refusal, the right last batch still completes the series.
    admit(&mut l, &cvr("north", 2, 'a', 3, 3, 10, r#"[[3,"ben"]]"#));
}
