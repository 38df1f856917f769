//! A database that lost acknowledged entries never starts: the last checkpoint the log key
//! signed is kept beside the key, and start-up below it (a truncated WAL, an older copy, a
//! deleted database) refuses with the election, both sizes and what to do, instead of signing
//! a second checkpoint for a size already signed.

use std::path::Path;
use std::sync::Arc;

use skytale_note::SigningKey;
use skytale_server::{AppState, ElectionRuntime, Outcome, Receipt};
use skytale_store::{Store, DB_FILE};
use skytale_testkit as kit;
use skytale_tlog::Tree;

const ID: &str = "test-2026";

fn create(store: &Store, k: &kit::Keys) {
    let def = kit::definition(k);
    skytale_server::create_election(store, &kit::head(k, &def)).unwrap();
}

async fn accept(rt: &ElectionRuntime, note: Vec<u8>) -> Receipt {
    match rt.submit(Arc::from(note)).await {
        Ok(Outcome::Accepted(r)) => r,
        Ok(other) => panic!("not accepted: {other:?}"),
        Err(e) => panic!("not accepted: {e:?}"),
    }
}

fn result(k: &SigningKey, unit: &str, alice: u64) -> Vec<u8> {
    kit::sign(k, &kit::results_json(unit, 1, &kit::mayor(alice, 100, 500)))
}

/// A consistent copy of the live database, as an online backup takes it.
fn backup(from: &Path, to: &Path) {
    let conn = rusqlite::Connection::open(from.join(DB_FILE)).unwrap();
    conn.execute("VACUUM INTO ?1", [to.join(DB_FILE).to_str().unwrap()])
        .unwrap();
}

fn copy_keys(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join("keys")).unwrap();
    for e in std::fs::read_dir(from.join("keys")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join("keys").join(e.file_name())).unwrap();
    }
}

/// Why the server refuses to start on `dir` (panics if it starts).
fn refusal(dir: &Path) -> String {
    match AppState::open(dir) {
        Ok(_) => panic!("the server started on a database that lost acknowledged entries"),
        Err(e) => e.to_string(),
    }
}

