//! The acceptance rules (design §4.3): each failure has its own code and field, and a refused
//! statement changes nothing.

use skytale_testkit as common;

use common::{keys, ledger, mayor, results_json, sign};
use skytale_model::{Ledger, RejectCode};

fn no_root(_: u64) -> Option<[u8; 32]> {
    None
}

/// Checks that `bytes` is refused with `code` (and `field` if given) and that the ledger state
/// is untouched.
fn refused(l: &Ledger, bytes: &[u8], code: RejectCode, field: Option<&str>) {
    let before = (
        l.size(),
        format!("{:?}", l.published()),
        l.last_version(l.definition().unit_index("n1").unwrap()),
    );
    let err = l.check(bytes, &no_root).expect_err("must be refused");
    assert_eq!(err.code, code, "{err}");
    if let Some(f) = field {
        assert_eq!(err.field.as_deref(), Some(f), "{err}");
    }
    let after = (
        l.size(),
        format!("{:?}", l.published()),
        l.last_version(l.definition().unit_index("n1").unwrap()),
    );
    assert_eq!(before, after);
}

#[test]
fn a_good_statement_is_admitted_and_committed() {
    let k = keys();
    let mut l = ledger(&k);
    let a = l
        .check(
            &sign(&k.north, &results_json("n1", 1, &mayor(300, 200, 510))),
            &no_root,
        )
        .unwrap();
    assert!(a.issues.is_empty());
    l.commit(&a);
    assert_eq!(l.size(), 2);
    assert_eq!(
        l.last_version(l.definition().unit_index("n1").unwrap()),
        Some(1)
    );
}

