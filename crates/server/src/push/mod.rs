//! Pushed updates: officials' webhooks ([`webhooks`]) and the fediverse ([`activitypub`]).
//!
//! Two streams of events per election, read off the publisher's snapshots and nothing else:
//!
//! - `change`: every snapshot the publisher serves (it renders at most every
//!   [`crate::publisher::RENDER_GAP`]; a lagging watcher coalesces further). The event names
//!   the snapshot (tree size, root) and the cursor before it, and links the change feed
//!   (`changes?since=`), which says what moved and is provable from the log.
//! - `publication`: under `approval`, each snapshot that is a publication of the log; under
//!   `automatic` (which has no publications) the snapshot at most every
//!   [`PushSettings::announce_every`], once results have arrived. Its event carries the
//!   headline figures too, and it is what the fediverse is told.
//!
//! **Nothing here slows the sequencer or the publisher.** A watcher task per election waits on
//! [`crate::publisher::Publisher::served`] and reads [`crate::publisher::Publisher::current`],
//! an immutable snapshot; the events, queues and delivery log live in a database file of their
//! own ([`skytale_store::Subscriptions`]), so their writes never take the log's write lock;
//! the HTTP work is done by one sender task with at most [`PushSettings::concurrency`]
//! requests in flight, each with a timeout.
//!
//! **Delivery is at least once, with a stable id.** An event is queued once per target (a
//! webhook, a follower's inbox) under an id derived from the election, stream and tree size,
//! so a restart that queues it again is a no-op and every retry carries the same
//! `webhook-id`: a receiver drops what it has seen. A failed attempt is retried with
//! exponential backoff ([`PushSettings::backoff_base`], doubling, capped at
//! [`PushSettings::backoff_cap`]) up to [`PushSettings::max_attempts`]; a delivery whose
//! attempt was under way when the process stopped is sent again after its lease. Queues are
//! bounded per target ([`PushSettings::max_pending`]): past it an event is not queued for
//! that target, which the next event's `since` shows (it is not the last `tree_size` the
//! receiver saw).

pub mod activitypub;
pub mod webhooks;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use skytale_model::PublicationMode;
use skytale_render::social::Headline;
use skytale_store::{Attempt, DeliveryRow, NewDelivery, StoreError, Subscriptions};

use crate::publisher::Snapshot;
use crate::runtime::ElectionRuntime;
use crate::AppState;

/// The stream of publications (see the module doc).
pub const STREAM_PUBLICATION: &str = "publication";
/// The stream of every served snapshot.
pub const STREAM_CHANGE: &str = "change";
/// Deliveries to webhooks (target: the webhook's id).
pub const CHANNEL_WEBHOOK: &str = "webhook";
/// Deliveries to followers' inboxes (target: the inbox URL).
pub const CHANNEL_ACTIVITYPUB: &str = "activitypub";

/// Due deliveries taken per pass of the sender.
const TAKE: u64 = 64;
/// Longest the sender sleeps without looking at the queue (a wake-up may be missed when a
/// delivery was queued by another process).
const IDLE_LOOK: Duration = Duration::from_secs(5);
/// How often the supervisor looks for newly loaded elections to watch.
const NEW_ELECTIONS_EVERY: Duration = Duration::from_secs(1);

/// How pushed updates are made and sent.
#[derive(Clone, Debug)]
pub struct PushSettings {
    /// The server's public address (`https://results.example.org`, no trailing slash): links in
    /// payloads are absolute, and the fediverse needs it (actor ids and WebFinger's host).
    /// `None`: links are paths, and the ActivityPub endpoints answer 404.
    pub public_url: Option<String>,
    /// Wait before the first retry; each further retry waits twice as long as the one before.
    pub backoff_base: Duration,
    /// Longest wait between two attempts.
    pub backoff_cap: Duration,
    /// Attempts before a delivery is given up (recorded as `failed` in the delivery log).
    pub max_attempts: u32,
    /// Whole-request timeout of one attempt (connect included).
    pub timeout: Duration,
    /// Under `automatic` publication: the shortest time between two announced publications.
    pub announce_every: Duration,
    /// Most deliveries waiting per target.
    pub max_pending: u64,
    /// Most requests in flight at once.
    pub concurrency: usize,
    /// Whether targets on loopback, private or link-local addresses are allowed (tests, a
    /// newsroom's own network). Off by default: a follower names its own inbox, and the server
    /// must not be made to post into the network it stands in.
    pub allow_private_targets: bool,
}

