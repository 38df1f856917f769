//! One election's live state: the replayed log, the sequencer thread, and the publisher and
//! site that own what the public sees.
//!
//! Data flow: HTTP handlers parse and signature-check a submission in parallel
//! ([`skytale_model::verify_note`]), then hand it to the election's **sequencer**, a single
//! thread that owns the acceptance [`Ledger`]. The sequencer takes whatever submissions are
//! waiting (a batch), admits them in order, writes the accepted entries and a freshly signed
//! checkpoint to the store in one transaction, and only then answers each submitter with a
//! receipt. One fsync per batch, not per entry, and one more for the kept checkpoint
//! ([`Store::keep_checkpoint`]), the copy of the last signed checkpoint outside the database.
//! The batch's implausible submissions are held in one transaction of their own, after the
//! log's lock is let go. It then hands the batch to the election's [`crate::publisher`],
//! which folds what the publication policy makes public into snapshots.
//!
//! **Invariant:** the log key never signs two checkpoints for one size. Start-up refuses a
//! store below (or beside) the kept checkpoint ([`check_kept_checkpoint`]), and the
//! sequencer's [`LogSigner`] refuses to sign a size at or below the last one it kept unless
//! the root is the same.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rayon::prelude::*;
use skytale_model::replay::{replay, Refused, REPLAY_CHUNK};
use skytale_model::{
    encode_hash, verify_note, Admitted, KeyRing, Ledger, Publication, RejectCode, Rejection,
    Statement, ValidDefinition, VerifiedNote,
};
use skytale_note::{Note, SigningKey, VerifierKey};
use skytale_store::{Extends, Hold, HoldRequest, Store};
use skytale_tally::{LogPosition, PublishedTally, Tally};
use skytale_tlog::{leaf_hash, Checkpoint, Hash, Tree};
use tokio::sync::{broadcast, oneshot};

use crate::publisher::{Committed, Publisher};

mod batch;
pub use batch::{BatchError, MAX_BATCH_STATEMENTS};

/// Most submissions sequenced in one batch (one transaction, one checkpoint).
pub const MAX_BATCH: usize = 4096;
/// Submissions waiting for the sequencer before new ones are turned away with 429.
pub const QUEUE_DEPTH: usize = 65_536;

/// Why a runtime could not be started from the store.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] skytale_store::StoreError),
    #[error("election {election}: entry 0: {source}")]
    Genesis {
        election: String,
        source: skytale_model::GenesisError,
    },
    #[error("election {election}: stored entry {index} is not acceptable ({rejection}); the database was changed outside skytale")]
    Corrupt {
        election: String,
        index: u64,
        rejection: Rejection,
    },
    #[error("election {election}: the log signing key: {why}")]
    LogKey { election: String, why: String },
    #[error("election {election}: the stored checkpoint does not match the log ({why}); the database was changed outside skytale")]
    Checkpoint { election: String, why: String },
    #[error("election {election}: the definition's witnesses: {why}")]
    Witness { election: String, why: String },
    #[error("election {election}: the database holds {store_size} entries, but the log key already signed a checkpoint of size {kept_size} (kept in {kept}); the database lost acknowledged entries (a truncated WAL, a lost disk cache, an older copy restored). Refusing to start: signing on from {store_size} would fork the log. Restore the newer database (skytale.sqlite with its -wal file) that holds all {kept_size} entries")]
    RolledBack {
        election: String,
        store_size: u64,
        kept_size: u64,
        kept: String,
    },
    #[error("election {election}: the database's log (size {store_size}) does not contain the checkpoint the log key signed at size {kept_size} (kept in {kept}): {why}. Refusing to start: the database is not the one the log key signed for. Restore the database that matches it")]
    Diverged {
        election: String,
        store_size: u64,
        kept_size: u64,
        kept: String,
        why: String,
    },
    #[error("election {election}: the database has no such election (store size 0), but its log key already signed a checkpoint of size {kept_size} (kept in {kept}); the database was deleted or replaced. Refusing to start as if it never existed. Restore the database that holds its {kept_size} entries")]
    Lost {
        election: String,
        kept_size: u64,
        kept: String,
    },
}

/// What a submitter gets back.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Appended (or already appended: `duplicate`) at `index`.
    Accepted(Receipt),
    /// Held for review: plausibility problems.
    Held {
        id: i64,
        reasons: Vec<skytale_model::PlausibilityIssue>,
    },
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Receipt {
    pub election: String,
    pub index: u64,
    pub leaf_hash: String,
    pub tree_size: u64,
    pub checkpoint: String,
    pub inclusion_proof: Vec<String>,
    /// The submission was already in the log: this is the receipt of its entry.
    pub duplicate: bool,
    /// With `duplicate`: the entry as it is in the log (for a retry that differed only in its
    /// time, the note first accepted), so the submitter can check the proof against it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
}

/// Why a submission failed.
#[derive(Debug, Clone)]
pub enum SubmitError {
    Rejected(Rejection),
    /// The store failed; nothing was acknowledged.
    Unavailable(String),
    /// Too many submissions waiting.
    Busy,
    /// The reporter key already has this many submissions held for review, the most
    /// [`skytale_store::MAX_HELD_PER_KEY`] allows; this one was not stored.
    TooManyHeld {
        pending: u64,
    },
}

struct Job {
    /// The note as it will sit in the log (one copy of the request body, never copied again).
    bytes: Arc<[u8]>,
    verified: VerifiedNote,
    reply: oneshot::Sender<Result<Outcome, SubmitError>>,
}

/// What waits for the sequencer: one submission, or a batch admitted all or none
/// (see [`batch`]). Single submissions are nearly all the traffic, so they stay unboxed (no
/// allocation per statement); a batch is the small variant.
#[allow(clippy::large_enum_variant)]
enum Work {
    One(Job),
    Batch(batch::BatchJob),
    /// A question about the acceptance state (where held submissions stand, a unit's last
    /// version): the ledger is the sequencer's, so it answers, between batches.
    Ask(LedgerQuestion),
}

/// A read of the sequencer's ledger; it sends its own answer.
type LedgerQuestion = Box<dyn FnOnce(&Ledger) + Send>;

/// A held note to place: its SHA-256 (hex) and its statement.
pub type HeldItem = (String, skytale_model::ResultsStatement);

