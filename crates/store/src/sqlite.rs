//! The SQLite backend: one file `skytale.sqlite` in the data directory, WAL journal,
//! `synchronous=FULL`, so a batch is on disk before any receipt is sent. The embedded default:
//! no server to install, one machine.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::{ElectionRow, HeldRow, Hold, HoldRequest, StoreError, DB_FILE, MAX_HELD_PER_KEY};

/// Schema version written to `PRAGMA user_version`. Version 2 added the held submissions'
/// note hash (one row per note) and reporter key (the per-key bound); version 3 keeps the log's
/// entries in a rowid table (see [`upgrade_to_3`]). An older database is upgraded in place
/// when opened.
pub(crate) const SCHEMA_VERSION: i64 = 3;
/// The writer's own automatic checkpoint once a [`Sqlite::start_checkpointer`] runs: only a
/// bound on the WAL (64 MiB of 4 KiB pages) should the checkpointer fall behind.
const FALLBACK_AUTOCHECKPOINT_PAGES: i64 = 16_384;
/// WAL frames above which the checkpointer asks the writer to start the WAL over: before its
/// next batch the writer runs a `RESTART` checkpoint, which copies the few frames the passive
/// passes left. Without it a WAL written to without pause is never completely copied at the
/// moment a write begins, so SQLite never rewinds it and it grows to the fallback bound (and
/// the checkpointer cannot do the restart itself: it would have to hold the writer off, and
/// loses that race to a writer that commits back to back).
const RESTART_FRAMES: i64 = 4_096;
/// Bytes appended since the last restart past which the writer starts the WAL over by itself
/// (a checkpointer running): the checkpointer's request comes only when its thread is
/// scheduled, which a starved machine may not do for a while; this bounds the WAL whatever
/// the scheduler does. A WAL holds two to three times the bytes appended (a 4 KiB page per
/// frame, index pages besides), so this is about the size of [`RESTART_FRAMES`] frames: a
/// checkpointer that keeps up asks at about the same moment, and then the restart finds the
/// frames copied already and costs little.
const RESTART_BYTES: u64 = 8 << 20;

/// `PRAGMA wal_checkpoint(PASSIVE)`: (frames in the WAL, frames checkpointed).
fn checkpoint_passive(conn: &Connection) -> Result<(i64, i64), StoreError> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
    })
    .map_err(db("checkpoint the WAL"))
}

pub(crate) fn db(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Db { context, source }
}

/// The writer's and the checkpointer's shared flags (the checkpointer holds them weakly: it
/// ends when the store is dropped).
#[derive(Default)]
struct Flags {
    /// Set by the checkpointer: the writer rewinds the WAL before its next append.
    restart_wanted: AtomicBool,
    /// Whether a checkpointer runs (then the writer also counts [`RESTART_BYTES`]).
    checkpointer: AtomicBool,
    /// Bytes the writer appended since it last started the WAL over.
    since_restart: AtomicU64,
}

/// The SQLite store. The writer's connection behind a mutex: the sequencer is the only writer
/// and the log is served from memory, so there is no contention worth a pool. The officials'
/// reads of held submissions go through a second connection (`reader`), which WAL lets read
/// while the writer commits, so a page of them never holds up an append.
pub(crate) struct Sqlite {
    conn: Mutex<Connection>,
    reader: Mutex<Connection>,
    path: PathBuf,
    flags: Arc<Flags>,
}

