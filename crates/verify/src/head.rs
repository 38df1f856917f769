//! Step 1: the election, its checkpoint signed by the log key, the definition signed at the
//! head of the log, and the witness cosignatures its policy asks for.

use std::collections::HashMap;

use serde_json::Value;
use skytale_note::{Note, VerifierKey};
use skytale_tlog::tiles::{decode_entry_bundle, TileError, TilePath, TILE_WIDTH};
use skytale_tlog::Checkpoint;
use skytale_witness::{WitnessPolicy, WitnessVerifier};

use crate::report::{Failure, Step};
use crate::source::Source;
use crate::{fetch, Head, Options};

/// Finds the election id when not given: the only election of the source.
pub async fn resolve_election(source: &Source, given: Option<&str>) -> Result<String, Failure> {
    if let Some(id) = given {
        return Ok(id.to_owned());
    }
    let ids: Vec<String> = match source {
        Source::Url { .. } => {
            let b = source
                .require("api/v1/elections")
                .await
                .map_err(|e| Failure::new("source", e.location, e.why))?;
            let v: Value = serde_json::from_slice(&b).map_err(|e| {
                Failure::new("source", source.locate("api/v1/elections"), e.to_string())
            })?;
            v.get("elections")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e.get("id").and_then(Value::as_str).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        }
        Source::Dir(d) => std::fs::read_dir(d.join("log"))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter(|e| e.path().is_dir())
                    .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
    };
    match ids.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Failure::new(
            "no_election",
            source.locate(""),
            "the source publishes no election",
        )),
        many => Err(Failure::new(
            "election_ambiguous",
            source.locate(""),
            format!(
                "several elections ({}); choose one with --election",
                many.join(", ")
            ),
        )),
    }
}

/// The witness policy: from the command line, else the signed definition at the head of the
/// log (`definition.witnesses`), else the election document the operator publishes (weaker:
/// unsigned). Returns the policy and where it came from.
pub fn witness_policy(
    opts: &Options,
    definition: Option<&skytale_model::Definition>,
    doc: &Value,
) -> Result<(WitnessPolicy, &'static str), String> {
    if !opts.witnesses.is_empty() {
        return Ok((
            WitnessPolicy {
                quorum: opts.witness_quorum.unwrap_or(opts.witnesses.len()),
                witnesses: opts.witnesses.clone(),
            },
            "the command line",
        ));
    }
    if let Some(def) = definition {
        return match &def.witnesses {
            Some(w) => policy_from_spec(w).map(|p| (p, "the signed election definition")),
            None => Ok((WitnessPolicy::default(), "the signed election definition")),
        };
    }
    if let Some(w) = doc.get("witnesses") {
        let spec: skytale_model::WitnessPolicySpec = serde_json::from_value(w.clone())
            .map_err(|e| format!("the election document's witnesses: {e}"))?;
        return policy_from_spec(&spec).map(|p| (p, "the election document (unsigned)"));
    }
    Ok((WitnessPolicy::default(), "nowhere"))
}

/// The cryptographic policy for a definition's witnesses (every key parsed).
pub fn policy_from_spec(w: &skytale_model::WitnessPolicySpec) -> Result<WitnessPolicy, String> {
    let mut witnesses = Vec::new();
    for (i, m) in w.members.iter().enumerate() {
        for (j, k) in m.keys.iter().enumerate() {
            witnesses.push(
                WitnessVerifier::parse(k)
                    .map_err(|e| format!("witnesses.members[{i}].keys[{j}]: {e}"))?,
            );
        }
    }
    if w.quorum as usize > w.members.len() {
        return Err(format!(
            "witnesses.quorum {} exceeds the {} witnesses named",
            w.quorum,
            w.members.len()
        ));
    }
    Ok(WitnessPolicy {
        quorum: w.quorum as usize,
        witnesses,
    })
}

pub(crate) fn tile_failure(source: &Source, election: &str, e: TileError) -> Failure {
    let loc = |p: &str| source.locate(&format!("log/{election}/{p}"));
    match e {
        TileError::TileMismatch { path, position } => Failure::new(
            "tile_mismatch",
            loc(&path),
            format!("hash {position} of this tile differs from the one computed from the entries: the tile was replaced"),
        ),
        TileError::WrongCount { path, got, want } => Failure::new(
            "tile_malformed",
            loc(&path),
            format!("has {got} items, want {want}"),
        ),
        TileError::RootMismatch { size } => Failure::new(
            "root_mismatch",
            format!("checkpoint size {size}"),
            "the entries published in the tiles do not hash to the checkpoint's root: entries were changed, dropped or reordered",
        ),
        TileError::BadBundle { why } => Failure::new("tile_malformed", source.locate(&format!("log/{election}/tile/entries")), why),
        TileError::Fetch { path, why } => Failure::new("tile_fetch", loc(&path), why),
        other => Failure::new("tile_malformed", source.locate(&format!("log/{election}")), other.to_string()),
    }
}

