//! The log side of tlog-witness: ask witnesses to cosign a new checkpoint, and attach the
//! cosignatures to it. The server calls [`WitnessClient::cosign`] after signing each
//! checkpoint; it supplies consistency proofs from its own tree.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use skytale_note::{Note, NoteError, NoteSignature};
use skytale_tlog::Hash;

use crate::cosignature::{WitnessPolicy, WitnessVerifier};
use crate::protocol::AddCheckpoint;

/// How long one witness may take to answer before the log moves on without it.
pub const WITNESS_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest response body read from a witness.
pub const MAX_RESPONSE_SIZE: usize = 64 * 1024;

/// One witness as the log knows it: where to submit and which keys it cosigns with.
#[derive(Clone, Debug)]
pub struct WitnessEndpoint {
    /// Submission prefix, e.g. `https://witness.example/` (`add-checkpoint` is appended).
    pub url: String,
    /// Its cosigning keys (any cosignature from another key is ignored).
    pub keys: Vec<WitnessVerifier>,
}

/// Why a witness did not cosign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The request did not complete.
    #[error("{url}: {why}")]
    Http {
        /// The witness URL.
        url: String,
        /// The transport error.
        why: String,
    },
    /// 409: the witness holds another size (the caller retries with a proof from it).
    #[error("{url}: the witness's latest cosigned size is {latest}")]
    Conflict {
        /// The witness URL.
        url: String,
        /// Its latest size.
        latest: u64,
    },
    /// Any other refusal, with the witness's status and message.
    #[error("{url}: refused with status {status}: {message}")]
    Refused {
        /// The witness URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The body (first line).
        message: String,
    },
    /// The answer was not valid cosignature lines by the witness's keys.
    #[error("{url}: bad response: {why}")]
    BadResponse {
        /// The witness URL.
        url: String,
        /// What was wrong.
        why: String,
    },
    /// The log could not produce a consistency proof from the witness's size.
    #[error("{url}: no consistency proof from size {old_size}")]
    NoProof {
        /// The witness URL.
        url: String,
        /// The witness's size.
        old_size: u64,
    },
}

fn add_checkpoint_url(prefix: &str) -> String {
    format!("{}/add-checkpoint", prefix.trim_end_matches('/'))
}

/// One `add-checkpoint` call. Returns the cosignature lines that verify under `keys`.
pub async fn add_checkpoint(
    http: &reqwest::Client,
    endpoint: &WitnessEndpoint,
    old_size: u64,
    proof: &[Hash],
    checkpoint: &[u8],
) -> Result<Vec<NoteSignature>, ClientError> {
    let url = add_checkpoint_url(&endpoint.url);
    let http_err = |e: reqwest::Error| ClientError::Http {
        url: url.clone(),
        why: e.to_string(),
    };
    let body = AddCheckpoint {
        old_size,
        proof: proof.to_vec(),
        checkpoint: checkpoint.to_vec(),
    }
    .encode();
    let resp = http
        .post(&url)
        .timeout(WITNESS_TIMEOUT)
        .body(body)
        .send()
        .await
        .map_err(http_err)?;
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.map_err(http_err)?;
    if bytes.len() > MAX_RESPONSE_SIZE {
        return Err(ClientError::BadResponse {
            url,
            why: format!("{} bytes is more than {MAX_RESPONSE_SIZE}", bytes.len()),
        });
    }
    let body = String::from_utf8_lossy(&bytes);
    if status == 409 {
        let latest = body.trim().parse().map_err(|_| ClientError::BadResponse {
            url: url.clone(),
            why: format!("409 without a size: {:?}", body.trim()),
        })?;
        return Err(ClientError::Conflict { url, latest });
    }
    if status != 200 {
        return Err(ClientError::Refused {
            url,
            status,
            message: body.lines().next().unwrap_or("").to_owned(),
        });
    }
    let note = Note::parse(checkpoint).map_err(|e| ClientError::BadResponse {
        url: url.clone(),
        why: format!("our own checkpoint: {e}"),
    })?;
    // The spec's suggestion: append the lines to the checkpoint text and parse as a note.
    let mut joined = note.text.clone().into_bytes();
    joined.push(b'\n');
    joined.extend_from_slice(&bytes);
    let answered = Note::parse(&joined).map_err(|e| ClientError::BadResponse {
        url: url.clone(),
        why: e.to_string(),
    })?;
    let policy = WitnessPolicy {
        quorum: 1,
        witnesses: endpoint.keys.clone(),
    };
    policy
        .check(&answered)
        .map_err(|e| ClientError::BadResponse {
            url: url.clone(),
            why: e.to_string(),
        })?;
    Ok(answered
        .signatures
        .into_iter()
        .filter(|s| endpoint.keys.iter().any(|k| k.matches(s)))
        .collect())
}

