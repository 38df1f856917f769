//! skytale-server: the HTTP adapter (floor 5): ingest API, results feeds, log tiles.
//!
//! Each election on the instance has an [`runtime::ElectionRuntime`]: its log replayed from the
//! store at start-up (every entry re-checked, the stored checkpoint compared with the
//! recomputed root), a sequencer thread that batches submissions, a [`publisher`] that owns
//! the published snapshots, and the [`site`] rendered from them.
//!
//! **Architecture invariants:** handlers never change state themselves; every write goes
//! through the election's sequencer, and no receipt is sent before its batch is durable.
//! Every public artefact is read from one immutable snapshot and names it (the
//! `Skytale-Snapshot` header); nothing beyond the published size is served to the public.

pub mod api;
pub mod approvals;
pub mod auth;
pub mod batch;
pub mod changes;
pub mod console;
pub mod edge;
pub mod entries;
#[cfg(feature = "fault-injection")]
pub mod faults;
pub mod headers;
pub mod limits;
pub mod metrics;
pub mod publisher;
pub mod push;
pub mod runtime;
pub mod sealed;
pub mod site;
pub mod witnessing;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use skytale_model::Ledger;
use skytale_note::SigningKey;
use skytale_store::{Location, Store};
use skytale_tlog::Tree;

pub use limits::{Limits, Rate};
pub use runtime::{ElectionRuntime, Outcome, Receipt, SubmitError};

