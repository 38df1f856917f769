//! Ranked-choice contests in the tally: the ballots of admitted `cvr` series, and RCTab-style
//! rounds computed from them by skytale-rcv.
//!
//! Folding a batch in only files its ballots (already encoded as candidate ids) under its unit;
//! nothing is tabulated then, so an election night's stream of statements stays cheap. The
//! rounds are computed when a results document is built, and cached by the set of series they
//! were computed from (unit and version: admission makes a version name exactly one file), so
//! documents built again without new complete series reuse them.
//!
//! Which ballots count: per unit, its newest *complete* series (a newer series still missing
//! batches is listed as pending and counts for nothing yet); and, as the roll-up rule says for
//! counts, a unit's own ballots shadow those of the units below it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use skytale_model::{CvrStatement, SourceFile, ValidDefinition, OVERVOTE_MARKER};
use skytale_rcv::ballots::{BallotStoreBuilder, CandId, CandidateTable, OVERVOTE};
use skytale_rcv::config::Rules;
use skytale_rcv::report::{build_rounds, ReportRound};

/// One distinct ballot: `(rank, candidate)` pairs in reading order, and how many carry it.
type EncBallot = (Vec<(u32, CandId)>, u64);

/// One CVR series (one file) of one unit.
#[derive(Clone, Debug)]
struct Series {
    version: u64,
    source: SourceFile,
    batches: u32,
    file_ballots: u64,
    submitted_at: String,
    received: BTreeMap<u32, Arc<Vec<EncBallot>>>,
}

#[derive(Clone, Debug, Default)]
struct UnitCvr {
    complete: Option<Arc<Series>>,
    pending: Option<Series>,
}

/// Rounds computed for one set of series.
type Cache = Arc<Mutex<Option<(Vec<(usize, u64)>, RankedChoiceResult)>>>;

/// The ballots of one ranked-choice contest.
#[derive(Clone, Debug)]
pub(crate) struct RankedContest {
    rules: Rules,
    table: CandidateTable,
    /// Selection index → candidate id in `table`.
    cand: Vec<CandId>,
    /// Candidate id → selection id (the labels of the rounds).
    labels: Vec<String>,
    units: BTreeMap<usize, UnitCvr>,
    cache: Cache,
}

/// What a batch did to its unit.
pub(crate) enum Applied {
    /// Filed; the series is still missing batches.
    Pending,
    /// The batch completed its series, which now carries the unit's ballots.
    Completed { ballots: u64 },
    /// Not for this contest's current series (acceptance refuses these; replay ignores them).
    Ignored,
}

impl RankedContest {
    /// The contest's candidate table: declared candidates in definition order with their
    /// default-language names (tie-breaks order by name, as RCTab's by its config's), the
    /// write-in selection last as RCTab's undeclared write-ins. `None` if not ranked-choice.
    pub(crate) fn new(def: &ValidDefinition, ci: usize) -> Option<RankedContest> {
        let c = &def.contests()[ci];
        let rules = c.tabulation.clone()?;
        let lang = &def.definition().default_language;
        let order: Vec<usize> = (0..c.selections.len())
            .filter(|&s| !c.selections[s].write_in)
            .chain((0..c.selections.len()).filter(|&s| c.selections[s].write_in))
            .collect();
        let mut cand = vec![0; c.selections.len()];
        let mut names = Vec::with_capacity(order.len());
        let mut labels = Vec::with_capacity(order.len());
        for (k, &s) in order.iter().enumerate() {
            cand[s] = k as CandId;
            let sel = &c.selections[s];
            names.push(def.text(&sel.name, lang).to_string());
            labels.push(sel.id.clone());
        }
        let uwi = c.selections.iter().any(|s| s.write_in);
        Some(RankedContest {
            rules,
            table: CandidateTable::with_write_in(&names, uwi),
            cand,
            labels,
            units: BTreeMap::new(),
            cache: Arc::default(),
        })
    }

    /// Files one admitted batch.
    pub(crate) fn apply(
        &mut self,
        def: &ValidDefinition,
        ci: usize,
        unit: usize,
        c: &CvrStatement,
    ) -> Applied {
        let ballots: Vec<EncBallot> = c
            .ballots
            .iter()
            .map(|p| {
                let marks = p
                    .marks()
                    .filter_map(|(rank, token)| {
                        if token == OVERVOTE_MARKER {
                            Some((rank, OVERVOTE))
                        } else {
                            let s = def.selection_index(ci, token)?;
                            Some((rank, *self.cand.get(s)?))
                        }
                    })
                    .collect();
                (marks, p.count)
            })
            .collect();
        let u = self.units.entry(unit).or_default();
        if u.complete.as_ref().is_some_and(|s| s.version >= c.version) {
            return Applied::Ignored;
        }
        let fresh = match &u.pending {
            Some(p) if p.version == c.version => false,
            Some(p) if p.version > c.version => return Applied::Ignored,
            _ => true,
        };
        if fresh {
            u.pending = Some(Series {
                version: c.version,
                source: c.source.clone(),
                batches: c.batches,
                file_ballots: c.file_ballots,
                submitted_at: c.submitted_at.clone(),
                received: BTreeMap::new(),
            });
        }
        let Some(p) = u.pending.as_mut() else {
            return Applied::Ignored;
        };
        p.received.insert(c.batch, Arc::new(ballots));
        if p.received.len() < p.batches as usize {
            return Applied::Pending;
        }
        let done = u.pending.take().map(Arc::new);
        let ballots = done.as_ref().map_or(0, |s| s.file_ballots);
        u.complete = done;
        Applied::Completed { ballots }
    }

