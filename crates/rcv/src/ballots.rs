//! The compact in-memory ballot store.
//!
//! Identical ballots are stored once with a count: tabulation treats every copy of a ballot the
//! same way (RCTab's per-CVR state depends only on the rankings), so counting a distinct ballot
//! once and weighting by its count gives RCTab's totals exactly while doing far less work.
//! Rankings are encoded in one flat `u32` arena as groups `[rank, n, id_1 .. id_n]`, sorted by
//! rank with same-rank candidates in reading order (RCTab's `CandidateRankingsList`).

use std::collections::BTreeMap;
use std::path::Path;

use rustc_hash::FxHashMap;

use crate::config::{ContestConfig, UWI_LABEL};
use crate::RcvError;

/// Index of a candidate in [`CandidateTable::names`].
pub type CandId = u16;
/// RCTab's explicit overvote marker (a cell that says "overvote").
pub const OVERVOTE: CandId = u16::MAX;
/// Highest rank number accepted from any CVR (RCTab allocates an array of this size).
pub const MAX_RANK: u32 = 1_000;

/// Candidate names and the lookup from CVR spellings (names and aliases) to ids.
#[derive(Debug, Clone)]
pub struct CandidateTable {
    /// Display names; index is the [`CandId`]. Undeclared write-ins, when enabled, come last.
    pub names: Vec<String>,
    /// Excluded from tabulation (per id).
    pub excluded: Vec<bool>,
    /// Id of "Undeclared Write-ins", if any source enables them.
    pub uwi: Option<CandId>,
    lookup: FxHashMap<String, CandId>,
}

impl CandidateTable {
    /// Builds the table from a config (names, aliases, exclusions, UWI).
    pub fn from_config(config: &ContestConfig) -> Self {
        let mut names = Vec::new();
        let mut excluded = Vec::new();
        let mut lookup = FxHashMap::default();
        for (i, c) in config.candidates.iter().enumerate() {
            let id = i as CandId;
            names.push(c.name.clone());
            excluded.push(c.excluded);
            lookup.insert(c.name.clone(), id);
            for a in &c.aliases {
                lookup.entry(a.clone()).or_insert(id);
            }
        }
        let uwi = if config.uwi_enabled() {
            let id = names.len() as CandId;
            names.push(UWI_LABEL.to_string());
            excluded.push(false);
            lookup.insert(UWI_LABEL.to_string(), id);
            Some(id)
        } else {
            None
        };
        CandidateTable {
            names,
            excluded,
            uwi,
            lookup,
        }
    }

    /// Builds a table from bare names (no aliases, none excluded, no UWI): for tests and benches.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Self {
        let names: Vec<String> = names.iter().map(|s| s.as_ref().to_string()).collect();
        let lookup = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as CandId))
            .collect();
        CandidateTable {
            excluded: vec![false; names.len()],
            names,
            uwi: None,
            lookup,
        }
    }

    /// A table of `names` (none excluded, no aliases) whose last name is the undeclared
    /// write-in pseudo-candidate when `uwi` is set (where [`CandidateTable::from_config`] puts
    /// it): the table of a ranked-choice contest of an election definition.
    pub fn with_write_in<S: AsRef<str>>(names: &[S], uwi: bool) -> Self {
        let mut t = Self::from_names(names);
        if uwi && !t.names.is_empty() {
            t.uwi = Some((t.names.len() - 1) as CandId);
        }
        t
    }

    /// The id for a name or alias as written in a CVR.
    pub fn resolve(&self, name: &str) -> Option<CandId> {
        self.lookup.get(name).copied()
    }
}

/// An immutable store of distinct ballots with counts.
#[derive(Debug, Clone, Default)]
pub struct BallotStore {
    arena: Vec<u32>,
    spans: Vec<(u32, u32)>,
    counts: Vec<u64>,
    max_rank: Vec<u32>,
    total: u64,
}

/// One distinct ballot's rankings.
#[derive(Debug, Clone, Copy)]
pub struct BallotView<'a> {
    enc: &'a [u32],
}

impl<'a> BallotView<'a> {
    /// Ranked groups in rank order: `(rank, candidate ids at that rank)`.
    pub fn ranks(&self) -> RankIter<'a> {
        RankIter { enc: self.enc }
    }

    /// True when the ballot ranks nobody.
    pub fn is_empty(&self) -> bool {
        self.enc.is_empty()
    }
}

/// Iterator over a ballot's `(rank, ids)` groups.
#[derive(Debug, Clone)]
pub struct RankIter<'a> {
    enc: &'a [u32],
}

impl<'a> Iterator for RankIter<'a> {
    type Item = (u32, &'a [u32]);
    fn next(&mut self) -> Option<Self::Item> {
        if self.enc.len() < 2 {
            return None;
        }
        let rank = self.enc[0];
        let n = self.enc[1] as usize;
        let end = (2 + n).min(self.enc.len());
        let ids = &self.enc[2..end];
        self.enc = &self.enc[end..];
        Some((rank, ids))
    }
}

impl BallotStore {
    /// Number of distinct ballots.
    pub fn distinct(&self) -> usize {
        self.counts.len()
    }

