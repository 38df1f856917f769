//! `GET /metrics` in the Prometheus text format, and logs that summarise instead of repeating.
//!
//! Figures are recorded through the `metrics` facade (so the sequencer and the publisher count
//! without a handle threaded through them) into one Prometheus recorder per process, installed
//! by [`install`]. What is there:
//!
//! | name | kind | labels |
//! | --- | --- | --- |
//! | `skytale_ingest_accepted_total` | counter | |
//! | `skytale_ingest_duplicates_total` | counter | |
//! | `skytale_ingest_held_total` | counter | |
//! | `skytale_ingest_refused_total` | counter | `code` (the reject code) |
//! | `skytale_sequencer_queue_length` | gauge (at scrape) | `election` |
//! | `skytale_sequencer_batch_size` | histogram | |
//! | `skytale_snapshots_published_total` | counter | `election` |
//! | `skytale_publish_render_seconds` | histogram | |
//! | `skytale_site_pages_rendered_total` | counter | `election`, `render` (`public`, `staged`) |
//! | `skytale_site_staged_size` | gauge | `election` (the log size of the last staged render; 0 until the first) |
//! | `skytale_site_pages_on_demand_total` | counter | `election` (pages rendered on request, not found in the cache) |
//! | `skytale_site_page_cache_bytes` | gauge | (bytes of the on-demand pages kept, at most the bound) |
//! | `skytale_site_page_cache_pages` | gauge | |
//! | `skytale_http_requests_total` | counter | `class` (see [`crate::headers::Class`]), `status` |
//! | `skytale_http_connections_open` | gauge | |
//! | `skytale_http_connections_total` | counter | |
//! | `skytale_http_connections_closed_total` | counter | `reason` (`header_timeout`, `idle_timeout`, `idle_under_pressure`) |
//! | `skytale_http_accept_errors_total` | counter | |
//! | `skytale_rate_limited_total` | counter | `limit` (`address`, `key`, `queue`) |
//!
//! Logs: refusals, rate-limited requests, server errors and accept errors are counted and
//! logged at most once per [`LOG_EVERY`] per kind, with the counts since the last line, never
//! once per request (a flood would write megabytes of identical lines).

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::headers::{classify, Class};
use crate::AppState;

/// Shortest time between two log lines of one summarised kind.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

/// The reject code of an error response (set by `ApiError`), for the ingest counters.
#[derive(Clone, Debug)]
pub struct ErrorCode(pub String);

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's Prometheus recorder (once; later calls return the same handle).
/// `None` when another recorder was installed first by whoever embeds the server.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let batch: Vec<f64> = (0..=12).map(|k| f64::from(1u32 << k)).collect();
            let render = [
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ];
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("skytale_sequencer_batch_size".into()),
                    &batch,
                )
                .ok()?
                .set_buckets_for_metric(
                    Matcher::Full("skytale_publish_render_seconds".into()),
                    &render,
                )
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

