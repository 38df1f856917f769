//! Data-driven: every transparency-dev/merkle inclusion and consistency vector
//! (valid ones verify, tampered ones fail), and the Tessera-written log.
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::Deserialize;
use skytale_tlog::tiles::{self, TilePath};
use skytale_tlog::{verify_consistency, verify_inclusion, Checkpoint, Hash, Tree};
use std::path::{Path, PathBuf};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/vectors");

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let rd = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for e in rd {
        let p = e.unwrap().path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
    out.sort();
}

/// Base64 to a hash; None when it is not exactly 32 bytes (such vectors must fail).
fn hash(s: &str) -> Option<Hash> {
    B64.decode(s).ok()?.try_into().ok()
}

/// A root as an opaque value: Go compares roots as byte strings, so a few vectors use
/// short "roots" that must compare equal or unequal. Our API is typed (`&Hash`), so
/// non-32-byte roots are mapped injectively (up to SHA-256 collisions) to a stand-in
/// hash that is not the root of any real tree.
fn opaque_root(s: &str) -> Option<Hash> {
    let raw = B64.decode(s).ok()?;
    Some(match <Hash>::try_from(raw.as_slice()) {
        Ok(h) => h,
        Err(_) => skytale_tlog::leaf_hash(&raw),
    })
}

