//! The WAL checkpointer copies committed frames into the database file without the writer's
//! help: the writer's own automatic checkpoint is raised to a bound it never reaches here.

use std::sync::Arc;
use std::time::{Duration, Instant};

use skytale_store::{Extends, Store, DB_FILE};

/// The position an append extends (SQLite fences on the size).
fn at(size: u64) -> Extends<'static> {
    Extends {
        size,
        checkpoint: b"",
    }
}

/// A store in a fresh directory with election `e` (entry 0 only) and a checkpointer running
/// every `every`.
fn store_with_checkpointer(every: Duration) -> (tempfile::TempDir, Arc<Store>) {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(tmp.path()).unwrap());
    store
        .create_election("e", "2026-11-26T00:00:00Z", &[b"head".to_vec()], b"cp1")
        .unwrap();
    store.start_checkpointer(every).unwrap();
    (tmp, store)
}

#[test]
fn committed_entries_reach_the_database_file_without_the_writer_checkpointing() {
    let (tmp, store) = store_with_checkpointer(Duration::from_millis(10));
    let db_file = tmp.path().join(DB_FILE);
    let before = std::fs::metadata(&db_file).unwrap().len();

    // 400 entries of 2 KiB: 800 KiB, below the writer's fallback (and SQLite's default of
    // 1,000 pages), so only the checkpointer can have moved them into the file.
    let entry = vec![7u8; 2048];
    for batch in 0..40u64 {
        let refs: Vec<&[u8]> = (0..10).map(|_| entry.as_slice()).collect();
        let first = 1 + batch * 10;
        store
            .append(
                "e",
                at(first),
                &refs,
                format!("cp{}", first + 10).as_bytes(),
            )
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut size = before;
    while Instant::now() < deadline {
        size = std::fs::metadata(&db_file).unwrap().len();
        if size >= before + 800 * 1024 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        size >= before + 800 * 1024,
        "the database file grew from {before} to {size} bytes only"
    );
    // Everything is still there, in order, from a fresh open.
    drop(store);
    let store = Store::open(tmp.path()).unwrap();
    let entries = store.entries("e", 0, 1000).unwrap();
    assert_eq!(entries.len(), 401);
    assert!(entries[1..].iter().all(|e| e == &entry));
}

#[test]
fn a_wal_written_to_without_pause_is_started_over() {
    let (tmp, store) = store_with_checkpointer(Duration::from_millis(5));
    let wal = tmp.path().join(format!("{DB_FILE}-wal"));
    // 96 MiB in batches of 50 entries, back to back (as the sequencer under load): without
    // restarts the WAL would reach the writer's fallback bound (64 MiB).
    let entry = vec![7u8; 2048];
    let refs: Vec<&[u8]> = (0..50).map(|_| entry.as_slice()).collect();
    let mut largest = 0;
    let mut first = 1u64;
    while first < 1 + 48 * 1024 {
        store.append("e", at(first), &refs, b"cp").unwrap();
        first += 50;
        largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    }
    assert!(
        largest < 40 * 1024 * 1024,
        "the WAL grew to {largest} bytes"
    );
    assert_eq!(store.size("e").unwrap(), first);
}

/// The same writing with a checkpointer that never gets to run (an hour between passes, as a
/// thread starved of CPU would be): the writer starts the WAL over by itself once it has
/// appended enough, so the WAL stays bounded whatever the scheduler does.
#[test]
fn a_starved_checkpointer_still_leaves_the_wal_bounded() {
    let (tmp, store) = store_with_checkpointer(Duration::from_secs(3600));
    let wal = tmp.path().join(format!("{DB_FILE}-wal"));
    let entry = vec![7u8; 2048];
    let refs: Vec<&[u8]> = (0..50).map(|_| entry.as_slice()).collect();
    let mut largest = 0;
    let mut first = 1u64;
    while first < 1 + 48 * 1024 {
        store.append("e", at(first), &refs, b"cp").unwrap();
        first += 50;
        largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    }
    assert!(
        largest < 40 * 1024 * 1024,
        "the WAL grew to {largest} bytes"
    );
    drop(store);
    let store = Store::open(tmp.path()).unwrap();
    assert_eq!(store.size("e").unwrap(), first);
}