#[test]
fn rejection_matrix() {
    let k = keys();
    let mut l = ledger(&k);
    let ok = results_json("n1", 3, &mayor(300, 200, 510));
    l.commit(&l.check(&sign(&k.north, &ok), &no_root).unwrap());

    // Malformed note: not a signed note at all, and a note with its blank line missing.
    refused(&l, b"hello", RejectCode::MalformedNote, None);
    let good = sign(&k.north, &results_json("n1", 4, &mayor(1, 1, 2)));
    let broken: Vec<u8> = String::from_utf8(good.clone())
        .unwrap()
        .replacen("\n\n", "\n", 1)
        .into_bytes();
    refused(&l, &broken, RejectCode::MalformedNote, None);
    // Malformed statement: not JSON, unknown type, missing field.
    refused(
        &l,
        &sign(&k.north, "not json"),
        RejectCode::MalformedStatement,
        None,
    );
    refused(
        &l,
        &sign(&k.north, r#"{"type":"votes","election":"test-2026"}"#),
        RejectCode::MalformedStatement,
        None,
    );
    // Bad signature: a signature line by the north key over other text.
    let mut tampered = String::from_utf8(good.clone()).unwrap();
    tampered = tampered.replacen(
        "\"alice\":{\"election_day\":1}",
        "\"alice\":{\"election_day\":9}",
        1,
    );
    refused(&l, tampered.as_bytes(), RejectCode::BadSignature, None);
    // Unknown key.
    refused(
        &l,
        &sign(&k.stranger, &results_json("n1", 4, &mayor(1, 1, 2))),
        RejectCode::UnknownKey,
        None,
    );
    // Wrong election.
    let other = results_json("n1", 4, &mayor(1, 1, 2)).replace("test-2026", "other-2026");
    refused(
        &l,
        &sign(&k.north, &other),
        RejectCode::WrongElection,
        Some("election"),
    );
    // Unknown unit.
    refused(
        &l,
        &sign(&k.north, &results_json("n9", 1, &mayor(1, 1, 2))),
        RejectCode::UnknownUnit,
        Some("unit"),
    );
    // Key not authorised for the unit (the north office reporting a southern station), and
    // the authority's or an approver's key reporting results.
    refused(
        &l,
        &sign(&k.north, &results_json("s1", 1, &mayor(1, 1, 2))),
        RejectCode::KeyNotAuthorised,
        Some("unit"),
    );
    refused(
        &l,
        &sign(&k.authority, &results_json("n1", 4, &mayor(1, 1, 2))),
        RejectCode::KeyNotAuthorised,
        Some("unit"),
    );
    // Unknown contest; a contest not held in that unit; unknown selection.
    let c = r#"{"contest":"senate","selections":{"alice":{"total":1}}}"#;
    refused(
        &l,
        &sign(&k.north, &results_json("n1", 4, c)),
        RejectCode::UnknownContest,
        Some("contests[0].contest"),
    );
    let c = r#"{"contest":"north-measure","selections":{"yes":{"total":1}}}"#;
    refused(
        &l,
        &sign(&k.south, &results_json("s1", 1, c)),
        RejectCode::ContestNotInUnit,
        Some("contests[0].contest"),
    );
    let c = r#"{"contest":"mayor","selections":{"carol":{"total":1}}}"#;
    refused(
        &l,
        &sign(&k.north, &results_json("n1", 4, c)),
        RejectCode::UnknownSelection,
        Some("contests[0].selections.carol"),
    );
    // Negative and overflowing counts; a fractional count is malformed.
    let c = r#"{"contest":"mayor","selections":{"alice":{"mail":-5}}}"#;
    refused(
        &l,
        &sign(&k.north, &results_json("n1", 4, c)),
        RejectCode::CountOutOfRange,
        Some("contests[0].selections.alice.mail"),
    );
    let c = r#"{"contest":"mayor","selections":{"alice":{"mail":99999999999999999999999}}}"#;
    refused(
        &l,
        &sign(&k.north, &results_json("n1", 4, c)),
        RejectCode::CountOutOfRange,
        Some("contests[0].selections.alice.mail"),
    );
    let c =
        r#"{"contest":"mayor","ballots":18446744073709551615,"selections":{"alice":{"mail":1}}}"#;
    refused(
        &l,
        &sign(&k.north, &results_json("n1", 4, c)),
        RejectCode::CountOutOfRange,
        Some("contests[0].ballots"),
    );
    let c = r#"{"contest":"mayor","selections":{"alice":{"mail":1.5}}}"#;
    refused(
        &l,
        &sign(&k.north, &results_json("n1", 4, c)),
        RejectCode::MalformedStatement,
        None,
    );
    // A total that contradicts its parts.
    let c = r#"{"contest":"mayor","selections":{"alice":{"mail":1,"election_day":2,"total":4}}}"#;
    refused(
        &l,
        &sign(&k.north, &results_json("n1", 4, c)),
        RejectCode::InconsistentCounts,
        Some("contests[0].selections.alice.total"),
    );
    // Stale and duplicate versions.
    refused(
        &l,
        &sign(&k.north, &results_json("n1", 2, &mayor(1, 1, 2))),
        RejectCode::StaleVersion,
        Some("version"),
    );
    refused(
        &l,
        &sign(&k.north, &results_json("n1", 3, &mayor(1, 1, 2))),
        RejectCode::DuplicateVersion,
        Some("version"),
    );
    // A second election statement.
    let mut def = common::definition(&k);
    def.id = "test-2026".into();
    refused(&l, &common::entry0(&k, &def), RejectCode::NotAllowed, None);
}

#[test]
fn implausible_counts_are_admitted_with_issues_for_review() {
    let k = keys();
    let l = ledger(&k);
    // More votes than ballots; more ballots than registered voters (n1 has 1,000).
    let a = l
        .check(
            &sign(&k.north, &results_json("n1", 1, &mayor(700, 600, 1200))),
            &no_root,
        )
        .unwrap();
    let why: Vec<&str> = a.issues.iter().map(|i| i.why.as_str()).collect();
    assert_eq!(a.issues.len(), 2, "{why:?}");
    assert!(why[0].contains("1300 votes exceed 1200 ballots"), "{why:?}");
    assert!(
        why[1].contains("1200 ballots exceed the unit's 1000 registered voters"),
        "{why:?}"
    );
}

#[test]
fn revoked_keys_are_refused_from_the_revocation_on() {
    let k = keys();
    let mut l = ledger(&k);
    l.commit(
        &l.check(
            &sign(&k.south, &results_json("s1", 1, &mayor(1, 1, 2))),
            &no_root,
        )
        .unwrap(),
    );
    let revoke = format!(
        r#"{{"type":"key","election":"test-2026","action":"revoke","key":"{}"}}"#,
        k.south.verifier()
    );
    // Only the authority may revoke.
    refused(
        &l,
        &sign(&k.north, &revoke),
        RejectCode::KeyNotAuthorised,
        None,
    );
    l.commit(&l.check(&sign(&k.authority, &revoke), &no_root).unwrap());
    refused(
        &l,
        &sign(&k.south, &results_json("s1", 2, &mayor(1, 1, 2))),
        RejectCode::KeyRevoked,
        Some("unit"),
    );
    // A replacement key added by the authority may report.
    let new_south = common::key("south-office-2", 9);
    let add = format!(
        r#"{{"type":"key","election":"test-2026","action":"add","name":"South office (new key)","key":"{}","scope":["south"]}}"#,
        new_south.verifier()
    );
    l.commit(&l.check(&sign(&k.authority, &add), &no_root).unwrap());
    let keys_now = l.keys().clone();
    let v = skytale_model::verify_note(
        &keys_now,
        "test-2026",
        &sign(&new_south, &results_json("s1", 2, &mayor(1, 1, 2))),
    )
    .unwrap();
    assert!(l.admit(v, &no_root).is_ok());
}

#[test]
fn publications_need_an_approver_and_the_right_root() {
    let k = keys();
    let text = common::toml_text(&k, "approval");
    let def =
        skytale_model::Definition::parse(&text, skytale_model::DefinitionFormat::Toml).unwrap();
    let mut l = Ledger::genesis(&[common::entry0(&k, &def)], None).unwrap();
    assert_eq!(
        l.published(),
        None,
        "nothing is published before an approval"
    );
    l.commit(
        &l.check(
            &sign(&k.north, &results_json("n1", 1, &mayor(3, 2, 5))),
            &no_root,
        )
        .unwrap(),
    );
    let root = [7u8; 32];
    let roots = move |n: u64| (n == 2).then_some(root);
    let publ = |size: u64, r: &[u8; 32]| {
        format!(
            r#"{{"type":"publication","election":"test-2026","tree_size":{size},"root_hash":"{}","signed_at":"2026-11-25T21:00:00Z"}}"#,
            skytale_model::encode_hash(r)
        )
    };
    let err = l
        .check(&sign(&k.north, &publ(2, &root)), &roots)
        .unwrap_err();
    assert_eq!(err.code, RejectCode::KeyNotAuthorised);
    let err = l
        .check(&sign(&k.approver, &publ(2, &[8u8; 32])), &roots)
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (RejectCode::BadPublication, Some("root_hash"))
    );
    let err = l
        .check(&sign(&k.approver, &publ(5, &root)), &roots)
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (RejectCode::BadPublication, Some("tree_size"))
    );
    l.commit(
        &l.check(&sign(&k.approver, &publ(2, &root)), &roots)
            .unwrap(),
    );
    assert_eq!(l.published(), Some((2, Some("2026-11-25T21:00:00Z"))));
}

