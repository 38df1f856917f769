//! The witness policy signed in the election definition, end to end: the server asks the named
//! witnesses to cosign every checkpoint and serves their cosignatures; `verify` holds the log
//! to the authority's quorum, and catches a log whose witnesses did not cosign.

mod common;

use std::sync::Arc;

use common::*;
use skytale_model::{WitnessPolicySpec, WitnessSpec};
use skytale_witness::{CosignatureKind, Witness, WitnessSigner};

/// Creates the test election with `witness_url` as its one witness (quorum 1), starts the
/// server and reports the night. Returns the election, the log's verifier key and the
/// witness's signer.
async fn witnessed_election(
    witness_url: &str,
) -> (Election, skytale_note::VerifierKey, WitnessSigner) {
    let k = keys();
    let signer =
        WitnessSigner::from_seed(CosignatureKind::MlDsa44, "witness.example/w1", [7; 32]).unwrap();
    let mut def = definition(&k);
    def.witnesses = Some(WitnessPolicySpec {
        quorum: 1,
        members: vec![WitnessSpec {
            url: witness_url.to_string(),
            keys: vec![signer.verifier().to_string()],
        }],
    });
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log_key = {
        let store = skytale_store::Store::open(&data).unwrap();
        let head = skytale_model::sign_definition(&def, &k.authority).unwrap();
        skytale_server::create_election(&store, &head).unwrap().1
    };
    let (url, tx, task) = start_server(&data).await;
    for n in night(&k) {
        assert_eq!(submit(&url, &n).await, 201, "submission refused");
    }
    wait_published(&url, 1 + night(&k).len() as u64).await;
    let e = Election {
        dir,
        url,
        shutdown: Some(tx),
        task,
    };
    (e, log_key, signer)
}

async fn checkpoint(url: &str) -> String {
    reqwest::get(format!("{url}/log/{ID}/checkpoint"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn wait_cosigned(url: &str) -> String {
    for _ in 0..200 {
        let cp = checkpoint(url).await;
        if cp.contains("— witness.example/w1 ") {
            return cp;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the served checkpoint never got the witness's cosignature");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_gets_the_signed_quorum_and_verify_checks_it() {
    // Bind the witness first: its URL goes into the definition, its log key comes after.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let witness_url = format!("http://{}/", listener.local_addr().unwrap());
    let wdir = tempfile::tempdir().unwrap();
    // The witness must know the log's key, which exists only once the election is created;
    // until it runs, the server retries.
    let (e, log_key, signer) = witnessed_election(&witness_url).await;
    let w = Arc::new(Witness::new(vec![signer], vec![log_key], wdir.path()).unwrap());
    tokio::spawn(skytale_witness::server::serve(
        w,
        listener,
        std::future::pending(),
    ));

    let cp = wait_cosigned(&e.url).await;
    assert!(
        cp.contains(&format!("\n{}\n", 1 + night(&keys()).len())),
        "{cp}"
    );
    let r = skytale_verify::verify(&opts(&e.url)).await;
    let text = r.to_text();
    assert!(r.ok, "{text}");
    assert!(
        text.contains(
            "1 of 1 witnesses cosigned (quorum 1, policy from the signed election definition)"
        ),
        "{text}"
    );

    // The cosigned checkpoint is durable: a restart serves it again.
    let data = e.data_dir();
    let dir = e.stop().await;
    let (url, tx, task) = start_server(&data).await;
    assert_eq!(checkpoint(&url).await, cp);
    let _ = tx.send(());
    let _ = task.await;
    drop(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_its_witnesses_did_not_cosign_fails_the_signed_quorum() {
    // Nobody listens at the witness's address.
    let witness_url = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/", l.local_addr().unwrap())
    };
    let (e, _, _) = witnessed_election(&witness_url).await;
    let r = skytale_verify::verify(&opts(&e.url)).await;
    assert_caught(&r, "witness_quorum", "checkpoint", "0 of the required 1");
    e.stop().await;
}
