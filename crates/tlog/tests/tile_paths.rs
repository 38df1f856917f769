//! Tile paths come from the network: any string parses to a tile or to an error, never a panic,
//! and every parsed tile is looked up in a tree (hash tile or entry range) with checked
//! arithmetic, including indexes whose first item is near 2^64.

use proptest::prelude::*;
use skytale_tlog::tiles::{TilePath, TILE_WIDTH};
use skytale_tlog::Tree;

fn tree(n: u64) -> Tree {
    let mut t = Tree::new();
    for i in 0..n {
        t.push_entry(format!("entry {i}").as_bytes());
    }
    t
}

/// The lookup a server does for a parsed path: a hash tile from the tree, or the range of
/// entries of a bundle, checked against the size.
fn look_up(t: &Tree, p: &TilePath) -> bool {
    match *p {
        TilePath::Hash {
            level,
            index,
            width,
        } => t.hash_tile(level, index, width, t.len()).is_ok(),
        TilePath::Entries { index, width } => index
            .checked_mul(TILE_WIDTH)
            .and_then(|start| start.checked_add(u64::from(width)))
            .is_some_and(|end| end <= t.len()),
    }
}

/// Paths from the characters tile paths are made of, so that many of them nearly parse.
fn path_like() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        Just("tile/".to_string()),
        Just("entries/".to_string()),
        Just(".p/".to_string()),
        Just("x".to_string()),
        Just("/".to_string()),
        "[0-9]{1,4}",
        "[0-9x/.p]{1,6}",
    ];
    proptest::collection::vec(part, 0..14).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_path_parses_or_errs_and_round_trips(s in path_like()) {
        let t = tree(300);
        if let Ok(p) = TilePath::parse(&s) {
            // Only canonical paths are accepted, so what parses prints back the same.
            prop_assert_eq!(p.to_path(), s);
            prop_assert!((1..=256).contains(&p.width()));
            let _ = look_up(&t, &p);
        }
    }

    #[test]
    fn any_tile_identity_is_looked_up_without_overflow(
        level in 0u8..=80,
        index in prop_oneof![any::<u64>(), u64::MAX - 3..=u64::MAX, 0u64..4, Just(u64::MAX / 256)],
        width in 0u16..=300,
        entries in any::<bool>(),
    ) {
        let t = tree(300);
        let p = if entries {
            TilePath::Entries { index, width }
        } else {
            TilePath::Hash { level, index, width }
        };
        let _ = look_up(&t, &p);
        // The printed path of a valid identity parses back to it.
        if (1..=256).contains(&width) && level <= 63 {
            prop_assert_eq!(TilePath::parse(&p.to_path()).ok(), Some(p));
        }
    }
}

#[test]
fn extreme_paths_are_refused_or_missing() {
    let t = tree(300);
    for s in [
        "tile/entries/x072/x057/x594/x037/x927/935",
        "tile/0/x072/x057/x594/x037/x927/935",
        "tile/0/x018/x446/x744/x073/x709/x551/615",
        "tile/0/x018/x446/x744/x073/x709/x551/616",
        "tile/entries/x018/x446/x744/x073/x709/x551/615.p/255",
        "tile/63/x018/x446/x744/x073/x709/x551/615.p/255",
    ] {
        if let Ok(p) = TilePath::parse(s) {
            assert!(!look_up(&t, &p), "{s} found in a tree of 300");
        }
    }
    for s in [
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/257",
        "tile/entries/000.p/0",
        "tile/64/000",
        "tile/0/x000/001",
        "tile/0/x018/x446/x744/x073/x709/x551/616/000",
        "tile/0/99999999999999999999999",
    ] {
        assert!(TilePath::parse(s).is_err(), "{s} parsed");
    }
    // Width 0 and 257 never reach a slice.
    assert!(t.hash_tile(0, 0, 0, 300).is_err());
    assert!(t.hash_tile(0, 0, 257, 300).is_err());
    assert!(t.hash_tile(0, u64::MAX, 256, 300).is_err());
}
