//! Two nodes on one PostgreSQL: the one overtaken stops sequencing and says why. And one
//! failover: the primary's cluster and node killed, the synchronous standby promoted with
//! `skytale failover`, a node there answering every retry with the receipt already given and
//! going on with new statements, and `skytale verify` passing.
//!
//! The fence test needs the test database (see `ScratchSchema::for_test`); the failover test
//! starts two clusters of its own with `initdb` and `pg_basebackup` (as `postgres` when run as
//! root). Both are skipped with a message where PostgreSQL is missing, unless
//! `SKYTALE_REQUIRE_POSTGRES` is set.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use skytale::client::{Answer, Client};
use skytale::pgcluster::{wait_synchronous, Cluster};
use skytale_store::pg::ScratchSchema;
use skytale_store::{Location, Store};
use skytale_testkit as kit;

const ID: &str = "test-2026";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills the node when the test ends, however it ends.
struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `skytale serve` on `url` with the data directory `dir`; answers once it accepts.
async fn serve(dir: &Path, url: &str) -> (Node, String) {
    serve_as(dir, url, &[]).await
}

async fn serve_as(dir: &Path, url: &str, args: &[&str]) -> (Node, String) {
    let port = free_port();
    let child = Command::cargo_bin("skytale")
        .unwrap()
        .args(["serve", "--data-dir"])
        .arg(dir)
        .arg(format!("--store={url}"))
        .args(args)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut node = Node(child);
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = node.0.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut e) = node.0.stderr.take() {
                use std::io::Read as _;
                let _ = e.read_to_string(&mut err);
            }
            panic!("skytale serve exited at start-up ({status}): {err}");
        }
        assert!(start.elapsed() < Duration::from_secs(60), "did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (node, format!("http://127.0.0.1:{port}"))
}

/// The election in the store at `location`, created from node `a`'s data directory; its log
/// key copied to node `b`'s, as an operator gives it to the node of the other data centre.
fn create(location: &Location, a: &Path, b: &Path) {
    let k = kit::keys();
    let store = Store::open_at(a, location).unwrap();
    skytale_server::create_election(&store, &kit::head(&k, &kit::definition(&k))).unwrap();
    let name = format!("keys/{ID}.log.key");
    std::fs::create_dir_all(b.join("keys")).unwrap();
    std::fs::copy(a.join(&name), b.join(&name)).unwrap();
}

fn statement(unit: &str, version: u64) -> Vec<u8> {
    let k = kit::keys();
    let key = if unit.starts_with('n') {
        &k.north
    } else {
        &k.south
    };
    kit::sign(
        key,
        &kit::results_json(unit, version, &kit::mayor(version, 2, 3 + version)),
    )
}

async fn accepted(base: &str, note: &[u8]) -> (u64, bool) {
    match Client::new(base).unwrap().submit(ID, note).await.unwrap() {
        Answer::Accepted {
            index, duplicate, ..
        } => (index, duplicate),
        other => panic!("{other:?}"),
    }
}

