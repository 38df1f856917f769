//! The witness itself: the `add-checkpoint` decision and its durable state, independent of
//! HTTP (the [`crate::server`] module is a thin layer over [`Witness::add_checkpoint`]).
//!
//! State: one file per log, `<state dir>/<hex SHA-256 of the origin>.checkpoint`, holding the
//! latest cosigned checkpoint note (the log's signature and ours). It is replaced atomically
//! (write a temporary file, fsync, rename, fsync the directory), and the whole
//! check-then-persist step runs under one lock, so two concurrent requests can never roll the
//! witness back (the race the tlog-witness spec describes).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest as _, Sha256};
use skytale_note::{Note, NoteSignature, VerifierKey};
use skytale_tlog::{verify_consistency, Checkpoint, EMPTY_ROOT};

use crate::cosignature::WitnessSigner;
use crate::protocol::AddCheckpoint;

/// Why the witness refused a checkpoint; each maps to the status tlog-witness prescribes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    /// 400: a malformed request, or an old size above the checkpoint's size.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 404: the checkpoint's origin is not a log this witness is configured for.
    #[error("unknown log origin {0:?}")]
    UnknownLog(String),
    /// 403: no valid signature by the log's key, or an invalid one.
    #[error("checkpoint signature: {0}")]
    Forbidden(String),
    /// 409: the old size is not the size this witness last cosigned (given here).
    #[error("old size {old_size} is not the latest cosigned size {latest}")]
    Conflict {
        /// The size the client claimed.
        old_size: u64,
        /// The size the witness holds.
        latest: u64,
    },
    /// 422: the checkpoint is not consistent with what the witness saw: a bad proof, or a
    /// different root at the same size (a split view).
    #[error("inconsistent checkpoint: {0}")]
    Inconsistent(String),
    /// 500: the state could not be read or written; nothing was cosigned.
    #[error("witness storage: {0}")]
    Storage(String),
}

impl WitnessError {
    /// The HTTP status code of tlog-witness for this error.
    pub fn status(&self) -> u16 {
        match self {
            WitnessError::BadRequest(_) => 400,
            WitnessError::Forbidden(_) => 403,
            WitnessError::UnknownLog(_) => 404,
            WitnessError::Conflict { .. } => 409,
            WitnessError::Inconsistent(_) => 422,
            WitnessError::Storage(_) => 500,
        }
    }
}

/// A witness: its keys, the logs it follows, and where it keeps their latest checkpoints.
pub struct Witness {
    signers: Vec<WitnessSigner>,
    logs: BTreeMap<String, Vec<VerifierKey>>,
    state_dir: PathBuf,
    lock: Mutex<()>,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witness")
            .field("signers", &self.signers)
            .field("logs", &self.logs.keys().collect::<Vec<_>>())
            .field("state_dir", &self.state_dir)
            .finish()
    }
}

/// The state file of a log: hex SHA-256 of its origin (also the monitoring path segment).
pub fn origin_hash(origin: &str) -> String {
    hex::encode(Sha256::digest(origin.as_bytes()))
}

/// Writes `data` to `path` atomically: a temporary sibling, fsync, rename, fsync the directory.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        // Directory fsync makes the rename durable; not supported everywhere, so best effort.
        let _ = d.sync_all();
    }
    Ok(())
}

impl Witness {
    /// A witness with `signers` (one or more keys; Ed25519 and/or ML-DSA-44) for `logs`
    /// (verifier keys; each key's name is the log's origin, as C2SP checkpoints require),
    /// keeping state in `state_dir` (created if missing).
    pub fn new(
        signers: Vec<WitnessSigner>,
        logs: Vec<VerifierKey>,
        state_dir: &Path,
    ) -> Result<Witness, WitnessError> {
        if signers.is_empty() {
            return Err(WitnessError::Storage(
                "a witness needs at least one key".into(),
            ));
        }
        std::fs::create_dir_all(state_dir).map_err(|e| {
            WitnessError::Storage(format!("cannot create {}: {e}", state_dir.display()))
        })?;
        let mut map: BTreeMap<String, Vec<VerifierKey>> = BTreeMap::new();
        for k in logs {
            map.entry(k.name().to_owned()).or_default().push(k);
        }
        Ok(Witness {
            signers,
            logs: map,
            state_dir: state_dir.to_path_buf(),
            lock: Mutex::new(()),
        })
    }

    /// The witness's keys.
    pub fn signers(&self) -> &[WitnessSigner] {
        &self.signers
    }

    fn state_path(&self, origin: &str) -> PathBuf {
        self.state_dir
            .join(format!("{}.checkpoint", origin_hash(origin)))
    }

    /// The latest cosigned checkpoint note of a log (with the log's and our signatures).
    pub fn latest(&self, origin: &str) -> Result<Option<Vec<u8>>, WitnessError> {
        match std::fs::read(self.state_path(origin)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(WitnessError::Storage(format!(
                "reading state of {origin:?}: {e}"
            ))),
        }
    }

