//! `skytale approve` against a real server, two approvers and a quorum of 2: the first
//! approval moves the log's size on, the second approver approves that new size, and the
//! results are still published, at the size the first approver approved.

use std::path::Path;
use std::time::{Duration, Instant};

use skytale_testkit as kit;

const ID: &str = "test-2026";

struct Server {
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), skytale_server::ServerError>>,
}

async fn start(data: &Path) -> Server {
    let state = skytale_server::AppState::open(data).unwrap();
    let listener = skytale_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(skytale_server::serve(state, listener, async move {
        let _ = stopped.await;
    }));
    Server { base, stop, task }
}

/// The published tree size, as the results document says once it is rendered.
async fn wait_published(base: &str, size: u64) {
    let t0 = Instant::now();
    loop {
        let r = reqwest::get(format!("{base}/api/v1/elections/{ID}/results"))
            .await
            .unwrap();
        if r.status() == 200 {
            let v: serde_json::Value = r.json().await.unwrap();
            if v["tree_size"].as_u64() == Some(size) {
                return;
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "never published at {size}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_second_approver_need_not_race_the_first() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let k = kit::keys();
    let second = kit::key("second-approver", 9);
    let text = kit::toml_text(&k, "approval").replace(
        &format!("approvers = [\"{}\"]\nquorum = 1", k.approver.verifier()),
        &format!(
            "approvers = [\"{}\", \"{}\"]\nquorum = 2",
            k.approver.verifier(),
            second.verifier()
        ),
    );
    let def =
        skytale_model::Definition::parse(&text, skytale_model::DefinitionFormat::Toml).unwrap();
    assert_eq!(def.publication.quorum, 2);
    {
        let store = skytale_store::Store::open(&data).unwrap();
        skytale_server::create_election(&store, &kit::head(&k, &def)).unwrap();
    }
    let key_file = |name: &str, key: &skytale_note::SigningKey| {
        let path = tmp.path().join(name);
        std::fs::write(&path, key.to_skey_string()).unwrap();
        path
    };
    let (a, b) = (key_file("a.key", &k.approver), key_file("b.key", &second));
    let s = start(&data).await;
    let results = kit::sign(
        &k.north,
        &kit::results_json("n1", 1, &kit::mayor(300, 200, 500)),
    );
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/elections/{ID}/submissions", s.base))
        .body(results)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    let out = skytale::submit::approve(&s.base, ID, &a, None)
        .await
        .unwrap();
    assert!(
        out.contains("approved") && out.contains("tree size 2"),
        "{out}"
    );
    assert!(
        out.contains("1 of 2") && out.contains("waiting for"),
        "{out}"
    );
    // Minutes pass: another county reports before the second approver gets to it. One
    // approval alone publishes nothing.
    let more = kit::sign(
        &k.south,
        &kit::results_json("s1", 1, &kit::mayor(250, 260, 510)),
    );
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/elections/{ID}/submissions", s.base))
        .body(more)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let v: serde_json::Value = reqwest::get(format!("{}/api/v1/elections/{ID}/results", s.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["tree_size"], 1, "one approval of two published: {v}");
    // The second approver joins the round under way (the figures the first one reviewed,
    // not the moving log), and the quorum completes: the site moves to size 2.
    let out = skytale::submit::approve(&s.base, ID, &b, None)
        .await
        .unwrap();
    assert!(
        out.contains("approved") && out.contains("tree size 2"),
        "{out}"
    );
    assert!(out.contains("2 of 2"), "{out}");
    wait_published(&s.base, 2).await;
    // The pages follow the results document as soon as they are rendered.
    let t0 = Instant::now();
    loop {
        let page = reqwest::get(format!("{}/en/{ID}/mayor/", s.base))
            .await
            .unwrap();
        let named = page.headers()["skytale-snapshot"]
            .to_str()
            .unwrap()
            .to_string();
        if named.starts_with("2 ") {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the page stays at {named}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A key that is not an approver gets the server's refusal, in words.
    let stranger = key_file("stranger.key", &k.stranger);
    let err = skytale::submit::approve(&s.base, ID, &stranger, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("approv"), "{err}");

    let _ = s.stop.send(());
    s.task.await.unwrap().unwrap();
}
