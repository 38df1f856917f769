//! One election's live state: the replayed log, the sequencer thread and the published views.
//!
//! Data flow: HTTP handlers parse and signature-check a submission in parallel
//! ([`skytale_model::verify_note`]), then hand it to the election's **sequencer**, a single
//! thread that owns the acceptance [`Ledger`]. The sequencer takes whatever submissions are
//! waiting (a batch), admits them in order, writes the accepted entries and a freshly signed
//! checkpoint to the store in one transaction, and only then answers each submitter with a
//! receipt. One fsync per batch, not per entry.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rayon::prelude::*;
use skytale_model::{
    encode_hash, verify_note, Admitted, KeyRing, Ledger, RejectCode, Rejection, Statement,
    VerifiedNote,
};
use skytale_note::{Note, SigningKey, VerifierKey};
use skytale_render::PublicationRecord;
use skytale_store::Store;
use skytale_tally::{LogPosition, SelectionTotals, Tally};
use skytale_tlog::{leaf_hash, Checkpoint, Hash, Tree};
use tokio::sync::{broadcast, oneshot};

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
    pub duplicate: bool,
}

/// Why a submission failed.
#[derive(Debug, Clone)]
pub enum SubmitError {
    Rejected(Rejection),
    /// The store failed; nothing was acknowledged.
    Unavailable(String),
    /// Too many submissions waiting.
    Busy,
}

struct Job {
    /// The note as it will sit in the log (one copy of the request body, never copied again).
    bytes: Arc<[u8]>,
    verified: VerifiedNote,
    reply: oneshot::Sender<Result<Outcome, SubmitError>>,
}

/// The published view of the tally, shared with readers.
pub struct Published {
    pub tally: Tally,
    pub pos: LogPosition,
    /// The publications up to `pos` as the site shows them (feed entries, and the totals of
    /// the one before `pos` for the change column): built by
    /// [`skytale_render::PublicationRecord::history`], as `skytale verify` builds it.
    pub history: Arc<Vec<PublicationRecord>>,
    /// The whole results document at `pos`, rendered (and gzipped, with its ETags) once per
    /// publication, not on every request: it is what every live page and media poller reads.
    pub whole: Arc<crate::site::SiteFile>,
}

/// The whole results document as a servable file (JSON, short cache, gzip precompressed).
pub(crate) fn whole_file(election: &str, body: Vec<u8>) -> Arc<crate::site::SiteFile> {
    let gzip = skytale_render::gzip(&body);
    let r = skytale_render::Rendered {
        gzip: Some(gzip),
        ..skytale_render::Rendered::new("application/json", body, skytale_render::CacheClass::Short)
    };
    Arc::new(crate::site::SiteFile::new(
        &format!("/api/v1/elections/{election}/results"),
        r,
    ))
}

/// A strong ETag for a body.
pub fn etag_of(bytes: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    format!("\"{:016x}\"", h.finish())
}

/// The committed log, shared with readers (tiles, receipts).
pub struct LogView {
    pub tree: Tree,
    /// Entries `[0, size)`.
    pub entries: Vec<Arc<[u8]>>,
    /// Committed size: everything above it is being written and must not be served.
    pub size: u64,
    pub checkpoint: Arc<[u8]>,
    pub leaf_index: HashMap<Hash, u64>,
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
    pub definition_json: Arc<Vec<u8>>,
    pub keys: RwLock<Arc<KeyRing>>,
    pub log: RwLock<LogView>,
    pub published: RwLock<Published>,
    pub events: broadcast::Sender<PublicationEvent>,
    /// The rendered public site (see [`crate::site`]); its thread sends `events`.
    pub site: crate::site::SiteView,
    /// Tells the results thread ([`crate::results_doc`]) that the published tally changed.
    pub(crate) render: crate::results_doc::RenderSignal,
    jobs: flume::Sender<Job>,
}

struct Sequencer {
    rt: Arc<ElectionRuntime>,
    ledger: Ledger,
    store: Arc<Store>,
    signer: SigningKey,
    /// How far the published tally has been folded.
    published_size: u64,
    /// Contest totals at the publication before the published one (`approval` mode).
    previous: Option<SelectionTotals>,
    /// Tells the witnessing thread about each new checkpoint (when the definition names witnesses).
    witness: Option<tokio::sync::watch::Sender<u64>>,
}

