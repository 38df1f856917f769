//! Held submissions are read a page at a time, per election, oldest first; a note is held
//! once however often it is posted, and one key has a bounded number waiting. On both backends.

mod common;

use skytale_store::{Hold, HoldRequest, Store, MAX_HELD_PER_KEY};

fn id(h: Hold) -> i64 {
    match h {
        Hold::Held { id, .. } => id,
        Hold::TooMany { pending } => panic!("refused with {pending} pending"),
    }
}

#[test]
fn held_submissions_are_paged_by_id_and_kept_apart_per_election() {
    for backend in common::backends("held_paged") {
        let store = &backend.store;
        for e in ["a", "b"] {
            store
                .create_election(e, "2026-11-26T00:00:00Z", &[b"head".to_vec()], b"cp")
                .unwrap();
        }
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(id(store
                .hold(
                    "a",
                    format!("note {i}").as_bytes(),
                    "key",
                    "[]",
                    "2026-11-26T01:00:00Z",
                )
                .unwrap()));
            store
                .hold(
                    "b",
                    format!("other {i}").as_bytes(),
                    "key",
                    "[]",
                    "2026-11-26T01:00:00Z",
                )
                .unwrap();
        }
        let first = store.held_page("a", 0, 2).unwrap();
        assert_eq!(first.iter().map(|r| r.id).collect::<Vec<_>>(), ids[..2]);
        assert_eq!(first[0].note, b"note 0");
        assert_eq!(first[0].state, "held");
        let rest = store.held_page("a", first[1].id, 10).unwrap();
        assert_eq!(rest.iter().map(|r| r.id).collect::<Vec<_>>(), ids[2..]);
        assert!(store.held_page("a", ids[4], 10).unwrap().is_empty());
        assert!(store.held_page("a", 0, 0).unwrap().is_empty());
    }
}

#[test]
fn a_note_held_again_is_the_same_row_and_a_key_has_a_bound() {
    for backend in common::backends("held_bound") {
        let store = &backend.store;
        store
            .create_election("a", "2026-11-26T00:00:00Z", &[b"head".to_vec()], b"cp")
            .unwrap();
        let t = "2026-11-26T01:00:00Z";
        let first = store.hold("a", b"same note", "k1", "[]", t).unwrap();
        let Hold::Held {
            id: first,
            new: true,
        } = first
        else {
            panic!("{first:?}")
        };
        for _ in 0..99 {
            assert_eq!(
                store.hold("a", b"same note", "k1", "[]", t).unwrap(),
                Hold::Held {
                    id: first,
                    new: false
                }
            );
        }
        assert_eq!(store.held_page("a", 0, 1000).unwrap().len(), 1);

        for i in 1..MAX_HELD_PER_KEY {
            id(store
                .hold("a", format!("note {i}").as_bytes(), "k1", "[]", t)
                .unwrap());
        }
        assert_eq!(
            store.hold("a", b"one too many", "k1", "[]", t).unwrap(),
            Hold::TooMany {
                pending: MAX_HELD_PER_KEY
            }
        );
        // Known notes still answer their row; another key is not affected; a decided one frees a
        // place.
        assert_eq!(
            id(store.hold("a", b"same note", "k1", "[]", t).unwrap()),
            first
        );
        id(store
            .hold("a", b"another key's note", "k2", "[]", t)
            .unwrap());
        let digest: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(b"same note").into();
        store.set_held_state("a", &digest, "rejected").unwrap();
        let rows = store.held_page("a", 0, 1).unwrap();
        assert_eq!((rows[0].id, rows[0].state.as_str()), (first, "rejected"));
        id(store.hold("a", b"one too many", "k1", "[]", t).unwrap());
        assert_eq!(
            store.held_page("a", 0, 10_000).unwrap().len() as u64,
            MAX_HELD_PER_KEY + 2
        );
    }
}

/// The tables of a version 1 database, as the first release wrote them.
const SCHEMA_V1: &str = "CREATE TABLE election (id TEXT PRIMARY KEY, created_at TEXT NOT NULL);
    CREATE TABLE entry (election TEXT NOT NULL REFERENCES election(id), idx INTEGER NOT NULL,
        data BLOB NOT NULL, PRIMARY KEY (election, idx)) WITHOUT ROWID;
    CREATE TABLE checkpoint (election TEXT NOT NULL REFERENCES election(id),
        size INTEGER NOT NULL, note BLOB NOT NULL, PRIMARY KEY (election, size)) WITHOUT ROWID;
    CREATE TABLE held (id INTEGER PRIMARY KEY AUTOINCREMENT,
        election TEXT NOT NULL REFERENCES election(id), note BLOB NOT NULL,
        reasons TEXT NOT NULL, received_at TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'held');";