/// The kept checkpoint, as the store reads its file.
fn kept(dir: &Path) -> Vec<u8> {
    Store::open(dir)
        .unwrap()
        .kept_checkpoint(ID)
        .unwrap()
        .expect("a kept checkpoint")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_copy_of_the_database_is_refused_and_a_current_one_carries_on() {
    let k = kit::keys();
    let live = tempfile::tempdir().unwrap();
    create(&Store::open(live.path()).unwrap(), &k);
    let state = AppState::open(live.path()).unwrap();
    let rt = state.election(ID).unwrap();
    accept(&rt, result(&k.north, "n1", 300)).await;
    let old = tempfile::tempdir().unwrap();
    backup(live.path(), old.path()); // 2 entries
    accept(&rt, result(&k.north, "n2", 250)).await;
    let r = accept(&rt, result(&k.south, "s1", 100)).await;
    assert_eq!(r.tree_size, 4);
    assert_eq!(
        kept(live.path()),
        r.checkpoint.as_bytes(),
        "kept before the receipt"
    );

    // The older copy restored over the newer one, keys kept: refused, both sizes named.
    copy_keys(live.path(), old.path());
    let why = refusal(old.path());
    for part in [
        "election test-2026",
        "the database holds 2 entries",
        "signed a checkpoint of size 4",
        "Restore the newer database",
    ] {
        assert!(why.contains(part), "{part:?} missing from: {why}");
    }
    // And it stays refused: nothing was signed or kept meanwhile.
    assert_eq!(kept(old.path()), r.checkpoint.as_bytes());
    assert!(refusal(old.path()).contains("holds 2 entries"));

    // A copy of the current database starts and goes on from where the log is.
    let now = tempfile::tempdir().unwrap();
    backup(live.path(), now.path());
    copy_keys(live.path(), now.path());
    let restarted = AppState::open(now.path()).unwrap();
    let r = accept(&restarted.election(ID).unwrap(), result(&k.south, "s2", 90)).await;
    assert_eq!(r.index, 4);
    assert_eq!(kept(now.path()), r.checkpoint.as_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_wal_is_refused_instead_of_starting_at_an_older_size() {
    let k = kit::keys();
    let live = tempfile::tempdir().unwrap();
    // No WAL checkpointer: every commit stays in the WAL, as between two checkpoints.
    let store = Arc::new(Store::open(live.path()).unwrap());
    create(&store, &k);
    let wal = live.path().join(format!("{DB_FILE}-wal"));
    let created = std::fs::metadata(&wal).unwrap().len();
    let rt = ElectionRuntime::load(store.clone(), ID).unwrap();
    accept(&rt, result(&k.north, "n1", 300)).await;
    accept(&rt, result(&k.north, "n2", 250)).await;
    assert!(std::fs::metadata(&wal).unwrap().len() > created);

    // The files as a crash leaves them (the sequencer is idle), then the WAL loses its tail.
    let crashed = tempfile::tempdir().unwrap();
    std::fs::copy(live.path().join(DB_FILE), crashed.path().join(DB_FILE)).unwrap();
    let copy = crashed.path().join(format!("{DB_FILE}-wal"));
    std::fs::copy(&wal, &copy).unwrap();
    copy_keys(live.path(), crashed.path());
    std::fs::OpenOptions::new()
        .write(true)
        .open(&copy)
        .unwrap()
        .set_len(created)
        .unwrap();
    let why = refusal(crashed.path());
    assert!(
        why.contains("election test-2026")
            && why.contains("holds 1 entries")
            && why.contains("size 3")
            && why.contains("truncated WAL"),
        "{why}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_database_is_refused_and_the_election_is_not_created_again() {
    let k = kit::keys();
    let live = tempfile::tempdir().unwrap();
    create(&Store::open(live.path()).unwrap(), &k);
    let state = AppState::open(live.path()).unwrap();
    accept(&state.election(ID).unwrap(), result(&k.north, "n1", 300)).await;

    let keys_only = tempfile::tempdir().unwrap();
    copy_keys(live.path(), keys_only.path());
    let why = refusal(keys_only.path());
    assert!(
        why.contains("election test-2026")
            && why.contains("the database has no such election")
            && why.contains("checkpoint of size 2"),
        "{why}"
    );
    let err = skytale_server::create_election(
        &Store::open(keys_only.path()).unwrap(),
        &kit::head(&k, &kit::definition(&k)),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("checkpoint of size 2") && !err.contains("already exists"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_checkpoint_of_another_log_is_refused_and_one_behind_is_brought_up() {
    let k = kit::keys();
    let live = tempfile::tempdir().unwrap();
    create(&Store::open(live.path()).unwrap(), &k);
    let state = AppState::open(live.path()).unwrap();
    let rt = state.election(ID).unwrap();
    let first = accept(&rt, result(&k.north, "n1", 300)).await;
    let second = accept(&rt, result(&k.north, "n2", 250)).await;

    // A crash after the commit and before the keeping: the database is ahead, which is
    // fine (no receipt was sent), and the kept checkpoint is brought up to it.
    let behind = tempfile::tempdir().unwrap();
    backup(live.path(), behind.path());
    copy_keys(live.path(), behind.path());
    std::fs::write(
        behind.path().join("keys").join(format!("{ID}.checkpoint")),
        first.checkpoint.as_bytes(),
    )
    .unwrap();
    AppState::open(behind.path()).unwrap();
    assert_eq!(kept(behind.path()), second.checkpoint.as_bytes());

    // The log key's checkpoint of size 3 over other entries: this database is not the one
    // the key signed for.
    let other = tempfile::tempdir().unwrap();
    backup(live.path(), other.path());
    copy_keys(live.path(), other.path());
    let key_file = other.path().join("keys").join(format!("{ID}.log.key"));
    let key = SigningKey::parse(std::fs::read_to_string(key_file).unwrap().trim()).unwrap();
    let mut tree = Tree::new();
    for e in [&b"a"[..], b"b", b"c"] {
        tree.push_entry(e);
    }
    let fork = skytale_server::runtime::sign_checkpoint(&key, key.name(), &tree).unwrap();
    std::fs::write(
        other.path().join("keys").join(format!("{ID}.checkpoint")),
        fork,
    )
    .unwrap();
    let why = refusal(other.path());
    assert!(
        why.contains("election test-2026")
            && why.contains("does not contain the checkpoint the log key signed at size 3"),
        "{why}"
    );
}