impl ElectionRuntime {
    /// Replays an election from the store (checking every entry again) and starts its sequencer.
    pub fn load(store: Arc<Store>, id: &str) -> Result<Arc<ElectionRuntime>, LoadError> {
        let err_key = |why: String| LoadError::LogKey {
            election: id.to_string(),
            why,
        };
        let signer =
            SigningKey::parse(&store.load_log_key(id)?).map_err(|e| err_key(e.to_string()))?;
        let size = store.size(id)?;
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
        let mut tree = Tree::new();
        let mut leaf_index = HashMap::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate().take(genesis_size as usize) {
            tree.push_entry(e);
            leaf_index.insert(leaf_hash(e), i as u64);
        }
        replay(
            id,
            &mut ledger,
            &entries,
            genesis_size as usize,
            &mut tree,
            &mut leaf_index,
        )?;
        let checkpoint = store.latest_checkpoint(id)?.unwrap_or_default();
        check_stored_checkpoint(&checkpoint, &signer.verifier(), &tree).map_err(|why| {
            LoadError::Checkpoint {
                election: id.to_string(),
                why,
            }
        })?;

        // The published tally: fold results up to the published size.
        let mut tally = Tally::new(def.clone());
        let (pub_size, pub_time) = ledger
            .published()
            .map(|(n, t)| (n, t.map(str::to_string)))
            .unwrap_or((genesis_size, None));
        // The publication before the published one: its totals are kept on the way (only
        // contest totals, not a second tally) for the change column.
        let pubs = ledger.publications();
        let before = pubs
            .len()
            .checked_sub(2)
            .and_then(|i| pubs.get(i))
            .map(|p| p.tree_size);
        let mut previous = None;
        let mut folded = genesis_size;
        for stop in before.into_iter().chain([pub_size]) {
            fold_entries(&mut tally, &entries, folded, stop);
            folded = stop.max(folded);
            if Some(stop) == before {
                previous = Some(tally.selection_totals());
            }
        }
        let history = Arc::new(PublicationRecord::history(
            ledger.publications(),
            pub_size,
            previous.as_ref(),
        ));
        let pos = LogPosition {
            tree_size: pub_size,
            root_hash: encode_hash(&tree.root_at(pub_size).unwrap_or(skytale_tlog::EMPTY_ROOT)),
            published_at: pub_time,
        };
        let whole = whole_file(id, tally.document(&pos).to_bytes());
        let (tx, rx) = flume::bounded(QUEUE_DEPTH);
        let (events, _) = broadcast::channel(64);
        let definition_json = Arc::new(definition_document(&ledger, &signer.verifier()));
        let rt = Arc::new(ElectionRuntime {
            id: id.to_string(),
            origin: def.definition().origin(),
            log_key: signer.verifier(),
            definition_json,
            keys: RwLock::new(ledger.keys().clone()),
            log: RwLock::new(LogView {
                size: tree.len(),
                tree,
                entries: entries.into_iter().map(Arc::from).collect(),
                checkpoint: Arc::from(checkpoint),
                leaf_index,
            }),
            published: RwLock::new(Published {
                tally,
                pos,
                history,
                whole,
            }),
            events,
            site: crate::site::SiteView::new(),
            render: crate::results_doc::RenderSignal::default(),
            jobs: tx,
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
            published_size: pub_size,
            previous,
            witness,
        };
        std::thread::Builder::new()
            .name(format!("sequencer-{id}"))
            .spawn(move || seq.run(rx))
            .map_err(|e| err_key(format!("cannot start the sequencer thread: {e}")))?;
        crate::site::start(&rt)
            .map_err(|e| err_key(format!("cannot start the site thread: {e}")))?;
        crate::results_doc::start(&rt)
            .map_err(|e| err_key(format!("cannot start the results thread: {e}")))?;
        Ok(rt)
    }

    /// Parses, checks signatures (in the caller's task, in parallel with others), then queues
    /// for sequencing and waits for the durable outcome.
    pub async fn submit(&self, bytes: Arc<[u8]>) -> Result<Outcome, SubmitError> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner()).clone();
        let verified = verify_note(&keys, &self.id, &bytes).map_err(SubmitError::Rejected)?;
        let (reply, rx) = oneshot::channel();
        self.jobs
            .try_send(Job {
                bytes,
                verified,
                reply,
            })
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

    /// Whether submissions are queued for the sequencer (the results thread then postpones
    /// a render, up to its interval).
    pub(crate) fn submissions_waiting(&self) -> bool {
        !self.jobs.is_empty()
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
    })
}

