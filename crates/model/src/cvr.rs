//! `cvr` statements: the cast vote records of a ranked-choice contest, signed at their source.
//!
//! A ranked-choice result cannot be summed from per-unit counts: every round re-reads the
//! ballots. So a reporter submits the ballots themselves, bound to the tabulator's export by
//! its SHA-256 and format name, and anyone who replays the log can recount. A real CVR is
//! megabytes (Minneapolis 2013: 80,101 ballots) while a log entry holds at most 65,535 bytes,
//! so one file is carried by a numbered **series** of statements, batch `i` of `n`, each naming
//! the same file hash, version and ballot total.
//!
//! Ballots are written compactly: identical ballots once, with a count. A pattern is a JSON
//! array `[count, rank 1, rank 2, …]`; a rank is `""` (skipped), a selection id, several ids
//! joined by `+` (an overvote: several candidates at one rank, in reading order), or
//! [`OVERVOTE_MARKER`] (a cell the tabulator marked as an overvote). Ranks after the last
//! marked one are left out.
//!
//! Series and versions (checked by [`crate::Ledger`]): a higher version starts a new series
//! that, once complete, replaces the unit's ballots for the contest; batches of one series
//! must agree on everything but their number and ballots, each number comes once, and the
//! ballot counts of a complete series add up to its `file_ballots`.

use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::statement::{SourceFile, Statement};

/// A rank the tabulator's export marks as an overvote (RCTab's explicit `overvote` label).
/// Selection ids cannot contain `@`, so the marker never names a candidate.
pub const OVERVOTE_MARKER: &str = "@overvote";
/// Most batches one CVR file may be cut into (10⁵ × 64 KB ≈ 6 GB, beyond any CVR export).
pub const MAX_CVR_BATCHES: u32 = 100_000;
/// Room kept in each batch's note for the signature lines and the JSON frame.
const BATCH_FRAME_BYTES: usize = 2_048;

/// One batch of a CVR file's ballots for one contest in one unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CvrStatement {
    pub election: String,
    pub contest: String,
    pub unit: String,
    /// Per unit and contest; strictly increases from series to series. A new version's complete
    /// series replaces the unit's ballots.
    pub version: u64,
    /// When the reporter signed it (RFC 3339, the reporter's clock).
    pub submitted_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The CVR export the ballots were read from (format as `skytale rcv` names RCTab's
    /// providers: `ess`, `cdf`, `dominion`, `hart`, `clearBallot`, `genericCsv`).
    pub source: SourceFile,
    /// This batch's number, 1-based.
    pub batch: u32,
    /// How many batches the file was cut into.
    pub batches: u32,
    /// Ballots in the whole file (all batches together).
    pub file_ballots: u64,
    /// Distinct ballots of this batch with their counts.
    pub ballots: Vec<BallotPattern>,
}

/// A ballot and how many CVRs carry it: `[count, rank 1, rank 2, …]` in JSON.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BallotPattern {
    pub count: u64,
    /// Rank `k` (1-based) is `ranks[k - 1]`; see the module documentation.
    pub ranks: Vec<String>,
}

impl BallotPattern {
    /// The selection ids (or [`OVERVOTE_MARKER`]) at each marked rank, as `(rank, token)`.
    pub fn marks(&self) -> impl Iterator<Item = (u32, &str)> {
        self.ranks.iter().enumerate().flat_map(|(i, r)| {
            r.split('+')
                .filter(move |_| !r.is_empty())
                .map(move |t| (i as u32 + 1, t))
        })
    }

    /// Highest rank that marks something (0 for a ballot that ranks nobody).
    pub fn max_rank(&self) -> u32 {
        self.ranks
            .iter()
            .rposition(|r| !r.is_empty())
            .map_or(0, |i| i as u32 + 1)
    }
}

impl Serialize for BallotPattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.ranks.len() + 1))?;
        seq.serialize_element(&self.count)?;
        for r in &self.ranks {
            seq.serialize_element(r)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for BallotPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<BallotPattern, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BallotPattern;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array [count, rank 1, rank 2, …]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<BallotPattern, A::Error> {
                let count: u64 = a
                    .next_element()?
                    .ok_or_else(|| de::Error::custom("a ballot pattern needs its count first"))?;
                let mut ranks = Vec::with_capacity(a.size_hint().unwrap_or(4));
                while let Some(r) = a.next_element::<String>()? {
                    if ranks.len() >= skytale_rcv::ballots::MAX_RANK as usize {
                        return Err(de::Error::custom(format!(
                            "more than {} ranks",
                            skytale_rcv::ballots::MAX_RANK
                        )));
                    }
                    ranks.push(r);
                }
                Ok(BallotPattern { count, ranks })
            }
        }
        d.deserialize_seq(V)
    }
}