/// How often the server's WAL checkpointer runs (see [`Store::start_checkpointer`]).
const WAL_CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Shared state of the server: the store and the loaded elections.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    /// The sequencer's base URL when this node follows it ([`AppState::open_as`]).
    pub(crate) sequencer: Option<Arc<str>>,
    elections: Arc<RwLock<BTreeMap<String, Arc<ElectionRuntime>>>>,
    /// Officials' challenges and sessions, per election (in memory: a restart signs out).
    pub(crate) auth: Arc<auth::Auth>,
    /// The budgets of the HTTP edge (rate limits, the submission queue, connection settings).
    pub(crate) gate: Arc<limits::Gate>,
    /// Webhooks and the fediverse: subscriptions, events and deliveries (see [`push`]).
    pub push: Arc<push::Push>,
    /// The pages rendered on demand, kept within [`Limits::page_cache`] bytes.
    pub pages: Arc<site::PageCache>,
    /// Forged artefacts for the verifier's tests (see [`faults`]).
    #[cfg(feature = "fault-injection")]
    pub faults: faults::Faults,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Store(#[from] skytale_store::StoreError),
    #[error(transparent)]
    Load(#[from] runtime::LoadError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    Push(#[from] push::PushError),
}

impl AppState {
    /// Opens the SQLite store in `data_dir` and loads (replays) every election in it.
    pub fn open(data_dir: &Path) -> Result<AppState, ServerError> {
        AppState::open_at(data_dir, &Location::Sqlite)
    }

    /// Opens the store at `location` (`data_dir` holding this node's log keys and kept
    /// checkpoints) and loads (replays) every election in it. With a shared database, this
    /// node becomes the sequencer of its elections; the store's fence stops any other node
    /// that still tries to append (and this one, should another take over).
    pub fn open_at(data_dir: &Path, location: &Location) -> Result<AppState, ServerError> {
        AppState::open_as(data_dir, location, None)
    }

    /// [`AppState::open_at`], as a node that follows the sequencer at `sequencer` (its base
    /// URL) when given: it loads the elections from the shared database (best the standby of
    /// its own data centre), folds in what the sequencer appends, serves reads, sends
    /// submissions to the sequencer with `307`, and takes over when its standby is promoted
    /// (see [`runtime::Role::Follow`]).
    pub fn open_as(
        data_dir: &Path,
        location: &Location,
        sequencer: Option<String>,
    ) -> Result<AppState, ServerError> {
        metrics::install();
        let store = Arc::new(Store::open_at(data_dir, location)?);
        // The sequencer commits; another thread copies the WAL into the database file.
        store.start_checkpointer(WAL_CHECKPOINT_EVERY)?;
        let state = AppState {
            store,
            sequencer: sequencer.map(|s| Arc::from(s.trim_end_matches('/'))),
            elections: Arc::new(RwLock::new(BTreeMap::new())),
            auth: Arc::new(auth::Auth::new()),
            gate: Arc::new(limits::Gate::new(Limits::default())),
            push: Arc::new(push::Push::open(data_dir, push::PushSettings::default())?),
            pages: Arc::new(site::PageCache::new(Limits::default().page_cache)),
            #[cfg(feature = "fault-injection")]
            faults: faults::Faults::default(),
        };
        state.load_new()?;
        state.refuse_lost()?;
        Ok(state)
    }

    /// Refuses to serve when the log key of an election has signed checkpoints (one is kept
    /// beside the key) but the database does not know the election: it was deleted or
    /// replaced, and serving would show an empty server where a log was.
    fn refuse_lost(&self) -> Result<(), ServerError> {
        for id in self.store.kept_elections()? {
            if self.election(&id).is_none() {
                return Err(lost(&self.store, &id)?.into());
            }
        }
        Ok(())
    }

    /// The same state with other sign-in tables (tests give it a clock they move).
    pub fn with_auth(mut self, auth: auth::Auth) -> AppState {
        self.auth = Arc::new(auth);
        self
    }

    /// The same state with other settings for pushed updates (`skytale serve`'s public URL;
    /// tests shorten the backoff and allow loopback receivers). Opens the push database again.
    pub fn with_push(mut self, settings: push::PushSettings) -> Result<AppState, ServerError> {
        self.push = Arc::new(push::Push::open(self.store.data_dir(), settings)?);
        Ok(self)
    }

    /// The same state with other budgets for the HTTP edge (`skytale serve`'s settings).
    pub fn with_limits(mut self, limits: Limits) -> AppState {
        self.pages = Arc::new(site::PageCache::new(limits.page_cache));
        self.gate = Arc::new(limits::Gate::new(limits));
        self
    }

    /// Loads elections created in the store since the last call (e.g. by `skytale election
    /// create` while the server runs). Returns how many were loaded.
    pub fn load_new(&self) -> Result<usize, ServerError> {
        let rows = self.store.elections()?;
        let mut n = 0;
        for row in rows {
            if self.election(&row.id).is_some() {
                continue;
            }
            let role = match self.sequencer {
                Some(_) => runtime::Role::Follow,
                None => runtime::Role::Sequence,
            };
            let rt = ElectionRuntime::load_as(self.store.clone(), &row.id, role)?;
            tracing::info!(election = %row.id, size = row.size, "election loaded");
            self.elections
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(row.id, rt);
            n += 1;
        }
        Ok(n)
    }

    pub fn election(&self, id: &str) -> Option<Arc<ElectionRuntime>> {
        self.elections
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    pub fn all(&self) -> Vec<Arc<ElectionRuntime>> {
        self.elections
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }
}

/// Why an election could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error(transparent)]
    Genesis(#[from] skytale_model::GenesisError),
    #[error(transparent)]
    Store(#[from] skytale_store::StoreError),
    #[error("cannot make the log key for origin {origin:?}: {why}")]
    LogKey { origin: String, why: String },
    #[error("definition entry {index} is {size} bytes, but a C2SP tlog-tiles entry can hold at most {max} (sign the definition with `skytale_model::sign_definition`, which splits a large one into parts)")]
    TooLarge {
        index: usize,
        size: usize,
        max: usize,
    },
    #[error("the log head has {given} entries but its definition takes {used}; results cannot be part of a new log")]
    ExtraEntries { given: usize, used: u64 },
    #[error("the definition's witnesses: {0}")]
    Witness(String),
    #[error(transparent)]
    Lost(#[from] runtime::LoadError),
}

/// Starts a new election log in the store from the signed entries that carry its definition
/// (entry 0, and its parts when large; see `skytale_model::genesis`): checks them, generates
/// the log's signing key (named after the log origin, as C2SP checkpoints require) and writes
/// them with the first checkpoint. Returns the election id and the log's verifier key.
pub fn create_election(
    store: &Store,
    head: &[Vec<u8>],
) -> Result<(String, skytale_note::VerifierKey), CreateError> {
    // An entry that cannot be served as a tile could never be verified: refuse it.
    let max = skytale_tlog::tiles::MAX_ENTRY_SIZE;
    if let Some((index, e)) = head.iter().enumerate().find(|(_, e)| e.len() > max) {
        return Err(CreateError::TooLarge {
            index,
            size: e.len(),
            max,
        });
    }
    let ledger = Ledger::genesis(head, None)?;
    if ledger.genesis_size() != head.len() as u64 {
        return Err(CreateError::ExtraEntries {
            given: head.len(),
            used: ledger.genesis_size(),
        });
    }
    let def = ledger.definition().definition();
    if let Some(w) = &def.witnesses {
        witnessing::endpoints(w).map_err(CreateError::Witness)?;
    }
    let origin = def.origin();
    let signer = SigningKey::generate(&origin).map_err(|e| CreateError::LogKey {
        origin: origin.clone(),
        why: e.to_string(),
    })?;
    let mut tree = Tree::new();
    for e in head {
        tree.push_entry(e);
    }
    let checkpoint =
        runtime::sign_checkpoint(&signer, &origin, &tree).map_err(|e| CreateError::LogKey {
            origin: origin.clone(),
            why: format!("cannot sign the first checkpoint: {e}"),
        })?;
    // An election the database lost is not created again over its signed checkpoints.
    if store.kept_checkpoint(&def.id)?.is_some()
        && !store.elections()?.iter().any(|e| e.id == def.id)
    {
        return Err(lost(store, &def.id)?.into());
    }
    // Key first: a crash between the two leaves an unused key file, never a log without key.
    if store.load_log_key(&def.id).is_err() {
        store.save_log_key(&def.id, &signer.to_skey_string())?;
    } else {
        return Err(CreateError::Store(
            skytale_store::StoreError::ElectionExists(def.id.clone()),
        ));
    }
    store.create_election(&def.id, &runtime::now_rfc3339(), head, &checkpoint)?;
    // Then the first checkpoint, kept beside the key (a crash before it is made good at the
    // next start, which keeps the stored one).
    store.keep_checkpoint(&def.id, &checkpoint)?;
    Ok((def.id.clone(), signer.verifier()))
}

/// The refusal for election `id`, whose checkpoint is kept but which the database lacks.
fn lost(store: &Store, id: &str) -> Result<runtime::LoadError, skytale_store::StoreError> {
    let kept = store.kept_checkpoint(id)?.unwrap_or_default();
    Ok(runtime::LoadError::Lost {
        election: id.to_string(),
        kept_size: runtime::kept_size(&kept),
        kept: store.kept_checkpoint_path(id).display().to_string(),
    })
}

/// Runs the server until `shutdown` resolves, then drains open requests (within the state's
/// [`Limits::drain_timeout`]; see [`edge`]).
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    // Pick up elections created by other processes (the CLI writes to the same store).
    let watcher_state = state.clone();
    let watcher = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let s = watcher_state.clone();
            match tokio::task::spawn_blocking(move || s.load_new()).await {
                Ok(Err(e)) => tracing::error!(error = %e, "loading new elections failed"),
                Err(e) => tracing::error!(error = %e, "election watcher panicked"),
                Ok(Ok(_)) => {}
            }
        }
    });
    let pushing = push::start(&state);
    let app = api::router(state.clone()).merge(
        axum::Router::new()
            .route("/metrics", axum::routing::get(metrics::serve))
            .with_state(state.clone()),
    );
    #[cfg(feature = "fault-injection")]
    let app = app.layer(axum::middleware::from_fn_with_state(
        state.faults.clone(),
        faults::forge,
    ));
    let app = app
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::per_address,
        ))
        .layer(axum::middleware::from_fn(headers::middleware))
        .layer(axum::middleware::from_fn(metrics::middleware))
        // Server errors are logged summarised by `metrics`, not once per response.
        .layer(tower_http::trace::TraceLayer::new_for_http().on_failure(()));
    let result = edge::run(listener, app, state.gate.clone(), shutdown)
        .await
        .map_err(ServerError::Serve);
    watcher.abort();
    for task in pushing {
        task.abort();
    }
    result
}

/// Binds `addr` (use port 0 for a free port).
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, ServerError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Listen { addr, source })
}