fn check_stored_checkpoint(note: &[u8], key: &VerifierKey, tree: &Tree) -> Result<(), String> {
    let n = Note::parse(note).map_err(|e| format!("not a signed note: {e}"))?;
    n.verify(std::slice::from_ref(key))
        .map_err(|e| format!("signature: {e}"))?;
    let cp = Checkpoint::parse(&n.text).map_err(|e| e.to_string())?;
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

/// `GET /api/v1/elections/<id>`: the definition as published, with the log's origin and key.
fn definition_document(ledger: &Ledger, log_key: &VerifierKey) -> Vec<u8> {
    let def = ledger.definition().definition();
    let doc = serde_json::json!({
        "id": def.id,
        "definition": def,
        "log": {
            "origin": def.origin(),
            "verifier_key": log_key.to_string(),
            "checkpoint": format!("/log/{}/checkpoint", def.id),
        },
        "witnesses": def.witnesses.clone().unwrap_or(skytale_model::WitnessPolicySpec {
            quorum: 0,
            members: vec![],
        }),
    });
    let mut v = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    v.push(b'\n');
    v
}

/// Folds the results statements of entries `[from, to)` into `tally`. Parsed again rather
/// than kept from the replay: holding every statement of a national election at once would
/// cost gigabytes; parsing is cheap next to the signatures.
fn fold_entries(tally: &mut Tally, entries: &[Vec<u8>], from: u64, to: u64) {
    let published = entries.get(from as usize..to as usize).unwrap_or_default();
    for chunk in published.chunks(REPLAY_CHUNK) {
        let parsed: Vec<Option<Statement>> = chunk
            .par_iter()
            .map(|e| {
                let note = Note::parse(e).ok()?;
                Statement::parse(&note.text).ok()
            })
            .collect();
        for st in parsed.into_iter().flatten() {
            tally.apply_statement(&st);
        }
    }
}

/// Entries whose signatures are checked together at start-up, in parallel.
const REPLAY_CHUNK: usize = 4096;

/// Checks every stored entry from `start` on with the ledger, as the sequencer did when it
/// accepted them: the signatures in parallel (the expensive part), the order-dependent rules
/// in log order. A key change ends a chunk, so later entries are checked with the new ring.
fn replay(
    id: &str,
    ledger: &mut Ledger,
    entries: &[Vec<u8>],
    start: usize,
    tree: &mut Tree,
    leaf_index: &mut HashMap<Hash, u64>,
) -> Result<(), LoadError> {
    let mut i = start;
    while i < entries.len() {
        let end = (i + REPLAY_CHUNK).min(entries.len());
        let keys = ledger.keys().clone();
        let election = ledger.election().to_owned();
        let verified: Vec<_> = entries[i..end]
            .par_iter()
            .map(|e| verify_note(&keys, &election, e))
            .collect();
        let mut next = end;
        for (j, v) in verified.into_iter().enumerate() {
            let index = i + j;
            let admitted = v
                .and_then(|v| ledger.admit(v, &|n| tree.root_at(n).ok()))
                .map_err(|rejection| LoadError::Corrupt {
                    election: id.to_string(),
                    index: index as u64,
                    rejection,
                })?;
            ledger.commit(&admitted);
            tree.push_entry(&entries[index]);
            leaf_index.insert(leaf_hash(&entries[index]), index as u64);
            if matches!(admitted.verified.statement, Statement::Key(_)) {
                next = index + 1;
                break;
            }
        }
        i = next;
    }
    Ok(())
}

/// Signs a checkpoint for the tree as it is.
pub fn sign_checkpoint(signer: &SigningKey, origin: &str, tree: &Tree) -> Vec<u8> {
    let cp = Checkpoint {
        origin: origin.to_string(),
        size: tree.len(),
        root: tree.root(),
        extensions: vec![],
    };
    match signer.sign_note(&cp.to_text()) {
        Ok(n) => n.to_bytes(),
        // The origin was validated when the election was created; an unsignable text here is a
        // programming error, and an empty checkpoint is refused by every reader.
        Err(_) => Vec::new(),
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
}

impl Sequencer {
    fn run(mut self, rx: flume::Receiver<Job>) {
        while let Ok(first) = rx.recv() {
            let mut batch = Vec::with_capacity((rx.len() + 1).min(MAX_BATCH));
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => batch.push(j),
                    Err(_) => break,
                }
            }
            self.process(batch);
        }
    }

    fn process(&mut self, batch: Vec<Job>) {
        let first_index = self.ledger.size();
        let mut pending = Vec::with_capacity(batch.len());
        let mut new_entries: Vec<Arc<[u8]>> = Vec::new();
        let mut new_statements: Vec<Statement> = Vec::new();
        let mut new_leaves: HashMap<Hash, u64> = HashMap::new();
        let now = now_rfc3339();
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
                        let result = match self.store.hold(&self.rt.id, &job.bytes, &reasons, &now)
                        {
                            Ok(id) => Ok(Outcome::Held {
                                id,
                                reasons: a.issues,
                            }),
                            Err(e) => Err(SubmitError::Unavailable(e.to_string())),
                        };
                        pending.push(Pending::Done {
                            job_reply: job.reply,
                            result,
                        });
                    }
                    Ok(a) => {
                        let index = self.ledger.size();
                        self.ledger.commit(&a);
                        log.tree.push_leaf_hash(leaf);
                        new_leaves.insert(leaf, index);
                        new_statements.push(a.verified.statement);
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
        if !new_entries.is_empty() {
            let checkpoint = {
                let log = self.rt.log.read().unwrap_or_else(|p| p.into_inner());
                sign_checkpoint(&self.signer, &self.rt.origin, &log.tree)
            };
            let refs: Vec<&[u8]> = new_entries.iter().map(|e| &e[..]).collect();
            if let Err(e) = self
                .store
                .append(&self.rt.id, first_index, &refs, &checkpoint)
            {
                tracing::error!(election = %self.rt.id, error = %e, "append failed; reloading from the store");
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
                                .ok_or_else(|| SubmitError::Unavailable(e.to_string())),
                        ),
                        Pending::Accepted { job_reply, .. } => {
                            (job_reply, Err(SubmitError::Unavailable(e.to_string())))
                        }
                        Pending::Done { job_reply, result } => (job_reply, result),
                    };
                    let _ = reply.send(res);
                }
                // The in-memory state ran ahead of the store: stop this sequencer; a restart
                // replays the store, which is the truth.
                std::process::exit(70);
            }
            let mut log = self.rt.log.write().unwrap_or_else(|p| p.into_inner());
            log.entries.extend(new_entries);
            log.leaf_index.extend(new_leaves);
            log.size = log.tree.len();
            log.checkpoint = Arc::from(checkpoint);
            let size = log.size;
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
        if !new_statements.is_empty() {
            self.advance_published(first_index, new_statements);
        }
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
            }
        }
    }

    /// Folds newly published entries into the published tally.
    fn advance_published(&mut self, batch_start: u64, batch: Vec<Statement>) {
        let Some((target, time)) = self.ledger.published() else {
            return;
        };
        if target <= self.published_size {
            return;
        }
        let time = time.map(str::to_string);
        // Fold publication by publication (a batch may complete several), keeping the totals
        // at each one the next one passes, so the change column compares with the publication
        // just before the latest, whatever the batching.
        let pubs = self.ledger.publications();
        let is_publication = |n: u64| pubs.binary_search_by_key(&n, |p| p.tree_size).is_ok();
        let mut stops: Vec<u64> = pubs
            .iter()
            .map(|p| p.tree_size)
            .filter(|&n| n > self.published_size && n < target)
            .collect();
        stops.push(target);
        // The batch's statements move on to the site thread's feed (not cloned: a clone per
        // statement was 5 % of the sequencer).
        let mut batch: Vec<Option<Statement>> = batch.into_iter().map(Some).collect();
        let mut published = self.rt.published.write().unwrap_or_else(|p| p.into_inner());
        let mut applied = Vec::new();
        for stop in stops {
            if is_publication(self.published_size) {
                self.previous = Some(published.tally.selection_totals());
            }
            for i in self.published_size..stop {
                let st = if i >= batch_start {
                    batch
                        .get_mut((i - batch_start) as usize)
                        .and_then(Option::take)
                } else {
                    let log = self.rt.log.read().unwrap_or_else(|p| p.into_inner());
                    log.entries
                        .get(i as usize)
                        .and_then(|e| Note::parse(e).ok())
                        .and_then(|n| Statement::parse(&n.text).ok())
                };
                // The tally decides which kinds count (`apply_statement`); the site's copy
                // gets every statement and decides the same way.
                if let Some(st) = st {
                    published.tally.apply_statement(&st);
                    applied.push(st);
                }
            }
            self.published_size = stop;
        }
        published.history = Arc::new(PublicationRecord::history(
            pubs,
            target,
            self.previous.as_ref(),
        ));
        let root = self
            .rt
            .log
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .tree
            .root_at(target)
            .unwrap_or(skytale_tlog::EMPTY_ROOT);
        published.pos = LogPosition {
            tree_size: target,
            root_hash: encode_hash(&root),
            published_at: time,
        };
        // The site thread's copy of the tally follows the same statements (under this lock,
        // so a copy taken with the read lock never sees one twice).
        self.rt
            .site
            .publish(applied, published.pos.clone(), published.history.clone());
        drop(published);
        self.rt.render.mark_dirty();
    }
}

/// Now, as RFC 3339 UTC (for held submissions and creation dates; never for tally content).
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