/// Where a held note stands and the log index of its unit's last accepted results (to show
/// what a release would change).
#[derive(Clone, Copy, Debug)]
pub struct HeldPlace {
    pub state: skytale_model::HeldState,
    pub unit_last_entry: Option<u64>,
}

/// How long an officials' read waits for the sequencer (a busy night's batch takes
/// milliseconds; a following node's sequencer never answers, its console reads the
/// sequencing node's).
const ASK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The committed log, shared with readers (tiles, receipts).
pub struct LogView {
    pub tree: Tree,
    /// Entries `[0, size)`: the newest in memory, the rest read from the store.
    pub entries: crate::entries::LogEntries,
    /// Committed size: everything above it is being written and must not be served.
    pub size: u64,
    pub checkpoint: Arc<[u8]>,
    pub leaf_index: HashMap<Hash, u64>,
    /// Entries `[0, published)` are public: under `approval` publication, the ones above are
    /// sealed until the approvers' go-ahead (served to signed-in officials only); under
    /// `automatic`, equal to `size`.
    pub published: u64,
    /// The log's publications (`approval` mode), oldest first.
    pub publications: Arc<Vec<Publication>>,
    /// Indexes of every publication statement (approvals), in log order: public even under an
    /// embargo (they carry no results), so anyone can check the approvals in the approvals
    /// document.
    pub approval_indexes: Vec<u64>,
    /// Indexes of the officials' entries (anything but results and ballots,
    /// [`crate::entries::is_officials`]), in log order: the audit trail, without reading the
    /// whole log back from the store.
    pub officials: Vec<u64>,
    /// Approval rounds under way (sizes with approvals but no quorum yet) and the content size
    /// approvers approve, as the ledger sees them after the last batch.
    pub pending: Arc<Vec<skytale_model::PendingApproval>>,
    pub content_size: u64,
}

/// Event sent to SSE listeners on each publication.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PublicationEvent {
    pub election: String,
    pub tree_size: u64,
    pub root_hash: String,
}

pub struct ElectionRuntime {
    pub id: String,
    pub origin: String,
    pub log_key: VerifierKey,
    pub definition: Arc<ValidDefinition>,
    pub definition_json: Arc<Vec<u8>>,
    pub keys: RwLock<Arc<KeyRing>>,
    /// The committed log (the sequencer writes, handlers read tiles and receipts).
    pub log: RwLock<LogView>,
    /// The published snapshots: the results document and what it is made from.
    pub publisher: Arc<Publisher>,
    pub events: broadcast::Sender<PublicationEvent>,
    /// The rendered public site and per-contest feeds (see [`crate::site`]); its thread sends
    /// `events`.
    pub site: crate::site::SiteView,
    jobs: flume::Sender<Work>,
    /// This node follows the log another node sequences ([`Role::Follow`]) and sends
    /// submissions there; cleared when it takes over.
    following: std::sync::atomic::AtomicBool,
}

/// What a node does with an election it loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// It sequences: submissions are appended here (the store's fence refuses it if another
    /// node moved the log).
    Sequence,
    /// It follows the log another node sequences in a shared database, best a standby's copy
    /// (what a standby shows, it has flushed, so it survives a failover; the primary shows a
    /// commit to other sessions before its standby has it): it polls the election's head
    /// every [`FOLLOW_POLL`], checks and folds what is new as a start-up replay does, and
    /// publishes it; submissions go to the sequencer. When the standby it reads is promoted,
    /// it takes over as sequencer, with no replay.
    Follow,
}

/// How often a following node asks the database for the log's head.
pub const FOLLOW_POLL: std::time::Duration = std::time::Duration::from_millis(100);

struct Sequencer {
    rt: Arc<ElectionRuntime>,
    ledger: Ledger,
    store: Arc<Store>,
    signer: LogSigner,
    /// The checkpoint of the last append, as the log signed it: the next append names it with
    /// the size (the store's fence), so a node whose view of the shared database is stale, or
    /// that another node overtook, cannot write.
    head: Vec<u8>,
    /// The published size last handed to the publisher.
    published_size: u64,
    /// Tells the witnessing thread about each new checkpoint (when the definition names witnesses).
    witness: Option<tokio::sync::watch::Sender<u64>>,
}

impl ElectionRuntime {
    /// Replays an election from the store (checking every entry again) and starts its sequencer.
    pub fn load(store: Arc<Store>, id: &str) -> Result<Arc<ElectionRuntime>, LoadError> {
        ElectionRuntime::load_as(store, id, Role::Sequence)
    }

    /// Replays an election from the store and starts its sequencer, or its follower.
    pub fn load_as(
        store: Arc<Store>,
        id: &str,
        role: Role,
    ) -> Result<Arc<ElectionRuntime>, LoadError> {
        let err_key = |why: String| LoadError::LogKey {
            election: id.to_string(),
            why,
        };
        let signer =
            SigningKey::parse(&store.load_log_key(id)?).map_err(|e| err_key(e.to_string()))?;
        // The head first, then the entries up to it: one consistent log even while another
        // node appends (a follower's start).
        let (size, head) = store.head(id)?;
        let entries = store.entries(id, 0, size)?;
        if entries.is_empty() {
            return Err(LoadError::Corrupt {
                election: id.to_string(),
                index: 0,
                rejection: Rejection::new(RejectCode::MalformedNote, "the log has no entry 0"),
            });
        }
        let mut ledger = Ledger::genesis(&entries, None).map_err(|source| LoadError::Genesis {
            election: id.to_string(),
            source,
        })?;
        let genesis_size = ledger.genesis_size();
        let def = ledger.definition().clone();
        if def.definition().origin() != signer.name() {
            return Err(err_key(format!(
                "the key is named {:?} but the log's origin is {:?}",
                signer.name(),
                def.definition().origin()
            )));
        }
        // The whole tree first (hashing is cheap): publication statements name roots of it.
        let mut tree = Tree::new();
        let mut leaf_index = HashMap::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            tree.push_entry(e);
            leaf_index.insert(leaf_hash(e), i as u64);
        }
        let mut approval_indexes = Vec::new();
        let mut reviews = Vec::new();
        let changes = crate::changes::ChangeLog::default();
        replay(
            &mut ledger,
            &entries[genesis_size as usize..],
            &|n| tree.root_at(n).ok(),
            |index, a| {
                changes.record(&def, index, &a.verified.statement);
                if matches!(a.verified.statement, Statement::Review(_)) {
                    reviews.push((index, a.verified.statement.clone()));
                }
                if matches!(a.verified.statement, Statement::Publication(_)) {
                    approval_indexes.push(index);
                }
            },
            |index, rejection| {
                Refused::Stop(LoadError::Corrupt {
                    election: id.to_string(),
                    index,
                    rejection,
                })
            },
        )?;
        // A crash between a review's commit and its bookkeeping leaves a row marked held.
        mark_reviewed(&store, id, &reviews);
        let checkpoint = store
            .checkpoint_at(id, size)?
            .unwrap_or_else(|| head.clone());
        check_stored_checkpoint(&checkpoint, &signer.verifier(), &tree).map_err(|why| {
            LoadError::Checkpoint {
                election: id.to_string(),
                why,
            }
        })?;
        let signer = LogSigner::resume(&store, id, signer, &tree, &checkpoint)?;

