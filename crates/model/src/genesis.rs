//! The head of every log: the election definition, signed by the authority.
//!
//! A C2SP tlog-tiles entry holds at most 65,535 bytes (entry bundles use 16-bit lengths), and a
//! national election's definition — hundreds of thousands of polling stations — is tens of
//! megabytes. So a definition that does not fit in entry 0 is cut into slices of its compact
//! JSON text, one per entry after entry 0, and entry 0 carries the authority key and the
//! SHA-256 of the whole text instead. Every slice is itself a note signed by the authority.
//! The log stays self-contained: a verifier or a standby needs nothing but the tiles, and the
//! definition's bytes are exactly the ones the authority signed.
//!
//! Slicing is deterministic (greedy, on character boundaries), so the same definition and key
//! always give the same entries.

use sha2::{Digest, Sha256};
use skytale_note::{Note, SigningKey, VerifierKey};

use crate::definition::{Definition, DefinitionFormat};
use crate::ledger::GenesisError;
use crate::statement::{DefinitionPart, DefinitionParts, ElectionStatement, Statement};

/// The largest log entry (signed note) C2SP tlog-tiles can carry.
pub const MAX_ENTRY_BYTES: usize = 65_535;
/// Upper bound on a definition's JSON text (a quarter of a gigabyte: far above any electorate's
/// geography) so a hostile entry 0 cannot make a reader buffer without end.
pub const MAX_DEFINITION_BYTES: u64 = 256 << 20;
/// Room left in each part's note for the statement's frame and the signature line.
const PART_FRAME_BYTES: usize = 4_096;

/// Why a definition could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignDefinitionError {
    #[error("the key {key} is not the definition's authority_key {authority}; the definition must be signed by the authority")]
    NotAuthority { key: String, authority: String },
    #[error("cannot sign the definition: {0}")]
    Sign(String),
    #[error("the definition is {bytes} bytes as JSON, above the limit of {max}")]
    TooLarge { bytes: u64, max: u64 },
    #[error("a definition entry would be {bytes} bytes, above the {max} a log entry can hold (is the key name or election id very long?)")]
    EntryTooLarge { bytes: usize, max: usize },
}

/// Signs `def` as the first entries of a new log: one entry when it fits, else entry 0 with the
/// digest and the parts after it.
pub fn sign_definition(
    def: &Definition,
    key: &SigningKey,
) -> Result<Vec<Vec<u8>>, SignDefinitionError> {
    if key.verifier() != def.authority_key {
        return Err(SignDefinitionError::NotAuthority {
            key: key.verifier().to_string(),
            authority: def.authority_key.to_string(),
        });
    }
    let sign = |st: &Statement| -> Result<Vec<u8>, SignDefinitionError> {
        let bytes = key
            .sign_note(&st.to_note_text())
            .map_err(|e| SignDefinitionError::Sign(e.to_string()))?
            .to_bytes();
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(SignDefinitionError::EntryTooLarge {
                bytes: bytes.len(),
                max: MAX_ENTRY_BYTES,
            });
        }
        Ok(bytes)
    };
    let whole = Statement::Election(Box::new(ElectionStatement {
        election: def.id.clone(),
        definition: Some(def.clone()),
        authority_key: None,
        definition_parts: None,
    }));
    // Only a text that fits can be an entry (the note signer also refuses texts above its own,
    // larger, limit); the signature lines decide the rest.
    if whole.to_note_text().len() < MAX_ENTRY_BYTES {
        match sign(&whole) {
            Err(SignDefinitionError::EntryTooLarge { .. }) => {}
            other => return other.map(|e| vec![e]),
        }
    }
    let text = serde_json::to_string(def).map_err(|e| SignDefinitionError::Sign(e.to_string()))?;
    if text.len() as u64 > MAX_DEFINITION_BYTES {
        return Err(SignDefinitionError::TooLarge {
            bytes: text.len() as u64,
            max: MAX_DEFINITION_BYTES,
        });
    }
    let slices = slice_text(&text, MAX_ENTRY_BYTES - PART_FRAME_BYTES);
    let head = Statement::Election(Box::new(ElectionStatement {
        election: def.id.clone(),
        definition: None,
        authority_key: Some(def.authority_key.clone()),
        definition_parts: Some(DefinitionParts {
            count: slices.len() as u32,
            bytes: text.len() as u64,
            sha256: hex::encode(Sha256::digest(text.as_bytes())),
        }),
    }));
    let mut entries = Vec::with_capacity(slices.len() + 1);
    entries.push(sign(&head)?);
    for (i, slice) in slices.into_iter().enumerate() {
        entries.push(sign(&Statement::DefinitionPart(DefinitionPart {
            election: def.id.clone(),
            part: i as u32 + 1,
            text: slice.to_owned(),
        }))?);
    }
    Ok(entries)
}

