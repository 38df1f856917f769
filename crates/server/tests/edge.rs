//! The HTTP edge under abuse: slow and idle connections are closed, connections beyond the
//! cap wait while the others are served, write floods get 429 with `Retry-After`, a full
//! submission queue gets 503, crafted tile paths get 404, every response carries the security
//! headers and the public reads CORS, and a shutdown answers what it was handed.

use std::path::Path;
use std::time::Duration;

use skytale_server::{AppState, Limits, Rate};
use skytale_testkit as kit;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod common;
use common::{get, start, start_state};

fn create(dir: &Path, k: &kit::Keys) {
    let store = skytale_store::Store::open(dir).unwrap();
    let def = kit::definition(k);
    skytale_server::create_election(&store, &kit::head(k, &def)).unwrap();
}

async fn start_with(dir: &Path, limits: Limits) -> common::Running {
    start_state(AppState::open(dir).unwrap().with_limits(limits)).await
}

fn addr(base: &str) -> String {
    base.trim_start_matches("http://").to_string()
}

/// Reads until the peer closes; `true` if it closed within `within`.
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

const GET_ROOT: &[u8] = b"GET /api/v1/elections HTTP/1.1\r\nHost: t\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_header_and_an_idle_connection_are_closed() {
    let tmp = tempfile::tempdir().unwrap();
    create(tmp.path(), &kit::keys());
    let srv = start_with(
        tmp.path(),
        Limits {
            header_timeout: Duration::from_millis(300),
            idle_timeout: Duration::from_millis(1500),
            ..Limits::default()
        },
    )
    .await;
    let a = addr(&srv.base);

    // Slowloris: half a header, then nothing. Closed after the header timeout, well before
    // the idle timeout.
    let mut slow = TcpStream::connect(&a).await.unwrap();
    slow.write_all(b"GET /api/v1/elections HTTP/1.1\r\nHost: t\r\n")
        .await
        .unwrap();
    let t0 = std::time::Instant::now();
    assert!(closed_within(&mut slow, Duration::from_secs(5)).await);
    let took = t0.elapsed();
    assert!(took < Duration::from_millis(1400), "closed after {took:?}");

    // An idle keep-alive: one request answered, then silence. Closed after the idle timeout,
    // not after the header timeout.
    let mut idle = TcpStream::connect(&a).await.unwrap();
    idle.write_all(GET_ROOT).await.unwrap();
    let mut buf = [0u8; 4096];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let t0 = std::time::Instant::now();
    assert!(closed_within(&mut idle, Duration::from_secs(10)).await);
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(1000), "closed after {took:?}");

    // A connection that says nothing at all is idle too.
    let mut mute = TcpStream::connect(&a).await.unwrap();
    assert!(closed_within(&mut mute, Duration::from_secs(10)).await);

    // The server still serves.
    assert_eq!(get(&format!("{}/api/v1/elections", srv.base)).await.0, 200);
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_while_the_others_are_served() {
    let tmp = tempfile::tempdir().unwrap();
    create(tmp.path(), &kit::keys());
    let srv = start_with(
        tmp.path(),
        Limits {
            max_connections: 2,
            ..Limits::default()
        },
    )
    .await;
    let a = addr(&srv.base);
    let mut first = TcpStream::connect(&a).await.unwrap();
    let mut second = TcpStream::connect(&a).await.unwrap();
    let mut buf = [0u8; 8192];
    // Both places taken, and served.
    for c in [&mut first, &mut second] {
        c.write_all(GET_ROOT).await.unwrap();
        let n = c.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    }
    // A third connects (the kernel's backlog) but is not served.
    let mut third = TcpStream::connect(&a).await.unwrap();
    third.write_all(GET_ROOT).await.unwrap();
    let waited = tokio::time::timeout(Duration::from_millis(500), third.read(&mut buf)).await;
    assert!(
        waited.is_err(),
        "the third connection was served beyond the cap"
    );
    // The ones inside keep being served.
    first.write_all(GET_ROOT).await.unwrap();
    let n = first.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    // One closes: the third is accepted and answered.
    drop(second);
    let n = tokio::time::timeout(Duration::from_secs(5), third.read(&mut buf))
        .await
        .expect("the third connection is served once a place is free")
        .unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    drop(first);
    drop(third);
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_idle_keep_alives_make_way_for_new_clients() {
    let tmp = tempfile::tempdir().unwrap();
    create(tmp.path(), &kit::keys());
    let srv = start_with(
        tmp.path(),
        Limits {
            max_connections: 10,
            header_timeout: Duration::from_millis(300),
            idle_timeout: Duration::from_secs(60),
            ..Limits::default()
        },
    )
    .await;
    let a = addr(&srv.base);
    let mut idle = Vec::new();
    let mut buf = [0u8; 8192];
    for _ in 0..10 {
        let mut c = TcpStream::connect(&a).await.unwrap();
        c.write_all(GET_ROOT).await.unwrap();
        let n = c.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        idle.push(c);
    }
    // Every place is held by an idle keep-alive; a new client is served long before the
    // 60 s idle timeout, because under pressure idling is cut to the header timeout.
    let mut new = TcpStream::connect(&a).await.unwrap();
    new.write_all(GET_ROOT).await.unwrap();
    let n = tokio::time::timeout(Duration::from_secs(10), new.read(&mut buf))
        .await
        .expect("a new client is served while idle connections hold the cap")
        .unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    drop(idle);
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_beyond_an_addresss_burst_get_429_with_retry_after() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    create(tmp.path(), &k);
    let srv = start_with(
        tmp.path(),
        Limits {
            per_address: Rate {
                per_second: 1,
                burst: 3,
            },
            ..Limits::default()
        },
    )
    .await;
    let url = format!("{}/api/v1/elections/test-2026/submissions", srv.base);
    let client = reqwest::Client::new();
    for unit in ["n1", "n2", "s1"] {
        let key = if unit.starts_with('n') {
            &k.north
        } else {
            &k.south
        };
        let note = kit::sign(key, &kit::results_json(unit, 1, &kit::mayor(1, 2, 3)));
        let r = client.post(&url).body(note).send().await.unwrap();
        assert_eq!(r.status(), 201);
    }
    let note = kit::sign(&k.south, &kit::results_json("s2", 1, &kit::mayor(1, 2, 3)));
    let r = client.post(&url).body(note).send().await.unwrap();
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After: {retry}");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    // Reads are not limited.
    for _ in 0..10 {
        assert_eq!(get(&format!("{}/api/v1/elections", srv.base)).await.0, 200);
    }
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reporter_keys_limit_counts_only_what_it_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    create(tmp.path(), &k);
    let srv = start_with(
        tmp.path(),
        Limits {
            per_key: Rate {
                per_second: 1,
                burst: 2,
            },
            ..Limits::default()
        },
    )
    .await;
    let url = format!("{}/api/v1/elections/test-2026/submissions", srv.base);
    // Forged notes in north's name (signed by another key under north's name and key id are
    // impossible to make; a flipped signature byte is the forgery): refused, not counted.
    for unit in ["n1", "n2", "n1", "n2", "n1"] {
        let mut note = kit::sign(&k.north, &kit::results_json(unit, 1, &kit::mayor(1, 2, 3)));
        let at = note.len() - 3;
        note[at] = if note[at] == b'A' { b'B' } else { b'A' };
        let (s, v) = post(&url, note).await;
        assert!(s != 429 && s >= 400, "{s} {v}");
    }
    // North's own two go through; the third is over its key's burst.
    for unit in ["n1", "n2"] {
        let note = kit::sign(&k.north, &kit::results_json(unit, 1, &kit::mayor(1, 2, 3)));
        let (s, v) = post(&url, note).await;
        assert_eq!(s, 201, "{v}");
    }
    let note = kit::sign(&k.north, &kit::results_json("n1", 2, &kit::mayor(1, 2, 3)));
    let r = reqwest::Client::new()
        .post(&url)
        .body(note)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    // Another key is not affected.
    let note = kit::sign(&k.south, &kit::results_json("s1", 1, &kit::mayor(1, 2, 3)));
    assert_eq!(post(&url, note).await.0, 201);
    srv.shutdown().await;
}

/// Holds SQLite's write lock, so the sequencer's next commit waits (up to the store's busy
/// timeout) until it is dropped.
fn hold_the_write_lock(dir: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(dir.join(skytale_store::DB_FILE)).unwrap();
    c.execute_batch("BEGIN IMMEDIATE").unwrap();
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_submission_queue_answers_503_with_retry_after() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    create(tmp.path(), &k);
    let srv = start_with(
        tmp.path(),
        Limits {
            submission_queue: 1,
            ..Limits::default()
        },
    )
    .await;
    let url = format!("{}/api/v1/elections/test-2026/submissions", srv.base);
    let lock = hold_the_write_lock(tmp.path());
    // The first takes the one place and waits for its commit.
    let first = tokio::spawn(post(
        url.clone(),
        kit::sign(&k.north, &kit::results_json("n1", 1, &kit::mayor(1, 2, 3))),
    ));
    // Wait until it is in the server's hands (the metrics count the queue's refusals only,
    // so probe with a second one until it is refused). The lock is held for at most a few
    // seconds whatever happens: held past the store's busy timeout (10 s), the sequencer's
    // append would fail and stop the process, this test binary with it. On a loaded machine
    // a probe can overtake the first submission and wait for the lock itself; the short
    // timeout of each probe and the deadline keep that a failed assertion, never a stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = kit::sign(&k.south, &kit::results_json("s1", 1, &kit::mayor(1, 2, 3)));
    let mut refused = None;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        let r = reqwest::Client::new()
            .post(&url)
            .timeout(Duration::from_secs(1))
            .body(second.clone())
            .send()
            .await;
        if let Ok(r) = r {
            if r.status() == 503 {
                refused = Some(r);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if refused.is_none() {
        drop(lock);
        panic!("a second submission is refused while the first holds the queue");
    }
    let r = refused.unwrap();
    assert_eq!(r.headers()["retry-after"], "1");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "busy");
    drop(lock);
    let (s, v) = first.await.unwrap();
    assert_eq!(s, 201, "{v}");
    // With the place free again the second goes through.
    assert_eq!(post(&url, second).await.0, 201);
    srv.shutdown().await;
}

async fn post(url: impl AsRef<str>, body: Vec<u8>) -> (u16, serde_json::Value) {
    common::post(url.as_ref(), body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crafted_tile_paths_answer_404_and_never_panic() {
    let tmp = tempfile::tempdir().unwrap();
    create(tmp.path(), &kit::keys());
    let srv = start(tmp.path()).await;
    let log = format!("{}/log/test-2026", srv.base);
    for path in [
        // start + width overflowed 64 bits here once.
        "tile/entries/x072/x057/x594/x037/x927/935",
        "tile/0/x072/x057/x594/x037/x927/935",
        "tile/0/x018/x446/x744/x073/x709/x551/615",
        "tile/0/x018/x446/x744/x073/x709/x551/616",
        "tile/entries/x018/x446/x744/x073/x709/x551/615.p/255",
        "tile/63/x072/x057/x594/x037/x927/935.p/1",
        "tile/64/000",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/257",
        "tile/entries/000.p/0",
        "tile/entries/000.p/257",
        "tile/0/000.p/",
        "tile/0/000.p/-1",
        "tile/0/x000/001",
        "tile/entries/999.p/1",
        "tile/0/999",
        "tile/0/",
        "tile/",
        "tile/0/000.p/99999999999999999999999",
        "tile/99999999999999999999/000",
    ] {
        let (s, body) = get(&format!("{log}/{path}")).await;
        assert!(
            s == 404 || s == 400,
            "{path}: {s} {}",
            String::from_utf8_lossy(&body)
        );
    }
    // Still alive, and the real tiles are there.
    assert_eq!(get(&format!("{log}/tile/entries/000.p/1")).await.0, 200);
    srv.shutdown().await;
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_security_headers_and_only_public_reads_cors() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    create(tmp.path(), &k);
    let srv = start(tmp.path()).await;
    let b = &srv.base;
    let c = reqwest::Client::new();
    let public = [
        format!("{b}/api/v1/elections"),
        format!("{b}/api/v1/elections/test-2026"),
        format!("{b}/api/v1/elections/test-2026/results"),
        format!("{b}/api/v1/elections/test-2026/snapshot"),
        format!("{b}/api/v1/elections/test-2026/approvals"),
        format!("{b}/log/test-2026/checkpoint"),
        format!("{b}/log/test-2026/tile/entries/000.p/1"),
        format!("{b}/log/test-2026/tile/entries/x999/000"), // an error answer
        format!("{b}/api/v1/elections/nope/results"),       // another
    ];
    for url in &public {
        let r = c.get(url).send().await.unwrap();
        assert_eq!(
            header(&r, "x-content-type-options"),
            Some("nosniff"),
            "{url}"
        );
        // Documents the site renders (results) carry the site's policy, the rest one that
        // allows nothing at all; both start from nothing.
        let csp = header(&r, "content-security-policy").unwrap();
        assert!(csp.starts_with("default-src 'none'"), "{url}: {csp}");
        if url.contains("/log/") || url.ends_with("/elections") || url.contains("nope") {
            assert_eq!(csp, "default-src 'none'; frame-ancestors 'none'; sandbox");
        }
        assert!(header(&r, "referrer-policy").is_some(), "{url}");
        assert_eq!(
            header(&r, "access-control-allow-origin"),
            Some("*"),
            "{url}"
        );
        assert!(header(&r, "access-control-expose-headers")
            .unwrap()
            .contains("Skytale-Snapshot"));
        // Preflight.
        let p = c
            .request(reqwest::Method::OPTIONS, url)
            .header("origin", "https://media.example")
            .header("access-control-request-method", "GET")
            .send()
            .await
            .unwrap();
        assert_eq!(p.status(), 204, "{url}");
        assert_eq!(header(&p, "access-control-allow-origin"), Some("*"));
        assert!(header(&p, "access-control-allow-methods")
            .unwrap()
            .contains("GET"));
    }
    // Pages keep their own policy (scripts and styles from the site itself).
    let r = c.get(format!("{b}/")).send().await.unwrap();
    assert!(header(&r, "content-security-policy")
        .unwrap()
        .contains("script-src 'self'"));
    assert_eq!(header(&r, "access-control-allow-origin"), Some("*"));

    // Writes and sealed reads: security headers, no CORS, no preflight.
    let note = kit::sign(&k.north, &kit::results_json("n1", 1, &kit::mayor(1, 2, 3)));
    let private = [
        c.post(format!("{b}/api/v1/elections/test-2026/submissions"))
            .body(note.clone()),
        c.post(format!("{b}/api/v1/elections/test-2026/auth/challenge")),
        c.get(format!("{b}/api/v1/elections/test-2026/held")),
        c.get(format!("{b}/api/v1/elections/test-2026/sealed/entries")),
        c.get(format!("{b}/metrics")),
    ];
    for req in private {
        let r = req.send().await.unwrap();
        let url = r.url().to_string();
        assert_eq!(
            header(&r, "x-content-type-options"),
            Some("nosniff"),
            "{url}"
        );
        assert!(header(&r, "content-security-policy").is_some(), "{url}");
        assert_eq!(header(&r, "access-control-allow-origin"), None, "{url}");
    }
    for path in ["submissions", "held", "auth/session"] {
        let p = c
            .request(
                reqwest::Method::OPTIONS,
                format!("{b}/api/v1/elections/test-2026/{path}"),
            )
            .header("origin", "https://media.example")
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap();
        assert_ne!(p.status(), 204, "{path}");
        assert_eq!(header(&p, "access-control-allow-origin"), None, "{path}");
    }
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_answers_the_submissions_it_was_handed_and_accepts_no_more() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    create(tmp.path(), &k);
    let srv = start(tmp.path()).await;
    let url = format!("{}/api/v1/elections/test-2026/submissions", srv.base);
    let lock = hold_the_write_lock(tmp.path());
    let in_flight = tokio::spawn(post(
        url.clone(),
        kit::sign(&k.north, &kit::results_json("n1", 1, &kit::mayor(1, 2, 3))),
    ));
    // Let it reach the sequencer (blocked on the lock), then stop the server.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let base = srv.base.clone();
    let stopping = tokio::spawn(srv.shutdown());
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The listener is closed: nobody new gets in.
    assert!(reqwest::get(format!("{base}/api/v1/elections"))
        .await
        .is_err());
    drop(lock);
    let (s, v) = in_flight.await.unwrap();
    assert_eq!(s, 201, "the submission in flight is answered: {v}");
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("the drain ends")
        .unwrap();
    // And what was acknowledged is in the store.
    let store = skytale_store::Store::open(tmp.path()).unwrap();
    let e = store.elections().unwrap();
    assert_eq!(e[0].size, v["tree_size"].as_u64().unwrap());
}
