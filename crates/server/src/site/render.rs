//! The site thread: renders the pages of the publisher's latest snapshot and publishes them as
//! the next [`SiteMap`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use skytale_render::{ArchiveEntry, RenderState, Rendered, Site};

use super::{SiteFile, SiteMap};
use crate::publisher::{Generations, Shared};
use crate::runtime::{ElectionRuntime, PublicationEvent};

/// Levels of areas below a contest rendered before the server accepts requests.
pub const SHALLOW_DEPTH: usize = 1;
/// The shortest time between two renders of the site, per unit of the election: 1 s at 200,000
/// units, 15 ms at 3,000 (see `SiteThread::pace`).
const GAP_PER_UNIT: Duration = Duration::from_micros(5);
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
/// every snapshot after (and, under `approval`, the staged tally in between).
pub fn start(rt: &Arc<ElectionRuntime>) -> std::io::Result<()> {
    let site = match Site::new(rt.definition.clone()) {
        // The server serves the JSON and CSV feeds itself (`SiteMap::feed`); pages are stored
        // uncompressed, each SiteFile compresses on the first request that wants it.
        Ok(s) => Some(Arc::new(s.with_feeds(false).with_precompression(false))),
        Err(e) => {
            tracing::error!(election = %rt.id, error = %e, "the site cannot be rendered; serving feeds only");
            None
        }
    };
    let generations = rt.publisher.generations();
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
    if let Some(site) = &site {
        let _ = rt.site.renderer.set(site.clone());
    }
    let working = merged(HashMap::new(), files);
    rt.site
        .swap(public_map(working.clone(), shared.clone(), site.is_none()));
    let staging =
        rt.definition.definition().publication.mode == skytale_model::PublicationMode::Approval;
    if staging {
        crate::metrics::site_staging_started(&rt.id);
    }
    let weak = Arc::downgrade(rt);
    std::thread::Builder::new()
        .name(format!("site-{}", rt.id))
        .spawn(move || {
            if let Some(site) = site {
                SiteThread {
                    rt: weak,
                    site,
                    state,
                    working,
                    staging,
                    last_cost: Duration::ZERO,
                    last_end: None,
                }
                .run(shared, generations)
            }
        })
        .map(|_| ())
}

/// `base` (the static assets when empty) with `changed` on top; unchanged files stay shared.
fn merged(
    mut base: HashMap<String, Arc<SiteFile>>,
    changed: BTreeMap<String, Rendered>,
) -> HashMap<String, Arc<SiteFile>> {
    if base.is_empty() {
        base = skytale_render::assets()
            .files
            .iter()
            .map(|(p, r)| (p.clone(), Arc::new(SiteFile::new(p, r.clone()))))
            .collect();
    }
    for (path, r) in changed {
        let f = Arc::new(SiteFile::new(&path, r));
        base.insert(path, f);
    }
    base
}

/// The public map of `files`, rendered from `source`.
fn public_map(files: HashMap<String, Arc<SiteFile>>, source: Shared, complete: bool) -> SiteMap {
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
    site: Arc<Site>,
    /// The digests of what `working` holds.
    state: RenderState,
    /// The files of the last render, public or staged. A staged render's files stay here,
    /// never served, until a publication covers them: the go-ahead then renders only what
    /// differs from them and publishes the whole map at once.
    working: HashMap<String, Arc<SiteFile>>,
    /// Whether the election's publication waits for approvals (then the staged tally is
    /// rendered between publications).
    staging: bool,
    /// How long the last render took, and when it ended (pacing).
    last_cost: Duration,
    last_end: Option<Instant>,
}

