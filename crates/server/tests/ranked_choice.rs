//! A ranked-choice contest end to end over real HTTP, on real data: the Minneapolis 2013
//! mayoral CVR (80,101 ballots, RCTab's test case) read by skytale-rcv's ES&S reader, cut into
//! signed `cvr` batches and submitted; the results JSON then carries every round exactly as
//! RCTab's expected report has it, a restart serves the same bytes, and refusals are coded.

use std::collections::BTreeMap;
use std::time::Instant;

use skytale_model::Statement;
use skytale_rcv::report::DetailedReport;
use skytale_testkit as kit;

mod common;
use common::{get, post, start};

/// The results document once it covers `size` entries.
async fn results_at(url: &str, size: u64) -> (serde_json::Value, Vec<u8>) {
    for _ in 0..200 {
        let (_, body) = get(url).await;
        let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
        if doc["tree_size"] == size {
            return (doc, body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the results never reached tree size {size}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minneapolis_cvr_through_the_server_gives_rctabs_rounds() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    let (def, cfg) = kit::minneapolis_definition(&k);
    let store = skytale_store::Store::open(tmp.path()).unwrap();
    let (id, _log_key) = skytale_server::create_election(&store, &kit::head(&k, &def)).unwrap();
    drop(store);
    let srv = start(tmp.path()).await;
    let b = srv.base.clone();
    let submissions = format!("{b}/api/v1/elections/{id}/submissions");

    let statements = kit::minneapolis_cvr(&def, &cfg);
    let notes: Vec<Vec<u8>> = statements
        .iter()
        .map(|s| {
            k.north
                .sign_note(&Statement::Cvr(s.clone()).to_note_text())
                .unwrap()
                .to_bytes()
        })
        .collect();
    let bytes: usize = notes.iter().map(Vec::len).sum();
    assert!(notes
        .iter()
        .all(|n| n.len() <= skytale_model::MAX_ENTRY_BYTES));
    let t0 = Instant::now();
    for n in &notes {
        let (s, receipt) = post(&submissions, n.clone()).await;
        assert_eq!(s, 201, "{receipt}");
    }
    let admit = t0.elapsed();
    let results_url = format!("{b}/api/v1/elections/{id}/results");
    let size = 1 + notes.len() as u64;
    let (doc, before) = results_at(&results_url, size).await;
    eprintln!(
        "minneapolis: {} cvr statements, {bytes} bytes of notes, admitted in {admit:?}",
        notes.len()
    );

    let rc = &doc["contests"][0]["ranked_choice"];
    assert_eq!(rc["ballots"], 80_101);
    assert_eq!(rc["complete"], true);
    assert_eq!(rc["winners"][0], "betsy-hodges");
    assert_eq!(rc["files"][0]["source"]["format"], "ess");
    let names: BTreeMap<String, String> = def.contests[0]
        .selections
        .iter()
        .map(|s| (s.id.clone(), s.name["en"].clone()))
        .collect();
    let exp: DetailedReport =
        serde_json::from_str(
            &std::fs::read_to_string(kit::rcv_data().join(
                "2013_minneapolis_mayor/2013_minneapolis_mayor_expected_detailed_report.json",
            ))
            .unwrap(),
        )
        .unwrap();
    let rounds = rc["passes"][0]["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), exp.results.len());
    for (g, e) in rounds.iter().zip(&exp.results) {
        let r = e.round;
        let tally: BTreeMap<String, String> = g["tally"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(id, v)| (names[id].clone(), v.as_str().unwrap().to_string()))
            .collect();
        assert_eq!(tally, e.tally, "round {r} tally");
        assert_eq!(g["threshold"], e.threshold.as_str(), "round {r} threshold");
        for (key, v) in &e.inactive_ballots {
            assert_eq!(g["inactiveBallots"][key], v.as_str(), "round {r} {key}");
        }
        let decided: Vec<String> = g["tallyResults"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                let id = x["elected"].as_str().or(x["eliminated"].as_str()).unwrap();
                names[id].clone()
            })
            .collect();
        let expected: Vec<String> = e
            .tally_results
            .iter()
            .map(|x| x.elected.clone().or(x.eliminated.clone()).unwrap())
            .collect();
        assert_eq!(decided, expected, "round {r} decisions");
    }

    // Refusals over HTTP: the same batch again (a duplicate note answers its receipt; the same
    // batch with other content is refused), a stale version, an unknown candidate.
    let mut again = statements[0].clone();
    again.ballots.truncate(1);
    let note = |s: skytale_model::CvrStatement| {
        k.north
            .sign_note(&Statement::Cvr(s).to_note_text())
            .unwrap()
            .to_bytes()
    };
    let (s, e) = post(&submissions, note(again.clone())).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("duplicate_batch"))
    );
    let mut unknown = statements[0].clone();
    unknown.version = 2;
    unknown.ballots[0].ranks[0] = "nobody".into();
    let (s, e) = post(&submissions, note(unknown)).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (422, Some("unknown_selection"))
    );
    assert_eq!(e["error"]["field"], "ballots[0][1]");

    // Restart: the same log gives the same bytes.
    srv.shutdown().await;
    let srv = start(tmp.path()).await;
    let (_, after) = results_at(&format!("{}/api/v1/elections/{id}/results", srv.base), size).await;
    assert_eq!(before, after);
    srv.shutdown().await;
}
