//! The PostgreSQL backend: the store of a deployment across two data centres.
//!
//! The primary cluster runs in one data centre with a synchronous standby in the other
//! (`synchronous_commit = on`, the standby named in `synchronous_standby_names`), so a commit
//! returns only once the standby has flushed it, and the sequencer answers only after the
//! commit: every receipt is on both sides. The store itself does not know about the standby;
//! it only relies on a commit meaning that.
//!
//! The fence is a row per election, `head (election, size, checkpoint)`: an append updates it
//! from the position it extends (size and the checkpoint there, as the log signed it) to the
//! new one in the statement that inserts the entries, `UPDATE … WHERE size = $old AND
//! checkpoint = $old_checkpoint`, as Sunlight's lock backends compare-and-swap the checkpoint.
//! Of two nodes extending one head, PostgreSQL's row lock makes the second wait and then find
//! the row changed: it updates nothing and inserts nothing, and is told why.
//!
//! Why connection threads: the `postgres` client blocks on a runtime of its own, which must
//! not be entered from inside another tokio runtime (the server's handlers, the witness
//! thread). Each connection therefore lives on a plain thread of its own and the store sends
//! it work over a channel, so the store can be called from anywhere, as the SQLite store can.
//! One connection writes (the sequencer is the only writer); a second one reads held
//! submissions for the officials, so a page of them never waits for an append.

use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

use postgres::{Client, Config, NoTls};
use sha2::{Digest, Sha256};

use crate::{ElectionRow, Extends, HeldRow, Hold, HoldRequest, StoreError, MAX_HELD_PER_KEY};

/// The version of the tables below, in `skytale_meta`.
const SCHEMA_VERSION: i64 = 1;

/// The tables, created in the first schema of the connection's `search_path`. Types as in the
/// SQLite schema; `head` is the fence.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS skytale_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS election (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS head (
    election TEXT PRIMARY KEY REFERENCES election(id),
    size BIGINT NOT NULL,
    checkpoint BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS entry (
    election TEXT NOT NULL REFERENCES election(id),
    idx BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (election, idx)
);
CREATE TABLE IF NOT EXISTS checkpoint (
    election TEXT NOT NULL REFERENCES election(id),
    size BIGINT NOT NULL,
    note BYTEA NOT NULL,
    PRIMARY KEY (election, size)
);
CREATE TABLE IF NOT EXISTS held (
    id BIGSERIAL PRIMARY KEY,
    election TEXT NOT NULL REFERENCES election(id),
    note BYTEA NOT NULL,
    reasons TEXT NOT NULL,
    received_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'held',
    note_hash BYTEA NOT NULL,
    reporter TEXT NOT NULL DEFAULT '',
    UNIQUE (election, note_hash)
);
CREATE INDEX IF NOT EXISTS held_reporter ON held (election, reporter, state);
";

/// The append: the compare-and-swap of the head and the inserts, one statement (one round
/// trip, one transaction). Nothing is inserted unless the head moved.
const APPEND: &str = "
WITH moved AS (
    UPDATE head SET size = $3, checkpoint = $5
    WHERE election = $1 AND size = $2 AND checkpoint = $6
    RETURNING election
), entries AS (
    INSERT INTO entry (election, idx, data)
    SELECT m.election, $2 + t.ord - 1, t.d
    FROM moved m, unnest($4::bytea[]) WITH ORDINALITY AS t(d, ord)
), cp AS (
    INSERT INTO checkpoint (election, size, note) SELECT election, $3, $5 FROM moved
)
SELECT count(*) FROM moved";

fn pg(context: &'static str) -> impl FnOnce(postgres::Error) -> StoreError {
    move |source| StoreError::Pg { context, source }
}

type Job = Box<dyn FnOnce(&mut Client) + Send>;

