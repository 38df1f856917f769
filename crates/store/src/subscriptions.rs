//! Push subscriptions: officials' webhooks, the fediverse followers of each election, the
//! events announced to them and the outgoing deliveries with their log.
//!
//! These live in a database file of their own, [`PUSH_DB_FILE`], beside the log's, for one
//! reason: SQLite has one writer per file, and a delivery's bookkeeping (one row per attempt)
//! must never make the sequencer wait for the log's write lock. Nothing here is part of the
//! log or of any verifiable artefact; losing this file loses subscriptions and the delivery
//! log, never a result. `synchronous=NORMAL`: a crash may forget the last attempts, and then
//! they are made again, which at-least-once delivery allows.
//!
//! **Delivery is at least once.** A delivery is a row keyed by (channel, target, event id);
//! enqueuing the same event twice (a restart before its cursor moved) is a no-op, and the
//! receiver sees the same event id on every retry, so it can drop duplicates.
//!
//! **Queues are bounded.** At most `max_pending` deliveries wait per target; beyond that an
//! event is not queued for that target ([`Enqueued::Full`]), so a dead receiver costs a
//! bounded number of rows, not one per publication of the night.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

use crate::sqlite::db;
use crate::StoreError;

/// The push database's file name inside the data directory.
pub const PUSH_DB_FILE: &str = "push.sqlite";

/// Schema version of the push database (`PRAGMA user_version`).
const PUSH_SCHEMA_VERSION: i64 = 1;

/// A registered webhook endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhook {
    pub id: i64,
    pub election: String,
    pub url: String,
    /// The signing secret, `whsec_` and base64 (Standard Webhooks).
    pub secret: String,
    /// Which events it receives: `publication` or `change`.
    pub events: String,
    /// The signing key name of the official who registered it.
    pub created_by: String,
    pub created_at: String,
}

/// An announced event of an election's stream (`publication` or `change`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRow {
    pub stream: String,
    pub tree_size: u64,
    /// The event as JSON (what the deliveries and the outbox are made from).
    pub body: Vec<u8>,
    pub created_at: String,
}

/// One outgoing delivery and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRow {
    pub id: i64,
    pub election: String,
    /// `webhook` (target: the webhook's id) or `activitypub` (target: an inbox URL).
    pub channel: String,
    pub target: String,
    /// Stable across retries: the receiver's key to drop duplicates.
    pub event_id: String,
    pub body: Vec<u8>,
    pub attempts: u32,
    /// `pending`, `delivered`, `failed` (gave up) or `cancelled` (its webhook was removed).
    pub state: String,
    /// When the next attempt is due, in milliseconds since the Unix epoch.
    pub due_at_ms: i64,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub done_at: Option<String>,
}

/// A delivery to queue.
#[derive(Clone, Copy, Debug)]
pub struct NewDelivery<'a> {
    pub election: &'a str,
    pub channel: &'a str,
    pub target: &'a str,
    pub event_id: &'a str,
    pub body: &'a [u8],
    pub due_at_ms: i64,
    pub created_at: &'a str,
}

/// What [`Subscriptions::enqueue`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enqueued {
    Queued,
    /// That event was queued for that target before (a restart): nothing written.
    Duplicate,
    /// The target already has that many deliveries waiting: nothing written.
    Full,
}

/// The outcome of one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered 2xx.
    Delivered { status: u16, at: String },
    /// Try again at `due_at_ms`.
    Retry {
        status: Option<u16>,
        error: String,
        due_at_ms: i64,
    },
    /// No more tries.
    GaveUp {
        status: Option<u16>,
        error: String,
        at: String,
    },
}

/// A follower of an election's actor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Follower {
    /// The follower's actor id (URL).
    pub actor: String,
    /// Where its deliveries go (its shared inbox when it has one).
    pub inbox: String,
    pub followed_at: String,
}

/// The push database (see the module doc).
pub struct Subscriptions {
    conn: Mutex<Connection>,
}