/// Cuts `text` into slices whose JSON-escaped length is at most `budget`, on char boundaries.
fn slice_text(text: &str, budget: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut used = 0;
    for (i, c) in text.char_indices() {
        let n = escaped_len(c);
        if used + n > budget && i > start {
            out.push(&text[start..i]);
            start = i;
            used = 0;
        }
        used += n;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Bytes `c` takes inside a JSON string as serde_json writes it.
fn escaped_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{08}' | '\u{0c}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// How many entries the definition spans at the head of a log (1, or 1 + its parts), from
/// entry 0 alone and without checking signatures: for a reader deciding how much to fetch.
pub fn head_entries(entry0: &[u8]) -> Result<u64, GenesisError> {
    let (_, es) = parse_entry0(entry0)?;
    Ok(1 + es.definition_parts.map(|p| u64::from(p.count)).unwrap_or(0))
}

/// Entry 0 as a signed note and its election statement (signatures not checked).
fn parse_entry0(entry0: &[u8]) -> Result<(Note, ElectionStatement), GenesisError> {
    let note = Note::parse(entry0).map_err(|e| GenesisError::Note(e.to_string()))?;
    match Statement::parse(&note.text).map_err(|e| GenesisError::Statement(e.to_string()))? {
        Statement::Election(es) => Ok((note, *es)),
        _ => Err(GenesisError::Statement(
            "its type is not \"election\"".into(),
        )),
    }
}

/// The definition read from the head of a log, and how many entries it took.
pub struct Head {
    pub definition: Definition,
    pub entries: u64,
}

/// Reads the definition from the first entries of `log` (which may hold more entries after
/// them), checking every signature against the authority key (pinned with `expected`). The
/// definition is not validated here ([`crate::Ledger::genesis`] does that).
pub fn read_head<E: AsRef<[u8]>>(
    log: &[E],
    expected: Option<&VerifierKey>,
) -> Result<Head, GenesisError> {
    let Some(entry0) = log.first() else {
        return Err(GenesisError::Incomplete { have: 0, need: 1 });
    };
    let (note, es) = parse_entry0(entry0.as_ref())?;
    let (authority, parts) = match (es.definition, es.authority_key, es.definition_parts) {
        (Some(def), None, None) => (def.authority_key.clone(), Err(def)),
        (None, Some(key), Some(parts)) => (key, Ok(parts)),
        _ => return Err(GenesisError::Statement(
            "entry 0 must carry either `definition`, or `authority_key` with `definition_parts`"
                .into(),
        )),
    };
    if let Some(exp) = expected {
        if *exp != authority {
            return Err(GenesisError::UnexpectedAuthority {
                found: authority.to_string(),
                expected: exp.to_string(),
            });
        }
    }
    let signed_by = std::slice::from_ref(&authority);
    note.verify(signed_by)
        .map_err(|e| GenesisError::Signature(e.to_string()))?;
    let (definition, entries) = match parts {
        Err(def) => (def, 1),
        Ok(parts) => {
            let def = read_parts(log, &es.election, &parts, signed_by)?;
            if def.authority_key != authority {
                return Err(GenesisError::Statement(format!(
                    "entry 0 names authority key {authority} but the definition's authority_key is {}",
                    def.authority_key
                )));
            }
            (def, 1 + u64::from(parts.count))
        }
    };
    if es.election != definition.id {
        return Err(GenesisError::Mismatch {
            statement: es.election,
            definition: definition.id,
        });
    }
    Ok(Head {
        definition,
        entries,
    })
}

fn read_parts<E: AsRef<[u8]>>(
    log: &[E],
    election: &str,
    parts: &DefinitionParts,
    authority: &[VerifierKey],
) -> Result<Definition, GenesisError> {
    let need = 1 + u64::from(parts.count);
    if parts.count == 0 || parts.bytes > MAX_DEFINITION_BYTES {
        return Err(GenesisError::Statement(format!(
            "definition_parts must name 1 or more parts and at most {MAX_DEFINITION_BYTES} bytes (it says {} parts, {} bytes)",
            parts.count, parts.bytes
        )));
    }
    if (log.len() as u64) < need {
        return Err(GenesisError::Incomplete {
            have: log.len() as u64,
            need,
        });
    }
    let mut text = String::with_capacity(parts.bytes as usize);
    for (i, entry) in log.iter().enumerate().take(need as usize).skip(1) {
        let part_err = |why: String| GenesisError::Part {
            index: i as u64,
            why,
        };
        let note = Note::parse(entry.as_ref()).map_err(|e| part_err(e.to_string()))?;
        note.verify(authority)
            .map_err(|e| part_err(format!("not signed by the authority key: {e}")))?;
        let st = Statement::parse(&note.text).map_err(|e| part_err(e.to_string()))?;
        let Statement::DefinitionPart(p) = st else {
            return Err(part_err("its type is not \"definition_part\"".into()));
        };
        if p.election != election || p.part as usize != i {
            return Err(part_err(format!(
                "it is part {} of election {:?}, expected part {i} of {election:?}",
                p.part, p.election
            )));
        }
        if (text.len() + p.text.len()) as u64 > parts.bytes {
            return Err(part_err(format!(
                "the parts exceed the {} bytes entry 0 announces",
                parts.bytes
            )));
        }
        text.push_str(&p.text);
    }
    let digest = hex::encode(Sha256::digest(text.as_bytes()));
    if text.len() as u64 != parts.bytes || digest != parts.sha256 {
        return Err(GenesisError::Digest {
            bytes: text.len() as u64,
            sha256: digest,
            expected_bytes: parts.bytes,
            expected_sha256: parts.sha256.clone(),
        });
    }
    Definition::parse(&text, DefinitionFormat::Json)
        .map_err(|e| GenesisError::Statement(format!("the definition parts: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_respect_the_escaped_budget_and_char_boundaries() {
        let text = "ab\"c\\dé€😀\u{1}x".repeat(50);
        for budget in [6, 7, 10, 33] {
            let slices = slice_text(&text, budget);
            assert_eq!(slices.concat(), text);
            for s in &slices {
                let escaped = serde_json::to_string(s).unwrap().len() - 2;
                assert!(escaped <= budget, "{s:?} is {escaped} > {budget}");
            }
        }
        assert!(slice_text("", 10).is_empty());
    }
}
