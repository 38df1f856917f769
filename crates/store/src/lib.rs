//! skytale-store: durable storage of election logs (floor 4, an adapter).
//!
//! The store keeps bytes, not meaning: each election's log entries in order, the signed
//! checkpoints, submissions held for review, and the log's signing key. Everything else
//! (acceptance state, tree, tally) is recomputed from the entries at start-up, so the store
//! can never disagree with the log.
//!
//! Two backends sit behind the one [`Store`]: the embedded default, SQLite (one file
//! `skytale.sqlite` in the data directory, WAL journal, `synchronous=FULL`; see `sqlite.rs`),
//! and PostgreSQL (`pg.rs`), for a deployment across two data centres: a primary with a
//! synchronous standby, so a commit, and so every receipt, is on both before it is answered.
//! [`Location`] names which (`--store`). The log key and the kept checkpoint stay files in
//! the data directory of each node whatever the backend.
//!
//! **Architecture invariant:** appends are fenced. [`Store::append`] names the log position it
//! extends (the index of its first entry and, for the shared database, the checkpoint the log
//! has there), and the transaction fails unless the log is exactly there, so two sequencers
//! (or a stale one) can never write diverging logs. In PostgreSQL the fence is a
//! compare-and-swap of the election's `head` row, atomic in the database, so it holds between
//! nodes in different data centres.
//!
//! The database is not the only witness of the log: the last checkpoint the log key signed is
//! also kept in a file of its own beside the key ([`Store::keep_checkpoint`]), which the
//! server writes before it answers a batch. A database that lost acknowledged writes (a
//! truncated WAL, an older copy restored, a deleted file) is then told apart from a healthy
//! one at start-up, instead of silently carrying on from an older size.

mod kept;
pub mod pg;
mod sqlite;
mod subscriptions;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use subscriptions::{
    Attempt, DeliveryRow, Enqueued, EventRow, Follower, NewDelivery, Subscriptions, Webhook,
    PUSH_DB_FILE,
};

/// The SQLite file's name inside the data directory.
pub const DB_FILE: &str = "skytale.sqlite";
/// Most submissions of one reporter key waiting for review (state `held`) in one election.
/// Beyond it [`Store::hold`] answers [`Hold::TooMany`] and stores nothing, so a key holder
/// (or a stolen key) sending implausible counts can fill at most this many rows of at most
/// 64 KiB each (64 MiB per key); rows marked `released` or `rejected`
/// ([`Store::set_held_state`]) no longer count. A county's implausible precincts in one night
/// stay far below it.
pub const MAX_HELD_PER_KEY: u64 = 1_000;
/// The suffix of the kept checkpoint's file, `keys/<election>.checkpoint`.
const KEPT_SUFFIX: &str = ".checkpoint";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error ({context}): {source}")]
    Db {
        context: &'static str,
        source: rusqlite::Error,
    },
    #[error("PostgreSQL error ({context}): {source}")]
    Pg {
        context: &'static str,
        source: postgres::Error,
    },
    #[error("PostgreSQL: {0}")]
    PgGone(String),
    #[error("the database {place} has schema version {found}; this skytale understands version {expected}")]
    Schema {
        place: String,
        found: i64,
        expected: i64,
    },
    #[error("not a store location: {0:?} (give `sqlite` or a postgres:// URL)")]
    Location(String),
    #[error("election {0:?} already exists")]
    ElectionExists(String),
    #[error("election {0:?} does not exist")]
    NoSuchElection(String),
    #[error("append to {election:?} expected the log to have {expected} entries but it has {actual}: another node is sequencing this election (or this one is stale); this node stops sequencing")]
    Fenced {
        election: String,
        expected: u64,
        actual: u64,
    },
    #[error("append to {election:?} extends size {size} with a checkpoint the database's head does not have there: another node sequenced a log of that size with other entries; this node stops sequencing")]
    FencedCheckpoint { election: String, size: u64 },
    #[error("cannot start the WAL checkpointer thread: {source}")]
    Thread { source: std::io::Error },
    #[error("key file {path}: {source}")]
    KeyFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("kept checkpoint {path}: {source}")]
    KeptCheckpoint {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl StoreError {
    /// Whether the error is the fence refusing an append: another node moved the log first.
    pub fn is_fenced(&self) -> bool {
        matches!(
            self,
            StoreError::Fenced { .. } | StoreError::FencedCheckpoint { .. }
        )
    }
}

/// Where the store's database is (`--store`): SQLite in the data directory (the default), or
/// a PostgreSQL database by its URL (`postgres://user@host:port/db`, libpq's form; a schema
/// other than `public` with `?options=-csearch_path%3Dname`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Location {
    #[default]
    Sqlite,
    Postgres(String),
}

