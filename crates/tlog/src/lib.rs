//! # skytale-tlog: the Merkle log underneath every Skytale feed
//!
//! Implements:
//! - the RFC 6962 / RFC 9162 (§2.1) Merkle tree hash over SHA-256, inclusion and
//!   consistency proofs and their verification ([`Tree`], [`verify_inclusion`],
//!   [`verify_consistency`]);
//! - the [C2SP tlog-checkpoint](https://c2sp.org/tlog-checkpoint) note body
//!   ([`Checkpoint`]);
//! - the [C2SP tlog-tiles](https://c2sp.org/tlog-tiles) layout: tile paths, which tiles
//!   exist for a size, entry bundles, hash tiles, and a reader that rebuilds and checks a
//!   tree from tiles ([`tiles`]).
//!
//! **In scope:** pure, deterministic computation on bytes: no I/O, no clocks, no async.
//! [`tiles::read_tree`] takes a caller-supplied fetch function, so the transport (HTTP,
//! files, a database) is the caller's.
//!
//! **Out of scope:** signing and verifying checkpoint notes (that is `skytale-note`;
//! [`Checkpoint`] is only the note *text*), persistence, and the subtree proofs of the
//! Merkle Tree Certificates draft.
//!
//! A caution for consumers of proofs: an RFC 6962 inclusion proof does not pin the tree
//! size uniquely. For example a proof for leaf 0 verifies against the same root for tree
//! sizes 5 and 6 if both have the same proof shape. The size must therefore always come
//! from the signed checkpoint that also carries the root, never from the prover alone.

use sha2::{Digest, Sha256};

mod checkpoint;
pub mod tiles;

pub use checkpoint::{Checkpoint, CheckpointError, MAX_CHECKPOINT_SIZE};

/// A SHA-256 hash: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; 32];

/// Root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// Hash of a log entry: `SHA-256(0x00 || entry)` (the 0x00 prefix separates leaves
/// from interior nodes, so a node can never be passed off as a leaf).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// Hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Errors from asking a [`Tree`] for something it does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// A tree size larger than the number of leaves held.
    #[error("tree size {size} exceeds the {len} leaves held")]
    SizeTooLarge {
        /// The requested size.
        size: u64,
        /// Leaves in the tree.
        len: u64,
    },
    /// A leaf index not below the tree size.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// The requested index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A consistency proof from a larger to a smaller tree.
    #[error("old size {old_size} exceeds new size {new_size}")]
    OldSizeTooLarge {
        /// The old size.
        old_size: u64,
        /// The new size.
        new_size: u64,
    },
    /// Consistency from size 0 to a non-empty tree (it proves nothing).
    #[error("consistency from size 0 to size {new_size} proves nothing and is refused")]
    EmptyOldTree {
        /// The new size.
        new_size: u64,
    },
    /// A tile width outside 1..=256.
    #[error("tile width {width} is outside 1..=256")]
    BadTileWidth {
        /// The requested width.
        width: u16,
    },
    /// A tile that does not (yet) exist at that tree size.
    #[error(
        "hash tile level {level} index {index} width {width} does not exist at tree size {size}"
    )]
    TileNotAvailable {
        /// Tile level.
        level: u8,
        /// Tile index.
        index: u64,
        /// Requested width.
        width: u16,
        /// Tree size.
        size: u64,
    },
}

/// Why a proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// The index.
        index: u64,
        /// The size.
        size: u64,
    },
    /// Old size larger than new size.
    #[error("old size {old_size} exceeds new size {new_size}")]
    OldSizeTooLarge {
        /// The old size.
        old_size: u64,
        /// The new size.
        new_size: u64,
    },
    /// The proof has the wrong number of hashes for these sizes.
    #[error("proof has {got} hashes, want {want} for these sizes")]
    WrongProofLength {
        /// Hashes in the proof.
        got: usize,
        /// Hashes required.
        want: usize,
    },
    /// The proof leads to a root other than the expected one.
    #[error("computed root does not match the expected root")]
    RootMismatch,
    /// A consistency proof does not reproduce the old root.
    #[error("consistency proof does not reproduce the old root")]
    OldRootMismatch,
    /// A consistency proof does not reproduce the new root.
    #[error("consistency proof does not reproduce the new root")]
    NewRootMismatch,
    /// A size-0 tree must have the empty root.
    #[error("a tree of size 0 must have the empty root")]
    EmptyTreeRoot,
    /// Consistency from the empty tree to a non-empty one proves nothing.
    #[error("consistency from size 0 to size {new_size} proves nothing and is refused")]
    EmptyOldTree {
        /// The new size.
        new_size: u64,
    },
}

