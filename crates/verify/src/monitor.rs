//! `skytale monitor`: verification that follows the log, with `verify`'s own steps. Each round
//! reads every published artefact with the snapshot it names, then the checkpoint; it fetches
//! only what is new of the log (the new hash tiles, the entry bundles that became readable),
//! appends the new leaves to the verified tree, so the new root proves consistency with
//! everything verified before, replays only the new statements, and recomputes every artefact
//! at the snapshot it names. Any failure is an alert.
//!
//! Between rounds the published tally stays at the oldest snapshot the last round saw: a live
//! site's pages may lag its results document, and the next round may read pages of a snapshot
//! older than the newest document seen, never older than the oldest.

use std::collections::HashSet;
use std::time::Instant;

use skytale_note::VerifierKey;
use skytale_render::Site;
use skytale_tlog::tiles::{decode_entry_bundle, tiles_for_size, TilePath, TILE_WIDTH};
use skytale_tlog::{leaf_hash, Checkpoint, Tree};

use crate::replay::Replayer;
use crate::report::{Failure, Report, Step};
use crate::source::Source;
use crate::{artefacts, compare, fetch, head, Options, NAMES};

/// A monitor's memory between rounds.
pub struct Monitor {
    opts: Options,
    source: Source,
    election: String,
    /// Every leaf up to the last verified checkpoint.
    tree: Tree,
    /// Entries read and replayed (`[0, readable)`; the rest sealed when under an embargo).
    readable: u64,
    replay: Option<Replayer>,
    last: Option<Checkpoint>,
    log_key: Option<VerifierKey>,
    definition: Option<skytale_model::Definition>,
    site: Option<(Site, Vec<String>)>,
    /// The ETags and bodies of the last round's artefacts.
    remembered: artefacts::Remembered,
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
            readable: 0,
            replay: None,
            last: None,
            log_key,
            definition: None,
            site: None,
            remembered: artefacts::Remembered::default(),
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
            match head::resolve_election(&self.source, None).await {
                Ok(id) => self.election = id,
                Err(f) => return step.fail(f),
            }
        }
        let id = self.election.clone();
        let doc_path = format!("api/v1/elections/{id}");
        let shown = self
            .source
            .get(&doc_path)
            .await
            .ok()
            .flatten()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
        let Some(def) = shown.as_ref().and_then(crate::shown_definition) else {
            return step.fail(Failure::new(
                "definition_missing",
                self.source.locate(&doc_path),
                "the election document is not readable, or shows no valid definition",
            ));
        };
        if self.site.is_none() {
            if let Some(site) = crate::site_of(def.clone()) {
                let paths = crate::checks::pages::site_paths(&site);
                self.site = Some((site, paths));
            }
        }
        let paths = self
            .site
            .as_ref()
            .map(|(_, p)| p.clone())
            .unwrap_or_default();
        let (kinds, sampled) = crate::artefact_kinds(&def, &paths, self.opts.sample, &self.source);
        let mut s5 = Step::new(5, NAMES[4]);
        let mut collected =
            artefacts::collect(&self.source, &id, kinds, Some(&self.remembered), &mut s5).await;
        self.remembered = std::mem::take(&mut collected.remembered);
        let approval =
            def.definition().publication.mode == skytale_model::PublicationMode::Approval;
        let (announced, approvals) = if approval {
            crate::fetch_approvals(&self.source, &id).await
        } else {
            (None, Vec::new())
        };

        let Some(head) = head::fetch_head(&self.source, &id, self.log_key.as_ref(), step).await
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
        if cp.size == old && Some(cp.root) != self.last.as_ref().map(|c| c.root) {
            return step.fail(Failure::new(
                "split_view",
                here,
                format!(
                    "a second, different checkpoint of size {}: the log key signed two trees of the same size",
                    cp.size
                ),
            ));
        }
        let named_max = collected
            .artefacts
            .iter()
            .filter_map(|a| a.named.as_ref().map(|n| n.tree_size))
            .max()
            .unwrap_or(0);
        let readable = if approval {
            announced
                .unwrap_or(0)
                .max(named_max)
                .max(self.readable)
                .min(cp.size)
        } else {
            cp.size
        };
        let mut s3 = Step::new(3, "new statements");
        let Some((tree, new_entries)) = self.extend(&id, &cp, readable, step).await else {
            return;
        };
        // Replay what became readable.
        let mut start = self.readable;
        if self.replay.is_none() {
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
        let skip = (start - self.readable) as usize;
        replay.feed(
            start,
            &new_entries[skip.min(new_entries.len())..],
            &tree,
            &mut s3,
            &|_| {},
        );
        s3.summary = format!(
            "{} new entries replayed (totals: {} results, {} publications, {} key changes)",
            new_entries.len(),
            replay.stats.results,
            replay.stats.publications,
            replay.stats.keys
        );
        report.steps.push(s3);
        self.tree = tree;
        self.readable = readable;
        head::check_witnesses(&self.opts, self.definition.as_ref(), &head, &here, step);
        self.last = Some(cp.clone());

        let mut s4 = Step::new(4, NAMES[3]);
        replay.prove_publications(&approvals, &self.tree, &mut s4);
        s4.summary = format!("latest publication: tree size {}", replay.published_size());
        report.steps.push(s4);

        // Every artefact at the snapshot it names; the tally then goes back to the oldest
        // snapshot named, where the next round may start.
        if self.rounds == 1 {
            crate::checks::definition::check(
                &head.doc_location,
                &head.doc,
                replay.ledger(),
                &mut s5,
            );
        }
        let oldest = collected
            .artefacts
            .iter()
            .filter_map(|a| a.named.as_ref().map(|n| n.tree_size))
            .min();
        let saved = match oldest {
            Some(n) => {
                let there = replay.view_at(n, &self.tree).is_ok();
                there.then(|| replay.save_tally())
            }
            None => None,
        };
        let latest = self.source.is_static().then(|| replay.published_size());
        let site = self
            .site
            .as_ref()
            .and_then(|(s, _)| crate::site_of(s.definition().clone()));
        let compared = compare::compare(
            &collected.artefacts,
            replay,
            &self.tree,
            site,
            latest,
            &mut s5,
        );
        if let Some(saved) = saved {
            replay.restore_tally(saved);
        }
        s5.summary = crate::artefacts_summary(&collected, &compared);
        report.sample = crate::left_out(&collected, sampled, paths.len());
        report.steps.push(s5);

        if let (Some(path), Some(replay)) = (&self.opts.state, &self.replay) {
            let prior = match crate::state::load(path) {
                Ok(p) => p,
                Err(f) => {
                    let mut s6 = Step::new(6, NAMES[5]);
                    s6.fail(f);
                    report.steps.push(s6);
                    return;
                }
            };
            report.steps.push(crate::state_step(
                &self.opts,
                &prior,
                &id,
                &cp,
                &self.tree,
                &head,
                replay.ledger(),
            ));
        }
    }

    /// Extends the verified tree to `cp` with the new hash tiles (and the leaves of sealed
    /// entries from level 0), reads the entries that became readable (up to `readable`), and
    /// checks every new tile and the root. Returns the extended tree and the new entries.
    async fn extend(
        &self,
        id: &str,
        cp: &Checkpoint,
        readable: u64,
        step: &mut Step,
    ) -> Option<(Tree, Vec<Vec<u8>>)> {
        let old = self.tree.len();
        let here = self.source.locate(&format!("log/{id}/checkpoint"));
        let before: HashSet<TilePath> = tiles_for_size(old).into_iter().collect();
        let mut wanted: Vec<TilePath> = tiles_for_size(cp.size)
            .into_iter()
            .filter(|p| matches!(p, TilePath::Hash { .. }) && !before.contains(p))
            .collect();
        if readable > self.readable {
            for index in self.readable / TILE_WIDTH..=(readable - 1) / TILE_WIDTH {
                let width = (readable - index * TILE_WIDTH).min(TILE_WIDTH) as u16;
                wanted.push(TilePath::Entries { index, width });
            }
        }
        let concurrency = if self.opts.concurrency == 0 {
            fetch::DEFAULT_CONCURRENCY
        } else {
            self.opts.concurrency
        };
        let mut tiles = match fetch::fetch_tiles(
            &self.source,
            id,
            wanted.clone(),
            concurrency,
            self.opts.progress,
        )
        .await
        {
            Ok(t) => t,
            Err(f) => {
                step.fail(f);
                return None;
            }
        };
        let mut tree = self.tree.clone();
        // New leaves from level 0 (their entries, where readable, are checked against them).
        for p in &wanted {
            let TilePath::Hash {
                level: 0,
                index,
                width,
            } = *p
            else {
                continue;
            };
            let got = tiles.get(p).cloned().unwrap_or_default();
            for k in 0..u64::from(width) {
                let i = index * TILE_WIDTH + k;
                if i < tree.len() {
                    continue;
                }
                let at = (k * 32) as usize;
                let Some(h) = got.get(at..at + 32) else {
                    step.fail(Failure::new(
                        "tile_malformed",
                        self.source.locate(&fetch::tile_url_path(id, p)),
                        format!("has fewer than {width} hashes"),
                    ));
                    return None;
                };
                let mut leaf = [0u8; 32];
                leaf.copy_from_slice(h);
                tree.push_leaf_hash(leaf);
            }
        }
        if tree.len() != cp.size || tree.root() != cp.root {
            step.fail(Failure::new(
                "history_rewritten",
                here,
                format!(
                    "the leaves after size {old} do not extend the verified tree to the checkpoint's root: the checkpoint is not consistent with size {old}"
                ),
            ));
            return None;
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
            let got = tiles.get(p).cloned().unwrap_or_default();
            let want = tree
                .hash_tile(level, index, width, cp.size)
                .unwrap_or_default();
            if got.len() < want.len() || got[..want.len()] != want[..] {
                step.fail(Failure::new(
                    "tile_mismatch",
                    self.source.locate(&fetch::tile_url_path(id, p)),
                    "this hash tile differs from the one computed from the entries: the tile was replaced",
                ));
                return None;
            }
        }
        let mut new_entries = Vec::new();
        for p in &wanted {
            let TilePath::Entries { index, width } = *p else {
                continue;
            };
            let loc = self.source.locate(&fetch::tile_url_path(id, p));
            let bundle = match tiles.remove(p).map(|b| decode_entry_bundle(&b)) {
                Some(Ok(b)) if b.len() >= usize::from(width) => b,
                Some(Ok(b)) => {
                    step.fail(Failure::new(
                        "tile_malformed",
                        loc,
                        format!("has {} entries, want {width}", b.len()),
                    ));
                    return None;
                }
                Some(Err(e)) => {
                    step.fail(Failure::new("tile_malformed", loc, e.to_string()));
                    return None;
                }
                None => {
                    step.fail(Failure::new("tile_fetch", loc, "not fetched"));
                    return None;
                }
            };
            for (k, e) in bundle.into_iter().take(usize::from(width)).enumerate() {
                let i = index * TILE_WIDTH + k as u64;
                if tree.leaf(i) != Some(leaf_hash(&e)) {
                    step.fail(Failure::new(
                        "history_rewritten",
                        format!("entry {i} ({loc})"),
                        "this entry does not hash to the leaf the verified tree has at its index",
                    ));
                    return None;
                }
                if i >= self.readable {
                    new_entries.push(e);
                }
            }
        }
        Some((tree, new_entries))
    }
}
