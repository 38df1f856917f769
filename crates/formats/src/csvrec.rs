//! CSV records from any `BufRead`, each with the line it starts on, within size limits.
//!
//! Built on `csv_core` rather than `csv::Reader` because the importer needs the exact line of
//! every record while streaming: `csv::Reader` places a record after a CRLF ending at the `\n`
//! still to be consumed (one line early) and a record after blank lines at the first blank line.
//! Here every consumed byte passes through our hands, so the start line is counted from the
//! record's first byte that is not a line ending. The record's bytes live in one buffer reused
//! for the whole file (no allocation per row).

use std::io::BufRead;

use csv_core::ReadRecordResult;

use crate::error::{FormatError, Location};

/// Longest record (all its fields together), in bytes: a CSV row of a results file is a few
/// hundred bytes; a runaway quote must not swallow the rest of a large file into memory.
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// Most fields in one record.
pub const MAX_RECORD_FIELDS: usize = 4096;

pub(crate) struct Records<R> {
    input: R,
    core: csv_core::Reader,
    /// The current record's fields, unquoted, back to back.
    out: Vec<u8>,
    /// End offset in `out` of each field of the current record.
    ends: Vec<usize>,
    fields: usize,
    /// Lines started so far: 1 + line feeds consumed.
    lines: u64,
    /// The line the current record starts on.
    start: u64,
}

impl<R: BufRead> Records<R> {
    pub fn new(input: R) -> Records<R> {
        Records {
            input,
            core: csv_core::Reader::new(),
            out: vec![0; 4096],
            ends: vec![0; 64],
            fields: 0,
            lines: 1,
            start: 1,
        }
    }

    /// Reads the next record; `false` at the end of the input.
    pub fn next(&mut self) -> Result<bool, FormatError> {
        let (mut outlen, mut started) = (0usize, false);
        self.fields = 0;
        loop {
            let buf = self.input.fill_buf().map_err(|e| {
                FormatError::syntax(Location::line(self.lines), format!("cannot read: {e}"))
            })?;
            let (res, nin, nout, nend) =
                self.core
                    .read_record(buf, &mut self.out[outlen..], &mut self.ends[self.fields..]);
            let used = &buf[..nin];
            if !started {
                if let Some(i) = used.iter().position(|&b| b != b'\n' && b != b'\r') {
                    self.start = self.lines + line_feeds(&used[..i]);
                    started = true;
                }
            }
            // csv_core counts every line feed it consumes (quoted ones too: a line feed always
            // leaves its copy loop), so the record's bytes need no second scan.
            self.lines = self.core.line();
            self.input.consume(nin);
            outlen += nout;
            self.fields += nend;
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    if self.out.len() >= MAX_RECORD_BYTES {
                        return Err(
                            self.too_large("the length of a record in bytes", MAX_RECORD_BYTES)
                        );
                    }
                    let n = (self.out.len() * 2).min(MAX_RECORD_BYTES);
                    self.out.resize(n, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    if self.ends.len() >= MAX_RECORD_FIELDS {
                        return Err(
                            self.too_large("the number of fields of a record", MAX_RECORD_FIELDS)
                        );
                    }
                    let n = (self.ends.len() * 2).min(MAX_RECORD_FIELDS);
                    self.ends.resize(n, 0);
                }
                ReadRecordResult::Record => return Ok(true),
                ReadRecordResult::End => return Ok(false),
            }
        }
    }

    fn too_large(&self, what: &'static str, limit: usize) -> FormatError {
        FormatError::TooLarge {
            at: Location::line(self.start),
            what,
            limit: limit as u64,
        }
    }

    /// The line the current record starts on (1-based).
    pub fn line(&self) -> u64 {
        self.start
    }

    pub fn len(&self) -> usize {
        self.fields
    }

    /// Field `i` of the current record.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.fields {
            return None;
        }
        let from = if i == 0 { 0 } else { self.ends[i - 1] };
        self.out.get(from..self.ends[i])
    }

    /// Fields `lo..=hi` of the current record back to back, where each of them ends, and where
    /// field `lo` starts (offsets into the record's bytes); `None` when the record has fewer
    /// fields.
    pub fn span(&self, lo: usize, hi: usize) -> Option<(&[u8], &[usize], usize)> {
        if hi >= self.fields || lo > hi {
            return None;
        }
        let from = if lo == 0 { 0 } else { self.ends[lo - 1] };
        let ends = &self.ends[lo..=hi];
        Some((self.out.get(from..self.ends[hi])?, ends, from))
    }

    /// Every field of the current record, back to back.
    pub fn bytes(&self) -> &[u8] {
        match self.fields {
            0 => &[],
            n => &self.out[..self.ends[n - 1]],
        }
    }
}

/// Line feeds in `b` (the few line endings before a record).
fn line_feeds(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| c == b'\n').count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &[u8], chunk: usize) -> Vec<(u64, Vec<String>)> {
        // A reader handing out `chunk` bytes at a time: record and line bookkeeping must not
        // depend on where the buffer boundaries fall.
        let r = std::io::BufReader::with_capacity(chunk, text);
        let mut rec = Records::new(r);
        let mut out = Vec::new();
        while rec.next().unwrap() {
            let fields = (0..rec.len())
                .map(|i| String::from_utf8(rec.get(i).unwrap().to_vec()).unwrap())
                .collect();
            out.push((rec.line(), fields));
        }
        out
    }

    #[test]
    fn lines_of_records_with_crlf_blank_lines_and_quoted_newlines() {
        let text = b"a,b\r\n1,2\r\n\r\n\"x\ny\",3\n\n\n4,\"5\r\n\"\n6,7";
        for chunk in [1, 2, 3, 7, 4096] {
            let r = all(text, chunk);
            let lines: Vec<u64> = r.iter().map(|x| x.0).collect();
            assert_eq!(lines, vec![1, 2, 4, 8, 10], "chunk {chunk}");
            assert_eq!(r[2].1, vec!["x\ny", "3"]);
            assert_eq!(r[3].1, vec!["4", "5\r\n"]);
            assert_eq!(r[4].1, vec!["6", "7"]);
        }
    }

    #[test]
    fn a_runaway_quote_stops_at_the_record_limit() {
        let mut text = b"a,b\n1,\"".to_vec();
        text.resize(MAX_RECORD_BYTES + 100, b'x');
        let mut rec = Records::new(&text[..]);
        assert!(rec.next().unwrap());
        match rec.next() {
            Err(FormatError::TooLarge { at, .. }) => assert_eq!(at.line, Some(2)),
            other => panic!("expected TooLarge, got {:?}", other.map(|_| ())),
        }
    }
}
