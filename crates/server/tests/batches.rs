//! Over real HTTP: input that used to be resolved silently is refused with its own code; a
//! retried statement gets its first receipt; a batch goes into the log whole or not at all.

use std::path::Path;

use skytale_note::{Note, VerifierKey};
use skytale_testkit as kit;
use skytale_tlog::Checkpoint;

mod common;
use common::{get, post, start};

const ID: &str = "test-2026";

fn create(dir: &Path, k: &kit::Keys) -> VerifierKey {
    let store = skytale_store::Store::open(dir).unwrap();
    let def = kit::definition(k);
    skytale_server::create_election(&store, &kit::head(k, &def))
        .unwrap()
        .1
}

/// The log's size, from its signed checkpoint (written with every batch, before any receipt).
async fn log_size(base: &str, log_key: &VerifierKey) -> u64 {
    let (s, body) = get(&format!("{base}/log/{ID}/checkpoint")).await;
    assert_eq!(s, 200);
    let n = Note::parse(&body).unwrap();
    n.verify(std::slice::from_ref(log_key)).unwrap();
    Checkpoint::parse(&n.text).unwrap().size
}

async fn post_batch(base: &str, notes: &[Vec<u8>]) -> (u16, serde_json::Value) {
    let body: Vec<String> = notes
        .iter()
        .map(|n| String::from_utf8(n.clone()).unwrap())
        .collect();
    post(
        &format!("{base}/api/v1/elections/{ID}/submissions/batch"),
        serde_json::to_vec(&body).unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silently_resolved_input_is_refused_and_a_retry_gets_its_receipt() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    let log_key = create(tmp.path(), &k);
    let srv = start(tmp.path()).await;
    let b = srv.base.clone();
    let url = format!("{b}/api/v1/elections/{ID}/submissions");
    let good = kit::results_json("n1", 1, &kit::mayor(300, 200, 510));

    let twice = good.replace(
        r#""bob":{"election_day":200}"#,
        r#""bob":{"election_day":200},"alice":{"election_day":9000}"#,
    );
    let decimal = good.replace(r#""election_day":300"#, r#""election_day":3e2"#);
    let free_time = good.replace("2026-11-25T20:00:00Z", "tonight");
    let frozen = kit::results_json("n1", u64::MAX, &kit::mayor(300, 200, 510));
    for (text, status, code) in [
        (&twice, 400, "duplicate_count"),
        (&decimal, 400, "malformed_statement"),
        (&free_time, 400, "bad_timestamp"),
        (&frozen, 422, "version_out_of_range"),
    ] {
        let (s, e) = post(&url, kit::sign(&k.north, text)).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (status, Some(code)),
            "{e}"
        );
    }
    assert!(
        post(&url, kit::sign(&k.north, &twice)).await.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains(r#"selection "alice" is given twice in contest "mayor""#)
    );
    assert_eq!(log_size(&b, &log_key).await, 1, "nothing was appended");

    let first = kit::sign(&k.north, &good);
    let (s, receipt) = post(&url, first.clone()).await;
    assert_eq!(s, 201, "{receipt}");
    // The same statement stamped with a new time (as `skytale submit` does on each run): the
    // first receipt, flagged, with the entry it proves.
    let retry = kit::sign(&k.north, &good.replace("20:00:00Z", "20:07:31.5Z"));
    let (s, again) = post(&url, retry).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["index"], receipt["index"]);
    assert_eq!(again["leaf_hash"], receipt["leaf_hash"]);
    assert_eq!(
        again["entry"].as_str().unwrap().as_bytes(),
        &first[..],
        "the entry the proof is for"
    );
    assert_eq!(log_size(&b, &log_key).await, 2, "no second entry");
    // Other counts under the same version stay a refusal.
    let other = kit::sign(
        &k.north,
        &kit::results_json("n1", 1, &kit::mayor(301, 200, 510)),
    );
    let (s, e) = post(&url, other).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("duplicate_version"))
    );
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_goes_in_whole_or_not_at_all() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    let log_key = create(tmp.path(), &k);
    let srv = start(tmp.path()).await;
    let b = srv.base.clone();
    let notes = |time: &str| -> Vec<Vec<u8>> {
        [("n1", 300), ("n2", 250), ("s1", 100)]
            .iter()
            .map(|(unit, alice)| {
                let key = if unit.starts_with('n') {
                    &k.north
                } else {
                    &k.south
                };
                let text = kit::results_json(unit, 1, &kit::mayor(*alice, 200, alice + 205))
                    .replace("2026-11-25T20:00:00Z", time);
                kit::sign(key, &text)
            })
            .collect()
    };

    // One unknown unit in the middle: nothing of the batch is appended.
    let mut bad = notes("2026-11-25T20:00:00Z");
    bad.insert(
        1,
        kit::sign(&k.north, &kit::results_json("n9", 1, &kit::mayor(1, 1, 2))),
    );
    let (s, e) = post_batch(&b, &bad).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["code"], "batch_refused");
    assert_eq!(e["refused"].as_array().unwrap().len(), 1, "{e}");
    assert_eq!(e["refused"][0]["position"], 1);
    assert_eq!(e["refused"][0]["code"], "unknown_unit");
    assert_eq!(log_size(&b, &log_key).await, 1, "nothing was appended");

    // A good batch: one receipt per statement, consecutive indexes, one checkpoint.
    let good = notes("2026-11-25T20:00:00Z");
    let (s, answer) = post_batch(&b, &good).await;
    assert_eq!(s, 201, "{answer}");
    assert_eq!(answer["accepted"], 3);
    let results = answer["results"].as_array().unwrap();
    let indexes: Vec<u64> = results
        .iter()
        .map(|r| r["receipt"]["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, [1, 2, 3]);
    for r in results {
        assert_eq!(r["status"], "accepted");
        assert_eq!(r["receipt"]["duplicate"], false);
        assert_eq!(r["receipt"]["tree_size"], 4);
    }
    assert_eq!(log_size(&b, &log_key).await, 4);

    // The same batch again, byte for byte and re-stamped: the same receipts, flagged.
    for again in [good.clone(), notes("2026-11-25T20:09:00+01:00")] {
        let (s, answer) = post_batch(&b, &again).await;
        assert_eq!(s, 200, "{answer}");
        assert_eq!(
            (answer["accepted"].as_u64(), answer["duplicates"].as_u64()),
            (Some(0), Some(3))
        );
        let again: Vec<u64> = answer["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                assert_eq!(r["receipt"]["duplicate"], true);
                r["receipt"]["index"].as_u64().unwrap()
            })
            .collect();
        assert_eq!(again, indexes);
    }
    assert_eq!(log_size(&b, &log_key).await, 4);

    // A version 2 of n1 with an implausible count is held, the rest is appended.
    let held = kit::sign(
        &k.north,
        &kit::results_json("n2", 2, &kit::mayor(5000, 200, 5205)),
    );
    let fine = kit::sign(
        &k.north,
        &kit::results_json("n1", 2, &kit::mayor(310, 200, 515)),
    );
    let (s, answer) = post_batch(&b, &[held, fine]).await;
    assert_eq!(s, 201, "{answer}");
    assert_eq!(answer["results"][0]["status"], "held", "{answer}");
    assert_eq!(answer["results"][1]["receipt"]["index"], 4);
    assert_eq!(log_size(&b, &log_key).await, 5);

    // Approvals and key changes are not batched; a malformed body is refused whole.
    let (s, e) = post(
        &format!("{b}/api/v1/elections/{ID}/submissions/batch"),
        b"not json".to_vec(),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("malformed_batch"))
    );
    srv.shutdown().await;
}

