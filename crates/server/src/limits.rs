//! The request budgets of the write path: per-address and per-reporter-key rate limits and the
//! bounded queue of submissions in the server's hands. The connection budgets (timeouts, the
//! connection cap, the drain) are applied by [`crate::edge`]; the settings of both are
//! [`Limits`], with the defaults documented in the README.
//!
//! Why it is shaped this way:
//! - The per-address limit is checked before a write request's body is read (a flood from one
//!   address costs a table look-up per request, nothing more).
//! - The per-key limit is charged only after the signature verified: keyed on a name anybody
//!   can write into a note, a flood of forged notes would otherwise lock a real reporter out.
//! - Signatures are verified in the handlers (on every core), never by the one sequencer
//!   thread, so a bad-signature flood costs CPU but does not stall the queue. The sequencer
//!   does not verify again: the key ring only ever grows (a revoked key keeps its index and
//!   is marked), and `Ledger::admit` checks that the signers are live when it decides.
//! - The queue is a semaphore taken after the body is read and held until the submitter is
//!   answered: a full queue answers 503 with `Retry-After` instead of growing. Reads take no
//!   part of it, so pages, feeds and tiles keep being served during a submission flood.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::Semaphore;

use crate::api::ApiError;
use crate::runtime::{ElectionRuntime, Outcome, SubmitError};
use crate::AppState;

/// A rate: `per_second` on average, up to `burst` at once. `per_second == 0` turns it off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub per_second: u32,
    pub burst: u32,
}

impl Rate {
    fn quota(self) -> Option<Quota> {
        let rate = NonZeroU32::new(self.per_second)?;
        let burst = NonZeroU32::new(self.burst.max(self.per_second)).unwrap_or(rate);
        Some(Quota::per_second(rate).allow_burst(burst))
    }
}

/// The budgets of the HTTP edge. [`Limits::default`] is what `skytale serve` runs with unless
/// told otherwise (README, "Limits").
#[derive(Clone, Debug)]
pub struct Limits {
    /// A request's header must arrive whole within this time from its first byte.
    pub header_timeout: Duration,
    /// A connection with no byte read or written for this long is closed (an idle
    /// keep-alive, a stalled upload, a reader that stopped reading). Server-sent events send
    /// a comment every 15 s, so keep this above that.
    pub idle_timeout: Duration,
    /// Open connections at most; beyond it the listener stops accepting (the kernel's backlog
    /// holds the rest). Lowered at start-up to the process's file limit less
    /// [`crate::edge::FILE_HEADROOM`].
    pub max_connections: usize,
    /// On SIGTERM/SIGINT: how long open requests get to finish before the process exits.
    pub drain_timeout: Duration,
    /// Write requests (every POST: submissions, sign-in) per client address.
    pub per_address: Rate,
    /// Submissions per reporter key (counted once the signature verified).
    pub per_key: Rate,
    /// Submissions in the server's hands (being verified, queued for or in the sequencer)
    /// at most; one more is answered 503 with `Retry-After`.
    pub submission_queue: usize,
    /// Bytes of pages rendered on demand kept for the next reader (a national election's
    /// county and station pages; see `site::on_demand`), for all elections together.
    pub page_cache: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            drain_timeout: Duration::from_secs(20),
            per_address: Rate {
                per_second: 200,
                burst: 2000,
            },
            per_key: Rate {
                per_second: 100,
                burst: 1000,
            },
            submission_queue: 4096,
            page_cache: 64 << 20,
        }
    }
}

/// The write path's budgets at run time (one per server, in [`AppState`]).
pub struct Gate {
    pub limits: Limits,
    by_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    by_key: Option<DefaultKeyedRateLimiter<(String, usize)>>,
    queue: Arc<Semaphore>,
}

impl Gate {
    pub fn new(limits: Limits) -> Gate {
        Gate {
            by_address: limits.per_address.quota().map(RateLimiter::keyed),
            by_key: limits.per_key.quota().map(RateLimiter::keyed),
            queue: Arc::new(Semaphore::new(limits.submission_queue)),
            limits,
        }
    }

