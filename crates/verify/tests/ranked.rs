//! `verify` recounts a ranked-choice contest: the Minneapolis 2013 mayoral CVR (80,101
//! ballots) submitted as signed `cvr` batches to the real server; verify replays them with the
//! same tally code and gets the same rounds, and a round table changed by one ballot in the
//! published results JSON or the rounds CSV is caught.

use std::time::Instant;

use skytale_model::Statement;
use skytale_testkit as kit;
use skytale_verify::verify;

const ID: &str = "mpls-2013";

fn opts(source: &str) -> skytale_verify::Options {
    skytale_verify::Options {
        source: source.to_string(),
        ..Default::default()
    }
}

fn caught(r: &skytale_verify::Report, what: &str, at: &str) {
    assert!(!r.ok, "not detected:\n{}", r.to_text());
    assert!(
        r.failures()
            .any(|f| f.what == what && f.location.contains(at)),
        "expected [{what}] at {at:?}, got:\n{}",
        r.to_text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_recounts_minneapolis_and_catches_a_changed_round() {
    let k = kit::keys();
    let (def, cfg) = kit::minneapolis_definition(&k);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    {
        let store = skytale_store::Store::open(&data).unwrap();
        skytale_server::create_election(&store, &kit::head(&k, &def)).unwrap();
    }
    let state = skytale_server::AppState::open(&data).unwrap();
    let listener = skytale_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(skytale_server::serve(state, listener, async move {
        let _ = rx.await;
    }));
    let batches = kit::minneapolis_cvr(&def, &cfg);
    for b in &batches {
        let note = k
            .north
            .sign_note(&Statement::Cvr(b.clone()).to_note_text())
            .unwrap()
            .to_bytes();
        let r = reqwest::Client::new()
            .post(format!("{url}/api/v1/elections/{ID}/submissions"))
            .body(note)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    }
    let size = 1 + batches.len() as u64;
    for _ in 0..200 {
        let v: serde_json::Value = reqwest::get(format!("{url}/api/v1/elections/{ID}/results"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if v["tree_size"] == size {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // The live server, recounted.
    let t0 = Instant::now();
    let r = verify(&opts(&url)).await;
    let took = t0.elapsed();
    assert!(r.ok, "{}", r.to_text());
    eprintln!("verify over the live Minneapolis log ({size} entries): {took:?}");

    // A published directory (`skytale publish`): the same, then with one ballot moved in
    // round 33.
    let _ = tx.send(());
    let _ = task.await;
    let pubdir = tempfile::tempdir().unwrap();
    let out = pubdir.path().join("site");
    let state = skytale_server::AppState::open(&data).unwrap();
    skytale_server::site::publish_dir(&state, ID, &out)
        .await
        .unwrap();
    let dir = out.to_str().unwrap();
    let r = verify(&opts(dir)).await;
    assert!(r.ok, "{}", r.to_text());

    // Round 33: Hodges 38852, Andrew 24942. One ballot moved from Andrew to Hodges.
    let results = out.join(format!("api/v1/elections/{ID}/results/index.json"));
    let orig = std::fs::read_to_string(&results).unwrap();
    let at = orig
        .rfind("\"betsy-hodges\": \"38852\"")
        .expect("round 33 in the JSON");
    let mut forged = orig.clone();
    forged.replace_range(at..at + 23, "\"betsy-hodges\": \"38853\"");
    std::fs::write(&results, &forged).unwrap();
    let r = verify(&opts(dir)).await;
    caught(&r, "results_mismatch", "results");
    std::fs::write(&results, &orig).unwrap();

    let rounds = out.join(format!("api/v1/elections/{ID}/results/mayor.rounds.csv"));
    let orig = std::fs::read_to_string(&rounds).unwrap();
    let forged = orig.replacen(
        "33,candidate,,betsy-hodges,BETSY HODGES,38852",
        "33,candidate,,betsy-hodges,BETSY HODGES,38853",
        1,
    );
    assert_ne!(forged, orig);
    std::fs::write(&rounds, &forged).unwrap();
    let r = verify(&opts(dir)).await;
    caught(&r, "feed_mismatch", "mayor.rounds.csv line");
}
