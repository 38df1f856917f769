//! `skytale bench ingest`: the end-to-end load tool.
//!
//! Builds a synthetic election with N polling stations in a fresh data directory, starts
//! `skytale serve` on it as a **separate process** (so the server's figures are its own), signs
//! one results statement per station up front, then posts them over HTTP with C concurrent
//! connections while a poller watches the results JSON. It reports accepted statements per
//! second, submit latency, and accept-to-visible latency (receipt → results JSON showing the
//! entry's tree size), and the server's peak memory.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use rand::rngs::StdRng;
use rand::SeedableRng;
use skytale_model::{PublicationMode, PublicationPolicy, Statement};
use skytale_store::{Location, Store};

use crate::client::Client;
use crate::loadconn::{leading_number, LoadConn};
use crate::submit::sign_statement;
use crate::synthetic;

pub struct IngestOptions {
    pub stations: usize,
    pub statements: Option<usize>,
    pub concurrency: usize,
    pub data_dir: Option<PathBuf>,
    /// Readers of the public pages during the upload wave (0: none).
    pub readers: usize,
    /// Newsrooms following the change feed during the wave (0: none), each every
    /// `follow_every`; and as many polling the whole results document, to compare.
    pub followers: usize,
    pub follow_every: Duration,
    /// A flood of bad input from another address during the wave.
    pub flood: Option<crate::sideload::FloodClass>,
    /// Connections of the flood.
    pub flood_connections: usize,
    /// Extra arguments for `skytale serve`.
    pub serve_args: Vec<String>,
    /// Statements per request: 1 posts each note alone, more posts batches (all or none).
    pub batch: usize,
    /// A command the server runs under (its words; e.g. `strace -f -e inject=…` for fault
    /// injection); empty: the server runs alone.
    pub serve_wrapper: Vec<String>,
    /// Publication by approval: the whole wave goes in under the embargo, then its approver
    /// approves it and the bench measures how long until it is public (the embargo lift).
    pub approval: bool,
    /// Port of the server (default: a free one), so a `skytale monitor` can follow the run.
    pub port: Option<u16>,
    /// Seconds the server stays up after the wave (for a monitor's last rounds).
    pub linger: u64,
    /// `change` webhooks registered before the wave, all to a receiver the bench runs.
    pub webhooks: usize,
    /// The server's database: SQLite in the data directory, or PostgreSQL (the bench works in
    /// a schema of its own there, `skytale_bench_<pid>`, made anew).
    pub store: Location,
}

/// What the bench reads of a batch's answer: each statement's log index. Typed, so the rest of
/// each receipt (checkpoint, proof) is skipped, not built: the load tool shares the cores with
/// the server it measures.
#[derive(serde::Deserialize)]
struct BatchAnswer {
    results: Vec<BatchItem>,
}

#[derive(serde::Deserialize)]
struct BatchItem {
    receipt: Option<BatchReceipt>,
}

#[derive(serde::Deserialize)]
struct BatchReceipt {
    index: u64,
}

/// A webhook receiver for the bench: answers 204 and counts what it got.
async fn webhook_sink() -> Result<(String, Arc<std::sync::atomic::AtomicU64>)> {
    let got = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let g = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            g.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async { axum::http::StatusCode::NO_CONTENT }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, got))
}

