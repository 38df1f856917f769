//! `skytale webhook` against a live server: the election's officials register, list and
//! remove webhooks; a reporting authority's key cannot, and only http(s) URLs are taken.

use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use skytale_model::{Definition, DefinitionFormat};
use skytale_testkit as kit;

const ID: &str = "test-2026";

async fn skytale(args: Vec<String>) -> (bool, String, String) {
    tokio::task::spawn_blocking(move || {
        let out = Command::cargo_bin("skytale")
            .unwrap()
            .args(&args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approver_adds_lists_and_removes_a_webhook_and_a_reporter_cannot() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let k = kit::keys();
    {
        let store = skytale_store::Store::open(&data).unwrap();
        let def =
            Definition::parse(&kit::toml_text(&k, "approval"), DefinitionFormat::Toml).unwrap();
        skytale_server::create_election(&store, &kit::head(&k, &def)).unwrap();
    }
    let state = skytale_server::AppState::open(&data).unwrap();
    let listener = skytale_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(skytale_server::serve(state, listener, async move {
        let _ = stopped.await;
    }));
    let args = |cmd: &[&str], key: &skytale_note::SigningKey| -> Vec<String> {
        let mut a: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
        a.extend([
            "--server".into(),
            base.clone(),
            "--election".into(),
            ID.into(),
            "--key".into(),
            skytale_testkit::write_key(tmp.path(), key),
        ]);
        a
    };
    let hook = "https://news.example/skytale";
    let (ok, out, err) = skytale(args(
        &["webhook", "add", "--url", hook, "--events", "change"],
        &k.approver,
    ))
    .await;
    assert!(ok, "{err}");
    assert!(out.starts_with("webhook 1 registered for change events to https://news.example/skytale\nsecret: whsec_"), "{out}");
    let (ok, out, err) = skytale(args(&["webhook", "list"], &k.authority)).await;
    assert!(ok, "{err}");
    assert!(
        out.starts_with("1\tchange\thttps://news.example/skytale\tby approver"),
        "{out}"
    );
    assert!(
        out.ends_with("1 webhooks\n") && !out.contains("whsec_"),
        "{out}"
    );
    let (ok, _, err) = skytale(args(&["webhook", "list"], &k.north)).await;
    assert!(!ok && err.contains("forbidden"), "{err}");
    let (ok, _, err) = skytale(args(
        &["webhook", "add", "--url", "file:///etc/passwd"],
        &k.approver,
    ))
    .await;
    assert!(!ok && err.contains("bad_url"), "{err}");
    let (ok, out, err) = skytale(args(&["webhook", "remove", "1"], &k.approver)).await;
    assert!(ok, "{err}");
    assert_eq!(out, "webhook 1 removed\n");
    let (ok, out, _) = skytale(args(&["webhook", "list"], &k.approver)).await;
    assert!(ok);
    assert_eq!(out, "0 webhooks\n");
    let (ok, _, err) = skytale(args(&["webhook", "remove", "1"], &k.approver)).await;
    assert!(!ok && err.contains("unknown_webhook"), "{err}");

    let _ = stop.send(());
    task.await.unwrap().unwrap();
}
