//! # skytale-verify: `skytale verify` and `skytale monitor`
//!
//! Proves, without trusting the operator, that every published number comes from statements
//! signed by the right authorities and that the log was never rewritten or shown differently
//! to different people. Given a source (a base URL or a published directory) it:
//!
//! 1. fetches the checkpoint (C2SP tlog-checkpoint), checks the log's signature and the
//!    witness cosignatures (C2SP tlog-cosignature, Ed25519 and ML-DSA-44) against the k-of-n
//!    policy of the election;
//! 2. fetches every tile (C2SP tlog-tiles) in parallel, rebuilds the RFC 6962 tree from the
//!    entries, and checks every hash tile and the root against the checkpoint;
//! 3. replays the log through the server's own acceptance rules (`skytale_model::Ledger`):
//!    entry 0's authority signature, every statement's signature, the key's authority for
//!    what it asserts at that point of the log (scopes, revocations), versions, publications;
//! 4. recomputes the tally at each published size (`skytale_tally`) and compares every
//!    published artefact byte for byte, naming the first differing field ([`checks`]);
//! 5. with a state file, proves consistency with the checkpoint seen last time and pins the
//!    trust roots it saw first ([`state`]).
//!
//! [`monitor`] repeats this incrementally on every new checkpoint.
//!
//! **In scope:** URL and directory sources, the results JSON feeds and the definition
//! document, a text and a JSON report. **Out of scope (not yet):** the CSV, NIST CDF and HTML
//! artefacts (see [`checks`]), election amendments (the model has no amendment statement yet).
//!
//! **Architecture invariant:** uses the floors below (note, tlog, model, tally) and the
//! witness policy, never the server or the store: the verifier trusts nothing the operator
//! runs.

pub mod checks;
pub mod cli;
pub mod fetch;
pub mod monitor;
pub mod replay;
pub mod report;
pub mod source;
pub mod state;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;
use skytale_note::{Note, VerifierKey};
use skytale_tlog::tiles::{decode_entry_bundle, read_tree, TileError, TilePath, TILE_WIDTH};
use skytale_tlog::{Checkpoint, Tree};
use skytale_witness::{WitnessPolicy, WitnessVerifier};

pub use report::{Failure, Report, Step, StepStatus};
pub use source::Source;

/// Largest tree this verifier will rebuild in memory (about 64 bytes of hashes plus the
/// entry per leaf).
pub const MAX_TREE_SIZE: u64 = 50_000_000;
/// Results documents fetched at once.
const DOC_CONCURRENCY: usize = 8;

/// What to verify and what to trust.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Base URL or published directory.
    pub source: String,
    /// Election id; found automatically when the source has exactly one.
    pub election: Option<String>,
    /// Pinned election authority key (else the state file's, else trust on first use).
    pub authority_key: Option<VerifierKey>,
    /// Pinned log key (else the state file's, else the one the source publishes).
    pub log_key: Option<VerifierKey>,
    /// Witness keys overriding the election's policy.
    pub witnesses: Vec<WitnessVerifier>,
    /// Quorum for `witnesses` (default: all of them).
    pub witness_quorum: Option<usize>,
    /// State file for step 5.
    pub state: Option<PathBuf>,
    /// Show progress bars on stderr (hidden anyway when stderr is not a terminal).
    pub progress: bool,
    /// Tile requests in flight (0: the default).
    pub concurrency: usize,
}

/// What steps 1-2 established, reused by the monitor.
pub(crate) struct Head {
    pub(crate) doc: Value,
    pub(crate) doc_location: String,
    pub(crate) log_key: VerifierKey,
    pub(crate) note: Note,
    pub(crate) checkpoint: Checkpoint,
    pub(crate) checkpoint_bytes: Vec<u8>,
}

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

