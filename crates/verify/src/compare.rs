//! Step 4's second half: every artefact recomputed at the snapshot it names, smallest snapshot
//! first, with the code the server uses (tally documents, formats' exporters, the renderer).
//!
//! A snapshot is a published size (under `approval`, one the approvers published; under
//! `automatic`, any size) at most the verified checkpoint's, and the root an artefact names
//! must be the verified tree's there. The site's files are rendered incrementally from one
//! snapshot to the next (only what changed is rendered again), so a live site read across many
//! snapshots costs little more than one render.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use sha2::{Digest, Sha256};
use skytale_render::{RenderState, Site};
use skytale_tlog::Tree;

use crate::artefacts::{Artefact, Kind};
use crate::replay::{Replayer, View};
use crate::report::{Failure, Step};

/// What was compared.
#[derive(Default, Debug)]
pub struct Compared {
    /// Artefact bodies compared.
    pub bodies: usize,
    /// The snapshots they named, smallest first.
    pub snapshots: Vec<u64>,
}

/// The site's files at successive snapshots, rendered incrementally.
struct SiteWalk {
    site: Option<Site>,
    state: RenderState,
    /// URL path → SHA-256 of the expected body at the current snapshot.
    digests: HashMap<String, [u8; 32]>,
    /// The bodies rendered at the current snapshot (the ones that changed).
    fresh: BTreeMap<String, Vec<u8>>,
    /// The pages rendered on demand at the current snapshot, by unit and language.
    on_demand: HashMap<(usize, String), BTreeMap<String, Vec<u8>>>,
    at: Option<u64>,
}

impl SiteWalk {
    fn advance(&mut self, view: &View<'_>) {
        let Some(site) = &self.site else { return };
        if self.at == Some(view.pos.tree_size) {
            return;
        }
        let mut rendered =
            site.render_changed(view.tally, &view.pos, &view.history, &mut self.state);
        if self.at.is_none() {
            for (p, r) in &skytale_render::assets().files {
                rendered.insert(p.clone(), r.clone());
            }
        }
        self.fresh = rendered
            .into_iter()
            .map(|(p, r)| {
                self.digests
                    .insert(p.clone(), Sha256::digest(&r.body).into());
                (p, r.body)
            })
            .collect();
        self.on_demand.clear();
        self.at = Some(view.pos.tree_size);
    }

    /// The expected body of `path` when it is a page the server renders on demand (not in the
    /// bulk render): that unit's pages rendered at the current snapshot, once per unit and
    /// language. `None` when it is no such page.
    fn on_demand_body(&mut self, view: &View<'_>, path: &str) -> Option<Option<&Vec<u8>>> {
        let site = self.site.as_ref()?;
        let (unit, lang) = site.on_demand_page(path)?;
        let pages = self
            .on_demand
            .entry((unit, lang))
            .or_insert_with_key(|(unit, lang)| {
                site.render_unit(view.tally, &view.pos, &view.history, *unit, Some(lang))
                    .into_iter()
                    .map(|(p, r)| (p, r.body))
                    .collect()
            });
        Some(pages.get(path))
    }

    /// The expected body of `path` at the current snapshot, rendering the whole site again
    /// when it did not change at this snapshot (only needed to name a difference).
    fn body(&self, view: &View<'_>, path: &str) -> Option<Vec<u8>> {
        if let Some(b) = self.fresh.get(path) {
            return Some(b.clone());
        }
        let site = self.site.as_ref()?;
        let mut all = site.render_all(view.tally, &view.pos, &view.history);
        all.remove(path).map(|r| r.body)
    }
}

