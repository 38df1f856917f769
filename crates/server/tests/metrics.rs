//! `/metrics` after known traffic: it parses as Prometheus text and counts what happened.
//! (One test in this binary: the recorder is one per process, so counts are exact here.)

use std::collections::BTreeMap;
use std::path::Path;

use skytale_server::{AppState, Limits, Rate};
use skytale_testkit as kit;

mod common;
use common::{get, post, start_state};

fn create(dir: &Path, k: &kit::Keys) {
    let store = skytale_store::Store::open(dir).unwrap();
    let def = kit::definition(k);
    skytale_server::create_election(&store, &kit::head(k, &def)).unwrap();
}

/// A sample: metric name and its labels (sorted), e.g. `("x_total", [("code", "a")])`.
type Key = (String, Vec<(String, String)>);

/// Parses the Prometheus text exposition format (version 0.0.4) strictly enough to catch a
/// malformed exposition: `# HELP`/`# TYPE` comments, then `name{label="value",…} value`.
fn parse(text: &str) -> BTreeMap<Key, f64> {
    let mut out = BTreeMap::new();
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            && !n.starts_with(|c: char| c.is_ascii_digit())
    };
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix("# ") {
            let mut parts = comment.splitn(3, ' ');
            let kind = parts.next().unwrap();
            assert!(kind == "HELP" || kind == "TYPE", "comment: {line}");
            let name = parts.next().unwrap();
            assert!(name_ok(name), "name in {line}");
            if kind == "TYPE" {
                let t = parts.next().unwrap();
                assert!(
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(&t),
                    "{line}"
                );
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("value in {line}")),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series, vec![]),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("{line}"));
                let mut labels = vec![];
                let mut rest = body;
                while !rest.is_empty() {
                    let (k, r) = rest.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
                    assert!(name_ok(k), "label name in {line}");
                    // Values escape \\, \" and \n.
                    let mut v = String::new();
                    let mut chars = r.char_indices();
                    let end = loop {
                        match chars.next() {
                            Some((_, '\\')) => {
                                let (_, c) = chars.next().unwrap();
                                v.push(if c == 'n' { '\n' } else { c });
                            }
                            Some((i, '"')) => break i,
                            Some((_, c)) => v.push(c),
                            None => panic!("unterminated label value in {line}"),
                        }
                    };
                    labels.push((k.to_string(), v));
                    rest = r[end + 1..].strip_prefix(',').unwrap_or(&r[end + 1..]);
                }
                labels.sort();
                (name, labels)
            }
        };
        assert!(name_ok(name), "name in {line}");
        assert!(
            out.insert((name.to_string(), labels), value).is_none(),
            "duplicate series: {line}"
        );
    }
    out
}

fn value(m: &BTreeMap<Key, f64>, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut l: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    l.sort();
    m.get(&(name.to_string(), l))
        .copied()
        .unwrap_or_else(|| panic!("no {name} {labels:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_ingest_http_and_limits() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    create(tmp.path(), &k);
    let state = AppState::open(tmp.path()).unwrap().with_limits(Limits {
        per_key: Rate {
            per_second: 1,
            burst: 3,
        },
        ..Limits::default()
    });
    let srv = start_state(state).await;
    let b = &srv.base;
    let url = format!("{b}/api/v1/elections/test-2026/submissions");

    let n1 = kit::sign(&k.north, &kit::results_json("n1", 1, &kit::mayor(1, 2, 3)));
    assert_eq!(post(&url, n1.clone()).await.0, 201);
    assert_eq!(
        post(
            &url,
            kit::sign(&k.north, &kit::results_json("n2", 1, &kit::mayor(1, 2, 3)))
        )
        .await
        .0,
        201
    );
    // The same note again: a duplicate (and a third charge on north's key).
    assert_eq!(post(&url, n1).await.0, 200);
    // Over north's burst of 3.
    assert_eq!(
        post(
            &url,
            kit::sign(&k.north, &kit::results_json("n1", 2, &kit::mayor(1, 2, 3)))
        )
        .await
        .0,
        429
    );
    // Refused: a stranger's key, and something that is not a note.
    let (s, v) = post(
        &url,
        kit::sign(
            &k.stranger,
            &kit::results_json("n1", 1, &kit::mayor(1, 2, 3)),
        ),
    )
    .await;
    assert!(s >= 400, "{v}");
    let stranger_code = v["error"]["code"].as_str().unwrap().to_string();
    let (s, v) = post(&url, b"not a note".to_vec()).await;
    assert!(s >= 400, "{v}");
    let garbage_code = v["error"]["code"].as_str().unwrap().to_string();
    // Wait for the publisher to publish them (at most 200 ms after the tally changed).
    let mut reads = 0;
    loop {
        let (s, body) = get(&format!("{b}/api/v1/elections/test-2026/snapshot")).await;
        assert_eq!(s, 200);
        reads += 1;
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        if v["tree_size"].as_u64().unwrap() >= 3 {
            break;
        }
        assert!(reads < 500, "not published: {v}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(get(&format!("{b}/log/test-2026/tile/0/999")).await.0, 404);

    let r = reqwest::get(format!("{b}/metrics")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();
    let m = parse(&text);

    assert_eq!(value(&m, "skytale_ingest_accepted_total", &[]), 2.0);
    assert_eq!(value(&m, "skytale_ingest_duplicates_total", &[]), 1.0);
    assert_eq!(
        value(
            &m,
            "skytale_ingest_refused_total",
            &[("code", &stranger_code)]
        ),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "skytale_ingest_refused_total",
            &[("code", &garbage_code)]
        ),
        1.0
    );
    assert_eq!(
        value(&m, "skytale_rate_limited_total", &[("limit", "key")]),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "skytale_http_requests_total",
            &[("class", "submit"), ("status", "201")]
        ),
        2.0
    );
    assert_eq!(
        value(
            &m,
            "skytale_http_requests_total",
            &[("class", "submit"), ("status", "429")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "skytale_http_requests_total",
            &[("class", "api"), ("status", "200")]
        ),
        f64::from(reads)
    );
    assert_eq!(
        value(
            &m,
            "skytale_http_requests_total",
            &[("class", "log"), ("status", "404")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "skytale_sequencer_queue_length",
            &[("election", "test-2026")]
        ),
        0.0
    );
    // Two accepted submissions in one or two batches (the duplicate is a batch of its own).
    let batches = value(&m, "skytale_sequencer_batch_size_count", &[]);
    assert!((2.0..=3.0).contains(&batches), "{batches}");
    assert!(value(&m, "skytale_sequencer_batch_size_sum", &[]) >= 3.0);
    assert!(value(&m, "skytale_http_connections_total", &[]) >= 1.0);
    assert!(value(&m, "skytale_http_connections_open", &[]) >= 1.0);
    assert!(
        value(
            &m,
            "skytale_snapshots_published_total",
            &[("election", "test-2026")]
        ) >= 1.0
    );
    assert!(value(&m, "skytale_publish_render_seconds_count", &[]) >= 1.0);
    srv.shutdown().await;
}