fn tile_failure(source: &Source, election: &str, e: TileError) -> Failure {
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
async fn fetch_head_definition(
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

/// Runs steps 1-5 and returns the report (never panics on bad input; every problem is a
/// failure in the report).
pub async fn verify(opts: &Options) -> Report {
    let t0 = Instant::now();
    let source = Source::parse(&opts.source);
    let mut report = Report {
        source: opts.source.clone(),
        ..Report::default()
    };
    let finish = |mut r: Report| {
        r.seconds = t0.elapsed().as_secs_f64();
        r.finish();
        r
    };
    let mut s1 = Step::new(1, "checkpoint, log signature, witness cosignatures");
    let id = match resolve_election(&source, opts.election.as_deref()).await {
        Ok(id) => id,
        Err(f) => {
            s1.fail(f);
            report.steps.push(s1);
            return finish(report);
        }
    };
    report.election = id.clone();
    let prior = match &opts.state {
        Some(p) => match state::load(p) {
            Ok(s) => s,
            Err(f) => {
                s1.fail(f);
                report.steps.push(s1);
                return finish(report);
            }
        },
        None => None,
    };
    if let Some(p) = &prior {
        if p.election != id {
            s1.fail(Failure::new(
                "state_other_election",
                "state file",
                format!(
                    "the state file is for election {:?}, not {id:?}",
                    p.election
                ),
            ));
            report.steps.push(s1);
            return finish(report);
        }
    }
    let pinned_log = match (&opts.log_key, &prior) {
        (Some(k), _) => Some(k.clone()),
        (None, Some(p)) => VerifierKey::parse(&p.log_key).ok(),
        _ => None,
    };
    let pinned_authority = match (&opts.authority_key, &prior) {
        (Some(k), _) => Some(k.clone()),
        (None, Some(p)) => VerifierKey::parse(&p.authority_key).ok(),
        _ => None,
    };

    // The results documents are read before the checkpoint, so on a live site the sizes
    // they claim are at most the checkpoint's.
    let Some(doc_for_contests) = source
        .get(&format!("api/v1/elections/{id}"))
        .await
        .ok()
        .flatten()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    else {
        let _ = fetch_head(&source, &id, pinned_log.as_ref(), &mut s1).await;
        if s1.ok() {
            s1.fail(Failure::new(
                "definition_missing",
                source.locate(&format!("api/v1/elections/{id}")),
                "not readable",
            ));
        }
        report.steps.push(s1);
        return finish(report);
    };
    let published = fetch_results_docs(&source, &id, &doc_for_contests).await;
    let feeds = fetch_feeds(&source, &id, &doc_for_contests).await;

    let Some(head) = fetch_head(&source, &id, pinned_log.as_ref(), &mut s1).await else {
        report.steps.push(s1);
        skip_rest(&mut report, 2);
        return finish(report);
    };
    let cp = head.checkpoint.clone();
    report.tree_size = Some(cp.size);
    let cp_location = source.locate(&format!("log/{id}/checkpoint"));
    if cp.size == 0 || cp.size > MAX_TREE_SIZE {
        s1.fail(Failure::new(
            "checkpoint_size",
            cp_location.clone(),
            format!("size {} is outside 1..={MAX_TREE_SIZE}", cp.size),
        ));
    }
    let concurrency = if opts.concurrency == 0 {
        fetch::DEFAULT_CONCURRENCY
    } else {
        opts.concurrency
    };
    let mut tiles = std::collections::HashMap::new();
    let mut signed_definition = None;
    if s1.ok() {
        match fetch_head_definition(&source, &id, cp.size, pinned_authority.as_ref()).await {
            Ok((def, m)) => {
                signed_definition = def;
                tiles.extend(m);
            }
            Err(f) => s1.fail(f),
        }
    }
    check_witnesses(
        opts,
        signed_definition.as_ref(),
        &head,
        &cp_location,
        &mut s1,
    );
    s1.summary = format!(
        "checkpoint {} size {} signed by the log key {}",
        cp.origin,
        cp.size,
        head.log_key.name()
    );
    let s1_ok = s1.ok();
    report.steps.push(s1);
    if !s1_ok {
        skip_rest(&mut report, 2);
        return finish(report);
    }

    // Step 2: every tile.
    let mut s2 = Step::new(2, "entries and tree");
    let wanted: Vec<TilePath> = skytale_tlog::tiles::tiles_for_size(cp.size)
        .into_iter()
        .filter(|p| !tiles.contains_key(p))
        .collect();
    let n_tiles = wanted.len() + tiles.len();
    let built: Option<(Tree, Vec<Vec<u8>>)> =
        match fetch::fetch_tiles(&source, &id, wanted, concurrency, opts.progress).await {
            Err(f) => {
                s2.fail(f);
                None
            }
            Ok(m) => {
                tiles.extend(m);
                match read_tree(cp.size, &cp.root, |p: &TilePath| {
                    tiles.remove(p).ok_or("not fetched")
                }) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        s2.fail(tile_failure(&source, &id, e));
                        None
                    }
                }
            }
        };
    let Some((tree, entries)) = built else {
        report.steps.push(s2);
        skip_rest(&mut report, 3);
        return finish(report);
    };
    drop(tiles);
    s2.summary = format!(
        "{} entries from {n_tiles} tiles rebuild the checkpoint's root; every hash tile matches",
        entries.len()
    );
    report.steps.push(s2);

    // Step 3: replay.
    let mut s3 = Step::new(3, "statements, signatures and authorisations");
    if entries.is_empty() {
        s3.fail(Failure::new(
            "entry0_invalid",
            "entry 0",
            "the log is empty",
        ));
        report.steps.push(s3);
        skip_rest(&mut report, 4);
        return finish(report);
    }
    let mut replay = match replay::Replayer::genesis(&entries, pinned_authority.as_ref()) {
        Ok(r) => r,
        Err(f) => {
            s3.fail(f);
            report.steps.push(s3);
            skip_rest(&mut report, 4);
            return finish(report);
        }
    };
    let def = replay.ledger().definition().definition().clone();
    if pinned_authority.is_none() {
        s3.note(format!(
            "trusting the authority key in entry 0 ({}) on first use; pin it with --authority-key or --state",
            def.authority_key
        ));
    }
    if def.origin() != cp.origin {
        s3.fail(Failure::new(
            "origin_mismatch",
            "entry 0 field definition.origin",
            format!(
                "entry 0 names origin {:?} but the checkpoint is for {:?}",
                def.origin(),
                cp.origin
            ),
        ));
    }
    replay.set_targets(published.iter().flatten().filter_map(|p| p.tree_size()));
    let pb = fetch::progress_bar(entries.len() as u64, "statements", opts.progress);
    let def_entries = replay.ledger().size();
    pb.inc(def_entries);
    replay.feed(
        def_entries,
        &entries[def_entries as usize..],
        &tree,
        &mut s3,
        &|n| pb.inc(n),
    );
    pb.finish_and_clear();
    let st = replay.stats;
    s3.summary = format!(
        "definition by the authority ({}); {} results, {} publications, {} key changes replayed under the acceptance rules ({} rejected)",
        match def_entries {
            1 => "entry 0".to_string(),
            n => format!("entry 0 and {} parts", n - 1),
        },
        st.results, st.publications, st.keys, st.rejected
    );
    report.steps.push(s3);

    // Step 4: artefacts.
    let mut s4 = Step::new(4, "published artefacts");
    checks::definition::check(&head.doc_location, &head.doc, replay.ledger(), &mut s4);
    for p in &published {
        match p {
            Ok(doc) => checks::results::check(doc, &replay, &tree, !source.is_static(), &mut s4),
            Err(f) => s4.fail(f.clone()),
        }
    }
    let sizes: Vec<u64> = published
        .iter()
        .flatten()
        .filter_map(|p| p.tree_size())
        .collect();
    for f in &feeds {
        checks::feeds::check(f, &replay, &tree, &sizes, !source.is_static(), &mut s4);
    }
    let n_feeds = feeds.iter().filter(|f| f.bytes.is_some()).count();
    let (n_pages, all_pages) = checks::pages::check(&source, &replay, &tree, &sizes, &mut s4).await;
    s4.summary = format!(
        "definition document, {} results documents, {n_feeds} CDF/CSV feeds and {n_pages} of {all_pages} HTML pages recomputed at published size {}",
        published.len(),
        replay.published_size()
    );
    report.steps.push(s4);

    // Step 5: consistency with the last run.
    let s5 = match &opts.state {
        None => Step {
            number: 5,
            name: "consistency with the last checkpoint seen".into(),
            status: StepStatus::NotRequested,
            summary: "no --state file: consistency with earlier checkpoints not checked".into(),
            ..Step::default()
        },
        Some(path) => {
            let mut s5 = Step::new(5, "consistency with the last checkpoint seen");
            match &prior {
                None => {
                    s5.summary = format!(
                        "first run: remembering checkpoint size {} and the keys in {}",
                        cp.size,
                        path.display()
                    );
                }
                Some(old) => match state::check_consistency(old, &cp, &tree) {
                    Ok(s) => s5.summary = s,
                    Err(f) => {
                        s5.summary = "the log is not consistent with what was seen before".into();
                        s5.fail(f);
                    }
                },
            }
            if s5.ok() {
                let new = state::State {
                    version: state::STATE_VERSION,
                    election: id.clone(),
                    origin: cp.origin.clone(),
                    log_key: head.log_key.to_string(),
                    authority_key: def.authority_key.to_string(),
                    size: cp.size,
                    root: skytale_model::encode_hash(&cp.root),
                    checkpoint: String::from_utf8_lossy(&head.checkpoint_bytes).into_owned(),
                };
                if let Err(f) = state::save(path, &new) {
                    s5.fail(f);
                }
            }
            s5
        }
    };
    report.steps.push(s5);
    finish(report)
}

