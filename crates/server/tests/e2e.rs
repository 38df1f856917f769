//! End to end over real HTTP: create an election, submit from several keys, read the tally,
//! refuse every kind of bad statement without changing anything, restart, read the same bytes,
//! and read the served tiles with an implementation we did not write (tlog_tiles).

use std::path::Path;

use skytale_model::decode_hash;
use skytale_note::{Note, VerifierKey};
use skytale_testkit as kit;
use skytale_tlog::{leaf_hash, verify_inclusion, Checkpoint};

mod common;
use common::{get, get_as, post, sign_in, start};

fn create(dir: &Path, k: &kit::Keys) -> VerifierKey {
    let store = skytale_store::Store::open(dir).unwrap();
    let def = kit::definition(k);
    let (id, log_key) = skytale_server::create_election(&store, &kit::head(k, &def)).unwrap();
    assert_eq!(id, "test-2026");
    log_key
}

fn check_receipt(receipt: &serde_json::Value, note: &[u8], log_key: &VerifierKey) {
    let cp_note = Note::parse(receipt["checkpoint"].as_str().unwrap().as_bytes()).unwrap();
    cp_note
        .verify(std::slice::from_ref(log_key))
        .expect("checkpoint signed by the log key");
    let cp = Checkpoint::parse(&cp_note.text).unwrap();
    assert_eq!(cp.origin, "skytale.invalid/test-2026");
    let proof: Vec<[u8; 32]> = receipt["inclusion_proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| decode_hash(h.as_str().unwrap()).unwrap())
        .collect();
    verify_inclusion(
        &leaf_hash(note),
        receipt["index"].as_u64().unwrap(),
        cp.size,
        &proof,
        &cp.root,
    )
    .expect("the receipt proves inclusion");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_tally_refuse_restart_and_read_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    let log_key = create(tmp.path(), &k);
    let srv = start(tmp.path()).await;
    let b = srv.base.clone();
    let submissions = format!("{b}/api/v1/elections/test-2026/submissions");

    // Election and its log key are published.
    let (s, body) = get(&format!("{b}/api/v1/elections/test-2026")).await;
    assert_eq!(s, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["log"]["verifier_key"], log_key.to_string());
    assert_eq!(v["log"]["origin"], "skytale.invalid/test-2026");

    // Several keys report, concurrently.
    let notes = vec![
        kit::sign(
            &k.north,
            &kit::results_json("n1", 1, &kit::mayor(300, 200, 510)),
        ),
        kit::sign(
            &k.north,
            &kit::results_json("n2", 1, &kit::mayor(250, 250, 505)),
        ),
        kit::sign(
            &k.south,
            &kit::results_json("s1", 1, &kit::mayor(100, 400, 505)),
        ),
        kit::sign(
            &k.south,
            &kit::results_json("s2", 1, &kit::mayor(90, 310, 400)),
        ),
    ];
    let mut handles = Vec::new();
    for n in notes.clone() {
        let url = submissions.clone();
        handles.push(tokio::spawn(
            async move { (post(&url, n.clone()).await, n) },
        ));
    }
    let mut indexes = Vec::new();
    for h in handles {
        let ((status, receipt), note) = h.await.unwrap();
        assert_eq!(status, 201, "{receipt}");
        check_receipt(&receipt, &note, &log_key);
        indexes.push(receipt["index"].as_u64().unwrap());
    }
    indexes.sort();
    assert_eq!(indexes, [1, 2, 3, 4]);

    // Resubmitting the same bytes answers the original receipt.
    let (s, again) = post(&submissions, notes[0].clone()).await;
    assert_eq!(s, 200);
    assert_eq!(again["duplicate"], true);
    check_receipt(&again, &notes[0], &log_key);

    // The tally (rendered within the render interval).
    let results_url = format!("{b}/api/v1/elections/test-2026/results");
    let mut doc = serde_json::Value::Null;
    for _ in 0..50 {
        let (_, body) = get(&results_url).await;
        doc = serde_json::from_slice(&body).unwrap();
        if doc["tree_size"] == 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(doc["tree_size"], 5);
    let mayor = &doc["contests"][0];
    assert_eq!(mayor["selections"][0]["votes"], 740);
    assert_eq!(mayor["selections"][1]["votes"], 1160);
    assert_eq!(mayor["units_reporting"], 4);
    let (_, results_before) = get(&results_url).await;
    // The results carry an ETag; a client that has them gets 304 and no body.
    let first = reqwest::get(&results_url).await.unwrap();
    let tag = first.headers()["etag"].to_str().unwrap().to_string();
    let again = reqwest::Client::new()
        .get(&results_url)
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    let (_, checkpoint_before) = get(&format!("{b}/log/test-2026/checkpoint")).await;
    let cp = Checkpoint::parse(&Note::parse(&checkpoint_before).unwrap().text).unwrap();
    assert_eq!(
        doc["root_hash"],
        skytale_model::encode_hash(&cp.root),
        "the results name the root they came from"
    );

    // The rejection matrix over HTTP: status, code, field — and nothing changes.
    let bad: Vec<(Vec<u8>, u16, &str, Option<&str>)> = vec![
        (b"not a note".to_vec(), 400, "malformed_note", None),
        (kit::sign(&k.north, "{}"), 400, "malformed_statement", None),
        (
            kit::sign(
                &k.stranger,
                &kit::results_json("n1", 2, &kit::mayor(1, 1, 2)),
            ),
            401,
            "unknown_key",
            None,
        ),
        (
            String::from_utf8(kit::sign(
                &k.north,
                &kit::results_json("n1", 2, &kit::mayor(1, 1, 2)),
            ))
            .unwrap()
            .replacen("\"version\":2", "\"version\":3", 1)
            .into_bytes(),
            401,
            "bad_signature",
            None,
        ),
        (
            kit::sign(&k.north, &kit::results_json("s1", 2, &kit::mayor(1, 1, 2))),
            403,
            "key_not_authorised",
            Some("unit"),
        ),
        (
            kit::sign(&k.north, &kit::results_json("zz", 2, &kit::mayor(1, 1, 2))),
            422,
            "unknown_unit",
            Some("unit"),
        ),
        (
            kit::sign(
                &k.north,
                &kit::results_json(
                    "n1",
                    2,
                    r#"{"contest":"senate","selections":{"a":{"total":1}}}"#,
                ),
            ),
            422,
            "unknown_contest",
            Some("contests[0].contest"),
        ),
        (
            kit::sign(
                &k.north,
                &kit::results_json(
                    "n1",
                    2,
                    r#"{"contest":"mayor","selections":{"carol":{"total":1}}}"#,
                ),
            ),
            422,
            "unknown_selection",
            Some("contests[0].selections.carol"),
        ),
        (
            kit::sign(
                &k.north,
                &kit::results_json(
                    "n1",
                    2,
                    r#"{"contest":"mayor","selections":{"alice":{"total":-1}}}"#,
                ),
            ),
            422,
            "count_out_of_range",
            Some("contests[0].selections.alice.total"),
        ),
        (
            kit::sign(&k.north, &kit::results_json("n1", 1, &kit::mayor(1, 1, 2))),
            409,
            "duplicate_version",
            Some("version"),
        ),
        (
            kit::sign(
                &k.north,
                &kit::results_json("n1", 2, &kit::mayor(1, 1, 2)).replace("test-2026", "other"),
            ),
            422,
            "wrong_election",
            Some("election"),
        ),
        (vec![b'x'; 70_000], 413, "too_large", None),
    ];
    for (body, status, code, field) in bad {
        let (s, err) = post(&submissions, body).await;
        assert_eq!(
            (s, err["error"]["code"].as_str().unwrap()),
            (status, code),
            "{err}"
        );
        assert_eq!(err["error"]["field"].as_str(), field, "{err}");
        assert!(!err["error"]["message"].as_str().unwrap().is_empty());
    }
    // Implausible counts are held for review, not dropped and not published.
    let implausible = kit::sign(
        &k.north,
        &kit::results_json("n1", 2, &kit::mayor(900, 900, 1200)),
    );
    let (s, held) = post(&submissions, implausible).await;
    assert_eq!(s, 202, "{held}");
    assert!(held["held"]["reasons"].as_array().unwrap().len() >= 2);
    // Held submissions are for the officials: signed in, the approver sees the one held.
    let held_url = format!("{b}/api/v1/elections/test-2026/held");
    assert_eq!(get_as(&held_url, None).await.0, 401);
    let approver = sign_in(&b, "test-2026", &k.approver).await;
    let (_, _, list) = get_as(&held_url, approver["token"].as_str()).await;
    assert_eq!(list["held"].as_array().unwrap().len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        get(&results_url).await.1,
        results_before,
        "no refused or held statement changed the results"
    );
    assert_eq!(
        get(&format!("{b}/log/test-2026/checkpoint")).await.1,
        checkpoint_before,
        "nor the log"
    );
    let (s, e) = get(&format!("{b}/api/v1/elections/nope/results")).await;
    assert_eq!(s, 404);
    assert!(String::from_utf8_lossy(&e).contains("unknown_election"));

    // The exports: CSV per contest, NIST SP 1500-100 JSON and XML. They belong to the site's
    // snapshot, which follows the results document once rendered.
    for _ in 0..400 {
        let (_, snap) = get(&format!("{b}/api/v1/elections/test-2026/snapshot")).await;
        let snap: serde_json::Value = serde_json::from_slice(&snap).unwrap();
        if snap["site"]["tree_size"] == snap["tree_size"] && snap["site"]["complete"] == true {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let (s, csv) = get(&format!("{b}/api/v1/elections/test-2026/results/mayor.csv")).await;
    assert_eq!(s, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.lines().count() > 4 && csv.contains("alice"), "{csv}");
    let (s, cdf) = get(&format!("{b}/api/v1/elections/test-2026/cdf.json")).await;
    assert_eq!(s, 200);
    let cdf: serde_json::Value = serde_json::from_slice(&cdf).unwrap();
    assert_eq!(cdf["@type"], "ElectionResults.ElectionReport");
    assert!(
        cdf.to_string().contains("740"),
        "alice's 740 votes are in the CDF export"
    );
    let (s, xml) = get(&format!("{b}/api/v1/elections/test-2026/cdf.xml")).await;
    assert_eq!(s, 200);
    assert!(String::from_utf8_lossy(&xml).contains("<ElectionReport"));
    // Google's profile: by query and under its static name, the same bytes; no NIST
    // namespace, alice's votes, stable ids. A profile that does not exist is refused.
    let (s, google) = get(&format!(
        "{b}/api/v1/elections/test-2026/cdf.xml?profile=google"
    ))
    .await;
    assert_eq!(s, 200);
    let g = String::from_utf8_lossy(&google).into_owned();
    assert!(
        g.contains("<ElectionReport xmlns:xsi=") && !g.contains("itl.nist.gov"),
        "{g}"
    );
    assert!(g.contains("<Count>740</Count>") && g.contains("<OtherType>stable</OtherType>"));
    assert_ne!(google, xml);
    let (s, named) = get(&format!("{b}/api/v1/elections/test-2026/cdf.google.xml")).await;
    assert_eq!((s, &named), (200, &google));
    let (s, nist) = get(&format!(
        "{b}/api/v1/elections/test-2026/cdf.xml?profile=nist"
    ))
    .await;
    assert_eq!((s, &nist), (200, &xml));
    for (query, code, field) in [
        ("profile=googel", "unknown_profile", "profile"),
        ("profile=", "unknown_profile", "profile"),
        ("format=google", "bad_query", "format"),
    ] {
        let (s, body) = get(&format!("{b}/api/v1/elections/test-2026/cdf.xml?{query}")).await;
        assert_eq!(s, 400, "{query}");
        let e: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(e["error"]["code"], code, "{query}: {e}");
        assert_eq!(e["error"]["field"], field, "{query}: {e}");
        let msg = e["error"]["message"].as_str().unwrap_or_default();
        assert!(
            msg.contains("google") || code == "bad_query",
            "{query}: {msg}"
        );
    }
    let (s, eml) = get(&format!("{b}/api/v1/elections/test-2026/eml.510.xml")).await;
    assert_eq!(s, 200);
    let eml = String::from_utf8_lossy(&eml);
    assert!(
        eml.contains(r#"Id="510d""#) && eml.contains("<ValidVotes>740</ValidVotes>"),
        "alice's 740 votes are in the EML 510 export: {eml}"
    );
    let (s, eml) = get(&format!("{b}/api/v1/elections/test-2026/eml.520.xml")).await;
    assert_eq!(s, 200);
    assert!(String::from_utf8_lossy(&eml).contains(r#"Id="520""#));

    // Read the served tiles with tlog_tiles and recompute the checkpoint's root.
    interop_read_tiles(&b, cp.size, cp.root).await;

    // Restart: same bytes.
    srv.shutdown().await;
    let srv = start(tmp.path()).await;
    let b2 = srv.base.clone();
    assert_eq!(
        get(&format!("{b2}/api/v1/elections/test-2026/results"))
            .await
            .1,
        results_before
    );
    assert_eq!(
        get(&format!("{b2}/log/test-2026/checkpoint")).await.1,
        checkpoint_before
    );
    // And it carries on from where it was.
    let n = kit::sign(
        &k.south,
        &kit::results_json("s1", 2, &kit::mayor(101, 400, 505)),
    );
    let (s, r) = post(
        &format!("{b2}/api/v1/elections/test-2026/submissions"),
        n.clone(),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["index"], 5);
    check_receipt(&r, &n, &log_key);
    srv.shutdown().await;
}

/// Fetches tiles over HTTP for `tlog_tiles` (the Go sumdb/tlog port by cloudflare/azul).
struct HttpTiles {
    base: String,
    handle: tokio::runtime::Handle,
}

impl tlog_tiles::TileReader for HttpTiles {
    fn height(&self) -> u8 {
        8
    }
    fn read_tiles(&self, tiles: &[tlog_tiles::Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        tiles
            .iter()
            .map(|t| {
                // C2SP tlog-tiles paths have no height component: tile/<L>/<N>[.p/<W>].
                let mut n = t.level_index();
                let mut path = format!("{:03}", n % 1000);
                while n >= 1000 {
                    n /= 1000;
                    path = format!("x{:03}/{path}", n % 1000);
                }
                if t.width() != 256 {
                    path = format!("{path}.p/{}", t.width());
                }
                let url = format!("{}/log/test-2026/tile/{}/{path}", self.base, t.level());
                let body = tokio::task::block_in_place(|| self.handle.block_on(get(&url)));
                assert_eq!(body.0, 200, "{url}");
                Ok(body.1)
            })
            .collect()
    }
    fn save_tiles(&self, _: &[tlog_tiles::Tile], _: &[Vec<u8>]) {}
}

async fn interop_read_tiles(base: &str, size: u64, root: [u8; 32]) {
    let tiles = HttpTiles {
        base: base.to_string(),
        handle: tokio::runtime::Handle::current(),
    };
    let reader = tlog_tiles::TileHashReader::new(size, tlog_tiles::Hash(root), &tiles);
    let computed =
        tlog_tiles::tree_hash(size, &reader).expect("tlog_tiles authenticates our tiles");
    assert_eq!(computed.0, root);
    // Every entry in our entry bundle hashes to the leaf tlog_tiles read from the hash tiles.
    let (s, bundle) = get(&format!("{base}/log/test-2026/tile/entries/000.p/{size}")).await;
    assert_eq!(s, 200);
    let entries = skytale_tlog::tiles::decode_entry_bundle(&bundle).unwrap();
    assert_eq!(entries.len() as u64, size);
    for (i, e) in entries.iter().enumerate() {
        let leaf = tlog_tiles::record_hash(e);
        let stored = tlog_tiles::HashReader::read_hashes(
            &reader,
            &[tlog_tiles::stored_hash_index(0, i as u64)],
        )
        .unwrap();
        assert_eq!(stored[0], leaf, "entry {i}");
    }
}

/// A definition too large for one tlog-tiles entry (3,007 units) is carried by signed parts
/// after entry 0: the server creates, serves, replays and lets tlog_tiles read it like any log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_definition_is_carried_in_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    let def = kit::large_definition(&k, 3_000);
    let head = kit::head(&k, &def);
    assert!(head.len() > 2, "the definition must need parts");
    {
        let store = skytale_store::Store::open(tmp.path()).unwrap();
        // Results cannot ride along with a new log's head.
        let mut with_results = head.clone();
        with_results.push(kit::sign(
            &k.north,
            &kit::results_json("n1", 1, &kit::mayor(1, 1, 2)),
        ));
        let err = skytale_server::create_election(&store, &with_results).unwrap_err();
        assert!(
            matches!(err, skytale_server::CreateError::ExtraEntries { .. }),
            "{err}"
        );
        // A missing part is named.
        let err = skytale_server::create_election(&store, &head[..head.len() - 1]).unwrap_err();
        assert!(err.to_string().contains("takes the first"), "{err}");
        skytale_server::create_election(&store, &head).unwrap();
    }
    let srv = start(tmp.path()).await;
    let b = srv.base.clone();
    let (s, body) = get(&format!("{b}/api/v1/elections/test-2026")).await;
    assert_eq!(s, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v["definition"]["units"].as_array().map(Vec::len),
        Some(3_007)
    );

    let note = kit::sign(
        &k.north,
        &kit::results_json("x002999", 1, &kit::mayor(30, 20, 51)),
    );
    let (s, receipt) = post(&format!("{b}/api/v1/elections/test-2026/submissions"), note).await;
    assert_eq!(s, 201, "{receipt}");
    assert_eq!(receipt["index"].as_u64(), Some(head.len() as u64));
    let size = head.len() as u64 + 1;
    let results_url = format!("{b}/api/v1/elections/test-2026/results");
    let mut results = Vec::new();
    for _ in 0..50 {
        let (_, body) = get(&results_url).await;
        let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
        if doc["tree_size"].as_u64() == Some(size) {
            results = body;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!results.is_empty(), "the result was never published");
    let (_, cp) = get(&format!("{b}/log/test-2026/checkpoint")).await;
    let cp = Checkpoint::parse(&Note::parse(&cp).unwrap().text).unwrap();
    assert_eq!(cp.size, size);
    interop_read_tiles(&b, cp.size, cp.root).await;
    srv.shutdown().await;

    // Restart: the parts are replayed and checked again, and the same bytes come back.
    let srv = start(tmp.path()).await;
    let (_, again) = get(&format!("{}/api/v1/elections/test-2026/results", srv.base)).await;
    assert_eq!(again, results);
    srv.shutdown().await;
}