/// Compares every artefact with its recomputation at the snapshot it names. `latest`: the size
/// a static source must show (a published directory is the log's latest publication), `None`
/// for a live source.
pub fn compare(
    artefacts: &[Artefact],
    replay: &mut Replayer,
    tree: &Tree,
    site: Option<Site>,
    latest: Option<u64>,
    step: &mut Step,
) -> Compared {
    let mut by_size: BTreeMap<u64, Vec<&Artefact>> = BTreeMap::new();
    let mut out = Compared::default();
    for a in artefacts {
        if let Kind::Asset(path) = &a.kind {
            out.bodies += 1;
            match skytale_render::assets().files.get(path) {
                Some(r) if r.body == a.body() => {}
                Some(r) => crate::checks::pages::report_difference(
                    &a.location,
                    &a.body(),
                    &r.body,
                    0,
                    step,
                ),
                None => step.fail(Failure::new(
                    "page_unknown",
                    a.location.clone(),
                    "the site has no such asset",
                )),
            }
            continue;
        }
        match &a.named {
            Some(n) => by_size.entry(n.tree_size).or_default().push(a),
            None => step.fail(Failure::new(
                "snapshot_unnamed",
                a.location.clone(),
                "names no snapshot (no Skytale-Snapshot header): it cannot be checked against the log",
            )),
        }
    }
    let mut walk = SiteWalk {
        site,
        state: RenderState::new(),
        digests: HashMap::new(),
        fresh: BTreeMap::new(),
        on_demand: HashMap::new(),
        at: None,
    };
    for (n, group) in by_size {
        if let Some(want) = latest {
            if n != want {
                for a in &group {
                    step.fail(Failure::new(
                        "artefact_stale",
                        a.location.clone(),
                        format!("shows published size {n}, but the log's latest publication is size {want}"),
                    ));
                }
                continue;
            }
        }
        let view = match replay.view_at(n, tree) {
            Ok(v) => v,
            Err(why) => {
                for a in &group {
                    step.fail(Failure::new(
                        "snapshot_not_published",
                        a.location.clone(),
                        why.clone(),
                    ));
                }
                continue;
            }
        };
        out.snapshots.push(n);
        if group.iter().any(|a| matches!(a.kind, Kind::Page(_))) {
            walk.advance(&view);
        }
        for a in group {
            if let Some(root) = a.named.as_ref().and_then(|n| n.root.as_deref()) {
                if root != view.pos.root_hash {
                    step.fail(Failure::new(
                        "snapshot_root_mismatch",
                        a.location.clone(),
                        format!(
                            "names tree size {n} with root {root}, but the log's root at size {n} is {}",
                            view.pos.root_hash
                        ),
                    ));
                    continue;
                }
            }
            out.bodies += 1;
            check_one(a, &view, &mut walk, step);
        }
    }
    out
}

fn check_one(a: &Artefact, view: &View<'_>, walk: &mut SiteWalk, step: &mut Step) {
    let got = a.body();
    let n = view.pos.tree_size;
    match &a.kind {
        Kind::Results(contest) => {
            if let Ok(v) = serde_json::from_slice::<Value>(&got) {
                if v.get("tree_size").and_then(Value::as_u64) != Some(n) {
                    return step.fail(Failure::new(
                        "results_mismatch",
                        format!("{} field tree_size", a.location),
                        format!("the document claims another tree size than the snapshot it names ({n})"),
                    ));
                }
            }
            let expected = match contest {
                None => view.tally.document(&view.pos).to_bytes(),
                Some(c) => match view.tally.contest_document(c, &view.pos) {
                    Some(d) => d.to_bytes(),
                    None => {
                        return step.fail(Failure::new(
                            "results_unknown_contest",
                            a.location.clone(),
                            format!("contest {c:?} is not in the election definition"),
                        ))
                    }
                },
            };
            if expected != got {
                crate::checks::results::report_difference(&a.location, &got, &expected, n, step);
            }
        }
        Kind::Feed(kind) => {
            let Some(expected) =
                crate::checks::feeds::render(kind, view.tally, &view.pos, view.changes)
            else {
                return step.fail(Failure::new(
                    "feed_unknown",
                    a.location.clone(),
                    "the election definition has no such contest",
                ));
            };
            if expected != got {
                crate::checks::feeds::report_difference(&a.location, &got, &expected, n, step);
            }
        }
        Kind::Asset(_) => {}
        Kind::Page(path) => {
            let want: Option<[u8; 32]> = walk.digests.get(path).copied();
            if want.is_none() {
                if let Some(expected) = walk.on_demand_body(view, path) {
                    match expected {
                        Some(e) if *e == got => {}
                        Some(e) => {
                            crate::checks::pages::report_difference(&a.location, &got, e, n, step)
                        }
                        None => step.fail(Failure::new(
                            "page_unknown",
                            a.location.clone(),
                            "the site of this election has no such file",
                        )),
                    }
                    return;
                }
            }
            let Some(want) = want else {
                return step.fail(Failure::new(
                    "page_unknown",
                    a.location.clone(),
                    "the site of this election has no such file",
                ));
            };
            let have: [u8; 32] = Sha256::digest(&got).into();
            if have != want {
                let expected = walk.body(view, path).unwrap_or_default();
                crate::checks::pages::report_difference(&a.location, &got, &expected, n, step);
            }
        }
    }
}
