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
//! **Staging during an embargo.** Under `approval` the publisher also keeps the tally of every
//! accepted statement, published or not ([`Publisher::share_staged`]). The site thread renders
//! its pages privately as results arrive, so that at the go-ahead it only renders what differs
//! between that staged tally and the approved one (usually the overview, the verification page
//! and the feed) and swaps the public site in whole: the lift costs milliseconds, not a whole
//! site's render. Nothing staged is served: it lives in the site thread until a publication
//! covers it.
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

use crate::changes::ChangeLog;
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
    /// A renderer asks for a handle on the staged tally (`None` outside `approval` mode).
    ShareStaged(flume::Sender<Option<Shared>>),
}

/// How many snapshots were published, and how often the staged tally moved, since start-up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Generations {
    pub published: u64,
    pub staged: u64,
}

/// Every accepted results statement, published or not (`approval` mode only): what the site
/// thread renders privately during an embargo.
struct Staged {
    tally: Arc<Tally>,
    /// Accepted since the last [`Input::ShareStaged`], not yet folded into `tally`: folding
    /// on request copies the tally at most once per render, not once per batch.
    pending: Vec<Statement>,
    /// The log size just after the last statement pushed.
    head: u64,
}

/// An election's publisher: the current snapshot and the way into the publisher thread.
pub struct Publisher {
    current: ArcSwap<Snapshot>,
    inbox: flume::Sender<Input>,
    /// What moved since start-up, with a condition the site thread waits on.
    generations: std::sync::Mutex<Generations>,
    changed: std::sync::Condvar,
    /// Every results and CVR statement of the log by index: the change feed's index.
    changes: ChangeLog,
    /// The tree size of the snapshot served now, for readers that wait on it (long polls).
    served: tokio::sync::watch::Sender<u64>,
}

