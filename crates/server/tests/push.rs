//! Pushed updates over real HTTP: webhooks registered by an official, signed with the Standard
//! Webhooks scheme (checked by the scheme's reference library when it is installed), retried
//! with backoff when the receiver fails, never delivered twice once delivered; and the
//! election's ActivityPub actor, followed from a strict test inbox that checks every HTTP
//! Signature it is sent, and from Fedify (an ActivityPub framework from npm, when installed),
//! which finds the actor, reads it, follows it and verifies what it is sent.

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
    push: Arc<skytale_server::push::Push>,
}

async fn server(k: &kit::Keys, mode: &str) -> Server {
    server_with(k, mode, |s| s).await
}

async fn server_with(
    k: &kit::Keys,
    mode: &str,
    tune: impl FnOnce(PushSettings) -> PushSettings,
) -> Server {
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
        .with_push(tune(settings(Some(base.clone()))))
        .unwrap();
    let push = state.push.clone();
    let srv = common::serve_on(state, listener).await;
    Server {
        _tmp: tmp,
        srv,
        base,
        push,
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

/// A receiver that keeps failing is tried `max_attempts` times (4 here), then the delivery is
/// given up and logged as failed; one that answers 410 Gone is not tried again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_keeps_failing_is_given_up_after_the_last_attempt() {
    let k = kit::keys();
    let running = server(&k, "automatic").await;
    let s = &running;
    let broken = receiver(vec![500; 10]).await;
    let gone = receiver(vec![410; 10]).await;
    let authority = sign_in(&s.base, ID, &k.authority).await;
    let token = authority["token"].as_str().unwrap();
    let mut ids = Vec::new();
    for rx in [&broken, &gone] {
        let (st, hook) = s
            .register(token, json!({"url": rx.url, "events": "change"}))
            .await;
        assert_eq!(st, 201, "{hook}");
        ids.push(hook["id"].as_i64().unwrap());
    }
    s.submit(&k.north, "n1", 1).await;
    let state = |id: i64| async move {
        let (_, _, log) = get_as(&s.url(&format!("webhooks/{id}/deliveries")), Some(token)).await;
        (
            log["deliveries"][0]["state"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            log["deliveries"][0]["attempts"].as_u64().unwrap_or(0),
        )
    };
    let t0 = Instant::now();
    loop {
        if state(ids[0]).await.0 == "failed" && state(ids[1]).await.0 == "failed" {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "never given up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(state(ids[0]).await, ("failed".to_string(), 4));
    assert_eq!(state(ids[1]).await, ("failed".to_string(), 1), "410 Gone");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(broken.got().len(), 4, "no attempt after the last");
    assert_eq!(gone.got().len(), 1);
    running.srv.shutdown().await;
}

/// Under `approval` a `publication` endpoint hears of nothing while results are sealed, then of
/// the approvers' publication, with the approved size, its root and the headline figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publication_endpoint_hears_of_the_approved_publication_only() {
    let k = kit::keys();
    let s = server(&k, "approval").await;
    let rx = receiver(vec![]).await;
    let authority = sign_in(&s.base, ID, &k.authority).await;
    let (st, hook) = s
        .register(
            authority["token"].as_str().unwrap(),
            json!({"url": rx.url, "events": "publication"}),
        )
        .await;
    assert_eq!(st, 201, "{hook}");
    s.submit(&k.north, "n1", 1).await;
    s.submit(&k.south, "s1", 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(rx.got().is_empty(), "sealed results announce nothing");

    let (_, cp) = common::get(&format!("{}/log/{ID}/checkpoint", s.base)).await;
    let note = skytale_note::Note::parse(&cp).unwrap();
    let cp = skytale_tlog::Checkpoint::parse(&note.text).unwrap();
    let root = skytale_model::encode_hash(&cp.root);
    let approval = kit::sign(
        &k.approver,
        &format!(
            r#"{{"type":"publication","election":"{ID}","tree_size":{},"root_hash":"{root}","signed_at":"2026-11-25T23:00:00Z"}}"#,
            cp.size
        ),
    );
    let (st, r) = post(&s.url("submissions"), approval).await;
    assert_eq!(st, 201, "{r}");
    until("the publication is delivered", || !rx.got().is_empty()).await;
    let got = rx.got();
    assert_eq!(got.len(), 1);
    let body: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["type"], "results.published");
    let data = &body["data"];
    assert_eq!(data["mode"], "approval");
    assert_eq!(data["tree_size"].as_u64(), Some(cp.size));
    assert_eq!(data["root_hash"], root.as_str());
    assert_eq!(data["published_at"], "2026-11-25T23:00:00Z");
    let mayor = data["headline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["contest"] == "mayor")
        .unwrap();
    assert_eq!(mayor["units_reporting"], 2);
    assert_eq!(mayor["leaders"][0]["selection"], "alice");
    assert_eq!(mayor["leaders"][0]["votes"], 600);
    assert_eq!(
        header(&got[0], "webhook-id"),
        format!("msg_{ID}_publication_{}", cp.size)
    );
    s.srv.shutdown().await;
}

/// Under `automatic` publication every statement is public at once; a publication is announced
/// when results first arrive and then at most once per interval, while every snapshot is a
/// `change` event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_publications_are_announced_at_most_once_per_interval() {
    let k = kit::keys();
    let s = server_with(&k, "automatic", |p| PushSettings {
        announce_every: Duration::from_secs(3600),
        ..p
    })
    .await;
    let subs = s.push.clone();
    let count = |stream: &str| subs.subscriptions().count_events(ID, stream).unwrap();
    let last = |stream: &str| subs.subscriptions().last_event(ID, stream).unwrap();
    until("the start is a change event", || count("change") == 1).await;
    assert_eq!(
        count("publication"),
        0,
        "nothing reported: nothing to announce"
    );
    s.submit(&k.north, "n1", 1).await;
    until("the first results are announced", || {
        count("publication") == 1
    })
    .await;
    let first = last("publication");
    s.submit(&k.south, "s1", 1).await;
    until("a change event for the second statement", || {
        last("change") > first
    })
    .await;
    // The watcher has seen the newer snapshot; a second announcement would be queued with it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        count("publication"),
        1,
        "the interval holds the second back"
    );
    assert_eq!(last("publication"), first);
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

/// A fediverse account on a test server of its own: its actor document, its key, and a strict
/// inbox that keeps each activity with whether its HTTP Signature verified, checked here from
/// the signing string up (not with the server's code) against the key the signer publishes.
struct Fan {
    base: String,
    actor: String,
    key: rsa::RsaPrivateKey,
    inbox: Inbox,
}

/// What a strict inbox was sent: each activity with the verdict on its signature.
type Inbox = Arc<Mutex<Vec<(Value, Result<(), String>)>>>;

async fn fan() -> Fan {
    use rsa::pkcs8::EncodePublicKey as _;
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    let pem = rsa::RsaPublicKey::from(&key)
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let actor = format!("{base}/users/fan");
    let doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": actor,
        "type": "Person",
        "preferredUsername": "fan",
        "inbox": format!("{actor}/inbox"),
        "outbox": format!("{actor}/outbox"),
        "publicKey": {"id": format!("{actor}#main-key"), "owner": actor, "publicKeyPem": pem},
    });
    let inbox: Inbox = Arc::default();
    let kept = inbox.clone();
    let app = axum::Router::new()
        .route(
            "/users/fan",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move {
                    (
                        [("content-type", "application/activity+json")],
                        doc.to_string(),
                    )
                }
            }),
        )
        .route(
            "/users/fan/inbox",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let kept = kept.clone();
                async move {
                    let verdict = strict_check("/users/fan/inbox", &headers, &body).await;
                    let activity: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    kept.lock().unwrap().push((activity, verdict));
                    StatusCode::ACCEPTED
                }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Fan {
        base,
        actor,
        key,
        inbox,
    }
}