#[test]
fn genesis_checks_the_authority_signature_and_pin() {
    let k = keys();
    let def = common::definition(&k);
    let text = skytale_note::Note::parse(&common::entry0(&k, &def))
        .unwrap()
        .text;
    let forged = k.north.sign_note(&text).unwrap().to_bytes();
    let err = Ledger::genesis(&[forged], None).unwrap_err();
    assert!(
        err.to_string()
            .contains("not validly signed by the authority key"),
        "{err}"
    );
    let e0 = common::entry0(&k, &def);
    assert!(
        Ledger::genesis(std::slice::from_ref(&e0), Some(&k.north.verifier())).is_err(),
        "a pinned authority must match"
    );
    assert!(Ledger::genesis(std::slice::from_ref(&e0), Some(&k.authority.verifier())).is_ok());
}

/// A definition too large for one log entry is carried by signed parts after entry 0.
mod large_definitions {
    use super::*;
    use skytale_model::{GenesisError, MAX_ENTRY_BYTES};

    fn big() -> (common::Keys, skytale_model::Definition, Vec<Vec<u8>>) {
        let k = keys();
        let def = common::large_definition(&k, 3_000);
        let head = common::head(&k, &def);
        (k, def, head)
    }

    #[test]
    fn the_parts_rebuild_the_signed_definition() {
        let (k, def, head) = big();
        assert!(head.len() > 3, "3,000 stations need several parts");
        assert!(head.iter().all(|e| e.len() <= MAX_ENTRY_BYTES));
        // Deterministic: the same definition and key give the same entries.
        assert_eq!(head, common::head(&k, &def));
        let l = Ledger::genesis(&head, Some(&k.authority.verifier())).unwrap();
        assert_eq!(l.size(), head.len() as u64);
        assert_eq!(l.genesis_size(), head.len() as u64);
        assert_eq!(l.definition().definition(), &def);
        assert_eq!(l.published(), Some((head.len() as u64, None)));
        // Extra entries after the head are not read by genesis.
        let mut log = head.clone();
        log.push(b"not even a note".to_vec());
        assert_eq!(
            Ledger::genesis(&log, None).unwrap().size(),
            head.len() as u64
        );
    }

