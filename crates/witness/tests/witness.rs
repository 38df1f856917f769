//! The witness end to end: add-checkpoint rules (200, 400, 403, 404, 409, 422), atomic
//! persistence across restarts, the HTTP service with the log-side client, and quorum
//! policies over both cosignature types.

use std::sync::Arc;

use skytale_note::{Note, SigningKey};
use skytale_tlog::{Checkpoint, Tree};
use skytale_witness::protocol::AddCheckpoint;
use skytale_witness::{
    CosignatureKind, Witness, WitnessClient, WitnessEndpoint, WitnessError, WitnessPolicy,
    WitnessSigner,
};

const ORIGIN: &str = "results.example/witness-test";

fn log_key() -> SigningKey {
    SigningKey::from_seed(ORIGIN, [9; 32]).unwrap()
}

fn tree(n: u64, salt: &str) -> Tree {
    let mut t = Tree::new();
    for i in 0..n {
        t.push_entry(format!("entry {i}{salt}").as_bytes());
    }
    t
}

fn checkpoint(t: &Tree, size: u64, key: &SigningKey) -> Vec<u8> {
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size,
        root: t.root_at(size).unwrap(),
        extensions: vec![],
    };
    key.sign_note(&cp.to_text()).unwrap().to_bytes()
}

fn body(old: u64, proof: Vec<[u8; 32]>, cp: Vec<u8>) -> Vec<u8> {
    AddCheckpoint {
        old_size: old,
        proof,
        checkpoint: cp,
    }
    .encode()
}

fn signers() -> Vec<WitnessSigner> {
    vec![
        WitnessSigner::from_seed(CosignatureKind::MlDsa44, "witness.example/w1", [1; 32]).unwrap(),
        WitnessSigner::from_seed(CosignatureKind::Ed25519, "witness.example/w1", [2; 32]).unwrap(),
    ]
}

fn witness(dir: &std::path::Path) -> Witness {
    Witness::new(signers(), vec![log_key().verifier()], dir).unwrap()
}

