//! `skytale monitor`: verification that follows the log. The first round verifies everything
//! like `skytale verify`; each later round fetches only what is new (the entry bundles from
//! the last verified size on and the new hash tiles), appends the new leaves to the verified
//! tree, so the new root proves consistency with everything verified before, replays only
//! the new statements, and re-checks the published documents. Any failure is an alert.

use std::collections::HashSet;
use std::time::Instant;

use skytale_note::VerifierKey;
use skytale_tlog::tiles::{decode_entry_bundle, tiles_for_size, TilePath, TILE_WIDTH};
use skytale_tlog::{leaf_hash, Checkpoint, Tree};

use crate::replay::Replayer;
use crate::report::{Failure, Report, Step};
use crate::source::Source;
use crate::{fetch, Options};

/// A monitor's memory between rounds.
pub struct Monitor {
    opts: Options,
    source: Source,
    election: String,
    tree: Tree,
    replay: Option<Replayer>,
    last: Option<Checkpoint>,
    log_key: Option<VerifierKey>,
    definition: Option<skytale_model::Definition>,
    /// Rounds run so far.
    pub rounds: u64,
}

impl Monitor {
    /// A monitor for `opts` (the election is resolved on the first round if not given).
    pub fn new(opts: Options) -> Monitor {
        let source = Source::parse(&opts.source);
        let mut opts = opts;
        // A state file pins the keys it remembers, as for `verify`.
        if let Some(Ok(Some(st))) = opts.state.as_deref().map(crate::state::load) {
            if opts.log_key.is_none() {
                opts.log_key = VerifierKey::parse(&st.log_key).ok();
            }
            if opts.authority_key.is_none() {
                opts.authority_key = VerifierKey::parse(&st.authority_key).ok();
            }
        }
        let log_key = opts.log_key.clone();
        Monitor {
            election: opts.election.clone().unwrap_or_default(),
            opts,
            source,
            tree: Tree::new(),
            replay: None,
            last: None,
            log_key,
            definition: None,
            rounds: 0,
        }
    }

    /// The size verified so far.
    pub fn verified_size(&self) -> u64 {
        self.tree.len()
    }

    /// One round. The report fails when anything does not hold; the monitor's state only
    /// advances over verified data.
    pub async fn round(&mut self) -> Report {
        let t0 = Instant::now();
        self.rounds += 1;
        let mut report = Report {
            source: self.opts.source.clone(),
            ..Report::default()
        };
        let mut step = Step::new(1, "new checkpoint");
        self.round_inner(&mut step, &mut report).await;
        report.election = self.election.clone();
        report.tree_size = Some(self.tree.len());
        report.steps.insert(0, step);
        report.seconds = t0.elapsed().as_secs_f64();
        report.finish();
        report
    }