impl std::str::FromStr for Location {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Location, StoreError> {
        if s == "sqlite" {
            Ok(Location::Sqlite)
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(Location::Postgres(s.to_string()))
        } else {
            Err(StoreError::Location(s.to_string()))
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite => f.write_str("sqlite"),
            Location::Postgres(url) => f.write_str(url),
        }
    }
}

/// An election as listed by the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElectionRow {
    pub id: String,
    pub size: u64,
    pub created_at: String,
}

/// A submission held for review (plausibility), with its reasons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldRow {
    pub id: i64,
    pub note: Vec<u8>,
    /// JSON array of `{field, why}`.
    pub reasons: String,
    pub received_at: String,
    /// `held`, `released` or `rejected`.
    pub state: String,
}

/// What [`Store::hold`] did with a held submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hold {
    /// Stored under this id; `new` is false when the same note (by its SHA-256) was already
    /// held, in which case nothing was written and the id is the first one's.
    Held { id: i64, new: bool },
    /// Refused: the reporter key already has `pending` submissions waiting for review, the
    /// most [`MAX_HELD_PER_KEY`] allows. Nothing was written.
    TooMany { pending: u64 },
}

/// One submission to hold (see [`Store::hold_many`]).
#[derive(Clone, Copy, Debug)]
pub struct HoldRequest<'a> {
    pub note: &'a [u8],
    /// The key that signed it (its C2SP verifier key), counted against [`MAX_HELD_PER_KEY`].
    pub reporter: &'a str,
    /// JSON array of `{field, why}`.
    pub reasons_json: &'a str,
}

/// The log position an append extends: the log's size and the checkpoint it has there (as the
/// log signed it; see [`Store::head`]).
#[derive(Clone, Copy, Debug)]
pub struct Extends<'a> {
    pub size: u64,
    pub checkpoint: &'a [u8],
}

enum Backend {
    Sqlite(Box<sqlite::Sqlite>),
    Postgres(pg::Pg),
}

/// The store: the database of one [`Location`] and the data directory of this node (log key,
/// kept checkpoint).
pub struct Store {
    /// The kept-checkpoint files open for keeping, by election.
    kept: Mutex<std::collections::HashMap<String, kept::Slots>>,
    dir: PathBuf,
    backend: Backend,
}