    #[test]
    fn results_follow_the_parts() {
        let (k, _, head) = big();
        let mut l = Ledger::genesis(&head, None).unwrap();
        let a = l
            .check(
                &sign(&k.north, &results_json("x002999", 1, &mayor(3, 2, 5))),
                &no_root,
            )
            .unwrap();
        l.commit(&a);
        assert_eq!(l.size(), head.len() as u64 + 1);
        // A part replayed later in the log is refused.
        refused(&l, &head[1], RejectCode::NotAllowed, None);
    }

    #[test]
    fn a_missing_part_is_named() {
        let (_, _, head) = big();
        let err = Ledger::genesis(&head[..head.len() - 1], None).unwrap_err();
        assert!(
            matches!(err, GenesisError::Incomplete { have, need } if have + 1 == need),
            "{err}"
        );
    }

    #[test]
    fn reordered_parts_are_refused() {
        let (_, _, mut head) = big();
        head.swap(1, 2);
        let err = Ledger::genesis(&head, None).unwrap_err();
        assert!(matches!(err, GenesisError::Part { index: 1, .. }), "{err}");
        assert!(err.to_string().contains("expected part 1"), "{err}");
    }

    #[test]
    fn a_part_signed_by_another_key_is_refused() {
        let (k, _, mut head) = big();
        let text = skytale_note::Note::parse(&head[2]).unwrap().text;
        head[2] = k.north.sign_note(&text).unwrap().to_bytes();
        let err = Ledger::genesis(&head, None).unwrap_err();
        assert!(matches!(err, GenesisError::Part { index: 2, .. }), "{err}");
        assert!(
            err.to_string().contains("not signed by the authority"),
            "{err}"
        );
    }

    #[test]
    fn a_changed_part_breaks_the_digest_even_when_re_signed() {
        // Even the authority cannot swap a part after entry 0 fixed the digest.
        let (k, _, mut head) = big();
        let text = skytale_note::Note::parse(&head[1]).unwrap().text;
        let changed = text.replacen("Station", "Statiom", 1);
        assert_ne!(text, changed);
        head[1] = k.authority.sign_note(&changed).unwrap().to_bytes();
        let err = Ledger::genesis(&head, None).unwrap_err();
        assert!(matches!(err, GenesisError::Digest { .. }), "{err}");
    }

    #[test]
    fn a_pinned_authority_is_checked_before_the_parts() {
        let (k, _, head) = big();
        let err = Ledger::genesis(&head, Some(&k.north.verifier())).unwrap_err();
        assert!(
            matches!(err, GenesisError::UnexpectedAuthority { .. }),
            "{err}"
        );
    }

    #[test]
    fn publications_cannot_point_inside_the_definition() {
        let (k, _, head) = big();
        let text = common::toml_text(&k, "approval");
        let mut def =
            skytale_model::Definition::parse(&text, skytale_model::DefinitionFormat::Toml).unwrap();
        def.units = common::large_definition(&k, 3_000).units;
        let head2 = common::head(&k, &def);
        assert_eq!(head2.len(), head.len());
        let l = Ledger::genesis(&head2, None).unwrap();
        let root = [7u8; 32];
        let publ = format!(
            r#"{{"type":"publication","election":"test-2026","tree_size":1,"root_hash":"{}","signed_at":"2026-11-25T21:00:00Z"}}"#,
            skytale_model::encode_hash(&root)
        );
        let err = l
            .check(&sign(&k.approver, &publ), &|_| Some(root))
            .unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (RejectCode::BadPublication, Some("tree_size")),
            "{err}"
        );
    }
}

/// A definition beyond a signed note's own size limit (1 MiB; a national one is tens of
/// megabytes) is still carried in parts.
#[test]
fn a_definition_larger_than_a_note_is_carried_in_parts() {
    let k = keys();
    let def = common::large_definition(&k, 20_000);
    let head = common::head(&k, &def);
    assert!(head.len() > 30, "{} entries", head.len());
    let l = Ledger::genesis(&head, None).unwrap();
    assert_eq!(l.definition().units().len(), 20_007);
}