fn skip_rest(report: &mut Report, from: u8) {
    const NAMES: [&str; 5] = [
        "checkpoint, log signature, witness cosignatures",
        "entries and tree",
        "statements, signatures and authorisations",
        "published artefacts",
        "consistency with the last checkpoint seen",
    ];
    for n in from..=5 {
        report.steps.push(Step::skipped(
            n,
            NAMES[usize::from(n - 1)],
            "not run: an earlier step failed",
        ));
    }
}

/// Fetches the whole results document and one per contest named in the election document.
/// Fetches the export feeds (NIST CDF JSON and XML, and each contest's CSV).
pub(crate) async fn fetch_feeds(
    source: &Source,
    id: &str,
    doc: &Value,
) -> Vec<checks::feeds::Feed> {
    use checks::feeds::{Feed, FeedKind};
    use futures_util::stream::{self, StreamExt as _};
    let mut kinds = vec![FeedKind::CdfJson, FeedKind::CdfXml];
    if let Some(cs) = doc
        .pointer("/definition/contests")
        .and_then(Value::as_array)
    {
        kinds.extend(
            cs.iter()
                .filter_map(|c| c.get("id").and_then(Value::as_str))
                .map(|c| FeedKind::Csv(c.to_owned())),
        );
        kinds.extend(
            cs.iter()
                .filter(|c| c.get("kind").and_then(Value::as_str) == Some("ranked_choice"))
                .filter_map(|c| c.get("id").and_then(Value::as_str))
                .map(|c| FeedKind::Rounds(c.to_owned())),
        );
    }
    stream::iter(kinds)
        .map(|kind| async move {
            let path = kind.path(id);
            let bytes = match source.get(&path).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::debug!(location = %e.location, why = %e.why, "feed not readable");
                    None
                }
            };
            Feed {
                location: source.locate(&path),
                kind,
                bytes,
            }
        })
        .buffered(DOC_CONCURRENCY)
        .collect()
        .await
}

