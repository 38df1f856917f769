//! A batch of statements admitted all or none: a whole results file goes into the log, or
//! nothing of it does.
//!
//! The sequencer first checks every statement of the batch in order against its ledger (each
//! accepted one committed undoably, so a later statement sees the earlier ones, as it will in
//! the log; all of it undone afterwards). If any is refused, nothing is appended and the answer names
//! each refused statement; otherwise the batch is sequenced as one ordinary sequencer batch:
//! the same admission in the same order, so the same outcome, with its entries and checkpoint
//! written in one transaction before any receipt. Batches that waited for the sequencer
//! together are checked one after the other (each seeing those before it) and the ones that
//! passed share that transaction and checkpoint: a county's file costs the disk no sync of
//! its own when others came with it. Held (implausible) statements are not
//! refusals: they are held, as when sent alone, and the rest of the batch is appended. A
//! statement already in the log (byte for byte, or a retry that differs only in its time) is
//! answered with its entry's receipt, flagged `duplicate`, so a retried batch gets the receipts
//! of the first attempt.
//!
//! Only `results` and `cvr` statements come in batches: approvals and key changes are single
//! acts of one person, and a publication names a root that a batch would move.

use std::collections::HashSet;
use std::sync::Arc;

use skytale_model::{Ledger, Rejection, Undo, VerifiedNote};
use skytale_tlog::leaf_hash;
use tokio::sync::oneshot;

use super::{entry_at, ElectionRuntime, Job, LogView, Outcome, Sequencer, SubmitError, Work};

/// Most statements in one batch: a county's precinct file, with room. A larger file goes in
/// several batches, each all or none.
pub const MAX_BATCH_STATEMENTS: usize = 10_000;

/// Why a batch was not sequenced.
#[derive(Debug, Clone)]
pub enum BatchError {
    /// These statements (position in the batch, why) were refused; nothing was appended.
    Refused(Vec<(usize, Rejection)>),
    /// The sequencer's queue is full.
    Busy,
    /// The sequencer stopped; nothing of the batch was acknowledged.
    Unavailable(String),
}

pub(super) struct BatchJob {
    items: Vec<(Arc<[u8]>, VerifiedNote)>,
    reply: oneshot::Sender<Result<Vec<Result<Outcome, SubmitError>>, BatchError>>,
}

impl BatchJob {
    /// Statements in the batch.
    pub(super) fn len(&self) -> usize {
        self.items.len()
    }
}

impl ElectionRuntime {
    /// Queues signature-checked statements to be admitted all or none, and waits for the
    /// durable outcome: one per statement, in order (a receipt, or held), or the refusals.
    pub async fn submit_batch(
        &self,
        items: Vec<(Arc<[u8]>, VerifiedNote)>,
    ) -> Result<Vec<Result<Outcome, SubmitError>>, BatchError> {
        let (reply, rx) = oneshot::channel();
        self.jobs
            .try_send(Work::Batch(BatchJob { items, reply }))
            .map_err(|e| match e {
                flume::TrySendError::Full(_) => BatchError::Busy,
                flume::TrySendError::Disconnected(_) => {
                    BatchError::Unavailable("the sequencer has stopped".into())
                }
            })?;
        rx.await.unwrap_or_else(|_| {
            Err(BatchError::Unavailable(
                "the sequencer stopped before answering".into(),
            ))
        })
    }
}