impl SiteThread {
    fn run(mut self, first: Shared, mut seen: Generations) {
        lower_priority();
        // The start-up position is no news: listeners hear of the snapshots after it.
        let mut last_sent = Some(first.pos.tree_size);
        let mut first = Some(first);
        loop {
            let Some(rt) = self.rt.upgrade() else { return };
            if let Some(shared) = first.take() {
                self.render_public(&rt, shared, &mut last_sent);
                continue;
            }
            let now = rt.publisher.generations();
            if now.published > seen.published {
                // Under `approval` a publication is the lift readers wait for, and rare: at
                // once. Otherwise leave three times the last render's cost between renders (at
                // most a quarter of a core, whatever the arrival rate).
                if !self.staging {
                    std::thread::sleep(self.pace());
                }
                // Everything published until now, including what came while pacing.
                seen.published = rt.publisher.generations().published;
                let Some(shared) = rt.publisher.share() else {
                    return;
                };
                self.render_public(&rt, shared, &mut last_sent);
                continue;
            }
            if self.staging && now.staged > seen.staged {
                // Paced like a public render, but a publication arriving meanwhile goes first.
                let pace = self.pace();
                if !pace.is_zero() {
                    let during = rt.publisher.wait_newer(seen, false, pace);
                    if during.published > seen.published {
                        continue;
                    }
                }
                seen.staged = rt.publisher.generations().staged;
                if let Some(shared) = rt.publisher.share_staged() {
                    self.render_staged(&rt, &shared);
                }
                continue;
            }
            rt.publisher.wait_newer(seen, self.staging, IDLE_CHECK);
        }
    }

    /// How long to wait before the next render: three times the last render's cost, and at
    /// least [`GAP_PER_UNIT`] per unit of the election. Each render holds a handle on the
    /// published tally, so the publisher's next fold copies the tally: at 200,000 stations,
    /// where the pages left to render with each snapshot take milliseconds (the deep ones are
    /// made on demand), that copy, not the render, is what a render costs.
    fn pace(&self) -> Duration {
        let floor =
            GAP_PER_UNIT * u32::try_from(self.site.definition().units().len()).unwrap_or(u32::MAX);
        match self.last_end {
            Some(end) => {
                (end + (self.last_cost * 3).max(floor)).saturating_duration_since(Instant::now())
            }
            None => Duration::ZERO,
        }
    }

    /// Renders what differs from `working` at the published position and swaps the public
    /// map in; then tells the listeners.
    fn render_public(&mut self, rt: &ElectionRuntime, shared: Shared, last_sent: &mut Option<u64>) {
        let started = Instant::now();
        let cur = rt.site.current();
        if cur.pos.as_ref() != Some(&shared.pos) || !cur.complete {
            let changed = self.site.render_changed(
                &shared.tally,
                &shared.pos,
                &shared.history,
                &mut self.state,
            );
            crate::metrics::site_rendered(&rt.id, changed.len(), None);
            self.working = merged(std::mem::take(&mut self.working), changed);
            rt.site
                .swap(public_map(self.working.clone(), shared.clone(), true));
        }
        self.last_cost = started.elapsed();
        self.last_end = Some(Instant::now());
        tracing::debug!(election = %rt.id, tree_size = shared.pos.tree_size, cost_ms = self.last_cost.as_secs_f64() * 1e3, "site rendered");
        if *last_sent != Some(shared.pos.tree_size) {
            *last_sent = Some(shared.pos.tree_size);
            let _ = rt.events.send(PublicationEvent {
                election: rt.id.clone(),
                tree_size: shared.pos.tree_size,
                root_hash: shared.pos.root_hash.clone(),
            });
        }
    }

    /// Renders the staged tally into `working` only: nothing of it is served.
    fn render_staged(&mut self, rt: &ElectionRuntime, shared: &Shared) {
        let started = Instant::now();
        let changed =
            self.site
                .render_changed(&shared.tally, &shared.pos, &shared.history, &mut self.state);
        let pages = changed.len();
        crate::metrics::site_rendered(&rt.id, pages, Some(shared.pos.tree_size));
        self.working = merged(std::mem::take(&mut self.working), changed);
        self.last_cost = started.elapsed();
        self.last_end = Some(Instant::now());
        tracing::debug!(election = %rt.id, staged_size = shared.pos.tree_size, pages, cost_ms = self.last_cost.as_secs_f64() * 1e3, "staged site rendered");
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
