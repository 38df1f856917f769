//! C2SP tlog-tiles: tile paths, the set of tiles for a tree size, entry bundles, and
//! a reader that rebuilds and checks a tree from tiles.
//!
//! A hash tile at level `L`, index `N`, holds up to 256 consecutive hashes of tree level
//! `8 * L` (hashes `256 * N ..`); an entry bundle at index `N` holds entries
//! `256 * N ..`. A tile with fewer than 256 items is *partial* and its path ends in
//! `.p/<W>`.

use crate::{leaf_hash, Hash, Tree, TreeError};

/// Tree levels covered by one tile.
pub const TILE_HEIGHT: u8 = 8;
/// Hashes (or entries) in a full tile: `2^TILE_HEIGHT`.
pub const TILE_WIDTH: u64 = 256;
/// Largest entry an entry bundle can hold (its length prefix is a u16).
pub const MAX_ENTRY_SIZE: usize = u16::MAX as usize;
/// Largest tile level accepted by [`TilePath::parse`]. Only levels 0..=7 can hold
/// anything for a u64-sized tree; larger ones parse (and are simply never available),
/// so a well-formed request is answered "not found" rather than "bad path".
pub const MAX_TILE_LEVEL: u8 = 63;
/// Most `/`-separated 3-digit groups in a tile index (u64::MAX has 20 digits).
const MAX_INDEX_GROUPS: usize = 7;

/// Errors of tile paths, entry bundles and the tile reader.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// A tile path that does not follow tlog-tiles.
    #[error("bad tile path {path:?}: {why}")]
    BadPath {
        /// The path.
        path: String,
        /// What is wrong.
        why: &'static str,
    },
    /// An entry longer than [`MAX_ENTRY_SIZE`].
    #[error("entry {index} is {len} bytes, above the entry bundle limit of 65535")]
    EntryTooLarge {
        /// Position in the bundle.
        index: usize,
        /// Its length.
        len: usize,
    },
    /// An entry bundle that does not decode.
    #[error("bad entry bundle: {why}")]
    BadBundle {
        /// What is wrong, with the byte offset.
        why: String,
    },
    /// The fetch function failed.
    #[error("fetching {path}: {why}")]
    Fetch {
        /// The tile path.
        path: String,
        /// The fetcher's error message.
        why: String,
    },
    /// A tile with too few items.
    #[error("{path}: has {got} items, want {want}")]
    WrongCount {
        /// The tile path.
        path: String,
        /// Items found.
        got: usize,
        /// Items required.
        want: usize,
    },
    /// A hash tile whose hash differs from the one computed from the entries.
    #[error("{path}: hash {position} does not match the hash computed from the entries")]
    TileMismatch {
        /// The tile path.
        path: String,
        /// Index of the first differing hash within the tile.
        position: usize,
    },
    /// The entries do not produce the expected root.
    #[error("the {size} entries do not produce the checkpoint's root hash")]
    RootMismatch {
        /// The tree size.
        size: u64,
    },
    /// An error from the tree (should not happen for well-formed requests).
    #[error(transparent)]
    Tree(#[from] TreeError),
}

/// A tile's identity: hash tile or entry bundle, index and width (256 = full).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TilePath {
    /// A hash tile.
    Hash {
        /// Tile level (tree level `8 * level`).
        level: u8,
        /// Tile index.
        index: u64,
        /// Number of hashes, 1..=256.
        width: u16,
    },
    /// An entry bundle.
    Entries {
        /// Bundle index.
        index: u64,
        /// Number of entries, 1..=256.
        width: u16,
    },
}

fn bad_path(path: &str, why: &'static str) -> TileError {
    TileError::BadPath {
        path: path.to_owned(),
        why,
    }
}

/// Canonical decimal: digits only, no leading zero (except "0").
fn canonical_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

fn parse_index(path: &str, s: &str) -> Result<u64, TileError> {
    let groups: Vec<&str> = s.split('/').collect();
    if groups.len() > MAX_INDEX_GROUPS {
        return Err(bad_path(path, "index has too many groups"));
    }
    let last = groups.len() - 1;
    let mut n: u64 = 0;
    for (i, g) in groups.iter().enumerate() {
        let digits = if i < last {
            g.strip_prefix('x')
                .ok_or_else(|| bad_path(path, "index group without 'x' prefix"))?
        } else {
            g
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad_path(path, "index group is not 3 digits"));
        }
        if i == 0 && i < last && digits == "000" {
            return Err(bad_path(path, "index has a leading zero group"));
        }
        let v: u64 = digits
            .parse()
            .map_err(|_| bad_path(path, "index group is not 3 digits"))?;
        n = n
            .checked_mul(1000)
            .and_then(|n| n.checked_add(v))
            .ok_or_else(|| bad_path(path, "index does not fit in 64 bits"))?;
    }
    Ok(n)
}