        // The published tally: what the policy published, folded publication by publication;
        // the statements after it are sealed and wait in the publisher.
        let (pub_size, pub_time) = ledger
            .published()
            .map(|(n, t)| (n, t.map(str::to_string)))
            .unwrap_or((genesis_size, None));
        let publications = Arc::new(ledger.publications().to_vec());
        let folded = fold_entries(
            PublishedTally::new(Tally::new(def.clone()), genesis_size, None),
            &entries,
            genesis_size,
            &publications,
            pub_size,
        );
        let pos = LogPosition {
            tree_size: pub_size,
            root_hash: encode_hash(&tree.root_at(pub_size).unwrap_or(skytale_tlog::EMPTY_ROOT)),
            published_at: pub_time,
        };
        let (tx, rx) = flume::bounded(QUEUE_DEPTH);
        let waiting = rx.clone();
        let staging = (def.definition().publication.mode
            == skytale_model::PublicationMode::Approval)
            .then_some(tree.len());
        let publisher = Publisher::start(
            id,
            folded,
            pos,
            publications.clone(),
            staging,
            changes,
            move || !waiting.is_empty(),
        )
        .map_err(|e| err_key(format!("cannot start the publisher thread: {e}")))?;
        let (events, _) = broadcast::channel(64);
        let definition_json = Arc::new(definition_document(&ledger, &signer.key.verifier()));
        let officials = officials_among(0, entries.iter().map(|e| &e[..]));
        let rt = Arc::new(ElectionRuntime {
            id: id.to_string(),
            origin: def.definition().origin(),
            log_key: signer.key.verifier(),
            definition: def.clone(),
            definition_json,
            keys: RwLock::new(ledger.keys().clone()),
            log: RwLock::new(LogView {
                size: tree.len(),
                tree,
                entries: crate::entries::LogEntries::new(
                    store.clone(),
                    id,
                    size,
                    entries
                        .into_iter()
                        .skip((size as usize).saturating_sub(crate::entries::RECENT_ENTRIES))
                        .map(Arc::from),
                ),
                checkpoint: Arc::from(checkpoint),
                leaf_index,
                published: pub_size,
                publications,
                approval_indexes,
                officials,
                pending: Arc::new(ledger.pending_approvals()),
                content_size: ledger.content_size(),
            }),
            publisher,
            events,
            site: crate::site::SiteView::new(),
            jobs: tx,
            following: std::sync::atomic::AtomicBool::new(role == Role::Follow),
        });
        let witness = match &def.definition().witnesses {
            Some(spec) if !spec.members.is_empty() => {
                let endpoints =
                    crate::witnessing::endpoints(spec).map_err(|why| LoadError::Witness {
                        election: id.to_string(),
                        why,
                    })?;
                let tx = crate::witnessing::start(
                    rt.clone(),
                    store.clone(),
                    endpoints,
                    spec.quorum as usize,
                )
                .map_err(|e| err_key(format!("cannot start the witness thread: {e}")))?;
                Some(tx)
            }
            _ => None,
        };
        let seq = Sequencer {
            rt: rt.clone(),
            ledger,
            store,
            signer,
            head,
            published_size: pub_size,
            witness,
        };
        std::thread::Builder::new()
            .name(format!("sequencer-{id}"))
            .spawn(move || match role {
                Role::Sequence => seq.run(rx),
                Role::Follow => seq.follow(rx),
            })
            .map_err(|e| err_key(format!("cannot start the sequencer thread: {e}")))?;
        crate::site::render::start(&rt)
            .map_err(|e| err_key(format!("cannot start the site thread: {e}")))?;
        Ok(rt)
    }

    /// Whether this node follows another's sequencing (see [`Role::Follow`]): its handlers
    /// send submissions to the sequencer.
    pub fn following(&self) -> bool {
        self.following.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Parses, checks signatures (in the caller's task, in parallel with others), then queues
    /// for sequencing and waits for the durable outcome.
    pub async fn submit(&self, bytes: Arc<[u8]>) -> Result<Outcome, SubmitError> {
        let verified = self.verify(&bytes)?;
        self.enqueue(bytes, verified).await
    }

    /// Parses and signature-checks a submission against the current key ring (in the
    /// caller's task). The sequencer does not check again: the ring only grows, and the
    /// ledger checks at admission that the signers are still live.
    pub fn verify(&self, bytes: &[u8]) -> Result<VerifiedNote, SubmitError> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner()).clone();
        verify_note(&keys, &self.id, bytes).map_err(SubmitError::Rejected)
    }

    /// Submissions waiting for the sequencer now.
    pub fn queue_len(&self) -> usize {
        self.jobs.len()
    }

    /// Queues a verified submission for sequencing and waits for the durable outcome.
    pub async fn enqueue(
        &self,
        bytes: Arc<[u8]>,
        verified: VerifiedNote,
    ) -> Result<Outcome, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.jobs
            .try_send(Work::One(Job {
                bytes,
                verified,
                reply,
            }))
            .map_err(|e| match e {
                flume::TrySendError::Full(_) => SubmitError::Busy,
                flume::TrySendError::Disconnected(_) => {
                    SubmitError::Unavailable("the sequencer has stopped".into())
                }
            })?;
        rx.await.unwrap_or_else(|_| {
            Err(SubmitError::Unavailable(
                "the sequencer stopped before answering".into(),
            ))
        })
    }

    /// Asks the sequencer's ledger `question` between two batches.
    pub async fn ask<T: Send + 'static>(
        &self,
        question: impl FnOnce(&Ledger) -> T + Send + 'static,
    ) -> Result<T, SubmitError> {
        if self.following.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(SubmitError::Unavailable(
                "this node follows the sequencing node; the officials' console is there".into(),
            ));
        }
        let (reply, rx) = oneshot::channel();
        let work: LedgerQuestion = Box::new(move |l: &Ledger| {
            let _ = reply.send(question(l));
        });
        self.jobs.try_send(Work::Ask(work)).map_err(|e| match e {
            flume::TrySendError::Full(_) => SubmitError::Busy,
            flume::TrySendError::Disconnected(_) => {
                SubmitError::Unavailable("the sequencer has stopped".into())
            }
        })?;
        match tokio::time::timeout(ASK_WAIT, rx).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(SubmitError::Unavailable(
                "the sequencer stopped before answering".into(),
            )),
            Err(_) => Err(SubmitError::Busy),
        }
    }

    /// Where each held note stands in the log as the sequencer sees it now.
    pub async fn held_places(&self, items: Vec<HeldItem>) -> Result<Vec<HeldPlace>, SubmitError> {
        self.ask(move |ledger| {
            items
                .iter()
                .map(|(digest, r)| HeldPlace {
                    state: ledger.held_state(digest, r),
                    unit_last_entry: ledger
                        .definition()
                        .unit_index(&r.unit)
                        .and_then(|u| ledger.last_entry(u)),
                })
                .collect()
        })
        .await
    }

    /// Receipt for an entry already in the committed log.
    pub fn receipt(&self, index: u64, duplicate: bool) -> Option<Receipt> {
        let log = self.log.read().unwrap_or_else(|p| p.into_inner());
        receipt_from(&self.id, &log, index, duplicate)
    }
}

