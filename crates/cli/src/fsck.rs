//! `skytale fsck`: checks a data directory from its stored entries up, without the server.
//!
//! For each election it rebuilds the tree from the stored entries, makes every tile the server
//! would serve (hash tiles and entry bundles) and reads them back with the tile reader, which
//! recomputes the root and checks it against the stored checkpoint; re-checks every entry
//! with the ledger (`skytale_model::replay`, as the server's start-up and the verifier do);
//! checks every stored checkpoint (signed by the log key, a root of this log) and the kept
//! checkpoint beside the key (the log reaches it and has its root there). An election whose
//! checkpoint is kept but which the database lacks is a failure too.
//!
//! It reads the directory as it is: run it on a stopped server or on a copy (a server
//! appending meanwhile is not a failure, but what is new is not checked).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Result};
use skytale_model::replay::{replay, Refused};
use skytale_model::{encode_hash, Ledger};
use skytale_note::{SigningKey, VerifierKey};
use skytale_server::runtime::{check_kept_checkpoint, parse_signed_checkpoint, LoadError};
use skytale_store::{Location, Store, DB_FILE};
use skytale_tlog::tiles::{encode_entry_bundle, read_tree, tiles_for_size, TileError, TilePath};
use skytale_tlog::Tree;

/// What fsck found for one election: `problems` is empty when every check holds.
#[derive(Debug)]
pub struct Verdict {
    pub election: String,
    pub size: u64,
    pub problems: Vec<String>,
    /// Things that hold but are worth saying (a kept checkpoint behind the database).
    pub notes: Vec<String>,
}

