//! Pushed updates over real HTTP: webhooks registered by an official, signed with the Standard
//! Webhooks scheme (checked by the scheme's reference library when it is installed), retried
//! with backoff when the receiver fails, never delivered twice once delivered; and the
//! election's ActivityPub actor, followed from a strict test inbox that checks every HTTP
//! Signature it is sent.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use skytale_model::{Definition, DefinitionFormat};
use skytale_server::push::PushSettings;
use skytale_server::AppState;
use skytale_testkit as kit;

mod common;
use common::{get_as, post, sign_in, Running};

const ID: &str = "test-2026";

/// One request a test receiver got.
#[derive(Clone, Debug)]
struct Got {
    at: Instant,
    headers: HeaderMap,
    body: Vec<u8>,
    answered: u16,
}

/// A receiver on a free port: answers the statuses of `script` in turn (then 204), and keeps
/// every request.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Got>>>,
}

async fn receiver(script: Vec<u16>) -> Receiver {
    let got: Arc<Mutex<Vec<Got>>> = Arc::default();
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let g = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let (g, script) = (g.clone(), script.clone());
            async move {
                let status = script.lock().unwrap().pop_front().unwrap_or(204);
                g.lock().unwrap().push(Got {
                    at: Instant::now(),
                    headers,
                    body: body.to_vec(),
                    answered: status,
                });
                StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { url, got }
}

impl Receiver {
    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

/// Waits (polling, never longer than ten seconds) until `f` holds.
async fn until(what: &str, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < Duration::from_secs(10), "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Fast settings for tests: short backoff, loopback receivers allowed.
fn settings(public_url: Option<String>) -> PushSettings {
    PushSettings {
        public_url,
        backoff_base: Duration::from_millis(40),
        backoff_cap: Duration::from_millis(160),
        max_attempts: 4,
        timeout: Duration::from_secs(5),
        announce_every: Duration::ZERO,
        allow_private_targets: true,
        ..PushSettings::default()
    }
}

struct Server {
    _tmp: tempfile::TempDir,
    srv: Running,
    base: String,
}

async fn server(k: &kit::Keys, mode: &str) -> Server {
    let tmp = tempfile::tempdir().unwrap();
    {
        let store = skytale_store::Store::open(tmp.path()).unwrap();
        let def = Definition::parse(&kit::toml_text(k, mode), DefinitionFormat::Toml).unwrap();
        skytale_server::create_election(&store, &kit::head(k, &def)).unwrap();
    }
    // The public URL must be known before the listener's port is: bind first, then serve.
    let listener = skytale_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::open(tmp.path())
        .unwrap()
        .with_push(settings(Some(base.clone())))
        .unwrap();
    let srv = common::serve_on(state, listener).await;
    Server {
        _tmp: tmp,
        srv,
        base,
    }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}/api/v1/elections/{ID}/{path}", self.base)
    }

    async fn submit(&self, key: &skytale_note::SigningKey, unit: &str, version: u64) {
        let note = kit::sign(
            key,
            &kit::results_json(unit, version, &kit::mayor(300, 200, 510)),
        );
        let (s, r) = post(&self.url("submissions"), note).await;
        assert_eq!(s, 201, "{r}");
    }

    async fn register(&self, token: &str, body: Value) -> (u16, Value) {
        let r = reqwest::Client::new()
            .post(self.url("webhooks"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }
}

/// The directory of the reference library's check, and whether it is installed.
fn validator() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webhooks"));
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if node && dir.join("node_modules/standardwebhooks").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var("SKYTALE_REQUIRE_VALIDATORS").as_deref() != Ok("1"),
        "SKYTALE_REQUIRE_VALIDATORS=1 but the Standard Webhooks reference library is missing: \
         install node and run (cd crates/server/tests/webhooks && npm ci)"
    );
    eprintln!(
        "skipped: the Standard Webhooks reference library is not installed \
         (cd crates/server/tests/webhooks && npm ci); the signatures were checked against \
         the scheme's test vector only"
    );
    None
}

/// Runs the reference library over deliveries; one line per delivery.
fn reference_verify(dir: &Path, secret: &str, got: &[(HeaderMap, Vec<u8>)]) -> Vec<String> {
    use std::io::Write as _;
    let deliveries: Vec<Value> = got
        .iter()
        .map(|(h, b)| {
            let headers: serde_json::Map<String, Value> = h
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap_or(""))))
                .collect();
            json!({"headers": headers, "body": String::from_utf8_lossy(b)})
        })
        .collect();
    let mut child = std::process::Command::new("node")
        .arg("verify.mjs")
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            json!({"secret": secret, "deliveries": deliveries})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn header(g: &Got, name: &str) -> String {
    g.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_retries_with_backoff_then_each_event_once_signed() {
    let k = kit::keys();
    let s = server(&k, "automatic").await;
    // The receiver fails twice, then accepts everything.
    let rx = receiver(vec![500, 503]).await;
    let authority = sign_in(&s.base, ID, &k.authority).await;
    let token = authority["token"].as_str().unwrap();
    let (st, hook) = s
        .register(token, json!({"url": rx.url, "events": "change"}))
        .await;
    assert_eq!(st, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));

    s.submit(&k.north, "n1", 1).await;
    until("the first event is delivered", || {
        rx.got().iter().any(|g| g.answered == 204)
    })
    .await;
    let got = rx.got();
    assert_eq!(got.len(), 3, "two failures, then the delivery");
    let id = header(&got[0], "webhook-id");
    assert!(
        got.iter().all(|g| header(g, "webhook-id") == id),
        "every retry carries the event's id"
    );
    // Backoff: 40 ms after the first failure, 80 ms after the second (never sooner).
    let gaps: Vec<Duration> = got.windows(2).map(|w| w[1].at - w[0].at).collect();
    assert!(gaps[0] >= Duration::from_millis(40), "{gaps:?}");
    assert!(gaps[1] >= Duration::from_millis(80), "{gaps:?}");
    let body: Value = serde_json::from_slice(&got[2].body).unwrap();
    assert_eq!(body["type"], "results.changed");
    let data = &body["data"];
    assert_eq!(data["election"], ID);
    let size = data["tree_size"].as_u64().unwrap();
    let snap = reqwest::get(s.url("results"))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(data["tree_size"], snap["tree_size"], "names the snapshot");
    assert_eq!(data["root_hash"], snap["root_hash"]);
    assert_eq!(
        data["changes"],
        format!(
            "{}/api/v1/elections/{ID}/changes?since={}",
            s.base, data["since"]
        )
    );

    // The delivery log says so.
    let (st, _, log) = get_as(
        &s.url(&format!("webhooks/{}/deliveries", hook["id"])),
        Some(token),
    )
    .await;
    assert_eq!(st, 200, "{log}");
    let d = &log["deliveries"][0];
    assert_eq!(
        (d["state"].as_str(), d["attempts"].as_u64()),
        (Some("delivered"), Some(3))
    );
    assert_eq!(d["event_id"], id.as_str());

    // A second snapshot is a second event, delivered once; nothing of the first comes again.
    s.submit(&k.south, "s1", 1).await;
    until("the second event is delivered", || rx.got().len() >= 4).await;
    // Several backoff periods: a duplicate would have come by now.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let got = rx.got();
    assert_eq!(got.len(), 4, "one delivery per event once delivered");
    let second: Value = serde_json::from_slice(&got[3].body).unwrap();
    assert_ne!(header(&got[3], "webhook-id"), id);
    assert_eq!(second["data"]["since"].as_u64(), Some(size));

    // Signatures, by an implementation we did not write.
    let deliveries: Vec<(HeaderMap, Vec<u8>)> = got
        .iter()
        .map(|g| (g.headers.clone(), g.body.clone()))
        .collect();
    for (h, b) in &deliveries {
        let ts: i64 = h["webhook-timestamp"].to_str().unwrap().parse().unwrap();
        let sig =
            skytale_server::push::webhooks::sign(&secret, h["webhook-id"].to_str().unwrap(), ts, b);
        assert_eq!(sig.as_deref(), h["webhook-signature"].to_str().ok());
    }
    if let Some(dir) = validator() {
        let lines = reference_verify(&dir, &secret, &deliveries);
        assert_eq!(lines, vec!["ok"; deliveries.len()], "reference library");
        // A tampered body must fail there too.
        let mut bad = deliveries[3].clone();
        bad.1 = String::from_utf8(bad.1)
            .unwrap()
            .replace("results", "Results")
            .into_bytes();
        let lines = reference_verify(&dir, &secret, &[bad]);
        assert!(lines[0].starts_with("error"), "{lines:?}");
    }
    s.srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_authority_and_approvers_manage_webhooks_and_only_http_urls() {
    let k = kit::keys();
    let s = server(&k, "automatic").await;
    let reporter = sign_in(&s.base, ID, &k.north).await;
    let (st, e) = s
        .register(
            reporter["token"].as_str().unwrap(),
            json!({"url": "http://127.0.0.1:9/hook"}),
        )
        .await;
    assert_eq!((st, e["error"]["code"].as_str()), (403, Some("forbidden")));
    let (st, _) = s
        .register("forged", json!({"url": "http://127.0.0.1:9/hook"}))
        .await;
    assert_eq!(st, 401);
    let approver = sign_in(&s.base, ID, &k.approver).await;
    let token = approver["token"].as_str().unwrap();
    for (url, code) in [
        ("file:///etc/passwd", "bad_url"),
        ("gopher://x.example/", "bad_url"),
        ("not a url", "bad_url"),
    ] {
        let (st, e) = s.register(token, json!({"url": url})).await;
        assert_eq!(
            (st, e["error"]["code"].as_str()),
            (400, Some(code)),
            "{url}"
        );
    }
    let (st, e) = s
        .register(
            token,
            json!({"url": "http://127.0.0.1:9/", "events": "everything"}),
        )
        .await;
    assert_eq!((st, e["error"]["code"].as_str()), (400, Some("bad_events")));
    let (st, hook) = s
        .register(token, json!({"url": "http://127.0.0.1:9/hook"}))
        .await;
    assert_eq!((st, hook["events"].as_str()), (201, Some("publication")));
    let (st, cache, list) = get_as(&s.url("webhooks"), Some(token)).await;
    assert_eq!((st, cache.as_str()), (200, "no-store"));
    assert_eq!(list["webhooks"].as_array().unwrap().len(), 1);
    assert!(
        list["webhooks"][0].get("secret").is_none(),
        "shown once only"
    );
    let r = reqwest::Client::new()
        .delete(s.url(&format!("webhooks/{}", hook["id"])))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let (_, _, list) = get_as(&s.url("webhooks"), Some(token)).await;
    assert!(list["webhooks"].as_array().unwrap().is_empty());
    s.srv.shutdown().await;
}
