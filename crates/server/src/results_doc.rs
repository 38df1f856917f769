//! The thread that renders an election's whole results document (`/api/v1/elections/<id>/results`,
//! what every live page and media poller reads) after the sequencer has folded publications.
//!
//! Why a thread of its own: rendering and compressing a national election's document takes
//! milliseconds (≈ 340 KB at 200,000 polling stations). Done on the sequencer's thread, every
//! render held up the batch behind it, and with it every submitter waiting for a receipt. The
//! sequencer now only marks the document stale ([`RenderSignal::mark_dirty`]); this thread
//! decides when to render, with the same schedule as before:
//! - at once when it is stale and the last render is at least [`RENDER_GAP`] ago;
//! - while submissions are waiting for the sequencer, no more often than every
//!   [`RENDER_INTERVAL`] (so a busy night spends its CPU on receipts), but never later: that
//!   bounds accept-to-visible.

use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::runtime::{whole_file, ElectionRuntime, PublicationEvent};

/// Longest the document stays stale while submissions keep arriving (bounds accept-to-visible
/// latency under load).
pub const RENDER_INTERVAL: Duration = Duration::from_millis(200);
/// Shortest time between two renders. Under load from many connections the tally changes
/// after almost every batch; rendering (and compressing) a national election's document each
/// time cost a quarter of a core. A lone submission after a quiet spell is still rendered at
/// once.
pub const RENDER_GAP: Duration = Duration::from_millis(100);

/// Longest nap while a render is postponed because submissions are waiting.
const POSTPONED_NAP: Duration = Duration::from_millis(5);

/// Shared between the sequencer (which marks the document stale) and the results thread.
#[derive(Default)]
pub struct RenderSignal {
    /// When the published tally first changed since the last render began.
    dirty_since: Mutex<Option<Instant>>,
    wake: Condvar,
}

impl RenderSignal {
    /// The published tally changed: the document is stale from now (or from earlier).
    pub fn mark_dirty(&self) {
        let mut d = self.dirty_since.lock().unwrap_or_else(|p| p.into_inner());
        if d.is_none() {
            *d = Some(Instant::now());
            self.wake.notify_one();
        }
    }

    /// Waits until the document is stale; returns since when. `None` when `stop` says so.
    fn wait_dirty(&self, stop: &dyn Fn() -> bool) -> Option<Instant> {
        let mut d = self.dirty_since.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(t) = *d {
                return Some(t);
            }
            if stop() {
                return None;
            }
            // Timed, so that a dropped runtime ends the thread.
            d = self
                .wake
                .wait_timeout(d, Duration::from_secs(1))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Clears the stale mark just before a render reads the tally: a fold after this point
    /// marks it again, so nothing folded is ever left unrendered.
    fn take(&self) {
        *self.dirty_since.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// Starts the results thread of `rt`. It holds the runtime weakly and ends when it is dropped.
pub fn start(rt: &Arc<ElectionRuntime>) -> std::io::Result<()> {
    let weak = Arc::downgrade(rt);
    std::thread::Builder::new()
        .name(format!("results-{}", rt.id))
        .spawn(move || ResultsThread::default().run(weak))?;
    Ok(())
}

#[derive(Default)]
struct ResultsThread {
    /// How long the last render took, and when it ended.
    render_cost: Duration,
    rendered_at: Option<Instant>,
}

impl ResultsThread {
    fn run(mut self, weak: Weak<ElectionRuntime>) {
        loop {
            let Some(rt) = weak.upgrade() else { return };
            let stop = || weak.strong_count() <= 1;
            let Some(dirty) = rt.render.wait_dirty(&stop) else {
                return;
            };
            // Not sooner than the gap after the last render…
            if let Some(end) = self.rendered_at {
                let due = dirty.max(end + self.gap());
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
            }
            // …and while submitters wait for receipts, up to the interval after it went stale.
            let latest = dirty + self.interval();
            while rt.submissions_waiting() {
                let now = Instant::now();
                if now >= latest {
                    break;
                }
                std::thread::sleep(POSTPONED_NAP.min(latest - now));
            }
            rt.render.take();
            self.render(&rt);
        }
    }

    /// How long to gather publications while submissions keep coming: [`RENDER_INTERVAL`], or
    /// four times the last render when that is longer, so that a national election (where one
    /// render of every unit takes a while) spends at most a fifth of a core on it.
    fn interval(&self) -> Duration {
        RENDER_INTERVAL.max(self.render_cost * 4)
    }

    /// [`RENDER_GAP`], or four times the last render when that is longer.
    fn gap(&self) -> Duration {
        RENDER_GAP.max(self.render_cost * 4)
    }

    fn render(&mut self, rt: &ElectionRuntime) {
        let t0 = Instant::now();
        // Readers keep the previous document while this one is built (only this thread writes).
        let (bytes, pos) = {
            let published = rt.published.read().unwrap_or_else(|p| p.into_inner());
            let doc = published.tally.document(&published.pos).to_bytes();
            (doc, published.pos.clone())
        };
        let built = t0.elapsed();
        let size = bytes.len();
        let file = whole_file(&rt.id, bytes);
        self.render_cost = t0.elapsed();
        self.rendered_at = Some(Instant::now());
        tracing::debug!(election = %rt.id, bytes = size, built_ms = built.as_secs_f64() * 1e3, total_ms = self.render_cost.as_secs_f64() * 1e3, "results document rendered");
        // A fold while this was built (the sequencer does not wait for this thread) marked the
        // document stale again: the next render brings it up to date. The event names the
        // position the document shows.
        rt.published
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .whole = file;
        let ev = PublicationEvent {
            election: rt.id.clone(),
            tree_size: pos.tree_size,
            root_hash: pos.root_hash,
        };
        // The site thread renders the pages, then tells the SSE listeners.
        rt.site.notify(ev);
    }
}
