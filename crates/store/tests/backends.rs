//! The log's storage on both backends: elections, entries, checkpoints, cosignatures, and the
//! fence that lets only one writer extend a head.

mod common;

use skytale_store::{Extends, StoreError};

fn at(size: u64, checkpoint: &[u8]) -> Extends<'_> {
    Extends { size, checkpoint }
}

#[test]
fn entries_and_checkpoints_are_stored_in_order_per_election() {
    for backend in common::backends("log") {
        let store = &backend.store;
        let b = backend.name;
        store
            .create_election(
                "e",
                "2026-11-26T00:00:00Z",
                &[b"def".to_vec(), b"part".to_vec()],
                b"cp2",
            )
            .unwrap();
        store
            .create_election("d", "2026-11-25T00:00:00Z", &[b"other".to_vec()], b"cp1")
            .unwrap();
        assert!(
            matches!(
                store.create_election("e", "t", &[b"x".to_vec()], b"cp"),
                Err(StoreError::ElectionExists(_))
            ),
            "{b}"
        );
        assert_eq!(store.size("e").unwrap(), 2, "{b}");
        assert_eq!(store.head("e").unwrap(), (2, b"cp2".to_vec()), "{b}");
        store
            .append("e", at(2, b"cp2"), &[b"a", b"bb"], b"cp4")
            .unwrap();
        store
            .append("e", at(4, b"cp4"), &[b"\0ccc\xff"], b"cp5")
            .unwrap();
        assert_eq!(store.size("e").unwrap(), 5, "{b}");
        assert_eq!(store.head("e").unwrap(), (5, b"cp5".to_vec()), "{b}");
        assert_eq!(
            store.entries("e", 0, 5).unwrap(),
            [&b"def"[..], b"part", b"a", b"bb", b"\0ccc\xff"],
            "{b}"
        );
        assert_eq!(store.entries("e", 3, 4).unwrap(), [&b"bb"[..]], "{b}");
        assert!(store.entries("e", 5, 9).unwrap().is_empty(), "{b}");
        assert_eq!(
            store.latest_checkpoint("e").unwrap().as_deref(),
            Some(&b"cp5"[..])
        );
        // Cosignatures replace the stored note, never the fence's checkpoint.
        assert!(store.attach_cosignatures("e", 4, b"cp4+w").unwrap(), "{b}");
        assert!(
            !store.attach_cosignatures("e", 3, b"nothing").unwrap(),
            "{b}"
        );
        assert_eq!(
            store.checkpoints("e").unwrap(),
            [
                (2, b"cp2".to_vec()),
                (4, b"cp4+w".to_vec()),
                (5, b"cp5".to_vec())
            ],
            "{b}"
        );
        assert_eq!(
            store.checkpoint_at("e", 4).unwrap().as_deref(),
            Some(&b"cp4+w"[..])
        );
        assert_eq!(store.checkpoint_at("e", 3).unwrap(), None, "{b}");
        assert!(!store.is_standby().unwrap(), "{b}");
        let list = store.elections().unwrap();
        assert_eq!(
            list.iter()
                .map(|r| (r.id.as_str(), r.size))
                .collect::<Vec<_>>(),
            [("d", 1), ("e", 5)],
            "{b}: by creation time"
        );
        assert!(matches!(
            store.size("nope"),
            Err(StoreError::NoSuchElection(_))
        ));
    }
}

