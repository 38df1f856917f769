//! The listener: our own accept loop over hyper's HTTP/1 connections, because `axum::serve`
//! has no timeouts and no connection cap, and without them 200 slow clients or 5,000 idle
//! keep-alives hold the process's file descriptors for ever.
//!
//! - **Connection cap.** A connection takes a place ([`Limits::max_connections`], lowered to
//!   the file limit less [`FILE_HEADROOM`]) before it is accepted; when none is free the loop
//!   stops accepting and the kernel's backlog holds the rest, so the process never runs into
//!   "Too many open files" and the connections it has are served.
//! - **Timeouts.** A watchdog per connection closes it when a request's header has not
//!   arrived whole within [`Limits::header_timeout`] of its first byte (slowloris), or when no
//!   byte moved either way for [`Limits::idle_timeout`] (idle keep-alives, stalled uploads,
//!   readers that stopped reading). When fewer than a tenth of the places are free, a
//!   connection between requests may idle only as long as a header may take, so idle
//!   keep-alives make way for new clients instead of holding the cap for the idle timeout. hyper's own header timer also runs while a keep-alive
//!   connection waits for its next request, which would make both one setting.
//! - **Accept errors** (EMFILE when something else took the descriptors) back off from 10 ms
//!   to 1 s instead of spinning, and are logged summarised ([`crate::metrics`]).
//! - **Drain.** When the shutdown future resolves the listener closes, every connection
//!   finishes the request it is serving (a submission gets its receipt: the sequencer commits
//!   what it was handed) and closes; after [`Limits::drain_timeout`] whatever is still open
//!   (an event stream) is dropped.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt as _;

use crate::limits::{Gate, Limits};

/// File descriptors kept free under the process's limit for everything that is not a client
/// connection: the database and its WAL, the log key, the witness clients, the election
/// watcher.
pub const FILE_HEADROOM: u64 = 128;

/// Raises the soft limit on open files to the hard limit (a server needs more than the usual
/// 1,024) and returns the soft limit in force, if it can be read.
pub fn raise_file_limit() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getrlimit, setrlimit, Resource};
        let mut lim = getrlimit(Resource::Nofile);
        if lim.current < lim.maximum {
            lim.current = lim.maximum;
            if let Err(e) = setrlimit(Resource::Nofile, lim) {
                tracing::warn!(error = %e, "cannot raise the open-file limit");
            }
        }
        getrlimit(Resource::Nofile).current
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// Turns transparent huge pages off for the process. Why: the allocator hands memory back
/// and takes it again as requests come and go, and with huge pages each fresh touch made the
/// kernel zero 2 MiB; under `skytale bench ingest --batch 100` at 200,000 stations that
/// zeroing was 11 % of the server's CPU, and turning it off gave about 3 % more statements
/// per second and 10 % less memory (same run, alternated three times).
pub fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::warn!(error = %e, "cannot turn transparent huge pages off");
    }
}

/// The connection cap in force: the setting, but never closer than [`FILE_HEADROOM`] to the
/// file limit.
pub fn connection_cap(limits: &Limits, file_limit: Option<u64>) -> usize {
    let by_files = file_limit.map_or(usize::MAX, |n| {
        usize::try_from(n.saturating_sub(FILE_HEADROOM)).unwrap_or(usize::MAX)
    });
    limits.max_connections.min(by_files).max(1)
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains (see the module doc).
pub(crate) async fn run(
    listener: TcpListener,
    app: Router,
    gate: Arc<Gate>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = gate.limits.clone();
    no_transparent_huge_pages();
    let cap = connection_cap(&limits, raise_file_limit());
    if cap < limits.max_connections {
        tracing::warn!(
            cap,
            setting = limits.max_connections,
            "the open-file limit lowers the connection cap"
        );
    }
    let places = Arc::new(Semaphore::new(cap));
    let (close_tx, close_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut backoff = Duration::ZERO;
    let mut sweep = tokio::time::interval(Duration::from_secs(60));
    loop {
        let place = tokio::select! {
            p = places.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
            _ = sweep.tick() => { gate.sweep(); continue; }
        };
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = &mut shutdown => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff = Duration::ZERO;
                let _ = stream.set_nodelay(true);
                crate::metrics::connection_opened();
                tokio::spawn(connection(
                    stream,
                    peer,
                    app.clone(),
                    limits.clone(),
                    close_rx.clone(),
                    Place {
                        _permit: place,
                        places: places.clone(),
                        cap,
                    },
                ));
            }
            Err(e) => {
                drop(place);
                crate::metrics::accept_error(&e);
                backoff = (backoff * 2).clamp(Duration::from_millis(10), Duration::from_secs(1));
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = &mut shutdown => break,
                }
            }
        }
    }
    drop(listener);
    tracing::info!("no longer accepting; draining open connections");
    let _ = close_tx.send(true);
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    if tokio::time::timeout(limits.drain_timeout, places.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            open = cap - places.available_permits(),
            "connections still open after the drain timeout are dropped"
        );
    }
    Ok(())
}