/// Encodes a tile index as 3-digit groups, all but the last prefixed with `x`.
fn encode_index(mut n: u64) -> String {
    let mut groups = Vec::with_capacity(MAX_INDEX_GROUPS);
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    let mut s = String::with_capacity(groups.len() * 5);
    for (i, g) in groups.iter().rev().enumerate() {
        if i > 0 {
            s.push('/');
        }
        if i + 1 < groups.len() {
            s.push('x');
        }
        s.push_str(&format!("{g:03}"));
    }
    s
}

impl TilePath {
    /// Parses `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]` (the part after the
    /// log prefix). Only canonical paths are accepted: `<L>` and `<W>` decimal without
    /// leading zeros, `<W>` in 1..=255, `<N>` in 3-digit groups with no leading `x000`.
    pub fn parse(path_after_log_prefix: &str) -> Result<TilePath, TileError> {
        let path = path_after_log_prefix;
        let rest = path
            .strip_prefix("tile/")
            .ok_or_else(|| bad_path(path, "does not start with tile/"))?;
        let (kind, rest) = rest
            .split_once('/')
            .ok_or_else(|| bad_path(path, "no tile index"))?;
        let (n, width) = match rest.split_once(".p/") {
            Some((n, w)) => {
                let w = canonical_decimal(w)
                    .filter(|w| (1..TILE_WIDTH).contains(w))
                    .ok_or_else(|| bad_path(path, "partial width is not a decimal in 1..=255"))?;
                (n, w as u16)
            }
            None => (rest, TILE_WIDTH as u16),
        };
        let index = parse_index(path, n)?;
        if kind == "entries" {
            return Ok(TilePath::Entries { index, width });
        }
        let level = canonical_decimal(kind)
            .filter(|l| *l <= u64::from(MAX_TILE_LEVEL))
            .ok_or_else(|| bad_path(path, "level is not \"entries\" or a decimal in 0..=63"))?;
        Ok(TilePath::Hash {
            level: level as u8,
            index,
            width,
        })
    }

    /// The canonical path, e.g. `tile/0/x001/234.p/8` or `tile/entries/000`.
    pub fn to_path(&self) -> String {
        let (kind, index, width) = match *self {
            TilePath::Hash {
                level,
                index,
                width,
            } => (level.to_string(), index, width),
            TilePath::Entries { index, width } => ("entries".to_owned(), index, width),
        };
        let mut s = format!("tile/{kind}/{}", encode_index(index));
        if u64::from(width) < TILE_WIDTH {
            s.push_str(&format!(".p/{width}"));
        }
        s
    }

    /// Number of items (hashes or entries) in the tile.
    pub fn width(&self) -> u16 {
        match *self {
            TilePath::Hash { width, .. } | TilePath::Entries { width, .. } => width,
        }
    }
}

impl std::fmt::Display for TilePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_path())
    }
}

/// Which tiles exist for a tree of `size`: for each level, every full tile and the one
/// partial tile if any, then the entry bundles likewise (for static publishing). The list
/// has about `size / 255` items; callers bound `size`.
pub fn tiles_for_size(size: u64) -> Vec<TilePath> {
    let mut out = Vec::new();
    let mut level: u8 = 0;
    while u32::from(level) * u32::from(TILE_HEIGHT) < 64 {
        let count = size >> (u32::from(level) * u32::from(TILE_HEIGHT));
        if count == 0 {
            break;
        }
        push_tiles(count, &mut out, |index, width| TilePath::Hash {
            level,
            index,
            width,
        });
        level += 1;
    }
    push_tiles(size, &mut out, |index, width| TilePath::Entries {
        index,
        width,
    });
    out
}

fn push_tiles(count: u64, out: &mut Vec<TilePath>, make: impl Fn(u64, u16) -> TilePath) {
    for index in 0..count / TILE_WIDTH {
        out.push(make(index, TILE_WIDTH as u16));
    }
    if !count.is_multiple_of(TILE_WIDTH) {
        out.push(make(count / TILE_WIDTH, (count % TILE_WIDTH) as u16));
    }
}