/// As a county's client does across a failover: sends again until the statement is accepted
/// (the follower sends it to the dead sequencer until it has taken over).
async fn accepted_eventually(base: &str, note: &[u8]) -> (u64, bool) {
    let start = Instant::now();
    loop {
        match Client::new(base).unwrap().submit(ID, note).await {
            Ok(Answer::Accepted {
                index, duplicate, ..
            }) => return (index, duplicate),
            other => assert!(
                start.elapsed() < Duration::from_secs(20),
                "no receipt 20 s after the failover: {other:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_overtaken_by_another_stops_sequencing_and_says_why() {
    let Some(schema) = ScratchSchema::for_test("cli_fence") else {
        return;
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    create(&schema.location(), a.path(), b.path());
    let (mut node_a, url_a) = serve(a.path(), &schema.url).await;
    let (first, _) = accepted(&url_a, &statement("n1", 1)).await;
    // B starts from the head A left, and appends: B now holds the head.
    let (_node_b, url_b) = serve(b.path(), &schema.url).await;
    assert_eq!(
        accepted(&url_b, &statement("n2", 1)).await,
        (first + 1, false)
    );
    // A's next append names a head that is gone: refused by the database, and A stops.
    let answer = Client::new(&url_a)
        .unwrap()
        .submit(ID, &statement("s1", 1))
        .await;
    assert!(
        !matches!(answer, Ok(Answer::Accepted { .. })),
        "the overtaken node acknowledged: {answer:?}"
    );
    let start = Instant::now();
    let status = loop {
        if let Some(s) = node_a.0.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "A did not stop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(!status.success());
    let mut err = String::new();
    use std::io::Read as _;
    node_a
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("another node is sequencing"), "{err}");
    // B goes on, and has nothing of A's refused statement.
    assert_eq!(
        accepted(&url_b, &statement("s1", 1)).await,
        (first + 2, false)
    );
    assert_eq!(
        Store::open_at(b.path(), &schema.location())
            .unwrap()
            .size(ID)
            .unwrap(),
        first + 3
    );
}

/// Stops the clusters when the test ends, however it ends.
struct Clusters(Vec<Cluster>);

impl Drop for Clusters {
    fn drop(&mut self) {
        for c in &self.0 {
            c.stop();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failover_to_the_synchronous_standby_keeps_every_receipt() {
    if skytale::pgcluster::bindir().is_err() {
        assert!(
            std::env::var_os("SKYTALE_REQUIRE_POSTGRES").is_none(),
            "SKYTALE_REQUIRE_POSTGRES is set but pg_config is missing"
        );
        eprintln!("failover test skipped: no PostgreSQL installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // The clusters' user must reach its directories.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let (node1, node2) = (tmp.path().join("node1"), tmp.path().join("node2"));
    let primary = Cluster::init_primary(&tmp.path().join("pg/dc1"), free_port(), "dc1").unwrap();
    let mut clusters = Clusters(vec![primary]);
    let standby = Cluster::standby_of(
        &clusters.0[0],
        &tmp.path().join("pg/dc2"),
        free_port(),
        "dc2",
    )
    .unwrap();
    clusters.0.push(standby);
    let (primary, standby) = (&clusters.0[0], &clusters.0[1]);
    skytale_store::pg::set_synchronous_standby(&primary.url(), "dc2").unwrap();
    wait_synchronous(primary, "dc2", Duration::from_secs(30)).unwrap();

    create(&Location::Postgres(primary.url()), &node1, &node2);
    let (mut n1, url1) = serve(&node1, &primary.url()).await;
    // The other data centre's node follows on the standby.
    let (_n2, url2) = serve_as(&node2, &standby.url(), &["--follow", &url1]).await;
    let notes: Vec<Vec<u8>> = ["n1", "n2", "s1"].iter().map(|u| statement(u, 1)).collect();
    let mut receipts = Vec::new();
    for note in &notes[..2] {
        receipts.push(accepted(&url1, note).await.0);
    }
    // A submission to the follower goes to the sequencer (307, followed by the client).
    receipts.push(accepted(&url2, &notes[2]).await.0);
    assert_eq!(receipts[2], receipts[1] + 1);
    // The follower serves the log as the sequencer appends it.
    let checkpoint = format!("{url2}/log/{ID}/checkpoint");
    let start = Instant::now();
    loop {
        let text = reqwest::get(&checkpoint)
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if text.lines().nth(1) == Some(&(receipts[2] + 1).to_string()) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the follower serves {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The standby can be read meanwhile (a hot standby, opened read-only).
    let fsck = Command::cargo_bin("skytale")
        .unwrap()
        .args(["fsck", "--data-dir"])
        .arg(&node2)
        .arg(format!("--store={}", standby.url()))
        .output()
        .unwrap();
    assert!(
        fsck.status.success(),
        "{}{}",
        String::from_utf8_lossy(&fsck.stdout),
        String::from_utf8_lossy(&fsck.stderr)
    );

    // The primary data centre is lost.
    primary.kill9().unwrap();
    let _ = n1.0.kill();
    let _ = n1.0.wait();

    let out = Command::cargo_bin("skytale")
        .unwrap()
        .args(["failover", "--alone", "--data-dir"])
        .arg(&node2)
        .arg(format!("--store={}", standby.url()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("promoted"), "{text}");
    assert!(
        text.contains(&format!("election {ID}: {} entries", receipts[2] + 1)),
        "{text}"
    );

    // The follower takes over, with no restart. Clients retry what they sent: the same
    // entries, flagged, nothing appended.
    for (note, index) in notes.iter().zip(&receipts) {
        assert_eq!(accepted_eventually(&url2, note).await, (*index, true));
    }
    assert_eq!(
        accepted(&url2, &statement("s2", 1)).await,
        (receipts[2] + 1, false)
    );
    let verify = Command::cargo_bin("skytale")
        .unwrap()
        .args(["verify", &url2, "--election", ID])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}