    /// Forgets the buckets of addresses and keys that are full again (called every minute by
    /// the listener), so the tables do not grow with every address ever seen.
    pub(crate) fn sweep(&self) {
        if let Some(l) = &self.by_address {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.by_key {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    fn check_address(&self, ip: IpAddr) -> Result<(), Duration> {
        let Some(l) = &self.by_address else {
            return Ok(());
        };
        l.check_key(&bucket(ip))
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    fn check_key(&self, election: &str, signer: usize) -> Result<(), Duration> {
        let Some(l) = &self.by_key else {
            return Ok(());
        };
        l.check_key(&(election.to_string(), signer))
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// The rate-limit bucket of an address: IPv6 clients get a /64 each (one host usually has a
/// whole /64, and a bucket per address would let it take 2^64 buckets).
fn bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// `Retry-After` in whole seconds, at least 1.
fn retry_after(wait: Duration) -> HeaderValue {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    HeaderValue::from(secs.max(1))
}

/// An error answer with `Retry-After`.
fn with_retry(err: ApiError, wait: Duration) -> Response {
    let mut resp = err.into_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, retry_after(wait));
    resp
}

/// 429 for the limit named `limit` (`address` or `key`, as the metrics label it).
fn rate_limited(limit: &'static str, wait: Duration) -> Response {
    crate::metrics::rate_limited(limit);
    let what = if limit == "key" {
        "reporter key"
    } else {
        "address"
    };
    with_retry(
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "too many requests from this {what}; retry in {} s",
                retry_after(wait).to_str().unwrap_or("1")
            ),
        ),
        wait,
    )
}

/// Middleware: the per-address limit of write requests (every POST), before the body is read.
pub async fn per_address(
    State(state): State<AppState>,
    req: Request<Body>,
    next: Next,
) -> Response {
    if req.method() == Method::POST {
        let peer = req
            .extensions()
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        if let Some(ip) = peer {
            if let Err(wait) = state.gate.check_address(ip) {
                return rate_limited("address", wait);
            }
        }
    }
    next.run(req).await
}

/// A submission through the write budgets: a place in the queue (503 when full), the
/// signature check (in this task), the per-key limit, then the sequencer.
pub async fn submit(
    state: &AppState,
    rt: &ElectionRuntime,
    bytes: Arc<[u8]>,
) -> Result<Outcome, Response> {
    let Ok(_place) = state.gate.queue.clone().try_acquire_owned() else {
        return Err(queue_full());
    };
    let verified = rt
        .verify(&bytes)
        .map_err(|e| crate::api::submit_error(e).into_response())?;
    if let Some(&signer) = verified.signers.first() {
        if let Err(wait) = state.gate.check_key(&rt.id, signer) {
            return Err(rate_limited("key", wait));
        }
    }
    rt.enqueue(bytes, verified).await.map_err(|e| match e {
        SubmitError::Busy => queue_full(),
        e => crate::api::submit_error(e).into_response(),
    })
}

/// A batch's way through the write budgets, once its signatures are checked: one place in the
/// queue and one request of each signing key's budget (a batch is one request of bounded size,
/// `MAX_BATCH_BODY`, which a county's file needs whole, so it is not charged per statement).
/// The place is held until the sequencer answers (drop the permit then).
// The refusal is the answer itself, returned straight to the handler: boxing it buys nothing.
#[allow(clippy::result_large_err)]
pub fn admit_batch(
    state: &AppState,
    rt: &ElectionRuntime,
    signers: impl IntoIterator<Item = usize>,
) -> Result<tokio::sync::OwnedSemaphorePermit, Response> {
    let Ok(place) = state.gate.queue.clone().try_acquire_owned() else {
        return Err(queue_full());
    };
    let mut seen = std::collections::BTreeSet::new();
    for signer in signers {
        if seen.insert(signer) {
            if let Err(wait) = state.gate.check_key(&rt.id, signer) {
                return Err(rate_limited("key", wait));
            }
        }
    }
    Ok(place)
}

/// 503 with `Retry-After: 1`: the queue to the sequencer is full.
pub fn queue_full() -> Response {
    crate::metrics::rate_limited("queue");
    with_retry(
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "too many submissions are waiting for the sequencer; retry in a moment",
        ),
        Duration::from_secs(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_host_is_one_bucket_per_64() {
        let a: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(bucket(a), bucket(b));
        assert_ne!(bucket(a), bucket(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(bucket(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after(Duration::from_millis(1)), "1");
        assert_eq!(retry_after(Duration::from_millis(1500)), "2");
        assert_eq!(retry_after(Duration::ZERO), "1");
    }

    #[test]
    fn a_rate_of_zero_is_no_limit() {
        assert!(Rate {
            per_second: 0,
            burst: 10
        }
        .quota()
        .is_none());
    }
}
