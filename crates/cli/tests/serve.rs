//! `skytale serve` stops cleanly on SIGTERM, and the submitting client waits out a server's
//! rate limit instead of failing.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use skytale::client::{Answer, Client};
use skytale_testkit as kit;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[cfg(unix)]
#[test]
fn sigterm_drains_and_exits_0() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::cargo_bin("skytale")
        .unwrap()
        .args(["serve", "--data-dir", "data", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .current_dir(tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(60), "did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // An idle keep-alive connection does not hold the drain up.
    let _idle = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("skytale serve did not stop within 30 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status:?}");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

fn create(dir: &Path, k: &kit::Keys) {
    let store = skytale_store::Store::open(dir).unwrap();
    let def = kit::definition(k);
    skytale_server::create_election(&store, &kit::head(k, &def)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_waits_out_a_rate_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    create(tmp.path(), &k);
    let state = skytale_server::AppState::open(tmp.path())
        .unwrap()
        .with_limits(skytale_server::Limits {
            per_address: skytale_server::Rate {
                per_second: 2,
                burst: 1,
            },
            ..skytale_server::Limits::default()
        });
    let listener = skytale_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(skytale_server::serve(state, listener, async move {
        let _ = rx.await;
    }));
    let client = Client::new(&base).unwrap();
    for unit in ["n1", "n2", "s1"] {
        let key = if unit.starts_with('n') {
            &k.north
        } else {
            &k.south
        };
        let note = kit::sign(key, &kit::results_json(unit, 1, &kit::mayor(1, 2, 3)));
        match client.submit("test-2026", &note).await.unwrap() {
            Answer::Accepted { duplicate, .. } => assert!(!duplicate),
            other => panic!("{unit}: {other:?}"),
        }
    }
    let _ = tx.send(());
    server.await.unwrap().unwrap();
}