/// What the watchdog of a connection knows: the last time a byte moved, when the header being
/// read started, and whether a request is being handled.
struct Activity {
    epoch: Instant,
    /// Milliseconds since `epoch` of the last byte read or written.
    last: AtomicU64,
    /// Milliseconds since `epoch` (plus one) of the first byte of the request head being
    /// read; 0 when none is.
    head: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn read(&self) {
        let now = self.now();
        self.last.store(now, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Relaxed) == 0 && self.head.load(Ordering::Relaxed) == 0 {
            self.head.store(now + 1, Ordering::Relaxed);
        }
    }

    fn wrote(&self) {
        self.last.store(self.now(), Ordering::Relaxed);
    }

    /// Why the connection is to be closed now, if it is. Under pressure (few places left) a
    /// connection between requests may idle only as long as a header may take.
    fn expired(&self, limits: &Limits, pressure: bool) -> Option<&'static str> {
        let now = self.now();
        let head = self.head.load(Ordering::Relaxed);
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        if head != 0 && now.saturating_sub(head - 1) > ms(limits.header_timeout) {
            return Some("header_timeout");
        }
        let idle = now.saturating_sub(self.last.load(Ordering::Relaxed));
        if idle > ms(limits.idle_timeout) {
            return Some("idle_timeout");
        }
        let between_requests = self.in_flight.load(Ordering::Relaxed) == 0 && head == 0;
        if pressure && between_requests && idle > ms(limits.header_timeout) {
            return Some("idle_under_pressure");
        }
        None
    }
}

/// Marks a request as handled until dropped (its response head is ready).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(a: Arc<Activity>) -> InFlight {
        a.in_flight.fetch_add(1, Ordering::Relaxed);
        a.head.store(0, Ordering::Relaxed);
        InFlight(a)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.wrote();
    }
}

/// A TCP stream that tells its [`Activity`] about every byte.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A connection's place under the cap (given back when dropped), and a view of how many are
/// left.
struct Place {
    _permit: OwnedSemaphorePermit,
    places: Arc<Semaphore>,
    cap: usize,
}

impl Place {
    /// Fewer than a tenth of the places are free: idle keep-alives make way for new clients.
    fn pressure(&self) -> bool {
        self.places.available_permits() < self.cap / 10
    }
}

/// Serves one connection under its watchdog; its place is given back when it closes.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: Limits,
    mut close: watch::Receiver<bool>,
    place: Place,
) {
    let activity = Arc::new(Activity {
        epoch: Instant::now(),
        last: AtomicU64::new(0),
        head: AtomicU64::new(0),
        in_flight: AtomicUsize::new(0),
    });
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
    });
    let svc_activity = activity.clone();
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        let guard = InFlight::start(svc_activity.clone());
        req.extensions_mut().insert(ConnectInfo(peer));
        let call = app.clone().oneshot(req);
        async move {
            let resp = call.await;
            drop(guard);
            resp
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The watchdog applies the header timeout (see the module doc).
    builder.timer(TokioTimer::new()).header_read_timeout(None);
    let conn = builder.serve_connection(io, svc);
    let mut conn = std::pin::pin!(conn);
    let tick = (limits.header_timeout.min(limits.idle_timeout) / 4)
        .clamp(Duration::from_millis(5), Duration::from_secs(1));
    let mut ticker = tokio::time::interval(tick);
    let mut closing = false;
    let mut timed_out = None;
    if *close.borrow() {
        closing = true;
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                break;
            }
            _ = ticker.tick() => {
                if let Some(why) = activity.expired(&limits, place.pressure()) {
                    timed_out = Some(why);
                    break;
                }
            }
            _ = close.changed(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
    crate::metrics::connection_closed(timed_out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_headroom_under_the_file_limit() {
        let limits = Limits {
            max_connections: 4096,
            ..Limits::default()
        };
        assert_eq!(connection_cap(&limits, Some(1024)), 1024 - 128);
        assert_eq!(connection_cap(&limits, Some(1 << 20)), 4096);
        assert_eq!(connection_cap(&limits, None), 4096);
        assert_eq!(connection_cap(&limits, Some(10)), 1);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_are_off_for_the_process_once_asked() {
        no_transparent_huge_pages();
        assert!(rustix::thread::transparent_huge_pages_are_disabled().unwrap());
    }
}
