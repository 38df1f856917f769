//! The committed log's entries, as the server reads them: the newest ones from memory, the
//! rest from the store.
//!
//! Why not all in memory: a national election's log holds a signed note per polling station
//! and more (200,000 stations: some 200 MB of entries), and the server reads an old entry
//! rarely (a tile a verifier fetches once, a receipt for a resent statement, an official's
//! audit trail). What is read often is the tail: the newest tiles, the night's arrivals, the
//! entries the sequencer just wrote. So the newest [`RECENT_ENTRIES`] are kept, and older ones
//! are read through the store's reader connection, which never waits for the writer.
//!
//! Every index below `len` is committed: the sequencer writes a batch to the store before it
//! hands the batch to [`LogEntries::committed`], so a read below `len` always finds its entry.

use std::collections::VecDeque;
use std::sync::Arc;

use skytale_store::Store;

/// How many of the newest entries are kept in memory: more than the officials' night page
/// looks back over, and a few dozen full tiles.
pub const RECENT_ENTRIES: usize = 8_192;

/// The committed entries `[0, len)` of one election's log. A clone shares the store and
/// copies the handles of the recent entries: a reader takes one under the log's lock and reads
/// the store after letting go of it.
#[derive(Clone)]
pub struct LogEntries {
    store: Arc<Store>,
    election: String,
    /// Entries `[len - recent.len(), len)`.
    recent: VecDeque<Arc<[u8]>>,
    len: u64,
}

/// An entry the store should have and did not give.
#[derive(Debug, thiserror::Error)]
pub enum EntriesError {
    #[error("entries [{start}, {end}) are beyond the committed log ({len} entries)")]
    Beyond { start: u64, end: u64, len: u64 },
    #[error("the store: {0}")]
    Store(#[from] skytale_store::StoreError),
    #[error("the store gave {got} entries from {start}, {wanted} were asked for")]
    Short { start: u64, wanted: u64, got: u64 },
}

impl LogEntries {
    /// The entries of a log of `len` committed entries, whose newest entries are `tail` (the
    /// last ones of the log, in order; more than [`RECENT_ENTRIES`] is fine, the older are
    /// dropped).
    pub fn new(
        store: Arc<Store>,
        election: &str,
        len: u64,
        tail: impl IntoIterator<Item = Arc<[u8]>>,
    ) -> LogEntries {
        let mut e = LogEntries {
            store,
            election: election.to_string(),
            recent: VecDeque::new(),
            len: 0,
        };
        let mut tail: VecDeque<Arc<[u8]>> = tail.into_iter().collect();
        while tail.len() > RECENT_ENTRIES || tail.len() as u64 > len {
            tail.pop_front();
        }
        e.len = len - tail.len() as u64;
        e.committed(tail);
        e
    }

    /// How many entries are committed.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds entries the store has committed after the ones before.
    pub fn committed(&mut self, entries: impl IntoIterator<Item = Arc<[u8]>>) {
        for e in entries {
            self.recent.push_back(e);
            self.len += 1;
            if self.recent.len() > RECENT_ENTRIES {
                self.recent.pop_front();
            }
        }
    }

    /// Index of the oldest entry kept in memory.
    fn recent_start(&self) -> u64 {
        self.len - self.recent.len() as u64
    }

    /// Entry `index`, `None` beyond the log. A store that fails is logged and answers `None`
    /// too: the callers (receipts, reviews, the console) then show the entry as missing.
    pub fn get(&self, index: u64) -> Option<Arc<[u8]>> {
        match self.range(index, index.checked_add(1)?) {
            Ok(mut v) => v.pop(),
            Err(EntriesError::Beyond { .. }) => None,
            Err(e) => {
                tracing::error!(election = %self.election, index, "cannot read a log entry: {e}");
                None
            }
        }
    }

