//! `skytale sealed` and `skytale held list` against a live server: a reporting authority's key
//! reads its own units' sealed entries and held submissions, and learns only the indexes of
//! the others; an approver's key reads them all, also written as JSON.

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
            skytale_testkit::write_key(tmp.path(), key),
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

    // Releasing needs the authority or an approver, and a reason published with it.
    let id_of = |out: &str| -> String {
        out.split("--- held #")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .unwrap()
            .to_string()
    };
    let held_id = id_of(&out);
    let review = |verb: &str, id: &str, reason: &str| {
        vec![
            "held".to_string(),
            verb.to_string(),
            "--id".into(),
            id.to_string(),
            "--reason".into(),
            reason.to_string(),
        ]
    };
    let mut a = review(
        "release",
        &held_id,
        "the county confirmed the figures by phone",
    );
    a.extend(args(&[], &k.south));
    let (ok, _, err) = skytale(a).await;
    assert!(!ok);
    assert!(err.contains("key_not_authorised"), "{err}");
    let mut a = review(
        "release",
        &held_id,
        "the county confirmed the figures by phone",
    );
    a.extend(args(&[], &k.authority));
    let (ok, out, err) = skytale(a).await;
    assert!(ok, "{err}");
    assert_eq!(
        out,
        format!("held #{held_id} released into the count; recorded at index 3\n")
    );
    let (ok, out, err) = skytale(args(&["held", "list"], &k.south)).await;
    assert!(ok, "{err}");
    assert_eq!(
        out, "0 held submissions\n",
        "a decided submission leaves the queue"
    );
    let mut a = review("reject", &held_id, "too late");
    a.extend(args(&[], &k.approver));
    let (ok, _, err) = skytale(a).await;
    assert!(!ok);
    assert!(err.contains("no held submission"), "{err}");

    // Another held one is rejected; a third is overtaken by a newer version of its unit.
    let bad = kit::results_json("n2", 1, &kit::mayor(900, 900, 1200));
    assert_eq!(post(&submissions, kit::sign(&k.north, &bad)).await, 202);
    let (_, out, _) = skytale(args(&["held", "list"], &k.north)).await;
    let bad_id = id_of(&out);
    let mut a = review("reject", &bad_id, "a typing error; the county resends");
    a.extend(args(&[], &k.approver));
    let (ok, out, err) = skytale(a).await;
    assert!(ok, "{err}");
    assert!(out.contains("rejected; recorded at index 4"), "{out}");
    let again = kit::results_json("s1", 2, &kit::mayor(900, 900, 1200));
    assert_eq!(post(&submissions, kit::sign(&k.south, &again)).await, 202);
    let newer = kit::results_json("s1", 3, &kit::mayor(110, 400, 515));
    assert_eq!(post(&submissions, kit::sign(&k.south, &newer)).await, 201);
    let (_, out, _) = skytale(args(&["held", "list"], &k.approver)).await;
    assert_eq!(out, "0 held submissions\n", "superseded: {out}");
    let sealed = tmp.path().join("after.json");
    let mut a = args(&["sealed"], &k.approver);
    a.extend(["--out".into(), sealed.display().to_string()]);
    let (ok, _, err) = skytale(a).await;
    assert!(ok, "{err}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&sealed).unwrap()).unwrap();
    let notes: Vec<&str> = doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["note"].as_str().unwrap())
        .collect();
    assert!(notes[3].contains(r#""decision":"release""#), "{}", notes[3]);
    assert!(notes[4].contains(r#""decision":"reject""#), "{}", notes[4]);
    assert!(!notes[4].contains(&bad), "a rejection logs the digest only");

    // A key the election does not know is refused, with the server's code.
    let (ok, _, err) = skytale(args(&["sealed"], &k.stranger)).await;
    assert!(!ok);
    assert!(err.contains("unknown_key"), "{err}");

    let _ = stop.send(());
    task.await.unwrap().unwrap();
}