/// Step 1 (checkpoint, log key): fetches the definition document and the checkpoint.
pub(crate) async fn fetch_head(
    source: &Source,
    id: &str,
    pinned_log_key: Option<&VerifierKey>,
    step: &mut Step,
) -> Option<Head> {
    let doc_path = format!("api/v1/elections/{id}");
    let doc_location = source.locate(&doc_path);
    let doc: Value = match source.require(&doc_path).await {
        Ok(b) => match serde_json::from_slice(&b) {
            Ok(v) => v,
            Err(e) => {
                step.fail(Failure::new(
                    "definition_malformed",
                    doc_location,
                    e.to_string(),
                ));
                return None;
            }
        },
        Err(e) => {
            step.fail(Failure::new("definition_missing", e.location, e.why));
            return None;
        }
    };
    let published_key = doc.pointer("/log/verifier_key").and_then(Value::as_str);
    let log_key = match (pinned_log_key, published_key) {
        (Some(k), Some(p)) => {
            if k.to_string() != p {
                step.fail(Failure::new(
                    "log_key_mismatch",
                    format!("{doc_location} field log.verifier_key"),
                    format!("the source publishes log key {p}, not the pinned {k}"),
                ));
            }
            k.clone()
        }
        (Some(k), None) => k.clone(),
        (None, Some(p)) => match VerifierKey::parse(p) {
            Ok(k) => {
                step.note(format!(
                    "trusting the log key the source publishes ({k}) on first use; pin it with --log-key or --state"
                ));
                k
            }
            Err(e) => {
                step.fail(Failure::new(
                    "log_key_invalid",
                    format!("{doc_location} field log.verifier_key"),
                    e.to_string(),
                ));
                return None;
            }
        },
        (None, None) => {
            step.fail(Failure::new(
                "log_key_missing",
                format!("{doc_location} field log.verifier_key"),
                "no log key published and none given with --log-key",
            ));
            return None;
        }
    };
    let cp_path = format!("log/{id}/checkpoint");
    let cp_location = source.locate(&cp_path);
    let checkpoint_bytes = match source.require(&cp_path).await {
        Ok(b) => b,
        Err(e) => {
            step.fail(Failure::new("checkpoint_missing", e.location, e.why));
            return None;
        }
    };
    let note = match Note::parse(&checkpoint_bytes) {
        Ok(n) => n,
        Err(e) => {
            step.fail(Failure::new(
                "checkpoint_malformed",
                cp_location,
                e.to_string(),
            ));
            return None;
        }
    };
    if let Err(e) = note.verify(std::slice::from_ref(&log_key)) {
        step.fail(Failure::new(
            "checkpoint_signature",
            cp_location,
            format!("not validly signed by the log key {}: {e}", log_key.name()),
        ));
        return None;
    }
    let checkpoint = match Checkpoint::parse(&note.text) {
        Ok(c) => c,
        Err(e) => {
            step.fail(Failure::new(
                "checkpoint_malformed",
                cp_location,
                e.to_string(),
            ));
            return None;
        }
    };
    if let Some(o) = doc.pointer("/log/origin").and_then(Value::as_str) {
        if o != checkpoint.origin {
            step.fail(Failure::new(
                "origin_mismatch",
                cp_location,
                format!(
                    "origin {:?}, but the election document says {o:?}",
                    checkpoint.origin
                ),
            ));
        }
    }
    Some(Head {
        doc,
        doc_location,
        log_key,
        note,
        checkpoint,
        checkpoint_bytes,
    })
}

/// The definition signed at the head of the log (entry 0 and its parts), read from the first
/// entry bundles so its witness policy can be applied to the checkpoint before the full fetch.
/// `None` when the head does not check out (step 3 then says why); the fetched bundles are
/// returned for reuse.
pub(crate) async fn fetch_head_definition(
    source: &Source,
    id: &str,
    size: u64,
    authority: Option<&VerifierKey>,
) -> Result<
    (
        Option<skytale_model::Definition>,
        HashMap<TilePath, Vec<u8>>,
    ),
    Failure,
> {
    let bundle = |k: u64| TilePath::Entries {
        index: k,
        width: (size - k * TILE_WIDTH).min(TILE_WIDTH) as u16,
    };
    let mut tiles = fetch::fetch_tiles(source, id, vec![bundle(0)], 1, false).await?;
    let mut entries = tiles
        .get(&bundle(0))
        .and_then(|b| decode_entry_bundle(b).ok())
        .unwrap_or_default();
    let Some(need) = entries
        .first()
        .and_then(|e0| skytale_model::genesis::head_entries(e0).ok())
    else {
        return Ok((None, tiles));
    };
    let need = need.min(size);
    let more: Vec<TilePath> = (1..need.div_ceil(TILE_WIDTH)).map(bundle).collect();
    if !more.is_empty() {
        let m =
            fetch::fetch_tiles(source, id, more.clone(), DEFAULT_HEAD_CONCURRENCY, false).await?;
        for p in &more {
            entries.extend(
                m.get(p)
                    .and_then(|b| decode_entry_bundle(b).ok())
                    .unwrap_or_default(),
            );
        }
        tiles.extend(m);
    }
    let def = skytale_model::genesis::read_head(&entries, authority)
        .ok()
        .map(|h| h.definition);
    Ok((def, tiles))
}

/// Bundles fetched at once while reading a large definition's parts.
const DEFAULT_HEAD_CONCURRENCY: usize = 8;

/// Checks the witness policy for `note`, recording the outcome in `step`.
pub(crate) fn check_witnesses(
    opts: &Options,
    definition: Option<&skytale_model::Definition>,
    head: &Head,
    location: &str,
    step: &mut Step,
) {
    match witness_policy(opts, definition, &head.doc) {
        Err(e) => step.fail(Failure::new("witness_policy_invalid", location.to_owned(), e)),
        Ok((p, from)) if p.witnesses.is_empty() => step.note(format!(
            "no witness policy ({from}): a split view can only be detected with --state or by comparing checkpoints with others"
        )),
        Ok((p, from)) => match p.check(&head.note) {
            Ok(c) => step.note(format!(
                "{} of {} witnesses cosigned (quorum {}, policy from {from}): {}",
                c.len(),
                p.witnesses.len(),
                p.quorum,
                c.iter()
                    .map(|c| format!("{} ({})", c.name, c.kind))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Err(e) => step.fail(Failure::new("witness_quorum", location.to_owned(), e.to_string())),
        },
    }
}
