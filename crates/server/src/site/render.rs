//! The site thread: renders the pages of the publisher's latest snapshot and publishes them as
//! the next [`SiteMap`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use skytale_render::{ArchiveEntry, RenderState, Rendered, Site};

use super::{SiteFile, SiteMap};
use crate::publisher::Shared;
use crate::runtime::{ElectionRuntime, PublicationEvent};

/// Levels of areas below a contest rendered before the server accepts requests.
pub const SHALLOW_DEPTH: usize = 1;
/// How often an idle site thread looks whether its election is gone.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// Pages are refreshed from the published tally, which never waits for them; under a burst of
/// submissions the CPU belongs first to acceptance (signatures, the sequencer, receipts) and
/// to the results JSON. So the site thread runs at nice 10: on an idle machine it renders as
/// often as its pacing allows, on a saturated one it renders less often, and a page lags a
/// little more rather than a receipt.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 10) {
        tracing::warn!(error = %e, "cannot lower the site thread's priority");
    }
}

/// Renders the shallow pages of the current snapshot (in the caller's thread, so before the
/// listener accepts requests), then starts the site thread, which renders the rest at once and
/// every snapshot after.
pub fn start(rt: &Arc<ElectionRuntime>) -> std::io::Result<()> {
    let site = match Site::new(rt.definition.clone()) {
        // The server serves the JSON and CSV feeds itself (`SiteMap::feed`); pages are stored
        // uncompressed, each SiteFile compresses on the first request that wants it.
        Ok(s) => Some(s.with_feeds(false).with_precompression(false)),
        Err(e) => {
            tracing::error!(election = %rt.id, error = %e, "the site cannot be rendered; serving feeds only");
            None
        }
    };
    let generation = rt.publisher.generation();
    let shared = rt
        .publisher
        .share()
        .ok_or_else(|| std::io::Error::other("the publisher thread has stopped"))?;
    let mut state = RenderState::new();
    let files = match &site {
        Some(site) => site.render_shallow(
            &shared.tally,
            &shared.pos,
            &shared.history,
            &mut state,
            SHALLOW_DEPTH,
        ),
        None => BTreeMap::new(),
    };
    rt.site.swap(next_map(
        &rt.site.current(),
        files,
        shared.clone(),
        site.is_none(),
    ));
    let weak = Arc::downgrade(rt);
    std::thread::Builder::new()
        .name(format!("site-{}", rt.id))
        .spawn(move || {
            if let Some(site) = site {
                SiteThread {
                    rt: weak,
                    site,
                    state,
                    last_cost: Duration::ZERO,
                    last_end: None,
                }
                .run(shared, generation)
            }
        })
        .map(|_| ())
}

/// The map after a render: `cur`'s files (shared, not copied) with `changed` on top.
fn next_map(
    cur: &SiteMap,
    changed: BTreeMap<String, Rendered>,
    source: Shared,
    complete: bool,
) -> SiteMap {
    let mut files: HashMap<String, Arc<SiteFile>> = if cur.files.is_empty() {
        skytale_render::assets()
            .files
            .iter()
            .map(|(p, r)| (p.clone(), Arc::new(SiteFile::new(p, r.clone()))))
            .collect()
    } else {
        cur.files.clone()
    };
    for (path, r) in changed {
        let f = Arc::new(SiteFile::new(&path, r));
        files.insert(path, f);
    }
    // Nothing is published before the first results statement is in the tally.
    let tally = &source.tally;
    let status = (tally.statements() > 0).then(|| tally.status().to_string());
    let archive = Some(ArchiveEntry::from_definition(
        tally.definition(),
        status.as_deref(),
    ));
    SiteMap::new(files, archive, source, complete)
}

struct SiteThread {
    rt: Weak<ElectionRuntime>,
    site: Site,
    state: RenderState,
    /// How long the last render took, and when it ended (pacing).
    last_cost: Duration,
    last_end: Option<Instant>,
}

impl SiteThread {
    fn run(mut self, first: Shared, mut generation: u64) {
        lower_priority();
        // The start-up position is no news: listeners hear of the snapshots after it.
        let mut last_sent = Some(first.pos.tree_size);
        let mut next = Some(first);
        loop {
            let Some(rt) = self.rt.upgrade() else { return };
            let Some(shared) = next.take() else {
                // Wait for a newer snapshot, then pace: leave three times the last render's
                // cost between renders (at most a quarter of a core, whatever the arrival rate).
                let seen = generation;
                generation = rt.publisher.wait_newer(seen, IDLE_CHECK);
                if generation == seen {
                    continue;
                }
                if let Some(end) = self.last_end {
                    let wait = (end + self.last_cost * 3).saturating_duration_since(Instant::now());
                    if !wait.is_zero() {
                        std::thread::sleep(wait);
                    }
                }
                // Everything published until now, including what came while pacing.
                generation = rt.publisher.generation();
                next = rt.publisher.share();
                continue;
            };
            let started = Instant::now();
            let cur = rt.site.current();
            if cur.pos.as_ref() != Some(&shared.pos) || !cur.complete {
                let changed = self.site.render_changed(
                    &shared.tally,
                    &shared.pos,
                    &shared.history,
                    &mut self.state,
                );
                rt.site.swap(next_map(&cur, changed, shared.clone(), true));
            }
            self.last_cost = started.elapsed();
            self.last_end = Some(Instant::now());
            tracing::debug!(election = %rt.id, tree_size = shared.pos.tree_size, cost_ms = self.last_cost.as_secs_f64() * 1e3, "site rendered");
            if last_sent != Some(shared.pos.tree_size) {
                last_sent = Some(shared.pos.tree_size);
                let _ = rt.events.send(PublicationEvent {
                    election: rt.id.clone(),
                    tree_size: shared.pos.tree_size,
                    root_hash: shared.pos.root_hash.clone(),
                });
            }
        }
    }
}

/// Waits (polling, up to `timeout`) until the site of `rt` shows the publisher's current
/// snapshot, every page rendered.
pub async fn ready(rt: &ElectionRuntime, timeout: Duration) -> bool {
    let start = Instant::now();
    loop {
        let want = rt.publisher.current().pos.clone();
        let cur = rt.site.current();
        if cur.complete && cur.pos.as_ref() == Some(&want) {
            return true;
        }
        if start.elapsed() > timeout {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[cfg(all(test, target_os = "linux"))]
mod priority_tests {
    #[test]
    fn the_site_thread_yields_to_acceptance() {
        let me = || rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap();
        let before = me();
        let nice = std::thread::spawn(|| {
            super::lower_priority();
            rustix::process::getpriority_process(Some(rustix::thread::gettid()))
        })
        .join()
        .unwrap()
        .unwrap();
        assert!(nice >= 10, "the site thread runs at nice {nice}");
        assert_eq!(
            me(),
            before,
            "only the site thread is lowered, not its caller"
        );
    }
}