/// The publications of a prefix: one per approval that reached quorum for a size larger than
/// the last publication, with its size, canonical root, time and approvers; an approval of an
/// older size is not one, and `automatic` mode has none.
#[test]
fn publications_are_the_approvals_that_reached_quorum_in_order() {
    let k = keys();
    for mode in ["approval", "automatic"] {
        let def = skytale_model::Definition::parse(
            &common::toml_text(&k, mode),
            skytale_model::DefinitionFormat::Toml,
        )
        .unwrap();
        let mut l = Ledger::genesis(&[common::entry0(&k, &def)], None).unwrap();
        let root = |n: u64| [n as u8; 32];
        let roots = |n: u64| Some(root(n));
        let publ = |size: u64, minute: u32| {
            sign(
                &k.approver,
                &format!(
                    r#"{{"type":"publication","election":"test-2026","tree_size":{size},"root_hash":"{}","signed_at":"2026-11-25T21:{minute:02}:00Z"}}"#,
                    skytale_model::encode_hash(&root(size))
                ),
            )
        };
        let add = |l: &mut Ledger, bytes: Vec<u8>| {
            let a = l.check(&bytes, &roots).unwrap();
            l.commit(&a);
        };
        add(
            &mut l,
            sign(&k.north, &results_json("n1", 1, &mayor(3, 2, 5))),
        );
        add(&mut l, publ(2, 1)); // entry 2: publishes size 2
        add(
            &mut l,
            sign(&k.north, &results_json("n2", 1, &mayor(4, 1, 5))),
        );
        add(&mut l, publ(4, 2)); // entry 4: publishes size 4
        add(&mut l, publ(2, 3)); // an older size again: not a publication
        add(
            &mut l,
            sign(&k.north, &results_json("n1", 2, &mayor(5, 2, 7))),
        );
        add(&mut l, publ(7, 4)); // entry 7: publishes size 7
        let got: Vec<(u64, String, String, u64, Vec<String>)> = l
            .publications()
            .iter()
            .map(|p| {
                (
                    p.tree_size,
                    p.root_hash.clone(),
                    p.published_at.clone(),
                    p.index,
                    p.approvers.clone(),
                )
            })
            .collect();
        if mode == "automatic" {
            assert!(got.is_empty(), "{got:?}");
            assert_eq!(l.published(), Some((8, Some("2026-11-25T21:04:00Z"))));
            continue;
        }
        let want: Vec<(u64, String, String, u64, Vec<String>)> = [(2, 1, 2), (4, 2, 4), (7, 4, 7)]
            .into_iter()
            .map(|(size, minute, index)| {
                (
                    size,
                    skytale_model::encode_hash(&root(size)),
                    format!("2026-11-25T21:{minute:02}:00Z"),
                    index,
                    vec!["approver".to_string()],
                )
            })
            .collect();
        assert_eq!(got, want);
        assert_eq!(l.published(), Some((7, Some("2026-11-25T21:04:00Z"))));
    }
}

/// Approvals count for the content they approve: the log's size after its last entry that is
/// not a publication, so an approval appended between two approvers' runs moves nothing.
mod approval_rounds {
    use super::*;
    use proptest::prelude::*;
    use skytale_model::PendingApproval;
    use skytale_note::SigningKey;

    struct Night {
        l: Ledger,
        a: SigningKey,
        b: SigningKey,
        north: SigningKey,
        version: u64,
    }

    /// Every size's root is `[size; 32]`: distinct per size, so a publication shows which
    /// size's root it recorded.
    fn root(n: u64) -> [u8; 32] {
        [n as u8; 32]
    }

    /// An `approval` election with approvers `a` and `b` and a quorum of 2, after entry 0.
    fn night() -> Night {
        let k = keys();
        let b = common::key("second-approver", 9);
        let text = common::toml_text(&k, "approval").replace(
            &format!("approvers = [\"{}\"]\nquorum = 1", k.approver.verifier()),
            &format!(
                "approvers = [\"{}\", \"{}\"]\nquorum = 2",
                k.approver.verifier(),
                b.verifier()
            ),
        );
        let def =
            skytale_model::Definition::parse(&text, skytale_model::DefinitionFormat::Toml).unwrap();
        assert_eq!(
            def.publication.quorum, 2,
            "the fixture's policy was not replaced"
        );
        let l = Ledger::genesis(&[common::entry0(&k, &def)], None).unwrap();
        Night {
            l,
            a: k.approver,
            b,
            north: k.north,
            version: 0,
        }
    }

