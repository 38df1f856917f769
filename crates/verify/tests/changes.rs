//! The change feed over real HTTP: a follower's cursor gives the contests and units whose
//! figures moved since, `next` to follow, a long poll answered when a snapshot moves past the
//! cursor, conditional requests, and clear refusals of a bad cursor.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

async fn changes(url: &str, query: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = reqwest::get(format!("{url}/api/v1/elections/{ID}/changes{query}"))
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

/// The ids of the unit rows of contest `mayor` in a changes document.
fn mayor_units(doc: &Value) -> Vec<String> {
    let mut ids: Vec<String> = doc["contests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == "mayor")
        .flat_map(|c| c["units"].as_array().unwrap().iter())
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_gets_each_change_once_and_is_told_when_one_comes() {
    let k = keys();
    let e = real_election(&k).await;
    let url = e.url.clone();
    let size = 1 + night(&k).len() as u64;

    // No cursor: everything reported so far, with the areas above the stations.
    let (status, h, all) = changes(&url, "").await;
    assert_eq!(status, 200);
    assert_eq!(all["next"], size);
    assert_eq!(all["since"], 0);
    assert_eq!(
        mayor_units(&all),
        ["n1", "n2", "nation", "north", "s1", "s2", "south"]
    );
    let n1 = all["contests"][0]["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == "n1")
        .unwrap();
    assert_eq!(n1["votes"]["alice"], 310, "the corrected version counts");
    assert_eq!(
        h["skytale-snapshot"].to_str().unwrap(),
        format!("{size} {}", all["root_hash"].as_str().unwrap())
    );
    assert!(h.contains_key("last-modified"));

    // At the cursor: nothing moved, the same cursor to follow; unchanged answers are 304.
    let (status, h, none) = changes(&url, &format!("?since={size}")).await;
    assert_eq!(status, 200);
    assert_eq!(none["next"], size);
    assert_eq!(none["contests"], serde_json::json!([]));
    let etag = h["etag"].to_str().unwrap().to_string();
    let r = reqwest::Client::new()
        .get(format!("{url}/api/v1/elections/{ID}/changes?since={size}"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 304);

    // A long poll at the cursor is answered by the next publication, with only what moved.
    let poll = {
        let url = url.clone();
        tokio::spawn(async move {
            let t0 = Instant::now();
            let got = changes(&url, &format!("?since={size}&wait=30")).await;
            (got, t0.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        submit(&url, &results(&k.south, "s2", 2, 121, 180)).await,
        201
    );
    let ((status, _, moved), took) = poll.await.unwrap();
    assert_eq!(status, 200);
    assert!(
        took < Duration::from_secs(30),
        "the long poll waited out its time"
    );
    assert_eq!(moved["since"], size);
    assert_eq!(moved["next"], size + 1);
    assert_eq!(mayor_units(&moved), ["nation", "s2", "south"]);
    // The totals are the whole contest's, now.
    let alice = moved["contests"][0]["selections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "alice")
        .unwrap()["votes"]
        .clone();
    assert_eq!(alice, 310 + 250 + 410 + 121);

    // Bad cursors and waits are refused, naming the parameter.
    for (q, field) in [
        (format!("?since={}", size + 5), "since"),
        ("?since=abc".to_string(), "since"),
        ("?wait=3600".to_string(), "wait"),
        ("?from=1".to_string(), "from"),
    ] {
        let (status, _, err) = changes(&url, &q).await;
        assert_eq!(status, 400, "{q}");
        assert_eq!(err["error"]["field"], field, "{q}: {err}");
    }
    e.stop().await;
}