#[test]
fn a_version_1_database_is_upgraded_keeping_every_held_row() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let conn = rusqlite::Connection::open(tmp.path().join(skytale_store::DB_FILE)).unwrap();
        conn.execute_batch(SCHEMA_V1).unwrap();
        conn.execute_batch(
            "INSERT INTO election VALUES ('a', 't');
             INSERT INTO held (election, note, reasons, received_at) VALUES ('a', x'01', '[]', 't');
             INSERT INTO held (election, note, reasons, received_at) VALUES ('a', x'01', '[]', 't');
             INSERT INTO held (election, note, reasons, received_at) VALUES ('a', x'02', '[]', 't');
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let store = Store::open(tmp.path()).unwrap();
    let rows = store.held_page("a", 0, 10).unwrap();
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(
        store.hold("a", &[1], "k", "[]", "t").unwrap(),
        Hold::Held { id: 1, new: false }
    );
    drop(store);
    // Opened again, it is the current version already.
    Store::open(tmp.path()).unwrap();
}

/// A version 2 database (entries in a `WITHOUT ROWID` table) is moved to version 3 keeping
/// every entry, in order, byte for byte, and appends go on after them.
#[test]
fn a_version_2_database_keeps_every_entry_when_upgraded() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(skytale_store::DB_FILE);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(SCHEMA_V1).unwrap();
        conn.execute_batch(
            "ALTER TABLE held ADD COLUMN note_hash BLOB;
             ALTER TABLE held ADD COLUMN reporter TEXT NOT NULL DEFAULT '';
             CREATE UNIQUE INDEX held_note ON held (election, note_hash);
             CREATE INDEX held_reporter ON held (election, reporter, state);
             INSERT INTO election VALUES ('a', 't'), ('b', 't');
             PRAGMA user_version = 2;",
        )
        .unwrap();
        // Inserted out of order and interleaved, as two elections' appends are.
        for i in (0..300i64).rev() {
            for e in ["a", "b"] {
                conn.execute(
                    "INSERT INTO entry (election, idx, data) VALUES (?1, ?2, ?3)",
                    rusqlite::params![e, i, format!("{e}{i}:{}", "x".repeat(900)).into_bytes()],
                )
                .unwrap();
            }
        }
        conn.execute(
            "INSERT INTO checkpoint (election, size, note) VALUES ('a', 300, x'01'), ('b', 300, x'02')",
            [],
        )
        .unwrap();
    }
    let store = Store::open(tmp.path()).unwrap();
    for e in ["a", "b"] {
        let got = store.entries(e, 0, 300).unwrap();
        assert_eq!(got.len(), 300);
        for (i, data) in got.iter().enumerate() {
            assert_eq!(data, &format!("{e}{i}:{}", "x".repeat(900)).into_bytes());
        }
    }
    let at = skytale_store::Extends {
        size: 300,
        checkpoint: &[1],
    };
    store.append("a", at, &[b"next"], b"cp").unwrap();
    assert_eq!(
        store.entries("a", 300, 301).unwrap(),
        vec![b"next".to_vec()]
    );
    // The same index twice is refused by the key, as before.
    let again = skytale_store::Extends {
        size: 300,
        checkpoint: &[1],
    };
    assert!(store.append("a", again, &[b"twice"], b"cp").is_err());
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let (version, sql): (i64, String) = conn
        .query_row(
            "SELECT (SELECT user_version FROM pragma_user_version), sql FROM sqlite_master WHERE name = 'entry'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(version, 3);
    assert!(!sql.contains("WITHOUT ROWID"), "{sql}");
}

#[test]
fn a_batch_of_holds_is_one_transaction_with_the_same_rules() {
    for backend in common::backends("held_batch") {
        let store = &backend.store;
        store
            .create_election("a", "2026-11-26T00:00:00Z", &[b"head".to_vec()], b"cp")
            .unwrap();
        for i in 0..MAX_HELD_PER_KEY - 2 {
            id(store
                .hold("a", format!("note {i}").as_bytes(), "k1", "[]", "t")
                .unwrap());
        }
        let req = |note: &'static [u8], reporter: &'static str| HoldRequest {
            note,
            reporter,
            reasons_json: "[]",
        };
        let answers = store
            .hold_many(
                "a",
                &[
                    req(b"x", "k1"),
                    req(b"x", "k1"),
                    req(b"y", "k1"),
                    req(b"z", "k1"),
                    req(b"z", "k2"),
                ],
                "t",
            )
            .unwrap();
        let Hold::Held { id: x, new: true } = answers[0] else {
            panic!("{answers:?}")
        };
        assert_eq!(answers[1], Hold::Held { id: x, new: false });
        assert!(matches!(answers[2], Hold::Held { new: true, .. }));
        assert_eq!(
            answers[3],
            Hold::TooMany {
                pending: MAX_HELD_PER_KEY
            }
        );
        // The same bytes from another key are the same held note.
        assert!(matches!(answers[4], Hold::Held { new: true, .. }));
    }
}