#[test]
fn an_append_at_a_stale_size_is_refused_and_writes_nothing() {
    for backend in common::backends("fence") {
        let store = &backend.store;
        let b = backend.name;
        store
            .create_election("e", "t", &[b"def".to_vec()], b"cp1")
            .unwrap();
        store.append("e", at(1, b"cp1"), &[b"a"], b"cp2").unwrap();
        let err = store
            .append("e", at(1, b"cp1"), &[b"b"], b"cp2'")
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Fenced {
                    expected: 1,
                    actual: 2,
                    ..
                }
            ),
            "{b}: {err}"
        );
        assert!(err.is_fenced());
        assert!(
            err.to_string().contains("another node is sequencing"),
            "{err}"
        );
        let err = store
            .append("e", at(3, b"cp2"), &[b"b"], b"cp4")
            .unwrap_err();
        assert!(err.is_fenced(), "{b}: {err}");
        assert_eq!(
            store.entries("e", 0, 9).unwrap(),
            [&b"def"[..], b"a"],
            "{b}"
        );
        assert_eq!(store.head("e").unwrap(), (2, b"cp2".to_vec()), "{b}");
    }
}

/// The shared database fences on the checkpoint too: a node that missed another's appends
/// and comes back at the same size with its own entries cannot write over them (its
/// checkpoint would be a second one for a signed size).
#[test]
fn postgres_refuses_an_append_at_the_right_size_from_another_head() {
    for backend in common::backends("fence_cp") {
        if backend.schema.is_none() {
            continue;
        }
        let (other, _dir) = backend.second_node();
        let store = &backend.store;
        store
            .create_election("e", "t", &[b"def".to_vec()], b"cp1")
            .unwrap();
        other
            .append("e", at(1, b"cp1"), &[b"theirs"], b"cp2-theirs")
            .unwrap();
        let err = store
            .append("e", at(1, b"cp1"), &[b"mine"], b"cp2-mine")
            .unwrap_err();
        assert!(matches!(err, StoreError::Fenced { actual: 2, .. }), "{err}");
        // Same size, other checkpoint: refused.
        let err = store
            .append("e", at(2, b"cp2-mine"), &[b"mine"], b"cp3-mine")
            .unwrap_err();
        assert!(
            matches!(err, StoreError::FencedCheckpoint { size: 2, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("stops sequencing"), "{err}");
        assert_eq!(store.entries("e", 0, 9).unwrap(), [&b"def"[..], b"theirs"]);
        // With the head it read, the node may go on.
        let (size, head) = store.head("e").unwrap();
        store
            .append("e", at(size, &head), &[b"next"], b"cp3")
            .unwrap();
        assert_eq!(other.size("e").unwrap(), 3);
    }
}

/// Two nodes racing to extend the same heads, many times: each round exactly one wins, and
/// the log is exactly the winners' entries.
#[test]
fn of_two_nodes_racing_for_one_head_exactly_one_appends() {
    for backend in common::backends("race") {
        if backend.schema.is_none() {
            continue;
        }
        let (other, _dir) = backend.second_node();
        let store = &backend.store;
        store
            .create_election("e", "t", &[b"def".to_vec()], b"cp1")
            .unwrap();
        let mut expected = vec![b"def".to_vec()];
        for round in 1..=30u64 {
            let (size, head) = store.head("e").unwrap();
            assert_eq!(size, round);
            let go = std::sync::Barrier::new(2);
            let (a, b) = std::thread::scope(|s| {
                let one = s.spawn(|| {
                    go.wait();
                    let e = format!("a{round}");
                    store
                        .append(
                            "e",
                            at(size, &head),
                            &[e.as_bytes()],
                            format!("cpa{round}").as_bytes(),
                        )
                        .map(|()| e)
                });
                let two = s.spawn(|| {
                    go.wait();
                    let e = format!("b{round}");
                    other
                        .append(
                            "e",
                            at(size, &head),
                            &[e.as_bytes()],
                            format!("cpb{round}").as_bytes(),
                        )
                        .map(|()| e)
                });
                (one.join().unwrap(), two.join().unwrap())
            });
            match (a, b) {
                (Ok(e), Err(f)) | (Err(f), Ok(e)) => {
                    assert!(f.is_fenced(), "{f}");
                    expected.push(e.into_bytes());
                }
                (a, b) => panic!("round {round}: {:?} and {:?}", a.is_ok(), b.is_ok()),
            }
        }
        assert_eq!(store.entries("e", 0, 100).unwrap(), expected);
    }
}