    async fn round_inner(&mut self, step: &mut Step, report: &mut Report) {
        if self.election.is_empty() {
            match crate::resolve_election(&self.source, None).await {
                Ok(id) => self.election = id,
                Err(f) => return step.fail(f),
            }
        }
        let id = self.election.clone();
        let Some(doc) = self
            .source
            .get(&format!("api/v1/elections/{id}"))
            .await
            .ok()
            .flatten()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        else {
            return step.fail(Failure::new(
                "definition_missing",
                self.source.locate(&format!("api/v1/elections/{id}")),
                "not readable",
            ));
        };
        let published = crate::fetch_results_docs(&self.source, &id, &doc).await;
        let Some(head) = crate::fetch_head(&self.source, &id, self.log_key.as_ref(), step).await
        else {
            return;
        };
        if !step.ok() {
            return;
        }
        self.log_key = Some(head.log_key.clone());
        let cp = head.checkpoint.clone();
        let here = self.source.locate(&format!("log/{id}/checkpoint"));
        let old = self.tree.len();
        step.summary = format!("checkpoint size {} (verified so far: {old})", cp.size);
        if cp.size < old {
            return step.fail(Failure::new(
                "rollback",
                here,
                format!(
                    "the log went back from size {old} (verified) to size {}: a rollback to an older checkpoint",
                    cp.size
                ),
            ));
        }
        if cp.size > crate::MAX_TREE_SIZE {
            return step.fail(Failure::new(
                "checkpoint_size",
                here,
                format!("size {} exceeds {}", cp.size, crate::MAX_TREE_SIZE),
            ));
        }
        if cp.size == old {
            if Some(cp.root) != self.last.as_ref().map(|c| c.root) {
                return step.fail(Failure::new(
                    "split_view",
                    here,
                    format!(
                        "a second, different checkpoint of size {}: the log key signed two trees of the same size",
                        cp.size
                    ),
                ));
            }
        } else {
            // New entries: the bundles from the one holding entry `old`, and the new hash tiles.
            let mut wanted = Vec::new();
            let first_bundle = old / TILE_WIDTH;
            let last_bundle = (cp.size - 1) / TILE_WIDTH;
            for index in first_bundle..=last_bundle {
                let width = (cp.size - index * TILE_WIDTH).min(TILE_WIDTH) as u16;
                wanted.push(TilePath::Entries { index, width });
            }
            let before: HashSet<TilePath> = tiles_for_size(old).into_iter().collect();
            wanted.extend(
                tiles_for_size(cp.size)
                    .into_iter()
                    .filter(|p| matches!(p, TilePath::Hash { .. }) && !before.contains(p)),
            );
            let concurrency = if self.opts.concurrency == 0 {
                fetch::DEFAULT_CONCURRENCY
            } else {
                self.opts.concurrency
            };
            let mut tiles = match fetch::fetch_tiles(
                &self.source,
                &id,
                wanted.clone(),
                concurrency,
                self.opts.progress,
            )
            .await
            {
                Ok(t) => t,
                Err(f) => return step.fail(f),
            };
            let mut tree = self.tree.clone();
            let mut new_entries = Vec::new();
            for p in wanted
                .iter()
                .filter(|p| matches!(p, TilePath::Entries { .. }))
            {
                let TilePath::Entries { index, width } = *p else {
                    continue;
                };
                let loc = self.source.locate(&crate::fetch::tile_url_path(&id, p));
                let bundle = match tiles.remove(p).map(|b| decode_entry_bundle(&b)) {
                    Some(Ok(b)) if b.len() >= usize::from(width) => b,
                    Some(Ok(b)) => {
                        return step.fail(Failure::new(
                            "tile_malformed",
                            loc,
                            format!("has {} entries, want {width}", b.len()),
                        ))
                    }
                    Some(Err(e)) => {
                        return step.fail(Failure::new("tile_malformed", loc, e.to_string()))
                    }
                    None => return step.fail(Failure::new("tile_fetch", loc, "not fetched")),
                };
                for (k, e) in bundle.into_iter().take(usize::from(width)).enumerate() {
                    let i = index * TILE_WIDTH + k as u64;
                    if i < old {
                        // Already verified: the bytes must not have changed.
                        if tree.leaf(i) != Some(leaf_hash(&e)) {
                            return step.fail(Failure::new(
                                "history_rewritten",
                                format!("entry {i} ({loc})"),
                                "an entry verified in an earlier round has changed",
                            ));
                        }
                        continue;
                    }
                    tree.push_entry(&e);
                    new_entries.push(e);
                }
            }
            if tree.root() != cp.root {
                return step.fail(Failure::new(
                    "history_rewritten",
                    here,
                    format!(
                        "the entries after size {old} do not extend the verified tree to the checkpoint's root: the checkpoint is not consistent with size {old}"
                    ),
                ));
            }
            for p in &wanted {
                let TilePath::Hash {
                    level,
                    index,
                    width,
                } = *p
                else {
                    continue;
                };
                let got = tiles.remove(p).unwrap_or_default();
                let want = tree
                    .hash_tile(level, index, width, cp.size)
                    .unwrap_or_default();
                if got.len() < want.len() || got[..want.len()] != want[..] {
                    return step.fail(Failure::new(
                        "tile_mismatch",
                        self.source.locate(&crate::fetch::tile_url_path(&id, p)),
                        "this hash tile differs from the one computed from the entries: the tile was replaced",
                    ));
                }
            }
            // Replay the new statements.
            let mut s3 = Step::new(3, "new statements");
            let mut start = old;
            if self.replay.is_none() {
                if new_entries.is_empty() {
                    return step.fail(Failure::new(
                        "entry0_invalid",
                        "entry 0",
                        "the log is empty",
                    ));
                }
                match Replayer::genesis(&new_entries, self.opts.authority_key.as_ref()) {
                    Ok(r) => {
                        self.definition = Some(r.ledger().definition().definition().clone());
                        start = r.ledger().size();
                        self.replay = Some(r);
                    }
                    Err(f) => {
                        s3.fail(f);
                        report.steps.push(s3);
                        return;
                    }
                }
            }
            let Some(replay) = self.replay.as_mut() else {
                return;
            };
            replay.set_targets(published.iter().flatten().filter_map(|p| p.tree_size()));
            let skip = (start - old) as usize;
            replay.feed(start, &new_entries[skip..], &tree, &mut s3, &|_| {});
            s3.summary = format!(
                "{} new entries replayed (totals: {} results, {} publications, {} key changes)",
                new_entries.len(),
                replay.stats.results,
                replay.stats.publications,
                replay.stats.keys
            );
            report.steps.push(s3);
            self.tree = tree;
        }
        crate::check_witnesses(&self.opts, self.definition.as_ref(), &head, &here, step);
        self.last = Some(cp);
        if let (Some(path), Some(cp), Some(replay)) = (&self.opts.state, &self.last, &self.replay) {
            let mut s5 = Step::new(5, "consistency with the state file");
            match crate::state::load(path) {
                Err(f) => s5.fail(f),
                Ok(prior) => {
                    if let Some(old) = &prior {
                        match crate::state::check_consistency(old, cp, &self.tree) {
                            Ok(m) => s5.summary = m,
                            Err(f) => s5.fail(f),
                        }
                    }
                    if s5.ok() {
                        let def = replay.ledger().definition().definition();
                        let new = crate::state::State {
                            version: crate::state::STATE_VERSION,
                            election: id.clone(),
                            origin: cp.origin.clone(),
                            log_key: head.log_key.to_string(),
                            authority_key: def.authority_key.to_string(),
                            size: cp.size,
                            root: skytale_model::encode_hash(&cp.root),
                            checkpoint: String::from_utf8_lossy(&head.checkpoint_bytes)
                                .into_owned(),
                        };
                        if let Err(f) = crate::state::save(path, &new) {
                            s5.fail(f);
                        }
                    }
                }
            }
            report.steps.push(s5);
        }
        if let Some(replay) = &self.replay {
            let mut s4 = Step::new(4, "published artefacts");
            if self.rounds == 1 {
                crate::checks::definition::check(
                    &head.doc_location,
                    &head.doc,
                    replay.ledger(),
                    &mut s4,
                );
            }
            for p in &published {
                match p {
                    Ok(d) => crate::checks::results::check(
                        d,
                        replay,
                        &self.tree,
                        !self.source.is_static(),
                        &mut s4,
                    ),
                    Err(f) => s4.fail(f.clone()),
                }
            }
            s4.summary = format!("{} results documents checked", published.len());
            report.steps.push(s4);
        }
    }
}
