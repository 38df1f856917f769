//! Replaying a log through the acceptance rules: the one loop that the server's start-up and
//! the verifier both run, so a stored log and a published log are judged alike.
//!
//! Signatures are the expensive part, so they are checked in parallel (rayon) in chunks of
//! [`REPLAY_CHUNK`], each against the key ring in force at the start of the chunk; admission is
//! then sequential, in log order, exactly as the sequencer did it. A `key` statement changes
//! the ring, so the chunk is cut right after it and the next chunk is checked against the new
//! ring: a statement is never checked against a key added after it, and revocations are
//! enforced by [`Ledger::admit`] at the statement's own position.

use rayon::prelude::*;

use crate::ledger::{Admitted, Ledger, VerifiedNote};
use crate::statement::{DefinitionPart, Statement};
use crate::{verify_notes, Rejection, VERIFY_TOGETHER};

/// Entries whose signatures are checked together, in parallel.
pub const REPLAY_CHUNK: usize = 4096;

/// What the caller decides about an entry the rules refuse.
pub enum Refused<E> {
    /// Stop the replay with this error (the server: a stored log must be acceptable).
    Stop(E),
    /// Go on; the entry keeps its index but changes nothing (the verifier: report and go on).
    Skip,
}

/// Checks and admits `entries`, which are the log's entries from `ledger.size()` on, committing
/// each admitted one before `admitted` is called with its index. `root_at` gives the log's root
/// at a size up to the entry's own index (publication statements name one). A refused entry
/// goes to `refused`, which stops the replay or skips the entry.
pub fn replay<B, E>(
    ledger: &mut Ledger,
    entries: &[B],
    root_at: &(dyn Fn(u64) -> Option<[u8; 32]> + Sync),
    mut admitted: impl FnMut(u64, Admitted),
    mut refused: impl FnMut(u64, Rejection) -> Refused<E>,
) -> Result<(), E>
where
    B: AsRef<[u8]> + Sync,
{
    let first = ledger.size();
    let mut i = 0;
    while i < entries.len() {
        let end = (i + REPLAY_CHUNK).min(entries.len());
        let keys = ledger.keys().clone();
        let election = ledger.election().to_owned();
        let verified: Vec<Result<VerifiedNote, Rejection>> = entries[i..end]
            .par_chunks(VERIFY_TOGETHER)
            .flat_map_iter(|c| verify_notes(&keys, &election, c))
            .collect();
        let mut next = end;
        for (j, v) in verified.into_iter().enumerate() {
            let index = first + (i + j) as u64;
            match v.and_then(|v| ledger.admit(v, root_at)) {
                Ok(a) => {
                    ledger.commit(&a);
                    let key_change = matches!(a.verified.statement, Statement::Key(_));
                    admitted(index, a);
                    if key_change {
                        // The key ring changed: check the rest against the new ring.
                        next = i + j + 1;
                        break;
                    }
                }
                Err(r) => match refused(index, r) {
                    Refused::Stop(e) => return Err(e),
                    Refused::Skip => skip(ledger),
                },
            }
        }
        i = next;
    }
    Ok(())
}

/// Moves `ledger` one entry on without changing anything else: an entry that was refused, or
/// one a verifier cannot read (sealed by an embargo). It counts as content, never as a
/// publication statement.
pub fn skip(ledger: &mut Ledger) {
    let p = placeholder(ledger.election());
    ledger.commit(&p);
}

/// A statement that changes nothing but occupies an index (a definition part changes nothing
/// once the definition is read), so the ledger's size stays equal to the log's.
fn placeholder(election: &str) -> Admitted {
    Admitted {
        verified: VerifiedNote {
            note: skytale_note::Note {
                text: String::new(),
                signatures: vec![],
            },
            statement: Statement::DefinitionPart(DefinitionPart {
                election: election.to_owned(),
                part: 0,
                text: String::new(),
            }),
            signers: vec![],
        },
        unit: None,
        issues: vec![],
    }
}
