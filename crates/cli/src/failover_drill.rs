//! `skytale bench failover`: the two-data-centre drill, run by hand (never in CI).
//!
//! Two PostgreSQL clusters on this machine stand for the two data centres: a primary and a
//! synchronous standby, each with its own port and directory (made with `initdb` and
//! `pg_basebackup`, as `postgres`), and a `skytale serve` node beside each, with its own data
//! directory holding the log key. The node of the primary's side sequences; an upload wave
//! posts signed statements at full speed. At a random moment the primary's postmaster (and
//! every process of its cluster) and its node are killed with SIGKILL. Then, as the procedure
//! says: `skytale failover --alone` promotes the standby, the other side's node, which has
//! been following the log on that standby (`serve --follow`), takes over, and the clients,
//! retrying every statement without an answer, carry on there. The lost side is rebuilt as
//! the new standby (`pg_basebackup`) with a follower node on it, made synchronous again
//! before the next kill, and the roles swap.
//!
//! After every failover: every receipt ever given must name the statement at its index in the
//! promoted database (acknowledged entries lost), no two checkpoints seen (receipts, the
//! stored head) may give one size two roots, no statement may be in the log twice, and
//! `skytale verify` (with a state file kept across failovers, so it also proves each new
//! checkpoint consistent with the last one it saw) must pass. The report gives the time from
//! the kill to the first new receipt.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use skytale_store::{Location, Store};

use crate::loadconn::LoadConn;
use crate::pgcluster::{wait_synchronous, Cluster};
use crate::synthetic;

/// What the drill is asked to do.
pub struct FailoverOptions {
    /// Polling stations of the synthetic election.
    pub stations: usize,
    /// Versions signed per station (the supply is stations × versions).
    pub versions: u64,
    /// Failovers to perform.
    pub failovers: usize,
    /// Concurrent connections posting.
    pub concurrency: usize,
    /// Longest time the primary runs under load before it is killed (uniform up to this).
    pub max_run: Duration,
    /// Working directory (must not exist); default a temporary one, removed after a pass.
    pub dir: Option<PathBuf>,
    /// Ports of the two clusters.
    pub ports: (u16, u16),
    /// Run `skytale verify` after every failover.
    pub verify: bool,
}

/// A receipt: note number, index, checkpoint text, when it came, the node it came from.
type Got = (usize, u64, String, Instant, String);

