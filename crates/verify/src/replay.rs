//! Step 3 and the tally half of step 4: replaying the log through the server's own acceptance
//! rules and folding the published tally, with the server's own code for both
//! ([`skytale_model::replay::replay`], [`PublishedTally`]).
//!
//! The replay checks every readable entry in log order. The published tally then walks forward
//! through the sizes the published artefacts name ([`Replayer::view_at`]), smallest first, so
//! each artefact is recomputed at the snapshot it names, however many snapshots a live site
//! showed while it was read.
//!
//! Under an embargo (`approval` publication) the entries after the published size are sealed:
//! the verifier has their leaf hashes (the level-0 hash tiles) but not their text. The
//! publication statements among them are public on their own (the server's approvals
//! document); [`Replayer::prove_publications`] checks each against its leaf and admits it with
//! the same rules, stepping over the sealed entries between them, so a publication completed
//! after the readable prefix is proven too.

use std::collections::HashMap;

use skytale_model::replay::{replay, skip, Refused};
use skytale_model::{Ledger, Publication, Rejection, Statement};
use skytale_note::VerifierKey;
use skytale_render::PublicationRecord;
use skytale_tally::changes::ChangeIndex;
use skytale_tally::{LogPosition, PublishedTally, Tally};
use skytale_tlog::{leaf_hash, Tree};

use crate::report::{Failure, Step};

/// Counts of what was replayed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReplayStats {
    /// Results statements accepted.
    pub results: u64,
    /// Publication statements accepted.
    pub publications: u64,
    /// Key changes accepted.
    pub keys: u64,
    /// CVR batches (ranked-choice ballots) accepted.
    pub cvr: u64,
    /// Result types the officials gave (status statements) accepted.
    pub statuses: u64,
    /// Reviews of held submissions (releases and rejections) accepted.
    pub reviews: u64,
    /// Entries the rules refuse (each is a failure).
    pub rejected: u64,
}

/// The verifier's replay state: the ledger at the end of the readable log, and the published
/// tally at some published size (moved forward by [`Replayer::view_at`]).
pub struct Replayer {
    ledger: Ledger,
    published: PublishedTally,
    /// Every size the log published, with the publication time it records.
    published_times: HashMap<u64, Option<String>>,
    /// Publications completed by statements after the readable prefix (an embargo).
    beyond: Vec<Publication>,
    /// Every results and CVR statement replayed, by index: what the change feed is made from.
    changes: ChangeIndex,
    /// What was replayed so far.
    pub stats: ReplayStats,
}

/// The published state at one size: what every artefact of that snapshot is made from.
pub struct View<'a> {
    pub tally: &'a Tally,
    pub pos: LogPosition,
    pub history: Vec<PublicationRecord>,
    /// The statements replayed, by index (the change feed's index; it may reach past `pos`,
    /// which the feed's document never reads).
    pub changes: &'a ChangeIndex,
}

fn describe(r: &Rejection) -> String {
    match &r.field {
        Some(f) => format!("{} (code {}, field {f})", r.message, r.code.as_str()),
        None => format!("{} (code {})", r.message, r.code.as_str()),
    }
}

impl Replayer {
    /// Starts from the head of the log (entry 0, and the definition parts after it when the
    /// definition is large): the authority's signatures (its key must be `authority` when
    /// pinned) and a valid definition. `log` may go on past the head; replay the rest with
    /// [`Replayer::feed`] from `self.ledger().size()`.
    pub fn genesis(log: &[Vec<u8>], authority: Option<&VerifierKey>) -> Result<Replayer, Failure> {
        let ledger = Ledger::genesis(log, authority)
            .map_err(|e| Failure::new("entry0_invalid", "entry 0", e.to_string()))?;
        let genesis_size = ledger.genesis_size();
        let tally = Tally::new(ledger.definition().clone());
        let mut published_times = HashMap::new();
        let (size, time) = ledger
            .published()
            .map(|(n, t)| (n, t.map(str::to_owned)))
            .unwrap_or((genesis_size, None));
        published_times.insert(size, time);
        Ok(Replayer {
            published: PublishedTally::new(tally, genesis_size, None),
            ledger,
            published_times,
            beyond: Vec::new(),
            changes: ChangeIndex::default(),
            stats: ReplayStats::default(),
        })
    }

