//! `skytale bench crash`: the crash drill, run by hand (never in CI).
//!
//! Starts `skytale serve` as a separate process on a synthetic election, posts signed
//! statements at full speed over many connections, and kills the server with SIGKILL at a
//! random moment, again and again. After every kill it opens the store the way the next start
//! will and checks every receipt the server ever gave: the entry at the receipt's index must
//! be exactly the statement that was sent, and no two checkpoints seen (in receipts or in the
//! store) may name one size with two roots. Statements in flight at the kill are sent again on
//! the next start, as a county's client would; the same note sent twice must get the same
//! entry, never a second one. The report gives kills, receipts checked, entries lost, forks,
//! and the time from restart to the first new receipt.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use skytale_store::Store;

use crate::loadconn::LoadConn;
use crate::synthetic;

/// What the drill is asked to do.
pub struct CrashOptions {
    /// Polling stations of the synthetic election.
    pub stations: usize,
    /// Versions signed per station (the supply of statements is stations × versions).
    pub versions: u64,
    /// Kills to perform.
    pub kills: usize,
    /// Concurrent connections posting.
    pub concurrency: usize,
    /// Longest time the server runs under load before it is killed (the kill falls at a
    /// uniformly random moment up to this).
    pub max_run: Duration,
    /// Data directory (must not exist); default a temporary one, removed at the end.
    pub data_dir: Option<PathBuf>,
    /// Extra arguments for `skytale serve` (e.g. rate limits raised for a load from one
    /// address).
    pub serve_args: Vec<String>,
}

/// One receipt the server gave.
#[derive(Clone)]
struct Acked {
    index: u64,
    note: usize,
}

/// A receipt of this run: note number, index, checkpoint text, flagged as already there.
type Got = (usize, u64, String, bool);

/// Everything seen across runs.
#[derive(Default)]
struct Seen {
    acked: Vec<Acked>,
    /// note number → the index its receipts named (all must agree).
    index_of: HashMap<usize, u64>,
    /// checkpoint size → root line, from every receipt and every stored checkpoint.
    roots: BTreeMap<u64, String>,
    forks: Vec<String>,
    double_entries: Vec<String>,
}

impl Seen {
    fn checkpoint(&mut self, text: &str, from: &str) {
        let mut lines = text.lines();
        let (_, Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
            return;
        };
        let Ok(size) = size.parse::<u64>() else {
            return;
        };
        match self.roots.get(&size) {
            Some(r) if r != root => self
                .forks
                .push(format!("size {size}: root {r} earlier, {root} in {from}")),
            Some(_) => {}
            None => {
                self.roots.insert(size, root.to_string());
            }
        }
    }
}