impl Default for PushSettings {
    fn default() -> PushSettings {
        PushSettings {
            public_url: None,
            backoff_base: Duration::from_secs(5),
            backoff_cap: Duration::from_secs(30 * 60),
            max_attempts: 12,
            timeout: Duration::from_secs(10),
            announce_every: Duration::from_secs(10 * 60),
            max_pending: 1_000,
            concurrency: 16,
            allow_private_targets: false,
        }
    }
}

impl PushSettings {
    /// The wait after the `attempts`-th failed attempt (1 for the first).
    pub fn backoff(&self, attempts: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempts.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.backoff_base
            .checked_mul(factor)
            .unwrap_or(self.backoff_cap)
            .min(self.backoff_cap)
    }

    /// `path` as a link: absolute under the public address when there is one.
    pub fn link(&self, path: &str) -> String {
        match &self.public_url {
            Some(base) => format!("{base}{path}"),
            None => path.to_string(),
        }
    }
}

/// The push service of a server: its database, settings and HTTP client.
pub struct Push {
    pub(crate) subs: Arc<Subscriptions>,
    pub(crate) settings: PushSettings,
    pub(crate) http: reqwest::Client,
    /// Wakes the sender when something was queued.
    wake: tokio::sync::Notify,
    /// Where the actors' keys are kept (`keys/` of the data directory).
    pub(crate) keys_dir: std::path::PathBuf,
    pub(crate) actor_keys: activitypub::Keys,
}

/// Why the push service could not start.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot make the HTTP client for pushed updates: {0}")]
    Client(String),
    #[error("the public URL {0:?} is not an http(s) address without a path (e.g. https://results.example.org)")]
    PublicUrl(String),
}

impl Push {
    /// Opens the push database in `data_dir` with `settings`.
    pub fn open(data_dir: &std::path::Path, settings: PushSettings) -> Result<Push, PushError> {
        let mut settings = settings;
        if let Some(u) = &settings.public_url {
            let trimmed = u.trim_end_matches('/').to_string();
            let ok = reqwest::Url::parse(&trimmed).is_ok_and(|p| {
                matches!(p.scheme(), "http" | "https")
                    && p.host_str().is_some()
                    && p.path() == "/"
                    && p.query().is_none()
            });
            if !ok {
                return Err(PushError::PublicUrl(u.clone()));
            }
            settings.public_url = Some(trimmed);
        }
        let http = client(&settings)?;
        Ok(Push {
            subs: Arc::new(Subscriptions::open(data_dir)?),
            http,
            wake: tokio::sync::Notify::new(),
            keys_dir: data_dir.join("keys"),
            actor_keys: activitypub::Keys::default(),
            settings,
        })
    }

    /// The push database (tests read the delivery log directly).
    pub fn subscriptions(&self) -> &Subscriptions {
        &self.subs
    }

    pub fn settings(&self) -> &PushSettings {
        &self.settings
    }

    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }
}

/// The outgoing client: a timeout per attempt, no redirects (a receiver that moved says so
/// with an error the delivery log shows; following it could lead anywhere), and, unless
/// allowed, no address on the server's own networks.
fn client(settings: &PushSettings) -> Result<reqwest::Client, PushError> {
    let mut b = reqwest::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("skytale/", env!("CARGO_PKG_VERSION")));
    if !settings.allow_private_targets {
        b = b.dns_resolver(Arc::new(PublicOnly));
    }
    b.build().map_err(|e| PushError::Client(e.to_string()))
}