    /// The latest checkpoint note served at `GET <prefix>/<origin hash>/checkpoint`.
    pub fn latest_by_hash(&self, hash: &str) -> Result<Option<Vec<u8>>, WitnessError> {
        match self.logs.keys().find(|o| origin_hash(o) == hash) {
            Some(o) => self.latest(o),
            None => Ok(None),
        }
    }

    fn latest_checkpoint(&self, origin: &str) -> Result<Option<Checkpoint>, WitnessError> {
        let Some(bytes) = self.latest(origin)? else {
            return Ok(None);
        };
        let note = Note::parse(&bytes)
            .map_err(|e| WitnessError::Storage(format!("stored checkpoint of {origin:?}: {e}")))?;
        Checkpoint::parse(&note.text)
            .map(Some)
            .map_err(|e| WitnessError::Storage(format!("stored checkpoint of {origin:?}: {e}")))
    }

    /// Handles one `add-checkpoint` body at time `now` (POSIX seconds): checks it under the
    /// tlog-witness rules, persists the new checkpoint, and returns the cosignature lines
    /// (`— <name> <base64>\n` each) for the response body.
    pub fn add_checkpoint(&self, body: &[u8], now: u64) -> Result<Vec<u8>, WitnessError> {
        let req = AddCheckpoint::decode(body).map_err(|e| WitnessError::BadRequest(e.0))?;
        let note = Note::parse(&req.checkpoint).map_err(|e| {
            WitnessError::BadRequest(format!("the checkpoint is not a signed note: {e}"))
        })?;
        let cp = Checkpoint::parse(&note.text)
            .map_err(|e| WitnessError::BadRequest(format!("the checkpoint body: {e}")))?;
        let keys = self
            .logs
            .get(&cp.origin)
            .ok_or_else(|| WitnessError::UnknownLog(cp.origin.clone()))?;
        let signed_by = note
            .verify(keys)
            .map_err(|e| WitnessError::Forbidden(e.to_string()))?;
        if req.old_size > cp.size {
            return Err(WitnessError::BadRequest(format!(
                "old size {} exceeds the checkpoint size {}",
                req.old_size, cp.size
            )));
        }
        if cp.size == 0 && cp.root != EMPTY_ROOT {
            return Err(WitnessError::Inconsistent(
                "a checkpoint of size 0 must have the empty tree's root".into(),
            ));
        }
        // From here to the rename, nobody else may check or write this witness's state.
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let latest = self.latest_checkpoint(&cp.origin)?;
        let latest_size = latest.as_ref().map_or(0, |c| c.size);
        if req.old_size != latest_size {
            return Err(WitnessError::Conflict {
                old_size: req.old_size,
                latest: latest_size,
            });
        }
        match &latest {
            None => {
                if !req.proof.is_empty() {
                    return Err(WitnessError::Inconsistent(
                        "old size 0 needs an empty consistency proof".into(),
                    ));
                }
            }
            Some(old) if old.size == cp.size => {
                if old.root != cp.root || !req.proof.is_empty() {
                    return Err(WitnessError::Inconsistent(format!(
                        "a different root hash for size {} than the one this witness cosigned (split view)",
                        cp.size
                    )));
                }
            }
            Some(old) => {
                verify_consistency(old.size, cp.size, &req.proof, &old.root, &cp.root).map_err(
                    |e| {
                        WitnessError::Inconsistent(format!(
                            "consistency proof from size {} to {}: {e}",
                            old.size, cp.size
                        ))
                    },
                )?;
            }
        }
        let mut ours = Vec::with_capacity(self.signers.len());
        for s in &self.signers {
            let line: NoteSignature = s
                .cosign(&note.text, now)
                .map_err(|e| WitnessError::BadRequest(e.to_string()))?;
            ours.push(line);
        }
        let mut stored = Note {
            text: note.text.clone(),
            signatures: note
                .signatures
                .iter()
                .filter(|s| {
                    signed_by
                        .iter()
                        .any(|k| k.name() == s.name && k.key_id() == s.key_id)
                })
                .cloned()
                .collect(),
        };
        stored.signatures.extend(ours.iter().cloned());
        let stored_bytes = stored.to_bytes();
        let lines = signature_lines(&ours);
        write_atomic(&self.state_path(&cp.origin), &stored_bytes).map_err(|e| {
            WitnessError::Storage(format!("persisting the checkpoint of {:?}: {e}", cp.origin))
        })?;
        Ok(lines)
    }
}

/// Encodes signature lines (`— <name> <base64(key ID || signature)>\n` each), as an
/// `add-checkpoint` response carries them.
pub fn signature_lines(sigs: &[NoteSignature]) -> Vec<u8> {
    let n = Note {
        text: String::new(),
        signatures: sigs.to_vec(),
    };
    // `to_bytes` is text, a blank line, then the lines: with empty text that is "\n" + lines.
    n.to_bytes().split_off(1)
}