    impl Night {
        fn add(&mut self, bytes: &[u8]) -> u64 {
            let a = self.l.check(bytes, &|n| Some(root(n))).unwrap();
            let index = self.l.size();
            self.l.commit(&a);
            index
        }
        fn results(&mut self) -> u64 {
            self.version += 1;
            let st = results_json("n1", self.version, &mayor(3, 2, 5));
            let bytes = sign(&self.north, &st);
            self.add(&bytes)
        }
        fn approve(&mut self, by: char, size: u64) -> u64 {
            let st = format!(
                r#"{{"type":"publication","election":"test-2026","tree_size":{size},"root_hash":"{}","signed_at":"2026-11-25T21:{:02}:00Z"}}"#,
                skytale_model::encode_hash(&root(size)),
                self.l.size()
            );
            let key = if by == 'a' { &self.a } else { &self.b };
            let bytes = sign(key, &st);
            self.add(&bytes)
        }
    }

    fn pending(size: u64, by: &[&str], waiting: &[&str]) -> PendingApproval {
        PendingApproval {
            tree_size: size,
            approved_by: by.iter().map(|s| s.to_string()).collect(),
            waiting_for: waiting.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_second_approver_may_approve_the_size_after_the_first_approval() {
        let mut n = night();
        n.results();
        n.results();
        assert_eq!((n.l.size(), n.l.content_size()), (3, 3));
        assert_eq!(n.l.quorum(), 2);
        assert_eq!(n.l.approver_names(), ["approver", "second-approver"]);
        n.approve('a', 3); // entry 3: the log is at 4, its content still at 3
        assert_eq!((n.l.size(), n.l.content_size()), (4, 3));
        assert_eq!(n.l.published(), None);
        assert_eq!(
            n.l.pending_approvals(),
            [pending(3, &["approver"], &["second-approver"])]
        );
        let index = n.approve('b', 4); // what the log's size said when b looked
        let p = n.l.publications();
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].tree_size, 3);
        assert_eq!(p[0].root_hash, skytale_model::encode_hash(&root(3)));
        assert_eq!(p[0].index, index);
        assert_eq!(p[0].approvers, ["approver", "second-approver"]);
        assert_eq!(n.l.published(), Some((3, Some("2026-11-25T21:04:00Z"))));
        assert!(n.l.pending_approvals().is_empty());
        // Approving the published content again, at any size after it, publishes nothing.
        n.approve('a', 5);
        n.approve('b', 6);
        assert_eq!(n.l.publications().len(), 1);
        assert!(n.l.pending_approvals().is_empty());
    }

    #[test]
    fn results_between_two_approvals_keep_them_apart() {
        let mut n = night();
        n.results();
        n.approve('a', 2);
        n.results(); // entry 3: new content, the log is at 4
        n.approve('b', 4);
        assert_eq!(n.l.published(), None);
        assert_eq!(
            n.l.pending_approvals(),
            [
                pending(2, &["approver"], &["second-approver"]),
                pending(4, &["second-approver"], &["approver"]),
            ]
        );
        // The first approver joins the newer round, which publishes it; the older round is
        // then below the published size and no longer pending.
        n.approve('a', 5);
        assert_eq!(n.l.published().map(|p| p.0), Some(4));
        assert!(n.l.pending_approvals().is_empty());
    }

    #[test]
    fn one_approver_alone_never_publishes() {
        let mut n = night();
        for _ in 0..3 {
            n.results();
            let size = n.l.size();
            n.approve('a', size);
            n.approve('a', size + 1);
        }
        assert!(n.l.publications().is_empty());
        assert_eq!(n.l.published(), None);
        let sizes: Vec<u64> =
            n.l.pending_approvals()
                .iter()
                .map(|p| p.tree_size)
                .collect();
        assert_eq!(sizes, [2, 5, 8]);
    }

    #[test]
    fn an_approver_who_approves_twice_counts_once() {
        let mut n = night();
        n.results();
        n.approve('a', 2);
        n.approve('a', 3);
        n.approve('a', 2);
        assert_eq!(n.l.published(), None);
        assert_eq!(
            n.l.pending_approvals(),
            [pending(2, &["approver"], &["second-approver"])]
        );
        n.approve('b', 5);
        assert_eq!(n.l.published().map(|p| p.0), Some(2));
        assert_eq!(n.l.publications()[0].approvers.len(), 2);
    }

