//! Load beside `bench ingest`'s reporter: readers of the public pages, and floods of bad input
//! from another address. Run by hand; the figures go in the closing notes, never in CI.
//!
//! Readers behave like new visitors (no `If-None-Match`): each GETs a random page of the
//! election and reads it whole, and the report gives pages per second and the latency
//! percentiles. A flood sends one class of bad input as fast as its connections allow, from
//! 127.0.0.2 so that the server's per-address limits see a second client, as they would see a
//! real attacker; the reporter's own figures beside it show what the flood costs.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::loadconn::LoadConn;

/// Bad input a flood sends.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloodClass {
    /// Well-formed statements whose signature is wrong (one byte of it changed).
    BadSignature,
    /// Bytes that are no signed note at all.
    Garbage,
    /// A body of 4 MiB.
    Oversize,
    /// Connections that send half a request head, then a byte now and then (slowloris).
    Slowloris,
    /// Connections opened and left idle.
    Idle,
}

/// What the readers saw.
#[derive(Default)]
pub struct ReaderStats {
    pub ok: u64,
    pub other: u64,
    pub errors: u64,
    pub latencies: Vec<Duration>,
    pub elapsed: Duration,
    /// Body bytes received (as sent: compressed where the reader asked for it).
    pub bytes: u64,
}

impl ReaderStats {
    /// Adds one reader's figures to the total.
    fn absorb(&mut self, mine: ReaderStats) {
        self.ok += mine.ok;
        self.other += mine.other;
        self.errors += mine.errors;
        self.bytes += mine.bytes;
        self.latencies.extend(mine.latencies);
    }

    /// Waits for every reader, then the total over `since` with latencies sorted.
    async fn gather(
        tasks: Vec<tokio::task::JoinHandle<()>>,
        stats: Arc<Mutex<ReaderStats>>,
        since: Instant,
    ) -> ReaderStats {
        for t in tasks {
            let _ = t.await;
        }
        let mut s = std::mem::take(&mut *stats.lock().unwrap_or_else(|p| p.into_inner()));
        s.elapsed = since.elapsed();
        s.latencies.sort();
        s
    }
}

/// What a newsroom's poller follows: the change feed from its cursor, or the whole results
/// document with its ETag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Follow {
    Changes,
    Results,
}

