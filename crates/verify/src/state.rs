//! Step 5: the `--state` file. It remembers the trust roots (log key, authority key, so a
//! first run's trust-on-first-use becomes a pin) and the last verified checkpoint, and the
//! next run proves the new checkpoint consistent with it.

use std::path::Path;

use serde::{Deserialize, Serialize};
use skytale_model::{decode_hash, encode_hash};
use skytale_tlog::{verify_consistency, Checkpoint, Tree};

use crate::report::Failure;

/// Format version of the state file.
pub const STATE_VERSION: u32 = 1;

/// What a verifier remembers between runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Always [`STATE_VERSION`].
    pub version: u32,
    /// The election id.
    pub election: String,
    /// The log origin.
    pub origin: String,
    /// The log's verifier key, pinned after the first run.
    pub log_key: String,
    /// The election authority's key, pinned after the first run.
    pub authority_key: String,
    /// Size of the last verified checkpoint.
    pub size: u64,
    /// Its root hash (base64).
    pub root: String,
    /// The whole checkpoint note as last seen (evidence if the log later misbehaves).
    pub checkpoint: String,
}

/// Reads a state file; `Ok(None)` if it does not exist yet.
pub fn load(path: &Path) -> Result<Option<State>, Failure> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Failure::new(
                "state_unreadable",
                path.display().to_string(),
                e.to_string(),
            ))
        }
    };
    let s: State = serde_json::from_slice(&bytes).map_err(|e| {
        Failure::new(
            "state_unreadable",
            path.display().to_string(),
            e.to_string(),
        )
    })?;
    if s.version != STATE_VERSION {
        return Err(Failure::new(
            "state_unreadable",
            path.display().to_string(),
            format!("state version {} is not {STATE_VERSION}", s.version),
        ));
    }
    Ok(Some(s))
}

/// Writes the state atomically (temporary file, fsync, rename).
pub fn save(path: &Path, s: &State) -> Result<(), Failure> {
    let bytes = serde_json::to_vec_pretty(s).unwrap_or_default();
    skytale_witness::witness::write_atomic(path, &bytes).map_err(|e| {
        Failure::new(
            "state_unwritable",
            path.display().to_string(),
            e.to_string(),
        )
    })
}

/// Proves that `cp` (whose entries rebuilt `tree`) extends the checkpoint in `old`: no
/// rollback, no second root for the same size (split view), and an RFC 6962 consistency
/// proof, computed from the verified tree, from the old root to the new one.
pub fn check_consistency(old: &State, cp: &Checkpoint, tree: &Tree) -> Result<String, Failure> {
    let here = format!("checkpoint size {}", cp.size);
    let old_root = decode_hash(&old.root).ok_or_else(|| {
        Failure::new(
            "state_unreadable",
            "state file field root",
            "not a base64 hash",
        )
    })?;
    if cp.origin != old.origin {
        return Err(Failure::new(
            "origin_changed",
            here,
            format!(
                "origin {:?}, but the state remembers {:?}",
                cp.origin, old.origin
            ),
        ));
    }
    if cp.size < old.size {
        return Err(Failure::new(
            "rollback",
            here,
            format!(
                "the log went back from size {} (seen before) to size {}: a rollback to an older checkpoint",
                old.size, cp.size
            ),
        ));
    }
    if cp.size == old.size {
        if cp.root != old_root {
            return Err(Failure::new(
                "split_view",
                here,
                format!(
                    "a second, different checkpoint of size {}: root {} now, {} before (the log key signed two trees of the same size)",
                    cp.size,
                    encode_hash(&cp.root),
                    old.root
                ),
            ));
        }
        return Ok(format!("same checkpoint as last time (size {})", cp.size));
    }
    let proof = tree
        .consistency_proof(old.size, cp.size)
        .map_err(|e| Failure::new("history_rewritten", here.clone(), e.to_string()))?;
    verify_consistency(old.size, cp.size, &proof, &old_root, &cp.root).map_err(|e| {
        Failure::new(
            "history_rewritten",
            here,
            format!(
                "not consistent with the checkpoint of size {} seen before ({e}): the first {} entries were changed, dropped or reordered",
                old.size, old.size
            ),
        )
    })?;
    Ok(format!(
        "consistent with the last seen checkpoint (size {} → {}, proof of {} hashes)",
        old.size,
        cp.size,
        proof.len()
    ))
}