#[test]
fn add_checkpoint_rules() {
    let dir = tempfile::tempdir().unwrap();
    let w = witness(dir.path());
    let t = tree(20, "");
    let k = log_key();
    // First checkpoint: old size 0, no proof.
    let lines = w
        .add_checkpoint(&body(0, vec![], checkpoint(&t, 10, &k)), 1_700_000_000)
        .unwrap();
    let text = String::from_utf8(lines.clone()).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text
        .lines()
        .all(|l| l.starts_with("\u{2014} witness.example/w1 ")));
    // The lines verify as cosignatures of both kinds.
    let cp = checkpoint(&t, 10, &k);
    let mut joined = Note::parse(&cp).unwrap().text.into_bytes();
    joined.push(b'\n');
    joined.extend_from_slice(&lines);
    let note = Note::parse(&joined).unwrap();
    let policy = WitnessPolicy {
        quorum: 1,
        witnesses: signers().iter().map(|s| s.verifier()).collect(),
    };
    let got = policy.cosignatures(&note).unwrap();
    assert_eq!(got.len(), 1, "one witness name, two keys");
    // Growth with a valid proof.
    let proof = t.consistency_proof(10, 15).unwrap();
    w.add_checkpoint(
        &body(10, proof.clone(), checkpoint(&t, 15, &k)),
        1_700_000_001,
    )
    .unwrap();
    // Stale old size: 409 with the latest size.
    assert_eq!(
        w.add_checkpoint(&body(10, proof, checkpoint(&t, 15, &k)), 1_700_000_002),
        Err(WitnessError::Conflict {
            old_size: 10,
            latest: 15
        })
    );
    // A rollback attempt with old 15 and a smaller checkpoint: 400.
    assert_eq!(
        w.add_checkpoint(&body(15, vec![], checkpoint(&t, 12, &k)), 1)
            .unwrap_err()
            .status(),
        400
    );
    // A split view: same size, another root: 422.
    let other = tree(20, "forged");
    let e = w
        .add_checkpoint(&body(15, vec![], checkpoint(&other, 15, &k)), 1_700_000_003)
        .unwrap_err();
    assert_eq!(e.status(), 422);
    assert!(e.to_string().contains("split view"), "{e}");
    // A rewritten history: the proof from 15 to 20 of another tree does not verify: 422.
    let bad = other.consistency_proof(15, 20).unwrap();
    let e = w
        .add_checkpoint(&body(15, bad, checkpoint(&other, 20, &k)), 1_700_000_004)
        .unwrap_err();
    assert_eq!(e.status(), 422, "{e}");
    // Unknown log: 404; a signature by another key under the log's name: 403.
    let stranger = SigningKey::from_seed("other.example/log", [3; 32]).unwrap();
    let cp_other = {
        let c = Checkpoint {
            origin: "other.example/log".into(),
            size: 1,
            root: tree(1, "").root(),
            extensions: vec![],
        };
        stranger.sign_note(&c.to_text()).unwrap().to_bytes()
    };
    assert_eq!(
        w.add_checkpoint(&body(0, vec![], cp_other), 1)
            .unwrap_err()
            .status(),
        404
    );
    let impostor = SigningKey::from_seed(ORIGIN, [4; 32]).unwrap();
    assert_eq!(
        w.add_checkpoint(&body(15, vec![], checkpoint(&t, 15, &impostor)), 1)
            .unwrap_err()
            .status(),
        403
    );
    // Malformed: 400.
    assert_eq!(
        w.add_checkpoint(b"old 01\n\n", 1).unwrap_err().status(),
        400
    );
    // The state survives a restart.
    drop(w);
    let w = witness(dir.path());
    let latest = w.latest(ORIGIN).unwrap().unwrap();
    let n = Note::parse(&latest).unwrap();
    assert_eq!(Checkpoint::parse(&n.text).unwrap().size, 15);
    assert_eq!(policy.check(&n).unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_side_client_over_http() {
    let dir1 = tempfile::tempdir().unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let w1 = Arc::new(witness(dir1.path()));
    let w2 = Arc::new(
        Witness::new(
            vec![
                WitnessSigner::from_seed(CosignatureKind::MlDsa44, "witness.example/w2", [5; 32])
                    .unwrap(),
            ],
            vec![log_key().verifier()],
            dir2.path(),
        )
        .unwrap(),
    );
    let mut endpoints = Vec::new();
    let mut keys = Vec::new();
    for w in [w1.clone(), w2.clone()] {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let vks: Vec<_> = w.signers().iter().map(|s| s.verifier()).collect();
        keys.extend(vks.clone());
        endpoints.push(WitnessEndpoint {
            url: format!("http://{addr}"),
            keys: vks,
        });
        tokio::spawn(skytale_witness::server::serve(w, l, std::future::pending()));
    }
    let t = tree(300, "");
    let k = log_key();
    let client = WitnessClient::new(reqwest::Client::new(), endpoints.clone());
    let policy = WitnessPolicy {
        quorum: 2,
        witnesses: keys,
    };
    for size in [1u64, 7, 300] {
        let cp = checkpoint(&t, size, &k);
        let out = client
            .cosign(&cp, &|old| t.consistency_proof(old, size).ok())
            .await;
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let n = Note::parse(&out.checkpoint).unwrap();
        n.verify(&[k.verifier()]).unwrap();
        assert_eq!(policy.check(&n).unwrap().len(), 2);
    }
    // A client that forgot the witnesses' sizes gets 409 and retries with the right proof.
    let fresh = WitnessClient::new(reqwest::Client::new(), endpoints.clone());
    let t2 = {
        let mut t2 = t.clone();
        t2.push_entry(b"more");
        t2
    };
    let cp = checkpoint(&t2, 301, &k);
    let out = fresh
        .cosign(&cp, &|old| t2.consistency_proof(old, 301).ok())
        .await;
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    // A split view is refused by every witness, so it can never reach quorum.
    let forged = tree(302, "forged");
    let cp = checkpoint(&forged, 302, &k);
    let out = fresh
        .cosign(&cp, &|old| forged.consistency_proof(old, 302).ok())
        .await;
    assert_eq!(out.errors.len(), 2, "{:?}", out.errors);
    assert!(
        out.errors.iter().all(|e| e.to_string().contains("422")),
        "{:?}",
        out.errors
    );
    assert!(policy
        .check(&Note::parse(&out.checkpoint).unwrap())
        .is_err());
    // The monitoring endpoint serves the latest cosigned checkpoint.
    let hash = skytale_witness::witness::origin_hash(ORIGIN);
    let body = reqwest::get(format!("{}/{hash}/checkpoint", endpoints[0].url))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let n = Note::parse(&body).unwrap();
    assert_eq!(Checkpoint::parse(&n.text).unwrap().size, 301);
}