    /// The units whose complete series count: no ancestor has one of its own.
    fn counted(&self, def: &ValidDefinition) -> Vec<(usize, Arc<Series>)> {
        let has = |u: usize| self.units.get(&u).is_some_and(|x| x.complete.is_some());
        self.units
            .iter()
            .filter_map(|(&u, x)| Some((u, x.complete.clone()?)))
            .filter(|(u, _)| {
                std::iter::successors(def.parent(*u), |&p| def.parent(p))
                    .take(def.units().len())
                    .all(|a| !has(a))
            })
            .collect()
    }

    /// The rounds and what they were computed from; tabulated only when the counted series
    /// changed since the last call.
    pub(crate) fn result(&self, def: &ValidDefinition) -> RankedChoiceResult {
        let counted = self.counted(def);
        let key: Vec<(usize, u64)> = counted.iter().map(|(u, s)| (*u, s.version)).collect();
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let mut result = match cache.as_ref() {
            Some((k, r)) if *k == key => r.clone(),
            _ => {
                let r = self.tabulate(&counted);
                *cache = Some((key, r.clone()));
                r
            }
        };
        drop(cache);
        // Files and pending series are cheap to list and may change without the rounds
        // changing (a shadowed unit, a new incomplete series).
        let unit_id = |u: usize| def.units()[u].id.clone();
        result.files = self
            .units
            .iter()
            .filter_map(|(&u, x)| {
                let s = x.complete.as_ref()?;
                Some(CvrFile {
                    unit: unit_id(u),
                    version: s.version,
                    source: s.source.clone(),
                    submitted_at: s.submitted_at.clone(),
                    batches: s.batches,
                    ballots: s.file_ballots,
                    counted: counted.iter().any(|(c, _)| *c == u),
                })
            })
            .collect();
        result.pending = self
            .units
            .iter()
            .filter_map(|(&u, x)| {
                let s = x.pending.as_ref()?;
                Some(PendingSeries {
                    unit: unit_id(u),
                    version: s.version,
                    source: s.source.clone(),
                    batches: s.batches,
                    received: s.received.len() as u32,
                })
            })
            .collect();
        result.complete = result.pending.is_empty();
        result
    }

    fn tabulate(&self, counted: &[(usize, Arc<Series>)]) -> RankedChoiceResult {
        let mut builder = BallotStoreBuilder::new();
        let mut scratch = Vec::new();
        for (_, s) in counted {
            for batch in s.received.values() {
                for (marks, count) in batch.iter() {
                    scratch.clear();
                    scratch.extend_from_slice(marks);
                    builder.add(&mut scratch, *count);
                }
            }
        }
        let store = builder.finish();
        let mut out = RankedChoiceResult {
            ballots: store.total(),
            ..RankedChoiceResult::default()
        };
        if store.total() == 0 {
            return out;
        }
        let sequential = self.rules.winner_mode == skytale_rcv::config::WinnerMode::MultiPassIrv;
        match skytale_rcv::session::tabulate_passes(&self.rules, &self.table, &store) {
            Err(e) => out.error = Some(e.to_string()),
            Ok(passes) => {
                let surpluses = !sequential && self.rules.uses_surpluses();
                for t in &passes {
                    let winners: Vec<String> = t
                        .winners
                        .iter()
                        .map(|c| self.labels[*c as usize].clone())
                        .collect();
                    out.winners.extend(winners.iter().cloned());
                    out.passes.push(Pass {
                        winners,
                        rounds: build_rounds(&self.table, &self.labels, surpluses, t),
                    });
                }
                out.threshold = passes
                    .last()
                    .and_then(|t| t.rounds.last())
                    .map(|r| r.threshold.to_string());
            }
        }
        out
    }
}

/// A ranked-choice contest's result in the results document (`contests[].ranked_choice`).
///
/// `passes[].rounds[]` has the shape of a round of RCTab's detailed report (`round`, `tally`,
/// `tallyResults` with `elected`/`eliminated` and `transfers`, `inactiveBallots`,
/// `threshold`; votes as decimal strings), with candidates named by selection id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RankedChoiceResult {
    /// Ballots tabulated (all counted files).
    pub ballots: u64,
    /// No series is missing batches.
    pub complete: bool,
    /// Complete CVR files, and whether each counts (a unit's own file shadows those below it).
    pub files: Vec<CvrFile>,
    /// Series still missing batches: not counted yet.
    pub pending: Vec<PendingSeries>,
    /// Selection ids of the winners, in the order elected.
    pub winners: Vec<String>,
    /// Threshold of the last round.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
    /// One tabulation, or one per seat of a sequential (`multiPassIrv`) contest.
    pub passes: Vec<Pass>,
    /// Why the ballots could not be tabulated (e.g. a tie that the rules leave to an operator).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One tabulation pass.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Pass {
    pub winners: Vec<String>,
    pub rounds: Vec<ReportRound>,
}

/// A complete CVR file of one unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CvrFile {
    pub unit: String,
    pub version: u64,
    pub source: SourceFile,
    pub submitted_at: String,
    pub batches: u32,
    pub ballots: u64,
    pub counted: bool,
}

/// A CVR series still missing batches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PendingSeries {
    pub unit: String,
    pub version: u64,
    pub source: SourceFile,
    pub batches: u32,
    pub received: u32,
}