/// What every batch of one file shares.
#[derive(Clone, Debug, PartialEq)]
pub struct CvrHeader {
    pub election: String,
    pub contest: String,
    pub unit: String,
    pub version: u64,
    pub submitted_at: String,
    pub reason: Option<String>,
    pub source: SourceFile,
}

/// Ballot patterns of a ballot store (skytale-rcv's readers dedupe while reading), with
/// candidate `i` written as `ids[i]` and RCTab's explicit overvote as [`OVERVOTE_MARKER`].
/// `None` if a ballot names a candidate outside `ids`.
pub fn patterns_from_store(
    store: &skytale_rcv::ballots::BallotStore,
    ids: &[String],
) -> Option<Vec<BallotPattern>> {
    let mut out = Vec::with_capacity(store.distinct());
    for i in 0..store.distinct() {
        let mut ranks: Vec<String> = Vec::new();
        for (rank, cands) in store.ballot(i).ranks() {
            let slot = rank.checked_sub(1)? as usize;
            if ranks.len() <= slot {
                ranks.resize(slot + 1, String::new());
            }
            let mut cell = String::new();
            for &c in cands {
                let token = if c == u32::from(skytale_rcv::ballots::OVERVOTE) {
                    OVERVOTE_MARKER
                } else {
                    ids.get(c as usize)?.as_str()
                };
                if !cell.is_empty() {
                    cell.push('+');
                }
                cell.push_str(token);
            }
            ranks[slot] = cell;
        }
        out.push(BallotPattern {
            count: store.count(i),
            ranks,
        });
    }
    Some(out)
}

/// Cuts a file's ballots into numbered batches whose notes fit a log entry: greedy and
/// deterministic (same ballots in the same order, same batches). Every batch names the same
/// file, version and total; a file without ballots is one empty batch.
pub fn batch_cvr(header: &CvrHeader, patterns: Vec<BallotPattern>) -> Vec<CvrStatement> {
    batch_cvr_within(header, patterns, crate::MAX_ENTRY_BYTES - BATCH_FRAME_BYTES)
}

/// [`batch_cvr`] with a chosen budget of statement text per batch (tests cut finer).
pub fn batch_cvr_within(
    header: &CvrHeader,
    patterns: Vec<BallotPattern>,
    max_text_bytes: usize,
) -> Vec<CvrStatement> {
    let file_ballots = patterns.iter().map(|p| p.count).sum();
    let make = |ballots: Vec<BallotPattern>| CvrStatement {
        election: header.election.clone(),
        contest: header.contest.clone(),
        unit: header.unit.clone(),
        version: header.version,
        submitted_at: header.submitted_at.clone(),
        reason: header.reason.clone(),
        source: header.source.clone(),
        batch: MAX_CVR_BATCHES,
        batches: MAX_CVR_BATCHES,
        file_ballots,
        ballots,
    };
    let frame = Statement::Cvr(make(Vec::new())).to_note_text().len();
    let budget = max_text_bytes.saturating_sub(frame).max(1);
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut used = 0usize;
    for p in patterns {
        let len = serde_json::to_string(&p).map_or(0, |s| s.len()) + 1;
        if !cur.is_empty() && used + len > budget {
            out.push(make(std::mem::take(&mut cur)));
            used = 0;
        }
        used += len;
        cur.push(p);
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(make(cur));
    }
    let n = out.len() as u32;
    for (i, s) in out.iter_mut().enumerate() {
        s.batch = i as u32 + 1;
        s.batches = n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_round_trip_as_arrays() {
        let p = BallotPattern {
            count: 12,
            ranks: vec!["a".into(), "".into(), "b+c".into()],
        };
        let j = serde_json::to_string(&p).unwrap();
        assert_eq!(j, r#"[12,"a","","b+c"]"#);
        assert_eq!(serde_json::from_str::<BallotPattern>(&j).unwrap(), p);
        assert_eq!(p.max_rank(), 3);
        let marks: Vec<_> = p.marks().collect();
        assert_eq!(marks, vec![(1, "a"), (3, "b"), (3, "c")]);
        assert!(serde_json::from_str::<BallotPattern>("[]").is_err());
        assert!(serde_json::from_str::<BallotPattern>(r#"["a"]"#).is_err());
    }
}
