//! Property tests: every proof from [`Tree`] verifies; any single-bit change of a proof
//! hash, the leaf or a root makes it fail; and changing an index or size makes it fail
//! unless the change leaves the RFC 6962 hashing pattern identical (in which case the
//! verifier provably computes the same value — see the crate docs' caution).
use proptest::prelude::*;
use skytale_tlog::{verify_consistency, verify_inclusion, Hash, Tree};

fn build(n: u64, seed: u64) -> Tree {
    let mut t = Tree::new();
    for i in 0..n {
        t.push_entry(&[seed.to_le_bytes(), i.to_le_bytes()].concat());
    }
    t
}

fn split_point(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Symbolic root computed by an inclusion proof, straight from RFC 6962's PATH
/// definition: `x` is the leaf, `pN` the N-th proof hash.
fn incl_shape(m: u64, n: u64) -> (String, usize) {
    if n == 1 {
        return ("x".into(), 0);
    }
    let k = split_point(n);
    if m < k {
        let (e, c) = incl_shape(m, k);
        (format!("H({e},p{c})"), c + 1)
    } else {
        let (e, c) = incl_shape(m - k, n - k);
        (format!("H(p{c},{e})"), c + 1)
    }
}

/// Symbolic (old root, new root) computed from a consistency proof, from RFC 6962's
/// SUBPROOF definition: `OLD` is the known old root, `pN` the N-th proof hash.
fn cons_shape(m: u64, n: u64, whole: bool) -> (String, String, usize) {
    if m == n {
        return if whole {
            ("OLD".into(), "OLD".into(), 0)
        } else {
            ("p0".into(), "p0".into(), 1)
        };
    }
    let k = split_point(n);
    if m <= k {
        let (o, w, c) = cons_shape(m, k, whole);
        (o, format!("H({w},p{c})"), c + 1)
    } else {
        let (o, w, c) = cons_shape(m - k, n - k, false);
        (format!("H(p{c},{o})"), format!("H(p{c},{w})"), c + 1)
    }
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut h = *h;
    h[bit / 8 % 32] ^= 1 << (bit % 8);
    h
}

/// Exhaustive: every inclusion and consistency proof of every size up to 64 verifies.
#[test]
fn all_proofs_verify_up_to_64() {
    let t = build(64, 1);
    for size in 1..=64 {
        let root = t.root_at(size).unwrap();
        for i in 0..size {
            let p = t.inclusion_proof(i, size).unwrap();
            verify_inclusion(&t.leaf(i).unwrap(), i, size, &p, &root).unwrap();
        }
        for old in 1..=size {
            let p = t.consistency_proof(old, size).unwrap();
            verify_consistency(old, size, &p, &t.root_at(old).unwrap(), &root).unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn inclusion_proofs(n in 1u64..2000, seed in any::<u64>(), a in any::<u64>(), b in any::<u64>(),
                        bit in 0usize..256, which in any::<usize>(), delta in 1u64..5000) {
        let t = build(n, seed);
        let size = 1 + a % n;
        let i = b % size;
        let root = t.root_at(size).unwrap();
        let leaf = t.leaf(i).unwrap();
        let p = t.inclusion_proof(i, size).unwrap();
        prop_assert!(verify_inclusion(&leaf, i, size, &p, &root).is_ok());
        // Flip a bit of the leaf, the root, or a proof hash.
        prop_assert!(verify_inclusion(&flip(&leaf, bit), i, size, &p, &root).is_err());
        prop_assert!(verify_inclusion(&leaf, i, size, &p, &flip(&root, bit)).is_err());
        if !p.is_empty() {
            let mut q = p.clone();
            let j = which % q.len();
            q[j] = flip(&q[j], bit);
            prop_assert!(verify_inclusion(&leaf, i, size, &q, &root).is_err());
            // Dropping or adding a hash fails.
            prop_assert!(verify_inclusion(&leaf, i, size, &p[..p.len() - 1], &root).is_err());
        }
        let mut longer = p.clone();
        longer.push(root);
        prop_assert!(verify_inclusion(&leaf, i, size, &longer, &root).is_err());
        // Changed index or size: fails unless the hashing pattern is identical.
        let shape = incl_shape(i, size);
        for (i2, s2) in [(i ^ (1 + delta % size), size), (i, size + delta), (i, size.saturating_sub(delta)),
                         (i + delta, size + delta), (i.wrapping_sub(delta), size)] {
            if (i2, s2) == (i, size) { continue; }
            let ok = verify_inclusion(&leaf, i2, s2, &p, &root).is_ok();
            let same = i2 < s2 && incl_shape(i2, s2) == shape;
            prop_assert_eq!(ok, same, "index {} size {} -> {} {}", i, size, i2, s2);
        }
    }

    #[test]
    fn consistency_proofs(n in 2u64..2000, seed in any::<u64>(), a in any::<u64>(), b in any::<u64>(),
                          bit in 0usize..256, which in any::<usize>(), delta in 1u64..5000) {
        let t = build(n, seed);
        let new = 2 + a % (n - 1);
        let old = 1 + b % (new - 1);
        let (r1, r2) = (t.root_at(old).unwrap(), t.root_at(new).unwrap());
        let p = t.consistency_proof(old, new).unwrap();
        prop_assert!(!p.is_empty());
        prop_assert!(verify_consistency(old, new, &p, &r1, &r2).is_ok());
        prop_assert!(verify_consistency(old, new, &p, &flip(&r1, bit), &r2).is_err());
        prop_assert!(verify_consistency(old, new, &p, &r1, &flip(&r2, bit)).is_err());
        let mut q = p.clone();
        let j = which % q.len();
        q[j] = flip(&q[j], bit);
        prop_assert!(verify_consistency(old, new, &q, &r1, &r2).is_err());
        prop_assert!(verify_consistency(old, new, &p[..p.len() - 1], &r1, &r2).is_err());
        let shape = cons_shape(old, new, true);
        for (o2, n2) in [(old + delta, new), (old.saturating_sub(delta), new), (old, new + delta),
                         (old, new.saturating_sub(delta)), (old + delta, new + delta)] {
            if (o2, n2) == (old, new) || o2 == 0 || o2 >= n2 { continue; }
            let ok = verify_consistency(o2, n2, &p, &r1, &r2).is_ok();
            let same = cons_shape(o2, n2, true) == shape;
            prop_assert_eq!(ok, same, "sizes {} {} -> {} {}", old, new, o2, n2);
        }
    }
}

/// The documented caution: an inclusion proof does not pin the tree size. Leaf 0's
/// proof for size 5 also "verifies" for size 6 against the size-5 root, because both
/// sizes hash the proof in the same pattern. The size must come from a signed checkpoint.
#[test]
fn inclusion_proof_does_not_pin_size() {
    let t = build(6, 9);
    let p = t.inclusion_proof(0, 5).unwrap();
    let root5 = t.root_at(5).unwrap();
    let leaf = t.leaf(0).unwrap();
    assert_eq!(incl_shape(0, 5), incl_shape(0, 6));
    assert!(verify_inclusion(&leaf, 0, 6, &p, &root5).is_ok());
    assert!(verify_inclusion(&leaf, 0, 4, &p, &root5).is_err());
}
