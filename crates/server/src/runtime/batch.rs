//! A batch of statements admitted all or none: a whole results file goes into the log, or
//! nothing of it does.
//!
//! The sequencer first checks every statement of the batch in order against a scratch copy of
//! its ledger (each accepted one committed to the copy, so a later statement sees the earlier
//! ones, as it will in the log). If any is refused, nothing is appended and the answer names
//! each refused statement; otherwise the batch is sequenced as one ordinary sequencer batch:
//! the same admission in the same order, so the same outcome, with its entries and checkpoint
//! written in one transaction before any receipt. Held (implausible) statements are not
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
    /// Checks the whole batch on a scratch ledger; sequences it only if nothing is refused.
    pub(super) fn process_all_or_none(&mut self, job: BatchJob) {
        let refused = {
            let log = self.rt.log.read().unwrap_or_else(|p| p.into_inner());
            check_all(&mut self.ledger, &log, &job.items)
        };
        if !refused.is_empty() {
            let _ = job.reply.send(Err(BatchError::Refused(refused)));
            return;
        }
        let (jobs, answers): (Vec<Job>, Vec<_>) = job
            .items
            .into_iter()
            .map(|(bytes, verified)| {
                let (reply, rx) = oneshot::channel();
                (
                    Job {
                        bytes,
                        verified,
                        reply,
                    },
                    rx,
                )
            })
            .unzip();
        // One sequencer batch: one transaction and one checkpoint, answered after both.
        self.process(jobs);
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
        let _ = job.reply.send(Ok(outcomes));
    }
}

/// Every statement of `items` refused by the ledger, in order, as the sequencer would decide
/// them one after the other (duplicates and retries answered, held ones not committed). Each
/// accepted one is committed to the ledger itself so that the next sees it, and all of that is
/// undone before returning: the ledger is as it was (a copy of a national election's ledger per
/// batch cost more than the batch's checks).
fn check_all(
    ledger: &mut Ledger,
    log: &LogView,
    items: &[(Arc<[u8]>, VerifiedNote)],
) -> Vec<(usize, Rejection)> {
    let mut undo = Undo::default();
    let mut fresh: Vec<Arc<[u8]>> = Vec::new();
    let mut seen = HashSet::new();
    let mut refused = Vec::new();
    for (i, (bytes, verified)) in items.iter().enumerate() {
        let leaf = leaf_hash(bytes);
        if log.leaf_index.contains_key(&leaf) || !seen.insert(leaf) {
            continue;
        }
        if ledger
            .retry_of(verified, &|k| entry_at(log, &fresh, k))
            .is_some()
        {
            continue;
        }
        match ledger.admit(verified.clone(), &|n| log.tree.root_at(n).ok()) {
            Err(r) => refused.push((i, r)),
            Ok(a) if !a.issues.is_empty() => {}
            Ok(_) if i + 1 == items.len() => {}
            Ok(a) => {
                // Batches carry results and CVR statements only, which can be undone.
                if ledger.commit_undoable(&a, &mut undo) {
                    fresh.push(bytes.clone());
                }
            }
        }
    }
    ledger.undo(undo);
    refused
}