impl Verdict {
    pub fn holds(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks every election of `data_dir` (or only `election`).
pub fn fsck(data_dir: &Path, election: Option<&str>) -> Result<Vec<Verdict>> {
    fsck_at(data_dir, &Location::Sqlite, election)
}

/// Checks every election of the store at `location` (or only `election`), with the log keys
/// and kept checkpoints of `data_dir`.
pub fn fsck_at(
    data_dir: &Path,
    location: &Location,
    election: Option<&str>,
) -> Result<Vec<Verdict>> {
    if *location == Location::Sqlite && !data_dir.join(DB_FILE).exists() {
        // Say whether a log key signed something here: then the database was lost.
        let signed: Vec<String> = std::fs::read_dir(data_dir.join("keys"))
            .map(|d| {
                d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter_map(|n| n.strip_suffix(".checkpoint").map(str::to_string))
                    .filter(|n| !n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        if signed.is_empty() {
            bail!("no database {DB_FILE} in {}", data_dir.display());
        }
        bail!(
            "no database {DB_FILE} in {}, but the log keys of {} signed checkpoints (kept in keys/): the database was deleted or moved; restore it",
            data_dir.display(),
            signed.join(", ")
        );
    }
    let store = Store::open_at(data_dir, location)?;
    let known: Vec<String> = store.elections()?.into_iter().map(|e| e.id).collect();
    let mut ids: Vec<String> = known.clone();
    for id in store.kept_elections()? {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if let Some(only) = election {
        if !ids.iter().any(|id| id == only) {
            bail!("no election {only:?} in {}", data_dir.display());
        }
        ids.retain(|id| id == only);
    }
    let mut out = Vec::new();
    for id in ids {
        if !known.contains(&id) {
            let kept = store.kept_checkpoint(&id)?.unwrap_or_default();
            out.push(Verdict {
                election: id.clone(),
                size: 0,
                problems: vec![format!(
                    "the database has no such election, but the log key signed a checkpoint of size {} (kept in {}): the database was deleted or replaced",
                    skytale_server::runtime::kept_size(&kept),
                    store.kept_checkpoint_path(&id).display()
                )],
                notes: vec![],
            });
            continue;
        }
        out.push(check_election(&store, &id)?);
    }
    Ok(out)
}

fn check_election(store: &Store, id: &str) -> Result<Verdict> {
    let mut v = Verdict {
        election: id.to_string(),
        size: 0,
        problems: vec![],
        notes: vec![],
    };
    let key: Option<VerifierKey> = match store.load_log_key(id) {
        Ok(k) => match SigningKey::parse(k.trim()) {
            Ok(k) => Some(k.verifier()),
            Err(e) => {
                v.problems.push(format!("the log key file: {e}"));
                None
            }
        },
        Err(e) => {
            v.problems.push(e.to_string());
            None
        }
    };
    let size = store.size(id)?;
    v.size = size;
    let entries = store.entries(id, 0, size)?;
    if entries.len() as u64 != size {
        // Indexes are dense in a log skytale wrote; a gap means rows were removed.
        v.problems.push(format!(
            "the log's last index is {} but only {} entries are stored (entries were deleted)",
            size.saturating_sub(1),
            entries.len()
        ));
        return Ok(v);
    }
    let mut tree = Tree::new();
    for e in &entries {
        tree.push_entry(e);
    }

    // The stored checkpoints, each a root of this log signed by its key.
    let checkpoints = store.checkpoints(id)?;
    let mut latest_root = None;
    for (at, note) in &checkpoints {
        if *at > size {
            v.notes.push(format!(
                "stored checkpoint of size {at} is beyond the {size} entries read (written while fsck read?); not checked"
            ));
            continue;
        }
        let Some(key) = &key else { break };
        match parse_signed_checkpoint(note, key) {
            Err(why) => v
                .problems
                .push(format!("stored checkpoint of size {at}: {why}")),
            Ok(cp) if cp.size != *at => v.problems.push(format!(
                "stored checkpoint of size {at} says size {}",
                cp.size
            )),
            Ok(cp) => {
                let root = tree.root_at(cp.size).unwrap_or(skytale_tlog::EMPTY_ROOT);
                if root != cp.root {
                    v.problems.push(format!(
                        "stored checkpoint of size {at} has root {} but the stored entries give {}",
                        encode_hash(&cp.root),
                        encode_hash(&root)
                    ));
                } else if cp.size == size {
                    latest_root = Some(cp.root);
                }
            }
        }
    }
    if key.is_some() && latest_root.is_none() && !checkpoints.iter().any(|(at, _)| *at == size) {
        v.problems
            .push(format!("no stored checkpoint of the log's size {size}"));
    }

    // Every tile as served, read back by the tile reader against the checkpoint's root.
    let root = latest_root.unwrap_or_else(|| tree.root());
    let mut tiles: HashMap<String, Vec<u8>> = HashMap::new();
    for p in tiles_for_size(size) {
        let bytes = match p {
            TilePath::Hash {
                level,
                index,
                width,
            } => tree
                .hash_tile(level, index, width, size)
                .map_err(|e| e.to_string()),
            TilePath::Entries { index, width } => {
                let start = (index * skytale_tlog::tiles::TILE_WIDTH) as usize;
                let refs: Vec<&[u8]> = entries[start..start + usize::from(width)]
                    .iter()
                    .map(|e| &e[..])
                    .collect();
                encode_entry_bundle(&refs).map_err(|e| match e {
                    TileError::EntryTooLarge { index, len } => format!(
                        "entry {} is {len} bytes, more than an entry bundle holds",
                        start + index
                    ),
                    other => other.to_string(),
                })
            }
        };
        match bytes {
            Ok(b) => {
                tiles.insert(p.to_path(), b);
            }
            Err(why) => v.problems.push(format!("tile {p}: {why}")),
        }
    }
    match read_tree(size, &root, |p: &TilePath| {
        tiles
            .get(&p.to_path())
            .cloned()
            .ok_or_else(|| "not made".to_string())
    }) {
        Ok((_, read)) => {
            if let Some(i) = read.iter().zip(&entries).position(|(a, b)| a != b) {
                v.problems.push(format!(
                    "entry {i} reads back from its entry bundle changed"
                ));
            }
        }
        Err(e) => v.problems.push(format!("the tiles: {e}")),
    }

    // The kept checkpoint, outside the database.
    if let Some(key) = &key {
        match store.kept_checkpoint(id)? {
            None => v.notes.push(format!(
                "no kept checkpoint ({}); the server keeps one from its next start",
                store.kept_checkpoint_path(id).display()
            )),
            Some(kept) => match check_kept_checkpoint(store, id, &kept, key, &tree) {
                Ok((at, _)) if at < size => v.notes.push(format!(
                    "the kept checkpoint is of size {at}, behind the log (a crash before it was replaced; no receipt went out for the rest); the server brings it up at its next start"
                )),
                Ok(_) => {}
                Err(LoadError::RolledBack {
                    kept_size, kept, ..
                }) => v.problems.push(format!(
                    "the log has {size} entries but its key signed a checkpoint of size {kept_size} (kept in {kept}): the database lost acknowledged entries; the server refuses to start on it"
                )),
                Err(LoadError::Diverged {
                    kept_size, kept, why, ..
                }) => v.problems.push(format!(
                    "the log does not contain the checkpoint its key signed at size {kept_size} (kept in {kept}): {why}"
                )),
                Err(e) => v.problems.push(e.to_string()),
            },
        }
    }

    // Every entry against the rules.
    match Ledger::genesis(&entries, None) {
        Err(e) => v.problems.push(format!("entry 0: {e}")),
        Ok(mut ledger) => {
            let first = ledger.genesis_size() as usize;
            let mut refused = Vec::new();
            let _ = replay::<_, ()>(
                &mut ledger,
                &entries[first.min(entries.len())..],
                &|n| tree.root_at(n).ok(),
                |_, _| {},
                |index, rejection| {
                    refused.push(format!("entry {index} is not acceptable: {rejection}"));
                    Refused::Skip
                },
            );
            v.problems.extend(refused);
        }
    }
    Ok(v)
}

/// Prints the verdicts; true when every check of every election holds.
pub fn print(verdicts: &[Verdict]) -> bool {
    let mut all = true;
    for v in verdicts {
        for n in &v.notes {
            println!("election {}: note: {n}", v.election);
        }
        for p in &v.problems {
            println!("election {}: FAILED: {p}", v.election);
        }
        if v.holds() {
            println!(
                "election {}: OK: {} entries, every tile, the root, the stored and kept checkpoints and every entry's acceptance hold",
                v.election, v.size
            );
        }
        all &= v.holds();
    }
    if verdicts.is_empty() {
        println!("no election in the data directory");
    }
    println!(
        "{}",
        if all {
            "fsck: every check holds"
        } else {
            "fsck: FAILED (see above)"
        }
    );
    all
}