fn receipt_from(election: &str, log: &LogView, index: u64, duplicate: bool) -> Option<Receipt> {
    let proof = log.tree.inclusion_proof(index, log.size).ok()?;
    Some(Receipt {
        election: election.to_string(),
        index,
        leaf_hash: encode_hash(&log.tree.leaf(index)?),
        tree_size: log.size,
        checkpoint: String::from_utf8_lossy(&log.checkpoint).into_owned(),
        inclusion_proof: proof.iter().map(encode_hash).collect(),
        duplicate,
        entry: duplicate
            .then(|| log.entries.get(index))
            .flatten()
            .map(|e| String::from_utf8_lossy(&e).into_owned()),
    })
}

/// Checks the stored (latest) checkpoint: signed by the log key, of the log's size and root.
pub fn check_stored_checkpoint(note: &[u8], key: &VerifierKey, tree: &Tree) -> Result<(), String> {
    let cp = parse_signed_checkpoint(note, key)?;
    if cp.size != tree.len() {
        return Err(format!(
            "checkpoint size {} but the log has {} entries",
            cp.size,
            tree.len()
        ));
    }
    if cp.root != tree.root() {
        return Err(format!(
            "checkpoint root {} but the log's root is {}",
            encode_hash(&cp.root),
            encode_hash(&tree.root())
        ));
    }
    Ok(())
}

/// A checkpoint note signed by the log key, parsed.
pub fn parse_signed_checkpoint(note: &[u8], key: &VerifierKey) -> Result<Checkpoint, String> {
    let n = Note::parse(note).map_err(|e| format!("not a signed note: {e}"))?;
    n.verify(std::slice::from_ref(key))
        .map_err(|e| format!("signature: {e}"))?;
    Checkpoint::parse(&n.text).map_err(|e| e.to_string())
}

/// Checks the log held by the database (`tree`) against the kept checkpoint of `election`
/// (the last one the log key signed, kept outside the database; see
/// [`Store::keep_checkpoint`]): the log must reach its size and have its root there. Returns
/// the kept checkpoint's size and root.
pub fn check_kept_checkpoint(
    store: &Store,
    election: &str,
    kept: &[u8],
    key: &VerifierKey,
    tree: &Tree,
) -> Result<(u64, Hash), LoadError> {
    let path = store.kept_checkpoint_path(election).display().to_string();
    let cp = parse_signed_checkpoint(kept, key).map_err(|why| LoadError::Checkpoint {
        election: election.to_string(),
        why: format!("the kept checkpoint {path}: {why}"),
    })?;
    if cp.size > tree.len() {
        return Err(LoadError::RolledBack {
            election: election.to_string(),
            store_size: tree.len(),
            kept_size: cp.size,
            kept: path,
        });
    }
    let root = tree.root_at(cp.size).unwrap_or(skytale_tlog::EMPTY_ROOT);
    if root != cp.root {
        return Err(LoadError::Diverged {
            election: election.to_string(),
            store_size: tree.len(),
            kept_size: cp.size,
            kept: path,
            why: format!(
                "its root there is {} but the kept checkpoint's is {}",
                encode_hash(&root),
                encode_hash(&cp.root)
            ),
        });
    }
    Ok((cp.size, cp.root))
}

/// The size of a kept checkpoint, for the refusal of an election the database lost (the
/// signature is not checked: the key may be all that is left, and the message is what counts).
pub fn kept_size(kept: &[u8]) -> u64 {
    Note::parse(kept)
        .ok()
        .and_then(|n| Checkpoint::parse(&n.text).ok())
        .map_or(0, |cp| cp.size)
}

/// The log key as the sequencer holds it: it signs checkpoints only forward of the last one it
/// kept (defence in depth behind the start-up check: a size already signed is signed again
/// only with the same root, so two checkpoints of one size with different roots cannot come
/// from this process).
pub struct LogSigner {
    key: SigningKey,
    /// Size and root of the last checkpoint kept outside the database.
    kept: (u64, Hash),
}

/// Why [`LogSigner::sign`] refused.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("refusing to sign a checkpoint of size {size} with root {root}: the log key already signed size {kept_size} with root {kept_root}, and a second checkpoint for a signed size would fork the log")]
    Backwards {
        size: u64,
        root: String,
        kept_size: u64,
        kept_root: String,
    },
    #[error(transparent)]
    Note(#[from] skytale_note::NoteError),
}

impl LogSigner {
    /// A signer for a log whose last kept checkpoint has `kept_size` and `kept_root`.
    pub fn new(key: SigningKey, kept_size: u64, kept_root: Hash) -> LogSigner {
        LogSigner {
            key,
            kept: (kept_size, kept_root),
        }
    }

