//! Snapshot consistency: whatever the interleaving of submissions and reads, every artefact
//! names the snapshot it was made from, the ones that name the same snapshot agree with each
//! other, and no artefact ever goes back to an older snapshot.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::Request;
use proptest::prelude::*;
use skytale_testkit as kit;
use tower::ServiceExt as _;

const ID: &str = "test-2026";

#[derive(Clone, Debug)]
enum Op {
    /// A new version from station `0..4` with these figures.
    Submit(usize, u64, u64),
    /// Read every artefact once.
    Read,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..4, 0u64..400, 0u64..400).prop_map(|(u, a, b)| Op::Submit(u, a, b)),
        Just(Op::Read),
    ]
}

struct Answer {
    status: u16,
    named: Option<(u64, String)>,
    body: Vec<u8>,
}

async fn call(app: &axum::Router, method: &str, uri: &str, body: Vec<u8>) -> Answer {
    let resp = app
        .clone()
        .oneshot(
            Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    let named = resp
        .headers()
        .get("skytale-snapshot")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (n, root) = v.split_once(' ')?;
            Some((n.parse().ok()?, root.to_string()))
        });
    let status = resp.status().as_u16();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Answer {
        status,
        named,
        body,
    }
}

/// Alice's votes in the whole nation, from a contest's CSV (`mayor,nation,…,alice,…,votes,…`).
fn csv_nation_alice(csv: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(csv);
    let line = text
        .lines()
        .find(|l| l.starts_with("mayor,nation,") && l.contains(",alice,"))?;
    line.split(',').nth(9)?.parse().ok()
}

fn json(b: &[u8]) -> serde_json::Value {
    serde_json::from_slice(b).unwrap()
}

/// The nation's votes for Alice in a results document (whole or the contest's).
fn doc_alice(doc: &serde_json::Value) -> u64 {
    doc["contests"][0]["selections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "alice")
        .unwrap()["votes"]
        .as_u64()
        .unwrap()
}

async fn run(ops: Vec<Op>) {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    {
        let store = skytale_store::Store::open(tmp.path()).unwrap();
        skytale_server::create_election(&store, &kit::head(&k, &kit::definition(&k))).unwrap();
    }
    let state = skytale_server::AppState::open(tmp.path()).unwrap();
    let app = skytale_server::api::router(state);
    let stations = [
        ("n1", &k.north),
        ("n2", &k.north),
        ("s1", &k.south),
        ("s2", &k.south),
    ];
    let mut versions = [0u64; 4];
    // The last snapshot each artefact named: it never goes back.
    let mut last: BTreeMap<&str, u64> = BTreeMap::new();
    let uris = [
        ("results", format!("/api/v1/elections/{ID}/results")),
        ("contest", format!("/api/v1/elections/{ID}/results/mayor")),
        ("csv", format!("/api/v1/elections/{ID}/results/mayor.csv")),
        ("page", format!("/en/{ID}/mayor/")),
    ];
    for op in ops {
        match op {
            Op::Submit(u, alice, bob) => {
                versions[u] += 1;
                let (unit, key) = stations[u];
                let note = kit::sign(
                    key,
                    &kit::results_json(unit, versions[u], &kit::mayor(alice, bob, alice + bob)),
                );
                let a = call(
                    &app,
                    "POST",
                    &format!("/api/v1/elections/{ID}/submissions"),
                    note,
                )
                .await;
                assert!(a.status == 201 || a.status == 202, "{}", a.status);
            }
            Op::Read => {
                let mut got = BTreeMap::new();
                for (what, uri) in &uris {
                    let a = call(&app, "GET", uri, vec![]).await;
                    assert_eq!(a.status, 200, "{uri}");
                    let (n, root) = a
                        .named
                        .clone()
                        .unwrap_or_else(|| panic!("{uri} names no snapshot"));
                    if let Some(before) = last.insert(*what, n) {
                        assert!(n >= before, "{uri} went back from snapshot {before} to {n}");
                    }
                    if *what == "results" || *what == "contest" {
                        let doc = json(&a.body);
                        assert_eq!(doc["tree_size"], n, "{uri}: body and header");
                        assert_eq!(doc["root_hash"], root, "{uri}: body and header");
                    }
                    got.insert(*what, (n, a.body));
                }
                // Artefacts of one snapshot agree with each other.
                let (rn, results) = &got["results"];
                let (cn, contest) = &got["contest"];
                let (sn, csv) = &got["csv"];
                if rn == cn {
                    assert_eq!(doc_alice(&json(results)), doc_alice(&json(contest)));
                }
                if cn == sn {
                    assert_eq!(csv_nation_alice(csv), Some(doc_alice(&json(contest))));
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn every_artefact_names_its_snapshot_and_one_snapshot_agrees_with_itself(
        ops in prop::collection::vec(op(), 1..24)
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(run(ops));
    }
}
