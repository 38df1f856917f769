//! The publisher: the one owner of what the public sees of an election.
//!
//! What the public sees is a sequence of immutable [`Snapshot`]s. One snapshot is one
//! published tree size and its root ([`LogPosition`]), the publication history at that size,
//! and the artefacts made from the tally there. Readers take the current snapshot with one
//! atomic load ([`Publisher::current`]) and keep it as long as they need: a response is made
//! from one snapshot and names it ([`Snapshot::header`], the `Skytale-Snapshot` response
//! header), never from two.
//!
//! The publisher thread owns the published tally ([`PublishedTally`], the fold the verifier
//! runs too). The sequencer hands it each committed batch ([`Publisher::committed`]) and goes
//! back to receipts; the publisher folds what the election's publication policy has made public
//! (everything at once under `automatic`; up to the approved size under `approval`, so the
//! statements of an embargo wait here unseen), renders the whole results document, and swaps
//! the new snapshot in. The site thread ([`crate::site`]) renders the pages of a snapshot
//! from an immutable handle on the same tally ([`Publisher::share`]) and publishes them as a
//! snapshot of its own, which also names its position: pages may lag the results document,
//! never mix two positions.
//!
//! When to render, so that a busy night spends its CPU on receipts: at once when the tally
//! changed and the last render is at least [`RENDER_GAP`] ago; while submissions wait for the
//! sequencer, no more often than every [`RENDER_INTERVAL`], but never later, which bounds
//! accept-to-visible latency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use axum::http::HeaderValue;
use skytale_model::{encode_hash, Publication, Statement};
use skytale_render::PublicationRecord;
use skytale_tally::{LogPosition, PublishedTally, Tally};
use skytale_tlog::Hash;

use crate::site::SiteFile;

/// Longest the results document stays stale while submissions keep arriving (bounds
/// accept-to-visible latency under load).
pub const RENDER_INTERVAL: Duration = Duration::from_millis(200);
/// Shortest time between two renders. Under load from many connections the tally changes after
/// almost every batch; rendering (and compressing) a national election's document each time
/// cost a quarter of a core. A lone submission after a quiet spell is still rendered at once.
pub const RENDER_GAP: Duration = Duration::from_millis(100);
/// Longest nap while a render is postponed because submissions are waiting.
const POSTPONED_NAP: Duration = Duration::from_millis(5);
/// How often an idle publisher looks whether its election is gone.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// The response header that names the snapshot an artefact belongs to: `<tree size> <root>`
/// (the root in base64, as in checkpoints and results documents).
pub const SNAPSHOT_HEADER: &str = "skytale-snapshot";

