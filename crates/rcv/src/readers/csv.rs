//! RCTab's generic CSV format (`genericCsv`): a header row of candidate names from
//! `firstVoteColumnIndex` on, then one row per ballot with the rank number in each candidate's
//! cell (blank = not ranked). The column named by `undeclaredWriteInLabel` counts as
//! undeclared write-ins.
//!
//! Like RCTab, every row after the header is a ballot (RCTab's `firstVoteRowIndex` skip is a
//! no-op for this format).

use crate::ballots::{CvrSink, Mark};
use crate::config::CvrSource;
use crate::RcvError;

/// Longest line accepted, in bytes.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// Reads a generic CSV source.
pub fn read(
    files: &dyn super::files::Files,
    source: &CvrSource,
    sink: &mut CvrSink<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<(), RcvError> {
    let path = &source.path;
    let file = files.open(path)?;
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let first_col = source.first_vote_column.unwrap_or(1).saturating_sub(1) as usize;
    let mut rec = ::csv::ByteRecord::new();
    let csv_err = |e: ::csv::Error, row: u64| RcvError::Cvr {
        path: path.clone(),
        row: Some(row),
        column: None,
        why: e.to_string(),
    };
    if !rdr.read_byte_record(&mut rec).map_err(|e| csv_err(e, 1))? {
        return Err(RcvError::cvr(path, Some(1), "empty file: no header row"));
    }
    // Header: candidate columns.
    let mut columns: Vec<Option<Mark>> = Vec::new();
    for col in first_col..rec.len() {
        let name = std::str::from_utf8(&rec[col]).map_err(|_| RcvError::Cvr {
            path: path.clone(),
            row: Some(1),
            column: Some(col as u64 + 1),
            why: "header is not UTF-8".into(),
        })?;
        if name.trim().is_empty() {
            return Err(RcvError::Cvr {
                path: path.clone(),
                row: Some(1),
                column: Some(col as u64 + 1),
                why: "blank candidate name in header".into(),
            });
        }
        let mark = if source.uwi_label.as_deref() == Some(name) {
            sink.table().uwi.map(Mark::Candidate)
        } else {
            sink.table().resolve(name).map(Mark::Candidate)
        };
        if mark.is_none() {
            // Unknown header name: only an error if some ballot ranks it (as in RCTab).
            columns.push(None);
        } else {
            columns.push(mark);
        }
    }
    let header_names: Vec<String> = (first_col..rec.len())
        .map(|c| String::from_utf8_lossy(&rec[c]).into_owned())
        .collect();
    let n_header = header_names.len();
    // The body is read from the header's end with a reader of its own (see `Body::run`).
    let body_start = rdr.position().byte();
    let file = rdr.into_inner().into_inner();
    // Two stages on two threads: a helper parses rows into (rank, column) cells, this thread
    // resolves, checks and dedupes them in file order. Each stage is about half the work, and
    // errors still come out in file order: the parser sends the rows before a bad one, then
    // the error.
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Chunk, RcvError>>(CHUNKS_IN_FLIGHT);
        let (recycle_tx, recycle_rx) = std::sync::mpsc::channel::<Chunk>();
        let body = Body {
            path,
            first_col,
            n_header,
            tx,
            recycle: recycle_rx,
        };
        scope.spawn(move || body.run(body_start, file));
        for msg in rx {
            let chunk = msg?;
            let mut start = 0usize;
            for (j, &end) in chunk.ends.iter().enumerate() {
                for &(rank, k) in &chunk.cells[start..end as usize] {
                    match columns[k as usize] {
                        Some(m) => sink.rank(rank, m),
                        None => sink.rank_name(rank, &header_names[k as usize]),
                    }
                }
                start = end as usize;
                let r = chunk.first_row + j as u64;
                sink.end(path, || format!("row {r}"))?;
                if sink.records().is_multiple_of(super::PROGRESS_EVERY) {
                    progress(sink.records());
                }
            }
            // The parser may be gone already (it stops after the last chunk).
            let _ = recycle_tx.send(chunk);
        }
        Ok(())
    })
}

/// Rows per chunk handed from the parsing thread to the resolving one.
const ROWS_PER_CHUNK: usize = 32_768;
/// Chunks parsed ahead of the resolving thread (bounds memory).
const CHUNKS_IN_FLIGHT: usize = 4;