/// Adds cosignature lines to a checkpoint note (replacing older lines by the same keys).
pub fn attach(checkpoint: &[u8], cosignatures: &[NoteSignature]) -> Result<Vec<u8>, NoteError> {
    let mut note = Note::parse(checkpoint)?;
    note.signatures.retain(|s| {
        !cosignatures
            .iter()
            .any(|c| c.name == s.name && c.key_id == s.key_id)
    });
    note.signatures.extend(cosignatures.iter().cloned());
    Ok(note.to_bytes())
}

/// What [`WitnessClient::cosign`] got.
#[derive(Debug, Default)]
pub struct CosignOutcome {
    /// The checkpoint with every cosignature obtained.
    pub checkpoint: Vec<u8>,
    /// Witnesses (URLs) that cosigned.
    pub cosigned_by: Vec<String>,
    /// Witnesses that did not, and why.
    pub errors: Vec<ClientError>,
}

/// The log's client for its configured witnesses; remembers each witness's latest size so
/// the next request carries the right consistency proof.
pub struct WitnessClient {
    http: reqwest::Client,
    witnesses: Vec<WitnessEndpoint>,
    sizes: Mutex<HashMap<String, u64>>,
}

impl WitnessClient {
    /// A client for these witnesses.
    pub fn new(http: reqwest::Client, witnesses: Vec<WitnessEndpoint>) -> WitnessClient {
        WitnessClient {
            http,
            witnesses,
            sizes: Mutex::new(HashMap::new()),
        }
    }

    /// Asks every witness (concurrently) to cosign `checkpoint` (a signed note of tree size
    /// `size`). `proof(old)` must return the consistency proof from `old` to `size` (empty
    /// for `old == 0`), e.g. `tree.consistency_proof(old, size)`; `None` if the log cannot.
    /// A 409 is answered once with a proof from the witness's size.
    pub async fn cosign(
        &self,
        checkpoint: &[u8],
        proof: &(dyn Fn(u64) -> Option<Vec<Hash>> + Sync),
    ) -> CosignOutcome {
        let futures = self.witnesses.iter().map(|w| async move {
            let mut old = self
                .sizes
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&w.url)
                .copied()
                .unwrap_or(0);
            for attempt in 0..2 {
                let p = if old == 0 {
                    Vec::new()
                } else {
                    match proof(old) {
                        Some(p) => p,
                        None => {
                            return Err(ClientError::NoProof {
                                url: w.url.clone(),
                                old_size: old,
                            })
                        }
                    }
                };
                match add_checkpoint(&self.http, w, old, &p, checkpoint).await {
                    Err(ClientError::Conflict { latest, .. }) if attempt == 0 => old = latest,
                    other => return other.map(|sigs| (w, sigs)),
                }
            }
            Err(ClientError::Refused {
                url: w.url.clone(),
                status: 409,
                message: "size conflict persisted".into(),
            })
        });
        let results = futures_util::future::join_all(futures).await;
        let mut out = CosignOutcome {
            checkpoint: checkpoint.to_vec(),
            ..CosignOutcome::default()
        };
        let mut all = Vec::new();
        let size = Note::parse(checkpoint)
            .ok()
            .and_then(|n| skytale_tlog::Checkpoint::parse(&n.text).ok())
            .map(|c| c.size);
        for r in results {
            match r {
                Ok((w, sigs)) => {
                    if let Some(size) = size {
                        self.sizes
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(w.url.clone(), size);
                    }
                    out.cosigned_by.push(w.url.clone());
                    all.extend(sigs);
                }
                Err(e) => out.errors.push(e),
            }
        }
        if let Ok(c) = attach(checkpoint, &all) {
            out.checkpoint = c;
        }
        out
    }
}