impl Subscriptions {
    /// Opens (creating if needed) the push database in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Subscriptions, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let path = data_dir.join(PUSH_DB_FILE);
        let conn = Connection::open(&path).map_err(db("open the push database"))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db("enable WAL"))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(db("set synchronous"))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db("set busy timeout"))?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(db("read the push schema version"))?;
        match version {
            0 => conn
                .execute_batch(
                    "BEGIN;
                     CREATE TABLE webhook (
                         id INTEGER PRIMARY KEY AUTOINCREMENT,
                         election TEXT NOT NULL,
                         url TEXT NOT NULL,
                         secret TEXT NOT NULL,
                         events TEXT NOT NULL,
                         created_by TEXT NOT NULL,
                         created_at TEXT NOT NULL
                     );
                     CREATE TABLE event (
                         election TEXT NOT NULL,
                         stream TEXT NOT NULL,
                         tree_size INTEGER NOT NULL,
                         body BLOB NOT NULL,
                         created_at TEXT NOT NULL,
                         PRIMARY KEY (election, stream, tree_size)
                     ) WITHOUT ROWID;
                     CREATE TABLE delivery (
                         id INTEGER PRIMARY KEY AUTOINCREMENT,
                         election TEXT NOT NULL,
                         channel TEXT NOT NULL,
                         target TEXT NOT NULL,
                         event_id TEXT NOT NULL,
                         body BLOB NOT NULL,
                         attempts INTEGER NOT NULL DEFAULT 0,
                         state TEXT NOT NULL DEFAULT 'pending',
                         due_at INTEGER NOT NULL,
                         last_status INTEGER,
                         last_error TEXT,
                         created_at TEXT NOT NULL,
                         done_at TEXT,
                         UNIQUE (channel, target, event_id)
                     );
                     CREATE INDEX delivery_due ON delivery (due_at) WHERE state = 'pending';
                     CREATE INDEX delivery_target ON delivery (channel, target, state);
                     CREATE TABLE follower (
                         election TEXT NOT NULL,
                         actor TEXT NOT NULL,
                         inbox TEXT NOT NULL,
                         followed_at TEXT NOT NULL,
                         PRIMARY KEY (election, actor)
                     ) WITHOUT ROWID;
                     PRAGMA user_version = 1;
                     COMMIT;",
                )
                .map_err(db("create the push schema"))?,
            PUSH_SCHEMA_VERSION => {}
            found => {
                return Err(StoreError::Schema {
                    place: path.display().to_string(),
                    found,
                    expected: PUSH_SCHEMA_VERSION,
                })
            }
        }
        Ok(Subscriptions {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // SQLite rolls back what a panicking holder left half-done.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a webhook; returns its id.
    pub fn add_webhook(
        &self,
        election: &str,
        url: &str,
        secret: &str,
        events: &str,
        created_by: &str,
        created_at: &str,
    ) -> Result<i64, StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO webhook (election, url, secret, events, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![election, url, secret, events, created_by, created_at],
        )
        .map_err(db("insert webhook"))?;
        Ok(conn.last_insert_rowid())
    }

    /// The webhooks of `election`, oldest first.
    pub fn webhooks(&self, election: &str) -> Result<Vec<Webhook>, StoreError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached(
                "SELECT id, election, url, secret, events, created_by, created_at
                 FROM webhook WHERE election = ?1 ORDER BY id",
            )
            .map_err(db("list webhooks"))?;
        let rows = st
            .query_map([election], webhook_row)
            .and_then(|r| r.collect::<Result<Vec<_>, _>>())
            .map_err(db("list webhooks"))?;
        Ok(rows)
    }

    /// Webhook `id`, if it exists.
    pub fn webhook(&self, id: i64) -> Result<Option<Webhook>, StoreError> {
        let conn = self.conn();
        conn.query_row(
            "SELECT id, election, url, secret, events, created_by, created_at
             FROM webhook WHERE id = ?1",
            [id],
            webhook_row,
        )
        .optional()
        .map_err(db("read webhook"))
    }

    /// Removes webhook `id` of `election` and cancels its waiting deliveries (the delivery log
    /// keeps them). Returns whether it existed.
    pub fn remove_webhook(&self, election: &str, id: i64) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(db("begin"))?;
        let n = tx
            .execute(
                "DELETE FROM webhook WHERE election = ?1 AND id = ?2",
                params![election, id],
            )
            .map_err(db("delete webhook"))?;
        tx.execute(
            "UPDATE delivery SET state = 'cancelled'
             WHERE channel = 'webhook' AND target = ?1 AND state = 'pending'",
            [id.to_string()],
        )
        .map_err(db("cancel deliveries"))?;
        tx.commit().map_err(db("commit"))?;
        Ok(n > 0)
    }

    /// The largest tree size announced in `stream` of `election`.
    pub fn last_event(&self, election: &str, stream: &str) -> Result<Option<u64>, StoreError> {
        let conn = self.conn();
        let n: Option<i64> = conn
            .query_row(
                "SELECT MAX(tree_size) FROM event WHERE election = ?1 AND stream = ?2",
                params![election, stream],
                |r| r.get(0),
            )
            .map_err(db("read last event"))?;
        Ok(n.map(|n| n as u64))
    }

    /// Records an announced event; false when one at that size was recorded before.
    pub fn add_event(
        &self,
        election: &str,
        stream: &str,
        tree_size: u64,
        body: &[u8],
        created_at: &str,
    ) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute(
                "INSERT OR IGNORE INTO event (election, stream, tree_size, body, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![election, stream, tree_size as i64, body, created_at],
            )
            .map_err(db("insert event"))?;
        Ok(n > 0)
    }

    /// Events of `stream`, newest first, below tree size `before` (all when `None`).
    pub fn events(
        &self,
        election: &str,
        stream: &str,
        before: Option<u64>,
        limit: u64,
    ) -> Result<Vec<EventRow>, StoreError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached(
                "SELECT stream, tree_size, body, created_at FROM event
                 WHERE election = ?1 AND stream = ?2 AND tree_size < ?3
                 ORDER BY tree_size DESC LIMIT ?4",
            )
            .map_err(db("list events"))?;
        let before = before.map_or(i64::MAX, |b| b.min(i64::MAX as u64) as i64);
        let rows = st
            .query_map(
                params![election, stream, before, limit.min(i64::MAX as u64) as i64],
                |r| {
                    Ok(EventRow {
                        stream: r.get(0)?,
                        tree_size: r.get::<_, i64>(1)? as u64,
                        body: r.get(2)?,
                        created_at: r.get(3)?,
                    })
                },
            )
            .and_then(|r| r.collect::<Result<Vec<_>, _>>())
            .map_err(db("list events"))?;
        Ok(rows)
    }

    /// How many events `stream` of `election` holds.
    pub fn count_events(&self, election: &str, stream: &str) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM event WHERE election = ?1 AND stream = ?2",
                params![election, stream],
                |r| r.get(0),
            )
            .map_err(db("count events"))?;
        Ok(n as u64)
    }

    /// Queues a delivery unless the same event was queued for the same target before, or the
    /// target has `max_pending` deliveries waiting already.
    pub fn enqueue(&self, d: &NewDelivery<'_>, max_pending: u64) -> Result<Enqueued, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(db("begin"))?;
        let exists = tx
            .query_row(
                "SELECT 1 FROM delivery WHERE channel = ?1 AND target = ?2 AND event_id = ?3",
                params![d.channel, d.target, d.event_id],
                |_| Ok(()),
            )
            .optional()
            .map_err(db("look up delivery"))?;
        if exists.is_some() {
            return Ok(Enqueued::Duplicate);
        }
        let pending: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM delivery
                 WHERE channel = ?1 AND target = ?2 AND state = 'pending'",
                params![d.channel, d.target],
                |r| r.get(0),
            )
            .map_err(db("count pending deliveries"))?;
        if pending as u64 >= max_pending {
            return Ok(Enqueued::Full);
        }
        tx.execute(
            "INSERT INTO delivery (election, channel, target, event_id, body, due_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                d.election,
                d.channel,
                d.target,
                d.event_id,
                d.body,
                d.due_at_ms,
                d.created_at
            ],
        )
        .map_err(db("insert delivery"))?;
        tx.commit().map_err(db("commit"))?;
        Ok(Enqueued::Queued)
    }

    /// Takes the pending deliveries due at `now_ms`, earliest first, at most `limit`, and
    /// leases them: each is due again at `lease_until_ms` unless an attempt is recorded first
    /// (so an attempt cut short by a crash is made again, and none is taken twice meanwhile).
    pub fn take_due(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u64,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(db("begin"))?;
        let rows = {
            let mut st = tx
                .prepare_cached(&format!(
                    "SELECT {DELIVERY_COLUMNS} FROM delivery
                     WHERE state = 'pending' AND due_at <= ?1 ORDER BY due_at, id LIMIT ?2"
                ))
                .map_err(db("list due deliveries"))?;
            let rows = st
                .query_map(
                    params![now_ms, limit.min(i64::MAX as u64) as i64],
                    delivery_row,
                )
                .and_then(|r| r.collect::<Result<Vec<_>, _>>())
                .map_err(db("list due deliveries"))?;
            let mut lease = tx
                .prepare_cached("UPDATE delivery SET due_at = ?2 WHERE id = ?1")
                .map_err(db("lease deliveries"))?;
            for r in &rows {
                lease
                    .execute(params![r.id, lease_until_ms])
                    .map_err(db("lease deliveries"))?;
            }
            rows
        };
        tx.commit().map_err(db("commit"))?;
        Ok(rows)
    }

    /// When the earliest pending delivery is due (milliseconds since the epoch).
    pub fn next_due(&self) -> Result<Option<i64>, StoreError> {
        self.conn()
            .query_row(
                "SELECT MIN(due_at) FROM delivery WHERE state = 'pending'",
                [],
                |r| r.get(0),
            )
            .map_err(db("read next due delivery"))
    }

    /// Records the outcome of an attempt at delivery `id` (a delivery no longer pending, e.g.
    /// cancelled meanwhile, keeps its state).
    pub fn record_attempt(&self, id: i64, outcome: &Attempt) -> Result<(), StoreError> {
        let conn = self.conn();
        let (state, status, error, due, done) = match outcome {
            Attempt::Delivered { status, at } => {
                ("delivered", Some(*status), None, None, Some(at.as_str()))
            }
            Attempt::Retry {
                status,
                error,
                due_at_ms,
            } => (
                "pending",
                *status,
                Some(error.as_str()),
                Some(*due_at_ms),
                None,
            ),
            Attempt::GaveUp { status, error, at } => (
                "failed",
                *status,
                Some(error.as_str()),
                None,
                Some(at.as_str()),
            ),
        };
        conn.execute(
            "UPDATE delivery SET attempts = attempts + 1, state = ?2, last_status = ?3,
                 last_error = ?4, due_at = COALESCE(?5, due_at), done_at = ?6
             WHERE id = ?1 AND state = 'pending'",
            params![id, state, status, error, due, done],
        )
        .map_err(db("record delivery attempt"))?;
        Ok(())
    }

    /// The delivery log of `election` on `channel`, newest first: every target, or one.
    pub fn deliveries(
        &self,
        election: &str,
        channel: &str,
        target: Option<&str>,
        limit: u64,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM delivery
                 WHERE election = ?1 AND channel = ?2 AND (?3 IS NULL OR target = ?3)
                 ORDER BY id DESC LIMIT ?4"
            ))
            .map_err(db("list deliveries"))?;
        let rows = st
            .query_map(
                params![election, channel, target, limit.min(i64::MAX as u64) as i64],
                delivery_row,
            )
            .and_then(|r| r.collect::<Result<Vec<_>, _>>())
            .map_err(db("list deliveries"))?;
        Ok(rows)
    }

    /// Adds (or refreshes the inbox of) a follower of `election`.
    pub fn add_follower(
        &self,
        election: &str,
        actor: &str,
        inbox: &str,
        followed_at: &str,
    ) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO follower (election, actor, inbox, followed_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (election, actor) DO UPDATE SET inbox = excluded.inbox",
                params![election, actor, inbox, followed_at],
            )
            .map_err(db("insert follower"))?;
        Ok(())
    }

    /// Removes a follower; returns whether it was one.
    pub fn remove_follower(&self, election: &str, actor: &str) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute(
                "DELETE FROM follower WHERE election = ?1 AND actor = ?2",
                params![election, actor],
            )
            .map_err(db("delete follower"))?;
        Ok(n > 0)
    }

    /// The followers of `election`, in the order they followed.
    pub fn followers(&self, election: &str) -> Result<Vec<Follower>, StoreError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached(
                "SELECT actor, inbox, followed_at FROM follower WHERE election = ?1
                 ORDER BY followed_at, actor",
            )
            .map_err(db("list followers"))?;
        let rows = st
            .query_map([election], |r| {
                Ok(Follower {
                    actor: r.get(0)?,
                    inbox: r.get(1)?,
                    followed_at: r.get(2)?,
                })
            })
            .and_then(|r| r.collect::<Result<Vec<_>, _>>())
            .map_err(db("list followers"))?;
        Ok(rows)
    }
}

