//! Witness cosignatures: after each new checkpoint, ask the witnesses that the election
//! definition names to cosign it (C2SP tlog-witness), then store and serve the checkpoint with
//! their cosignatures, so a verifier can hold the log to the authority's quorum.
//!
//! This runs on its own thread, off the sequencer's path: a slow or dead witness never delays a
//! receipt. Checkpoints come faster than witnesses answer during a burst, so it always works
//! on the newest one; one that missed the quorum is retried until a newer one supersedes it.
//! The served checkpoint is always the newest; its cosignatures follow within a round trip.

use std::sync::Arc;
use std::time::Duration;

use skytale_model::WitnessPolicySpec;
use skytale_store::Store;
use skytale_witness::{WitnessClient, WitnessEndpoint, WitnessVerifier};
use tokio::sync::watch;

use crate::runtime::ElectionRuntime;

/// Pause before asking again when witnesses did not reach the quorum.
const RETRY: Duration = Duration::from_secs(2);
/// One witness request may take this long before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The witnesses of a definition's policy, with every key parsed.
pub fn endpoints(spec: &WitnessPolicySpec) -> Result<Vec<WitnessEndpoint>, String> {
    spec.members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let keys = m
                .keys
                .iter()
                .enumerate()
                .map(|(j, k)| {
                    WitnessVerifier::parse(k)
                        .map_err(|e| format!("witnesses.members[{i}].keys[{j}]: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(WitnessEndpoint {
                url: m.url.clone(),
                keys,
            })
        })
        .collect()
}

/// Starts the witnessing thread of one election. Send the new size on the returned channel
/// after each checkpoint; dropping it stops the thread.
pub(crate) fn start(
    rt: Arc<ElectionRuntime>,
    store: Arc<Store>,
    endpoints: Vec<WitnessEndpoint>,
    quorum: usize,
) -> std::io::Result<watch::Sender<u64>> {
    let (tx, rx) = watch::channel(0);
    let name = format!("witness-{}", rt.id);
    std::thread::Builder::new().name(name).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(election = %rt.id, error = %e, "cannot start the witness client");
                return;
            }
        };
        runtime.block_on(run(rt, store, endpoints, quorum, rx));
    })?;
    Ok(tx)
}

/// How many of `endpoints` validly cosigned `checkpoint` (a signed note).
fn cosigners(checkpoint: &[u8], endpoints: &[WitnessEndpoint]) -> usize {
    let Ok(note) = skytale_note::Note::parse(checkpoint) else {
        return 0;
    };
    endpoints
        .iter()
        .filter(|e| {
            e.keys.iter().any(|k| {
                note.signatures
                    .iter()
                    .any(|s| k.matches(s) && k.verify(&note.text, &s.signature).is_some())
            })
        })
        .count()
}

async fn run(
    rt: Arc<ElectionRuntime>,
    store: Arc<Store>,
    endpoints: Vec<WitnessEndpoint>,
    quorum: usize,
    mut rx: watch::Receiver<u64>,
) {
    let http = match reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build() {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(election = %rt.id, error = %e, "cannot build the witness HTTP client");
            return;
        }
    };
    // A checkpoint stored with a quorum of cosignatures (after a restart) is not sent again:
    // the stored, cosigned one is what keeps being served.
    let mut done = {
        let log = rt.log.read().unwrap_or_else(|p| p.into_inner());
        if cosigners(&log.checkpoint, &endpoints) >= quorum {
            log.size
        } else {
            0
        }
    };
    let client = WitnessClient::new(http, endpoints);
    loop {
        let (size, checkpoint) = {
            let log = rt.log.read().unwrap_or_else(|p| p.into_inner());
            (log.size, log.checkpoint.clone())
        };
        if size != done {
            let proof = |old: u64| {
                let log = rt.log.read().unwrap_or_else(|p| p.into_inner());
                log.tree.consistency_proof(old, size).ok()
            };
            let out = client.cosign(&checkpoint, &proof).await;
            for e in &out.errors {
                tracing::warn!(election = %rt.id, size, error = %e, "a witness did not cosign");
            }
            if !out.cosigned_by.is_empty() {
                if let Err(e) = store.attach_cosignatures(&rt.id, size, &out.checkpoint) {
                    tracing::error!(election = %rt.id, size, error = %e, "cannot store the cosigned checkpoint");
                }
                let mut log = rt.log.write().unwrap_or_else(|p| p.into_inner());
                if log.size == size {
                    log.checkpoint = Arc::from(out.checkpoint);
                }
            }
            if out.cosigned_by.len() >= quorum {
                done = size;
            } else {
                tokio::select! {
                    r = rx.changed() => if r.is_err() { return },
                    _ = tokio::time::sleep(RETRY) => {}
                }
                continue;
            }
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}