/// `n` pollers of election `election` until `stop`, each asking every `every` (gzip, keep-
/// alive, conditional): change-feed followers start from the beginning and then ask from the
/// cursor the last answer named (its `Skytale-Snapshot`); results pollers send the last ETag.
/// Start times are spread over one period, as outlets' are.
pub fn followers(
    addr: String,
    election: String,
    n: usize,
    every: Duration,
    kind: Follow,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<ReaderStats> {
    tokio::spawn(async move {
        let stats = Arc::new(Mutex::new(ReaderStats::default()));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for f in 0..n {
            let (addr, election, stop, stats) =
                (addr.clone(), election.clone(), stop.clone(), stats.clone());
            tasks.push(tokio::spawn(async move {
                let offset = every.mul_f64(f as f64 / n.max(1) as f64);
                tokio::time::sleep(offset).await;
                let mut conn: Option<LoadConn> = None;
                let mut mine = ReaderStats::default();
                let mut cursor: Option<u64> = None;
                let mut etag: Option<String> = None;
                while !stop.load(Ordering::Relaxed) {
                    let path = match (kind, cursor) {
                        (Follow::Changes, None) => format!("/api/v1/elections/{election}/changes"),
                        (Follow::Changes, Some(c)) => {
                            format!("/api/v1/elections/{election}/changes?since={c}")
                        }
                        (Follow::Results, _) => format!("/api/v1/elections/{election}/results"),
                    };
                    if conn.is_none() {
                        conn = LoadConn::connect(&addr).await.ok();
                    }
                    let t = Instant::now();
                    let answer = match conn.as_mut() {
                        Some(c) => c.get_encoded(&path, etag.as_deref(), Some("gzip")).await,
                        None => Err(anyhow::anyhow!("cannot connect")),
                    };
                    match answer {
                        Ok(a) if a.status == 200 || a.status == 304 => {
                            mine.ok += 1;
                            mine.bytes += a.body.len() as u64;
                            mine.latencies.push(t.elapsed());
                            if kind == Follow::Changes {
                                cursor = a.snapshot.or(cursor);
                            } else if a.etag.is_some() {
                                etag = a.etag;
                            }
                        }
                        Ok(_) => mine.other += 1,
                        Err(_) => {
                            mine.errors += 1;
                            conn = None;
                        }
                    }
                    tokio::time::sleep(every.saturating_sub(t.elapsed())).await;
                }
                stats.lock().unwrap_or_else(|p| p.into_inner()).absorb(mine);
            }));
        }
        ReaderStats::gather(tasks, stats, start).await
    })
}

/// What a flood sent and how it was answered.
#[derive(Default)]
pub struct FloodStats {
    pub sent: u64,
    /// Answers by status code.
    pub statuses: std::collections::BTreeMap<u16, u64>,
    /// Connections the server closed or refused.
    pub closed: u64,
}

/// Starts `n` readers on `paths` until `stop`.
pub fn readers(
    addr: String,
    paths: Arc<Vec<String>>,
    n: usize,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<ReaderStats> {
    tokio::spawn(async move {
        let stats = Arc::new(Mutex::new(ReaderStats::default()));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for r in 0..n {
            let (addr, paths, stop, stats) =
                (addr.clone(), paths.clone(), stop.clone(), stats.clone());
            tasks.push(tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(r as u64);
                let mut conn: Option<LoadConn> = None;
                let mut mine = ReaderStats::default();
                while !stop.load(Ordering::Relaxed) && !paths.is_empty() {
                    let path = &paths[rng.gen_range(0..paths.len())];
                    if conn.is_none() {
                        conn = LoadConn::connect(&addr).await.ok();
                    }
                    let t = Instant::now();
                    let answer = match conn.as_mut() {
                        Some(c) => c.get(path, None).await,
                        None => Err(anyhow::anyhow!("cannot connect")),
                    };
                    match answer {
                        Ok(a) if a.status == 200 => {
                            mine.ok += 1;
                            mine.latencies.push(t.elapsed());
                        }
                        Ok(_) => mine.other += 1,
                        Err(_) => {
                            mine.errors += 1;
                            conn = None;
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
                stats.lock().unwrap_or_else(|p| p.into_inner()).absorb(mine);
            }));
        }
        ReaderStats::gather(tasks, stats, start).await
    })
}

/// Starts a flood of `class` over `n` connections from 127.0.0.2 until `stop`. `sample` is a
/// valid signed statement the bad ones are made from.
pub fn flood(
    addr: String,
    path: String,
    class: FloodClass,
    n: usize,
    sample: Vec<u8>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<FloodStats> {
    tokio::spawn(async move {
        let from: IpAddr = [127, 0, 0, 2].into();
        let stats = Arc::new(Mutex::new(FloodStats::default()));
        let sent = Arc::new(AtomicU64::new(0));
        let body = Arc::new(bad_body(class, &sample));
        let mut tasks = Vec::new();
        for _ in 0..n {
            let (addr, path, stop, stats, sent, body) = (
                addr.clone(),
                path.clone(),
                stop.clone(),
                stats.clone(),
                sent.clone(),
                body.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut conn: Option<LoadConn> = None;
                while !stop.load(Ordering::Relaxed) {
                    if conn.is_none() {
                        match LoadConn::connect_from(&addr, from).await {
                            Ok(c) => conn = Some(c),
                            Err(_) => {
                                record_closed(&stats);
                                tokio::time::sleep(Duration::from_millis(20)).await;
                                continue;
                            }
                        }
                    }
                    let Some(c) = conn.as_mut() else { continue };
                    match class {
                        FloodClass::Idle => {
                            // Hold the connection; notice when the server closes it.
                            let head = format!("GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n");
                            if c.send_raw(head.as_bytes()).await.is_err()
                                || c.answer().await.is_err()
                            {
                                record_closed(&stats);
                                conn = None;
                                continue;
                            }
                            sent.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                        FloodClass::Slowloris => {
                            let head = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nX-a: ");
                            if c.send_raw(head.as_bytes()).await.is_err() {
                                record_closed(&stats);
                                conn = None;
                                continue;
                            }
                            sent.fetch_add(1, Ordering::Relaxed);
                            // A byte now and then, never the end of the head.
                            loop {
                                if stop.load(Ordering::Relaxed) {
                                    break;
                                }
                                tokio::time::sleep(Duration::from_millis(500)).await;
                                if c.send_raw(b"a").await.is_err() {
                                    break;
                                }
                            }
                            record_closed(&stats);
                            conn = None;
                        }
                        _ => {
                            sent.fetch_add(1, Ordering::Relaxed);
                            match c.post(&path, &body).await {
                                Ok(a) => {
                                    *stats
                                        .lock()
                                        .unwrap_or_else(|p| p.into_inner())
                                        .statuses
                                        .entry(a.status)
                                        .or_default() += 1;
                                }
                                Err(_) => {
                                    record_closed(&stats);
                                    conn = None;
                                }
                            }
                        }
                    }
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
        let mut s = std::mem::take(&mut *stats.lock().unwrap_or_else(|p| p.into_inner()));
        s.sent = sent.load(Ordering::Relaxed);
        s
    })
}

fn record_closed(stats: &Mutex<FloodStats>) {
    stats.lock().unwrap_or_else(|p| p.into_inner()).closed += 1;
}

/// The body a flood of `class` posts.
fn bad_body(class: FloodClass, sample: &[u8]) -> Vec<u8> {
    match class {
        FloodClass::BadSignature => {
            // The signature line is the last line: `— name base64`. Change one character of
            // its base64 (keeping it base64), so the note parses and only the signature fails.
            let mut b = sample.to_vec();
            let end = b.len().saturating_sub(2);
            if let Some(c) = b.get_mut(end.saturating_sub(10)) {
                *c = if *c == b'A' { b'B' } else { b'A' };
            }
            b
        }
        FloodClass::Garbage => {
            let mut rng = StdRng::seed_from_u64(1);
            (0..600).map(|_| rng.gen_range(32u8..127)).collect()
        }
        FloodClass::Oversize => vec![b'a'; 4 * 1024 * 1024],
        FloodClass::Slowloris | FloodClass::Idle => Vec::new(),
    }
}

/// The `p`th percentile of sorted latencies.
pub fn pct(v: &[Duration], p: usize) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v[((v.len() - 1) * p) / 100]
}

/// The site's pages reachable from `/` by links, breadth first, at most `max` (what the readers
/// read). Only same-site paths ending in `/` (pages, not files) are followed.
pub async fn crawl(addr: &str, max: usize) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut queue = std::collections::VecDeque::from([String::from("/")]);
    let mut pages = Vec::new();
    let Ok(mut conn) = LoadConn::connect(addr).await else {
        return pages;
    };
    while let Some(path) = queue.pop_front() {
        if pages.len() >= max {
            break;
        }
        let Ok(a) = conn.get(&path, None).await else {
            break;
        };
        if a.status != 200 {
            continue;
        }
        pages.push(path);
        let body = String::from_utf8_lossy(&a.body);
        for part in body.split("href=\"").skip(1) {
            let Some(link) = part.split('"').next() else {
                continue;
            };
            if link.starts_with('/') && link.ends_with('/') && seen.insert(link.to_string()) {
                queue.push_back(link.to_string());
            }
        }
    }
    pages
}
