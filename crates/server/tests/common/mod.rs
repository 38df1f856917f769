//! What the server's integration tests share: a server on a free port over a data directory,
//! shut down gracefully, and plain GET/POST helpers.
#![allow(dead_code)] // each test file uses its own part

use std::path::Path;

use skytale_server::AppState;

pub struct Running {
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), skytale_server::ServerError>>,
}

pub async fn start(dir: &Path) -> Running {
    start_state(AppState::open(dir).expect("store opens and replays")).await
}

/// Serves a state the test prepared (e.g. with sign-in on a clock it moves).
pub async fn start_state(state: AppState) -> Running {
    let listener = skytale_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    serve_on(state, listener).await
}

/// Serves a state on a listener the test bound (it needed the address first).
pub async fn serve_on(state: AppState, listener: tokio::net::TcpListener) -> Running {
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(skytale_server::serve(state, listener, async move {
        let _ = rx.await;
    }));
    Running {
        base,
        stop: Some(tx),
        task,
    }
}

impl Running {
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.task.await.unwrap().unwrap();
    }
}

pub async fn get(url: &str) -> (u16, Vec<u8>) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

pub async fn post(url: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .post(url)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

/// Signs in to `election` as the holder of `key` (challenge, signature, session) and returns
/// the session answer (`token`, `role`, `scope`, …).
pub async fn sign_in(
    base: &str,
    election: &str,
    key: &skytale_note::SigningKey,
) -> serde_json::Value {
    let (s, c) = post(
        &format!("{base}/api/v1/elections/{election}/auth/challenge"),
        vec![],
    )
    .await;
    assert_eq!(s, 200, "{c}");
    let note = key
        .sign_note(c["challenge"].as_str().unwrap())
        .unwrap()
        .to_bytes();
    let (s, session) = post(
        &format!("{base}/api/v1/elections/{election}/auth/session"),
        note,
    )
    .await;
    assert_eq!(s, 200, "{session}");
    session
}

/// A GET with `Authorization: Bearer <token>` (none when `token` is `None`): status, the
/// `Cache-Control` header and the body as JSON.
pub async fn get_as(url: &str, token: Option<&str>) -> (u16, String, serde_json::Value) {
    let mut req = reqwest::Client::new().get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let cache = r
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, cache, r.json().await.unwrap())
}