/// One connection on a thread of its own (see the module's documentation).
struct Conn {
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl Conn {
    fn open(config: &Config, name: &str) -> Result<Conn, StoreError> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let (ready, is_ready) = mpsc::channel();
        let config = config.clone();
        std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let mut client = match config.connect(NoTls) {
                    Ok(c) => {
                        let _ = ready.send(Ok(()));
                        c
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                // Ends when the store (the sender) is dropped.
                while let Ok(job) = rx.recv() {
                    job(&mut client);
                }
            })
            .map_err(|source| StoreError::Thread { source })?;
        match is_ready.recv() {
            Ok(Ok(())) => Ok(Conn {
                jobs: Mutex::new(jobs),
            }),
            Ok(Err(e)) => Err(pg("connect")(e)),
            Err(_) => Err(StoreError::PgGone(
                "the connection thread ended while connecting".into(),
            )),
        }
    }

    /// Runs `f` on the connection's thread and waits for its answer.
    fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> R + Send + 'static,
    ) -> Result<R, StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |c| {
            let _ = tx.send(f(c));
        });
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(job)
            .map_err(|_| StoreError::PgGone("the connection's thread has ended".into()))?;
        rx.recv()
            .map_err(|_| StoreError::PgGone("the connection's thread ended during a query".into()))
    }
}

/// The PostgreSQL store: a writer's and a reader's connection.
pub(crate) struct Pg {
    writer: Conn,
    reader: Conn,
}

/// The connection settings of `url`, with the timeouts a failover needs: a primary that
/// vanished is noticed by TCP keepalives within about half a minute rather than never, and a
/// connection attempt to a dead address gives up after 10 s.
fn config(url: &str) -> Result<Config, StoreError> {
    let mut config: Config = url.parse().map_err(|_| StoreError::Location(redact(url)))?;
    config
        .application_name("skytale")
        .connect_timeout(Duration::from_secs(10))
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(10));
    Ok(config)
}

