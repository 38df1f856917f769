//! Cross-check against an implementation we did not write: the crates.io `tlog_tiles`
//! crate (cloudflare/azul, a port of Go's golang.org/x/mod/sumdb/tlog). Roots,
//! inclusion and consistency proofs must be identical, and each side's verifier must
//! accept the other's proofs.
use proptest::prelude::*;
use skytale_tlog::{verify_consistency, verify_inclusion, Tree};
use tlog_tiles as go;

/// Go-style hash storage: every stored hash, indexed by `stored_hash_index`.
struct Storage(Vec<go::Hash>);

impl go::HashReader for Storage {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<go::Hash>, go::Error> {
        Ok(indexes.iter().map(|&i| self.0[i as usize]).collect())
    }
}

fn build(n: u64, seed: u64) -> (Tree, Storage) {
    let mut t = Tree::new();
    let mut s = Storage(Vec::new());
    for i in 0..n {
        let entry = format!("entry {seed} {i}");
        t.push_entry(entry.as_bytes());
        let new = go::stored_hashes(i, entry.as_bytes(), &s).unwrap();
        assert_eq!(go::stored_hash_index(0, i), s.0.len() as u64);
        s.0.extend(new);
    }
    (t, s)
}

fn g(h: &[u8; 32]) -> go::Hash {
    go::Hash(*h)
}

fn ours(v: &[go::Hash]) -> Vec<[u8; 32]> {
    v.iter().map(|h| h.0).collect()
}

/// Exhaustive for every size, index and size pair up to 40 leaves.
#[test]
fn agrees_exhaustively_on_small_trees() {
    let (t, s) = build(40, 0);
    for size in 1..=40u64 {
        let root = t.root_at(size).unwrap();
        assert_eq!(go::tree_hash(size, &s).unwrap().0, root, "root {size}");
        for i in 0..size {
            let p = t.inclusion_proof(i, size).unwrap();
            assert_eq!(
                ours(&go::prove_record(size, i, &s).unwrap()),
                p,
                "incl {i}/{size}"
            );
        }
        for old in 1..=size {
            let p = t.consistency_proof(old, size).unwrap();
            assert_eq!(
                ours(&go::prove_tree(size, old, &s).unwrap()),
                p,
                "cons {old}/{size}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn agrees_on_random_trees(n in 1u64..2000, seed in any::<u64>(), picks in prop::collection::vec((any::<u64>(), any::<u64>()), 16)) {
        let (t, s) = build(n, seed);
        prop_assert_eq!(go::tree_hash(n, &s).unwrap().0, t.root());
        for (a, b) in picks {
            let size = 1 + a % n;
            let i = b % size;
            let root = t.root_at(size).unwrap();
            prop_assert_eq!(go::tree_hash(size, &s).unwrap().0, root);
            let ours_p = t.inclusion_proof(i, size).unwrap();
            let go_p = go::prove_record(size, i, &s).unwrap();
            prop_assert_eq!(&ours(&go_p), &ours_p);
            let leaf = t.leaf(i).unwrap();
            // Each verifier accepts the other's proof.
            prop_assert!(go::check_record(&go_p, size, g(&root), i, g(&leaf)).is_ok());
            prop_assert!(verify_inclusion(&leaf, i, size, &ours(&go_p), &root).is_ok());

            let old = 1 + b % size;
            let old_root = t.root_at(old).unwrap();
            let ours_c = t.consistency_proof(old, size).unwrap();
            let go_c = go::prove_tree(size, old, &s).unwrap();
            prop_assert_eq!(&ours(&go_c), &ours_c);
            prop_assert!(go::check_tree(&go_c, size, g(&root), old, g(&old_root)).is_ok());
            prop_assert!(verify_consistency(old, size, &ours(&go_c), &old_root, &root).is_ok());
        }
    }
}
