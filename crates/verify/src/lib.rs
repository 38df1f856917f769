//! # skytale-verify: `skytale verify` and `skytale monitor`
//!
//! Proves, without trusting the operator, that every published number comes from statements
//! signed by the right authorities and that the log was never rewritten or shown differently
//! to different people. Given a source (a base URL or a published directory) it:
//!
//! 1. reads every published artefact — the results documents, the CDF and CSV feeds, every
//!    file of the public site — in every content coding, with the snapshot each names
//!    ([`artefacts`]); a live site moves on while it is read, so this comes first;
//! 2. fetches the checkpoint (C2SP tlog-checkpoint), checks the log's signature and the
//!    witness cosignatures against the k-of-n policy of the election ([`head`]);
//! 3. fetches every hash tile and the entry bundles of the public prefix (C2SP tlog-tiles; under
//!    an embargo the rest is sealed and only its leaf hashes are public), rebuilds the RFC 6962
//!    tree and checks it against the checkpoint;
//! 4. replays the readable log through the server's own acceptance rules
//!    (`skytale_model::replay`), and proves any publication completed after the public prefix
//!    from the approvals the server publishes ([`replay`]);
//! 5. recomputes every artefact at the snapshot it names and compares it byte for byte,
//!    naming the first differing field or line ([`compare`]);
//! 6. with a state file, proves consistency with the checkpoint seen last time and pins the
//!    trust roots it saw first ([`state`]).
//!
//! [`monitor`] repeats this on every new checkpoint, replaying only what is new.
//!
//! **Architecture invariant:** uses the floors below (note, tlog, model, tally, formats,
//! render) and the witness policy, never the server or the store: the verifier trusts nothing
//! the operator runs.

pub mod artefacts;
pub mod checks;
pub mod compare;
pub mod fetch;
pub mod head;
pub mod monitor;
pub mod replay;
pub mod report;
pub mod source;
pub mod state;

use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;
use skytale_note::{Note, VerifierKey};
use skytale_render::Site;
use skytale_tlog::tiles::{read_tree_prefix, TilePath};
use skytale_tlog::{Checkpoint, Tree};
use skytale_witness::WitnessVerifier;

use artefacts::{Collected, Kind};
use checks::feeds::FeedKind;
pub use head::{policy_from_spec, resolve_election, witness_policy};
pub use report::{Failure, Report, Step, StepStatus};
pub use source::Source;

/// Largest tree this verifier will rebuild in memory (about 64 bytes of hashes plus the
/// entry per leaf).
pub const MAX_TREE_SIZE: u64 = 50_000_000;

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
    /// State file for step 6.
    pub state: Option<PathBuf>,
    /// Show progress bars on stderr (hidden anyway when stderr is not a terminal).
    pub progress: bool,
    /// Tile requests in flight (0: the default).
    pub concurrency: usize,
    /// Compare only this many files of the site, chosen at random (default: every one). The
    /// verdict then says it was a sample.
    pub sample: Option<usize>,
    /// Compare only these files of the site (URL paths, such as one polling station's page)
    /// instead of every one (or a sample). The verdict then says so.
    pub pages: Vec<String>,
}

/// What step 1 established, reused by the monitor.
pub(crate) struct Head {
    pub(crate) doc: Value,
    pub(crate) doc_location: String,
    pub(crate) log_key: VerifierKey,
    pub(crate) note: Note,
    pub(crate) checkpoint: Checkpoint,
    pub(crate) checkpoint_bytes: Vec<u8>,
}

/// The definition the election document shows (checked against entry 0 in step 5), which
/// says which artefacts there are: contests, feeds, the site's files.
pub(crate) fn shown_definition(
    doc: &Value,
) -> Option<std::sync::Arc<skytale_model::ValidDefinition>> {
    let d: skytale_model::Definition =
        serde_json::from_value(doc.get("definition")?.clone()).ok()?;
    d.validate().ok().map(std::sync::Arc::new)
}

/// The site as the server renders it (feeds served apart, pages uncompressed).
pub(crate) fn site_of(def: std::sync::Arc<skytale_model::ValidDefinition>) -> Option<Site> {
    Site::new(def)
        .ok()
        .map(|s| s.with_feeds(false).with_precompression(false))
}