impl Sequencer {
    /// Batches that waited together: each is checked all or none in arrival order on the
    /// ledger itself (seeing the batches before it as if they were sequenced), then every batch
    /// that passed is sequenced as one sequencer batch: one transaction, one checkpoint and
    /// one kept checkpoint for them all, then the receipts. The outcome of each batch is the
    /// one it would have had alone after the ones before it; the disk syncs are shared.
    pub(super) fn process_batches(&mut self, batches: Vec<BatchJob>) {
        let mut passed = Vec::with_capacity(batches.len());
        {
            let log = self.rt.log.read().unwrap_or_else(|p| p.into_inner());
            let mut check = Check::default();
            for job in batches {
                let mark = check.mark();
                let refused = check.all(&mut self.ledger, &log, &job.items);
                if refused.is_empty() {
                    passed.push(job);
                } else {
                    check.back_to(&mut self.ledger, mark);
                    let _ = job.reply.send(Err(BatchError::Refused(refused)));
                }
            }
            check.back_to(&mut self.ledger, CheckMark::default());
        }
        if passed.is_empty() {
            return;
        }
        let mut jobs = Vec::new();
        let mut waiting = Vec::with_capacity(passed.len());
        for job in passed {
            let mut answers = Vec::with_capacity(job.items.len());
            for (bytes, verified) in job.items {
                let (reply, rx) = oneshot::channel();
                jobs.push(Job {
                    bytes,
                    verified,
                    reply,
                });
                answers.push(rx);
            }
            waiting.push((job.reply, answers));
        }
        // One sequencer batch: one transaction and one checkpoint, answered after both.
        self.process(jobs);
        for (reply, answers) in waiting {
            let outcomes = answers
                .into_iter()
                .map(|mut rx| {
                    rx.try_recv().unwrap_or_else(|_| {
                        Err(SubmitError::Unavailable(
                            "the sequencer gave no answer".into(),
                        ))
                    })
                })
                .collect();
            let _ = reply.send(Ok(outcomes));
        }
    }
}

/// Statements checked so far in a group of batches, as the sequencer would decide them one
/// after the other: what the accepted ones committed to the ledger (to be undone), their
/// entries (a retry of one is answered with it) and every leaf seen (a note sent twice is
/// appended once).
#[derive(Default)]
struct Check {
    undo: Undo,
    fresh: Vec<Arc<[u8]>>,
    seen: HashSet<[u8; 32]>,
    seen_order: Vec<[u8; 32]>,
}

/// How far a [`Check`] had got.
#[derive(Clone, Copy, Default)]
struct CheckMark {
    undo: usize,
    fresh: usize,
    seen: usize,
}

impl Check {
    fn mark(&self) -> CheckMark {
        CheckMark {
            undo: self.undo.mark(),
            fresh: self.fresh.len(),
            seen: self.seen_order.len(),
        }
    }

    /// Undoes everything checked after `mark`.
    fn back_to(&mut self, ledger: &mut Ledger, mark: CheckMark) {
        ledger.undo_to(&mut self.undo, mark.undo);
        self.fresh.truncate(mark.fresh);
        for leaf in self.seen_order.drain(mark.seen..) {
            self.seen.remove(&leaf);
        }
    }

    /// Every statement of `items` refused, in order (duplicates and retries answered, held
    /// ones not committed); each accepted one is committed to `ledger`, undoably, so that the
    /// next sees it.
    fn all(
        &mut self,
        ledger: &mut Ledger,
        log: &LogView,
        items: &[(Arc<[u8]>, VerifiedNote)],
    ) -> Vec<(usize, Rejection)> {
        let mut refused = Vec::new();
        for (i, (bytes, verified)) in items.iter().enumerate() {
            let leaf = leaf_hash(bytes);
            if log.leaf_index.contains_key(&leaf) || !self.seen.insert(leaf) {
                continue;
            }
            self.seen_order.push(leaf);
            let fresh = &self.fresh;
            if ledger
                .retry_of(verified, &|k| entry_at(log, fresh, k))
                .is_some()
            {
                continue;
            }
            match ledger.admit(verified.clone(), &|n| log.tree.root_at(n).ok()) {
                Err(r) => refused.push((i, r)),
                Ok(a) if !a.issues.is_empty() => {}
                Ok(a) => {
                    // Batches carry results and CVR statements only, which can be undone.
                    if ledger.commit_undoable(&a, &mut self.undo) {
                        self.fresh.push(bytes.clone());
                    }
                }
            }
        }
        refused
    }
}