/// The strict inbox's check of a delivery: a `Signature` over `(request-target) host date
/// digest` by the key its `keyId` names (fetched), a digest that matches the body, a date
/// within five minutes, and an activity whose actor owns the key.
async fn strict_check(path: &str, h: &HeaderMap, body: &[u8]) -> Result<(), String> {
    use base64::Engine as _;
    use rsa::pkcs8::DecodePublicKey as _;
    use rsa::signature::Verifier as _;
    use sha2::Digest as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let get = |n: &str| {
        h.get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or(format!("no {n} header"))
    };
    let sig = get("signature")?;
    let param = |name: &str| -> Result<String, String> {
        let start = sig
            .find(&format!("{name}=\""))
            .ok_or(format!("no {name}"))?
            + name.len()
            + 2;
        let len = sig[start..].find('"').ok_or("unclosed")?;
        Ok(sig[start..start + len].to_string())
    };
    if param("algorithm")? != "rsa-sha256" {
        return Err("not rsa-sha256".into());
    }
    let names = param("headers")?;
    if names != "(request-target) host date digest" {
        return Err(format!("signed headers are {names:?}"));
    }
    let digest = format!("SHA-256={}", b64.encode(sha2::Sha256::digest(body)));
    if get("digest")? != digest {
        return Err("digest differs".into());
    }
    let date = httpdate::parse_http_date(&get("date")?).map_err(|e| e.to_string())?;
    let age = std::time::SystemTime::now()
        .duration_since(date)
        .unwrap_or_default();
    if age > Duration::from_secs(300) {
        return Err("stale date".into());
    }
    let text = format!(
        "(request-target): post {path}\nhost: {}\ndate: {}\ndigest: {}",
        get("host")?,
        get("date")?,
        get("digest")?
    );
    let key_id = param("keyId")?;
    let actor: Value = reqwest::Client::new()
        .get(&key_id)
        .header("accept", "application/activity+json")
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    if actor["publicKey"]["id"] != key_id.as_str() {
        return Err("the key id is not the actor's key".into());
    }
    let activity: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if activity["actor"] != actor["id"] {
        return Err("the activity's actor does not own the key".into());
    }
    let key = rsa::RsaPublicKey::from_public_key_pem(
        actor["publicKey"]["publicKeyPem"].as_str().unwrap_or(""),
    )
    .map_err(|e| e.to_string())?;
    let signature = rsa::pkcs1v15::Signature::try_from(
        b64.decode(param("signature")?)
            .map_err(|e| e.to_string())?
            .as_slice(),
    )
    .map_err(|e| e.to_string())?;
    rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key)
        .verify(text.as_bytes(), &signature)
        .map_err(|e| format!("signature: {e}"))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum How {
    Honest,
    Tampered,
    Forged,
}

