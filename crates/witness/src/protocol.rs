//! The tlog-witness `add-checkpoint` request body: `old <size>\n`, up to
//! [`MAX_CONSISTENCY_PROOF_LINES`] base64 hash lines, an empty line, then the checkpoint note.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use skytale_tlog::Hash;

/// Most consistency proof lines a client may send (tlog-witness).
pub const MAX_CONSISTENCY_PROOF_LINES: usize = 63;
/// Largest request body accepted: a checkpoint note with a few signatures (ML-DSA-44 lines
/// are ~3.3 KiB each) plus the proof. Checked before decoding.
pub const MAX_REQUEST_BODY_SIZE: usize = 128 * 1024;

/// A decoded `add-checkpoint` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the checkpoint the client believes the witness last cosigned.
    pub old_size: u64,
    /// Consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The checkpoint note (text and signatures), unparsed.
    pub checkpoint: Vec<u8>,
}

/// Why a request body is malformed (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed add-checkpoint request: {0}")]
pub struct RequestError(pub String);

impl AddCheckpoint {
    /// Encodes the request body.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!("old {}\n", self.old_size).into_bytes();
        for h in &self.proof {
            out.extend_from_slice(B64.encode(h).as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(&self.checkpoint);
        out
    }

    /// Decodes a request body under the spec's rules (canonical decimal, at most 63 proof
    /// lines, each the base64 of 32 bytes, an empty separator line).
    pub fn decode(body: &[u8]) -> Result<AddCheckpoint, RequestError> {
        let bad = |why: String| RequestError(why);
        if body.len() > MAX_REQUEST_BODY_SIZE {
            return Err(bad(format!(
                "{} bytes exceed the limit of {MAX_REQUEST_BODY_SIZE}",
                body.len()
            )));
        }
        let mut rest = body;
        let mut next_line = |what: &str| -> Result<&[u8], RequestError> {
            let nl = rest
                .iter()
                .position(|&b| b == b'\n')
                .ok_or_else(|| RequestError(format!("{what}: no terminating newline")))?;
            let (line, tail) = rest.split_at(nl);
            rest = &tail[1..];
            Ok(line)
        };
        let first = next_line("old size line")?;
        let size = first
            .strip_prefix(b"old ")
            .ok_or_else(|| bad("the first line must be \"old <size>\"".into()))?;
        let size = std::str::from_utf8(size).map_err(|_| bad("old size is not ASCII".into()))?;
        if size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(bad(format!("old size {size:?} is not a canonical decimal")));
        }
        let old_size: u64 = size
            .parse()
            .map_err(|_| bad(format!("old size {size:?} does not fit 64 bits")))?;
        let mut proof = Vec::new();
        loop {
            let line = next_line("proof line")?;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_CONSISTENCY_PROOF_LINES {
                return Err(bad(format!(
                    "more than {MAX_CONSISTENCY_PROOF_LINES} consistency proof lines"
                )));
            }
            let h = B64
                .decode(line)
                .ok()
                .and_then(|v| <[u8; 32]>::try_from(v).ok())
                .ok_or_else(|| {
                    bad(format!(
                        "proof line {} is not the base64 of a 32-byte hash",
                        proof.len() + 1
                    ))
                })?;
            proof.push(h);
        }
        Ok(AddCheckpoint {
            old_size,
            proof,
            checkpoint: rest.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let r = AddCheckpoint {
            old_size: 20852014,
            proof: vec![[1; 32], [2; 32]],
            checkpoint: b"o\n1\nAAAA\n\n\xe2\x80\x94 o x\n".to_vec(),
        };
        assert_eq!(AddCheckpoint::decode(&r.encode()).unwrap(), r);
    }

    #[test]
    fn rejects() {
        for bad in [
            &b"old 01\n\ncp"[..],
            b"old -1\n\ncp",
            b"new 1\n\ncp",
            b"old 1\nnotbase64\n\ncp",
            b"old 1",
            b"old 18446744073709551616\n\n",
        ] {
            assert!(
                AddCheckpoint::decode(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let mut many = b"old 1\n".to_vec();
        for _ in 0..64 {
            many.extend_from_slice(format!("{}\n", B64.encode([0u8; 32])).as_bytes());
        }
        many.extend_from_slice(b"\ncp");
        assert!(AddCheckpoint::decode(&many).is_err());
    }
}