    /// The signer of a log the database holds as `tree`, whose latest stored checkpoint (already
    /// checked against the tree) is `stored`: checks the kept checkpoint against the tree and
    /// brings it up to `stored` when the database is ahead of it (a crash between the commit
    /// and the keeping, before any receipt was sent). With no kept checkpoint (an election
    /// from before they were kept), the stored one is kept from now on.
    pub fn resume(
        store: &Store,
        election: &str,
        key: SigningKey,
        tree: &Tree,
        stored: &[u8],
    ) -> Result<LogSigner, LoadError> {
        if let Some(kept) = store.kept_checkpoint(election)? {
            let (size, _) = check_kept_checkpoint(store, election, &kept, &key.verifier(), tree)?;
            if size == tree.len() {
                return Ok(LogSigner::new(key, size, tree.root()));
            }
        }
        store.keep_checkpoint(election, stored)?;
        Ok(LogSigner::new(key, tree.len(), tree.root()))
    }

    /// Signs a checkpoint for `tree` as it is, unless that would sign a size at or below the
    /// last kept one with another root.
    pub fn sign(&self, origin: &str, tree: &Tree) -> Result<Vec<u8>, SignError> {
        let (kept_size, kept_root) = self.kept;
        if tree.len() < kept_size || (tree.len() == kept_size && tree.root() != kept_root) {
            return Err(SignError::Backwards {
                size: tree.len(),
                root: encode_hash(&tree.root()),
                kept_size,
                kept_root: encode_hash(&kept_root),
            });
        }
        Ok(sign_checkpoint(&self.key, origin, tree)?)
    }

    /// Records that the checkpoint of `size` and `root` is now kept.
    pub fn kept(&mut self, size: u64, root: Hash) {
        self.kept = (size, root);
    }
}

/// `GET /api/v1/elections/<id>`: the definition as published, with the log's origin and key.
fn definition_document(ledger: &Ledger, log_key: &VerifierKey) -> Vec<u8> {
    /// The election document, written straight from the definition: as a JSON tree first, a
    /// national election's 200,000 units took a few hundred megabytes at start-up.
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        id: &'a str,
        definition: &'a skytale_model::Definition,
        log: Log,
        witnesses: std::borrow::Cow<'a, skytale_model::WitnessPolicySpec>,
    }
    #[derive(serde::Serialize)]
    struct Log {
        origin: String,
        verifier_key: String,
        checkpoint: String,
    }
    let def = ledger.definition().definition();
    let doc = Doc {
        id: &def.id,
        definition: def,
        log: Log {
            origin: def.origin(),
            verifier_key: log_key.to_string(),
            checkpoint: format!("/log/{}/checkpoint", def.id),
        },
        witnesses: match &def.witnesses {
            Some(w) => std::borrow::Cow::Borrowed(w),
            None => std::borrow::Cow::Owned(skytale_model::WitnessPolicySpec {
                quorum: 0,
                members: vec![],
            }),
        },
    };
    let mut v = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    v.push(b'\n');
    v
}

/// Pushes the accepted statements of entries `[from, ..)` into `folded` and folds what is
/// published up to `published`, a chunk at a time: the statements are parsed again rather than
/// kept from the replay (holding every statement of a national election at once would cost
/// gigabytes; parsing is cheap next to the signatures). The statements after `published` stay
/// in `folded`, sealed.
fn fold_entries(
    mut folded: PublishedTally,
    entries: &[Vec<u8>],
    from: u64,
    publications: &[Publication],
    published: u64,
) -> PublishedTally {
    let rest = entries.get(from as usize..).unwrap_or_default();
    for (k, chunk) in rest.chunks(REPLAY_CHUNK).enumerate() {
        let start = from + (k * REPLAY_CHUNK) as u64;
        let parsed: Vec<Option<Statement>> = chunk
            .par_iter()
            .map(|e| {
                let note = Note::parse(e).ok()?;
                Statement::parse(&note.text).ok()
            })
            .collect();
        for (j, st) in parsed.into_iter().enumerate() {
            if let Some(st) = st {
                folded.push(start + j as u64, st);
            }
        }
        let end = start + chunk.len() as u64;
        folded.advance(publications, end.min(published));
    }
    folded
}

/// Signs a checkpoint for the tree as it is. An error here means the log key cannot sign its
/// own origin: the caller must not store or hand out anything in place of a checkpoint.
pub fn sign_checkpoint(
    signer: &SigningKey,
    origin: &str,
    tree: &Tree,
) -> Result<Vec<u8>, skytale_note::NoteError> {
    let cp = Checkpoint {
        origin: origin.to_string(),
        size: tree.len(),
        root: tree.root(),
        extensions: vec![],
    };
    signer.sign_note(&cp.to_text()).map(|n| n.to_bytes())
}

/// The indexes of the officials' entries among `entries`, the first of which is entry `first`.
fn officials_among<'a>(first: u64, entries: impl Iterator<Item = &'a [u8]>) -> Vec<u64> {
    (first..)
        .zip(entries)
        .filter(|(_, e)| crate::entries::is_officials(e))
        .map(|(i, _)| i)
        .collect()
}

/// The bytes of entry `i`: committed, or among `fresh`, the entries of the batch being
/// sequenced (they follow the committed ones).
fn entry_at(log: &LogView, fresh: &[Arc<[u8]>], i: u64) -> Option<Vec<u8>> {
    match i.checked_sub(log.entries.len()) {
        None => log.entries.get(i).map(|e| e.to_vec()),
        Some(k) => fresh.get(usize::try_from(k).ok()?).map(|e| e.to_vec()),
    }
}

enum Pending {
    Accepted {
        job_reply: oneshot::Sender<Result<Outcome, SubmitError>>,
        index: u64,
        duplicate: bool,
    },
    Done {
        job_reply: oneshot::Sender<Result<Outcome, SubmitError>>,
        result: Result<Outcome, SubmitError>,
    },
    /// To be held (the batch's holds are written together; see [`Sequencer::hold`]).
    Held {
        job_reply: oneshot::Sender<Result<Outcome, SubmitError>>,
        issues: Vec<skytale_model::PlausibilityIssue>,
    },
}