pub async fn crash(opts: CrashOptions) -> Result<String> {
    let tmp;
    let dir = match &opts.data_dir {
        Some(d) => d.clone(),
        None => {
            tmp = std::env::temp_dir().join(format!("skytale-crash-{}", std::process::id()));
            tmp
        }
    };
    if dir.exists() {
        bail!(
            "{} exists; the drill needs a fresh data directory",
            dir.display()
        );
    }
    let synth = synthetic::election("drill", opts.stations, 1, true)?;
    {
        let store = Store::open(&dir)?;
        let head = crate::commands::sign_definition(&synth.definition, &synth.authority)?;
        skytale_server::create_election(&store, &head)?;
    }
    let notes = Arc::new(crate::bench::sign_statements(
        &synth,
        opts.stations,
        opts.versions,
    )?);
    eprintln!(
        "drill: {} statements signed for {} stations",
        notes.len(),
        opts.stations
    );

    let exe = std::env::current_exe().context("cannot find the skytale executable")?;
    let mut rng = StdRng::seed_from_u64(7);
    let mut next = 0usize; // the next note never sent
    let mut resend: Vec<usize> = Vec::new(); // in flight at the last kill
    let mut seen = Seen::default();
    let mut first_receipt_after_start: Vec<Duration> = Vec::new();
    let mut refused_on_resend = 0u64;
    let mut kills = 0usize;
    let mut lost: Vec<String> = Vec::new();
    let started = Instant::now();

    while kills < opts.kills && (next < notes.len() || !resend.is_empty()) {
        let port = crate::bench::free_port()?;
        let t_start = Instant::now();
        let mut child = std::process::Command::new(&exe)
            .args(["serve", "--data-dir"])
            .arg(&dir)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(&opts.serve_args)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start skytale serve")?;
        let addr = format!("127.0.0.1:{port}");
        // Ready when it accepts a connection (start-up replays the whole log first).
        while LoadConn::connect(&addr).await.is_err() {
            if let Some(status) = child.try_wait()? {
                bail!("the server exited at start-up ({status}) after {kills} kills: see its message above");
            }
            if t_start.elapsed() > Duration::from_secs(300) {
                let _ = child.kill();
                bail!("the server did not come up within 300 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        // This run's work: what was in flight at the last kill, then new notes.
        let mut work: Vec<usize> = std::mem::take(&mut resend);
        let fresh_end = notes.len();
        work.extend(next..fresh_end);
        next = fresh_end;
        work.reverse(); // popped from the end: resends first, then in order
        let queue = Arc::new(Mutex::new(work));
        let in_flight: Arc<Mutex<Vec<usize>>> = Arc::new(Mutex::new(Vec::new()));
        let got: Arc<Mutex<Vec<Got>>> = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(AtomicU64::new(0));
        let first = Arc::new(Mutex::new(None::<Instant>));
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for _ in 0..opts.concurrency.max(1) {
            let (queue, in_flight, got, refused, first, stop, notes) = (
                queue.clone(),
                in_flight.clone(),
                got.clone(),
                refused.clone(),
                first.clone(),
                stop.clone(),
                notes.clone(),
            );
            let addr = addr.clone();
            tasks.push(tokio::spawn(async move {
                let mut conn: Option<LoadConn> = None;
                let path = "/api/v1/elections/drill/submissions";
                while !stop.load(Ordering::Relaxed) {
                    let Some(n) = queue.lock().unwrap_or_else(|p| p.into_inner()).pop() else {
                        break;
                    };
                    in_flight.lock().unwrap_or_else(|p| p.into_inner()).push(n);
                    if conn.is_none() {
                        conn = LoadConn::connect(&addr).await.ok();
                    }
                    let answer = match conn.as_mut() {
                        Some(c) => c.post(path, &notes[n]).await,
                        None => Err(anyhow!("cannot connect")),
                    };
                    let mut done = true;
                    match answer {
                        Ok(a) if a.status == 200 || a.status == 201 => {
                            if let Ok(r) = serde_json::from_slice::<serde_json::Value>(&a.body) {
                                let index = r["index"].as_u64();
                                let cp = r["checkpoint"].as_str().unwrap_or("").to_string();
                                let dup = r["duplicate"].as_bool().unwrap_or(false);
                                if let Some(index) = index {
                                    first
                                        .lock()
                                        .unwrap_or_else(|p| p.into_inner())
                                        .get_or_insert_with(Instant::now);
                                    got.lock()
                                        .unwrap_or_else(|p| p.into_inner())
                                        .push((n, index, cp, dup));
                                }
                            }
                        }
                        Ok(a)
                            if (a.status == 429 || a.status == 503)
                                && !String::from_utf8_lossy(&a.body).contains("too_many_held") =>
                        {
                            // Busy or rate-limited: try again later (the client's rule). A key
                            // at its held bound is a refusal, not a wait.
                            queue.lock().unwrap_or_else(|p| p.into_inner()).push(n);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Ok(_) => {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => {
                            // The server died with this one in flight: it stays in
                            // `in_flight` and is sent again after the restart.
                            conn = None;
                            done = false;
                            if stop.load(Ordering::Relaxed) {
                                break;
                            }
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                    if done {
                        let mut f = in_flight.lock().unwrap_or_else(|p| p.into_inner());
                        if let Some(at) = f.iter().position(|x| *x == n) {
                            f.swap_remove(at);
                        }
                    }
                }
            }));
        }
        let run_for =
            Duration::from_millis(rng.gen_range(20..=(opts.max_run.as_millis() as u64).max(20)));
        let ran_out = tokio::time::timeout(run_for, async {
            loop {
                if queue.lock().unwrap_or_else(|p| p.into_inner()).is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .is_ok();
        // SIGKILL, at once: no drain, no goodbye.
        let _ = child.kill();
        let _ = child.wait();
        kills += 1;
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        if let Some(t) = *first.lock().unwrap_or_else(|p| p.into_inner()) {
            first_receipt_after_start.push(t.duration_since(t_start));
        }
        refused_on_resend += refused.load(Ordering::Relaxed);
        let mut unsent = std::mem::take(&mut *queue.lock().unwrap_or_else(|p| p.into_inner()));
        unsent.reverse();
        resend = std::mem::take(&mut *in_flight.lock().unwrap_or_else(|p| p.into_inner()));
        resend.extend(unsent);
        for (n, index, cp, _dup) in got.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            seen.checkpoint(&cp, "a receipt");
            match seen.index_of.get(&n) {
                Some(i) if *i != index => seen
                    .double_entries
                    .push(format!("statement {n} got index {i} and then {index}")),
                Some(_) => {}
                None => {
                    seen.index_of.insert(n, index);
                    seen.acked.push(Acked { index, note: n });
                }
            }
        }

        // Check every receipt ever given against the store as the next start will find it.
        {
            let store = Store::open(&dir)?;
            let size = store.size("drill")?;
            if let Some(cp) = store.latest_checkpoint("drill")? {
                seen.checkpoint(&String::from_utf8_lossy(&cp), "the store");
            }
            let entries = store.entries("drill", 0, size)?;
            for a in &seen.acked {
                match entries.get(a.index as usize) {
                    Some(e) if *e == notes[a.note] => {}
                    Some(_) => lost.push(format!(
                        "kill {kills}: entry {} is not the statement its receipt was for",
                        a.index
                    )),
                    None => lost.push(format!(
                        "kill {kills}: entry {} acknowledged, the store has {size} entries",
                        a.index
                    )),
                }
            }
            // A note in the log twice is a retry that made a second entry.
            let mut at: HashMap<&[u8], u64> = HashMap::new();
            for (i, e) in entries.iter().enumerate() {
                if let Some(j) = at.insert(e.as_slice(), i as u64) {
                    seen.double_entries
                        .push(format!("entries {j} and {i} are the same statement"));
                }
            }
        }
        if kills.is_multiple_of(10) || ran_out {
            eprintln!(
                "drill: {kills} kills, {} receipts, {} lost, {} forks, {:.0?}",
                seen.acked.len(),
                lost.len(),
                seen.forks.len(),
                started.elapsed()
            );
        }
        if !lost.is_empty() || !seen.forks.is_empty() {
            break;
        }
    }
    if opts.data_dir.is_none() && lost.is_empty() && seen.forks.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
    }

    first_receipt_after_start.sort();
    let pct = |p: usize| {
        first_receipt_after_start
            .get((first_receipt_after_start.len().saturating_sub(1) * p) / 100)
            .copied()
            .unwrap_or_default()
    };
    let mut out = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "bench crash: {} stations, {} connections, {kills} kills (SIGKILL) in {:.0?}",
        opts.stations,
        opts.concurrency,
        started.elapsed()
    );
    let _ = writeln!(
        out,
        "  receipts checked:      {} (every one after every kill)",
        seen.acked.len()
    );
    let _ = writeln!(out, "  acknowledged lost:     {}", lost.len());
    let _ = writeln!(
        out,
        "  two roots for a size:  {} ({} checkpoint sizes seen)",
        seen.forks.len(),
        seen.roots.len()
    );
    let _ = writeln!(
        out,
        "  second entries:        {}",
        seen.double_entries.len()
    );
    let _ = writeln!(
        out,
        "  refused (stale resend after a later version): {refused_on_resend}"
    );
    let _ = writeln!(
        out,
        "  start to first receipt: p50 {:?}  p99 {:?}  max {:?}",
        pct(50),
        pct(99),
        first_receipt_after_start
            .last()
            .copied()
            .unwrap_or_default()
    );
    for l in lost
        .iter()
        .chain(&seen.forks)
        .chain(&seen.double_entries)
        .take(20)
    {
        let _ = writeln!(out, "  FAILED: {l}");
    }
    if !lost.is_empty() || !seen.forks.is_empty() || !seen.double_entries.is_empty() {
        bail!("{out}");
    }
    Ok(out)
}