/// Largest power of two strictly below `n` (`n >= 2`): RFC 6962's split point `k`.
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// An in-memory, append-only Merkle tree holding every node hash of every complete
/// subtree (all levels), so roots, proofs and tiles for ANY size <= len are cheap
/// (O(log n) hashing). Memory ~ 2 * 32 bytes per leaf.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Tree {
    /// `levels[l][i]` is the hash of the complete subtree of `2^l` leaves starting at
    /// leaf `i * 2^l`; `levels[0]` are the leaf hashes.
    levels: Vec<Vec<Hash>>,
}

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree").field("len", &self.len()).finish()
    }
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Tree {
        Tree::default()
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// True when there are no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a leaf hash, completing every subtree it closes.
    pub fn push_leaf_hash(&mut self, leaf: Hash) {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf);
        let mut l = 0;
        while self.levels[l].len().is_multiple_of(2) {
            let n = self.levels[l].len();
            let h = node_hash(&self.levels[l][n - 2], &self.levels[l][n - 1]);
            if self.levels.len() == l + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[l + 1].push(h);
            l += 1;
        }
    }

    /// Appends an entry: `push_leaf_hash(leaf_hash(entry))`.
    pub fn push_entry(&mut self, entry: &[u8]) {
        self.push_leaf_hash(leaf_hash(entry));
    }

    /// The leaf hash at `index`, if present.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        let i = usize::try_from(index).ok()?;
        self.levels.first()?.get(i).copied()
    }

    /// Hash of leaves `[lo, hi)`, `lo < hi <= len`, per RFC 6962's MTH recursion.
    fn subtree(&self, lo: u64, hi: u64) -> Hash {
        let n = hi - lo;
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            let l = n.trailing_zeros() as usize;
            // Complete, aligned subtree: stored.
            return self.levels[l][(lo >> l) as usize];
        }
        let k = split_point(n);
        node_hash(&self.subtree(lo, lo + k), &self.subtree(lo + k, hi))
    }

    fn check_size(&self, size: u64) -> Result<(), TreeError> {
        if size > self.len() {
            return Err(TreeError::SizeTooLarge {
                size,
                len: self.len(),
            });
        }
        Ok(())
    }

    /// Root at the current size.
    pub fn root(&self) -> Hash {
        match self.len() {
            0 => EMPTY_ROOT,
            n => self.subtree(0, n),
        }
    }

    /// Root of the tree formed by the first `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, TreeError> {
        self.check_size(size)?;
        Ok(match size {
            0 => EMPTY_ROOT,
            n => self.subtree(0, n),
        })
    }

    /// RFC 6962 audit path for leaf `index` in the tree of the first `size` leaves,
    /// ordered from the leaf upwards.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, TreeError> {
        self.check_size(size)?;
        if index >= size {
            return Err(TreeError::IndexOutOfRange { index, size });
        }
        let mut out = Vec::with_capacity(64);
        self.path(index, 0, size, &mut out);
        Ok(out)
    }

    fn path(&self, m: u64, lo: u64, hi: u64, out: &mut Vec<Hash>) {
        if hi - lo == 1 {
            return;
        }
        let k = split_point(hi - lo);
        if m < lo + k {
            self.path(m, lo, lo + k, out);
            out.push(self.subtree(lo + k, hi));
        } else {
            self.path(m, lo + k, hi, out);
            out.push(self.subtree(lo, lo + k));
        }
    }

    /// RFC 6962 consistency proof between the trees of the first `old_size` and
    /// `new_size` leaves. Empty when the sizes are equal. From size 0 to a non-empty
    /// tree it is an error, as in transparency-dev/merkle: such a "proof" proves nothing
    /// and asking for one usually means the caller lost track of the old size.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, TreeError> {
        self.check_size(new_size)?;
        if old_size > new_size {
            return Err(TreeError::OldSizeTooLarge { old_size, new_size });
        }
        if old_size == 0 && new_size > 0 {
            return Err(TreeError::EmptyOldTree { new_size });
        }
        let mut out = Vec::with_capacity(64);
        if old_size < new_size {
            self.subproof(old_size, 0, new_size, true, &mut out);
        }
        Ok(out)
    }

    fn subproof(&self, m: u64, lo: u64, hi: u64, whole: bool, out: &mut Vec<Hash>) {
        if m == hi {
            if !whole {
                out.push(self.subtree(lo, hi));
            }
            return;
        }
        let k = split_point(hi - lo);
        if m <= lo + k {
            self.subproof(m, lo, lo + k, whole, out);
            out.push(self.subtree(lo + k, hi));
        } else {
            self.subproof(m, lo + k, hi, false, out);
            out.push(self.subtree(lo, lo + k));
        }
    }

    /// Bytes of hash tile at tile level `level`, tile index `index`, width `width`
    /// (1..=256) as of tree size `size`: the concatenated hashes of the complete
    /// subtrees at tree level `8 * level`, indexes `256 * index ..+ width`. Errors if the
    /// tile is not available at that size or `width` exceeds what exists.
    pub fn hash_tile(
        &self,
        level: u8,
        index: u64,
        width: u16,
        size: u64,
    ) -> Result<Vec<u8>, TreeError> {
        if width == 0 || u64::from(width) > tiles::TILE_WIDTH {
            return Err(TreeError::BadTileWidth { width });
        }
        self.check_size(size)?;
        let unavailable = TreeError::TileNotAvailable {
            level,
            index,
            width,
            size,
        };
        let h = u32::from(level) * u32::from(tiles::TILE_HEIGHT);
        if h >= 64 {
            return Err(unavailable);
        }
        let available = size >> h;
        let start = index
            .checked_mul(tiles::TILE_WIDTH)
            .ok_or(unavailable.clone())?;
        let end = start
            .checked_add(u64::from(width))
            .ok_or(unavailable.clone())?;
        if end > available {
            return Err(unavailable);
        }
        // end <= available <= len >> h, so the level exists and holds these hashes.
        let hashes = &self.levels[h as usize][start as usize..end as usize];
        Ok(hashes.concat())
    }
}