impl Sequencer {
    /// [`Role::Follow`]: folds in what the sequencing node appends, until the standby this
    /// node reads is promoted; then sequences (`run`). A log that fails the checks (an entry
    /// the rules refuse, a head checkpoint that is not the root of the entries) stops the
    /// process, as at start-up; a database that cannot be reached is asked again.
    fn follow(mut self, rx: flume::Receiver<Work>) {
        let on_standby = self.store.is_standby().unwrap_or(false);
        let mut last_complaint: Option<std::time::Instant> = None;
        loop {
            std::thread::sleep(FOLLOW_POLL);
            // Asked before catching up: once promotion is seen, the catching up below reads
            // everything the standby had flushed (recovery ends only after replaying it all).
            let promoted = on_standby && matches!(self.store.is_standby(), Ok(false));
            match self.catch_up() {
                Ok(()) => {}
                Err(FollowError::Store(e)) => {
                    if last_complaint
                        .is_none_or(|t| t.elapsed() > std::time::Duration::from_secs(10))
                    {
                        tracing::error!(election = %self.rt.id, error = %e, "cannot read the log's head; asking again");
                        last_complaint = Some(std::time::Instant::now());
                    }
                    continue;
                }
                Err(FollowError::Log(why)) => {
                    tracing::error!(election = %self.rt.id, error = %why, "the followed log fails its checks; stopping");
                    std::process::exit(70);
                }
            }
            if promoted {
                tracing::warn!(election = %self.rt.id, size = self.ledger.size(), "the standby was promoted: this node sequences the election now");
                self.rt
                    .following
                    .store(false, std::sync::atomic::Ordering::Relaxed);
                return self.run(rx);
            }
        }
    }

    /// Reads and folds in the entries the head has beyond this node's log.
    fn catch_up(&mut self) -> Result<(), FollowError> {
        let id = self.rt.id.clone();
        let (size, head) = self.store.head(&id)?;
        let from = self.ledger.size();
        if size < from {
            return Err(FollowError::Log(format!(
                "the database's log has {size} entries, fewer than the {from} this node had read"
            )));
        }
        if size == from {
            return Ok(());
        }
        let entries = self.store.entries(&id, from, size)?;
        if entries.len() as u64 != size - from {
            return Err(FollowError::Log(format!(
                "the database gave {} entries from {from}, its head says {}",
                entries.len(),
                size - from
            )));
        }
        let mut new_leaves = HashMap::with_capacity(entries.len());
        {
            // Leaves first (publication statements name roots up to themselves); readers
            // serve `log.size`, which moves only below.
            let mut log = self.rt.log.write().unwrap_or_else(|p| p.into_inner());
            for (i, e) in entries.iter().enumerate() {
                let leaf = leaf_hash(e);
                log.tree.push_leaf_hash(leaf);
                new_leaves.insert(leaf, from + i as u64);
            }
        }
        let rt = self.rt.clone();
        let root_at = move |n: u64| {
            rt.log
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .tree
                .root_at(n)
                .ok()
        };
        let mut new_statements: Vec<(u64, Statement)> = Vec::new();
        let mut approvals: Vec<u64> = Vec::new();
        replay(
            &mut self.ledger,
            &entries,
            &root_at,
            |index, a| {
                if matches!(a.verified.statement, Statement::Publication(_)) {
                    approvals.push(index);
                }
                new_statements.push((index, a.verified.statement));
            },
            |index, rejection| Refused::Stop(format!("entry {index}: {rejection}")),
        )
        .map_err(FollowError::Log)?;
        let root = root_at(size).unwrap_or(skytale_tlog::EMPTY_ROOT);
        let cp = parse_signed_checkpoint(&head, &self.rt.log_key)
            .map_err(|why| FollowError::Log(format!("the head checkpoint: {why}")))?;
        if cp.size != size || cp.root != root {
            return Err(FollowError::Log(format!(
                "the head checkpoint (size {}) is not the root of the {size} entries",
                cp.size
            )));
        }
        // This node's own rollback guard, for the day it sequences.
        self.store.keep_checkpoint(&id, &head)?;
        self.signer.kept(size, root);
        self.head.clone_from(&head);
        let mut publications_changed = false;
        let mut log = self.rt.log.write().unwrap_or_else(|p| p.into_inner());
        let officials = officials_among(from, entries.iter().map(|e| &e[..]));
        log.officials.extend(officials);
        log.entries.committed(entries.into_iter().map(Arc::from));
        log.leaf_index.extend(new_leaves);
        log.size = size;
        log.checkpoint = Arc::from(head);
        if !approvals.is_empty() {
            log.pending = Arc::new(self.ledger.pending_approvals());
        }
        log.approval_indexes.extend(approvals);
        log.content_size = self.ledger.content_size();
        if let Some((published, _)) = self.ledger.published() {
            log.published = published;
        }
        if log.publications.len() != self.ledger.publications().len() {
            log.publications = Arc::new(self.ledger.publications().to_vec());
            publications_changed = true;
        }
        drop(log);
        *self.rt.keys.write().unwrap_or_else(|p| p.into_inner()) = self.ledger.keys().clone();
        self.hand_over(new_statements, publications_changed);
        Ok(())
    }