/// A URL for messages, without a password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:…{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Pg {
    /// Connects to `url` and creates the tables if they are not there.
    pub(crate) fn open(url: &str) -> Result<Pg, StoreError> {
        let config = config(url)?;
        let writer = Conn::open(&config, "pg-writer")?;
        let place = redact(url);
        writer.call(move |c| -> Result<(), StoreError> {
            // A hot standby is read-only: nothing to create there, only the version to check
            // (`fsck` and `publish` read a standby's copy).
            let standby: bool = c
                .query_one("SELECT pg_is_in_recovery()", &[])
                .map_err(pg("ask whether the server is a standby"))?
                .get(0);
            if standby {
                let found: i64 = c
                    .query_opt("SELECT value FROM skytale_meta WHERE key = 'schema'", &[])
                    .map_err(pg("read the schema version on the standby"))?
                    .map_or(0, |r| r.get(0));
                if found != SCHEMA_VERSION {
                    return Err(StoreError::Schema {
                        place,
                        found,
                        expected: SCHEMA_VERSION,
                    });
                }
                return Ok(());
            }
            let mut tx = c.transaction().map_err(pg("begin"))?;
            // Two nodes starting at once create the tables once.
            tx.execute(
                "SELECT pg_advisory_xact_lock(7365, hashtext(current_schema()))",
                &[],
            )
            .map_err(pg("lock the schema"))?;
            tx.batch_execute(SCHEMA).map_err(pg("create the tables"))?;
            let found: Option<i64> = tx
                .query_opt("SELECT value FROM skytale_meta WHERE key = 'schema'", &[])
                .map_err(pg("read the schema version"))?
                .map(|r| r.get(0));
            match found {
                None => {
                    tx.execute(
                        "INSERT INTO skytale_meta (key, value) VALUES ('schema', $1)",
                        &[&SCHEMA_VERSION],
                    )
                    .map_err(pg("write the schema version"))?;
                }
                Some(SCHEMA_VERSION) => {}
                Some(found) => {
                    return Err(StoreError::Schema {
                        place,
                        found,
                        expected: SCHEMA_VERSION,
                    })
                }
            }
            tx.commit().map_err(pg("commit"))
        })??;
        let reader = Conn::open(&config, "pg-reader")?;
        Ok(Pg { writer, reader })
    }

    pub(crate) fn create_election(
        &self,
        id: &str,
        created_at: &str,
        head: &[Vec<u8>],
        checkpoint: &[u8],
    ) -> Result<(), StoreError> {
        let (id, created_at, head, checkpoint) = (
            id.to_string(),
            created_at.to_string(),
            head.to_vec(),
            checkpoint.to_vec(),
        );
        self.writer.call(move |c| -> Result<(), StoreError> {
            let mut tx = c.transaction().map_err(pg("begin"))?;
            let exists = tx
                .query_opt("SELECT 1 FROM election WHERE id = $1", &[&id])
                .map_err(pg("look up election"))?
                .is_some();
            if exists {
                return Err(StoreError::ElectionExists(id));
            }
            tx.execute(
                "INSERT INTO election (id, created_at) VALUES ($1, $2)",
                &[&id, &created_at],
            )
            .map_err(pg("insert election"))?;
            tx.execute(
                "INSERT INTO entry (election, idx, data)
                 SELECT $1, t.ord - 1, t.d FROM unnest($2::bytea[]) WITH ORDINALITY AS t(d, ord)",
                &[&id, &head],
            )
            .map_err(pg("insert the definition entries"))?;
            let size = head.len() as i64;
            tx.execute(
                "INSERT INTO checkpoint (election, size, note) VALUES ($1, $2, $3)",
                &[&id, &size, &checkpoint],
            )
            .map_err(pg("insert checkpoint"))?;
            tx.execute(
                "INSERT INTO head (election, size, checkpoint) VALUES ($1, $2, $3)",
                &[&id, &size, &checkpoint],
            )
            .map_err(pg("insert the head"))?;
            tx.commit().map_err(pg("commit"))
        })?
    }

    pub(crate) fn elections(&self) -> Result<Vec<ElectionRow>, StoreError> {
        self.writer.call(|c| -> Result<_, StoreError> {
            // Byte order, as SQLite sorts.
            let rows = c
                .query(
                    "SELECT e.id, e.created_at, COALESCE(h.size, 0) FROM election e
                     LEFT JOIN head h ON h.election = e.id
                     ORDER BY e.created_at COLLATE \"C\", e.id COLLATE \"C\"",
                    &[],
                )
                .map_err(pg("list elections"))?;
            Ok(rows
                .iter()
                .map(|r| ElectionRow {
                    id: r.get(0),
                    created_at: r.get(1),
                    size: r.get::<_, i64>(2) as u64,
                })
                .collect())
        })?
    }

    /// The head row: size and the checkpoint the last append wrote.
    pub(crate) fn head(&self, election: &str) -> Result<(u64, Vec<u8>), StoreError> {
        let election = election.to_string();
        self.writer.call(move |c| head_of(c, &election))?
    }

    pub(crate) fn entries(
        &self,
        election: &str,
        start: u64,
        end: u64,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        let election = election.to_string();
        // The reader's connection: the server reads old entries here while the sequencer
        // appends through the writer's.
        self.reader.call(move |c| -> Result<_, StoreError> {
            let rows = c
                .query(
                    "SELECT data FROM entry WHERE election = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
                    &[&election, &(start as i64), &(end as i64)],
                )
                .map_err(pg("read entries"))?;
            Ok(rows.iter().map(|r| r.get::<_, Vec<u8>>(0)).collect())
        })?
    }

    pub(crate) fn append(
        &self,
        election: &str,
        at: Extends<'_>,
        entries: &[&[u8]],
        checkpoint: &[u8],
    ) -> Result<(), StoreError> {
        let election = election.to_string();
        let entries: Vec<Vec<u8>> = entries.iter().map(|e| e.to_vec()).collect();
        let (checkpoint, prev, first) = (checkpoint.to_vec(), at.checkpoint.to_vec(), at.size);
        self.writer.call(move |c| -> Result<(), StoreError> {
            let first_i = first as i64;
            let new_size = (first + entries.len() as u64) as i64;
            use postgres::types::Type;
            // Typed parameters: parse, bind and execute in one round trip.
            let moved: i64 = c
                .query_typed_one(
                    APPEND,
                    &[
                        (&election, Type::TEXT),
                        (&first_i, Type::INT8),
                        (&new_size, Type::INT8),
                        (&entries, Type::BYTEA_ARRAY),
                        (&checkpoint, Type::BYTEA),
                        (&prev, Type::BYTEA),
                    ],
                )
                .map_err(pg("append"))?
                .get(0);
            if moved == 1 {
                return Ok(());
            }
            // Refused: say how the head differs.
            let (actual, _) = head_of(c, &election)?;
            if actual != first {
                Err(StoreError::Fenced {
                    election,
                    expected: first,
                    actual,
                })
            } else {
                Err(StoreError::FencedCheckpoint {
                    election,
                    size: first,
                })
            }
        })?
    }

    pub(crate) fn attach_cosignatures(
        &self,
        election: &str,
        size: u64,
        note: &[u8],
    ) -> Result<bool, StoreError> {
        let (election, note) = (election.to_string(), note.to_vec());
        self.writer.call(move |c| {
            c.execute(
                "UPDATE checkpoint SET note = $3 WHERE election = $1 AND size = $2",
                &[&election, &(size as i64), &note],
            )
            .map(|n| n == 1)
            .map_err(pg("store cosigned checkpoint"))
        })?
    }

    pub(crate) fn latest_checkpoint(&self, election: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let election = election.to_string();
        self.writer.call(move |c| {
            c.query_opt(
                "SELECT note FROM checkpoint WHERE election = $1 ORDER BY size DESC LIMIT 1",
                &[&election],
            )
            .map(|r| r.map(|r| r.get::<_, Vec<u8>>(0)))
            .map_err(pg("read checkpoint"))
        })?
    }

    pub(crate) fn checkpoint_at(
        &self,
        election: &str,
        size: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let election = election.to_string();
        self.writer.call(move |c| {
            c.query_opt(
                "SELECT note FROM checkpoint WHERE election = $1 AND size = $2",
                &[&election, &(size as i64)],
            )
            .map(|r| r.map(|r| r.get::<_, Vec<u8>>(0)))
            .map_err(pg("read checkpoint"))
        })?
    }

    pub(crate) fn is_standby(&self) -> Result<bool, StoreError> {
        self.writer.call(|c| {
            c.query_one("SELECT pg_is_in_recovery()", &[])
                .map(|r| r.get::<_, bool>(0))
                .map_err(pg("ask whether the server is a standby"))
        })?
    }

    pub(crate) fn checkpoints(&self, election: &str) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let election = election.to_string();
        self.writer.call(move |c| {
            c.query(
                "SELECT size, note FROM checkpoint WHERE election = $1 ORDER BY size",
                &[&election],
            )
            .map(|rows| {
                rows.iter()
                    .map(|r| (r.get::<_, i64>(0) as u64, r.get::<_, Vec<u8>>(1)))
                    .collect()
            })
            .map_err(pg("read checkpoints"))
        })?
    }

    pub(crate) fn hold_many(
        &self,
        election: &str,
        requests: &[HoldRequest<'_>],
        received_at: &str,
    ) -> Result<Vec<Hold>, StoreError> {
        let election = election.to_string();
        let received_at = received_at.to_string();
        let requests: Vec<(Vec<u8>, String, String)> = requests
            .iter()
            .map(|r| {
                (
                    r.note.to_vec(),
                    r.reporter.to_string(),
                    r.reasons_json.to_string(),
                )
            })
            .collect();
        self.writer.call(move |c| -> Result<_, StoreError> {
            let mut tx = c.transaction().map_err(pg("begin"))?;
            let mut out = Vec::with_capacity(requests.len());
            let mut written = false;
            for (note, reporter, reasons) in &requests {
                let hash = Sha256::digest(note).to_vec();
                let existing = tx
                    .query_opt(
                        "SELECT id FROM held WHERE election = $1 AND note_hash = $2",
                        &[&election, &hash],
                    )
                    .map_err(pg("look up held note"))?;
                if let Some(row) = existing {
                    out.push(Hold::Held {
                        id: row.get(0),
                        new: false,
                    });
                    continue;
                }
                let pending: i64 = tx
                    .query_one(
                        "SELECT COUNT(*) FROM held WHERE election = $1 AND reporter = $2 AND state = 'held'",
                        &[&election, reporter],
                    )
                    .map_err(pg("count held submissions"))?
                    .get(0);
                let pending = u64::try_from(pending).unwrap_or(0);
                if pending >= MAX_HELD_PER_KEY {
                    out.push(Hold::TooMany { pending });
                    continue;
                }
                let id: i64 = tx
                    .query_one(
                        "INSERT INTO held (election, note, reasons, received_at, note_hash, reporter)
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                        &[&election, note, reasons, &received_at, &hash, reporter],
                    )
                    .map_err(pg("hold submission"))?
                    .get(0);
                out.push(Hold::Held { id, new: true });
                written = true;
            }
            // Nothing new: no commit to wait for.
            if written {
                tx.commit().map_err(pg("commit"))?;
            }
            Ok(out)
        })?
    }

    pub(crate) fn held_page(
        &self,
        election: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<HeldRow>, StoreError> {
        let election = election.to_string();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // The reader's connection: the writer (appends) is never waited for here.
        self.reader.call(move |c| {
            c.query(
                "SELECT id, note, reasons, received_at, state FROM held
                 WHERE election = $1 AND id > $2 ORDER BY id LIMIT $3",
                &[&election, &after, &limit],
            )
            .map(|rows| {
                rows.iter()
                    .map(|r| HeldRow {
                        id: r.get(0),
                        note: r.get(1),
                        reasons: r.get(2),
                        received_at: r.get(3),
                        state: r.get(4),
                    })
                    .collect()
            })
            .map_err(pg("list held"))
        })?
    }

    pub(crate) fn set_held_state(
        &self,
        election: &str,
        note_hash: &[u8; 32],
        state: &str,
    ) -> Result<(), StoreError> {
        let (state, election, hash) = (state.to_string(), election.to_string(), note_hash.to_vec());
        self.writer.call(move |c| {
            c.execute(
                "UPDATE held SET state = $1 WHERE election = $2 AND note_hash = $3",
                &[&state, &election, &hash],
            )
            .map(|_| ())
            .map_err(pg("update held"))
        })?
    }
}

fn head_of(c: &mut Client, election: &str) -> Result<(u64, Vec<u8>), StoreError> {
    let row = c
        .query_opt(
            "SELECT size, checkpoint FROM head WHERE election = $1",
            &[&election],
        )
        .map_err(pg("read the head"))?
        .ok_or_else(|| StoreError::NoSuchElection(election.to_string()))?;
    Ok((row.get::<_, i64>(0) as u64, row.get(1)))
}

/// Creates (anew: dropping one of that name) the schema `schema` in the database at `url` and
/// answers the URL of a store in it (`options=-c search_path=…`). For tests, which share one
/// database and must not see each other's tables, and for several stores in one database.
pub fn scratch_schema(url: &str, schema: &str) -> Result<String, StoreError> {
    if schema.is_empty()
        || !schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(StoreError::Location(format!(
            "schema name {schema:?}: lowercase letters, digits and _ only"
        )));
    }
    let conn = Conn::open(&config(url)?, "pg-scratch")?;
    let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};");
    conn.call(move |c| c.batch_execute(&sql).map_err(pg("create the schema")))??;
    let sep = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
}

