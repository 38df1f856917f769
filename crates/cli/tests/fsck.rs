//! `skytale fsck` passes a good data directory and names the election and the index of what
//! is wrong in a bad one: a flipped byte in an entry, a stored checkpoint of another root, an
//! election whose database is gone.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use assert_cmd::cargo::CommandCargoExt;
use skytale::fsck::fsck;
use skytale_server::{AppState, Outcome};
use skytale_store::{Store, DB_FILE};
use skytale_testkit as kit;

const ID: &str = "test-2026";

/// A data directory with election `test-2026` and three results (log size 4).
fn good() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let k = kit::keys();
    let store = Store::open(dir.path()).unwrap();
    skytale_server::create_election(&store, &kit::head(&k, &kit::definition(&k))).unwrap();
    drop(store);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let state = AppState::open(dir.path()).unwrap();
    let e = state.election(ID).unwrap();
    for (key, unit) in [(&k.north, "n1"), (&k.north, "n2"), (&k.south, "s1")] {
        let note = kit::sign(key, &kit::results_json(unit, 1, &kit::mayor(300, 200, 510)));
        let out = rt.block_on(e.submit(Arc::from(note)));
        assert!(matches!(out, Ok(Outcome::Accepted(_))), "{out:?}");
    }
    dir
}

/// A consistent copy of `from` (database and keys) to change.
fn copy(from: &Path) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(from.join(DB_FILE)).unwrap();
    conn.execute(
        "VACUUM INTO ?1",
        [to.path().join(DB_FILE).to_str().unwrap()],
    )
    .unwrap();
    std::fs::create_dir_all(to.path().join("keys")).unwrap();
    for e in std::fs::read_dir(from.join("keys")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.path().join("keys").join(e.file_name())).unwrap();
    }
    to
}

fn problems(dir: &Path) -> Vec<String> {
    let verdicts = fsck(dir, None).unwrap();
    assert_eq!(verdicts.len(), 1);
    assert_eq!(verdicts[0].election, ID);
    verdicts[0].problems.clone()
}

fn skytale_fsck(dir: &Path) -> (Option<i32>, String) {
    let out = Command::cargo_bin("skytale")
        .unwrap()
        .args([
            "fsck",
            "--data-dir",
            dir.to_str().unwrap(),
            "--election",
            ID,
        ])
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn fsck_passes_a_good_store_and_names_the_election_and_index_of_a_bad_one() {
    let good = good();
    assert_eq!(problems(good.path()), Vec::<String>::new());
    let (code, out) = skytale_fsck(good.path());
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("election test-2026: OK: 4 entries"), "{out}");

    // One flipped byte in entry 2.
    let flipped = copy(good.path());
    {
        let conn = rusqlite::Connection::open(flipped.path().join(DB_FILE)).unwrap();
        let mut data: Vec<u8> = conn
            .query_row(
                "SELECT data FROM entry WHERE election = ?1 AND idx = 2",
                [ID],
                |r| r.get(0),
            )
            .unwrap();
        data[20] ^= 0x01;
        conn.execute(
            "UPDATE entry SET data = ?1 WHERE election = ?2 AND idx = 2",
            rusqlite::params![data, ID],
        )
        .unwrap();
    }
    let found = problems(flipped.path());
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("entry 2 is not acceptable")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("stored checkpoint of size 4 has root")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p
                .starts_with("the log does not contain the checkpoint its key signed at size 4")),
        "{found:?}"
    );
    let (code, out) = skytale_fsck(flipped.path());
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("election test-2026: FAILED: entry 2 is not acceptable"),
        "{out}"
    );
    assert!(out.contains("fsck: FAILED"), "{out}");

    // The stored checkpoint of size 4 replaced by the (validly signed) one of size 3.
    let wrong = copy(good.path());
    {
        let conn = rusqlite::Connection::open(wrong.path().join(DB_FILE)).unwrap();
        conn.execute(
            "UPDATE checkpoint SET note = (SELECT note FROM checkpoint WHERE election = ?1 AND size = 3) \
             WHERE election = ?1 AND size = 4",
            [ID],
        )
        .unwrap();
    }
    let found = problems(wrong.path());
    assert!(
        found
            .iter()
            .any(|p| p == "stored checkpoint of size 4 says size 3"),
        "{found:?}"
    );

    // The last entry and its checkpoint lost (an older database), the kept checkpoint not.
    let older = copy(good.path());
    {
        let conn = rusqlite::Connection::open(older.path().join(DB_FILE)).unwrap();
        conn.execute_batch(
            "DELETE FROM entry WHERE idx = 3; DELETE FROM checkpoint WHERE size = 4;",
        )
        .unwrap();
    }
    let found = problems(older.path());
    assert!(
        found
            .iter()
            .any(|p| p
                .starts_with("the log has 3 entries but its key signed a checkpoint of size 4")),
        "{found:?}"
    );

    // The database gone, the keys kept.
    let lost = tempfile::tempdir().unwrap();
    let keys = copy(good.path());
    std::fs::remove_file(keys.path().join(DB_FILE)).unwrap();
    std::fs::rename(keys.path().join("keys"), lost.path().join("keys")).unwrap();
    let err = fsck(lost.path(), None).unwrap_err().to_string();
    assert!(
        err.contains("no database") && err.contains("test-2026 signed checkpoints"),
        "{err}"
    );
    // With an empty database in its place (a server started on it would make one).
    Store::open(lost.path()).unwrap();
    let found = problems(lost.path());
    assert!(
        found[0].contains("the database has no such election") && found[0].contains("size 4"),
        "{found:?}"
    );
}