impl Publisher {
    /// Starts the publisher of election `id` with the tally a start-up replay folded, at
    /// `pos`, and the log's publications. `waiting` tells whether submissions are queued for
    /// the sequencer (a render is then postponed, up to [`RENDER_INTERVAL`]). `staging` (the
    /// `approval` mode) keeps the staged tally too, starting from the statements `folded`
    /// holds sealed, which end at log size `head`.
    pub fn start(
        id: &str,
        folded: PublishedTally,
        pos: LogPosition,
        publications: Arc<Vec<Publication>>,
        staging: Option<u64>,
        changes: ChangeLog,
        waiting: impl Fn() -> bool + Send + 'static,
    ) -> std::io::Result<Arc<Publisher>> {
        let history = Arc::new(PublicationRecord::history(
            &publications,
            pos.tree_size,
            folded.previous(),
        ));
        let first = Snapshot::new(id, folded.tally(), pos.clone(), history.clone());
        let staged = staging.map(|head| Staged {
            tally: folded.shared(),
            pending: folded.sealed().cloned().collect(),
            head,
        });
        let (inbox, rx) = flume::unbounded();
        let publisher = Arc::new(Publisher {
            current: ArcSwap::from_pointee(first),
            inbox,
            generations: std::sync::Mutex::new(Generations {
                published: 0,
                staged: u64::from(staged.as_ref().is_some_and(|s| !s.pending.is_empty())),
            }),
            changed: std::sync::Condvar::new(),
            changes,
            served: tokio::sync::watch::Sender::new(pos.tree_size),
        });
        let thread = PublisherThread {
            id: id.to_string(),
            publisher: Arc::downgrade(&publisher),
            folded,
            pos,
            history,
            publications,
            staged,
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

    /// [`Publisher::share`] for an async caller: the same handle, without blocking a thread.
    pub async fn share_async(&self) -> Option<Shared> {
        let (tx, rx) = flume::bounded(1);
        self.inbox.send(Input::Share(tx)).ok()?;
        rx.recv_async().await.ok()
    }

    /// The change feed's index of the log's results and CVR statements.
    pub fn changes(&self) -> &ChangeLog {
        &self.changes
    }

    /// The tree size of the snapshot served now, changing when a new one is.
    pub fn served(&self) -> tokio::sync::watch::Receiver<u64> {
        self.served.subscribe()
    }

    /// A handle on the staged tally: every accepted results statement, published or not, at
    /// the log size after the last of them, with the history the next publication will have
    /// (so the change column of a staged page is the one the public will see). Private to the
    /// site thread; `None` outside `approval` mode.
    pub fn share_staged(&self) -> Option<Shared> {
        let (tx, rx) = flume::bounded(1);
        self.inbox.send(Input::ShareStaged(tx)).ok()?;
        rx.recv().ok().flatten()
    }

    /// How many snapshots were published, and how often the staged tally moved.
    pub fn generations(&self) -> Generations {
        *self.generations.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many snapshots have been published since start-up.
    pub fn generation(&self) -> u64 {
        self.generations().published
    }

    /// Waits until a snapshot after `seen` is published, or the staged tally moved past it
    /// (only when `staged` is asked for), or `timeout`; returns the generations then.
    pub fn wait_newer(&self, seen: Generations, staged: bool, timeout: Duration) -> Generations {
        let g = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        let (g, _) = self
            .changed
            .wait_timeout_while(g, timeout, |g| {
                g.published <= seen.published && (!staged || g.staged <= seen.staged)
            })
            .unwrap_or_else(|p| p.into_inner());
        *g
    }

    fn bump(&self, f: impl FnOnce(&mut Generations)) {
        f(&mut self.generations.lock().unwrap_or_else(|p| p.into_inner()));
        self.changed.notify_all();
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
    staged: Option<Staged>,
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
                let mut staged_moved = false;
                let publisher = self.publisher.upgrade();
                let def = self.folded.tally().definition().clone();
                for (index, st) in c.statements {
                    if let Some(p) = &publisher {
                        p.changes.record(&def, index, &st);
                    }
                    if let Some(staged) = &mut self.staged {
                        if matches!(
                            st,
                            Statement::Results(_)
                                | Statement::Cvr(_)
                                | Statement::Status(_)
                                | Statement::Review(_)
                        ) {
                            staged.pending.push(st.clone());
                            staged.head = index + 1;
                            staged_moved = true;
                        }
                    }
                    self.folded.push(index, st);
                }
                if staged_moved {
                    if let Some(p) = self.publisher.upgrade() {
                        p.bump(|g| g.staged += 1);
                    }
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
            Input::ShareStaged(reply) => {
                let _ = reply.send(self.staged_handle());
            }
        }
    }

    fn staged_handle(&mut self) -> Option<Shared> {
        let staged = self.staged.as_mut()?;
        if !staged.pending.is_empty() {
            let tally = Arc::make_mut(&mut staged.tally);
            for st in staged.pending.drain(..) {
                tally.apply_statement(&st);
            }
        }
        // The next publication's history: its change column compares with the totals now
        // published when that size is a publication (as `PublishedTally::advance` will keep).
        let published = self.folded.size();
        let now_published = self
            .publications
            .binary_search_by_key(&published, |p| p.tree_size)
            .is_ok();
        let totals = now_published.then(|| self.folded.tally().selection_totals());
        let previous = totals.as_ref().or(self.folded.previous());
        let history = PublicationRecord::history(&self.publications, staged.head, previous);
        Some(Shared {
            tally: staged.tally.clone(),
            pos: LogPosition {
                tree_size: staged.head,
                root_hash: String::new(),
                published_at: None,
            },
            history: Arc::new(history),
        })
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
        publisher.bump(|g| g.published += 1);
        publisher.served.send_replace(self.pos.tree_size);
        crate::metrics::published(&self.id, self.render_cost);
        tracing::debug!(election = %self.id, tree_size = self.pos.tree_size, ms = self.render_cost.as_secs_f64() * 1e3, "snapshot published");
    }
}