fn hashes(v: &Option<Vec<String>>) -> Option<Vec<Hash>> {
    v.iter().flatten().map(|s| hash(s)).collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inclusion {
    leaf_idx: u64,
    tree_size: u64,
    root: String,
    leaf_hash: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Consistency {
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

#[test]
fn transparency_dev_inclusion_vectors() {
    let mut files = Vec::new();
    json_files(&Path::new(DATA).join("merkle/inclusion"), &mut files);
    assert!(files.len() >= 80, "only {} inclusion vectors", files.len());
    let (mut ok, mut bad) = (0, 0);
    for f in &files {
        let v: Inclusion = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        let res = match (opaque_root(&v.root), hash(&v.leaf_hash), hashes(&v.proof)) {
            (Some(root), Some(leaf), Some(proof)) => {
                verify_inclusion(&leaf, v.leaf_idx, v.tree_size, &proof, &root)
                    .map_err(|e| e.to_string())
            }
            _ => Err("not a 32-byte hash".to_string()),
        };
        assert_eq!(
            res.is_err(),
            v.want_err,
            "{} ({}): {res:?}",
            f.display(),
            v.desc
        );
        if v.want_err {
            bad += 1
        } else {
            ok += 1
        }
    }
    assert!(ok >= 5 && bad >= 50, "ok={ok} bad={bad}");
}

#[test]
fn transparency_dev_consistency_vectors() {
    let mut files = Vec::new();
    json_files(&Path::new(DATA).join("merkle/consistency"), &mut files);
    assert!(
        files.len() >= 80,
        "only {} consistency vectors",
        files.len()
    );
    let (mut ok, mut bad) = (0, 0);
    for f in &files {
        let v: Consistency = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        let res = match (
            opaque_root(&v.root1),
            opaque_root(&v.root2),
            hashes(&v.proof),
        ) {
            (Some(r1), Some(r2), Some(proof)) => {
                verify_consistency(v.size1, v.size2, &proof, &r1, &r2).map_err(|e| e.to_string())
            }
            _ => Err("not a 32-byte hash".to_string()),
        };
        assert_eq!(
            res.is_err(),
            v.want_err,
            "{} ({}): {res:?}",
            f.display(),
            v.desc
        );
        if v.want_err {
            bad += 1
        } else {
            ok += 1
        }
    }
    assert!(ok >= 5 && bad >= 50, "ok={ok} bad={bad}");
}

// ---------------------------------------------------------------------------
// Tessera log
// ---------------------------------------------------------------------------

const TESSERA_VKEY: &str =
    "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";

fn tessera() -> PathBuf {
    let p = Path::new(DATA).join("tessera-log");
    assert!(p.is_dir(), "tessera-log data missing at {}", p.display());
    p
}

fn fetch_file(root: &Path) -> impl FnMut(&TilePath) -> Result<Vec<u8>, std::io::Error> + '_ {
    move |t| std::fs::read(root.join(t.to_path()))
}

/// Parses and signature-checks checkpoint.N, returning the body.
fn checkpoint(n: Option<u64>) -> Checkpoint {
    let name = match n {
        Some(n) => format!("checkpoint.{n}"),
        None => "checkpoint".into(),
    };
    let bytes = std::fs::read(tessera().join(&name)).unwrap();
    let vkey = skytale_note::VerifierKey::parse(TESSERA_VKEY).unwrap();
    let note = skytale_note::Note::parse(&bytes).unwrap();
    let signers = note.verify(std::slice::from_ref(&vkey)).unwrap();
    assert_eq!(signers, vec![&vkey], "{name}");
    let c = Checkpoint::parse(&note.text).unwrap();
    assert_eq!(c.origin, "example.com/log/testdata");
    assert_eq!(
        c.to_text(),
        note.text,
        "{name}: checkpoint text not canonical"
    );
    c
}

#[test]
fn tessera_log_reads_and_verifies() {
    let root = tessera();
    let latest = checkpoint(None);
    assert_eq!(latest.size, 15);
    let (tree, entries) = tiles::read_tree(latest.size, &latest.root, fetch_file(&root)).unwrap();
    assert_eq!(tree.len(), 15);
    assert_eq!(entries.first().map(|e| e.as_slice()), Some(&b"one"[..]));
    assert_eq!(entries.last().map(|e| e.as_slice()), Some(&b"fivten"[..]));
    for n in 0..=15u64 {
        let c = checkpoint(Some(n));
        assert_eq!(c.size, n);
        assert_eq!(tree.root_at(n).unwrap(), c.root, "root at {n}");
        // Every historical checkpoint also reads on its own (partial tiles of that size).
        let (t, e) = tiles::read_tree(n, &c.root, fetch_file(&root)).unwrap();
        assert_eq!((t.len(), e.len()), (n, n as usize));
    }
}

#[test]
fn our_writer_matches_tessera_bytes() {
    let root = tessera();
    let bundle = std::fs::read(root.join("tile/entries/000.p/15")).unwrap();
    let entries = tiles::decode_entry_bundle(&bundle).unwrap();
    assert_eq!(entries.len(), 15);
    let mut tree = Tree::new();
    for (i, e) in entries.iter().enumerate() {
        tree.push_entry(e);
        let n = i as u64 + 1;
        let refs: Vec<&[u8]> = entries[..=i].iter().map(|e| e.as_slice()).collect();
        let ours = tiles::encode_entry_bundle(&refs).unwrap();
        let p = TilePath::Entries {
            index: 0,
            width: n as u16,
        };
        assert_eq!(p.to_path(), format!("tile/entries/000.p/{n}"));
        assert_eq!(ours, std::fs::read(root.join(p.to_path())).unwrap(), "{p}");
        let p = TilePath::Hash {
            level: 0,
            index: 0,
            width: n as u16,
        };
        let ours = tree.hash_tile(0, 0, n as u16, n).unwrap();
        assert_eq!(ours, std::fs::read(root.join(p.to_path())).unwrap(), "{p}");
        assert_eq!(tree.root(), checkpoint(Some(n)).root, "root at {n}");
        // The tile set we would publish at this size exists in Tessera's layout.
        for t in tiles::tiles_for_size(n) {
            assert!(root.join(t.to_path()).is_file(), "{t} missing for size {n}");
        }
    }
}

#[test]
fn tampered_tiles_are_caught() {
    let root = tessera();
    let c = checkpoint(None);
    // Wrong root.
    let mut bad_root = c.root;
    bad_root[0] ^= 1;
    assert!(matches!(
        tiles::read_tree(15, &bad_root, fetch_file(&root)),
        Err(tiles::TileError::RootMismatch { size: 15 })
    ));
    // A changed entry: the level-0 tile no longer matches.
    let mut fetch = fetch_file(&root);
    let r = tiles::read_tree(15, &c.root, |t: &TilePath| {
        let mut b = fetch(t)?;
        if matches!(t, TilePath::Entries { .. }) {
            b[2] ^= 0x20; // "one" -> "One"
        }
        Ok::<_, std::io::Error>(b)
    });
    assert!(
        matches!(r, Err(tiles::TileError::TileMismatch { position: 0, .. })),
        "{r:?}"
    );
    // A changed hash tile.
    let mut fetch = fetch_file(&root);
    let r = tiles::read_tree(15, &c.root, |t: &TilePath| {
        let mut b = fetch(t)?;
        if matches!(t, TilePath::Hash { .. }) {
            b[32 * 7 + 5] ^= 1;
        }
        Ok::<_, std::io::Error>(b)
    });
    assert!(
        matches!(r, Err(tiles::TileError::TileMismatch { position: 7, .. })),
        "{r:?}"
    );
    // A missing tile: the fetch error is reported with the path.
    let r = tiles::read_tree(16, &c.root, fetch_file(&root));
    match r {
        Err(tiles::TileError::Fetch { path, .. }) => assert_eq!(path, "tile/entries/000.p/16"),
        other => panic!("{other:?}"),
    }
    // A bundle with too few entries.
    let mut fetch = fetch_file(&root);
    let r = tiles::read_tree(15, &c.root, |t: &TilePath| {
        let b = fetch(t)?;
        Ok::<_, std::io::Error>(if matches!(t, TilePath::Entries { .. }) {
            b[..b.len() - 8].to_vec()
        } else {
            b
        })
    });
    assert!(r.is_err());
}