/// A resolver that drops every address on a loopback, private, link-local or otherwise
/// non-global network, so a name cannot point a delivery into the server's own network.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let public: Vec<std::net::SocketAddr> =
                addrs.filter(|a| is_public_ip(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{} has no public address", name.as_str()).into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether `ip` is on a network the public reaches (not loopback, private, link-local,
/// unspecified, documentation or shared address space).
pub fn is_public_ip(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v) => {
            let o = v.octets();
            !(v.is_loopback()
                || v.is_private()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_broadcast()
                || v.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64))
        }
        std::net::IpAddr::V6(v) => {
            if let Some(v4) = v.to_ipv4_mapped() {
                return is_public_ip(std::net::IpAddr::V4(v4));
            }
            let s = v.segments();
            !(v.is_loopback()
                || v.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80)
        }
    }
}

/// Checks a target URL: http or https, a host, no credentials; when private targets are not
/// allowed, no IP literal of a private network (names are checked when resolved).
pub fn check_target(url: &str, settings: &PushSettings) -> Result<reqwest::Url, String> {
    let u = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!(
            "only http and https URLs are accepted, not {:?}",
            u.scheme()
        ));
    }
    let Some(host) = u.host_str() else {
        return Err("the URL has no host".into());
    };
    if !u.username().is_empty() || u.password().is_some() {
        return Err("the URL carries credentials; the signature authenticates the sender".into());
    }
    if !settings.allow_private_targets {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let lower = host.to_ascii_lowercase();
        let ip = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) if lower == "localhost" || lower.ends_with(".localhost") => {
                Some(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
            }
            Err(_) => None,
        };
        if ip.is_some_and(|ip| !is_public_ip(ip)) {
            return Err("the URL points at a loopback or private address".into());
        }
    }
    Ok(u)
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis().min(i64::MAX as u128) as i64)
}

/// Starts the push tasks of a server: one watcher per election (new elections are picked up)
/// and the sender. They end when `state`'s server is dropped with the runtime.
pub(crate) fn start(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let push = state.push.clone();
    let sender = tokio::spawn(send_loop(push.clone()));
    let s = state.clone();
    let supervisor = tokio::spawn(async move {
        let mut watched = HashSet::new();
        loop {
            for rt in s.all() {
                if watched.insert(rt.id.clone()) {
                    tokio::spawn(watch(push.clone(), rt));
                }
            }
            tokio::time::sleep(NEW_ELECTIONS_EVERY).await;
        }
    });
    vec![sender, supervisor]
}

/// Announces each new snapshot of one election as it is served.
async fn watch(push: Arc<Push>, rt: Arc<ElectionRuntime>) {
    let mut served = rt.publisher.served();
    loop {
        let snap = rt.publisher.current();
        let (p, r) = (push.clone(), rt.clone());
        let again = match tokio::task::spawn_blocking(move || announce(&p, &r, &snap)).await {
            Ok(Ok(again)) => again,
            Ok(Err(e)) => {
                tracing::error!(election = %rt.id, error = %e, "announcing a snapshot failed");
                Some(Duration::from_secs(5))
            }
            Err(e) => {
                tracing::error!(election = %rt.id, error = %e, "announcing a snapshot panicked");
                Some(Duration::from_secs(5))
            }
        };
        push.wake();
        let nap = again.unwrap_or(Duration::from_secs(3600));
        tokio::select! {
            r = served.changed() => if r.is_err() { return },
            _ = tokio::time::sleep(nap) => {}
        }
    }
}

/// The part of a results document a publication's headline needs (units and everything else
/// are skipped).
#[derive(Deserialize)]
struct DocHead {
    statements: u64,
    contests: Vec<ContestHead>,
}