impl Store {
    /// Opens (creating if needed) the SQLite store in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        Store::open_at(data_dir, &Location::Sqlite)
    }

    /// Opens (creating its tables if needed) the store at `location`, with `data_dir` for this
    /// node's log keys and kept checkpoints (and the SQLite file).
    pub fn open_at(data_dir: &Path, location: &Location) -> Result<Store, StoreError> {
        fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let backend = match location {
            Location::Sqlite => Backend::Sqlite(Box::new(sqlite::Sqlite::open(data_dir)?)),
            Location::Postgres(url) => Backend::Postgres(pg::Pg::open(url)?),
        };
        Ok(Store {
            kept: Mutex::new(std::collections::HashMap::new()),
            dir: data_dir.to_path_buf(),
            backend,
        })
    }

    /// `sqlite` or `postgres`, for logs and reports.
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Starts a thread that copies committed WAL frames into the database file every `every`,
    /// from a connection of its own, and raises the writer's automatic checkpoint to a mere
    /// bound. Why: SQLite checkpoints inside the commit that crosses 1,000 WAL pages, so under
    /// load one batch in a few paid for copying pages and an fsync of the database file (13 %
    /// of the sequencer's time at 200,000 stations), while submitters waited for their
    /// receipts. A passive checkpoint never blocks the writer, and durability does not depend
    /// on it (a commit is durable once its WAL frames are synced). The thread ends when the
    /// store is dropped. SQLite only: PostgreSQL checkpoints by itself, off the commit path.
    pub fn start_checkpointer(self: &Arc<Self>, every: Duration) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.start_checkpointer(every),
            Backend::Postgres(_) => Ok(()),
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    /// Creates an election with the entries that carry its definition (entry 0 and any parts)
    /// and its first checkpoint, atomically.
    pub fn create_election(
        &self,
        id: &str,
        created_at: &str,
        head: &[Vec<u8>],
        checkpoint: &[u8],
    ) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.create_election(id, created_at, head, checkpoint),
            Backend::Postgres(p) => p.create_election(id, created_at, head, checkpoint),
        }
    }

    pub fn elections(&self) -> Result<Vec<ElectionRow>, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.elections(),
            Backend::Postgres(p) => p.elections(),
        }
    }

    /// Number of entries of an election's log.
    pub fn size(&self, election: &str) -> Result<u64, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.size(election),
            Backend::Postgres(p) => p.head(election).map(|(size, _)| size),
        }
    }

    /// The head of an election's log as the fence knows it: its size and the checkpoint the
    /// last append wrote there, as the log signed it (without the cosignatures
    /// [`Store::attach_cosignatures`] adds). An append names it ([`Extends`]).
    pub fn head(&self, election: &str) -> Result<(u64, Vec<u8>), StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => Ok((
                s.size(election)?,
                s.latest_checkpoint(election)?.unwrap_or_default(),
            )),
            Backend::Postgres(p) => p.head(election),
        }
    }

    /// Entries `[start, end)` in order, read through a connection of their own that never
    /// waits for appends (the server reads the log's older entries here when serving).
    pub fn entries(
        &self,
        election: &str,
        start: u64,
        end: u64,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.entries(election, start, end),
            Backend::Postgres(p) => p.entries(election, start, end),
        }
    }

    /// Appends a batch and its checkpoint in one transaction, at the position `at` names: the
    /// fence. The write is refused ([`StoreError::Fenced`], [`StoreError::FencedCheckpoint`])
    /// unless the log has exactly `at.size` entries and, in the shared PostgreSQL database,
    /// its head is the checkpoint `at.checkpoint` (a compare-and-swap of the head row, so of
    /// two nodes that both extend one head exactly one succeeds, and a node that missed
    /// another's appends can never write after them). SQLite fences on the size alone: its
    /// file has one writer at a time and lives on one machine.
    pub fn append(
        &self,
        election: &str,
        at: Extends<'_>,
        entries: &[&[u8]],
        checkpoint: &[u8],
    ) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.append(election, at.size, entries, checkpoint),
            Backend::Postgres(p) => p.append(election, at, entries, checkpoint),
        }
    }

    /// Replaces the stored note of the checkpoint of `size` with the same checkpoint carrying
    /// witness cosignatures. The caller guarantees the text and log signature are unchanged
    /// (only signature lines are added); a size never checkpointed changes nothing.
    pub fn attach_cosignatures(
        &self,
        election: &str,
        size: u64,
        note: &[u8],
    ) -> Result<bool, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.attach_cosignatures(election, size, note),
            Backend::Postgres(p) => p.attach_cosignatures(election, size, note),
        }
    }

    /// The stored checkpoint of `election` at `size` (with any cosignatures attached).
    pub fn checkpoint_at(&self, election: &str, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.checkpoint_at(election, size),
            Backend::Postgres(p) => p.checkpoint_at(election, size),
        }
    }

    /// Whether the database is a standby (PostgreSQL in recovery: read-only, following a
    /// primary). A node following the log there takes over sequencing once it is promoted.
    /// SQLite never is.
    pub fn is_standby(&self) -> Result<bool, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(false),
            Backend::Postgres(p) => p.is_standby(),
        }
    }

    /// The latest signed checkpoint of an election.
    pub fn latest_checkpoint(&self, election: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.latest_checkpoint(election),
            Backend::Postgres(p) => p.latest_checkpoint(election),
        }
    }

    /// Stores a submission held for review, signed by `reporter` (the key that signed it), at
    /// most once per note: a note already held (the same bytes, by SHA-256) answers the first
    /// one's id and writes nothing, so posting a held note again and again (anyone who can read
    /// it can) adds no row. A new note of a reporter that already has [`MAX_HELD_PER_KEY`]
    /// waiting is refused ([`Hold::TooMany`]).
    pub fn hold(
        &self,
        election: &str,
        note: &[u8],
        reporter: &str,
        reasons_json: &str,
        received_at: &str,
    ) -> Result<Hold, StoreError> {
        let one = HoldRequest {
            note,
            reporter,
            reasons_json,
        };
        let mut out = self.hold_many(election, &[one], received_at)?;
        Ok(out.pop().unwrap_or(Hold::TooMany { pending: 0 }))
    }

    /// [`Store::hold`] for several submissions in one transaction (one fsync, not one per
    /// submission: the sequencer holds a batch's implausible submissions at once). Answers in
    /// the order given; a note given twice is held once.
    pub fn hold_many(
        &self,
        election: &str,
        requests: &[HoldRequest<'_>],
        received_at: &str,
    ) -> Result<Vec<Hold>, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.hold_many(election, requests, received_at),
            Backend::Postgres(p) => p.hold_many(election, requests, received_at),
        }
    }

    /// At most `limit` held submissions of `election` with an id above `after`, oldest first:
    /// a page, so a flood of held submissions is never read (nor the connection held) at once.
    /// Read through a connection of its own, never the writer's.
    pub fn held_page(
        &self,
        election: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<HeldRow>, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.held_page(election, after, limit),
            Backend::Postgres(p) => p.held_page(election, after, limit),
        }
    }

    /// Marks the held note whose SHA-256 is `note_hash` `released` (an official's review put
    /// it in the log) or `rejected`; it then no longer counts against its key's bound. A note
    /// not held (or held by another node's database) changes nothing.
    pub fn set_held_state(
        &self,
        election: &str,
        note_hash: &[u8; 32],
        state: &str,
    ) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.set_held_state(election, note_hash, state),
            Backend::Postgres(p) => p.set_held_state(election, note_hash, state),
        }
    }

    /// Every stored checkpoint of `election` as (size, note), smallest first (for `fsck`).
    pub fn checkpoints(&self, election: &str) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.checkpoints(election),
            Backend::Postgres(p) => p.checkpoints(election),
        }
    }

    fn key_path(&self, election: &str) -> PathBuf {
        self.dir.join("keys").join(format!("{election}.log.key"))
    }

    /// Saves the log's signing key (C2SP private key string) with mode 0600.
    pub fn save_log_key(&self, election: &str, skey: &str) -> Result<(), StoreError> {
        let path = self.key_path(election);
        let err = |source| StoreError::KeyFile {
            path: path.clone(),
            source,
        };
        if let Some(p) = path.parent() {
            fs::create_dir_all(p).map_err(err)?;
        }
        write_private(&path, skey.as_bytes()).map_err(err)
    }

    pub fn load_log_key(&self, election: &str) -> Result<String, StoreError> {
        let path = self.key_path(election);
        fs::read_to_string(&path).map_err(|source| StoreError::KeyFile { path, source })
    }

    /// Where the last checkpoint the log key of `election` signed is kept:
    /// `keys/<election>.checkpoint`, beside the key and outside the database, so losing or
    /// replacing the database cannot take it.
    pub fn kept_checkpoint_path(&self, election: &str) -> PathBuf {
        self.dir
            .join("keys")
            .join(format!("{election}{KEPT_SUFFIX}"))
    }

    /// Replaces the kept checkpoint of `election` durably: in the file's other slot, with one
    /// `fdatasync` (see the `kept` module), so after a crash the file holds the old checkpoint or the
    /// new one, whole. The caller (the sequencer) does this once per batch, after the batch is
    /// committed and before any receipt is sent.
    pub fn keep_checkpoint(&self, election: &str, note: &[u8]) -> Result<(), StoreError> {
        let path = self.kept_checkpoint_path(election);
        let err = |source| StoreError::KeptCheckpoint {
            path: path.clone(),
            source,
        };
        if note.len() > kept::MAX_NOTE {
            return Err(err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "a checkpoint of {} bytes, more than the {} a slot holds",
                    note.len(),
                    kept::MAX_NOTE
                ),
            )));
        }
        let mut open = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slots) = open.get_mut(election) {
            return slots.keep(note).map_err(err);
        }
        if let Some(mut slots) = kept::open(&path).map_err(err)? {
            slots.keep(note).map_err(err)?;
            open.insert(election.to_string(), slots);
            return Ok(());
        }
        let dir = path.parent().unwrap_or(&self.dir).to_path_buf();
        fs::create_dir_all(&dir).map_err(err)?;
        // A name of this process and call: the server's sequencer and a `skytale election
        // create` may keep checkpoints of different elections at once.
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let tmp = dir.join(format!(
            ".{election}{KEPT_SUFFIX}.{}.{}.tmp",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let slots = kept::create(&path, &tmp, note).map_err(err)?;
        open.insert(election.to_string(), slots);
        Ok(())
    }

    /// The kept checkpoint of `election`, `None` if none was ever kept (an election created
    /// before checkpoints were kept, or a creation interrupted before its first one). A file
    /// with no whole slot is an error: what was kept cannot be known.
    pub fn kept_checkpoint(&self, election: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.kept_checkpoint_path(election);
        match fs::read(&path) {
            Ok(b) => match kept::parse(&b) {
                Some((_, note)) => Ok(Some(note)),
                None => Err(StoreError::KeptCheckpoint {
                    path,
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "neither slot holds a whole checkpoint",
                    ),
                }),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::KeptCheckpoint { path, source }),
        }
    }

    /// Every election with a kept checkpoint, whether or not the database knows it: the
    /// elections whose log key has signed something.
    pub fn kept_elections(&self) -> Result<Vec<String>, StoreError> {
        let dir = self.dir.join("keys");
        let read = match fs::read_dir(&dir) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(StoreError::KeptCheckpoint { path: dir, source }),
        };
        let mut out = Vec::new();
        for entry in read {
            let entry = entry.map_err(|source| StoreError::KeptCheckpoint {
                path: dir.clone(),
                source,
            })?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(id) = name.strip_suffix(KEPT_SUFFIX) {
                if !id.starts_with('.') {
                    out.push(id.to_string());
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// Writes a file readable only by its owner (0600), creating it anew.
pub fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(data)?;
    f.sync_all()
}
