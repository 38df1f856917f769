//! Reading a log whose entries are public only up to a prefix (an embargo): the sealed
//! leaves come from the level-0 hash tiles, and every tile and the root are still checked.

use std::collections::HashMap;

use proptest::prelude::*;
use skytale_tlog::tiles::{self, encode_entry_bundle, TileError, TilePath, TILE_WIDTH};
use skytale_tlog::Tree;

/// Every tile of a log of `n` entries, as a server serves them.
fn served(n: u64) -> (Tree, Vec<Vec<u8>>, HashMap<TilePath, Vec<u8>>) {
    let entries: Vec<Vec<u8>> = (0..n)
        .map(|i| format!("entry {i}\n").into_bytes())
        .collect();
    let mut tree = Tree::new();
    for e in &entries {
        tree.push_entry(e);
    }
    let mut tiles = HashMap::new();
    for p in tiles::tiles_for_size(n) {
        let body = match p {
            TilePath::Hash {
                level,
                index,
                width,
            } => tree.hash_tile(level, index, width, n).unwrap(),
            TilePath::Entries { index, width } => {
                let start = (index * TILE_WIDTH) as usize;
                let refs: Vec<&[u8]> = entries[start..start + usize::from(width)]
                    .iter()
                    .map(|e| &e[..])
                    .collect();
                encode_entry_bundle(&refs).unwrap()
            }
        };
        tiles.insert(p, body);
    }
    (tree, entries, tiles)
}

/// The tiles the public may read under an embargo at `published`: every hash tile, and the
/// entry bundles of the published prefix only.
fn public(n: u64, published: u64) -> HashMap<TilePath, Vec<u8>> {
    let (_, entries, mut tiles) = served(n);
    tiles.retain(|p, _| matches!(p, TilePath::Hash { .. }));
    for p in tiles::tiles_for_size(published) {
        if let TilePath::Entries { index, width } = p {
            let start = (index * TILE_WIDTH) as usize;
            let refs: Vec<&[u8]> = entries[start..start + usize::from(width)]
                .iter()
                .map(|e| &e[..])
                .collect();
            tiles.insert(p, encode_entry_bundle(&refs).unwrap());
        }
    }
    tiles
}

fn read(
    tiles: &HashMap<TilePath, Vec<u8>>,
    n: u64,
    root: &[u8; 32],
    readable: u64,
) -> Result<(Tree, Vec<Vec<u8>>), TileError> {
    tiles::read_tree_prefix(n, root, readable, |p: &TilePath| {
        tiles.get(p).cloned().ok_or("sealed or missing")
    })
}

#[test]
fn a_sealed_tail_is_rebuilt_from_the_level_0_tiles() {
    let (tree, entries, _) = served(700);
    let tiles = public(700, 300);
    let (got, readable) = read(&tiles, 700, &tree.root(), 300).unwrap();
    assert_eq!(got.root(), tree.root());
    assert_eq!(got.len(), 700);
    assert_eq!(readable, entries[..300].to_vec());
    // The reader never asks for a sealed bundle.
    assert!(!tiles.contains_key(&TilePath::Entries {
        index: 1,
        width: 188
    }));
}

#[test]
fn a_forged_sealed_leaf_or_readable_entry_is_caught() {
    let (tree, _, _) = served(700);
    // A sealed leaf replaced in its level-0 tile: the level-1 tile no longer matches.
    let mut tiles = public(700, 300);
    let t0 = TilePath::Hash {
        level: 0,
        index: 2,
        width: 188,
    };
    tiles.get_mut(&t0).unwrap()[5 * 32] ^= 1;
    let e = read(&tiles, 700, &tree.root(), 300).unwrap_err();
    assert!(
        matches!(
            e,
            TileError::TileMismatch { .. } | TileError::RootMismatch { .. }
        ),
        "{e:?}"
    );
    // A readable entry changed: its leaf no longer matches level 0.
    let mut tiles = public(700, 300);
    let b = TilePath::Entries {
        index: 1,
        width: 44,
    };
    let mut bundle = tiles::decode_entry_bundle(&tiles[&b]).unwrap();
    bundle[3] = b"entry forged\n".to_vec();
    let refs: Vec<&[u8]> = bundle.iter().map(|e| &e[..]).collect();
    tiles.insert(b, encode_entry_bundle(&refs).unwrap());
    let e = read(&tiles, 700, &tree.root(), 300).unwrap_err();
    assert!(matches!(e, TileError::TileMismatch { .. }), "{e:?}");
}

proptest! {
    #[test]
    fn any_prefix_gives_the_whole_tree(n in 1u64..1200, cut in any::<u64>()) {
        let readable = cut % (n + 1);
        let (tree, entries, _) = served(n);
        let tiles = public(n, readable);
        let (got, prefix) = read(&tiles, n, &tree.root(), readable).unwrap();
        prop_assert_eq!(got.root(), tree.root());
        prop_assert_eq!(prefix, entries[..readable as usize].to_vec());
    }
}