/// Every artefact an election publishes (the site's files sampled when asked), and whether
/// the site's files are a sample.
pub(crate) fn artefact_kinds(
    def: &skytale_model::ValidDefinition,
    site_paths: &[String],
    sample: Option<usize>,
    source: &Source,
) -> (Vec<Kind>, bool) {
    let mut kinds = vec![
        Kind::Results(None),
        Kind::Feed(FeedKind::CdfJson),
        Kind::Feed(FeedKind::CdfXml),
        Kind::Feed(FeedKind::CdfGoogleXml),
        Kind::Feed(FeedKind::Eml510),
        Kind::Feed(FeedKind::Eml520),
    ];
    // The change feed answers a query; a published directory has none to answer.
    if matches!(source, Source::Url { .. }) {
        kinds.push(Kind::Feed(FeedKind::Changes));
    }
    for c in def.contests() {
        kinds.push(Kind::Results(Some(c.id.clone())));
        kinds.push(Kind::Feed(FeedKind::Csv(c.id.clone())));
        if c.kind == skytale_model::ContestKind::RankedChoice {
            kinds.push(Kind::Feed(FeedKind::Rounds(c.id.clone())));
        }
    }
    let mut paths: Vec<&String> = site_paths.iter().collect();
    let sampled = sample.is_some_and(|n| n < paths.len());
    if let Some(n) = sample {
        // A different sample each run, so that no fixed set of pages is the only one checked.
        use std::hash::BuildHasher as _;
        let seed = std::collections::hash_map::RandomState::new();
        paths.sort_by_key(|p| seed.hash_one(p));
        paths.truncate(n);
    }
    kinds.extend(paths.into_iter().map(|p| {
        if p.starts_with("/assets/") {
            Kind::Asset(p.clone())
        } else {
            Kind::Page(p.clone())
        }
    }));
    (kinds, sampled)
}

