//! `skytale rehearse` against a real server: a test election's stations in the keys' scopes
//! all report in every contest held there, the documents say test, a second rehearsal
//! replaces the first, and a real election (or a key that reports nothing) is refused.

use std::path::Path;
use std::time::Duration;

use skytale::rehearse::{rehearse, RehearseOptions};
use skytale_testkit as kit;

const ID: &str = "test-2026";

async fn serve(data: &Path) -> (String, tokio::sync::oneshot::Sender<()>) {
    let state = skytale_server::AppState::open(data).unwrap();
    let listener = skytale_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(skytale_server::serve(state, listener, async move {
        let _ = stopped.await;
    }));
    (base, stop)
}

fn create(data: &Path, k: &kit::Keys, test: bool) {
    let mut def = kit::definition(k);
    def.test = test;
    let store = skytale_store::Store::open(data).unwrap();
    skytale_server::create_election(&store, &kit::head(k, &def)).unwrap();
}

fn options(base: &str, keys: Vec<std::path::PathBuf>) -> RehearseOptions {
    RehearseOptions {
        server: base.to_string(),
        election: ID.into(),
        keys,
        duration: Duration::ZERO,
        seed: 7,
    }
}

async fn results(base: &str, size: u64) -> serde_json::Value {
    for _ in 0..400 {
        let v: serde_json::Value = reqwest::get(format!("{base}/api/v1/elections/{ID}/results"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if v["tree_size"].as_u64() >= Some(size) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("never published at {size}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_election_is_rehearsed_station_by_station() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let k = kit::keys();
    create(&data, &k, true);
    let key_file = |name: &str, key: &skytale_note::SigningKey| {
        let path = tmp.path().join(name);
        std::fs::write(&path, key.to_skey_string()).unwrap();
        path
    };
    let (north, south, approver) = (
        key_file("north.key", &k.north),
        key_file("south.key", &k.south),
        key_file("approver.key", &k.approver),
    );
    let (base, stop) = serve(&data).await;

    let done = rehearse(&options(&base, vec![north.clone()]))
        .await
        .unwrap();
    assert_eq!(done.accepted, 2, "N1 and N2");
    let v = results(&base, 3).await;
    assert_eq!(v["test"], true);
    let by_id = |id: &str| {
        v["contests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id("mayor")["units_reporting"], 2);
    assert_eq!(
        by_id("north-measure")["units_reporting"],
        2,
        "every contest held there"
    );
    assert!(by_id("council")["selections"][0]["votes"].as_u64().unwrap() > 0);

    // Again with both offices: the north's stations report a later version.
    let done = rehearse(&options(&base, vec![north, south])).await.unwrap();
    assert_eq!(done.accepted, 4);
    let v = results(&base, 7).await;
    assert_eq!(v["contests"][0]["units_reporting"], 4);

    // A key that reports no unit is named.
    let err = rehearse(&options(&base, vec![approver]))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("is not a reporting authority"), "{err}");
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_election_is_never_rehearsed_on() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let k = kit::keys();
    create(&data, &k, false);
    let north = tmp.path().join("north.key");
    std::fs::write(&north, k.north.to_skey_string()).unwrap();
    let (base, stop) = serve(&data).await;
    let err = rehearse(&options(&base, vec![north]))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("is not a test election"), "{err}");
    let size: serde_json::Value = reqwest::get(format!("{base}/log/{ID}/checkpoint"))
        .await
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::json!(t.lines().nth(1).unwrap_or("").to_string()))
        .unwrap();
    assert_eq!(size, "1", "nothing was sent");
    let _ = stop.send(());
}
