//! C2SP tlog-checkpoint note body: origin, decimal size, base64 root, extension lines.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use crate::Hash;

/// Largest checkpoint text we parse, in bytes, checked first. Real checkpoints are a
/// few hundred bytes; this leaves generous room for extension lines.
pub const MAX_CHECKPOINT_SIZE: usize = 64 * 1024;

/// Why a checkpoint text was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// Longer than [`MAX_CHECKPOINT_SIZE`].
    #[error("checkpoint is {size} bytes, above the limit of {max}")]
    TooLarge {
        /// Size of the text.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The text does not end in a newline.
    #[error("checkpoint text does not end in a newline")]
    NoFinalNewline,
    /// One of the three mandatory lines is missing.
    #[error("checkpoint line {line} ({what}) is missing")]
    MissingLine {
        /// 1-based line number.
        line: usize,
        /// Which line.
        what: &'static str,
    },
    /// The origin line is empty.
    #[error("checkpoint origin (line 1) is empty")]
    EmptyOrigin,
    /// The size line is not a canonical decimal u64.
    #[error("checkpoint size (line 2) {value:?}: {why}")]
    BadSize {
        /// The line's text.
        value: String,
        /// What is wrong.
        why: &'static str,
    },
    /// The root line is not the base64 of 32 bytes.
    #[error("checkpoint root hash (line 3) {value:?}: {why}")]
    BadRoot {
        /// The line's text.
        value: String,
        /// What is wrong.
        why: String,
    },
    /// An extension line is empty.
    #[error("checkpoint extension line {line} is empty")]
    EmptyExtension {
        /// 1-based line number.
        line: usize,
    },
    /// A control character other than the line feeds.
    #[error("checkpoint contains control character 0x{byte:02x} at byte {pos}")]
    ControlCharacter {
        /// The byte.
        byte: u8,
        /// Its offset.
        pos: usize,
    },
}

/// A C2SP tlog-checkpoint body (the note TEXT; signing is skytale-note's job).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line, e.g. `example.com/log`.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// Root hash of the first `size` leaves.
    pub root: Hash,
    /// Extension lines (without newlines), kept in order; opaque to us.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text: `origin\nsize\nbase64(root)\n` then one line per extension.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Parses a checkpoint note text. Rejects: oversize, no final newline, control
    /// characters, missing lines, an empty origin, a size that is not canonical decimal
    /// (no sign, no leading zeros, fits u64), a root that is not canonical base64 of 32
    /// bytes, and empty extension lines. Extension lines are kept.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        if text.len() > MAX_CHECKPOINT_SIZE {
            return Err(CheckpointError::TooLarge {
                size: text.len(),
                max: MAX_CHECKPOINT_SIZE,
            });
        }
        if let Some(pos) = text.bytes().position(|b| b < 0x20 && b != b'\n') {
            return Err(CheckpointError::ControlCharacter {
                byte: text.as_bytes()[pos],
                pos,
            });
        }
        if !text.ends_with('\n') {
            return Err(CheckpointError::NoFinalNewline);
        }
        let mut lines = text.split_terminator('\n');
        let origin = lines.next().ok_or(CheckpointError::MissingLine {
            line: 1,
            what: "origin",
        })?;
        let size = lines.next().ok_or(CheckpointError::MissingLine {
            line: 2,
            what: "size",
        })?;
        let root = lines.next().ok_or(CheckpointError::MissingLine {
            line: 3,
            what: "root hash",
        })?;
        if origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        let size = parse_size(size)?;
        let root = parse_root(root)?;
        let mut extensions = Vec::new();
        for (i, l) in lines.enumerate() {
            if l.is_empty() {
                return Err(CheckpointError::EmptyExtension { line: i + 4 });
            }
            extensions.push(l.to_owned());
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

fn parse_size(s: &str) -> Result<u64, CheckpointError> {
    let bad = |why| CheckpointError::BadSize {
        value: s.to_owned(),
        why,
    };
    if s.is_empty() {
        return Err(bad("empty"));
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("not a decimal number"));
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(bad("leading zero"));
    }
    s.parse().map_err(|_| bad("does not fit in 64 bits"))
}

fn parse_root(s: &str) -> Result<Hash, CheckpointError> {
    let raw = B64.decode(s).map_err(|e| CheckpointError::BadRoot {
        value: s.to_owned(),
        why: format!("not canonical base64: {e}"),
    })?;
    raw.try_into()
        .map_err(|r: Vec<u8>| CheckpointError::BadRoot {
            value: s.to_owned(),
            why: format!("{} bytes, want 32", r.len()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str =
        "example.com/log/testdata\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n";

    #[test]
    fn round_trip_with_extensions() {
        let c = Checkpoint::parse(GOOD).unwrap();
        assert_eq!(c.size, 15);
        assert_eq!(c.to_text(), GOOD);
        let with = format!("{GOOD}ext one\nanother — ext\n");
        let c2 = Checkpoint::parse(&with).unwrap();
        assert_eq!(c2.extensions, vec!["ext one", "another — ext"]);
        assert_eq!(c2.to_text(), with);
        assert_eq!(
            Checkpoint::parse("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
                .unwrap()
                .root,
            crate::EMPTY_ROOT
        );
    }

    #[test]
    fn rejections() {
        let root = "rKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=";
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "empty"),
            ("o\n".into(), "missing size and root"),
            ("o\n15\n".into(), "missing root"),
            (format!("o\n15\n{root}"), "no final newline"),
            (format!("\n15\n{root}\n"), "empty origin"),
            (format!("o\n01\n{root}\n"), "leading zero"),
            (format!("o\n00\n{root}\n"), "double zero"),
            (format!("o\n+1\n{root}\n"), "plus sign"),
            (format!("o\n-1\n{root}\n"), "negative"),
            (format!("o\n1.0\n{root}\n"), "non-decimal"),
            (format!("o\n0x10\n{root}\n"), "hex"),
            (format!("o\n\n{root}\n"), "empty size"),
            (format!("o\n18446744073709551616\n{root}\n"), "overflow"),
            (
                "o\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383c!\n".into(),
                "bad base64",
            ),
            (
                "o\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs\n".into(),
                "unpadded",
            ),
            (
                "o\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383ct=\n".into(),
                "non-canonical bits",
            ),
            ("o\n15\nAAAA\n".into(), "3-byte root"),
            (format!("o\n15\n{root}AAAA\n"), "35-byte root"),
            (format!("o\n15\n{root}\n\n"), "empty extension"),
            (format!("o\r\n15\n{root}\n"), "carriage return"),
        ];
        for (t, what) in &cases {
            assert!(Checkpoint::parse(t).is_err(), "{what}: {t:?} accepted");
        }
        let big = format!("{GOOD}{}\n", "x".repeat(MAX_CHECKPOINT_SIZE));
        assert!(matches!(
            Checkpoint::parse(&big),
            Err(CheckpointError::TooLarge { .. })
        ));
        assert!(Checkpoint::parse(&format!("o\n18446744073709551615\n{root}\n")).is_ok());
    }
}