impl Sqlite {
    /// Opens (creating if needed) `skytale.sqlite` in `data_dir` (which exists).
    pub(crate) fn open(data_dir: &Path) -> Result<Sqlite, StoreError> {
        let path = data_dir.join(DB_FILE);
        let conn = Connection::open(&path).map_err(db("open"))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db("enable WAL"))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db("set synchronous"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(db("enable foreign keys"))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db("set busy timeout"))?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(db("read schema version"))?;
        match version {
            0 => {
                conn.execute_batch(
                    "BEGIN;
                     CREATE TABLE election (
                         id TEXT PRIMARY KEY,
                         created_at TEXT NOT NULL
                     );
                     CREATE TABLE entry (
                         election TEXT NOT NULL REFERENCES election(id),
                         idx INTEGER NOT NULL,
                         data BLOB NOT NULL,
                         PRIMARY KEY (election, idx)
                     ) WITHOUT ROWID;
                     CREATE TABLE checkpoint (
                         election TEXT NOT NULL REFERENCES election(id),
                         size INTEGER NOT NULL,
                         note BLOB NOT NULL,
                         PRIMARY KEY (election, size)
                     ) WITHOUT ROWID;
                     CREATE TABLE held (
                         id INTEGER PRIMARY KEY AUTOINCREMENT,
                         election TEXT NOT NULL REFERENCES election(id),
                         note BLOB NOT NULL,
                         reasons TEXT NOT NULL,
                         received_at TEXT NOT NULL,
                         state TEXT NOT NULL DEFAULT 'held'
                     );
                     PRAGMA user_version = 1;
                     COMMIT;",
                )
                .map_err(db("create schema"))?;
                upgrade_to_2(&conn)?;
                upgrade_to_3(&conn)?;
            }
            1 => {
                upgrade_to_2(&conn)?;
                upgrade_to_3(&conn)?;
            }
            2 => upgrade_to_3(&conn)?,
            SCHEMA_VERSION => {}
            found => {
                return Err(StoreError::Schema {
                    place: path.display().to_string(),
                    found,
                    expected: SCHEMA_VERSION,
                })
            }
        }
        let reader = Connection::open(&path).map_err(db("open the reader's connection"))?;
        reader
            .busy_timeout(Duration::from_secs(10))
            .map_err(db("set the reader's busy timeout"))?;
        Ok(Sqlite {
            conn: Mutex::new(conn),
            reader: Mutex::new(reader),
            path,
            flags: Arc::new(Flags::default()),
        })
    }

    /// Starts a thread that copies committed WAL frames into the database file every `every`,
    /// from a connection of its own, and raises the writer's automatic checkpoint to a mere
    /// bound. Why: SQLite checkpoints inside the commit that crosses 1,000 WAL pages, so under
    /// load one batch in a few paid for copying pages and an fsync of the database file (13 %
    /// of the sequencer's time at 200,000 stations), while submitters waited for their
    /// receipts. A passive checkpoint never blocks the writer, and durability does not depend
    /// on it (a commit is durable once its WAL frames are synced). The thread ends when the
    /// store is dropped.
    pub(crate) fn start_checkpointer(&self, every: Duration) -> Result<(), StoreError> {
        let conn =
            Connection::open(&self.path).map_err(db("open the checkpointer's connection"))?;
        // Two checkpoints exclude each other: a pass that meets the writer's restart waits
        // for it (milliseconds) instead of skipping.
        conn.busy_timeout(Duration::from_secs(1))
            .map_err(db("set the checkpointer's busy timeout"))?;
        self.conn()
            .pragma_update(None, "wal_autocheckpoint", FALLBACK_AUTOCHECKPOINT_PAGES)
            .map_err(db("set wal_autocheckpoint"))?;
        self.flags.checkpointer.store(true, Ordering::Relaxed);
        let store = Arc::downgrade(&self.flags);
        std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || loop {
                std::thread::sleep(every);
                if store.strong_count() == 0 {
                    return;
                }
                // A failed or partial pass (busy) leaves the frames for the next one; the
                // writer's fallback bounds the WAL meanwhile.
                let Ok((frames, _)) = checkpoint_passive(&conn) else {
                    continue;
                };
                if frames > RESTART_FRAMES {
                    let Some(store) = store.upgrade() else { return };
                    store.restart_wanted.store(true, Ordering::Relaxed);
                }
            })
            .map_err(|source| StoreError::Thread { source })?;
        Ok(())
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a transaction half-applied (SQLite rolls
        // back), so a poisoned lock is safe to reuse.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates an election with the entries that carry its definition (entry 0 and any parts)
    /// and its first checkpoint, atomically.
    pub(crate) fn create_election(
        &self,
        id: &str,
        created_at: &str,
        head: &[Vec<u8>],
        checkpoint: &[u8],
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(db("begin"))?;
        let exists: bool = tx
            .query_row("SELECT 1 FROM election WHERE id = ?1", [id], |_| Ok(()))
            .optional()
            .map_err(db("look up election"))?
            .is_some();
        if exists {
            return Err(StoreError::ElectionExists(id.to_string()));
        }
        tx.execute(
            "INSERT INTO election (id, created_at) VALUES (?1, ?2)",
            params![id, created_at],
        )
        .map_err(db("insert election"))?;
        {
            let mut insert = tx
                .prepare("INSERT INTO entry (election, idx, data) VALUES (?1, ?2, ?3)")
                .map_err(db("prepare insert entry"))?;
            for (i, e) in head.iter().enumerate() {
                insert
                    .execute(params![id, i as i64, e])
                    .map_err(db("insert the definition entries"))?;
            }
        }
        tx.execute(
            "INSERT INTO checkpoint (election, size, note) VALUES (?1, ?2, ?3)",
            params![id, head.len() as i64, checkpoint],
        )
        .map_err(db("insert checkpoint"))?;
        tx.commit().map_err(db("commit"))
    }

    pub(crate) fn elections(&self) -> Result<Vec<ElectionRow>, StoreError> {
        let conn = self.conn();
        let mut st = conn
            .prepare(
                "SELECT e.id, e.created_at, (SELECT COALESCE(MAX(idx) + 1, 0) FROM entry WHERE election = e.id)
                 FROM election e ORDER BY e.created_at, e.id",
            )
            .map_err(db("list elections"))?;
        let rows = st
            .query_map([], |r| {
                Ok(ElectionRow {
                    id: r.get(0)?,
                    created_at: r.get(1)?,
                    size: r.get::<_, i64>(2)? as u64,
                })
            })
            .map_err(db("list elections"))?;
        rows.collect::<Result<_, _>>().map_err(db("list elections"))
    }

    /// Number of entries of an election's log.
    pub(crate) fn size(&self, election: &str) -> Result<u64, StoreError> {
        let conn = self.conn();
        size_of(&conn, election)
    }

    /// Entries `[start, end)` in order, through the reader's connection: the server reads old
    /// entries here while the sequencer appends (committed entries never change).
    pub(crate) fn entries(
        &self,
        election: &str,
        start: u64,
        end: u64,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        let conn = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        let mut st = conn
            .prepare_cached("SELECT data FROM entry WHERE election = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx")
            .map_err(db("read entries"))?;
        let rows = st
            .query_map(params![election, start as i64, end as i64], |r| {
                r.get::<_, Vec<u8>>(0)
            })
            .map_err(db("read entries"))?;
        rows.collect::<Result<_, _>>().map_err(db("read entries"))
    }

    /// Appends a batch and its checkpoint in one transaction. `first_index` fences the write.
    pub(crate) fn append(
        &self,
        election: &str,
        first_index: u64,
        entries: &[&[u8]],
        checkpoint: &[u8],
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let bytes = entries.iter().map(|e| e.len() as u64).sum::<u64>() + checkpoint.len() as u64;
        let flags = &self.flags;
        let appended = flags.since_restart.fetch_add(bytes, Ordering::Relaxed) + bytes;
        let wanted = flags.restart_wanted.swap(false, Ordering::Relaxed);
        if wanted || (appended > RESTART_BYTES && flags.checkpointer.load(Ordering::Relaxed)) {
            // Not an error for the batch if it fails: the WAL is only bounded less tightly.
            let _ = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()));
            flags.since_restart.store(0, Ordering::Relaxed);
        }
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db("begin"))?;
        let actual = size_of(&tx, election)?;
        if actual != first_index {
            return Err(StoreError::Fenced {
                election: election.to_string(),
                expected: first_index,
                actual,
            });
        }
        {
            let mut st = tx
                .prepare_cached("INSERT INTO entry (election, idx, data) VALUES (?1, ?2, ?3)")
                .map_err(db("insert entry"))?;
            for (i, e) in entries.iter().enumerate() {
                st.execute(params![election, (first_index + i as u64) as i64, e])
                    .map_err(db("insert entry"))?;
            }
        }
        tx.prepare_cached("INSERT INTO checkpoint (election, size, note) VALUES (?1, ?2, ?3)")
            .and_then(|mut st| {
                st.execute(params![
                    election,
                    (first_index + entries.len() as u64) as i64,
                    checkpoint
                ])
            })
            .map_err(db("insert checkpoint"))?;
        tx.commit().map_err(db("commit"))
    }

    /// Replaces the stored note of the checkpoint of `size` with the same checkpoint carrying
    /// witness cosignatures. The caller guarantees the text and log signature are unchanged
    /// (only signature lines are added); a size never checkpointed changes nothing.
    pub(crate) fn attach_cosignatures(
        &self,
        election: &str,
        size: u64,
        note: &[u8],
    ) -> Result<bool, StoreError> {
        let conn = self.conn();
        let n = conn
            .execute(
                "UPDATE checkpoint SET note = ?3 WHERE election = ?1 AND size = ?2",
                params![election, size as i64, note],
            )
            .map_err(db("store cosigned checkpoint"))?;
        Ok(n == 1)
    }

    /// The latest signed checkpoint of an election.
    pub(crate) fn latest_checkpoint(&self, election: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let conn = self.conn();
        conn.query_row(
            "SELECT note FROM checkpoint WHERE election = ?1 ORDER BY size DESC LIMIT 1",
            [election],
            |r| r.get(0),
        )
        .optional()
        .map_err(db("read checkpoint"))
    }

    /// [`crate::Store::hold`] for several submissions in one transaction (one fsync, not one per
    /// submission: the sequencer holds a batch's implausible submissions at once). Answers in
    /// the order given; a note given twice is held once.
    pub(crate) fn hold_many(
        &self,
        election: &str,
        requests: &[HoldRequest<'_>],
        received_at: &str,
    ) -> Result<Vec<Hold>, StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db("begin"))?;
        let mut out = Vec::with_capacity(requests.len());
        let mut written = false;
        for r in requests {
            let hash = Sha256::digest(r.note).to_vec();
            let existing: Option<i64> = tx
                .prepare_cached("SELECT id FROM held WHERE election = ?1 AND note_hash = ?2")
                .and_then(|mut st| {
                    st.query_row(params![election, hash], |row| row.get(0))
                        .optional()
                })
                .map_err(db("look up held note"))?;
            if let Some(id) = existing {
                out.push(Hold::Held { id, new: false });
                continue;
            }
            let pending: i64 = tx
                .prepare_cached(
                    "SELECT COUNT(*) FROM held WHERE election = ?1 AND reporter = ?2 AND state = 'held'",
                )
                .and_then(|mut st| st.query_row(params![election, r.reporter], |row| row.get(0)))
                .map_err(db("count held submissions"))?;
            let pending = u64::try_from(pending).unwrap_or(0);
            if pending >= MAX_HELD_PER_KEY {
                out.push(Hold::TooMany { pending });
                continue;
            }
            tx.prepare_cached(
                "INSERT INTO held (election, note, reasons, received_at, note_hash, reporter) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    election,
                    r.note,
                    r.reasons_json,
                    received_at,
                    hash,
                    r.reporter
                ])
            })
            .map_err(db("hold submission"))?;
            out.push(Hold::Held {
                id: tx.last_insert_rowid(),
                new: true,
            });
            written = true;
        }
        // Nothing new (every note already held, or refused): no commit, no fsync.
        if written {
            tx.commit().map_err(db("commit"))?;
        }
        Ok(out)
    }

    /// At most `limit` held submissions of `election` with an id above `after`, oldest first:
    /// a page, so a flood of held submissions is never read (nor the connection held) at once.
    pub(crate) fn held_page(
        &self,
        election: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<HeldRow>, StoreError> {
        // The reader's connection: the writer's lock (appends) is never taken here.
        let conn = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        let mut st = conn
            .prepare(
                "SELECT id, note, reasons, received_at, state FROM held \
                 WHERE election = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            )
            .map_err(db("list held"))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = st
            .query_map(params![election, after, limit], |r| {
                Ok(HeldRow {
                    id: r.get(0)?,
                    note: r.get(1)?,
                    reasons: r.get(2)?,
                    received_at: r.get(3)?,
                    state: r.get(4)?,
                })
            })
            .map_err(db("list held"))?;
        rows.collect::<Result<_, _>>().map_err(db("list held"))
    }

    /// Marks a held submission `released` (it was appended to the log) or `rejected`.
    pub(crate) fn set_held_state(
        &self,
        election: &str,
        note_hash: &[u8; 32],
        state: &str,
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.execute(
            "UPDATE held SET state = ?1 WHERE election = ?2 AND note_hash = ?3",
            params![state, election, &note_hash[..]],
        )
        .map_err(db("update held"))?;
        Ok(())
    }

    /// Every stored checkpoint of `election` as (size, note), smallest first (for `fsck`).
    pub(crate) fn checkpoint_at(
        &self,
        election: &str,
        size: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn()
            .query_row(
                "SELECT note FROM checkpoint WHERE election = ?1 AND size = ?2",
                params![election, size as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(db("read checkpoint"))
    }

    pub(crate) fn checkpoints(&self, election: &str) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let conn = self.conn();
        let mut st = conn
            .prepare("SELECT size, note FROM checkpoint WHERE election = ?1 ORDER BY size")
            .map_err(db("read checkpoints"))?;
        let rows = st
            .query_map([election], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(db("read checkpoints"))?;
        rows.collect::<Result<_, _>>()
            .map_err(db("read checkpoints"))
    }
}

/// Schema 1 → 2: each held row gets the SHA-256 of its note (unique per election: one row per
/// note) and the key that signed it (counted against [`MAX_HELD_PER_KEY`]). Rows held before
/// have no reporter (the bound counts only rows held from now on). Copies of one note held
/// before are kept, readable: the first under the note's hash, the later ones under a hash of
/// their own id, so the unique index can be built.
fn upgrade_to_2(conn: &Connection) -> Result<(), StoreError> {
    let run = || -> rusqlite::Result<()> {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(
            "ALTER TABLE held ADD COLUMN note_hash BLOB;
             ALTER TABLE held ADD COLUMN reporter TEXT NOT NULL DEFAULT '';",
        )?;
        let rows: Vec<(i64, String, Vec<u8>)> = {
            let mut st = tx.prepare("SELECT id, election, note FROM held ORDER BY id")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut seen = std::collections::HashSet::new();
        for (id, election, note) in rows {
            let mut hash = Sha256::digest(&note).to_vec();
            if !seen.insert((election, hash.clone())) {
                hash = Sha256::digest(format!("duplicate held row {id}")).to_vec();
            }
            tx.execute(
                "UPDATE held SET note_hash = ?1 WHERE id = ?2",
                params![hash, id],
            )?;
        }
        tx.execute_batch(
            "CREATE UNIQUE INDEX held_note ON held (election, note_hash);
             CREATE INDEX held_reporter ON held (election, reporter, state);
             PRAGMA user_version = 2;",
        )?;
        tx.commit()
    };
    run().map_err(db("upgrade the schema to version 2"))
}

/// Moves the log's entries from a `WITHOUT ROWID` table to an ordinary one. Why: a
/// `WITHOUT ROWID` row lives in an index b-tree, whose pages keep at most about a quarter of
/// a page of a row locally, so nearly every statement (about a kilobyte) spilled into an
/// overflow page of its own and each append wrote two pages; in a rowid table it stays whole,
/// several to a page. Measured with `skytale bench ingest --batch 100` at 150,000 stations:
/// ≈ 16 % more statements per second, 10 % less server CPU per statement. The key stays
/// unique through the primary key's index.
fn upgrade_to_3(conn: &Connection) -> Result<(), StoreError> {
    let run = || -> rusqlite::Result<()> {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(
            "CREATE TABLE entry_v3 (
                 election TEXT NOT NULL REFERENCES election(id),
                 idx INTEGER NOT NULL,
                 data BLOB NOT NULL,
                 PRIMARY KEY (election, idx)
             );
             INSERT INTO entry_v3 (election, idx, data)
                 SELECT election, idx, data FROM entry ORDER BY election, idx;
             DROP TABLE entry;
             ALTER TABLE entry_v3 RENAME TO entry;
             PRAGMA user_version = 3;",
        )?;
        tx.commit()
    };
    run().map_err(db("upgrade the schema to version 3"))
}

fn size_of(conn: &Connection, election: &str) -> Result<u64, StoreError> {
    // Cached statements: the sequencer asks once per batch, and preparing cost more than the
    // probes themselves.
    let exists = conn
        .prepare_cached("SELECT 1 FROM election WHERE id = ?1")
        .and_then(|mut st| st.query_row([election], |_| Ok(())).optional())
        .map_err(db("look up election"))?;
    if exists.is_none() {
        return Err(StoreError::NoSuchElection(election.to_string()));
    }
    let n: i64 = conn
        // MAX over the primary key is a single index probe; COUNT(*) would scan the log.
        .prepare_cached("SELECT COALESCE(MAX(idx) + 1, 0) FROM entry WHERE election = ?1")
        .and_then(|mut st| st.query_row([election], |r| r.get(0)))
        .map_err(db("count entries"))?;
    Ok(n as u64)
}