/// Entry bundle encoding: each entry as big-endian u16 length + bytes. Entries over
/// 65535 bytes are an error.
pub fn encode_entry_bundle(entries: &[&[u8]]) -> Result<Vec<u8>, TileError> {
    let total: usize = entries.iter().map(|e| e.len() + 2).sum();
    let mut out = Vec::with_capacity(total);
    for (index, e) in entries.iter().enumerate() {
        let len = u16::try_from(e.len()).map_err(|_| TileError::EntryTooLarge {
            index,
            len: e.len(),
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Decodes an entry bundle. At most 256 entries; truncated lengths or data are errors.
pub fn decode_entry_bundle(bytes: &[u8]) -> Result<Vec<Vec<u8>>, TileError> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let off = bytes.len() - rest.len();
        if out.len() as u64 == TILE_WIDTH {
            return Err(TileError::BadBundle {
                why: format!("more than 256 entries (extra data at byte {off})"),
            });
        }
        if rest.len() < 2 {
            return Err(TileError::BadBundle {
                why: format!("truncated length of entry {} at byte {off}", out.len()),
            });
        }
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        if rest.len() - 2 < len {
            return Err(TileError::BadBundle {
                why: format!(
                    "entry {} at byte {off} declares {len} bytes but only {} remain",
                    out.len(),
                    rest.len() - 2
                ),
            });
        }
        out.push(rest[2..2 + len].to_vec());
        rest = &rest[2 + len..];
    }
    Ok(out)
}

/// A reader: given a fetch function for tile paths, recompute & verify the tree for a
/// checkpoint of `size` and `root`. Fetches every entry bundle and rebuilds the tree
/// from the entries, then fetches every hash tile and checks it equals the computed
/// one (so leaf hashes are checked against level-0 tiles), then checks the root.
/// Returns the tree and all entries.
///
/// Leniency, as tlog-tiles allows clients to fetch a fuller tile when a partial one is
/// gone: a partial tile's response may hold more items than its width, and only the
/// first `width` are used. Memory is proportional to `size`; callers bound it.
pub fn read_tree<F, E>(size: u64, root: &Hash, fetch: F) -> Result<(Tree, Vec<Vec<u8>>), TileError>
where
    F: FnMut(&TilePath) -> Result<Vec<u8>, E>,
    E: std::fmt::Display,
{
    read_tree_prefix(size, root, size, fetch)
}

/// [`read_tree`] for a log whose entries are readable only up to `readable` (an embargo: the
/// entries after it are sealed, and only their leaf hashes are public, in the level-0 hash
/// tiles). Rebuilds the tree from the first `readable` entries and the leaf hashes of the
/// rest, checks every hash tile and the root, and returns the tree (all `size` leaves) and the
/// readable entries. The sealed leaves are commitments: nothing here proves what they hold.
pub fn read_tree_prefix<F, E>(
    size: u64,
    root: &Hash,
    readable: u64,
    mut fetch: F,
) -> Result<(Tree, Vec<Vec<u8>>), TileError>
where
    F: FnMut(&TilePath) -> Result<Vec<u8>, E>,
    E: std::fmt::Display,
{
    let readable = readable.min(size);
    let mut get = |p: &TilePath| {
        fetch(p).map_err(|e| TileError::Fetch {
            path: p.to_path(),
            why: e.to_string(),
        })
    };
    let hash_tiles: Vec<TilePath> = tiles_for_size(size)
        .into_iter()
        .filter(|p| matches!(p, TilePath::Hash { .. }))
        .collect();
    let mut tree = Tree::new();
    let mut entries = Vec::new();
    for p in tiles_for_size(readable)
        .iter()
        .filter(|p| matches!(p, TilePath::Entries { .. }))
    {
        let bundle = decode_entry_bundle(&get(p)?).map_err(|e| match e {
            TileError::BadBundle { why } => TileError::BadBundle {
                why: format!("{p}: {why}"),
            },
            other => other,
        })?;
        let want = usize::from(p.width());
        if bundle.len() < want || (bundle.len() > want && want == TILE_WIDTH as usize) {
            return Err(TileError::WrongCount {
                path: p.to_path(),
                got: bundle.len(),
                want,
            });
        }
        for e in bundle.into_iter().take(want) {
            tree.push_leaf_hash(leaf_hash(&e));
            entries.push(e);
        }
    }
    // Every hash tile, fetched once; the sealed leaves come from level 0.
    let mut fetched = Vec::with_capacity(hash_tiles.len());
    for p in &hash_tiles {
        let got = get(p)?;
        if got.len() % 32 != 0 || got.len() < usize::from(p.width()) * 32 {
            return Err(TileError::WrongCount {
                path: p.to_path(),
                got: got.len() / 32,
                want: usize::from(p.width()),
            });
        }
        fetched.push(got);
    }
    for (p, got) in hash_tiles.iter().zip(&fetched) {
        let TilePath::Hash {
            level: 0,
            index,
            width,
        } = *p
        else {
            continue;
        };
        // `index` comes from `tiles_for_size(size)`, so `first + k < size`; saturating all
        // the same, so no tile identity can make this overflow.
        let first = index.saturating_mul(TILE_WIDTH);
        for k in 0..u64::from(width) {
            if first.saturating_add(k) < tree.len() {
                continue;
            }
            let at = (k * 32) as usize;
            let mut leaf = [0u8; 32];
            leaf.copy_from_slice(&got[at..at + 32]);
            tree.push_leaf_hash(leaf);
        }
    }
    if tree.len() != size {
        return Err(TileError::WrongCount {
            path: "tile/0".into(),
            got: tree.len() as usize,
            want: size as usize,
        });
    }
    for (p, got) in hash_tiles.iter().zip(&fetched) {
        let TilePath::Hash {
            level,
            index,
            width,
        } = *p
        else {
            continue;
        };
        let want = tree.hash_tile(level, index, width, size)?;
        if got.len() > TILE_WIDTH as usize * 32 {
            return Err(TileError::WrongCount {
                path: p.to_path(),
                got: got.len() / 32,
                want: usize::from(width),
            });
        }
        if let Some(position) = (0..usize::from(width))
            .find(|&i| got[i * 32..(i + 1) * 32] != want[i * 32..(i + 1) * 32])
        {
            return Err(TileError::TileMismatch {
                path: p.to_path(),
                position,
            });
        }
    }
    if tree.root() != *root {
        return Err(TileError::RootMismatch { size });
    }
    Ok((tree, entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        let cases = [
            (
                TilePath::Hash {
                    level: 0,
                    index: 0,
                    width: 256,
                },
                "tile/0/000",
            ),
            (
                TilePath::Hash {
                    level: 1,
                    index: 1_234_067,
                    width: 8,
                },
                "tile/1/x001/x234/067.p/8",
            ),
            (
                TilePath::Entries {
                    index: 5,
                    width: 255,
                },
                "tile/entries/005.p/255",
            ),
            (
                TilePath::Entries {
                    index: 1000,
                    width: 256,
                },
                "tile/entries/x001/000",
            ),
            (
                TilePath::Hash {
                    level: 3,
                    index: u64::MAX,
                    width: 1,
                },
                "tile/3/x018/x446/x744/x073/x709/x551/615.p/1",
            ),
        ];
        for (t, s) in cases {
            assert_eq!(t.to_path(), s);
            assert_eq!(TilePath::parse(s).unwrap(), t, "{s}");
        }
    }

    #[test]
    fn bad_paths() {
        for s in [
            "",
            "tile/",
            "tile/0",
            "tile/0/",
            "0/000",
            "tile/00/000",
            "tile/64/000",
            "tile/-1/000",
            "tile/0/00",
            "tile/0/0000",
            "tile/0/x000/001",
            "tile/0/001/002",
            "tile/0/x001",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/08",
            "tile/0/000.p/",
            "tile/0/000.p",
            "tile/entries/000.p/1/",
            "tile/0/x019/x446/x744/x073/x709/x551/615",
            "tile/0/x001/x002/x003/x004/x005/x006/x007/008",
            "tile/data/000",
            "tile/0/abc",
        ] {
            assert!(TilePath::parse(s).is_err(), "{s:?} accepted");
        }
    }

    #[test]
    fn tiles_for_small_sizes() {
        assert!(tiles_for_size(0).is_empty());
        let t = tiles_for_size(256);
        assert_eq!(
            t.iter().map(|p| p.to_path()).collect::<Vec<_>>(),
            ["tile/0/000", "tile/1/000.p/1", "tile/entries/000"]
        );
        let t = tiles_for_size(70_000);
        assert!(t.contains(&TilePath::Hash {
            level: 0,
            index: 273,
            width: 112
        }));
        assert!(t.contains(&TilePath::Hash {
            level: 1,
            index: 1,
            width: 17
        }));
        assert!(t.contains(&TilePath::Hash {
            level: 2,
            index: 0,
            width: 1
        }));
        assert_eq!(t.len(), 274 + 2 + 1 + 274);
    }

    #[test]
    fn bundles() {
        let e: Vec<&[u8]> = vec![b"one", b"", b"three"];
        let b = encode_entry_bundle(&e).unwrap();
        assert_eq!(b, b"\x00\x03one\x00\x00\x00\x05three");
        assert_eq!(
            decode_entry_bundle(&b).unwrap(),
            vec![b"one".to_vec(), vec![], b"three".to_vec()]
        );
        assert!(decode_entry_bundle(&b[..b.len() - 1]).is_err());
        assert!(decode_entry_bundle(&[0]).is_err());
        let big = vec![0u8; 65536];
        assert_eq!(
            encode_entry_bundle(&[b"x", &big]),
            Err(TileError::EntryTooLarge {
                index: 1,
                len: 65536
            })
        );
        let max = vec![7u8; 65535];
        assert_eq!(
            decode_entry_bundle(&encode_entry_bundle(&[&max]).unwrap()).unwrap(),
            vec![max]
        );
        let many: Vec<&[u8]> = vec![b"a"; 257];
        assert!(decode_entry_bundle(&encode_entry_bundle(&many).unwrap()).is_err());
    }
}