#[derive(Deserialize)]
struct ContestHead {
    id: String,
    units_reporting: u64,
    units_total: u64,
    selections: Vec<SelectionHead>,
}

#[derive(Deserialize)]
struct SelectionHead {
    id: String,
    votes: u64,
    share: String,
}

/// The headline figures of a snapshot: per contest, the choices with the most votes.
fn headlines(snap: &Snapshot) -> Option<(u64, Vec<Headline>)> {
    let doc: DocHead = serde_json::from_slice(snap.results.body()).ok()?;
    let heads = doc
        .contests
        .into_iter()
        .map(|c| {
            let mut sel: Vec<SelectionHead> =
                c.selections.into_iter().filter(|s| s.votes > 0).collect();
            sel.sort_by(|a, b| b.votes.cmp(&a.votes).then_with(|| a.id.cmp(&b.id)));
            Headline {
                contest: c.id,
                units_reporting: c.units_reporting,
                units_total: c.units_total,
                leaders: sel
                    .into_iter()
                    .take(skytale_render::social::POST_LEADERS)
                    .map(|s| (s.id, s.votes, s.share))
                    .collect(),
            }
        })
        .collect();
    Some((doc.statements, heads))
}

/// Records and queues the events of snapshot `snap` that are new. Returns when to look again
/// without a new snapshot (an `automatic` publication held back by the interval).
fn announce(
    push: &Push,
    rt: &ElectionRuntime,
    snap: &Snapshot,
) -> Result<Option<Duration>, StoreError> {
    let e = rt.id.as_str();
    let pos = &snap.pos;
    let size = pos.tree_size;
    let s = &push.settings;
    let api = |what: &str| s.link(&format!("/api/v1/elections/{e}/{what}"));

    // Every served snapshot.
    let since = push.subs.last_event(e, STREAM_CHANGE)?.unwrap_or(0);
    if size > since {
        let event = json!({
            "type": "results.changed",
            "election": e,
            "since": since,
            "tree_size": size,
            "root_hash": pos.root_hash,
            "published_at": pos.published_at,
            "changes": api(&format!("changes?since={since}")),
            "results": api("results"),
        });
        queue_event(push, e, STREAM_CHANGE, size, &event)?;
    }

    // Publications.
    let last = push.subs.events(e, STREAM_PUBLICATION, None, 1)?;
    let last_size = last.first().map_or(0, |r| r.tree_size);
    if size <= last_size {
        return Ok(None);
    }
    let mode = rt.definition.definition().publication.mode;
    match mode {
        PublicationMode::Approval => {
            if !snap.history.iter().any(|h| h.tree_size == size) {
                return Ok(None);
            }
        }
        _ => {
            if let Some(prev) = last.first() {
                let made = time::OffsetDateTime::parse(
                    &prev.created_at,
                    &time::format_description::well_known::Rfc3339,
                )
                .map(|t| t.unix_timestamp() * 1000)
                .unwrap_or(0);
                let next =
                    made.saturating_add(s.announce_every.as_millis().min(i64::MAX as u128) as i64);
                let now = now_ms();
                if now < next {
                    return Ok(Some(Duration::from_millis((next - now) as u64)));
                }
            }
        }
    }
    let Some((statements, heads)) = headlines(snap) else {
        return Ok(None);
    };
    if statements == 0 {
        // Nothing reported yet: a post saying so is noise.
        return Ok(None);
    }
    let d = rt.definition.definition();
    let event = json!({
        "type": "results.published",
        "election": e,
        "mode": mode_name(mode),
        "since": last_size,
        "tree_size": size,
        "root_hash": pos.root_hash,
        "published_at": pos.published_at,
        "results": api("results"),
        "changes": api(&format!("changes?since={last_size}")),
        "site": s.link(&format!("/{}/{}/", d.default_language, e)),
        "feed": s.link(&format!("/feeds/{e}.atom")),
        "card": skytale_render::social::card_path(&rt.definition).map(|p| s.link(&p)),
        "headline": heads.iter().map(|h| json!({
            "contest": h.contest,
            "units_reporting": h.units_reporting,
            "units_total": h.units_total,
            "leaders": h.leaders.iter().map(|(id, votes, share)| json!({
                "selection": id, "votes": votes, "share": share,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    if s.public_url.is_some() {
        activitypub::queue_post(push, rt, snap, &heads)?;
    }
    queue_event(push, e, STREAM_PUBLICATION, size, &event)?;
    Ok(None)
}

fn mode_name(mode: PublicationMode) -> &'static str {
    match mode {
        PublicationMode::Approval => "approval",
        _ => "automatic",
    }
}

/// The id of an event: the same whenever it is made, so a receiver can drop duplicates.
pub fn event_id(election: &str, stream: &str, tree_size: u64) -> String {
    format!("msg_{election}_{stream}_{tree_size}")
}

/// Queues `event` for every webhook of the stream, then records it (in that order: a crash
/// between the two queues it again at the next start, which the queue ignores).
fn queue_event(
    push: &Push,
    election: &str,
    stream: &str,
    tree_size: u64,
    event: &serde_json::Value,
) -> Result<(), StoreError> {
    let now = crate::runtime::now_rfc3339();
    let id = event_id(election, stream, tree_size);
    let body = serde_json::to_vec(&json!({
        "type": event["type"],
        "timestamp": now,
        "data": event,
    }))
    .unwrap_or_default();
    for w in push.subs.webhooks(election)? {
        if w.events != stream {
            continue;
        }
        let target = w.id.to_string();
        let r = push.subs.enqueue(
            &NewDelivery {
                election,
                channel: CHANNEL_WEBHOOK,
                target: &target,
                event_id: &id,
                body: &body,
                due_at_ms: now_ms(),
                created_at: &now,
            },
            push.settings.max_pending,
        )?;
        if r == skytale_store::Enqueued::Full {
            tracing::warn!(election, webhook = w.id, event = %id, "webhook queue full; event not queued for it");
        }
    }
    push.subs.add_event(
        election,
        stream,
        tree_size,
        &serde_json::to_vec(event).unwrap_or_default(),
        &now,
    )?;
    Ok(())
}

/// Sends due deliveries, at most [`PushSettings::concurrency`] at once, forever.
async fn send_loop(push: Arc<Push>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(
        push.settings.concurrency.max(1),
    ));
    let in_flight: Arc<Mutex<HashSet<i64>>> = Arc::default();
    loop {
        // A taken delivery is leased: it is due again only after an attempt's timeout, so a
        // crash mid-attempt sends it again and the loop never takes it twice.
        let lease = push.settings.timeout.as_millis().min(i64::MAX as u128) as i64 * 2 + 1_000;
        let p = push.clone();
        let due = tokio::task::spawn_blocking(move || {
            let now = now_ms();
            p.subs.take_due(now, now.saturating_add(lease), TAKE)
        })
        .await;
        let due = match due {
            Ok(Ok(d)) => d,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "reading due deliveries failed");
                Vec::new()
            }
            Err(_) => Vec::new(),
        };
        let took = due.len() as u64;
        for d in due {
            if !in_flight
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(d.id)
            {
                continue;
            }
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let (p, fl) = (push.clone(), in_flight.clone());
            tokio::spawn(async move {
                let id = d.id;
                let outcome = attempt(&p, &d).await;
                let p2 = p.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    if let Err(e) = p2.subs.record_attempt(id, &outcome) {
                        tracing::error!(delivery = id, error = %e, "recording a delivery attempt failed");
                    }
                })
                .await;
                fl.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
                drop(slot);
                p.wake();
            });
        }
        if took == TAKE {
            continue;
        }
        let p = push.clone();
        let next = tokio::task::spawn_blocking(move || p.subs.next_due())
            .await
            .ok()
            .and_then(Result::ok)
            .flatten();
        let nap = next.map_or(IDLE_LOOK, |at| {
            Duration::from_millis(at.saturating_sub(now_ms()).max(0) as u64).min(IDLE_LOOK)
        });
        tokio::select! {
            _ = push.wake.notified() => {}
            _ = tokio::time::sleep(nap) => {}
        }
    }
}

/// One attempt at a delivery, and what to record of it.
async fn attempt(push: &Arc<Push>, d: &DeliveryRow) -> Attempt {
    let result = match d.channel.as_str() {
        CHANNEL_WEBHOOK => webhooks::send(push, d).await,
        CHANNEL_ACTIVITYPUB => activitypub::send(push, d).await,
        other => Err(Failure::permanent(format!("unknown channel {other:?}"))),
    };
    let now = crate::runtime::now_rfc3339();
    match result {
        Ok(status) => Attempt::Delivered { status, at: now },
        Err(f) => {
            let attempts = d.attempts + 1;
            if f.permanent || attempts >= push.settings.max_attempts {
                Attempt::GaveUp {
                    status: f.status,
                    error: f.error,
                    at: now,
                }
            } else {
                let wait = push.settings.backoff(attempts);
                Attempt::Retry {
                    status: f.status,
                    error: f.error,
                    due_at_ms: now_ms()
                        .saturating_add(wait.as_millis().min(i64::MAX as u128) as i64),
                }
            }
        }
    }
}

/// Why an attempt failed.
pub(crate) struct Failure {
    status: Option<u16>,
    error: String,
    /// No retry helps (the webhook is gone, the receiver answered 410 Gone).
    permanent: bool,
}

impl Failure {
    pub(crate) fn permanent(error: String) -> Failure {
        Failure {
            status: None,
            error,
            permanent: true,
        }
    }
}

/// Posts `body` to `url` with `headers`; a 2xx is delivered, 410 Gone is permanent, anything
/// else is retried.
pub(crate) async fn post(
    push: &Push,
    url: &str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
) -> Result<u16, Failure> {
    let u = check_target(url, &push.settings).map_err(Failure::permanent)?;
    let mut req = push.http.post(u).body(body);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    match req.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            if resp.status().is_success() {
                Ok(status)
            } else {
                Err(Failure {
                    status: Some(status),
                    error: format!("the receiver answered HTTP {status}"),
                    permanent: status == 410,
                })
            }
        }
        Err(e) => Err(Failure {
            status: None,
            error: if e.is_timeout() {
                "timed out".to_string()
            } else {
                format!("cannot reach the receiver: {e}")
            },
            permanent: false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = PushSettings {
            backoff_base: Duration::from_secs(5),
            backoff_cap: Duration::from_secs(60),
            ..PushSettings::default()
        };
        let waits: Vec<u64> = (1..=6).map(|n| s.backoff(n).as_secs()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 60, 60]);
        assert_eq!(s.backoff(200).as_secs(), 60, "no overflow");
    }

    #[test]
    fn only_http_targets_off_the_private_networks_are_accepted() {
        let s = PushSettings::default();
        assert!(check_target("https://news.example/hook", &s).is_ok());
        for bad in [
            "ftp://news.example/",
            "file:///etc/passwd",
            "gopher://x/",
            "http://127.0.0.1:8080/",
            "http://[::1]/",
            "http://10.1.2.3/",
            "http://169.254.169.254/latest/meta-data/",
            "http://localhost/",
            "https://user:pw@news.example/",
            "not a url",
        ] {
            assert!(check_target(bad, &s).is_err(), "{bad} accepted");
        }
        let open = PushSettings {
            allow_private_targets: true,
            ..PushSettings::default()
        };
        assert!(check_target("http://127.0.0.1:8080/", &open).is_ok());
        assert!(check_target("file:///etc/passwd", &open).is_err());
    }
}