pub(crate) async fn fetch_results_docs(
    source: &Source,
    id: &str,
    doc: &Value,
) -> Vec<Result<checks::results::Published, Failure>> {
    use futures_util::stream::{self, StreamExt as _};
    let mut wanted: Vec<(String, Option<String>)> =
        vec![(format!("api/v1/elections/{id}/results"), None)];
    if let Some(cs) = doc
        .pointer("/definition/contests")
        .and_then(Value::as_array)
    {
        for c in cs {
            if let Some(cid) = c.get("id").and_then(Value::as_str) {
                wanted.push((
                    format!("api/v1/elections/{id}/results/{cid}"),
                    Some(cid.to_owned()),
                ));
            }
        }
    }
    let mut out: Vec<(usize, Result<checks::results::Published, Failure>)> =
        stream::iter(wanted.into_iter().enumerate())
            .map(|(i, (path, contest))| async move {
                let location = source.locate(&path);
                let r = match source.get(&path).await {
                    Ok(Some(bytes)) => Ok(checks::results::Published {
                        location,
                        contest,
                        bytes,
                    }),
                    Ok(None) => Err(Failure::new(
                        "results_missing",
                        location,
                        "the results document is not published",
                    )),
                    Err(e) => Err(Failure::new("results_missing", e.location, e.why)),
                };
                (i, r)
            })
            .buffer_unordered(DOC_CONCURRENCY)
            .collect()
            .await;
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}