#[derive(Default)]
struct Seen {
    /// note number → index its receipts named.
    index_of: HashMap<usize, u64>,
    /// checkpoint size → root line.
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

/// One side: its cluster's directory, port and name, and its node's data directory.
struct Side {
    pg_dir: PathBuf,
    port: u16,
    name: String,
    node_dir: PathBuf,
}

/// The node of one side: `skytale serve --store <its cluster>`, following the sequencer at
/// `follow` when given.
fn start_node(
    exe: &Path,
    side: &Side,
    url: &str,
    port: u16,
    follow: Option<String>,
) -> Result<Child> {
    std::process::Command::new(exe)
        .args(["serve", "--data-dir"])
        .arg(&side.node_dir)
        .arg(format!("--store={url}"))
        .args(follow.map(|f| format!("--follow={f}")))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--address-rate", "0", "--key-rate", "0"])
        .args([
            "--max-connections",
            "100000",
            "--submission-queue",
            "1000000",
        ])
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start skytale serve")
}

async fn wait_accepting(child: &mut Child, addr: &str, within: Duration) -> Result<()> {
    let t = Instant::now();
    while LoadConn::connect(addr).await.is_err() {
        if let Some(status) = child.try_wait()? {
            bail!("the node exited at start-up ({status}): see its message above");
        }
        if t.elapsed() > within {
            bail!("the node did not come up within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

pub async fn failover(opts: FailoverOptions) -> Result<String> {
    let dir = match &opts.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("skytale-failover-{}", std::process::id())),
    };
    if dir.exists() {
        bail!(
            "{} exists; the drill needs a fresh directory",
            dir.display()
        );
    }
    crate::pgcluster::make_dir_for_postgres(&dir)?;
    let sides = [("dc1", opts.ports.0), ("dc2", opts.ports.1)].map(|(name, port)| Side {
        pg_dir: dir.join(name).join("pg"),
        port,
        name: name.to_string(),
        node_dir: dir.join(name).join("node"),
    });
    for s in &sides {
        crate::pgcluster::make_dir_for_postgres(s.pg_dir.parent().unwrap_or(&dir))?;
    }
    let t0 = Instant::now();
    let first = Cluster::init_primary(&sides[0].pg_dir, sides[0].port, &sides[0].name)?;
    let second = Cluster::standby_of(&first, &sides[1].pg_dir, sides[1].port, &sides[1].name)?;
    skytale_store::pg::set_synchronous_standby(&first.url(), &second.name)?;
    wait_synchronous(&first, &second.name, Duration::from_secs(30))?;
    eprintln!(
        "drill: primary {} (port {}), synchronous standby {} (port {}) in {:.1?}",
        first.name,
        first.port,
        second.name,
        second.port,
        t0.elapsed()
    );
    let mut clusters = [Some(first), Some(second)];
    let result = drill(&opts, &dir, &sides, &mut clusters).await;
    for c in clusters.iter().flatten() {
        c.stop();
    }
    if result.is_ok() && opts.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn drill(
    opts: &FailoverOptions,
    dir: &Path,
    sides: &[Side; 2],
    clusters: &mut [Option<Cluster>; 2],
) -> Result<String> {
    let cluster = |c: &[Option<Cluster>; 2], i: usize| -> Result<String> {
        c[i].as_ref()
            .map(Cluster::url)
            .ok_or_else(|| anyhow!("no cluster on side {i}"))
    };
    // The election, created through the primary; the log key copied to the other node.
    let synth = synthetic::election("drill", opts.stations, 1, true)?;
    {
        let store = Store::open_at(
            &sides[0].node_dir,
            &Location::Postgres(cluster(clusters, 0)?),
        )?;
        let head = crate::commands::sign_definition(&synth.definition, &synth.authority)?;
        skytale_server::create_election(&store, &head)?;
    }
    let keys = sides[1].node_dir.join("keys");
    std::fs::create_dir_all(&keys)?;
    std::fs::copy(
        sides[0].node_dir.join("keys/drill.log.key"),
        keys.join("drill.log.key"),
    )
    .context("cannot copy the log key to the second node")?;
    let notes = Arc::new(crate::bench::sign_statements(
        &synth,
        opts.stations,
        opts.versions,
    )?);
    eprintln!("drill: {} statements signed", notes.len());

    let exe = std::env::current_exe().context("cannot find the skytale executable")?;
    let node_ports = [crate::bench::free_port()?, crate::bench::free_port()?];
    let mut primary = 0usize;
    let node_addr = |i: usize| format!("127.0.0.1:{}", node_ports[i]);
    // The sequencer beside the primary, a follower beside the standby.
    let mut nodes: [Option<Child>; 2] = [None, None];
    for (i, follow) in [(0, None), (1, Some(format!("http://{}", node_addr(0))))] {
        let mut n = start_node(
            &exe,
            &sides[i],
            &cluster(clusters, i)?,
            node_ports[i],
            follow,
        )?;
        wait_accepting(&mut n, &node_addr(i), Duration::from_secs(120)).await?;
        nodes[i] = Some(n);
    }
    let addr = Arc::new(RwLock::new(node_addr(0)));

    // The upload wave: every statement is sent until it has an answer, to whichever node is
    // up (a county's client retrying).
    let mut queue: Vec<usize> = (0..notes.len()).collect();
    queue.reverse();
    let queue = Arc::new(Mutex::new(queue));
    let got: Arc<Mutex<Vec<Got>>> = Arc::new(Mutex::new(Vec::new()));
    let refused = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    // Paused while the lost side is rebuilt and everything checked: the log grows by the
    // runs before the kills, not by the minutes of rebuilding (each start replays it all).
    let paused = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..opts.concurrency.max(1) {
        let paused = paused.clone();
        let (queue, got, refused, answered, stop, notes, addr) = (
            queue.clone(),
            got.clone(),
            refused.clone(),
            answered.clone(),
            stop.clone(),
            notes.clone(),
            addr.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut conn: Option<(String, LoadConn)> = None;
            let path = "/api/v1/elections/drill/submissions";
            while !stop.load(Ordering::Relaxed) {
                if paused.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
                let Some(n) = queue.lock().unwrap_or_else(|p| p.into_inner()).pop() else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let target = addr.read().unwrap_or_else(|p| p.into_inner()).clone();
                if conn.as_ref().is_none_or(|(a, _)| *a != target) {
                    conn = LoadConn::connect(&target).await.ok().map(|c| (target, c));
                }
                let answer = match conn.as_mut() {
                    Some((_, c)) => c.post(path, &notes[n]).await,
                    None => Err(anyhow!("cannot connect")),
                };
                match answer {
                    Ok(a) if a.status == 200 || a.status == 201 => {
                        answered.fetch_add(1, Ordering::Relaxed);
                        if let Ok(r) = serde_json::from_slice::<serde_json::Value>(&a.body) {
                            if let Some(index) = r["index"].as_u64() {
                                let cp = r["checkpoint"].as_str().unwrap_or("").to_string();
                                let from =
                                    conn.as_ref().map(|(a, _)| a.clone()).unwrap_or_default();
                                got.lock().unwrap_or_else(|p| p.into_inner()).push((
                                    n,
                                    index,
                                    cp,
                                    Instant::now(),
                                    from,
                                ));
                            }
                        }
                    }
                    Ok(a) if (a.status == 429 || a.status == 503 || a.status == 307) => {
                        // Busy, the node stopping, or a follower that has not taken over yet
                        // (sending to the dead sequencer): again later.
                        queue.lock().unwrap_or_else(|p| p.into_inner()).push(n);
                        conn = None;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    Ok(_) => {
                        answered.fetch_add(1, Ordering::Relaxed);
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        // No answer (the node died with it in flight): send it again.
                        queue.lock().unwrap_or_else(|p| p.into_inner()).push(n);
                        conn = None;
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
        }));
    }

    let mut rng = StdRng::seed_from_u64(11);
    let mut seen = Seen::default();
    let mut acked: Vec<(u64, usize)> = Vec::new();
    let mut lost: Vec<String> = Vec::new();
    let mut verify_failed: Vec<String> = Vec::new();
    let mut to_first_receipt: Vec<Duration> = Vec::new();
    let mut failovers = 0usize;
    let check_dir = dir.join("check");
    let state_file = dir.join("verify-state.json");
    let started = Instant::now();
    let mut outcome: Result<()> = Ok(());

    while failovers < opts.failovers {
        let standby = 1 - primary;
        paused.store(false, Ordering::Relaxed);
        // Under load, with the standby synchronous, for a random while.
        let run_for =
            Duration::from_millis(rng.gen_range(100..=(opts.max_run.as_millis() as u64).max(100)));
        tokio::time::sleep(run_for).await;
        if queue.lock().unwrap_or_else(|p| p.into_inner()).is_empty() {
            eprintln!("drill: every statement answered; stopping early");
            break;
        }
        // The primary data centre is lost: its postmaster and the rest of its cluster, and
        // its node, all with SIGKILL.
        let t_kill = Instant::now();
        if let Some(c) = &clusters[primary] {
            c.kill9()?;
        }
        if let Some(mut n) = nodes[primary].take() {
            let _ = n.kill();
            let _ = n.wait();
        }
        failovers += 1;

        // The procedure on the other side: promote, then start the node there.
        let url = cluster(clusters, standby)?;
        let out = std::process::Command::new(&std::env::current_exe()?)
            .args(["failover", "--alone", "--wait", "60", "--data-dir"])
            .arg(&sides[standby].node_dir)
            .arg(format!("--store={url}"))
            .output()
            .context("cannot run skytale failover")?;
        if !out.status.success() {
            outcome = Err(anyhow!(
                "failover {failovers}: skytale failover failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
            break;
        }
        // The follower there takes over once it sees the promotion; clients turn to it.
        let target = node_addr(standby);
        *addr.write().unwrap_or_else(|p| p.into_inner()) = target.clone();
        // The first receipt of the new node (the old one may still have answered a retry of
        // a statement it had logged, from memory, between the two kills).
        let deadline = Instant::now() + Duration::from_secs(120);
        let first = loop {
            let t = got
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .filter(|g| g.4 == target)
                .map(|g| g.3)
                .min();
            if let Some(t) = t {
                break Some(t);
            }
            if Instant::now() > deadline
                || queue.lock().unwrap_or_else(|p| p.into_inner()).is_empty()
            {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        if let Some(t) = first {
            to_first_receipt.push(t.duration_since(t_kill));
        }
        paused.store(true, Ordering::Relaxed);
        primary = standby;

        // The lost side comes back as the new standby, synchronous before the next kill.
        let old = 1 - primary;
        if let Some(c) = clusters[old].take() {
            c.stop();
        }
        let new_primary = clusters[primary]
            .as_ref()
            .ok_or_else(|| anyhow!("no primary"))?;
        let rebuilt = Cluster::standby_of(
            new_primary,
            &sides[old].pg_dir,
            sides[old].port,
            &sides[old].name,
        )?;
        skytale_store::pg::set_synchronous_standby(&new_primary.url(), &rebuilt.name)?;
        wait_synchronous(new_primary, &rebuilt.name, Duration::from_secs(60))?;
        clusters[old] = Some(rebuilt);
        let mut follower = start_node(
            &exe,
            &sides[old],
            &cluster(clusters, old)?,
            node_ports[old],
            Some(format!("http://{target}")),
        )?;
        if let Err(e) =
            wait_accepting(&mut follower, &node_addr(old), Duration::from_secs(300)).await
        {
            outcome = Err(e.context(format!("failover {failovers}: the new follower")));
            break;
        }
        nodes[old] = Some(follower);

        // Every receipt so far against the promoted database.
        let receipts: Vec<Got> =
            std::mem::take(&mut *got.lock().unwrap_or_else(|p| p.into_inner()));
        for (n, index, cp, _, _) in &receipts {
            seen.checkpoint(cp, "a receipt");
            match seen.index_of.get(n) {
                Some(i) if i != index => seen
                    .double_entries
                    .push(format!("statement {n} got index {i} and then {index}")),
                Some(_) => {}
                None => {
                    seen.index_of.insert(*n, *index);
                    acked.push((*index, *n));
                }
            }
        }
        // Receipts drained before the read: each names an entry committed before it.
        {
            let store =
                Store::open_at(&check_dir, &Location::Postgres(cluster(clusters, primary)?))?;
            let (size, head) = store.head("drill")?;
            seen.checkpoint(&String::from_utf8_lossy(&head), "the promoted database");
            let entries = store.entries("drill", 0, size)?;
            for (index, n) in &acked {
                match entries.get(*index as usize) {
                    Some(e) if *e == notes[*n] => {}
                    Some(_) => lost.push(format!(
                        "failover {failovers}: entry {index} is not the statement its receipt was for"
                    )),
                    None => lost.push(format!(
                        "failover {failovers}: entry {index} acknowledged, the database has {size}"
                    )),
                }
            }
            let mut at: HashMap<&[u8], u64> = HashMap::new();
            for (i, e) in entries.iter().enumerate() {
                if let Some(j) = at.insert(e.as_slice(), i as u64) {
                    seen.double_entries
                        .push(format!("entries {j} and {i} are the same statement"));
                }
            }
        }
        if opts.verify {
            let v = std::process::Command::new(&std::env::current_exe()?)
                .arg("verify")
                .arg(format!("http://{target}"))
                .args(["--election", "drill", "--sample", "5", "--state"])
                .arg(&state_file)
                .output()
                .context("cannot run skytale verify")?;
            if !v.status.success() {
                verify_failed.push(format!(
                    "failover {failovers}: {}{}",
                    String::from_utf8_lossy(&v.stdout),
                    String::from_utf8_lossy(&v.stderr)
                ));
            }
        }
        if failovers.is_multiple_of(10) || failovers == 1 {
            eprintln!(
                "drill: {failovers} failovers, {} receipts, {} lost, {} forks, {} verify failures, last kill→receipt {:.1?}, {:.0?}",
                acked.len(),
                lost.len(),
                seen.forks.len(),
                verify_failed.len(),
                to_first_receipt.last().copied().unwrap_or_default(),
                started.elapsed()
            );
        }
        if !lost.is_empty() || !seen.forks.is_empty() || !verify_failed.is_empty() {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    for mut n in nodes.into_iter().flatten() {
        let _ = n.kill();
        let _ = n.wait();
    }
    for t in tasks {
        let _ = t.await;
    }
    outcome?;

    to_first_receipt.sort();
    let pct = |p: usize| {
        to_first_receipt
            .get((to_first_receipt.len().saturating_sub(1) * p) / 100)
            .copied()
            .unwrap_or_default()
    };
    let mut out = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "bench failover: {} stations × {} versions, {} connections, {failovers} failovers (SIGKILL of the primary's postmaster, cluster and node) in {:.0?}",
        opts.stations,
        opts.versions,
        opts.concurrency,
        started.elapsed()
    );
    let _ = writeln!(
        out,
        "  receipts checked:        {} (every one after every failover)",
        acked.len()
    );
    let _ = writeln!(out, "  acknowledged lost:       {}", lost.len());
    let _ = writeln!(
        out,
        "  two roots for a size:    {} ({} checkpoint sizes seen)",
        seen.forks.len(),
        seen.roots.len()
    );
    let _ = writeln!(
        out,
        "  second entries:          {}",
        seen.double_entries.len()
    );
    let _ = writeln!(
        out,
        "  skytale verify failed:   {} of {}",
        verify_failed.len(),
        if opts.verify { failovers } else { 0 }
    );
    let _ = writeln!(
        out,
        "  refused (stale resend):  {}",
        refused.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "  kill to first new receipt: p50 {:.2?}  p99 {:.2?}  max {:.2?} ({} measured)",
        pct(50),
        pct(99),
        to_first_receipt.last().copied().unwrap_or_default(),
        to_first_receipt.len()
    );
    for l in lost
        .iter()
        .chain(&seen.forks)
        .chain(&seen.double_entries)
        .chain(&verify_failed)
        .take(20)
    {
        let _ = writeln!(out, "  FAILED: {l}");
    }
    if !lost.is_empty()
        || !seen.forks.is_empty()
        || !seen.double_entries.is_empty()
        || !verify_failed.is_empty()
    {
        bail!("{out}");
    }
    Ok(out)
}
