//! `skytale approve`'s view of the approval rounds: the server's `/approvals` document, its
//! checkpoint checked with the log key and the approved size proved consistent with it before
//! anything is signed, the round to join, and the progress in plain words.
//!
//! An approval counts for the log's *content size* (the size after its last entry that is not
//! an approval; see `skytale_model::Publication`), so every approver can approve the same
//! figures: the client joins a round that others started instead of approving the log's size
//! of the moment, which each approval moves on.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use skytale_model::decode_hash;
use skytale_note::{Note, VerifierKey};
use skytale_tlog::{verify_consistency, Checkpoint, Hash};

/// `GET /api/v1/elections/<id>/approvals`: where the approval rounds stand, with the signed
/// checkpoint and a consistency proof from every size it names to that checkpoint.
#[derive(Clone, Debug, Deserialize)]
pub struct ApprovalsDoc {
    pub election: String,
    /// The election's publication mode (`approval` or `automatic`).
    pub mode: String,
    pub quorum: usize,
    /// Names of the approvers' keys.
    pub approvers: Vec<String>,
    /// The last publication, if any.
    pub published: Option<PublishedSize>,
    /// Content sizes beyond the last publication with approvals but no quorum yet.
    #[serde(default)]
    pub pending: Vec<PendingRound>,
    /// The log's content size now and its root there.
    pub content: SizeRoot,
    /// The signed checkpoint note the proofs lead to.
    pub checkpoint: String,
    /// Size → RFC 6962 consistency proof (base64 hashes) from that size to the checkpoint's.
    #[serde(default)]
    pub proofs: BTreeMap<u64, Vec<String>>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct PublishedSize {
    pub tree_size: u64,
    pub root_hash: String,
    pub published_at: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct PendingRound {
    pub tree_size: u64,
    pub root_hash: String,
    pub approved_by: Vec<String>,
    pub waiting_for: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SizeRoot {
    pub tree_size: u64,
    pub root_hash: String,
}

/// What the approver should do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Sign an approval of this content size.
    Approve(u64),
    /// This approver's approval of this size is already counted: signing again adds an entry
    /// to the log and nothing to the round.
    AlreadyApproved(u64),
}

impl ApprovalsDoc {
    pub fn parse(bytes: &[u8]) -> Result<ApprovalsDoc> {
        serde_json::from_slice(bytes).map_err(|e| anyhow!("not an approvals document: {e}"))
    }

    /// The root the document gives for `size`, if it names that size.
    pub fn root_of(&self, size: u64) -> Option<&str> {
        let published = self.published.iter().map(|p| (p.tree_size, &p.root_hash));
        let pending = self.pending.iter().map(|p| (p.tree_size, &p.root_hash));
        let content = std::iter::once((self.content.tree_size, &self.content.root_hash));
        published
            .chain(pending)
            .chain(content)
            .find(|(n, _)| *n == size)
            .map(|(_, r)| r.as_str())
    }

    /// The signed checkpoint, verified with the log key; its origin must be `origin` (the log
    /// the election names), when that is known.
    pub fn verified_checkpoint(&self, log_key: &VerifierKey, origin: &str) -> Result<Checkpoint> {
        let note = Note::parse(self.checkpoint.as_bytes())
            .map_err(|e| anyhow!("the approvals' checkpoint is not a signed note: {e}"))?;
        note.verify(std::slice::from_ref(log_key))
            .map_err(|e| anyhow!("the approvals' checkpoint is not signed by the log key: {e}"))?;
        let cp =
            Checkpoint::parse(&note.text).map_err(|e| anyhow!("the approvals' checkpoint: {e}"))?;
        if !origin.is_empty() && cp.origin != origin {
            bail!(
                "the approvals' checkpoint is of log {:?}, not this election's log {origin:?}",
                cp.origin
            );
        }
        Ok(cp)
    }

    /// The root the document gives for `size`, once its consistency proof shows that the
    /// signed checkpoint `cp` extends the tree of that size and root: what an approval of
    /// `size` may sign.
    pub fn proved_root(&self, cp: &Checkpoint, size: u64) -> Result<Hash> {
        let root = self
            .root_of(size)
            .ok_or_else(|| anyhow!("the approvals document names no root for tree size {size}"))?;
        let root = decode_hash(root).ok_or_else(|| {
            anyhow!("the root of tree size {size} is not the base64 of 32 bytes: {root:?}")
        })?;
        let proof: Vec<Hash> = match self.proofs.get(&size) {
            Some(p) => p
                .iter()
                .map(|h| {
                    decode_hash(h).ok_or_else(|| {
                        anyhow!(
                            "a hash of the proof for tree size {size} is not base64 of 32 bytes"
                        )
                    })
                })
                .collect::<Result<_>>()?,
            // Proving a size against a checkpoint of that same size takes no hashes.
            None if size == cp.size => Vec::new(),
            None => bail!("the server gives no consistency proof for tree size {size}"),
        };
        verify_consistency(size, cp.size, &proof, &root, &cp.root).map_err(|e| {
            anyhow!(
                "the root the server gives for tree size {size} is not proved by its signed checkpoint (size {}): {e}",
                cp.size
            )
        })?;
        Ok(root)
    }

    /// The size approver `me` (its key's name) should approve: `size` if given (one the
    /// document names), else the round closest to its quorum (the newest of equals) that waits
    /// for `me`, so all approvers review the same figures, else the content size. Never a
    /// size already published.
    pub fn choose(&self, me: &str, size: Option<u64>) -> Result<Choice> {
        let target = match size {
            Some(n) if self.root_of(n).is_none() => bail!(
                "tree size {n} is not one the server lists ({}); approve one of those",
                self.sizes_named()
            ),
            Some(n) => n,
            None => self
                .pending
                .iter()
                .filter(|p| p.waiting_for.iter().any(|w| w == me))
                .max_by_key(|p| (p.approved_by.len(), p.tree_size))
                .map_or(self.content.tree_size, |p| p.tree_size),
        };
        if let Some(p) = self.published.as_ref().filter(|p| target <= p.tree_size) {
            bail!(
                "tree size {target} is already published (the published size is {}); nothing new to approve",
                p.tree_size
            );
        }
        let mine = self
            .pending
            .iter()
            .any(|p| p.tree_size == target && p.approved_by.iter().any(|a| a == me));
        Ok(if mine {
            Choice::AlreadyApproved(target)
        } else {
            Choice::Approve(target)
        })
    }

    fn sizes_named(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.published {
            parts.push(format!("published {}", p.tree_size));
        }
        for p in &self.pending {
            parts.push(format!("pending {}", p.tree_size));
        }
        parts.push(format!("content {}", self.content.tree_size));
        parts.join(", ")
    }

    /// Where the approvals of `size` stand, in plain words: "1 of 2 approvals; waiting for
    /// b-name" or "2 of 2 approvals: tree size 7 is published".
    pub fn progress(&self, size: u64) -> String {
        if let Some(p) = self.published.as_ref().filter(|p| p.tree_size >= size) {
            return if p.tree_size == size {
                format!(
                    "{q} of {q} approvals: tree size {size} is published",
                    q = self.quorum
                )
            } else {
                format!(
                    "tree size {} is published, which includes tree size {size}",
                    p.tree_size
                )
            };
        }
        let Some(round) = self.pending.iter().find(|p| p.tree_size == size) else {
            return format!("the server lists no approvals of tree size {size}");
        };
        let approved = round.approved_by.len();
        let needed = self.quorum.saturating_sub(approved);
        let names = round.waiting_for.join(", ");
        if needed >= round.waiting_for.len() {
            format!(
                "{approved} of {} approvals; waiting for {names}",
                self.quorum
            )
        } else {
            format!(
                "{approved} of {} approvals; waiting for {needed} more of {names}",
                self.quorum
            )
        }
    }
}

/// Reads the `/approvals` answer: `None` for a 404 (a server from before approval rounds).
pub fn from_response(status: u16, body: &[u8], url: &str) -> Result<Option<ApprovalsDoc>> {
    match status {
        404 => Ok(None),
        200..=299 => ApprovalsDoc::parse(body)
            .map(Some)
            .with_context(|| format!("GET {url}")),
        _ => bail!(
            "GET {url}: {status} {}",
            String::from_utf8_lossy(body).trim()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skytale_model::encode_hash;
    use skytale_note::SigningKey;
    use skytale_tlog::Tree;

    /// The document exactly as the server's API describes it.
    const LITERAL: &str = r#"{"election":"demo","mode":"approval","quorum":2,"approvers":["a-name","b-name"],
 "published":{"tree_size":5,"root_hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","published_at":"2026-11-25T21:00:00Z"},
 "pending":[{"tree_size":7,"root_hash":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=","approved_by":["a-name"],"waiting_for":["b-name"]}],
 "content":{"tree_size":7,"root_hash":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="},
 "checkpoint":"demo.example/demo\n9\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n\n— log Ym9ndXM=\n",
 "proofs":{"5":["AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="],"7":[]}}"#;

    #[test]
    fn the_literal_document_parses() {
        let d = ApprovalsDoc::parse(LITERAL.as_bytes()).unwrap();
        assert_eq!((d.election.as_str(), d.mode.as_str()), ("demo", "approval"));
        assert_eq!(d.quorum, 2);
        assert_eq!(d.approvers, ["a-name", "b-name"]);
        let p = d.published.as_ref().unwrap();
        assert_eq!(p.tree_size, 5);
        assert_eq!(p.published_at.as_deref(), Some("2026-11-25T21:00:00Z"));
        assert_eq!(d.pending.len(), 1);
        assert_eq!(d.pending[0].approved_by, ["a-name"]);
        assert_eq!(d.pending[0].waiting_for, ["b-name"]);
        assert_eq!(d.content.tree_size, 7);
        assert!(d.checkpoint.starts_with("demo.example/demo\n9\n"));
        assert_eq!(d.proofs[&5].len(), 1);
        assert!(d.proofs[&7].is_empty());
        assert_eq!(d.root_of(7), Some(d.content.root_hash.as_str()));
        assert_eq!(d.root_of(6), None);
        // Nothing published yet: `published` is null.
        let none = LITERAL.replace(
            r#"{"tree_size":5,"root_hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","published_at":"2026-11-25T21:00:00Z"}"#,
            "null",
        );
        assert!(ApprovalsDoc::parse(none.as_bytes())
            .unwrap()
            .published
            .is_none());
    }

    #[test]
    fn an_older_server_is_told_apart_from_a_failing_one() {
        assert!(from_response(404, b"not found", "u").unwrap().is_none());
        assert!(from_response(200, LITERAL.as_bytes(), "u")
            .unwrap()
            .is_some());
        let err = from_response(503, b"busy", "u").unwrap_err().to_string();
        assert!(err.contains("503 busy"), "{err}");
        assert!(from_response(200, b"{}", "u").is_err());
    }

    #[test]
    fn the_round_to_join_then_the_content_never_a_published_size() {
        let d = ApprovalsDoc::parse(LITERAL.as_bytes()).unwrap();
        // b joins the round a started; a has approved it already.
        assert_eq!(d.choose("b-name", None).unwrap(), Choice::Approve(7));
        assert_eq!(
            d.choose("a-name", None).unwrap(),
            Choice::AlreadyApproved(7)
        );
        // With new content since a's approval, a approves the new content; b still joins a.
        let mut newer = d.clone();
        newer.content = SizeRoot {
            tree_size: 9,
            root_hash: encode_hash(&[9; 32]),
        };
        assert_eq!(newer.choose("a-name", None).unwrap(), Choice::Approve(9));
        assert_eq!(newer.choose("b-name", None).unwrap(), Choice::Approve(7));
        assert_eq!(newer.choose("b-name", Some(9)).unwrap(), Choice::Approve(9));
        // A size the server does not list, or one already published, is refused.
        let err = d.choose("b-name", Some(6)).unwrap_err().to_string();
        assert!(err.contains("published 5, pending 7, content 7"), "{err}");
        let err = d.choose("b-name", Some(5)).unwrap_err().to_string();
        assert!(err.contains("already published"), "{err}");
        let mut idle = d.clone();
        idle.pending.clear();
        idle.content = SizeRoot {
            tree_size: 5,
            root_hash: encode_hash(&[0; 32]),
        };
        let err = idle.choose("a-name", None).unwrap_err().to_string();
        assert!(err.contains("already published"), "{err}");
    }

    #[test]
    fn progress_in_plain_words() {
        let d = ApprovalsDoc::parse(LITERAL.as_bytes()).unwrap();
        assert_eq!(d.progress(7), "1 of 2 approvals; waiting for b-name");
        assert_eq!(d.progress(5), "2 of 2 approvals: tree size 5 is published");
        assert_eq!(
            d.progress(3),
            "tree size 5 is published, which includes tree size 3"
        );
        assert_eq!(
            d.progress(8),
            "the server lists no approvals of tree size 8"
        );
        let mut three = d.clone();
        three.quorum = 2;
        three.pending[0].waiting_for = vec!["b-name".into(), "c-name".into()];
        assert_eq!(
            three.progress(7),
            "1 of 2 approvals; waiting for 1 more of b-name, c-name"
        );
    }

    /// A log of `n` entries, its signed checkpoint and the document a server would send.
    fn served(n: u64, content: u64, log: &SigningKey) -> (ApprovalsDoc, Tree) {
        let mut tree = Tree::new();
        for i in 0..n {
            tree.push_entry(format!("entry {i}").as_bytes());
        }
        let cp = Checkpoint {
            origin: "results.example/demo".into(),
            size: n,
            root: tree.root(),
            extensions: vec![],
        };
        let note = log.sign_note(&cp.to_text()).unwrap();
        let proof = |m: u64| -> Vec<String> {
            tree.consistency_proof(m, n)
                .unwrap()
                .iter()
                .map(encode_hash)
                .collect()
        };
        let json = serde_json::json!({
            "election": "demo", "mode": "approval", "quorum": 2,
            "approvers": ["a-name", "b-name"], "published": null, "pending": [],
            "content": {"tree_size": content, "root_hash": encode_hash(&tree.root_at(content).unwrap())},
            "checkpoint": String::from_utf8(note.to_bytes()).unwrap(),
            "proofs": {content.to_string(): proof(content)},
        });
        (
            ApprovalsDoc::parse(json.to_string().as_bytes()).unwrap(),
            tree,
        )
    }

    #[test]
    fn the_root_signed_is_proved_by_the_log_keys_checkpoint() {
        let log = SigningKey::from_seed("log", [7; 32]).unwrap();
        let (d, tree) = served(12, 10, &log);
        let cp = d
            .verified_checkpoint(&log.verifier(), "results.example/demo")
            .unwrap();
        assert_eq!(cp.size, 12);
        assert_eq!(d.proved_root(&cp, 10).unwrap(), tree.root_at(10).unwrap());

        // Another key's checkpoint, or another log's, is refused.
        let other = SigningKey::from_seed("log", [8; 32]).unwrap();
        assert!(d.verified_checkpoint(&other.verifier(), "").is_err());
        let err = d
            .verified_checkpoint(&log.verifier(), "results.example/other")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not this election's log"), "{err}");

        // A root the checkpoint does not extend is refused, as is a missing proof.
        let mut forged = d.clone();
        forged.content.root_hash = encode_hash(&tree.root_at(9).unwrap());
        let err = forged.proved_root(&cp, 10).unwrap_err().to_string();
        assert!(err.contains("not proved by its signed checkpoint"), "{err}");
        let mut bare = d.clone();
        bare.proofs.clear();
        let err = bare.proved_root(&cp, 10).unwrap_err().to_string();
        assert!(err.contains("no consistency proof"), "{err}");
        // The checkpoint's own size needs no proof.
        let (at_head, tree) = served(12, 12, &log);
        let mut at_head = at_head;
        at_head.proofs.clear();
        assert_eq!(
            at_head.proved_root(&cp, 12).unwrap(),
            tree.root_at(12).unwrap()
        );
    }
}