/// `GET /metrics`.
pub async fn serve(State(state): State<AppState>) -> Response {
    for rt in state.all() {
        gauge!("skytale_sequencer_queue_length", "election" => rt.id.clone())
            .set(rt.queue_len() as f64);
    }
    match install() {
        Some(h) => {
            h.run_upkeep();
            (
                [(
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                h.render(),
            )
                .into_response()
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "another metrics recorder is installed in this process\n",
        )
            .into_response(),
    }
}

/// Middleware: counts every response by route class and status, and the ingest outcomes.
pub async fn middleware(req: Request<Body>, next: Next) -> Response {
    let class = classify(req.uri().path());
    let resp = next.run(req).await;
    let status = resp.status();
    counter!("skytale_http_requests_total", "class" => class.as_str(), "status" => status.as_u16().to_string())
        .increment(1);
    let code = resp.extensions().get::<ErrorCode>().map(|c| c.0.as_str());
    if class == Class::Submit {
        match (status.as_u16(), code) {
            (201, _) => counter!("skytale_ingest_accepted_total").increment(1),
            (200, _) => counter!("skytale_ingest_duplicates_total").increment(1),
            (202, _) => counter!("skytale_ingest_held_total").increment(1),
            (429 | 503, Some("rate_limited" | "busy")) => {}
            (_, code) => {
                let code = code.unwrap_or("other").to_string();
                REFUSED.note(&code);
                counter!("skytale_ingest_refused_total", "code" => code).increment(1);
            }
        }
    }
    if status.is_server_error() {
        SERVER_ERRORS.note(&format!("{} {}", class.as_str(), code.unwrap_or("")));
    }
    resp
}

/// A request refused by a rate limit or a full queue.
pub(crate) fn rate_limited(limit: &'static str) {
    RATE_LIMITED.note(limit);
    counter!("skytale_rate_limited_total", "limit" => limit).increment(1);
}

/// A batch the sequencer took.
pub(crate) fn batch(len: usize) {
    histogram!("skytale_sequencer_batch_size").record(len as f64);
}

/// A snapshot the publisher swapped in, and how long its render took.
pub(crate) fn published(election: &str, render: Duration) {
    counter!("skytale_snapshots_published_total", "election" => election.to_string()).increment(1);
    histogram!("skytale_publish_render_seconds").record(render.as_secs_f64());
}

/// A render of the site thread: how many files it made, and for a staged render (`approval`
/// mode, during an embargo) the log size it rendered.
pub(crate) fn site_rendered(election: &str, files: usize, staged_size: Option<u64>) {
    let render = if staged_size.is_some() {
        "staged"
    } else {
        "public"
    };
    counter!("skytale_site_pages_rendered_total", "election" => election.to_string(), "render" => render)
        .increment(files as u64);
    if let Some(size) = staged_size {
        gauge!("skytale_site_staged_size", "election" => election.to_string()).set(size as f64);
    }
}

/// Pages of an election rendered on request (a cache miss; see `site::on_demand`).
pub(crate) fn pages_on_demand(election: &str, pages: usize) {
    counter!("skytale_site_pages_on_demand_total", "election" => election.to_string())
        .increment(pages as u64);
}

/// What the cache of on-demand pages holds after a change.
pub(crate) fn page_cache(bytes: usize, pages: usize) {
    gauge!("skytale_site_page_cache_bytes").set(bytes as f64);
    gauge!("skytale_site_page_cache_pages").set(pages as f64);
}

/// The site thread of an election under `approval` starts: nothing is staged yet (a gauge
/// left by an earlier run of the election in this process would claim otherwise).
pub(crate) fn site_staging_started(election: &str) {
    gauge!("skytale_site_staged_size", "election" => election.to_string()).set(0.0);
}

pub(crate) fn connection_opened() {
    counter!("skytale_http_connections_total").increment(1);
    gauge!("skytale_http_connections_open").increment(1.0);
}

pub(crate) fn connection_closed(timed_out: Option<&'static str>) {
    gauge!("skytale_http_connections_open").decrement(1.0);
    if let Some(reason) = timed_out {
        counter!("skytale_http_connections_closed_total", "reason" => reason).increment(1);
    }
}

pub(crate) fn accept_error(e: &std::io::Error) {
    counter!("skytale_http_accept_errors_total").increment(1);
    ACCEPT_ERRORS.note(&e.to_string());
}

/// Counts events of one kind by key and logs the counts at most once per [`LOG_EVERY`]: the
/// first event at once, then one line per interval in which any happened.
pub(crate) struct Summary {
    what: &'static str,
    state: Mutex<(Option<Instant>, BTreeMap<String, u64>)>,
}

impl Summary {
    const fn new(what: &'static str) -> Summary {
        Summary {
            what,
            state: Mutex::new((None, BTreeMap::new())),
        }
    }

    pub(crate) fn note(&self, key: &str) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match s.1.get_mut(key) {
            Some(n) => *n += 1,
            None => {
                // Bounded: a key per distinct message; past 64 they share one line.
                let key = if s.1.len() < 64 { key } else { "other" };
                *s.1.entry(key.to_string()).or_default() += 1;
            }
        }
        let now = Instant::now();
        if s.0.is_none_or(|last| now.duration_since(last) >= LOG_EVERY) {
            let counts = std::mem::take(&mut s.1);
            s.0 = Some(now);
            drop(s);
            tracing::warn!(
                counts = ?counts,
                "{} (counts since the last line of this kind; at most one line per {} s)",
                self.what,
                LOG_EVERY.as_secs()
            );
        }
    }
}

static REFUSED: Summary = Summary::new("submissions refused");
static RATE_LIMITED: Summary = Summary::new("requests refused by a rate limit or a full queue");
static SERVER_ERRORS: Summary = Summary::new("server errors answered");
static ACCEPT_ERRORS: Summary = Summary::new("accepting connections failed; backing off");