    /// The acceptance state.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The log's publications, the ones proven beyond the readable prefix included.
    pub fn publications(&self) -> Vec<Publication> {
        let mut v = self.ledger.publications().to_vec();
        v.extend(self.beyond.iter().cloned());
        v
    }

    /// The latest published size (what a complete site must show).
    pub fn published_size(&self) -> u64 {
        self.beyond
            .last()
            .map(|p| p.tree_size)
            .or_else(|| self.ledger.published().map(|(n, _)| n))
            .unwrap_or(self.ledger.genesis_size())
    }

    /// The size the published tally is at now.
    pub fn tally_size(&self) -> u64 {
        self.published.size()
    }

    /// The publication time recorded in the log for published size `n`, if the log ever
    /// published that size (outer `None`: it never did).
    pub fn published_time(&self, n: u64) -> Option<Option<&str>> {
        self.published_times.get(&n).map(|t| t.as_deref())
    }

    /// Where an artefact of published size `n` stands: the size, the verified tree's root there
    /// and the publication time from the log (`None` if the log never published `n`).
    pub fn position_at(&self, n: u64, tree: &Tree) -> Option<LogPosition> {
        Some(LogPosition {
            tree_size: n,
            root_hash: skytale_model::encode_hash(&tree.root_at(n).ok()?),
            published_at: self.published_time(n)?.map(str::to_owned),
        })
    }