impl Fan {
    fn got(&self) -> Vec<(Value, Result<(), String>)> {
        self.inbox.lock().unwrap().clone()
    }

    /// Posts `activity` to `inbox` signed with the fan's key (`How::Tampered` changes the body
    /// after signing, `How::Forged` signs with another key under the fan's key id).
    async fn send(&self, inbox: &str, activity: &Value, how: How) -> u16 {
        use base64::Engine as _;
        use rsa::signature::{SignatureEncoding as _, Signer as _};
        use sha2::Digest as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let u = reqwest::Url::parse(inbox).unwrap();
        let body = activity.to_string();
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        let digest = format!(
            "SHA-256={}",
            b64.encode(sha2::Sha256::digest(body.as_bytes()))
        );
        let host = format!("{}:{}", u.host_str().unwrap(), u.port().unwrap());
        let text = format!(
            "(request-target): post {}\nhost: {host}\ndate: {date}\ndigest: {digest}",
            u.path()
        );
        let key = match how {
            How::Forged => rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 1024).unwrap(),
            _ => self.key.clone(),
        };
        let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key);
        let sig = b64.encode(signer.sign(text.as_bytes()).to_vec());
        let body = if how == How::Tampered {
            body.replace("Follow", "Block")
        } else {
            body
        };
        reqwest::Client::new()
            .post(u)
            .header("content-type", "application/activity+json")
            .header("date", date)
            .header("digest", digest)
            .header(
                "signature",
                format!(
                    "keyId=\"{}#main-key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"{sig}\"",
                    self.actor
                ),
            )
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_is_accepted_and_gets_the_next_publication_signed() {
    let k = kit::keys();
    let s = server(&k, "automatic").await;
    let host = s.base.trim_start_matches("http://").to_string();

    // WebFinger finds the actor.
    let r = reqwest::get(format!(
        "{}/.well-known/webfinger?resource=acct:{ID}@{host}",
        s.base
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/jrd+json");
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let jrd: Value = r.json().await.unwrap();
    assert_eq!(jrd["subject"], format!("acct:{ID}@{host}"));
    let actor_url = format!("{}/ap/elections/{ID}", s.base);
    let link = jrd["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .unwrap();
    assert_eq!(link["type"], "application/activity+json");
    assert_eq!(link["href"], actor_url.as_str());
    let (st, _) = common::get(&format!(
        "{}/.well-known/webfinger?resource=acct:nobody@{host}",
        s.base
    ))
    .await;
    assert_eq!(st, 404);
    let (st, _) = common::get(&format!(
        "{}/.well-known/webfinger?resource=acct:{ID}@elsewhere.example",
        s.base
    ))
    .await;
    assert_eq!(st, 404, "another host's account");

    // The actor document.
    let r = reqwest::Client::new()
        .get(&actor_url)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/activity+json");
    let actor: Value = r.json().await.unwrap();
    assert_eq!(
        actor["@context"][0],
        "https://www.w3.org/ns/activitystreams"
    );
    assert_eq!(actor["id"], actor_url.as_str());
    assert_eq!(actor["type"], "Service");
    assert_eq!(actor["preferredUsername"], ID);
    assert_eq!(actor["name"], "Test election");
    for (field, path) in [
        ("inbox", "/inbox"),
        ("outbox", "/outbox"),
        ("followers", "/followers"),
    ] {
        assert_eq!(actor[field], format!("{actor_url}{path}"));
    }
    assert_eq!(actor["publicKey"]["id"], format!("{actor_url}#main-key"));
    assert_eq!(actor["publicKey"]["owner"], actor_url.as_str());
    {
        use rsa::pkcs8::DecodePublicKey as _;
        use rsa::traits::PublicKeyParts as _;
        let pem = actor["publicKey"]["publicKeyPem"].as_str().unwrap();
        let key = rsa::RsaPublicKey::from_public_key_pem(pem).unwrap();
        assert_eq!(key.size(), 256, "RSA 2048");
    }
    let outbox: Value = reqwest::get(format!("{actor_url}/outbox"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (outbox["type"].as_str(), outbox["totalItems"].as_u64()),
        (Some("OrderedCollection"), Some(0))
    );

    // A follow: unsigned and tampered ones are refused, a signed one is accepted.
    let fan = fan().await;
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/follows/1", fan.base),
        "type": "Follow",
        "actor": fan.actor,
        "object": actor_url,
    });
    let inbox = format!("{actor_url}/inbox");
    let r = reqwest::Client::new()
        .post(&inbox)
        .json(&follow)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "unsigned");
    assert_eq!(fan.send(&inbox, &follow, How::Tampered).await, 401);
    assert_eq!(fan.send(&inbox, &follow, How::Forged).await, 401);
    let mut impostor = follow.clone();
    impostor["actor"] = json!(format!("{}/users/someone-else", fan.base));
    assert_eq!(
        fan.send(&inbox, &impostor, How::Honest).await,
        401,
        "an activity of another actor"
    );
    assert_eq!(fan.send(&inbox, &follow, How::Honest).await, 202);
    until("the fan gets the Accept", || !fan.got().is_empty()).await;
    let (accept, verdict) = fan.got()[0].clone();
    assert_eq!(verdict, Ok(()), "{accept}");
    assert_eq!(accept["type"], "Accept");
    assert_eq!(accept["actor"], actor_url.as_str());
    assert_eq!(accept["object"]["id"], follow["id"]);
    let followers: Value = reqwest::get(format!("{actor_url}/followers"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(followers["totalItems"], 1);

    // The next publication reaches the fan, signed, with what a reader checks it by.
    s.submit(&k.north, "n1", 1).await;
    until("the fan gets the post", || fan.got().len() >= 2).await;
    let (create, verdict) = fan.got()[1].clone();
    assert_eq!(verdict, Ok(()), "{create}");
    assert_eq!(create["type"], "Create");
    let note = &create["object"];
    assert_eq!(note["type"], "Note");
    assert_eq!(note["attributedTo"], actor_url.as_str());
    assert_eq!(
        note["to"][0],
        "https://www.w3.org/ns/activitystreams#Public"
    );
    let results: Value = reqwest::get(s.url("results"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let content = note["content"].as_str().unwrap();
    let root = results["root_hash"].as_str().unwrap();
    assert!(content.contains(root), "{content}");
    assert!(
        content.contains(&format!("Tree size: {}", results["tree_size"])),
        "{content}"
    );
    assert!(content.contains("Alice"), "the leading choice: {content}");
    assert!(
        content.contains(&format!("{}/en/{ID}/", s.base)),
        "{content}"
    );
    let fr = note["contentMap"]["fr"].as_str().unwrap();
    assert!(fr.contains(root) && fr.contains("Élection test"), "{fr}");
    assert_eq!(note["attachment"][0]["mediaType"], "image/png");
    assert!(note["attachment"][0]["url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/og/{ID}/", s.base)));

    // The outbox keeps it.
    let page: Value = reqwest::get(format!("{actor_url}/outbox?page=true"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["type"], "OrderedCollectionPage");
    assert_eq!(page["orderedItems"][0]["id"], create["id"]);

    // Unfollowing removes the fan.
    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/follows/1/undo", fan.base),
        "type": "Undo",
        "actor": fan.actor,
        "object": follow,
    });
    assert_eq!(fan.send(&inbox, &undo, How::Honest).await, 202);
    let followers: Value = reqwest::get(format!("{actor_url}/followers"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(followers["totalItems"], 0);
    s.srv.shutdown().await;
}

/// The directory of the Fedify peer, when Fedify is installed.
fn fedify() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/activitypub"));
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if node && dir.join("node_modules/@fedify/fedify").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var("SKYTALE_REQUIRE_VALIDATORS").as_deref() != Ok("1"),
        "SKYTALE_REQUIRE_VALIDATORS=1 but Fedify is missing: install node and run \
         (cd crates/server/tests/activitypub && npm ci)"
    );
    eprintln!(
        "skipped: Fedify is not installed (cd crates/server/tests/activitypub && npm ci); \
         the strict test inbox checked the actor and its signatures"
    );
    None
}

/// The Fedify peer's steps, one JSON line each, as they come.
struct Peer {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<Value>,
}

impl Peer {
    /// The next step of kind `event` (others before it are returned too, in order).
    fn until(&self, event: &str) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let v = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no {event:?} from the Fedify peer; so far {seen:?}"));
            assert_ne!(v["event"], "error", "{v}");
            let done = v["event"] == event;
            seen.push(v);
            if done {
                return seen;
            }
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fedify_finds_follows_and_verifies_the_election_actor() {
    let Some(dir) = fedify() else { return };
    let k = kit::keys();
    let s = server(&k, "automatic").await;
    let host = s.base.trim_start_matches("http://").to_string();
    let actor_url = format!("{}/ap/elections/{ID}", s.base);
    let mut child = std::process::Command::new("node")
        .arg("peer.mjs")
        .arg(&actor_url)
        .current_dir(&dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                let _ = tx.send(v);
            }
        }
    });
    let peer = Peer { child, lines };
    let steps = tokio::task::block_in_place(|| peer.until("follow"));
    let step = |e: &str| steps.iter().find(|v| v["event"] == e).unwrap().clone();
    let wf = step("webfinger");
    assert_eq!(wf["subject"], format!("acct:{ID}@{host}"));
    assert_eq!(wf["self"], actor_url.as_str());
    let actor = step("actor");
    assert_eq!(actor["service"], true, "{actor}");
    assert_eq!(actor["id"], actor_url.as_str());
    assert_eq!(actor["inbox"], format!("{actor_url}/inbox"));
    assert_eq!(actor["key"], "RSASSA-PKCS1-v1_5");
    assert_eq!(actor["keyOwner"], actor_url.as_str());
    assert_eq!(
        step("follow")["status"],
        202,
        "our inbox took Fedify's signature"
    );

    let accept = tokio::task::block_in_place(|| peer.until("inbox"));
    let accept = accept.last().unwrap();
    assert_eq!(accept["type"], "Accept", "{accept}");
    assert_eq!(
        accept["verified"], true,
        "Fedify verified our signature: {accept}"
    );
    assert_eq!(accept["owner"], actor_url.as_str());

    s.submit(&k.north, "n1", 1).await;
    let create = tokio::task::block_in_place(|| peer.until("inbox"));
    let create = create.last().unwrap();
    assert_eq!(create["type"], "Create", "{create}");
    assert_eq!(create["verified"], true, "{create}");
    let results: Value = reqwest::get(s.url("results"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let content = create["note"]["content"].as_str().unwrap_or("");
    assert!(
        content.contains(results["root_hash"].as_str().unwrap()),
        "{create}"
    );
    assert_eq!(
        create["note"]["attachments"],
        json!(["image/png"]),
        "{create}"
    );
    assert_eq!(
        create["note"]["languages"],
        json!([null, "en", "fr"]),
        "{create}"
    );
    drop(peer);
    s.srv.shutdown().await;
}