    #[derive(Clone, Debug)]
    enum Step {
        Results,
        /// The first approver approves the size this many entries back (clamped to the
        /// definition's end).
        Approve(u8),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![Just(Step::Results), (0u8..4).prop_map(Step::Approve)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// However publication entries interleave with content, the content size at every
        /// tree size is the size after the last content entry before it, and each approval
        /// counts for exactly that size.
        #[test]
        fn publication_entries_never_move_the_content_size(steps in prop::collection::vec(step(), 0..24)) {
            let mut n = night();
            // Per entry: whether it is content (entry 0, results) or a publication.
            let mut content = vec![true];
            let mut approved = std::collections::BTreeSet::new();
            let model = |content: &[bool], size: u64| {
                (1..=size).rev().find(|&s| content[s as usize - 1]).unwrap_or(0)
            };
            for s in steps {
                match s {
                    Step::Results => {
                        n.results();
                        content.push(true);
                    }
                    Step::Approve(back) => {
                        let size = n.l.size().saturating_sub(u64::from(back)).max(1);
                        approved.insert(model(&content, size));
                        n.approve('a', size);
                        content.push(false);
                    }
                }
                prop_assert_eq!(n.l.content_size(), model(&content, n.l.size()));
                for size in 1..=n.l.size() {
                    prop_assert_eq!(n.l.content_size_at(size), model(&content, size), "at {}", size);
                }
                let pending: Vec<u64> = n.l.pending_approvals().iter().map(|p| p.tree_size).collect();
                prop_assert_eq!(pending, approved.iter().copied().collect::<Vec<_>>());
            }
        }
    }
}

/// A status statement (the officials' result type) for `contest`/`unit` (JSON fragments).
fn status_json(scope: &str, result_type: &str, extra: &str) -> String {
    format!(
        r#"{{"type":"status","election":"test-2026",{scope}"result_type":"{result_type}","signed_at":"2026-11-25T22:00:00+01:00"{extra}}}"#
    )
}

#[test]
fn result_types_are_the_officials_word_on_known_scopes() {
    let k = keys();
    let mut l = ledger(&k);
    // Only the authority's root key or an approver gives a result type.
    let final_mayor = status_json(r#""contest":"mayor","#, "final", "");
    refused(
        &l,
        &sign(&k.north, &final_mayor),
        RejectCode::KeyNotAuthorised,
        None,
    );
    // Scopes the definition knows, and a unit inside the contest's area.
    refused(
        &l,
        &sign(
            &k.authority,
            &status_json(r#""contest":"senate","#, "final", ""),
        ),
        RejectCode::UnknownContest,
        Some("contest"),
    );
    refused(
        &l,
        &sign(
            &k.authority,
            &status_json(r#""unit":"atlantis","#, "final", ""),
        ),
        RejectCode::UnknownUnit,
        Some("unit"),
    );
    refused(
        &l,
        &sign(
            &k.authority,
            &status_json(r#""contest":"north-measure","unit":"s1","#, "final", ""),
        ),
        RejectCode::ContestNotInUnit,
        Some("unit"),
    );
    refused(
        &l,
        &sign(&k.authority, &status_json("", "settled", "")),
        RejectCode::MalformedStatement,
        None,
    );
    let bad_time =
        r#"{"type":"status","election":"test-2026","result_type":"final","signed_at":"tonight"}"#;
    refused(
        &l,
        &sign(&k.authority, bad_time),
        RejectCode::BadTimestamp,
        Some("signed_at"),
    );
    // Both officials' keys may; a unit below the contest's area root is in it.
    for (key, text) in [
        (&k.authority, final_mayor.clone()),
        (
            &k.approver,
            status_json(
                r#""contest":"north-measure","unit":"n2","#,
                "provisional",
                "",
            ),
        ),
    ] {
        let a = l.check(&sign(key, &text), &no_root).unwrap();
        l.commit(&a);
    }
    let mayor = l.definition().contest_index("mayor");
    assert_eq!(
        l.result_type(mayor, None),
        Some(skytale_model::ResultType::Final)
    );
}

#[test]
fn leaving_certified_needs_a_reason() {
    let k = keys();
    let mut l = ledger(&k);
    let scope = r#""contest":"mayor","#;
    let a = l
        .check(
            &sign(&k.authority, &status_json(scope, "certified", "")),
            &no_root,
        )
        .unwrap();
    l.commit(&a);
    refused(
        &l,
        &sign(&k.authority, &status_json(scope, "final", "")),
        RejectCode::MalformedStatement,
        Some("reason"),
    );
    refused(
        &l,
        &sign(
            &k.authority,
            &status_json(scope, "final", r#","reason":"  ""#),
        ),
        RejectCode::MalformedStatement,
        Some("reason"),
    );
    // Certified again needs none; another scope is another record.
    l.check(
        &sign(&k.authority, &status_json(scope, "certified", "")),
        &no_root,
    )
    .unwrap();
    l.check(&sign(&k.authority, &status_json("", "final", "")), &no_root)
        .unwrap();
    let reopened = status_json(
        scope,
        "final",
        r#","reason":"recount ordered by the court""#,
    );
    let a = l.check(&sign(&k.authority, &reopened), &no_root).unwrap();
    l.commit(&a);
    assert_eq!(
        l.result_type(l.definition().contest_index("mayor"), None),
        Some(skytale_model::ResultType::Final)
    );
}

/// A batch is checked on the ledger itself: what `commit_undoable` committed, `undo` puts
/// back, so the same statements are admitted again exactly as before.
#[test]
fn undo_puts_back_what_a_checked_batch_committed() {
    let k = keys();
    let mut l = ledger(&k);
    let first = l
        .check(
            &sign(&k.north, &results_json("n1", 1, &mayor(300, 200, 510))),
            &no_root,
        )
        .unwrap();
    l.commit(&first);
    let n1 = l.definition().unit_index("n1").unwrap();
    let n2 = l.definition().unit_index("n2").unwrap();
    let before = (l.size(), l.last_version(n1), l.last_version(n2));
    let mut undo = skytale_model::Undo::default();
    for (unit, version) in [("n1", 2), ("n2", 1), ("n1", 3)] {
        let a = l
            .check(
                &sign(
                    &k.north,
                    &results_json(unit, version, &mayor(300, 200, 510)),
                ),
                &no_root,
            )
            .unwrap();
        assert!(l.commit_undoable(&a, &mut undo));
    }
    assert_eq!(
        (l.size(), l.last_version(n1), l.last_version(n2)),
        (5, Some(3), Some(1))
    );
    l.undo(undo);
    assert_eq!((l.size(), l.last_version(n1), l.last_version(n2)), before);
    // Version 2 of n1 is new again, and n2 has no version.
    assert!(l
        .check(
            &sign(&k.north, &results_json("n1", 2, &mayor(300, 200, 510))),
            &no_root
        )
        .is_ok());
}

/// Entries checked together (their signatures in one batch) get each the verdict it gets
/// alone, good and bad side by side, a second signature line included.
#[test]
fn notes_checked_together_get_each_its_own_verdict() {
    use skytale_note::Note;
    let k = keys();
    let l = ledger(&k);
    let good = sign(&k.north, &results_json("n1", 1, &mayor(300, 200, 510)));
    let tampered = String::from_utf8(good.clone())
        .unwrap()
        .replacen(
            "\"alice\":{\"election_day\":",
            "\"alice\":{\"election_day\":1",
            1,
        )
        .into_bytes();
    let stranger = sign(&k.stranger, &results_json("n1", 2, &mayor(1, 1, 2)));
    let elsewhere = sign(
        &k.north,
        &results_json("n1", 2, &mayor(1, 1, 2)).replace("test-2026", "other-2026"),
    );
    // Signed by north and by south (both known); the second line is south's signature over
    // other text, so the note is refused though its first line verifies.
    let mut second_bad = Note::parse(&good).unwrap();
    let south_elsewhere = Note::parse(&sign(&k.south, "{}")).unwrap();
    second_bad
        .signatures
        .push(south_elsewhere.signatures[0].clone());
    let second_bad = second_bad.to_bytes();
    let mut both = Note::parse(&good).unwrap();
    both.add_signature(&k.stranger);
    both.add_signature(&k.south);
    let both = both.to_bytes();
    let notes: Vec<Vec<u8>> = vec![
        good.clone(),
        tampered,
        b"hello".to_vec(),
        stranger,
        elsewhere,
        second_bad,
        both,
        good,
    ];
    let together = skytale_model::verify_notes(l.keys(), l.election(), &notes);
    let codes: Vec<Option<RejectCode>> = together
        .iter()
        .map(|v| v.as_ref().err().map(|r| r.code))
        .collect();
    assert_eq!(
        codes,
        vec![
            None,
            Some(RejectCode::BadSignature),
            Some(RejectCode::MalformedNote),
            Some(RejectCode::UnknownKey),
            Some(RejectCode::WrongElection),
            Some(RejectCode::BadSignature),
            None,
            None,
        ]
    );
    for (note, got) in notes.iter().zip(&together) {
        let alone = skytale_model::verify_note(l.keys(), l.election(), note);
        match (got, alone) {
            (Ok(a), Ok(b)) => assert_eq!(a.signers, b.signers),
            (Err(a), Err(b)) => assert_eq!((a.code, &a.message), (b.code, &b.message)),
            (a, b) => panic!("together {a:?}, alone {b:?}"),
        }
    }
    assert_eq!(together[6].as_ref().unwrap().signers.len(), 2);
}