    /// Number of ballots (CVRs) read.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Distinct ballot `i`.
    pub fn ballot(&self, i: usize) -> BallotView<'_> {
        let (s, l) = self.spans[i];
        BallotView {
            enc: &self.arena[s as usize..(s + l) as usize],
        }
    }

    /// How many CVRs carry distinct ballot `i`.
    pub fn count(&self, i: usize) -> u64 {
        self.counts[i]
    }

    /// Highest rank used on distinct ballot `i` (0 if it ranks nobody).
    pub fn max_rank(&self, i: usize) -> u32 {
        self.max_rank[i]
    }
}

/// Collects ballots, merging identical ones. Encoded ballots live in one arena; the hash table
/// holds only indices into it, so adding a ballot allocates nothing once warmed up.
#[derive(Default)]
pub struct BallotStoreBuilder {
    index: hashbrown::HashTable<u32>,
    arena: Vec<u32>,
    spans: Vec<(u32, u32)>,
    hashes: Vec<u64>,
    counts: Vec<u64>,
    total: u64,
    scratch: Vec<u32>,
}

impl std::fmt::Debug for BallotStoreBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BallotStoreBuilder")
            .field("distinct", &self.counts.len())
            .field("total", &self.total)
            .finish()
    }
}

impl BallotStoreBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `count` copies of a ballot given as `(rank, id)` pairs in reading order.
    /// Pairs are stably sorted by rank. Ranks must be in `1..=MAX_RANK` (checked by callers).
    pub fn add(&mut self, rankings: &mut [(u32, CandId)], count: u64) {
        rankings.sort_by_key(|&(r, _)| r);
        self.scratch.clear();
        self.scratch.reserve(2 * rankings.len() + 2);
        let mut i = 0;
        while i < rankings.len() {
            let rank = rankings[i].0;
            let mut j = i + 1;
            while j < rankings.len() && rankings[j].0 == rank {
                j += 1;
            }
            self.scratch.push(rank);
            self.scratch.push((j - i) as u32);
            self.scratch
                .extend(rankings[i..j].iter().map(|&(_, id)| id as u32));
            i = j;
        }
        self.total += count;
        let hash = {
            use std::hash::{Hash, Hasher};
            let mut h = rustc_hash::FxHasher::default();
            self.scratch.hash(&mut h);
            h.finish()
        };
        let Self {
            index,
            arena,
            spans,
            hashes,
            counts,
            scratch,
            ..
        } = self;
        let found = index.find(hash, |&i| {
            let (s, l) = spans[i as usize];
            &arena[s as usize..(s + l) as usize] == scratch.as_slice()
        });
        if let Some(&i) = found {
            counts[i as usize] += count;
            return;
        }
        let idx = counts.len() as u32;
        spans.push((arena.len() as u32, scratch.len() as u32));
        arena.extend_from_slice(scratch);
        hashes.push(hash);
        counts.push(count);
        index.insert_unique(hash, idx, |&i| hashes[i as usize]);
    }

    /// Ballots added so far (with multiplicity).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Freezes the store.
    pub fn finish(self) -> BallotStore {
        let max_rank = self
            .spans
            .iter()
            .map(|&(s, l)| {
                let view = BallotView {
                    enc: &self.arena[s as usize..(s + l) as usize],
                };
                view.ranks().last().map(|(r, _)| r).unwrap_or(0)
            })
            .collect();
        BallotStore {
            arena: self.arena,
            spans: self.spans,
            counts: self.counts,
            max_rank,
            total: self.total,
        }
    }
}

/// What a CVR cell or selection means once a source's labels are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A candidate.
    Candidate(CandId),
    /// The explicit overvote label.
    Overvote,
}

/// Where readers put CVRs: resolves names, checks ranks and max rankings, counts unknown names.
pub struct CvrSink<'a> {
    table: &'a CandidateTable,
    builder: &'a mut BallotStoreBuilder,
    max_rankings: Option<u32>,
    cur: Vec<(u32, CandId)>,
    cur_max: u32,
    bad_rank: Option<i64>,
    unknown: BTreeMap<String, u64>,
    records: u64,
}

impl<'a> CvrSink<'a> {
    /// A sink adding to `builder`, resolving with `table`, enforcing `max_rankings`.
    pub fn new(
        table: &'a CandidateTable,
        builder: &'a mut BallotStoreBuilder,
        max_rankings: Option<u32>,
    ) -> Self {
        CvrSink {
            table,
            builder,
            max_rankings,
            cur: Vec::new(),
            cur_max: 0,
            bad_rank: None,
            unknown: BTreeMap::new(),
            records: 0,
        }
    }

    /// The candidate table.
    pub fn table(&self) -> &CandidateTable {
        self.table
    }

