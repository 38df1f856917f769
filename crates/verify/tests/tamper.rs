//! The tamper suite. Each test starts from a real election log (the real server,
//! in-process, fed over HTTP), applies one attack the way an insider with database access
//! (and the log's signing key) would, and asserts that verify, the server's start-up replay,
//! the monitor or a witness catches it with a precise message.

mod common;

use common::*;
use skytale_store::DB_FILE;
use skytale_verify::verify;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honest_log_verifies_from_url_and_directory_and_stays_consistent() {
    let k = keys();
    let e = real_election(&k).await;
    let r = verify(&opts(&e.url)).await;
    assert!(r.ok, "{}", r.to_text());
    assert_eq!(r.tree_size, Some(8));
    let pubdir = tempfile::tempdir().unwrap();
    mirror(&e.url, pubdir.path()).await;
    let state = pubdir.path().join("state.json");
    let mut o = opts(pubdir.path().to_str().unwrap());
    o.state = Some(state.clone());
    let r = verify(&o).await;
    assert!(r.ok, "{}", r.to_text());
    assert!(r.to_text().contains("first run"), "{}", r.to_text());
    // More results arrive; the second run proves consistency with the first.
    assert_eq!(
        submit(&e.url, &results(&k.south, "s2", 2, 130, 180)).await,
        201
    );
    wait_published(&e.url, 9).await;
    mirror(&e.url, pubdir.path()).await;
    let r = verify(&o).await;
    assert!(r.ok, "{}", r.to_text());
    assert!(
        r.to_text()
            .contains("consistent with the last seen checkpoint (size 8 → 9"),
        "{}",
        r.to_text()
    );
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(json["ok"], true);
    e.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_vote_count_in_the_database_is_caught() {
    let k = keys();
    let e = real_election(&k).await;
    let pubdir = tempfile::tempdir().unwrap();
    mirror(&e.url, pubdir.path()).await;
    let dir = e.stop().await;
    let data = dir.path().join("data");
    // The insider edits entry 1 in SQLite: 300 votes for alice become 390.
    let mut entries = stored_entries(&data);
    let forged = String::from_utf8(entries[1].clone())
        .unwrap()
        .replace("\"election_day\":300", "\"election_day\":390");
    assert_ne!(forged.as_bytes(), &entries[1][..]);
    {
        let db = rusqlite::Connection::open(data.join(DB_FILE)).unwrap();
        let n = db
            .execute(
                "UPDATE entry SET data = ?1 WHERE election = ?2 AND idx = 1",
                rusqlite::params![forged.as_bytes(), ID],
            )
            .unwrap();
        assert_eq!(n, 1);
    }
    // 1. The server refuses to start on the tampered store, naming the entry.
    let err = skytale_server::AppState::open(&data)
        .err()
        .expect("server started on a tampered store")
        .to_string();
    assert!(err.contains("stored entry 1"), "{err}");
    // 2. The insider also republishes the log, re-signed with the log key: verify names the entry.
    entries[1] = forged.into_bytes();
    write_log(pubdir.path(), &entries, &log_key(&data));
    let r = verify(&opts(pubdir.path().to_str().unwrap())).await;
    assert_caught(&r, "entry_rejected", "entry 1", "signature");
}

/// Builds the honest published directory and its state file, then lets `attack` rewrite the
/// log; returns the report of the next verification with the state file.
async fn attack_with_state(
    attack: impl FnOnce(&mut Vec<Vec<u8>>, &Keys),
) -> skytale_verify::Report {
    let k = keys();
    let e = real_election(&k).await;
    let pubdir = tempfile::tempdir().unwrap();
    mirror(&e.url, pubdir.path()).await;
    let dir = e.stop().await;
    let data = dir.path().join("data");
    let mut o = opts(pubdir.path().to_str().unwrap());
    o.state = Some(pubdir.path().join("state.json"));
    let r = verify(&o).await;
    assert!(r.ok, "{}", r.to_text());
    let mut entries = stored_entries(&data);
    attack(&mut entries, &k);
    write_log(pubdir.path(), &entries, &log_key(&data));
    verify(&o).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_entry_is_caught() {
    let r = attack_with_state(|e, k| {
        e.remove(2); // the s1 report disappears…
        e.push(results(&k.south, "s2", 2, 121, 180)); // …and the log grows past the old size
        e.push(results(&k.south, "s2", 3, 122, 180));
    })
    .await;
    assert_caught(
        &r,
        "history_rewritten",
        "checkpoint size 9",
        "not consistent with the checkpoint of size 8",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reordered_entries_are_caught() {
    let r = attack_with_state(|e, _| e.swap(1, 2)).await;
    assert_caught(
        &r,
        "split_view",
        "checkpoint size 8",
        "second, different checkpoint of size 8",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correction_that_rewrites_history_is_caught() {
    // Instead of appending version 2, the county's version 1 of n1 is replaced in place.
    let r = attack_with_state(|e, k| {
        e[1] = results(&k.north, "n1", 1, 280, 220);
        e.push(results(&k.south, "s2", 2, 121, 180));
    })
    .await;
    assert_caught(
        &r,
        "history_rewritten",
        "checkpoint size 9",
        "were changed, dropped or reordered",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_to_an_older_checkpoint_is_caught() {
    let r = attack_with_state(|e, _| e.truncate(5)).await;
    assert_caught(&r, "rollback", "checkpoint size 5", "went back from size 8");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_view_shown_to_one_client_is_caught() {
    // Client A verified the honest checkpoint of size 8; the log shows client B (and later A)
    // a second checkpoint of size 8 with a different last entry.
    let r = attack_with_state(|e, k| {
        e[7] = results(&k.north, "n1", 2, 390, 120);
    })
    .await;
    assert_caught(
        &r,
        "split_view",
        "checkpoint size 8",
        "log key signed two trees of the same size",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn county_reporting_another_countys_precinct_is_caught() {
    let k = keys();
    let e = real_election(&k).await;
    // The server itself refuses it…
    assert_eq!(submit(&e.url, &results(&k.north, "s2", 2, 1, 1)).await, 403);
    let pubdir = tempfile::tempdir().unwrap();
    mirror(&e.url, pubdir.path()).await;
    let dir = e.stop().await;
    let data = dir.path().join("data");
    // …so the insider appends it to the database and republishes.
    let mut entries = stored_entries(&data);
    entries.push(results(&k.north, "s2", 2, 1, 1));
    write_log(pubdir.path(), &entries, &log_key(&data));
    let r = verify(&opts(pubdir.path().to_str().unwrap())).await;
    assert_caught(&r, "entry_rejected", "entry 8", "outside the key's scope");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_signed_by_a_revoked_key_is_caught() {
    let k = keys();
    let e = real_election(&k).await;
    assert_eq!(
        submit(&e.url, &results(&k.north_backup, "n2", 2, 1, 1)).await,
        403
    );
    let pubdir = tempfile::tempdir().unwrap();
    mirror(&e.url, pubdir.path()).await;
    let dir = e.stop().await;
    let data = dir.path().join("data");
    let mut entries = stored_entries(&data);
    entries.push(results(&k.north_backup, "n2", 2, 1, 1));
    write_log(pubdir.path(), &entries, &log_key(&data));
    let r = verify(&opts(pubdir.path().to_str().unwrap())).await;
    assert_caught(&r, "entry_rejected", "entry 8", "revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaced_tile_is_caught() {
    let k = keys();
    let e = real_election(&k).await;
    let pubdir = tempfile::tempdir().unwrap();
    mirror(&e.url, pubdir.path()).await;
    e.stop().await;
    let tile = pubdir.path().join(format!("log/{ID}/tile/0/000.p/8"));
    let mut b = std::fs::read(&tile).unwrap();
    b[32 * 3] ^= 0xff; // hash 3
    std::fs::write(&tile, b).unwrap();
    let r = verify(&opts(pubdir.path().to_str().unwrap())).await;
    assert_caught(&r, "tile_mismatch", "tile/0/000.p/8", "hash 3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_number_that_differs_from_the_log_is_caught() {
    let k = keys();
    let e = real_election(&k).await;
    let pubdir = tempfile::tempdir().unwrap();
    mirror(&e.url, pubdir.path()).await;
    e.stop().await;
    for (file, name) in [
        ("results/index.json", "results"),
        ("results/mayor", "results/mayor"),
    ] {
        let path = pubdir.path().join(format!("api/v1/elections/{ID}/{file}"));
        let orig = std::fs::read_to_string(&path).unwrap();
        // Bob's statewide total: 200 + 260 + 390 + 180 = 1030.
        let forged = orig.replacen("\"votes\": 1030", "\"votes\": 1130", 1);
        assert_ne!(forged, orig, "{file}");
        std::fs::write(&path, &forged).unwrap();
        let r = verify(&opts(pubdir.path().to_str().unwrap())).await;
        assert_caught(
            &r,
            "results_mismatch",
            &format!("{name} field contests[mayor].selections[bob].votes"),
            "published 1130, but the log gives 1030",
        );
        std::fs::write(&path, orig).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_number_that_differs_from_the_log_is_caught() {
    let k = keys();
    let e = real_election(&k).await;
    let pubdir = tempfile::tempdir().unwrap();
    mirror(&e.url, pubdir.path()).await;
    e.stop().await;
    let clean = verify(&opts(pubdir.path().to_str().unwrap())).await;
    assert!(clean.ok, "{}", clean.to_text());
    assert!(
        clean.to_text().contains("recomputed at snapshot 8"),
        "{}",
        clean.to_text()
    );
    // Bob's statewide total is 1030 in every feed.
    for file in [
        "results/mayor.csv",
        "cdf.json",
        "cdf.xml",
        "cdf.google.xml",
        "eml.510.xml",
    ] {
        let path = pubdir.path().join(format!("api/v1/elections/{ID}/{file}"));
        let orig = std::fs::read_to_string(&path).unwrap();
        let forged = orig.replacen("1030", "1130", 1);
        assert_ne!(forged, orig, "{file}");
        std::fs::write(&path, &forged).unwrap();
        let r = verify(&opts(pubdir.path().to_str().unwrap())).await;
        assert_caught(&r, "feed_mismatch", &format!("{file} line"), "1130");
        std::fs::write(&path, orig).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_follows_new_checkpoints_and_alerts_on_rollback() {
    let k = keys();
    let e = real_election(&k).await;
    let mut m = skytale_verify::monitor::Monitor::new(opts(&e.url));
    let r = m.round().await;
    assert!(r.ok, "{}", r.to_text());
    assert_eq!(m.verified_size(), 8);
    assert_eq!(
        submit(&e.url, &results(&k.south, "s2", 2, 130, 180)).await,
        201
    );
    wait_published(&e.url, 9).await;
    let r = m.round().await;
    assert!(r.ok, "{}", r.to_text());
    assert_eq!(m.verified_size(), 9);
    // A mirror of the site, followed by a second monitor.
    let pubdir = tempfile::tempdir().unwrap();
    mirror(&e.url, pubdir.path()).await;
    let dir = e.stop().await;
    let data = dir.path().join("data");
    let mut o = opts(pubdir.path().to_str().unwrap());
    o.election = Some(ID.into());
    let mut m2 = skytale_verify::monitor::Monitor::new(o);
    let r = m2.round().await;
    assert!(r.ok, "{}", r.to_text());
    // The operator restores an old backup of the database and republishes: a rollback.
    let entries = stored_entries(&data);
    write_log(pubdir.path(), &entries[..6], &log_key(&data));
    let r = m2.round().await;
    assert_caught(
        &r,
        "rollback",
        "checkpoint",
        "went back from size 9 (verified) to size 6",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn witness_cosignatures_are_checked_against_the_quorum() {
    use skytale_witness::{CosignatureKind, Witness, WitnessSigner};
    let k = keys();
    let e = real_election(&k).await;
    let pubdir = tempfile::tempdir().unwrap();
    mirror(&e.url, pubdir.path()).await;
    let dir = e.stop().await;
    let log = log_key(&dir.path().join("data"));
    // A post-quantum witness cosigns the published checkpoint.
    let ml =
        WitnessSigner::from_seed(CosignatureKind::MlDsa44, "witness.example/w1", [7; 32]).unwrap();
    let vk = ml.verifier();
    let w = Witness::new(
        vec![ml],
        vec![log.verifier()],
        &pubdir.path().join("witness"),
    )
    .unwrap();
    let cp_path = pubdir.path().join(format!("log/{ID}/checkpoint"));
    let cp = std::fs::read(&cp_path).unwrap();
    let body = skytale_witness::protocol::AddCheckpoint {
        old_size: 0,
        proof: vec![],
        checkpoint: cp.clone(),
    };
    let lines = w.add_checkpoint(&body.encode(), 1_700_000_000).unwrap();
    let mut joined = skytale_note::Note::parse(&cp).unwrap().text.into_bytes();
    joined.push(b'\n');
    joined.extend_from_slice(&lines);
    let sigs = skytale_note::Note::parse(&joined).unwrap().signatures;
    std::fs::write(&cp_path, skytale_witness::attach(&cp, &sigs).unwrap()).unwrap();
    let mut o = opts(pubdir.path().to_str().unwrap());
    o.witnesses = vec![vk];
    o.witness_quorum = Some(1);
    let r = verify(&o).await;
    assert!(r.ok, "{}", r.to_text());
    assert!(
        r.to_text().contains("witness.example/w1 (ml-dsa-44)"),
        "{}",
        r.to_text()
    );
    // A policy of 2 of 2 is not met by one cosignature.
    o.witnesses.push(
        WitnessSigner::from_seed(CosignatureKind::Ed25519, "witness.example/w2", [8; 32])
            .unwrap()
            .verifier(),
    );
    o.witness_quorum = Some(2);
    let r = verify(&o).await;
    assert_caught(
        &r,
        "witness_quorum",
        "checkpoint",
        "1 of the required 2 witnesses cosigned",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_monitor_with_state_catches_a_rollback() {
    let k = keys();
    let e = real_election(&k).await;
    let pubdir = tempfile::tempdir().unwrap();
    mirror(&e.url, pubdir.path()).await;
    let dir = e.stop().await;
    let data = dir.path().join("data");
    let mut o = opts(pubdir.path().to_str().unwrap());
    o.state = Some(pubdir.path().join("monitor-state.json"));
    let r = skytale_verify::monitor::Monitor::new(o.clone())
        .round()
        .await;
    assert!(r.ok, "{}", r.to_text());
    write_log(pubdir.path(), &stored_entries(&data)[..5], &log_key(&data));
    let r = skytale_verify::monitor::Monitor::new(o).round().await;
    assert_caught(&r, "rollback", "checkpoint size 5", "went back from size 8");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sample_never_says_every_check_holds() {
    let k = keys();
    let e = real_election(&k).await;
    let mut o = opts(&e.url);
    o.sample = Some(3);
    let r = verify(&o).await;
    assert!(r.ok, "{}", r.to_text());
    let text = r.to_text();
    assert!(text.contains("PARTLY VERIFIED"), "{text}");
    assert!(text.contains("only 3 of the site's"), "{text}");
    assert!(!text.contains("every check holds"), "{text}");
    let r = verify(&opts(&e.url)).await;
    assert!(
        r.to_text().contains("VERIFIED: every check holds"),
        "{}",
        r.to_text()
    );
    e.stop().await;
}