    /// Moves the published tally forward to published size `n` and shows the state there.
    /// Fails (saying why) when the log never published `n`, or when the tally is already past
    /// it (a snapshot older than one verified before).
    pub fn view_at(&mut self, n: u64, tree: &Tree) -> Result<View<'_>, String> {
        let Some(pos) = self.position_at(n, tree) else {
            return Err(format!(
                "the log never published tree size {n} (its latest publication is size {})",
                self.published_size()
            ));
        };
        if n < self.published.size() {
            return Err(format!(
                "tree size {n} is older than size {}, already shown by this source earlier: a snapshot went backwards",
                self.published.size()
            ));
        }
        let publications = self.publications();
        self.published.advance(&publications, n);
        let history = PublicationRecord::history(&publications, n, self.published.previous());
        Ok(View {
            tally: self.published.tally(),
            pos,
            history,
            changes: &self.changes,
        })
    }

    /// A copy of the published tally where it is now (the monitor keeps it across a round, so
    /// the next round can start from the oldest snapshot this one saw).
    pub fn save_tally(&self) -> PublishedTally {
        self.published.clone()
    }

    /// Puts back a copy made by [`Replayer::save_tally`].
    pub fn restore_tally(&mut self, saved: PublishedTally) {
        self.published = saved;
    }

    /// Replays `entries`, which must be log entries `first_index..`, with `tree` holding at
    /// least those leaves (for publication roots). Rule violations go to `step`.
    pub fn feed(
        &mut self,
        first_index: u64,
        entries: &[Vec<u8>],
        tree: &Tree,
        step: &mut Step,
        progress: &dyn Fn(u64),
    ) {
        if first_index != self.ledger.size() {
            step.fail(Failure::new(
                "replay_gap",
                format!("entry {first_index}"),
                format!(
                    "the replay is at entry {} but was given entries from {first_index}",
                    self.ledger.size()
                ),
            ));
            return;
        }
        let automatic = self.ledger.definition().definition().publication.mode
            == skytale_model::PublicationMode::Automatic;
        let Replayer {
            ledger,
            published,
            published_times,
            changes,
            stats,
            ..
        } = self;
        let def = ledger.definition().clone();
        // Under `automatic` publication every size is published, at the time of its latest
        // statement (`submitted_at` or `signed_at`), as `Ledger::published` gives it.
        let times = std::cell::RefCell::new((
            &mut *published_times,
            ledger.published().and_then(|(_, t)| t.map(str::to_owned)),
        ));
        let mark = |index: u64, time: Option<&str>| {
            if automatic {
                let mut t = times.borrow_mut();
                if let Some(time) = time {
                    t.1 = Some(time.to_owned());
                }
                let latest = t.1.clone();
                t.0.insert(index + 1, latest);
            }
        };
        let mut done = 0u64;
        let stats = std::cell::RefCell::new(stats);
        let step = std::cell::RefCell::new(step);
        let outcome: Result<(), ()> = replay(
            ledger,
            entries,
            &|n| tree.root_at(n).ok(),
            |index, a| {
                if !a.issues.is_empty() {
                    let why: Vec<String> = a
                        .issues
                        .iter()
                        .map(|x| format!("{}: {}", x.field, x.why))
                        .collect();
                    step.borrow_mut().fail(Failure::new(
                        "entry_implausible",
                        format!("entry {index}"),
                        format!(
                            "the server must hold this statement for review, not log it: {}",
                            why.join("; ")
                        ),
                    ));
                }
                let mut stats = stats.borrow_mut();
                let time = match &a.verified.statement {
                    Statement::Results(r) => {
                        stats.results += 1;
                        Some(r.submitted_at.as_str())
                    }
                    Statement::Cvr(c) => {
                        stats.cvr += 1;
                        Some(c.submitted_at.as_str())
                    }
                    Statement::Publication(p) => {
                        stats.publications += 1;
                        Some(p.signed_at.as_str())
                    }
                    Statement::Key(_) => {
                        stats.keys += 1;
                        None
                    }
                    Statement::Status(st) => {
                        stats.statuses += 1;
                        Some(st.signed_at.as_str())
                    }
                    Statement::Review(rv) => {
                        stats.reviews += 1;
                        Some(rv.signed_at.as_str())
                    }
                    Statement::Election(_) | Statement::DefinitionPart(_) => None,
                };
                mark(index, time);
                changes.record(&def, index, &a.verified.statement);
                published.push(index, a.verified.statement);
                done += 1;
                if done.is_multiple_of(4096) {
                    progress(4096);
                }
            },
            |index, r| {
                stats.borrow_mut().rejected += 1;
                step.borrow_mut().fail(Failure::new(
                    "entry_rejected",
                    format!("entry {index}"),
                    describe(&r),
                ));
                mark(index, None);
                Refused::Skip
            },
        );
        let _ = outcome;
        progress(done % 4096);
        drop(times);
        if !automatic {
            for p in self.ledger.publications() {
                self.published_times
                    .insert(p.tree_size, Some(p.published_at.clone()));
            }
        }
    }

    /// Proves the publications that statements after the readable prefix complete (an
    /// embargo): each of `statements` (log index, signed note) must be the entry the verified
    /// tree has at that index, and is admitted by the rules on a copy of the ledger that steps
    /// over the sealed entries in between. Problems go to `step`.
    pub fn prove_publications(
        &mut self,
        statements: &[(u64, Vec<u8>)],
        tree: &Tree,
        step: &mut Step,
    ) {
        let mut l = self.ledger.clone();
        let known = l.publications().len();
        let mut sorted: Vec<&(u64, Vec<u8>)> = statements.iter().collect();
        sorted.sort_by_key(|(i, _)| *i);
        for (index, note) in sorted {
            let here = format!("approvals document, statement at index {index}");
            if *index < l.size() {
                continue;
            }
            if tree.leaf(*index) != Some(leaf_hash(note)) {
                step.fail(Failure::new(
                    "approval_not_in_log",
                    here,
                    "this statement is not the log's entry at that index (its leaf hash differs, or the index is beyond the checkpoint)",
                ));
                continue;
            }
            while l.size() < *index {
                skip(&mut l);
            }
            match l.check(note, &|n| tree.root_at(n).ok()) {
                Ok(a) if matches!(a.verified.statement, Statement::Publication(_)) => {
                    l.commit(&a);
                }
                Ok(_) => step.fail(Failure::new(
                    "approval_malformed",
                    here,
                    "not a publication statement",
                )),
                Err(r) => step.fail(Failure::new("approval_rejected", here, describe(&r))),
            }
        }
        self.beyond = l.publications()[known..].to_vec();
        for p in &self.beyond {
            self.published_times
                .insert(p.tree_size, Some(p.published_at.clone()));
        }
    }
}