/// Promotes the standby PostgreSQL at `url` to primary (`pg_promote()`, waiting up to
/// `wait`), the first step of a failover; answers whether it is a primary now. A server that
/// is already a primary answers `true` at once (promoting twice is harmless).
pub fn promote(url: &str, wait: Duration) -> Result<bool, StoreError> {
    let conn = Conn::open(&config(url)?, "pg-promote")?;
    let secs = i32::try_from(wait.as_secs().max(1)).unwrap_or(i32::MAX);
    conn.call(move |c| -> Result<bool, StoreError> {
        let in_recovery: bool = c
            .query_one("SELECT pg_is_in_recovery()", &[])
            .map_err(pg("ask whether the server is a standby"))?
            .get(0);
        if !in_recovery {
            return Ok(true);
        }
        c.query_one("SELECT pg_promote(true, $1)", &[&secs])
            .map(|r| r.get::<_, bool>(0))
            .map_err(pg("promote the standby"))
    })?
}

/// Whether the server at `url` is a standby (in recovery), and the names of the standbys it
/// waits for (`synchronous_standby_names`, empty when it waits for none).
pub fn replication_state(url: &str) -> Result<(bool, String), StoreError> {
    let conn = Conn::open(&config(url)?, "pg-state")?;
    conn.call(|c| -> Result<(bool, String), StoreError> {
        let r = c
            .query_one(
                "SELECT pg_is_in_recovery(), current_setting('synchronous_standby_names')",
                &[],
            )
            .map_err(pg("read the replication settings"))?;
        Ok((r.get(0), r.get(1)))
    })?
}