const DELIVERY_COLUMNS: &str = "id, election, channel, target, event_id, body, attempts, state, \
     due_at, last_status, last_error, created_at, done_at";

fn delivery_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: r.get(0)?,
        election: r.get(1)?,
        channel: r.get(2)?,
        target: r.get(3)?,
        event_id: r.get(4)?,
        body: r.get(5)?,
        attempts: r.get::<_, i64>(6)?.clamp(0, i64::from(u32::MAX)) as u32,
        state: r.get(7)?,
        due_at_ms: r.get(8)?,
        last_status: r
            .get::<_, Option<i64>>(9)?
            .and_then(|s| u16::try_from(s).ok()),
        last_error: r.get(10)?,
        created_at: r.get(11)?,
        done_at: r.get(12)?,
    })
}

fn webhook_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Webhook> {
    Ok(Webhook {
        id: r.get(0)?,
        election: r.get(1)?,
        url: r.get(2)?,
        secret: r.get(3)?,
        events: r.get(4)?,
        created_by: r.get(5)?,
        created_at: r.get(6)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> (tempfile::TempDir, Subscriptions) {
        let dir = tempfile::tempdir().unwrap();
        let s = Subscriptions::open(dir.path()).unwrap();
        (dir, s)
    }

    fn delivery<'a>(target: &'a str, event: &'a str) -> NewDelivery<'a> {
        NewDelivery {
            election: "e",
            channel: "webhook",
            target,
            event_id: event,
            body: b"{}",
            due_at_ms: 0,
            created_at: "2026-01-01T00:00:00Z",
        }
    }

    #[test]
    fn an_event_is_queued_once_per_target_and_a_full_queue_takes_no_more() {
        let (_d, s) = open();
        assert_eq!(s.enqueue(&delivery("1", "a"), 2).unwrap(), Enqueued::Queued);
        assert_eq!(
            s.enqueue(&delivery("1", "a"), 2).unwrap(),
            Enqueued::Duplicate
        );
        assert_eq!(s.enqueue(&delivery("2", "a"), 2).unwrap(), Enqueued::Queued);
        assert_eq!(s.enqueue(&delivery("1", "b"), 2).unwrap(), Enqueued::Queued);
        assert_eq!(s.enqueue(&delivery("1", "c"), 2).unwrap(), Enqueued::Full);
        let due = s.take_due(0, 5, 10).unwrap();
        assert_eq!(due.len(), 3);
        s.record_attempt(
            due[0].id,
            &Attempt::Delivered {
                status: 204,
                at: "t".into(),
            },
        )
        .unwrap();
        assert_eq!(
            s.enqueue(&delivery("1", "c"), 2).unwrap(),
            Enqueued::Queued,
            "a delivered row no longer counts against the bound"
        );
    }

    #[test]
    fn a_retry_is_due_later_and_removing_a_webhook_cancels_what_waits() {
        let (_d, s) = open();
        let id = s
            .add_webhook("e", "http://x.invalid/", "whsec_AA==", "change", "k", "t")
            .unwrap();
        let target = id.to_string();
        s.enqueue(&delivery(&target, "a"), 10).unwrap();
        let d = &s.take_due(0, 5, 10).unwrap()[0];
        assert!(s.take_due(4, 5, 10).unwrap().is_empty(), "leased");
        s.record_attempt(
            d.id,
            &Attempt::Retry {
                status: Some(500),
                error: "HTTP 500".into(),
                due_at_ms: 1_000,
            },
        )
        .unwrap();
        assert!(s.take_due(999, 999, 10).unwrap().is_empty());
        assert_eq!(s.next_due().unwrap(), Some(1_000));
        let log = s.deliveries("e", "webhook", Some(&target), 10).unwrap();
        assert_eq!((log[0].attempts, log[0].last_status), (1, Some(500)));
        assert!(s.remove_webhook("e", id).unwrap());
        assert!(s.take_due(i64::MAX, 0, 10).unwrap().is_empty());
        assert_eq!(
            s.deliveries("e", "webhook", None, 10).unwrap()[0].state,
            "cancelled"
        );
    }

    #[test]
    fn events_and_followers_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Subscriptions::open(dir.path()).unwrap();
            assert!(s.add_event("e", "publication", 7, b"{}", "t").unwrap());
            assert!(!s.add_event("e", "publication", 7, b"{}", "t").unwrap());
            s.add_event("e", "publication", 9, b"{}", "t").unwrap();
            s.add_follower("e", "https://a.example/u", "https://a.example/inbox", "t")
                .unwrap();
        }
        let s = Subscriptions::open(dir.path()).unwrap();
        assert_eq!(s.last_event("e", "publication").unwrap(), Some(9));
        assert_eq!(s.last_event("e", "change").unwrap(), None);
        let ev = s.events("e", "publication", Some(9), 10).unwrap();
        assert_eq!(ev.iter().map(|e| e.tree_size).collect::<Vec<_>>(), [7]);
        assert_eq!(s.followers("e").unwrap().len(), 1);
        assert!(s.remove_follower("e", "https://a.example/u").unwrap());
        assert!(s.followers("e").unwrap().is_empty());
    }
}