/// The publication statements after the published size and that size, from the approvals
/// document (`approval` mode; what an embargo keeps out of the entry bundles).
pub(crate) async fn fetch_approvals(
    source: &Source,
    id: &str,
) -> (Option<u64>, Vec<(u64, Vec<u8>)>) {
    let Some(v) = source
        .get(&format!("api/v1/elections/{id}/approvals"))
        .await
        .ok()
        .flatten()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    else {
        return (None, Vec::new());
    };
    let published = v.pointer("/published/tree_size").and_then(Value::as_u64);
    let statements = v
        .get("statements")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| {
                    Some((
                        s.get("index")?.as_u64()?,
                        s.get("note")?.as_str()?.as_bytes().to_vec(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    (published, statements)
}

/// Runs every step and returns the report (never panics on bad input; every problem is a
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
    let mut s1 = Step::new(1, NAMES[0]);
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

    // Artefacts first: on a live site every snapshot they name is then at most the
    // checkpoint's size.
    let doc_path = format!("api/v1/elections/{id}");
    let shown = source
        .get(&doc_path)
        .await
        .ok()
        .flatten()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    let Some(def) = shown.as_ref().and_then(shown_definition) else {
        let _ = head::fetch_head(&source, &id, pinned_log.as_ref(), &mut s1).await;
        s1.fail(Failure::new(
            "definition_missing",
            source.locate(&doc_path),
            "the election document is not readable, or shows no valid definition",
        ));
        report.steps.push(s1);
        skip_rest(&mut report, 2);
        return finish(report);
    };
    let site = site_of(def.clone());
    let site_paths = match (&site, opts.pages.is_empty()) {
        (Some(site), true) => checks::pages::site_paths(site),
        (_, false) => opts.pages.clone(),
        (None, true) => Vec::new(),
    };
    let (kinds, sampled) = artefact_kinds(&def, &site_paths, opts.sample, &source);
    let sampled = sampled || !opts.pages.is_empty();
    let mut s5 = Step::new(5, NAMES[4]);
    let collected = artefacts::collect(&source, &id, kinds, None, &mut s5).await;
    let approval = def.definition().publication.mode == skytale_model::PublicationMode::Approval;
    let (announced, approvals) = if approval {
        fetch_approvals(&source, &id).await
    } else {
        (None, Vec::new())
    };

    let Some(head) = head::fetch_head(&source, &id, pinned_log.as_ref(), &mut s1).await else {
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
    // The readable prefix: everything under `automatic`; under an embargo, up to the
    // published size (the artefacts cannot name more).
    let named_max = collected
        .artefacts
        .iter()
        .filter_map(|a| a.named.as_ref().map(|n| n.tree_size))
        .max()
        .unwrap_or(0);
    let readable = if approval {
        announced.unwrap_or(0).max(named_max).min(cp.size)
    } else {
        cp.size
    };
    let mut tiles = std::collections::HashMap::new();
    let mut signed_definition = None;
    if s1.ok() {
        match head::fetch_head_definition(&source, &id, readable.max(1), pinned_authority.as_ref())
            .await
        {
            Ok((d, m)) => {
                signed_definition = d;
                tiles.extend(m);
            }
            Err(f) => s1.fail(f),
        }
    }
    head::check_witnesses(
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

    // Step 2: the tree.
    let mut s2 = Step::new(2, NAMES[1]);
    let Some((tree, entries)) = read_log(&source, &id, &cp, readable, tiles, opts, &mut s2).await
    else {
        report.steps.push(s2);
        skip_rest(&mut report, 3);
        return finish(report);
    };
    s2.summary = if readable < cp.size {
        format!(
            "{} public entries and the leaf hashes of {} sealed ones rebuild the checkpoint's root; every hash tile matches",
            entries.len(),
            cp.size - readable
        )
    } else {
        format!(
            "{} entries rebuild the checkpoint's root; every hash tile matches",
            entries.len()
        )
    };
    report.steps.push(s2);

    // Step 3: replay.
    let mut s3 = Step::new(3, NAMES[2]);
    let Some(mut replay) = replay_log(
        &entries,
        &tree,
        &cp,
        pinned_authority.as_ref(),
        opts,
        &mut s3,
    ) else {
        report.steps.push(s3);
        skip_rest(&mut report, 4);
        return finish(report);
    };
    drop(entries);
    let mut s4 = Step::new(4, NAMES[3]);
    replay.prove_publications(&approvals, &tree, &mut s4);
    s4.summary = format!(
        "latest publication: tree size {} ({} publications in the log{})",
        replay.published_size(),
        replay.publications().len(),
        if readable < cp.size {
            format!(", {} entries sealed after it", cp.size - readable)
        } else {
            String::new()
        }
    );
    report.steps.push(s3);
    report.steps.push(s4);

    // Step 5: every artefact at the snapshot it names.
    checks::definition::check(&head.doc_location, &head.doc, replay.ledger(), &mut s5);
    let latest = source.is_static().then(|| replay.published_size());
    let compared = compare::compare(
        &collected.artefacts,
        &mut replay,
        &tree,
        site,
        latest,
        &mut s5,
    );
    s5.summary = artefacts_summary(&collected, &compared);
    report.sample = left_out(&collected, sampled, site_paths.len());
    if !opts.pages.is_empty() && collected.first_unreadable.is_none() {
        report.sample = Some(format!(
            "only the {} site files named with --page were compared (run without it to compare every one)",
            collected.pages_read
        ));
    }
    report.steps.push(s5);

    // Step 6: consistency with the last run.
    report.steps.push(state_step(
        opts,
        &prior,
        &id,
        &cp,
        &tree,
        &head,
        replay.ledger(),
    ));
    finish(report)
}

/// What a run did not compare, for the verdict: the artefacts the source could not serve, else
/// the site files a `--sample` skipped (`None`: every artefact was compared).
pub(crate) fn left_out(c: &Collected, sampled: bool, site_files: usize) -> Option<String> {
    if let Some(first) = &c.first_unreadable {
        return Some(format!(
            "{} artefacts could not be read and were not compared (e.g. {first})",
            c.unreadable
        ));
    }
    sampled.then(|| {
        format!(
            "only {} of the site's {site_files} files, chosen at random, were compared (run without --sample to compare every one)",
            c.pages_read
        )
    })
}

/// The step summary of what was compared.
pub(crate) fn artefacts_summary(c: &Collected, compared: &compare::Compared) -> String {
    let sizes = match compared.snapshots.as_slice() {
        [] => "no snapshot".to_owned(),
        [one] => format!("snapshot {one}"),
        many => format!(
            "{} snapshots ({}…{})",
            many.len(),
            many[0],
            many[many.len() - 1]
        ),
    };
    let unchanged = if c.unchanged > 0 {
        format!(" ({} unchanged since the last round)", c.unchanged)
    } else {
        String::new()
    };
    format!(
        "definition document, results documents, feeds and {} site files: {} bodies in every coding read{unchanged}, {} recomputed at {sizes}",
        c.pages_read, c.bodies_read, compared.bodies
    )
}

/// Step 2: the hash tiles of the checkpoint and the entry bundles of the readable prefix,
/// rebuilt into the tree and checked against the checkpoint's root.
async fn read_log(
    source: &Source,
    id: &str,
    cp: &Checkpoint,
    readable: u64,
    mut tiles: std::collections::HashMap<TilePath, Vec<u8>>,
    opts: &Options,
    step: &mut Step,
) -> Option<(Tree, Vec<Vec<u8>>)> {
    let concurrency = if opts.concurrency == 0 {
        fetch::DEFAULT_CONCURRENCY
    } else {
        opts.concurrency
    };
    let mut wanted: Vec<TilePath> = skytale_tlog::tiles::tiles_for_size(cp.size)
        .into_iter()
        .filter(|p| matches!(p, TilePath::Hash { .. }))
        .collect();
    wanted.extend(
        skytale_tlog::tiles::tiles_for_size(readable)
            .into_iter()
            .filter(|p| matches!(p, TilePath::Entries { .. })),
    );
    wanted.retain(|p| !tiles.contains_key(p));
    match fetch::fetch_tiles(source, id, wanted, concurrency, opts.progress).await {
        Err(f) => {
            step.fail(f);
            None
        }
        Ok(m) => {
            tiles.extend(m);
            match read_tree_prefix(cp.size, &cp.root, readable, |p: &TilePath| {
                tiles.remove(p).ok_or("not fetched")
            }) {
                Ok(t) => Some(t),
                Err(e) => {
                    step.fail(head::tile_failure(source, id, e));
                    None
                }
            }
        }
    }
}

/// Step 3: the readable entries through the acceptance rules.
fn replay_log(
    entries: &[Vec<u8>],
    tree: &Tree,
    cp: &Checkpoint,
    authority: Option<&VerifierKey>,
    opts: &Options,
    step: &mut Step,
) -> Option<replay::Replayer> {
    if entries.is_empty() {
        step.fail(Failure::new(
            "entry0_invalid",
            "entry 0",
            "the log is empty",
        ));
        return None;
    }
    let mut replay = match replay::Replayer::genesis(entries, authority) {
        Ok(r) => r,
        Err(f) => {
            step.fail(f);
            return None;
        }
    };
    let def = replay.ledger().definition().definition().clone();
    if authority.is_none() {
        step.note(format!(
            "trusting the authority key in entry 0 ({}) on first use; pin it with --authority-key or --state",
            def.authority_key
        ));
    }
    if def.origin() != cp.origin {
        step.fail(Failure::new(
            "origin_mismatch",
            "entry 0 field definition.origin",
            format!(
                "entry 0 names origin {:?} but the checkpoint is for {:?}",
                def.origin(),
                cp.origin
            ),
        ));
    }
    let pb = fetch::progress_bar(entries.len() as u64, "statements", opts.progress);
    let def_entries = replay.ledger().size();
    pb.inc(def_entries);
    replay.feed(
        def_entries,
        &entries[def_entries as usize..],
        tree,
        step,
        &|n| pb.inc(n),
    );
    pb.finish_and_clear();
    let st = replay.stats;
    step.summary = format!(
        "definition by the authority ({}); {} results, {} publications, {} key changes, {} result types, {} reviews of held submissions replayed under the acceptance rules ({} rejected)",
        match def_entries {
            1 => "entry 0".to_string(),
            n => format!("entry 0 and {} parts", n - 1),
        },
        st.results, st.publications, st.keys, st.statuses, st.reviews, st.rejected
    );
    Some(replay)
}

/// Step 6: consistency with the checkpoint of the last run (and saving this one).
pub(crate) fn state_step(
    opts: &Options,
    prior: &Option<state::State>,
    id: &str,
    cp: &Checkpoint,
    tree: &Tree,
    head: &Head,
    ledger: &skytale_model::Ledger,
) -> Step {
    let Some(path) = &opts.state else {
        return Step {
            number: 6,
            name: NAMES[5].into(),
            status: StepStatus::NotRequested,
            summary: "no --state file: consistency with earlier checkpoints not checked".into(),
            ..Step::default()
        };
    };
    let mut s = Step::new(6, NAMES[5]);
    match prior {
        None => {
            s.summary = format!(
                "first run: remembering checkpoint size {} and the keys in {}",
                cp.size,
                path.display()
            );
        }
        Some(old) => match state::check_consistency(old, cp, tree) {
            Ok(m) => s.summary = m,
            Err(f) => {
                s.summary = "the log is not consistent with what was seen before".into();
                s.fail(f);
            }
        },
    }
    if s.ok() {
        let new = state::State {
            version: state::STATE_VERSION,
            election: id.to_owned(),
            origin: cp.origin.clone(),
            log_key: head.log_key.to_string(),
            authority_key: ledger.definition().definition().authority_key.to_string(),
            size: cp.size,
            root: skytale_model::encode_hash(&cp.root),
            checkpoint: String::from_utf8_lossy(&head.checkpoint_bytes).into_owned(),
        };
        if let Err(f) = state::save(path, &new) {
            s.fail(f);
        }
    }
    s
}

/// The steps' names, in order.
pub(crate) const NAMES: [&str; 6] = [
    "checkpoint, log signature, witness cosignatures",
    "entries and tree",
    "statements, signatures and authorisations",
    "publications",
    "published artefacts",
    "consistency with the last checkpoint seen",
];

fn skip_rest(report: &mut Report, from: u8) {
    for n in from..=6 {
        report.steps.push(Step::skipped(
            n,
            NAMES[usize::from(n - 1)],
            "not run: an earlier step failed",
        ));
    }
}
