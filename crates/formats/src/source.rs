//! The bytes of an input file as they stream past: counted against [`crate::MAX_INPUT_BYTES`]
//! and hashed (the statements record the file's SHA-256), so a file is read once and never held
//! whole by the importers that stream.

use std::io::{self, Read};

use sha2::{Digest, Sha256};

use crate::error::{FormatError, Location};

pub(crate) struct Source<R> {
    inner: R,
    read: u64,
    limit: u64,
    sha: Sha256,
}

impl<R: Read> Source<R> {
    pub fn new(inner: R, limit: u64) -> Source<R> {
        Source {
            inner,
            read: 0,
            limit,
            sha: Sha256::new(),
        }
    }

    /// The limit's error once more than `limit` bytes were offered.
    pub fn exceeded(&self) -> Option<FormatError> {
        (self.read > self.limit).then(|| FormatError::TooLarge {
            at: Location::default(),
            what: "the file size in bytes",
            limit: self.limit,
        })
    }

    /// Hex SHA-256 of every byte read.
    pub fn sha256_hex(self) -> String {
        hex::encode(self.sha.finalize())
    }
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read > self.limit {
            return Err(io::Error::other("the file is larger than the input limit"));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.sha.update(&buf[..n]);
        if self.read > self.limit {
            return Err(io::Error::other("the file is larger than the input limit"));
        }
        Ok(n)
    }
}
