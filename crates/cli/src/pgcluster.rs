//! PostgreSQL clusters of the failover drill and its test: a primary made with `initdb`, a
//! standby made from it with `pg_basebackup`, on ports and in directories of their own, run
//! as the user `postgres` when we are root (PostgreSQL refuses to run as root). The drill's
//! "two data centres" on one machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

/// One cluster: its data directory, port and the name it streams under as a standby
/// (`application_name`, what `synchronous_standby_names` lists).
pub struct Cluster {
    pub dir: PathBuf,
    pub port: u16,
    pub name: String,
    bin: PathBuf,
}

/// PostgreSQL's programs: `pg_config --bindir`.
pub fn bindir() -> Result<PathBuf> {
    let out = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .context("cannot run pg_config (is PostgreSQL installed?)")?;
    if !out.status.success() {
        bail!("pg_config --bindir failed");
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    // The owner of /proc/self is the effective user (no unsafe call to geteuid needed).
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `program args…` as the user `postgres` when we are root, as ourselves otherwise.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut c: Command, what: &str) -> Result<()> {
    let out = c
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Makes `dir` (and its parents) and gives it to `postgres` when we are root.
pub fn make_dir_for_postgres(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    if is_root() {
        run(
            {
                let mut c = Command::new("chown");
                c.arg("postgres:postgres").arg(dir);
                c
            },
            "chown",
        )?;
    }
    Ok(())
}

/// The settings of both clusters: replication, a hot standby that can be read, synchronous
/// commit (on is PostgreSQL's default; said here because the drill depends on it).
const SETTINGS: &str = "
listen_addresses = '127.0.0.1'
wal_level = replica
max_wal_senders = 10
hot_standby = on
synchronous_commit = on
wal_keep_size = '512MB'
shared_buffers = '64MB'
max_connections = 60
fsync = on
";

impl Cluster {
    /// A new primary in `dir` (which must not exist; its parent is given to `postgres`).
    pub fn init_primary(dir: &Path, port: u16, name: &str) -> Result<Cluster> {
        let bin = bindir()?;
        if let Some(parent) = dir.parent() {
            make_dir_for_postgres(parent)?;
        }
        let mut c = as_postgres(&bin.join("initdb"));
        c.arg("-D")
            .arg(dir)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        run(c, "initdb")?;
        let conf = dir.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf)?;
        text.push_str(SETTINGS);
        text.push_str(&format!(
            "port = {port}\nunix_socket_directories = '{}'\n",
            dir.display()
        ));
        std::fs::write(&conf, text)?;
        let cl = Cluster {
            dir: dir.to_path_buf(),
            port,
            name: name.to_string(),
            bin,
        };
        cl.start()?;
        Ok(cl)
    }

    /// A standby of `primary` in `dir` (removed first if it exists: the old primary's
    /// directory after a failover), streaming as `name`, started.
    pub fn standby_of(primary: &Cluster, dir: &Path, port: u16, name: &str) -> Result<Cluster> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)
                .with_context(|| format!("cannot remove {}", dir.display()))?;
        }
        let mut c = as_postgres(&primary.bin.join("pg_basebackup"));
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &primary.port.to_string(),
            "-U",
            "postgres",
        ])
        .arg("-D")
        .arg(dir)
        .args(["-X", "stream", "-c", "fast", "-R", "--no-sync"])
        .arg(format!("--dbname=application_name={name}"));
        run(c, "pg_basebackup")?;
        let auto = dir.join("postgresql.auto.conf");
        let mut text = std::fs::read_to_string(&auto)?;
        // The primary's own wish for a synchronous standby is not the standby's.
        text.push_str(&format!(
            "port = {port}\nunix_socket_directories = '{}'\nsynchronous_standby_names = ''\n",
            dir.display()
        ));
        std::fs::write(&auto, text)?;
        let cl = Cluster {
            dir: dir.to_path_buf(),
            port,
            name: name.to_string(),
            bin: primary.bin.clone(),
        };
        cl.start()?;
        Ok(cl)
    }

    fn start(&self) -> Result<()> {
        let mut c = as_postgres(&self.bin.join("pg_ctl"));
        c.arg("-D")
            .arg(&self.dir)
            .arg("-l")
            .arg(self.dir.with_extension("log"))
            .args(["-w", "-t", "120", "start"]);
        run(c, "pg_ctl start")
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The postmaster's process id (`postmaster.pid`).
    pub fn postmaster(&self) -> Result<u32> {
        let text = std::fs::read_to_string(self.dir.join("postmaster.pid"))
            .with_context(|| format!("no postmaster.pid in {}", self.dir.display()))?;
        text.lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .ok_or_else(|| anyhow!("postmaster.pid of {} unreadable", self.dir.display()))
    }

    /// SIGKILL to the postmaster, then to the processes it started (backends, walsender,
    /// checkpointer…), as when the machine is lost. Waits until all are gone.
    pub fn kill9(&self) -> Result<()> {
        let pid = self.postmaster()?;
        let children = children_of(pid);
        kill9(pid);
        for c in &children {
            kill9(*c);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::iter::once(pid)
            .chain(children.iter().copied())
            .any(|p| Path::new(&format!("/proc/{p}")).exists() && !is_zombie(p))
        {
            if Instant::now() > deadline {
                bail!("postmaster {pid} or its children did not die");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// Stops the cluster at once (`pg_ctl stop -m immediate`), ignoring one already down.
    pub fn stop(&self) {
        let mut c = as_postgres(&self.bin.join("pg_ctl"));
        c.arg("-D")
            .arg(&self.dir)
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = c.status();
    }
}

fn kill9(pid: u32) {
    let _ = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

/// The processes whose parent is `pid` (from /proc).
fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(p) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        // pid (comm) state ppid …: the comm may hold spaces, so split after its ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|s| s.parse::<u32>().ok());
        if ppid == Some(pid) {
            out.push(p);
        }
    }
    out
}

/// Waits until `primary` has `standby` streaming as its synchronous standby.
pub fn wait_synchronous(primary: &Cluster, standby: &str, within: Duration) -> Result<()> {
    let deadline = Instant::now() + within;
    loop {
        let rows = skytale_store::pg::standbys(&primary.url())?;
        if rows
            .iter()
            .any(|(n, state, sync)| n == standby && state == "streaming" && sync == "sync")
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "{standby} is not the synchronous standby of {} after {within:?}: {rows:?}",
                primary.name
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