    fn run(mut self, rx: flume::Receiver<Work>) {
        // A submitted batch is sequenced on its own, after the single submissions before it.
        let mut next = None;
        while let Some(work) = next.take().or_else(|| rx.recv().ok()) {
            let first = match work {
                Work::Batch(b) => {
                    // The batches that waited meanwhile go with it (one commit for all).
                    let mut statements = b.len();
                    let mut batches = vec![b];
                    while statements < batch::MAX_BATCH_STATEMENTS {
                        match rx.try_recv() {
                            Ok(Work::Batch(b)) => {
                                statements += b.len();
                                batches.push(b);
                            }
                            Ok(w @ (Work::One(_) | Work::Ask(_))) => {
                                next = Some(w);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    self.process_batches(batches);
                    continue;
                }
                Work::Ask(question) => {
                    question(&self.ledger);
                    continue;
                }
                Work::One(j) => j,
            };
            let mut batch = Vec::with_capacity((rx.len() + 1).min(MAX_BATCH));
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(Work::One(j)) => batch.push(j),
                    Ok(w @ (Work::Batch(_) | Work::Ask(_))) => {
                        next = Some(w);
                        break;
                    }
                    Err(_) => break,
                }
            }
            self.process(batch);
        }
    }

    fn process(&mut self, batch: Vec<Job>) {
        crate::metrics::batch(batch.len());
        let first_index = self.ledger.size();
        let mut pending = Vec::with_capacity(batch.len());
        let mut new_entries: Vec<Arc<[u8]>> = Vec::new();
        let mut new_statements: Vec<(u64, Statement)> = Vec::new();
        let mut publications_changed = false;
        let mut approvals: Vec<u64> = Vec::new();
        let mut new_leaves: HashMap<Hash, u64> = HashMap::new();
        // Implausible submissions, held after the loop in one transaction and outside the log's
        // lock: (note, reporter key, reasons JSON).
        let mut holds: Vec<(Arc<[u8]>, String, String)> = Vec::new();
        {
            let mut log = self.rt.log.write().unwrap_or_else(|p| p.into_inner());
            for job in batch {
                let leaf = leaf_hash(&job.bytes);
                if let Some(&index) = log.leaf_index.get(&leaf).or_else(|| new_leaves.get(&leaf)) {
                    pending.push(Pending::Accepted {
                        job_reply: job.reply,
                        index,
                        duplicate: true,
                    });
                    continue;
                }
                // A resent statement (same counts, new time) is answered with its entry.
                let entry = |i| entry_at(&log, &new_entries, i);
                if let Some(index) = self.ledger.retry_of(&job.verified, &entry) {
                    pending.push(Pending::Accepted {
                        job_reply: job.reply,
                        index,
                        duplicate: true,
                    });
                    continue;
                }
                let tree = &log.tree;
                let admitted: Result<Admitted, Rejection> =
                    self.ledger.admit(job.verified, &|n| tree.root_at(n).ok());
                match admitted {
                    Err(r) => pending.push(Pending::Done {
                        job_reply: job.reply,
                        result: Err(SubmitError::Rejected(r)),
                    }),
                    Ok(a) if !a.issues.is_empty() => {
                        let reasons = serde_json::to_string(
                            &a.issues
                                .iter()
                                .map(|i| serde_json::json!({"field": i.field, "why": i.why}))
                                .collect::<Vec<_>>(),
                        )
                        .unwrap_or_default();
                        let reporter = a
                            .verified
                            .signers
                            .first()
                            .and_then(|&i| self.ledger.keys().get(i))
                            .map(|k| k.key.to_string())
                            .unwrap_or_default();
                        holds.push((job.bytes, reporter, reasons));
                        pending.push(Pending::Held {
                            job_reply: job.reply,
                            issues: a.issues,
                        });
                    }
                    Ok(a) => {
                        let index = self.ledger.size();
                        self.ledger.commit(&a);
                        log.tree.push_leaf_hash(leaf);
                        new_leaves.insert(leaf, index);
                        if matches!(a.verified.statement, Statement::Publication(_)) {
                            approvals.push(index);
                        }
                        new_statements.push((index, a.verified.statement));
                        new_entries.push(job.bytes);
                        pending.push(Pending::Accepted {
                            job_reply: job.reply,
                            index,
                            duplicate: false,
                        });
                    }
                }
            }
        }
        if !holds.is_empty() {
            pending = self.hold(pending, &holds);
        }
        if !new_entries.is_empty() {
            let (signed, size, root) = {
                let log = self.rt.log.read().unwrap_or_else(|p| p.into_inner());
                (
                    self.signer.sign(&self.rt.origin, &log.tree),
                    log.tree.len(),
                    log.tree.root(),
                )
            };
            // The batch, then the kept copy of its checkpoint, both durable before any receipt:
            // a database that later loses the batch is then caught at start-up.
            let written = signed
                .map_err(|e| format!("cannot sign the checkpoint: {e}"))
                .and_then(|checkpoint| {
                    let refs: Vec<&[u8]> = new_entries.iter().map(|e| &e[..]).collect();
                    self.store
                        .append(
                            &self.rt.id,
                            Extends {
                                size: first_index,
                                checkpoint: &self.head,
                            },
                            &refs,
                            &checkpoint,
                        )
                        .and_then(|()| self.store.keep_checkpoint(&self.rt.id, &checkpoint))
                        .map(|()| checkpoint)
                        .map_err(|e| e.to_string())
                });
            let checkpoint = match written {
                Ok(c) => c,
                Err(why) => self.stop(pending, &why),
            };
            self.signer.kept(size, root);
            self.head.clone_from(&checkpoint);
            let mut log = self.rt.log.write().unwrap_or_else(|p| p.into_inner());
            let officials = officials_among(first_index, new_entries.iter().map(|e| &e[..]));
            log.officials.extend(officials);
            log.entries.committed(new_entries);
            log.leaf_index.extend(new_leaves);
            log.size = log.tree.len();
            log.checkpoint = Arc::from(checkpoint);
            if !approvals.is_empty() {
                log.pending = Arc::new(self.ledger.pending_approvals());
            }
            log.approval_indexes.extend(approvals);
            log.content_size = self.ledger.content_size();
            let size = log.size;
            if let Some((published, _)) = self.ledger.published() {
                log.published = published;
            }
            if log.publications.len() != self.ledger.publications().len() {
                log.publications = Arc::new(self.ledger.publications().to_vec());
                publications_changed = true;
            }
            drop(log);
            if let Some(w) = &self.witness {
                let _ = w.send(size);
            }
            *self.rt.keys.write().unwrap_or_else(|p| p.into_inner()) = self.ledger.keys().clone();
        }
        // Answer first, then fold: the receipts only need the committed log, and the submitters
        // (a county's next statement) go on while the tally catches up (visible at the next
        // render, which comes after the fold).
        self.reply(pending);
        mark_reviewed(&self.store, &self.rt.id, &new_statements);
        if !new_statements.is_empty() {
            self.hand_over(new_statements, publications_changed);
        }
    }

    /// Stores the batch's held submissions in one transaction and turns their `Pending::Held`
    /// (in order, one per entry of `holds`) into answers: the held record (the first one's
    /// for a note held before), `too_many_held`, or unavailable if the store failed.
    fn hold(&self, pending: Vec<Pending>, holds: &[(Arc<[u8]>, String, String)]) -> Vec<Pending> {
        let requests: Vec<HoldRequest<'_>> = holds
            .iter()
            .map(|(note, reporter, reasons)| HoldRequest {
                note,
                reporter,
                reasons_json: reasons,
            })
            .collect();
        let stored = self
            .store
            .hold_many(&self.rt.id, &requests, &now_rfc3339())
            .map_err(|e| e.to_string());
        let mut answers = stored.as_ref().ok().map(|a| a.iter());
        pending
            .into_iter()
            .map(|p| {
                let Pending::Held { job_reply, issues } = p else {
                    return p;
                };
                let answer = match (&stored, answers.as_mut().and_then(Iterator::next)) {
                    (Err(why), _) => Err(why.clone()),
                    (Ok(_), Some(a)) => Ok(a.clone()),
                    (Ok(_), None) => Err("the store gave no answer for it".to_string()),
                };
                let result = match answer {
                    Ok(Hold::Held { id, .. }) => Ok(Outcome::Held {
                        id,
                        reasons: issues,
                    }),
                    Ok(Hold::TooMany { pending }) => Err(SubmitError::TooManyHeld { pending }),
                    Err(why) => Err(SubmitError::Unavailable(why)),
                };
                Pending::Done { job_reply, result }
            })
            .collect()
    }

    /// The batch could not be made durable (or its checkpoint not signed): nothing of it is
    /// acknowledged, and the process stops, since the in-memory state ran ahead of the store.
    /// A restart replays the store, which is the truth.
    fn stop(&self, pending: Vec<Pending>, why: &str) -> ! {
        tracing::error!(election = %self.rt.id, error = %why, "the batch was not written; stopping");
        for p in pending {
            let (reply, res) = match p {
                Pending::Accepted {
                    job_reply,
                    duplicate: true,
                    index,
                } => (
                    job_reply,
                    self.rt
                        .receipt(index, true)
                        .map(Outcome::Accepted)
                        .ok_or_else(|| SubmitError::Unavailable(why.to_string())),
                ),
                Pending::Accepted { job_reply, .. } => {
                    (job_reply, Err(SubmitError::Unavailable(why.to_string())))
                }
                Pending::Done { job_reply, result } => (job_reply, result),
                Pending::Held { job_reply, .. } => {
                    (job_reply, Err(SubmitError::Unavailable(why.to_string())))
                }
            };
            let _ = reply.send(res);
        }
        std::process::exit(70);
    }

    /// Sends each submitter its outcome: a receipt (inclusion proof in the committed log) or
    /// the rejection or hold decided for it.
    fn reply(&self, pending: Vec<Pending>) {
        let log = self.rt.log.read().unwrap_or_else(|p| p.into_inner());
        for p in pending {
            match p {
                Pending::Accepted {
                    job_reply,
                    index,
                    duplicate,
                } => {
                    let r = receipt_from(&self.rt.id, &log, index, duplicate)
                        .map(Outcome::Accepted)
                        .ok_or_else(|| SubmitError::Unavailable("no receipt could be made".into()));
                    let _ = job_reply.send(r);
                }
                Pending::Done { job_reply, result } => {
                    let _ = job_reply.send(result);
                }
                // Never left by `process`, which holds them before it answers.
                Pending::Held { job_reply, .. } => {
                    let _ = job_reply.send(Err(SubmitError::Unavailable(
                        "the submission was not held".into(),
                    )));
                }
            }
        }
    }

    /// Hands the batch's accepted statements to the publisher, with the published size when
    /// the policy moved it (and its root, which only the log has).
    fn hand_over(&mut self, statements: Vec<(u64, Statement)>, publications_changed: bool) {
        let published = match self.ledger.published() {
            Some((size, time)) if size > self.published_size => {
                self.published_size = size;
                let root = self
                    .rt
                    .log
                    .read()
                    .unwrap_or_else(|p| p.into_inner())
                    .tree
                    .root_at(size)
                    .unwrap_or(skytale_tlog::EMPTY_ROOT);
                Some((size, root, time.map(str::to_string)))
            }
            _ => None,
        };
        let publications =
            publications_changed.then(|| Arc::new(self.ledger.publications().to_vec()));
        self.rt.publisher.committed(Committed {
            statements,
            publications,
            published,
        });
    }
}

/// Why following the log failed: the database (asked again) or the log itself (stop).
enum FollowError {
    Store(skytale_store::StoreError),
    Log(String),
}

impl From<skytale_store::StoreError> for FollowError {
    fn from(e: skytale_store::StoreError) -> FollowError {
        FollowError::Store(e)
    }
}

/// Now, as RFC 3339 UTC (for held submissions and creation dates; never for tally content).
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Marks the held rows that reviews among `statements` decided (`released`, `rejected`), so
/// they stop counting against their key's bound. The log is what says they were decided (the
/// held listing asks the ledger); this is bookkeeping, and a failure only logs.
fn mark_reviewed(store: &Store, election: &str, statements: &[(u64, Statement)]) {
    for (_, st) in statements {
        let Statement::Review(rv) = st else { continue };
        let Ok(digest) = <[u8; 32]>::try_from(hex::decode(&rv.held).unwrap_or_default()) else {
            continue;
        };
        let state = match rv.decision {
            skytale_model::ReviewDecision::Release => "released",
            skytale_model::ReviewDecision::Reject => "rejected",
        };
        if let Err(e) = store.set_held_state(election, &digest, state) {
            tracing::warn!(election, error = %e, "cannot mark a reviewed held submission");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(entries: &[&[u8]]) -> Tree {
        let mut t = Tree::new();
        for e in entries {
            t.push_entry(e);
        }
        t
    }

    #[test]
    fn the_log_signer_never_signs_a_second_checkpoint_for_a_signed_size() {
        let origin = "example.org/log";
        let kept = tree(&[b"a", b"b", b"c"]);
        let signer = LogSigner::new(
            SigningKey::generate(origin).unwrap(),
            kept.len(),
            kept.root(),
        );
        // The same size again with the same root: the same checkpoint, no fork.
        assert!(signer.sign(origin, &kept).is_ok());
        // The same size with another root, or a smaller size: refused.
        for other in [tree(&[b"a", b"b", b"x"]), tree(&[b"a", b"b"])] {
            let err = signer.sign(origin, &other).unwrap_err().to_string();
            assert!(
                err.contains("already signed size 3") && err.contains("fork"),
                "{err}"
            );
        }
        // Forward is fine.
        assert!(signer
            .sign(origin, &tree(&[b"a", b"b", b"c", b"d"]))
            .is_ok());
    }
}