/// The header value naming `pos`.
pub fn snapshot_header(pos: &LogPosition) -> HeaderValue {
    HeaderValue::from_str(&format!("{} {}", pos.tree_size, pos.root_hash))
        .unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// One published state of an election, immutable.
pub struct Snapshot {
    pub pos: LogPosition,
    /// The publications up to `pos` as the site shows them (feed entries, and the totals of the
    /// one before `pos` for the change column), built by [`PublicationRecord::history`] as
    /// `skytale verify` builds it.
    pub history: Arc<Vec<PublicationRecord>>,
    /// The whole results document at `pos` (JSON, gzip precompressed, ETag): what every live
    /// page and media poller reads, rendered once per snapshot.
    pub results: Arc<SiteFile>,
    /// [`SNAPSHOT_HEADER`]'s value for `pos`.
    pub header: HeaderValue,
}

impl Snapshot {
    fn new(
        election: &str,
        tally: &Tally,
        pos: LogPosition,
        history: Arc<Vec<PublicationRecord>>,
    ) -> Snapshot {
        let results = results_file(election, tally.document(&pos).to_bytes());
        Snapshot {
            header: snapshot_header(&pos),
            pos,
            history,
            results,
        }
    }
}

/// The whole results document as a servable file (JSON, short cache, gzip precompressed).
fn results_file(election: &str, body: Vec<u8>) -> Arc<SiteFile> {
    let gzip = skytale_render::gzip(&body);
    let r = skytale_render::Rendered {
        gzip: Some(gzip),
        ..skytale_render::Rendered::new("application/json", body, skytale_render::CacheClass::Short)
    };
    Arc::new(SiteFile::new(
        &format!("/api/v1/elections/{election}/results"),
        r,
    ))
}

/// An immutable handle on the published tally at one position, for a renderer.
#[derive(Clone)]
pub struct Shared {
    pub tally: Arc<Tally>,
    pub pos: LogPosition,
    pub history: Arc<Vec<PublicationRecord>>,
}

/// What the sequencer hands over after a committed batch.
pub struct Committed {
    /// The accepted statements of the batch with their log indexes, in log order.
    pub statements: Vec<(u64, Statement)>,
    /// The log's publications, when the batch added one (`approval` mode).
    pub publications: Option<Arc<Vec<Publication>>>,
    /// The published size after the batch, its root and publication time, when it grew.
    pub published: Option<(u64, Hash, Option<String>)>,
}

enum Input {
    Committed(Committed),
    /// A renderer asks for a handle on the tally as published now.
    Share(flume::Sender<Shared>),
}

/// An election's publisher: the current snapshot and the way into the publisher thread.
pub struct Publisher {
    current: ArcSwap<Snapshot>,
    inbox: flume::Sender<Input>,
    /// How many snapshots were published, with a condition the site thread waits on.
    generation: std::sync::Mutex<u64>,
    changed: std::sync::Condvar,
}

impl Publisher {
    /// Starts the publisher of election `id` with the tally a start-up replay folded, at
    /// `pos`, and the log's publications. `waiting` tells whether submissions are queued for
    /// the sequencer (a render is then postponed, up to [`RENDER_INTERVAL`]).
    pub fn start(
        id: &str,
        folded: PublishedTally,
        pos: LogPosition,
        publications: Arc<Vec<Publication>>,
        waiting: impl Fn() -> bool + Send + 'static,
    ) -> std::io::Result<Arc<Publisher>> {
        let history = Arc::new(PublicationRecord::history(
            &publications,
            pos.tree_size,
            folded.previous(),
        ));
        let first = Snapshot::new(id, folded.tally(), pos.clone(), history.clone());
        let (inbox, rx) = flume::unbounded();
        let publisher = Arc::new(Publisher {
            current: ArcSwap::from_pointee(first),
            inbox,
            generation: std::sync::Mutex::new(0),
            changed: std::sync::Condvar::new(),
        });
        let thread = PublisherThread {
            id: id.to_string(),
            publisher: Arc::downgrade(&publisher),
            folded,
            pos,
            history,
            publications,
            dirty_since: None,
            rendered_at: None,
            render_cost: Duration::ZERO,
        };
        std::thread::Builder::new()
            .name(format!("publisher-{id}"))
            .spawn(move || thread.run(rx, waiting))?;
        Ok(publisher)
    }

    /// The current snapshot.
    pub fn current(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Hands a committed batch to the publisher thread (never blocks).
    pub fn committed(&self, c: Committed) {
        let _ = self.inbox.send(Input::Committed(c));
    }

    /// A handle on the tally as published now, with its position and history. Costs nothing
    /// now; the publisher copies the tally at its next fold if the handle is still held then.
    pub fn share(&self) -> Option<Shared> {
        let (tx, rx) = flume::bounded(1);
        self.inbox.send(Input::Share(tx)).ok()?;
        rx.recv().ok()
    }

    /// How many snapshots have been published since start-up.
    pub fn generation(&self) -> u64 {
        *self.generation.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until a snapshot after generation `seen` is published, or `timeout`; returns the
    /// generation then.
    pub fn wait_newer(&self, seen: u64, timeout: Duration) -> u64 {
        let g = self.generation.lock().unwrap_or_else(|p| p.into_inner());
        let (g, _) = self
            .changed
            .wait_timeout_while(g, timeout, |g| *g <= seen)
            .unwrap_or_else(|p| p.into_inner());
        *g
    }
}

struct PublisherThread {
    id: String,
    publisher: std::sync::Weak<Publisher>,
    folded: PublishedTally,
    /// Position and history of the tally as folded (rendered or not).
    pos: LogPosition,
    history: Arc<Vec<PublicationRecord>>,
    publications: Arc<Vec<Publication>>,
    /// When the folded tally first moved past the current snapshot.
    dirty_since: Option<Instant>,
    rendered_at: Option<Instant>,
    render_cost: Duration,
}

impl PublisherThread {
    fn run(mut self, rx: flume::Receiver<Input>, waiting: impl Fn() -> bool) {
        loop {
            let timeout = match self.dirty_since {
                None => IDLE_CHECK,
                Some(dirty) => {
                    let due = self.due(dirty, waiting());
                    due.saturating_duration_since(Instant::now())
                }
            };
            match rx.recv_timeout(timeout) {
                Ok(input) => self.take(input),
                Err(flume::RecvTimeoutError::Timeout) => {}
                Err(flume::RecvTimeoutError::Disconnected) => return,
            }
            // Everything already queued goes into this render.
            while let Ok(input) = rx.try_recv() {
                self.take(input);
            }
            let Some(publisher) = self.publisher.upgrade() else {
                return;
            };
            if let Some(dirty) = self.dirty_since {
                if Instant::now() >= self.due(dirty, waiting()) {
                    self.render(&publisher);
                }
            }
        }
    }

    /// When a stale snapshot is to be replaced: not sooner than the gap after the last render,
    /// and while submitters wait for receipts, up to the interval after it went stale.
    fn due(&self, dirty: Instant, submissions_waiting: bool) -> Instant {
        let gap = RENDER_GAP.max(self.render_cost * 4);
        let interval = RENDER_INTERVAL.max(self.render_cost * 4);
        let earliest = match self.rendered_at {
            Some(end) => dirty.max(end + gap),
            None => dirty,
        };
        if submissions_waiting {
            let latest = dirty + interval;
            // Look again soon: the queue may drain before the interval is over.
            earliest.max(latest.min(Instant::now() + POSTPONED_NAP))
        } else {
            earliest
        }
    }

    fn take(&mut self, input: Input) {
        match input {
            Input::Committed(c) => {
                for (index, st) in c.statements {
                    self.folded.push(index, st);
                }
                if let Some(p) = c.publications {
                    self.publications = p;
                }
                if let Some((size, root, time)) = c.published {
                    if self.folded.advance(&self.publications, size) {
                        self.pos = LogPosition {
                            tree_size: size,
                            root_hash: encode_hash(&root),
                            published_at: time,
                        };
                        self.history = Arc::new(PublicationRecord::history(
                            &self.publications,
                            size,
                            self.folded.previous(),
                        ));
                        self.dirty_since.get_or_insert_with(Instant::now);
                    }
                }
            }
            Input::Share(reply) => {
                let _ = reply.send(Shared {
                    tally: self.folded.shared(),
                    pos: self.pos.clone(),
                    history: self.history.clone(),
                });
            }
        }
    }

    fn render(&mut self, publisher: &Publisher) {
        let t0 = Instant::now();
        self.dirty_since = None;
        let snapshot = Snapshot::new(
            &self.id,
            self.folded.tally(),
            self.pos.clone(),
            self.history.clone(),
        );
        publisher.current.store(Arc::new(snapshot));
        self.render_cost = t0.elapsed();
        self.rendered_at = Some(Instant::now());
        *publisher
            .generation
            .lock()
            .unwrap_or_else(|p| p.into_inner()) += 1;
        publisher.changed.notify_all();
        crate::metrics::published(&self.id, self.render_cost);
        tracing::debug!(election = %self.id, tree_size = self.pos.tree_size, ms = self.render_cost.as_secs_f64() * 1e3, "snapshot published");
    }
}