/// A schema of its own in the test database, dropped when this is dropped: what the test
/// suites of the crates open their PostgreSQL stores in, so tests running at once (in one
/// process or several) never see each other's tables.
pub struct ScratchSchema {
    /// The store's URL (`search_path` set to the schema).
    pub url: String,
    base: String,
    schema: String,
}

impl ScratchSchema {
    /// The test database: `SKYTALE_TEST_POSTGRES`, by default PostgreSQL on this machine
    /// (`postgres://postgres@127.0.0.1:5432/test`, trust authentication). A schema
    /// `<name>_<pid>` is made in it. `None` when the server cannot be reached, unless
    /// `SKYTALE_REQUIRE_POSTGRES` is set (CI): then this panics, so a suite never passes
    /// without having run on PostgreSQL where it must.
    pub fn for_test(name: &str) -> Option<ScratchSchema> {
        let base = std::env::var("SKYTALE_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
        let schema = format!("{name}_{}", std::process::id());
        match scratch_schema(&base, &schema) {
            Ok(url) => Some(ScratchSchema { url, base, schema }),
            Err(e) if std::env::var_os("SKYTALE_REQUIRE_POSTGRES").is_none() => {
                eprintln!("PostgreSQL tests skipped ({e}); set SKYTALE_REQUIRE_POSTGRES=1 to fail instead");
                None
            }
            Err(e) => panic!("SKYTALE_REQUIRE_POSTGRES is set but PostgreSQL is not usable: {e}"),
        }
    }

    /// The location of a store in this schema.
    pub fn location(&self) -> crate::Location {
        crate::Location::Postgres(self.url.clone())
    }
}

impl Drop for ScratchSchema {
    fn drop(&mut self) {
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema);
        if let Ok(conn) = config(&self.base).and_then(|c| Conn::open(&c, "pg-scratch")) {
            let _ = conn.call(move |c| c.batch_execute(&sql));
        }
    }
}