    /// Entries `[start, end)`, in order.
    pub fn range(&self, start: u64, end: u64) -> Result<Vec<Arc<[u8]>>, EntriesError> {
        if start > end || end > self.len {
            return Err(EntriesError::Beyond {
                start,
                end,
                len: self.len,
            });
        }
        let split = self.recent_start().clamp(start, end);
        let mut out = Vec::with_capacity((end - start) as usize);
        if start < split {
            let old = self.store.entries(&self.election, start, split)?;
            if old.len() as u64 != split - start {
                return Err(EntriesError::Short {
                    start,
                    wanted: split - start,
                    got: old.len() as u64,
                });
            }
            out.extend(old.into_iter().map(Arc::from));
        }
        // The part in memory (empty when the whole range is older).
        let first = split.saturating_sub(self.recent_start()) as usize;
        let last = end.saturating_sub(self.recent_start()) as usize;
        out.extend(self.recent.range(first..last).cloned());
        Ok(out)
    }

    /// The entries kept in memory, newest first, as `(index, entry)`: the recent past, read
    /// without the store (the officials' night page looks back over these).
    pub fn newest_in_memory(&self) -> impl Iterator<Item = (u64, &Arc<[u8]>)> {
        let start = self.recent_start();
        self.recent
            .iter()
            .enumerate()
            .rev()
            .map(move |(k, e)| (start + k as u64, e))
    }
}

/// Whether a log entry is an official's statement (the definition, keys, result types,
/// reviews, approvals): anything but a reporter's results or ballots. The audit trail lists
/// them, so the log view keeps their indexes.
///
/// Skytale's own client writes `type` first, so the first bytes tell nearly every entry
/// without parsing it; a statement another client wrote (any key order or spacing) has its
/// `type` read. An entry that does not parse is kept: the audit trail shows what it is.
pub fn is_officials(bytes: &[u8]) -> bool {
    if bytes.starts_with(br#"{"type":"results","#) || bytes.starts_with(br#"{"type":"cvr","#) {
        return false;
    }
    #[derive(serde::Deserialize)]
    struct Typed {
        #[serde(rename = "type")]
        kind: Option<String>,
    }
    let Ok(note) = skytale_note::Note::parse(bytes) else {
        return true;
    };
    match serde_json::from_str::<Typed>(&note.text) {
        Ok(Typed { kind: Some(k) }) => k != "results" && k != "cvr",
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use skytale_store::Extends;

    fn entry(i: u64) -> Vec<u8> {
        format!("{{\"type\":\"results\",\"n\":{i}}}").into_bytes()
    }

    /// A store holding an election of `n` entries, written in batches of 1,000.
    fn store_with(n: u64) -> (tempfile::TempDir, Arc<Store>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        store
            .create_election("e", "2026-01-01T00:00:00Z", &[entry(0)], b"cp0")
            .unwrap();
        let mut size = 1;
        while size < n {
            let end = (size + 1_000).min(n);
            let batch: Vec<Vec<u8>> = (size..end).map(entry).collect();
            let refs: Vec<&[u8]> = batch.iter().map(|e| &e[..]).collect();
            let head = store.head("e").unwrap().1;
            store
                .append(
                    "e",
                    Extends {
                        size,
                        checkpoint: &head,
                    },
                    &refs,
                    b"cp",
                )
                .unwrap();
            size = end;
        }
        (dir, store)
    }

    const N: u64 = RECENT_ENTRIES as u64 + 3_000;

    #[test]
    fn old_entries_come_from_the_store_and_new_ones_from_memory() {
        let (_dir, store) = store_with(N);
        let tail = (N - 10..N).map(|i| Arc::from(entry(i)));
        let mut e = LogEntries::new(store.clone(), "e", N, tail);
        assert_eq!(e.len(), N);
        assert_eq!(e.get(0).as_deref(), Some(&entry(0)[..]));
        assert_eq!(e.get(N - 1).as_deref(), Some(&entry(N - 1)[..]));
        assert_eq!(e.get(N), None, "beyond the log");
        let across = e.range(N - 20, N).unwrap();
        assert_eq!(across.len(), 20);
        assert!(across
            .iter()
            .zip(N - 20..)
            .all(|(a, i)| a[..] == entry(i)[..]));
        assert!(matches!(
            e.range(N - 1, N + 1),
            Err(EntriesError::Beyond { .. })
        ));

        // The memory keeps at most RECENT_ENTRIES, newest first in `newest_in_memory`.
        let more: Vec<Vec<u8>> = (N..N + 5).map(entry).collect();
        let refs: Vec<&[u8]> = more.iter().map(|e| &e[..]).collect();
        let head = store.head("e").unwrap().1;
        store
            .append(
                "e",
                Extends {
                    size: N,
                    checkpoint: &head,
                },
                &refs,
                b"cp",
            )
            .unwrap();
        e.committed(more.into_iter().map(Arc::from));
        let newest: Vec<u64> = e.newest_in_memory().map(|(i, _)| i).take(3).collect();
        assert_eq!(newest, vec![N + 4, N + 3, N + 2]);
        assert!(e.newest_in_memory().all(|(i, b)| b[..] == entry(i)[..]));
    }

    #[test]
    fn a_long_tail_keeps_only_the_newest() {
        let (_dir, store) = store_with(N);
        let e = LogEntries::new(store, "e", N, (0..N).map(|i| Arc::from(entry(i))));
        assert_eq!(e.newest_in_memory().count(), RECENT_ENTRIES);
        assert_eq!(
            e.newest_in_memory().last().map(|(i, _)| i),
            Some(N - RECENT_ENTRIES as u64)
        );
    }

    #[test]
    fn a_store_that_lost_entries_is_an_error_not_a_short_answer() {
        let (_dir, store) = store_with(100);
        // The view claims more than the store holds (a store changed under the server).
        let e = LogEntries::new(store, "e", 200, std::iter::empty());
        assert!(matches!(e.range(50, 150), Err(EntriesError::Short { .. })));
        assert_eq!(e.get(150), None);
    }

    #[test]
    fn results_and_ballots_are_told_in_any_key_order() {
        let key = skytale_note::SigningKey::from_seed("county", [3; 32]).unwrap();
        let signed = |text: &str| key.sign_note(text).unwrap().to_bytes();
        let cases = [
            (r#"{"type":"results","election":"e","unit":"u1"}"#, false),
            (r#"{"type":"cvr","election":"e"}"#, false),
            (r#"{"election":"e","type":"results","unit":"u1"}"#, false),
            (r#"{ "type" : "results", "election": "e" }"#, false),
            (r#"{"unit":"u1","election":"e","type":"cvr"}"#, false),
            (r#"{"type":"approval","election":"e","size":4}"#, true),
            (
                r#"{"election":"e","type":"review","decision":"release"}"#,
                true,
            ),
            (r#"{"election":"e"}"#, true),
        ];
        for (text, officials) in cases {
            assert_eq!(
                is_officials(&signed(&format!("{text}\n"))),
                officials,
                "{text}"
            );
        }
        assert!(is_officials(b"not a signed note"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_range_reads_the_entries_in_order(
            kept in 0..2_000u64,
            start in 0..N,
            width in 0..600u64,
        ) {
            let (_dir, store) = STORE.with(|s| s.clone());
            let tail = (N - kept.min(N)..N).map(|i| Arc::from(entry(i)));
            let e = LogEntries::new(store, "e", N, tail);
            let end = (start + width).min(N);
            let got = e.range(start, end).unwrap();
            prop_assert_eq!(got.len() as u64, end - start);
            for (g, i) in got.iter().zip(start..) {
                prop_assert_eq!(&g[..], &entry(i)[..]);
            }
        }
    }

    thread_local! {
        static STORE: (Arc<tempfile::TempDir>, Arc<Store>) = {
            let (d, s) = store_with(N);
            (Arc::new(d), s)
        };
    }
}