/// Parsed rows: the non-blank cells of each row as (rank, candidate column index).
#[derive(Debug, Default)]
struct Chunk {
    /// 1-based row number of the chunk's first row.
    first_row: u64,
    /// Cells of all rows, row after row.
    cells: Vec<(i64, u32)>,
    /// End of each row's cells in `cells`.
    ends: Vec<u32>,
}

/// The parsing stage: reads the ballot rows after the header and sends them in chunks; a
/// malformed row ends the stream with its error.
struct Body<'p> {
    path: &'p std::path::Path,
    first_col: usize,
    n_header: usize,
    tx: std::sync::mpsc::SyncSender<Result<Chunk, RcvError>>,
    recycle: std::sync::mpsc::Receiver<Chunk>,
}

/// Bytes read at a time by the quote-free fast path.
const BLOCK_BYTES: usize = 1 << 20;

impl Body<'_> {
    /// Reads from byte `start` of `file` to the end.
    ///
    /// Ballot rows are numbers and commas, so the body is split into lines and cells directly
    /// (memchr) while no `"` appears: that is several times cheaper than the csv crate's state
    /// machine and means the same. The csv crate's rules kept: a record ends at `\n`, `\r` or
    /// `\r\n`, and blank lines are skipped. From the first block holding a quote on, the
    /// rest of the file goes through the csv crate; blocks end at line ends, so it starts
    /// outside any quoted field, as it would have.
    fn run(self, start: u64, mut file: Box<dyn super::files::Input>) {
        use std::io::{Read, Seek};
        let mut chunk = Chunk {
            first_row: 2,
            ..Chunk::default()
        };
        let mut row: u64 = 1;
        let io_err = |e: std::io::Error| RcvError::io(self.path, e);
        let result = (|| -> Result<(), RcvError> {
            file.seek(std::io::SeekFrom::Start(start)).map_err(io_err)?;
            let mut buf: Vec<u8> = Vec::with_capacity(2 * BLOCK_BYTES);
            let mut eof = false;
            loop {
                if !eof {
                    // Appends up to a block; fewer bytes means the end of the file.
                    let got = (&mut file)
                        .take(BLOCK_BYTES as u64)
                        .read_to_end(&mut buf)
                        .map_err(io_err)?;
                    eof = got < BLOCK_BYTES;
                }
                let end = if eof {
                    buf.len()
                } else {
                    match memchr::memrchr2(b'\n', b'\r', &buf) {
                        Some(p) => p + 1,
                        None if buf.len() > MAX_LINE_BYTES + BLOCK_BYTES => {
                            return Err(RcvError::Limit {
                                path: self.path.to_path_buf(),
                                why: format!("row {} longer than {MAX_LINE_BYTES} bytes", row + 1),
                            });
                        }
                        None => continue,
                    }
                };
                if memchr::memchr(b'"', &buf[..end]).is_some() {
                    let rest = std::io::Cursor::new(std::mem::take(&mut buf)).chain(file);
                    return self.csv_rows(rest, &mut row, &mut chunk);
                }
                let mut line_start = 0;
                for p in memchr::memchr2_iter(b'\n', b'\r', &buf[..end])
                    .chain((end > 0 && !matches!(buf[end - 1], b'\n' | b'\r')).then_some(end))
                {
                    let line = &buf[line_start..p];
                    line_start = p + 1;
                    if line.is_empty() {
                        continue;
                    }
                    row += 1;
                    self.parse_line(line, row, &mut chunk.cells)?;
                    self.row_done(&mut chunk, row)?;
                }
                buf.drain(..end);
                if eof && buf.is_empty() {
                    return Ok(());
                }
            }
        })();
        self.finish(chunk, result);
    }

    /// The csv crate's reading of the rest of the body (after a quote was seen).
    fn csv_rows<R: std::io::Read>(
        &self,
        input: R,
        row: &mut u64,
        chunk: &mut Chunk,
    ) -> Result<(), RcvError> {
        let mut rdr = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        let mut rec = ::csv::ByteRecord::new();
        loop {
            *row += 1;
            match rdr.read_byte_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(e) => {
                    return Err(RcvError::Cvr {
                        path: self.path.to_path_buf(),
                        row: Some(*row),
                        column: None,
                        why: e.to_string(),
                    })
                }
            }
            if rec.as_slice().len() > MAX_LINE_BYTES {
                return Err(self.too_long(*row));
            }
            self.parse_cells(rec.iter(), *row, &mut chunk.cells)?;
            self.row_done(chunk, *row)?;
        }
    }

    fn too_long(&self, row: u64) -> RcvError {
        RcvError::Limit {
            path: self.path.to_path_buf(),
            why: format!("row {row} longer than {MAX_LINE_BYTES} bytes"),
        }
    }

    /// One quote-free line: its cells are the bytes between commas.
    fn parse_line(
        &self,
        line: &[u8],
        row: u64,
        cells: &mut Vec<(i64, u32)>,
    ) -> Result<(), RcvError> {
        // The csv crate's limit counts the cells' bytes, not the commas between them.
        if line.len() > MAX_LINE_BYTES
            && line.len() - memchr::memchr_iter(b',', line).count() > MAX_LINE_BYTES
        {
            return Err(self.too_long(row));
        }
        // One pass over the bytes; blank cells (most of them) cost a comparison each.
        let mut col = 0usize;
        let mut start = 0usize;
        for (i, &b) in line.iter().enumerate() {
            if b == b',' {
                if i > start && col >= self.first_col {
                    self.cell(&line[start..i], col, row, cells)?;
                }
                col += 1;
                start = i + 1;
            }
        }
        if line.len() > start && col >= self.first_col {
            self.cell(&line[start..], col, row, cells)?;
        }
        Ok(())
    }

    /// Appends the non-blank cells of one ballot row to `cells` as (rank, candidate column).
    fn parse_cells<'a>(
        &self,
        fields: impl Iterator<Item = &'a [u8]>,
        row: u64,
        cells: &mut Vec<(i64, u32)>,
    ) -> Result<(), RcvError> {
        for (col, cell) in fields.enumerate().skip(self.first_col) {
            if !cell.is_empty() {
                self.cell(cell, col, row, cells)?;
            }
        }
        Ok(())
    }

    /// One non-empty cell at 0-based column `col`: blank after trimming, or a rank.
    #[inline]
    fn cell(
        &self,
        cell: &[u8],
        col: usize,
        row: u64,
        cells: &mut Vec<(i64, u32)>,
    ) -> Result<(), RcvError> {
        let cell = cell.trim_ascii();
        if cell.is_empty() {
            return Ok(());
        }
        let rank: i64 = parse_rank(cell).ok_or_else(|| RcvError::Cvr {
            path: self.path.to_path_buf(),
            row: Some(row),
            column: Some(col as u64 + 1),
            why: format!(
                "expected a rank number, got {:?}",
                String::from_utf8_lossy(cell)
            ),
        })?;
        let k = col - self.first_col;
        if k >= self.n_header {
            return Err(RcvError::Cvr {
                path: self.path.to_path_buf(),
                row: Some(row),
                column: Some(col as u64 + 1),
                why: "more cells than header columns".into(),
            });
        }
        cells.push((rank, k as u32));
        Ok(())
    }

    /// Closes row `row` in `chunk`, sending the chunk when it is full.
    fn row_done(&self, chunk: &mut Chunk, row: u64) -> Result<(), RcvError> {
        chunk.ends.push(chunk.cells.len() as u32);
        if chunk.ends.len() == ROWS_PER_CHUNK {
            let mut next = self.recycle.try_recv().unwrap_or_default();
            next.cells.clear();
            next.ends.clear();
            next.first_row = row + 1;
            if self.tx.send(Ok(std::mem::replace(chunk, next))).is_err() {
                // The resolving side stopped (it failed and reports why); stop quietly.
                return Err(RcvError::cvr(self.path, Some(row), "reading stopped"));
            }
        }
        Ok(())
    }

    /// Sends the last rows, then the error if reading failed (so errors keep file order).
    fn finish(self, chunk: Chunk, result: Result<(), RcvError>) {
        if !chunk.ends.is_empty() && self.tx.send(Ok(chunk)).is_err() {
            return;
        }
        if let Err(e) = result {
            let _ = self.tx.send(Err(e));
        }
    }
}