/// Makes the server at `url` wait for the standby named `names` at every commit (`ALTER SYSTEM
/// SET synchronous_standby_names`, then a reload), or for none when `names` is empty: how a
/// primary that failed over runs alone until a standby is attached again, and how one is
/// attached.
pub fn set_synchronous_standby(url: &str, names: &str) -> Result<(), StoreError> {
    let conn = Conn::open(&config(url)?, "pg-sync")?;
    let names = names.to_string();
    conn.call(move |c| -> Result<(), StoreError> {
        // ALTER SYSTEM takes no parameters: the value is quoted here.
        let quoted = names.replace('\'', "''");
        // Two statements, each its own: ALTER SYSTEM refuses a transaction block.
        c.batch_execute(&format!(
            "ALTER SYSTEM SET synchronous_standby_names = '{quoted}'"
        ))
        .map_err(pg("set synchronous_standby_names"))?;
        c.batch_execute("SELECT pg_reload_conf()")
            .map_err(pg("reload the settings"))
    })?
}

/// The standbys streaming from the server at `url`: (application name, state, sync state), as
/// `pg_stat_replication` has them (`streaming`, `sync` for one the commits wait for).
pub fn standbys(url: &str) -> Result<Vec<(String, String, String)>, StoreError> {
    let conn = Conn::open(&config(url)?, "pg-standbys")?;
    conn.call(|c| -> Result<_, StoreError> {
        let rows = c
            .query(
                "SELECT application_name, COALESCE(state, ''), COALESCE(sync_state, '')
                 FROM pg_stat_replication",
                &[],
            )
            .map_err(pg("read pg_stat_replication"))?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    })?
}
