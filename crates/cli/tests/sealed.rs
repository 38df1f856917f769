//! `skytale sealed` and `skytale held list` against a live server: a reporting authority's key
//! reads its own units' sealed entries and held submissions, and learns only the indexes of
//! the others; an approver's key reads them all, also written as JSON.

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use skytale_model::{Definition, DefinitionFormat};
use skytale_testkit as kit;

const ID: &str = "test-2026";

fn write_key(dir: &Path, key: &skytale_note::SigningKey) -> String {
    let path = dir.join(format!("{}.key", key.name()));
    std::fs::write(&path, format!("{}\n", key.to_skey_string())).unwrap();
    path.display().to_string()
}

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

async fn post(url: &str, body: Vec<u8>) -> u16 {
    let r = reqwest::Client::new()
        .post(url)
        .body(body)
        .send()
        .await
        .unwrap();
    r.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officials_read_sealed_entries_and_held_submissions_of_their_scope() {
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

    let submissions = format!("{base}/api/v1/elections/{ID}/submissions");
    let n1 = kit::results_json("n1", 1, &kit::mayor(300, 200, 510));
    let s1 = kit::results_json("s1", 1, &kit::mayor(100, 400, 505));
    assert_eq!(post(&submissions, kit::sign(&k.north, &n1)).await, 201);
    assert_eq!(post(&submissions, kit::sign(&k.south, &s1)).await, 201);
    let held = kit::results_json("s2", 1, &kit::mayor(900, 900, 1200));
    assert_eq!(post(&submissions, kit::sign(&k.south, &held)).await, 202);

    let args = |cmd: &[&str], key: &skytale_note::SigningKey| -> Vec<String> {
        let mut a: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
        a.extend([
            "--server".into(),
            base.clone(),
            "--election".into(),
            ID.into(),
            "--key".into(),
            write_key(tmp.path(), key),
        ]);
        a
    };

    let (ok, out, err) = skytale(args(&["sealed"], &k.north)).await;
    assert!(ok, "{err}");
    assert!(out.contains(&n1), "{out}");
    assert!(!out.contains(&s1), "{out}");
    assert!(out.contains("--- withheld: 2\n"), "{out}");
    assert!(
        out.ends_with("2 entries read, 1 withheld (outside this key's scope), log size 3\n"),
        "{out}"
    );

    let json = tmp.path().join("sealed.json");
    let mut a = args(&["sealed", "--from", "1"], &k.approver);
    a.extend(["--out".into(), json.display().to_string()]);
    let (ok, out, err) = skytale(a).await;
    assert!(ok, "{err}");
    assert!(out.starts_with("2 entries read, 0 withheld"), "{out}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(doc["log_size"], 3);
    assert_eq!(doc["entries"][0]["index"], 1);
    assert_eq!(
        doc["entries"][0]["note"],
        String::from_utf8(kit::sign(&k.north, &n1)).unwrap()
    );
    assert_eq!(
        doc["entries"][1]["note"],
        String::from_utf8(kit::sign(&k.south, &s1)).unwrap()
    );

    let (ok, out, err) = skytale(args(&["held", "list"], &k.north)).await;
    assert!(ok, "{err}");
    assert_eq!(out, "0 held submissions\n");
    let (ok, out, err) = skytale(args(&["held", "list"], &k.south)).await;
    assert!(ok, "{err}");
    assert!(
        out.contains(&held) && out.ends_with("1 held submissions\n"),
        "{out}"
    );

    // A key the election does not know is refused, with the server's code.
    let (ok, _, err) = skytale(args(&["sealed"], &k.stranger)).await;
    assert!(!ok);
    assert!(err.contains("unknown_key"), "{err}");

    let _ = stop.send(());
    task.await.unwrap().unwrap();
}