pub async fn ingest(opts: IngestOptions) -> Result<String> {
    let tmp;
    let dir = match &opts.data_dir {
        Some(d) => d.clone(),
        None => {
            tmp = std::env::temp_dir().join(format!("skytale-bench-{}", std::process::id()));
            tmp
        }
    };
    if dir.exists() {
        bail!(
            "{} exists; bench ingest needs a fresh data directory",
            dir.display()
        );
    }
    let t0 = Instant::now();
    let mut synth = synthetic::election("bench", opts.stations, 1, true)?;
    // An approver of its own: a key has one role in the ledger, and the authority's is hers.
    let approver = skytale_note::SigningKey::from_seed("bench-approver", [7; 32])
        .map_err(|e| anyhow!("cannot make the approver's key: {e}"))?;
    if opts.approval {
        synth.definition.publication = PublicationPolicy {
            mode: PublicationMode::Approval,
            approvers: vec![approver.verifier()],
            quorum: 1,
        };
    }
    let n = opts
        .statements
        .unwrap_or(opts.stations)
        .min(synth.stations.len());
    let location = match &opts.store {
        Location::Sqlite => Location::Sqlite,
        Location::Postgres(url) => Location::Postgres(skytale_store::pg::scratch_schema(
            url,
            &format!("skytale_bench_{}", std::process::id()),
        )?),
    };
    {
        let store = Store::open_at(&dir, &location)?;
        let head = crate::commands::sign_definition(&synth.definition, &synth.authority)?;
        skytale_server::create_election(&store, &head)?;
    }
    let sink = if opts.webhooks > 0 {
        let (url, got) = webhook_sink().await?;
        let subs = skytale_store::Subscriptions::open(&dir)?;
        for _ in 0..opts.webhooks {
            subs.add_webhook(
                "bench",
                &url,
                &skytale_server::push::webhooks::new_secret(),
                "change",
                "bench",
                &crate::now_rfc3339(),
            )?;
        }
        Some(got)
    } else {
        None
    };
    eprintln!(
        "election with {} units created in {:.1?} ({} store)",
        synth.definition.units.len(),
        t0.elapsed(),
        match &location {
            Location::Sqlite => "sqlite",
            Location::Postgres(_) => "postgres",
        }
    );

    // Sign up front: signing is the counties' work, not the server's.
    let t1 = Instant::now();
    let notes = sign_statements(&synth, n, 1)?;
    let avg_size = notes.iter().map(Vec::len).sum::<usize>() / notes.len().max(1);
    eprintln!(
        "{n} statements signed in {:.1?} (average {avg_size} bytes)",
        t1.elapsed()
    );

    // Start the server as its own process.
    let port = match opts.port {
        Some(p) => p,
        None => free_port()?,
    };
    eprintln!("server at http://127.0.0.1:{port}");
    let exe = std::env::current_exe().context("cannot find the skytale executable")?;
    let mut command = match opts.serve_wrapper.split_first() {
        Some((program, args)) => {
            let mut c = std::process::Command::new(program);
            c.args(args).arg(exe);
            c
        }
        None => std::process::Command::new(exe),
    };
    let mut child = command
        .args(["serve", "--data-dir"])
        .arg(&dir)
        .arg(format!("--store={location}"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        // One address and a few keys send everything: the rate limits would measure themselves.
        .args(["--address-rate", "0", "--key-rate", "0"])
        .args([
            "--max-connections",
            "100000",
            "--submission-queue",
            "1000000",
        ])
        .args(if sink.is_some() {
            &["--allow-private-push-targets"][..]
        } else {
            &[]
        })
        // Settings the caller adds (given last, so they win over the above).
        .args(&opts.serve_args)
        // The server logs warnings only, unless SKYTALE_BENCH_LOG asks for more (e.g. the
        // render timings at `skytale_server=debug`).
        .env(
            "RUST_LOG",
            std::env::var("SKYTALE_BENCH_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start skytale serve")?;
    let pid = child.id();
    let base = format!("http://127.0.0.1:{port}");
    let client = Arc::new(Client::new(&base)?);
    let ready = Instant::now();
    while client.election("bench").await.is_err() {
        if ready.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            bail!("the server did not come up within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Poll the results JSON for visibility: conditional GETs (304 while nothing changed), and
    // only the tree size near the document's start is read, so the poller costs the server and
    // the shared cores as little as a media outlet's poller would.
    let addr = format!("127.0.0.1:{port}");
    let seen: Arc<Mutex<Vec<(Instant, u64)>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let seen = seen.clone();
        let stop = stop.clone();
        let addr = addr.clone();
        tokio::spawn(async move {
            let path = "/api/v1/elections/bench/results";
            let mut conn: Option<LoadConn> = None;
            let mut etag: Option<String> = None;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if conn.is_none() {
                    conn = LoadConn::connect(&addr).await.ok();
                }
                if let Some(c) = conn.as_mut() {
                    match c.get(path, etag.as_deref()).await {
                        Ok(a) if a.status == 200 => {
                            if let Some(size) = leading_number(&a.body, "tree_size") {
                                seen.lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .push((Instant::now(), size));
                            }
                            etag = a.etag;
                        }
                        Ok(_) => {}
                        Err(_) => conn = None,
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };

    // Readers and a flood beside the reporter, from the first statement to the last.
    let side_stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reading = if opts.readers > 0 {
        let paths = crate::sideload::crawl(&addr, 5_000).await;
        eprintln!("readers: {} on {} pages", opts.readers, paths.len());
        Some(crate::sideload::readers(
            addr.clone(),
            Arc::new(paths),
            opts.readers,
            side_stop.clone(),
        ))
    } else {
        None
    };
    let following = (opts.followers > 0).then(|| {
        [
            crate::sideload::Follow::Changes,
            crate::sideload::Follow::Results,
        ]
        .map(|kind| {
            crate::sideload::followers(
                addr.clone(),
                "bench".into(),
                opts.followers,
                opts.follow_every,
                kind,
                side_stop.clone(),
            )
        })
    });
    let flooding = opts.flood.map(|class| {
        crate::sideload::flood(
            addr.clone(),
            "/api/v1/elections/bench/submissions".into(),
            class,
            opts.flood_connections.max(1),
            notes.first().cloned().unwrap_or_default(),
            side_stop.clone(),
        )
    });
    let queue = Arc::new(Mutex::new(notes));
    let receipts: Arc<Mutex<Vec<(Instant, Duration, u64)>>> =
        Arc::new(Mutex::new(Vec::with_capacity(n)));
    let failures = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let server_cpu0 = cpu_seconds(&format!("/proc/{pid}/stat"));
    let client_cpu0 = cpu_seconds("/proc/self/stat");
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..opts.concurrency.max(1) {
        let (queue, receipts, failures) = (queue.clone(), receipts.clone(), failures.clone());
        let batch = opts.batch.max(1);
        let addr = addr.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn: Option<LoadConn> = None;
            let path = if batch > 1 {
                "/api/v1/elections/bench/submissions/batch"
            } else {
                "/api/v1/elections/bench/submissions"
            };
            loop {
                let note = {
                    let mut q = queue.lock().unwrap_or_else(|p| p.into_inner());
                    if batch > 1 {
                        // A county's file: up to `batch` notes as one JSON array of strings.
                        let from = q.len() - q.len().min(batch);
                        let notes: Vec<String> = q
                            .split_off(from)
                            .into_iter()
                            .map(|n| String::from_utf8_lossy(&n).into_owned())
                            .collect();
                        if notes.is_empty() {
                            None
                        } else {
                            serde_json::to_vec(&notes).ok()
                        }
                    } else {
                        q.pop()
                    }
                };
                let Some(note) = note else {
                    break;
                };
                let sent = Instant::now();
                if conn.is_none() {
                    conn = LoadConn::connect(&addr).await.ok();
                }
                let answer = match conn.as_mut() {
                    Some(c) => c.post(path, &note).await,
                    None => Err(anyhow!("cannot connect to {addr}")),
                };
                if batch > 1 {
                    match answer
                        .ok()
                        .filter(|a| a.status == 200 || a.status == 201)
                        .and_then(|a| serde_json::from_slice::<BatchAnswer>(&a.body).ok())
                    {
                        Some(v) => {
                            let now = Instant::now();
                            let mut r = receipts.lock().unwrap_or_else(|p| p.into_inner());
                            for x in v.results {
                                match x.receipt.map(|r| r.index) {
                                    Some(index) => r.push((now, sent.elapsed(), index)),
                                    None => {
                                        failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                    }
                                }
                            }
                        }
                        None => {
                            conn = None;
                            if failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 5 {
                                eprintln!("a batch was not accepted");
                            }
                        }
                    }
                    continue;
                }
                match answer {
                    Ok(a) if a.status == 201 || a.status == 200 => {
                        match leading_number(&a.body, "index") {
                            Some(index) => receipts
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push((Instant::now(), sent.elapsed(), index)),
                            None => {
                                if failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 5 {
                                    eprintln!(
                                        "a receipt without an index: {}",
                                        String::from_utf8_lossy(&a.body)
                                    );
                                }
                            }
                        }
                    }
                    Ok(a) => {
                        if failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 5 {
                            eprintln!(
                                "not accepted ({}): {}",
                                a.status,
                                String::from_utf8_lossy(&a.body)
                            );
                        }
                    }
                    Err(e) => {
                        conn = None;
                        if failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 5 {
                            eprintln!("error: {e:#}");
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let elapsed = start.elapsed();
    side_stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let read_stats = match reading {
        Some(r) => Some(r.await?),
        None => None,
    };
    let flood_stats = match flooding {
        Some(f) => Some(f.await?),
        None => None,
    };
    let follow_stats = match following {
        Some([changes, results]) => Some((changes.await?, results.await?)),
        None => None,
    };
    let server_cpu =
        cpu_seconds(&format!("/proc/{pid}/stat")).map(|c| c - server_cpu0.unwrap_or(0.0));
    let client_cpu = cpu_seconds("/proc/self/stat").map(|c| c - client_cpu0.unwrap_or(0.0));
    // Let the last publication render.
    let deadline = Instant::now() + Duration::from_secs(5);
    let final_size = receipts
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|(_, _, index)| index + 1)
        .max()
        .unwrap_or(0);
    while Instant::now() < deadline {
        let last = seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .last()
            .map(|(_, s)| *s)
            .unwrap_or(0);
        if last >= final_size {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    poller.await?;
    let lift = if opts.approval {
        Some(lift_embargo(&client, &approver, final_size).await?)
    } else {
        None
    };
    if opts.linger > 0 {
        eprintln!(
            "the wave is over; the server stays up {} s (or until SIGINT)",
            opts.linger
        );
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(opts.linger)) => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    let peak_kib = peak_rss_kib(pid);
    // A server that stopped by itself (a failed write under fault injection) says so here.
    let exited = child.try_wait().ok().flatten();
    let _ = child.kill();
    let _ = child.wait();
    if opts.data_dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }

    let receipts = receipts.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let seen = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mut submit_lat: Vec<Duration> = receipts.iter().map(|(_, l, _)| *l).collect();
    submit_lat.sort();
    let mut visible: Vec<Duration> = receipts
        .iter()
        .filter_map(|(at, _, index)| {
            seen.iter()
                .find(|(t, size)| *size > *index && *t >= *at)
                .map(|(t, _)| t.duration_since(*at))
                .or_else(|| {
                    seen.iter()
                        .find(|(_, size)| *size > *index)
                        .map(|_| Duration::ZERO)
                })
        })
        .collect();
    visible.sort();
    let ok = receipts.len();
    let rate = ok as f64 / elapsed.as_secs_f64();
    let mut out = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "bench ingest: {} polling stations, {n} statements, {} connections, {} per request",
        opts.stations,
        opts.concurrency,
        opts.batch.max(1)
    );
    let _ = writeln!(
        out,
        "  accepted:            {ok} ({} failed) in {:.2?}",
        failures.load(std::sync::atomic::Ordering::Relaxed),
        elapsed
    );
    let _ = writeln!(
        out,
        "  throughput:          {rate:.0} accepted statements/s"
    );
    let _ = writeln!(
        out,
        "  submit latency:      p50 {:?}  p99 {:?}",
        crate::sideload::pct(&submit_lat, 50),
        crate::sideload::pct(&submit_lat, 99)
    );
    let _ = writeln!(
        out,
        "  accept-to-visible:   p50 {:?}  p99 {:?}  ({} of {ok} observed)",
        crate::sideload::pct(&visible, 50),
        crate::sideload::pct(&visible, 99),
        visible.len()
    );
    if let Some(l) = &lift {
        let _ = writeln!(
            out,
            "  embargo lift:        staged site at the wave's size {:?} after it; approval of size {} sequenced in {:?}; public results JSON {:?} and every page {:?} after it",
            l.staged, l.size, l.approve, l.results, l.site
        );
    }
    if let Some(r) = &read_stats {
        let _ = writeln!(
            out,
            "  readers:             {} pages/s ({} pages, {} other answers, {} errors)  p50 {:?}  p99 {:?}",
            (r.ok as f64 / r.elapsed.as_secs_f64().max(1e-9)) as u64,
            r.ok,
            r.other,
            r.errors,
            crate::sideload::pct(&r.latencies, 50),
            crate::sideload::pct(&r.latencies, 99)
        );
    }
    if let Some((changes, results)) = &follow_stats {
        for (what, r) in [("change feed", changes), ("results JSON", results)] {
            let secs = r.elapsed.as_secs_f64().max(1e-9);
            let _ = writeln!(
                out,
                "  {} followers of the {what:<12} every {:?}: {} req/s, {} kB/s (gzip), {} other answers, {} errors  p50 {:?}  p99 {:?}",
                opts.followers,
                opts.follow_every,
                (r.ok as f64 / secs) as u64,
                (r.bytes as f64 / secs / 1000.0) as u64,
                r.other,
                r.errors,
                crate::sideload::pct(&r.latencies, 50),
                crate::sideload::pct(&r.latencies, 99)
            );
        }
    }
    if let (Some(f), Some(class)) = (&flood_stats, opts.flood) {
        let _ = writeln!(
            out,
            "  flood {class:?}: {} sent over {} connections, answers {:?}, connections closed {}",
            f.sent, opts.flood_connections, f.statuses, f.closed
        );
    }
    if let Some(got) = &sink {
        let _ = writeln!(
            out,
            "  webhooks:            {} change webhooks, {} deliveries received by the end",
            opts.webhooks,
            got.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
    if let Some(status) = exited {
        let _ = writeln!(out, "  server stopped by itself during the run: {status}");
    }
    if let Some(k) = peak_kib {
        let _ = writeln!(out, "  server peak RSS:     {} MiB", k / 1024);
    }
    // CPU time per statement does not depend on what else the machine is doing, unlike the
    // rate: 2 cores / (server + client CPU per statement) bounds the rate on an idle machine.
    if let (Some(s), Some(c)) = (server_cpu, client_cpu) {
        let per = |cpu: f64| cpu / ok.max(1) as f64 * 1e6;
        let _ = writeln!(
            out,
            "  CPU per statement:   server {:.0} µs, load client {:.0} µs (bound on 2 idle cores: {:.0}/s)",
            per(s),
            per(c),
            2.0 / ((s + c) / ok.max(1) as f64)
        );
    }
    Ok(out)
}

/// What the end of an embargo took, measured from the approval's receipt.
struct Lift {
    /// The approved (published) tree size.
    size: u64,
    /// From the end of the wave until the site thread had rendered it privately (the
    /// embargo's staged site); a real embargo lasts hours, so the lift starts from there.
    staged: Duration,
    /// Signing and sending the approval until its receipt (it is sequenced then).
    approve: Duration,
    /// Until the results document names the approved size.
    results: Duration,
    /// Until every page of the site is rendered at the approved size.
    site: Duration,
}

/// Approves the log's content as the synthetic election's one approver, then
/// watches the snapshot document until the results and the whole site are public at the
/// approved size. During the embargo nothing past the first entries may be public: checked
/// before approving, since a leak would make the lift meaningless.
async fn lift_embargo(
    client: &Client,
    approver: &skytale_note::SigningKey,
    statements_end: u64,
) -> Result<Lift> {
    let before = client.snapshot("bench").await?;
    if before.tree_size >= statements_end && statements_end > 1 {
        bail!(
            "the embargo leaked: the public snapshot is at size {} before any approval",
            before.tree_size
        );
    }
    // The staged site catches up with the wave (its renders are paced while statements
    // arrive) before the officials give the go-ahead.
    let wave_end = Instant::now();
    let series = "skytale_site_staged_size{election=\"bench\"}";
    while client.metric(series).await?.unwrap_or(0.0) < statements_end as f64 {
        if wave_end.elapsed() > Duration::from_secs(600) {
            bail!("the staged site did not reach size {statements_end} within 600 s of the wave's end");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let staged = wave_end.elapsed();
    let sent = Instant::now();
    let (size, _) = crate::submit::approve_with(client, "bench", approver, None).await?;
    let acked = Instant::now();
    let deadline = acked + Duration::from_secs(120);
    let (mut results, mut site) = (None, None);
    while results.is_none() || site.is_none() {
        if Instant::now() > deadline {
            bail!("the approved size {size} was not public 120 s after its approval");
        }
        let s = client.snapshot("bench").await?;
        if results.is_none() && s.tree_size >= size {
            results = Some(acked.elapsed());
        }
        if site.is_none() && s.site_complete_at.is_some_and(|n| n >= size) {
            site = Some(acked.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(Lift {
        size,
        staged,
        approve: acked - sent,
        results: results.unwrap_or_default(),
        site: site.unwrap_or_default(),
    })
}

/// A port free on the loopback interface now (for a server started as its own process).
pub(crate) fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// User + system CPU seconds of a process from `/proc/<pid>/stat` (USER_HZ is 100 on Linux).
fn cpu_seconds(stat_path: &str) -> Option<f64> {
    let s = std::fs::read_to_string(stat_path).ok()?;
    // The command name may contain spaces; fields resume after its closing parenthesis.
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Signs `versions` results statements for each of the first `n` stations, station-major
/// within each version (so a version is sent only after the one before it for every station),
/// on every core: signing is the counties' work, not the server's.
pub(crate) fn sign_statements(
    synth: &synthetic::Synthetic,
    n: usize,
    versions: u64,
) -> Result<Vec<Vec<u8>>> {
    let now = crate::now_rfc3339();
    let n = n.min(synth.stations.len());
    let total = n * versions as usize;
    let workers = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(2);
    let out: Vec<Vec<(usize, Vec<u8>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let now = &now;
                s.spawn(move || -> Result<Vec<(usize, Vec<u8>)>> {
                    let mut rng = StdRng::seed_from_u64(w as u64);
                    let mut v = Vec::new();
                    for j in (w..total).step_by(workers) {
                        let st = &synth.stations[j % n];
                        let version = (j / n) as u64 + 1;
                        let r = synthetic::station_results(synth, st, version, now, &mut rng);
                        v.push((
                            j,
                            sign_statement(&synth.reporters[st.reporter], &Statement::Results(r))?,
                        ));
                    }
                    Ok(v)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| anyhow!("a signing thread panicked"))?)
            .collect::<Result<Vec<_>>>()
    })?;
    let mut all: Vec<(usize, Vec<u8>)> = out.into_iter().flatten().collect();
    all.sort_by_key(|(j, _)| *j);
    Ok(all.into_iter().map(|(_, b)| b).collect())
}