/// Batches that reach the sequencer together share one commit, but each is still admitted
/// whole or not at all, as if it came alone after the ones before it: of two batches that
/// report one station's version 1 with other figures, one goes in whole and the other not at
/// all, whatever the order they arrive in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_that_arrive_together_are_each_all_or_none() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    let log_key = create(tmp.path(), &k);
    let srv = start(tmp.path()).await;
    let b = srv.base.clone();
    let north = |unit: &str, version: u64, alice: u64| {
        kit::sign(
            &k.north,
            &kit::results_json(unit, version, &kit::mayor(alice, 200, alice + 210)),
        )
    };
    let south = |unit: &str, version: u64, alice: u64| {
        kit::sign(
            &k.south,
            &kit::results_json(unit, version, &kit::mayor(alice, 200, alice + 210)),
        )
    };
    let mut batches = vec![
        // Two batches that cannot both go in: n1's version 1 with other figures.
        vec![north("n1", 1, 300), south("s1", 1, 300)],
        vec![north("n1", 1, 301), south("s2", 1, 300)],
    ];
    // And many that all can (each unit's versions in one batch, so their order is theirs).
    for v in 0..12u64 {
        batches.push(vec![
            north("n2", 2 * v + 1, 100 + v),
            north("n2", 2 * v + 2, 100 + v),
        ]);
    }
    let answers = futures_util::future::join_all(
        batches
            .iter()
            .map(|notes| post_batch(&b, notes))
            .collect::<Vec<_>>(),
    )
    .await;
    let mut appended = 0;
    let mut conflict = Vec::new();
    for (i, (status, body)) in answers.iter().enumerate() {
        match status {
            201 => {
                let results = body["results"].as_array().unwrap();
                assert_eq!(results.len(), batches[i].len(), "{body}");
                assert!(results.iter().all(|r| r["status"] == "accepted"), "{body}");
                appended += results.len() as u64;
                if i < 2 {
                    conflict.push(i);
                }
            }
            422 | 409 | 400 => {
                assert!(i >= 2 || body["refused"].is_array(), "{body}");
                if i >= 2 {
                    // A later version of n2 may arrive before an earlier one: refused whole.
                    assert!(body["refused"].is_array(), "{body}");
                }
            }
            s => panic!("batch {i}: {s} {body}"),
        }
    }
    assert_eq!(
        conflict.len(),
        1,
        "exactly one of the two conflicting batches went in"
    );
    assert_eq!(
        log_size(&b, &log_key).await,
        1 + appended,
        "every batch whole or not at all"
    );
}