/// Number of hashes in an inclusion proof for `index < size`.
fn inclusion_proof_len(index: u64, size: u64) -> (u32, u32) {
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    let border = (index >> inner).count_ones();
    (inner, border)
}

/// Verifies that `leaf` (a leaf hash) is at `index` in the tree of `size` leaves with
/// root `root`, using the RFC 9162 §2.1.3.2 algorithm, after checking the proof length.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (inner, border) = inclusion_proof_len(index, size);
    let want = (inner + border) as usize;
    if proof.len() != want {
        return Err(ProofError::WrongProofLength {
            got: proof.len(),
            want,
        });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(ProofError::WrongProofLength {
                got: proof.len(),
                want,
            });
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 || r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies that the tree of `new_size` leaves with root `new_root` extends the tree of
/// `old_size` leaves with root `old_root` (RFC 9162 §2.1.4.2, with a length check).
/// Equal sizes need an empty proof and equal roots (and the empty root at size 0);
/// `old_size == 0 < new_size` is refused ([`ProofError::EmptyOldTree`]), as in
/// transparency-dev/merkle, because it proves nothing.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::OldSizeTooLarge { old_size, new_size });
    }
    if old_size == 0 && new_size > 0 {
        return Err(ProofError::EmptyOldTree { new_size });
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofLength {
                got: proof.len(),
                want: 0,
            });
        }
        if old_size == 0 && *old_root != EMPTY_ROOT {
            return Err(ProofError::EmptyTreeRoot);
        }
        if old_root != new_root {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }
    // Expected length: the inclusion path of leaf old_size-1 in the new tree, minus the
    // levels inside the old tree's rightmost complete subtree, plus that subtree's
    // hash unless it is the whole old tree.
    let shift = old_size.trailing_zeros();
    let (inner, border) = inclusion_proof_len(old_size - 1, new_size);
    let seeded = old_size.is_power_of_two();
    let want = (inner.saturating_sub(shift) + border) as usize + usize::from(!seeded);
    if proof.len() != want {
        return Err(ProofError::WrongProofLength {
            got: proof.len(),
            want,
        });
    }
    let (seed, rest) = if seeded {
        (*old_root, proof)
    } else {
        (proof[0], &proof[1..])
    };
    let (mut fr, mut sr) = (seed, seed);
    let (mut f, mut s) = (old_size - 1, new_size - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    for c in rest {
        if s == 0 {
            return Err(ProofError::WrongProofLength {
                got: proof.len(),
                want,
            });
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if s != 0 || sr != *new_root {
        return Err(ProofError::NewRootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MTH straight from RFC 6962's definition, as an oracle.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => EMPTY_ROOT,
            1 => leaves[0],
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(EMPTY_ROOT, <[u8; 32]>::from(Sha256::digest(b"")));
        assert_eq!(Tree::new().root(), EMPTY_ROOT);
    }

    #[test]
    fn roots_match_definition() {
        let mut t = Tree::new();
        let mut leaves = Vec::new();
        for i in 0u32..70 {
            t.push_entry(&i.to_be_bytes());
            leaves.push(leaf_hash(&i.to_be_bytes()));
            for size in 0..=leaves.len() {
                assert_eq!(t.root_at(size as u64).unwrap(), mth(&leaves[..size]));
            }
        }
        assert!(t.root_at(71).is_err());
        assert_eq!(t.leaf(3), Some(leaves[3]));
        assert_eq!(t.leaf(70), None);
    }

    #[test]
    fn proof_request_errors() {
        let mut t = Tree::new();
        for i in 0u8..10 {
            t.push_entry(&[i]);
        }
        assert_eq!(
            t.inclusion_proof(10, 10),
            Err(TreeError::IndexOutOfRange {
                index: 10,
                size: 10
            })
        );
        assert_eq!(
            t.inclusion_proof(0, 11),
            Err(TreeError::SizeTooLarge { size: 11, len: 10 })
        );
        assert_eq!(
            t.consistency_proof(5, 4),
            Err(TreeError::OldSizeTooLarge {
                old_size: 5,
                new_size: 4
            })
        );
        assert_eq!(
            t.consistency_proof(0, 10),
            Err(TreeError::EmptyOldTree { new_size: 10 })
        );
        assert_eq!(t.consistency_proof(0, 0).unwrap(), Vec::<Hash>::new());
        assert_eq!(t.consistency_proof(10, 10).unwrap(), Vec::<Hash>::new());
    }
}