    /// Adds a ranking by name (or alias) as written in the CVR.
    pub fn rank_name(&mut self, rank: i64, name: &str) {
        match self.classify(name) {
            Some(m) => self.rank(rank, m),
            None => self.unknown(name),
        }
    }

    /// What a name (or alias) written in a CVR means: a candidate, the explicit overvote
    /// label, or nothing known (`None`). Readers that see the same string many times (ES&S
    /// shared strings) classify it once and reuse the answer.
    pub fn classify(&self, name: &str) -> Option<Mark> {
        match self.table.resolve(name) {
            Some(id) => Some(Mark::Candidate(id)),
            None if name == crate::tabulate::EXPLICIT_OVERVOTE_LABEL => Some(Mark::Overvote),
            None => None,
        }
    }

    /// Records one ranking of a name that [`CvrSink::classify`] does not know; reading fails
    /// at [`CvrSink::finish`] with every such name and how often it was ranked.
    pub fn unknown(&mut self, name: &str) {
        match self.unknown.get_mut(name) {
            Some(n) => *n += 1,
            None => {
                self.unknown.insert(name.to_string(), 1);
            }
        }
    }

    /// Adds a ranking of an already-resolved mark.
    pub fn rank(&mut self, rank: i64, mark: Mark) {
        if rank < 1 || rank > MAX_RANK as i64 {
            self.bad_rank.get_or_insert(rank);
            return;
        }
        let id = match mark {
            Mark::Candidate(id) => id,
            Mark::Overvote => OVERVOTE,
        };
        self.cur.push((rank as u32, id));
        self.cur_max = self.cur_max.max(rank as u32);
    }

    /// Ends the current CVR; `describe` names it in errors (called only on error).
    pub fn end(&mut self, path: &Path, describe: impl FnOnce() -> String) -> Result<(), RcvError> {
        self.records += 1;
        if let Some(r) = self.bad_rank.take() {
            return Err(RcvError::Cvr {
                path: path.to_path_buf(),
                row: Some(self.records),
                column: None,
                why: format!(
                    "CVR {}: invalid ranking {r}; rankings must be 1..={MAX_RANK}",
                    describe()
                ),
            });
        }
        if let Some(max) = self.max_rankings {
            if self.cur_max > max {
                return Err(RcvError::MaxRankingExceeded {
                    path: path.to_path_buf(),
                    cvr: describe(),
                    rank: self.cur_max,
                    max,
                });
            }
        }
        self.builder.add(&mut self.cur, 1);
        self.cur.clear();
        self.cur_max = 0;
        Ok(())
    }

    /// The configured `maxRankingsAllowed` (`None` = "max").
    pub fn max_rankings(&self) -> Option<u32> {
        self.max_rankings
    }

    /// CVRs ended so far through this sink.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Fails if any CVR named a candidate the config does not know (RCTab refuses to tabulate).
    pub fn finish(self, path: &Path) -> Result<u64, RcvError> {
        if !self.unknown.is_empty() {
            return Err(RcvError::UnrecognizedCandidates {
                path: path.to_path_buf(),
                names: self.unknown.into_iter().collect(),
            });
        }
        Ok(self.records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rankings_sort_stably_by_rank() {
        let mut b = BallotStoreBuilder::new();
        // Same-rank candidates keep reading order (RCTab's overvote lists), short and long.
        let mut short = [(3, 7), (1, 5), (3, 2), (2, 9), (1, 4)];
        let mut long: Vec<(u32, CandId)> = (0..100).map(|i| ((i % 7) as u32 + 1, i)).collect();
        b.add(&mut short, 1);
        b.add(&mut long, 1);
        let s = b.finish();
        let groups = |i| -> Vec<(u32, Vec<u32>)> {
            s.ballot(i)
                .ranks()
                .map(|(r, ids)| (r, ids.to_vec()))
                .collect()
        };
        assert_eq!(
            groups(0),
            vec![(1, vec![5, 4]), (2, vec![9]), (3, vec![7, 2])]
        );
        let g = groups(1);
        assert_eq!(g.len(), 7);
        for (r, ids) in g {
            let want: Vec<u32> = (0..100u32).filter(|i| i % 7 + 1 == r).collect();
            assert_eq!(ids, want, "rank {r}");
        }
    }

    #[test]
    fn identical_ballots_merge() {
        let mut b = BallotStoreBuilder::new();
        b.add(&mut [(2, 1), (1, 0)], 1);
        b.add(&mut [(1, 0), (2, 1)], 2);
        b.add(&mut [(1, 1)], 1);
        let s = b.finish();
        assert_eq!(s.distinct(), 2);
        assert_eq!(s.total(), 4);
        assert_eq!(s.count(0), 3);
        let r: Vec<_> = s
            .ballot(0)
            .ranks()
            .map(|(r, ids)| (r, ids.to_vec()))
            .collect();
        assert_eq!(r, vec![(1, vec![0]), (2, vec![1])]);
        assert_eq!(s.max_rank(0), 2);
    }
}
