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

/// One server-sent event: its `id` and its `data` as JSON.
struct SseEvent {
    id: u64,
    data: Value,
}

/// Reads the next event of name `changes` from an SSE body (comments and other lines are
/// skipped), within `limit`; `None` when none came.
async fn next_event(
    body: &mut reqwest::Response,
    buf: &mut String,
    limit: Duration,
) -> Option<SseEvent> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let (mut id, mut event, mut data) = (None, None, String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("event:") {
                    event = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.strip_prefix(' ').unwrap_or(v));
                }
            }
            if event.as_deref() == Some("changes") {
                return Some(SseEvent {
                    id: id.expect("a changes event has an id"),
                    data: serde_json::from_str(&data).unwrap(),
                });
            }
            continue;
        }
        let chunk = tokio::time::timeout_at(deadline, body.chunk())
            .await
            .ok()?
            .unwrap()?;
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

async fn open_stream(url: &str, query: &str, last_event_id: Option<u64>) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .get(format!("{url}/api/v1/elections/{ID}/changes{query}"))
        .header("accept", "text/event-stream");
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id.to_string());
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    r
}

/// The SSE variant: the same documents as the polled feed, one event per publication past
/// the cursor, `id` the next cursor, and a reconnection with `Last-Event-ID` resumes there.
/// A result type the officials give is a change of its contest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_change_feed_streams_as_server_sent_events() {
    let k = keys();
    let e = real_election(&k).await;
    let url = e.url.clone();
    let size = 1 + night(&k).len() as u64;

    let mut body = open_stream(&url, "?since=0", None).await;
    let mut buf = String::new();
    let first = next_event(&mut body, &mut buf, Duration::from_secs(20))
        .await
        .expect("the catch-up event comes at once");
    assert_eq!(first.id, size);
    let (_, _, polled) = changes(&url, "").await;
    assert_eq!(first.data, polled, "the event is the polled document");

    assert_eq!(
        submit(&url, &results(&k.south, "s2", 2, 121, 180)).await,
        201
    );
    let second = next_event(&mut body, &mut buf, Duration::from_secs(20))
        .await
        .expect("the next publication is pushed");
    assert_eq!(second.id, size + 1);
    assert_eq!(second.data["since"], size);
    assert_eq!(mayor_units(&second.data), ["nation", "s2", "south"]);
    drop(body);

    // Reconnecting at the last id: nothing until something new, then only that.
    let mut body = open_stream(&url, "", Some(size + 1)).await;
    let mut buf = String::new();
    assert!(
        next_event(&mut body, &mut buf, Duration::from_millis(800))
            .await
            .is_none(),
        "nothing moved past the last event's id"
    );
    let certified = sign(
        &k.authority,
        &format!(
            r#"{{"type":"status","election":"{ID}","contest":"mayor","unit":"south","result_type":"final","signed_at":"2026-11-25T23:00:00Z"}}"#
        ),
    );
    assert_eq!(submit(&url, &certified).await, 201);
    let third = next_event(&mut body, &mut buf, Duration::from_secs(20))
        .await
        .expect("a result type is a change");
    assert_eq!(third.id, size + 2);
    assert_eq!(mayor_units(&third.data), ["nation", "south"]);
    let south = third.data["contests"][0]["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == "south")
        .unwrap()
        .clone();
    assert_eq!(south["result_type"]["result_type"], "final");
    // The officials' word is part of what anyone recomputes: every page and feed verifies.
    wait_site(&url).await;
    let r = skytale_verify::verify(&opts(&url)).await;
    assert!(r.ok, "{}", r.to_text());
    assert!(
        r.to_text()
            .contains("1 result types, 0 reviews of held submissions replayed"),
        "{}",
        r.to_text()
    );

    // A cursor that is not a tree size is refused, naming the header.
    let r = reqwest::Client::new()
        .get(format!("{url}/api/v1/elections/{ID}/changes"))
        .header("accept", "text/event-stream")
        .header("last-event-id", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["field"], "Last-Event-ID");
    e.stop().await;
}

/// The feed moves to a newer snapshot at most once a pace: followers asking within it share a
/// cursor (and so a document), and the next pace brings everything published meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_within_one_pace_share_a_snapshot() {
    let k = keys();
    let e = real_election(&k).await;
    let url = e.url.clone();
    let size = 1 + night(&k).len() as u64;
    let (_, _, first) = changes(&url, "").await;
    assert_eq!(first["next"], size);
    for (v, n) in [(2, 121), (3, 122), (4, 123)] {
        assert_eq!(submit(&url, &results(&k.south, "s2", v, n, 180)).await, 201);
    }
    wait_published(&url, size + 3).await;
    // Within the pace of the first answer: the same snapshot, byte for byte.
    let (_, h1, again) = changes(&url, "").await;
    let (_, h2, _) = changes(&url, "").await;
    if again["next"] == size {
        assert_eq!(h1["etag"], h2["etag"], "one document for both followers");
    }
    // After it, everything published meanwhile, in one step.
    tokio::time::sleep(skytale_server::changes::FEED_PACE + Duration::from_millis(200)).await;
    let (_, _, later) = changes(&url, &format!("?since={size}")).await;
    assert_eq!(later["next"], size + 3);
    assert_eq!(mayor_units(&later), ["nation", "s2", "south"]);
    e.stop().await;
}