/// Parses an optionally signed decimal integer of at most 18 digits.
fn parse_rank(cell: &[u8]) -> Option<i64> {
    let (neg, digits) = match cell.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, cell),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut v: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (b - b'0') as i64;
    }
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    type Rows = Vec<(u64, Vec<(i64, u32)>)>;

    /// Runs the body stage on `bytes` (as if after a header ending at byte 0).
    fn body_rows(bytes: &[u8], first_col: usize, n_header: usize) -> Result<Rows, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.csv");
        std::fs::write(&path, bytes).unwrap();
        let (tx, rx) = std::sync::mpsc::sync_channel(CHUNKS_IN_FLIGHT);
        let (_recycle_tx, recycle) = std::sync::mpsc::channel();
        let body = Body {
            path: &path,
            first_col,
            n_header,
            tx,
            recycle,
        };
        let file = std::fs::File::open(&path).unwrap();
        std::thread::scope(|s| {
            s.spawn(move || body.run(0, Box::new(file)));
            let mut out = Vec::new();
            for msg in rx {
                let chunk = msg.map_err(|e| e.to_string())?;
                let mut start = 0;
                for (j, &end) in chunk.ends.iter().enumerate() {
                    out.push((
                        chunk.first_row + j as u64,
                        chunk.cells[start..end as usize].to_vec(),
                    ));
                    start = end as usize;
                }
            }
            Ok(out)
        })
    }

    /// A body with every line-end style, blank lines, padded cells and a missing final
    /// newline, long enough to cross several read blocks.
    fn tricky_body(quote_first: bool) -> Vec<u8> {
        let ends: [&[u8]; 4] = [b"\n", b"\r\n", b"\r", b"\n\n\r\n"];
        let mut v = Vec::new();
        let mut i = 0u64;
        while v.len() < 3 * BLOCK_BYTES + 77 {
            let r = (i % 7) as i64 + 1;
            if i == 0 && quote_first {
                v.extend_from_slice(b"\"id0\",\"1\",,");
            } else {
                v.extend_from_slice(format!("id{i}, {r} ,,{}", (i % 3) + 2).as_bytes());
            }
            v.extend_from_slice(ends[(i % 4) as usize]);
            i += 1;
        }
        v.extend_from_slice(b"last,1,2,3");
        v
    }

    #[test]
    fn fast_path_reads_what_the_csv_crate_reads() {
        let fast = body_rows(&tricky_body(false), 1, 3).unwrap();
        let mut quoted = tricky_body(true);
        let slow = body_rows(&quoted, 1, 3).unwrap();
        assert!(fast.len() > 100_000, "{}", fast.len());
        assert_eq!(fast.len(), slow.len());
        // Only the first row differs (its second cell is quoted "1" rather than a padded 1
        // and it has no fourth cell).
        assert_eq!(slow[0], (2, vec![(1, 0)]));
        assert_eq!(fast[1..], slow[1..]);
        assert_eq!(fast.last().unwrap().1, vec![(1, 0), (2, 1), (3, 2)]);
        // A quote in the middle of the file: the blocks before it take the fast path.
        let mid = quoted.len() / 2;
        let nl = mid + quoted[mid..].iter().position(|&b| b == b'\n').unwrap() + 1;
        quoted.splice(nl..nl, b"\"x\",\"4\"\n".iter().copied());
        let mixed = body_rows(&quoted, 1, 3).unwrap();
        assert_eq!(mixed.len(), slow.len() + 1);
        let at = mixed.iter().position(|(_, c)| c == &vec![(4, 0)]).unwrap();
        assert_eq!(mixed[1..at], slow[1..at]);
        assert_eq!(
            mixed[at + 1..]
                .iter()
                .map(|(r, c)| (r - 1, c.clone()))
                .collect::<Vec<_>>(),
            slow[at..]
        );
    }

    #[test]
    fn body_errors_name_row_and_column() {
        let e = body_rows(b"a,1\nb,2,x\n", 1, 2).unwrap_err();
        assert!(e.contains("row 3, column 3") && e.contains("\"x\""), "{e}");
        let e = body_rows(b"a,1\n\"b\",1,2\n", 1, 1).unwrap_err();
        assert!(
            e.contains("row 3, column 3") && e.contains("more cells"),
            "{e}"
        );
        let long = vec![b'1'; MAX_LINE_BYTES + 10];
        let e = body_rows(&long, 0, 1).unwrap_err();
        assert!(e.contains("longer than"), "{e}");
    }
}
