//! # skytale-note: C2SP signed notes with Ed25519
//!
//! Implements [C2SP signed-note](https://c2sp.org/signed-note) (v1.0.0) for the
//! Ed25519 signature type `0x01`, byte-compatible with the Go reference
//! `golang.org/x/mod/sumdb/note`, plus the Ed25519 `cosignature/v1` signature type
//! `0x04` of [C2SP tlog-cosignature](https://c2sp.org/tlog-cosignature).
//!
//! **In scope:** key names, key IDs, verifier keys (`<name>+<hexid>+<base64>`), Go's
//! private-key strings (`PRIVATE+KEY+…`), parsing and canonical encoding of notes,
//! signing, verification against a set of trusted keys, and timestamped cosignatures.
//!
//! **Out of scope:** any I/O, key storage, clocks (the cosignature timestamp is passed
//! in), the checkpoint body format (that is `skytale-tlog`), and signature types other
//! than `0x01`/`0x04` (lines by such keys are parsed and kept, and are ignored by
//! verification as the spec requires for unknown keys).
//!
//! ## Parsing rules (from the spec and the Go reference)
//! - At most [`MAX_NOTE_SIZE`] bytes, checked before anything else.
//! - Valid UTF-8; no ASCII control character other than `\n` (so no `\r`, no tab).
//! - The text is everything up to and including the newline before the **last**
//!   blank line; it therefore always ends in `\n` and may itself contain blank lines.
//! - One to [`MAX_SIGNATURES`] signature lines `— <name> <base64(keyid || sig)>\n`;
//!   the name is non-empty, has no Unicode whitespace and no `+`; the base64 is the
//!   RFC 4648 standard alphabet with padding and **canonical** (zero) trailing bits, and
//!   decodes to at least 5 and at most 4 + [`MAX_SIGNATURE_BYTES`] bytes.
//!   Anything else, including text after the last newline, is [`NoteError::Malformed`].
//!
//! ## Ed25519 acceptance policy
//! Verification uses ed25519-dalek's `verify_strict` policy, and nothing else (many
//! signatures are checked at once by an equivalent computation, see [`verify_all`]):
//! - the signature must be exactly 64 bytes and `S` must be canonical (`S < ℓ`);
//! - the public key `A` must not be of small order (the 8 low-order points and
//!   their non-canonical encodings are rejected); keys with a low-order *component*
//!   but a prime-order part cannot be detected and are accepted;
//! - `R` must not be of small order, and must be canonically encoded (the check
//!   compares the encoding of the recomputed `R` with the received bytes);
//! - the equation is the **cofactorless** `[S]B = R + [k]A`, so signatures whose
//!   low-order residue does not cancel are rejected.
//!
//! On the C2SP/CCTV edge-case vectors this means: a vector is accepted exactly when its
//! flags are a subset of {`low_order_component_A`, `low_order_component_R`}; any of
//! `low_order_A`, `low_order_R`, `non_canonical_A`, `non_canonical_R`,
//! `low_order_residue`, `reencoded_k` makes it rejected (see `tests/cctv.rs`).
//! Why strict: a results feed is checked by many independent verifiers, and they
//! must all reach the same verdict on every byte string; strict rules leave no
//! implementation-defined corner. Honest signers (RFC 8032 signing) are never affected.
//! In addition, [`VerifierKey::parse`] rejects small-order public keys up front, so a
//! misconfigured trust root fails loudly instead of silently verifying nothing.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _};
use sha2::{Digest, Sha256};

mod strict;
pub use strict::{verify_all, SignatureCheck};

/// Largest encoded note (text plus signature lines) we parse, in bytes. Checked before
/// any decoding so a hostile peer cannot make us scan or allocate more. 1 MiB is far
/// above any checkpoint or election statement (a few hundred bytes to a few KiB).
pub const MAX_NOTE_SIZE: usize = 1 << 20;

/// Most signature lines accepted in one note. The spec requires accepting at least 16;
/// the Go reference stops at 100, and so do we, so both reject the same notes.
pub const MAX_SIGNATURES: usize = 100;

/// Largest signature (after the 4-byte key ID) accepted on a signature line, in bytes.
/// Post-quantum signatures reach nearly 5 kB (spec, "Format"); 8 KiB leaves room while
/// bounding the stack buffer used on the allocation-free verification path.
pub const MAX_SIGNATURE_BYTES: usize = 8192;

/// Signature type byte of Ed25519 note signatures (signed-note, "Signature types").
pub const ALG_ED25519: u8 = 0x01;

/// Signature type byte of timestamped Ed25519 cosignatures (tlog-cosignature).
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

/// Largest cosignature timestamp allowed by tlog-cosignature (2^63 - 1).
pub const MAX_COSIGNATURE_TIMESTAMP: u64 = i64::MAX as u64;

/// Prefix of every signature line: em dash (U+2014) and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// Prefix of Go's private signing-key strings.
const SKEY_PREFIX: &str = "PRIVATE+KEY+";

/// Every error this crate returns; messages say what was wrong and where.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum NoteError {
    /// The note bytes do not follow the signed-note format.
    #[error("malformed note: {why}")]
    Malformed {
        /// What rule was broken, with the line or byte position.
        why: String,
    },
    /// A key name is empty or contains whitespace or `+`.
    #[error("bad key name {name:?}: {why}")]
    BadKeyName {
        /// The offending name.
        name: String,
        /// Which rule it breaks.
        why: &'static str,
    },
    /// A verifier key string could not be parsed or is unsafe to use.
    #[error("bad verifier key: {why}")]
    BadVerifierKey {
        /// What was wrong.
        why: String,
    },
    /// A signing key string could not be parsed.
    #[error("bad signing key: {why}")]
    BadSigningKey {
        /// What was wrong (never contains key material).
        why: String,
    },
    /// A signature line by a trusted key did not verify: the note must be rejected.
    #[error("invalid signature by trusted key {name:?}")]
    BadSignature {
        /// Name of the trusted key whose signature failed.
        name: String,
    },
    /// No signature by any trusted key was found.
    #[error("note has no valid signature by a known key")]
    NoKnownSignature,
    /// The input exceeds a size limit.
    #[error("note too large: {size} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit ([`MAX_NOTE_SIZE`]).
        max: usize,
    },
    /// More signature lines than [`MAX_SIGNATURES`].
    #[error("note has more than {max} signatures")]
    TooManySignatures {
        /// The limit.
        max: usize,
    },
    /// The text handed to a signer is not valid note text.
    #[error("bad note text: {why}")]
    BadText {
        /// What was wrong.
        why: String,
    },
    /// A cosignature timestamp above 2^63 - 1.
    #[error("cosignature timestamp {timestamp} exceeds 2^63-1")]
    BadTimestamp {
        /// The offending timestamp.
        timestamp: u64,
    },
}

/// Computes a signed-note key ID: the first four bytes, big-endian, of
/// `SHA-256(name || 0x0A || alg_and_key)` where `alg_and_key` is the signature type
/// byte followed by the public key.
pub fn key_id(name: &str, alg_and_key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(alg_and_key);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// Checks a key name: non-empty, no Unicode whitespace, no `+` (signed-note "Format").
pub fn check_key_name(name: &str) -> Result<(), NoteError> {
    let bad = |why| {
        Err(NoteError::BadKeyName {
            name: name.to_owned(),
            why,
        })
    };
    if name.is_empty() {
        return bad("empty");
    }
    if name.chars().any(char::is_whitespace) {
        return bad("contains whitespace");
    }
    if name.contains('+') {
        return bad("contains '+'");
    }
    Ok(())
}

fn is_valid_name(name: &str) -> bool {
    check_key_name(name).is_ok()
}

/// The Ed25519 acceptance policy of this crate (see the crate docs): ed25519-dalek's
/// `verify_strict`. Returns false for any signature that is not exactly 64 bytes.
pub fn verify_ed25519(public_key: &[u8; 32], msg: &[u8], sig: &[u8]) -> bool {
    match ed25519_dalek::VerifyingKey::from_bytes(public_key) {
        Ok(vk) => verify_with(&vk, msg, sig),
        Err(_) => false,
    }
}

fn verify_with(vk: &ed25519_dalek::VerifyingKey, msg: &[u8], sig: &[u8]) -> bool {
    let Ok(bytes) = <[u8; 64]>::try_from(sig) else {
        return false;
    };
    vk.verify_strict(msg, &Signature::from_bytes(&bytes))
        .is_ok()
}

/// Parses the `<hexid>` part of a key string: exactly 8 hex digits (either case, as Go).
fn parse_hex_id(s: &str) -> Option<u32> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// Decodes `<base64(alg || 32-byte key)>` and checks the algorithm byte.
fn decode_alg_key(s: &str, alg: u8) -> Result<[u8; 32], String> {
    let raw = B64
        .decode(s)
        .map_err(|e| format!("key is not canonical base64: {e}"))?;
    if raw.len() != 33 {
        return Err(format!(
            "key material is {} bytes, want 33 (type byte + 32)",
            raw.len()
        ));
    }
    if raw[0] != alg {
        return Err(format!(
            "signature type 0x{:02x} is not supported here (want 0x{alg:02x})",
            raw[0]
        ));
    }
    let mut k = [0u8; 32];
    k.copy_from_slice(&raw[1..]);
    Ok(k)
}

/// Splits `<name>+<hexid>+<base64>` (the base64 may itself contain `+`).
fn split_key_string(s: &str) -> Option<(&str, &str, &str)> {
    let (name, rest) = s.split_once('+')?;
    let (id, key) = rest.split_once('+')?;
    Some((name, id, key))
}

/// Parses a verifier key string of the given signature type, checking the name, that
/// the key is a usable (not small-order) Ed25519 point and that the key ID matches.
fn parse_vkey(
    s: &str,
    alg: u8,
) -> Result<(String, u32, [u8; 32], ed25519_dalek::VerifyingKey), NoteError> {
    let bad = |why: String| NoteError::BadVerifierKey { why };
    let s = s.trim();
    let (name, id, key) =
        split_key_string(s).ok_or_else(|| bad("want <name>+<hexid>+<base64 key>".into()))?;
    check_key_name(name)?;
    let id = parse_hex_id(id).ok_or_else(|| bad(format!("key id {id:?} is not 8 hex digits")))?;
    let pk = decode_alg_key(key, alg).map_err(bad)?;
    let want = key_id(name, &[&[alg][..], &pk[..]].concat());
    if id != want {
        return Err(bad(format!(
            "key id {id:08x} does not match the key (computed {want:08x})"
        )));
    }
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&pk)
        .map_err(|_| bad("public key is not a valid Ed25519 point".into()))?;
    if vk.is_weak() {
        return Err(bad("public key is a small-order point".into()));
    }
    Ok((name.to_owned(), id, pk, vk))
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// An Ed25519 note signing key with its name. The seed is zeroized on drop (by
/// ed25519-dalek) and never printed by `Debug`.
#[derive(Clone)]
pub struct SigningKey {
    name: String,
    key: ed25519_dalek::SigningKey,
    key_id: u32,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a fresh key from the operating system's randomness.
    pub fn generate(name: &str) -> Result<SigningKey, NoteError> {
        use rand::RngCore as _;
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        SigningKey::from_seed(name, seed)
    }

    /// Builds a key from a 32-byte Ed25519 seed (deterministic: tests, demos).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<SigningKey, NoteError> {
        check_key_name(name)?;
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let key_id = key_id(name, &alg_key(ALG_ED25519, key.verifying_key().as_bytes()));
        Ok(SigningKey {
            name: name.to_owned(),
            key,
            key_id,
        })
    }

    /// Parses Go's `PRIVATE+KEY+<name>+<hexid>+<base64(0x01 || seed)>` (surrounding
    /// whitespace is ignored). The key ID must match the one derived from the seed.
    pub fn parse(s: &str) -> Result<SigningKey, NoteError> {
        let bad = |why: String| NoteError::BadSigningKey { why };
        let rest = s
            .trim()
            .strip_prefix(SKEY_PREFIX)
            .ok_or_else(|| bad(format!("does not start with {SKEY_PREFIX:?}")))?;
        let (name, id, key) = split_key_string(rest)
            .ok_or_else(|| bad("want PRIVATE+KEY+<name>+<hexid>+<base64 key>".into()))?;
        check_key_name(name)?;
        let id =
            parse_hex_id(id).ok_or_else(|| bad(format!("key id {id:?} is not 8 hex digits")))?;
        let seed = decode_alg_key(key, ALG_ED25519).map_err(bad)?;
        let k = SigningKey::from_seed(name, seed)?;
        if k.key_id != id {
            return Err(bad(format!(
                "key id {id:08x} does not match the key (computed {:08x})",
                k.key_id
            )));
        }
        Ok(k)
    }

    /// Encodes the key in Go's `PRIVATE+KEY+…` format (contains the secret seed).
    pub fn to_skey_string(&self) -> String {
        format!(
            "{SKEY_PREFIX}{}+{:08x}+{}",
            self.name,
            self.key_id,
            B64.encode(alg_key(ALG_ED25519, self.key.as_bytes()))
        )
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID (derived from name and public key).
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The matching verifier key.
    pub fn verifier(&self) -> VerifierKey {
        let vk = self.key.verifying_key();
        VerifierKey {
            name: self.name.clone(),
            key_id: self.key_id,
            public_key: vk.to_bytes(),
            vk,
        }
    }

    /// Raw Ed25519 signature of `msg` (deterministic, RFC 8032).
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.key.sign(msg).to_bytes()
    }

    /// Signs note text, returning a note with this key's signature line. The text must
    /// be non-empty, end in `\n`, and contain no control character other than `\n`.
    pub fn sign_note(&self, text: &str) -> Result<Note, NoteError> {
        check_text(text)?;
        Ok(Note {
            text: text.to_owned(),
            signatures: vec![self.note_signature(text)],
        })
    }

    fn note_signature(&self, text: &str) -> NoteSignature {
        NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id,
            signature: self.sign(text.as_bytes()).to_vec(),
        }
    }
}

fn alg_key(alg: u8, key: &[u8; 32]) -> [u8; 33] {
    let mut out = [0u8; 33];
    out[0] = alg;
    out[1..].copy_from_slice(key);
    out
}

/// A trusted Ed25519 note verifier key (type `0x01`): name, key ID and public key.
/// Equality and hashing consider the name, key ID and public key bytes.
#[derive(Clone)]
pub struct VerifierKey {
    name: String,
    key_id: u32,
    public_key: [u8; 32],
    /// Decompressed once at parse time, so verifying 200k notes does not decompress 200k times.
    vk: ed25519_dalek::VerifyingKey,
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("VerifierKey")
            .field(&self.to_string())
            .finish()
    }
}

impl PartialEq for VerifierKey {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.key_id == other.key_id
            && self.public_key == other.public_key
    }
}
impl Eq for VerifierKey {}
impl std::hash::Hash for VerifierKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.key_id.hash(state);
        self.public_key.hash(state);
    }
}

impl VerifierKey {
    /// Parses `<name>+<hexid>+<base64(0x01 || 32-byte key)>` (surrounding whitespace is
    /// ignored). Rejects a key ID that does not match, other signature types, invalid
    /// points and small-order public keys.
    pub fn parse(s: &str) -> Result<VerifierKey, NoteError> {
        let (name, key_id, public_key, vk) = parse_vkey(s, ALG_ED25519)?;
        Ok(VerifierKey {
            name,
            key_id,
            public_key,
            vk,
        })
    }

    pub(crate) fn dalek(&self) -> &ed25519_dalek::VerifyingKey {
        &self.vk
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The 32-byte Ed25519 public key.
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }

    /// Verifies a raw Ed25519 signature under the crate's strict policy. Many at once:
    /// [`verify_all`].
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        verify_all(&[SignatureCheck {
            key: self,
            msg,
            sig,
        }])
        .first()
        .copied()
        .unwrap_or(false)
    }

    fn matches(&self, name: &str, key_id: u32) -> bool {
        self.key_id == key_id && self.name == name
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            B64.encode(alg_key(ALG_ED25519, &self.public_key))
        )
    }
}

impl FromStr for VerifierKey {
    type Err = NoteError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VerifierKey::parse(s)
    }
}

impl serde::Serialize for VerifierKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for VerifierKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        VerifierKey::parse(&s).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------
// Notes
// ---------------------------------------------------------------------------

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name.
    pub name: String,
    /// Key ID (big-endian first four bytes of the decoded signature field).
    pub key_id: u32,
    /// The signature bytes after the key ID (64 for Ed25519, 72 for cosignature/v1).
    pub signature: Vec<u8>,
}

/// A signed note: text (ending in `\n`) and its signature lines, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The signed text, including its final newline.
    pub text: String,
    /// The signature lines in the order they appeared.
    pub signatures: Vec<NoteSignature>,
}

/// Checks text a signer is asked to sign, so the resulting note parses again.
fn check_text(text: &str) -> Result<(), NoteError> {
    let bad = |why: String| Err(NoteError::BadText { why });
    if text.is_empty() {
        return bad("empty".into());
    }
    if !text.ends_with('\n') {
        return bad("does not end in a newline".into());
    }
    if let Some(pos) = text.bytes().position(|b| b < 0x20 && b != b'\n') {
        return bad(format!(
            "control character 0x{:02x} at byte {pos}",
            text.as_bytes()[pos]
        ));
    }
    // Leave room for at least one signature line.
    if text.len() > MAX_NOTE_SIZE - 1024 {
        return Err(NoteError::TooLarge {
            size: text.len(),
            max: MAX_NOTE_SIZE - 1024,
        });
    }
    Ok(())
}

fn malformed(why: String) -> NoteError {
    NoteError::Malformed { why }
}

/// Checks the envelope rules and splits a note into text and signature block,
/// without allocating. The signature block is non-empty and ends in `\n`.
fn split_note(bytes: &[u8]) -> Result<(&str, &str), NoteError> {
    if bytes.len() > MAX_NOTE_SIZE {
        return Err(NoteError::TooLarge {
            size: bytes.len(),
            max: MAX_NOTE_SIZE,
        });
    }
    let s = std::str::from_utf8(bytes)
        .map_err(|e| malformed(format!("not valid UTF-8 at byte {}", e.valid_up_to())))?;
    // UTF-8 continuation bytes are >= 0x80, so a byte scan finds exactly the ASCII controls.
    if let Some(pos) = bytes.iter().position(|&b| b < 0x20 && b != b'\n') {
        return Err(malformed(format!(
            "control character 0x{:02x} at byte {pos}",
            bytes[pos]
        )));
    }
    let split = s
        .rfind("\n\n")
        .ok_or_else(|| malformed("no blank line between text and signatures".into()))?;
    let (text, sigs) = (&s[..split + 1], &s[split + 2..]);
    if sigs.is_empty() {
        return Err(malformed("no signature lines after the blank line".into()));
    }
    if !sigs.ends_with('\n') {
        return Err(malformed(
            "signature block does not end in a newline (trailing data?)".into(),
        ));
    }
    Ok((text, sigs))
}

/// One parsed signature line, borrowing the name and the decoded bytes.
struct SigLine<'a, 'b> {
    name: &'a str,
    key_id: u32,
    sig: &'b [u8],
}

/// Parses every signature line of a block, calling `each` for each; `buf` receives
/// the decoded bytes, so the caller chooses whether anything is allocated.
fn for_each_sig_line<'a>(
    sigs: &'a str,
    buf: &mut [u8; 4 + MAX_SIGNATURE_BYTES],
    mut each: impl FnMut(SigLine<'a, '_>) -> Result<(), NoteError>,
) -> Result<(), NoteError> {
    // The block ends in '\n', so split_terminator yields exactly the lines.
    for (i, line) in sigs.split_terminator('\n').enumerate() {
        let n = i + 1;
        if n > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures {
                max: MAX_SIGNATURES,
            });
        }
        let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(|| {
            malformed(format!(
                "signature line {n} does not start with an em dash and a space"
            ))
        })?;
        let (name, b64) = rest.split_once(' ').ok_or_else(|| {
            malformed(format!(
                "signature line {n} has no space between name and signature"
            ))
        })?;
        if !is_valid_name(name) {
            return Err(malformed(format!(
                "signature line {n}: bad key name {name:?}"
            )));
        }
        if b64.is_empty() || b64.len() > (4 + MAX_SIGNATURE_BYTES).div_ceil(3) * 4 {
            return Err(malformed(format!(
                "signature line {n}: signature field is empty or too long"
            )));
        }
        let len = B64.decode_slice(b64, &mut buf[..]).map_err(|e| {
            malformed(format!(
                "signature line {n}: signature is not canonical base64: {e}"
            ))
        })?;
        if len < 5 {
            return Err(malformed(format!(
                "signature line {n}: signature shorter than key id + 1 byte"
            )));
        }
        let key_id = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
        each(SigLine {
            name,
            key_id,
            sig: &buf[4..len],
        })?;
    }
    Ok(())
}

/// Parses and verifies a note in one pass without building a [`Note`]: the hot path
/// for a verifier checking many notes. Returns the text and the trusted keys (each at
/// most once, in `known` order of first appearance) whose signatures verified. Same
/// rules and errors as [`Note::parse`] followed by [`Note::verify`].
pub fn open<'n, 'k>(
    bytes: &'n [u8],
    known: &'k [VerifierKey],
) -> Result<(&'n str, Vec<&'k VerifierKey>), NoteError> {
    let (text, sigs) = split_note(bytes)?;
    let mut buf = [0u8; 4 + MAX_SIGNATURE_BYTES];
    let mut verified: Vec<&'k VerifierKey> = Vec::new();
    let mut pending: Option<NoteError> = None;
    for_each_sig_line(sigs, &mut buf, |l| {
        // Keep parsing after a bad signature so malformed input is reported as such.
        if pending.is_none() {
            if let Some(err) = check_line(text, l.name, l.key_id, l.sig, known, &mut verified) {
                pending = Some(err);
            }
        }
        Ok(())
    })?;
    if let Some(err) = pending {
        return Err(err);
    }
    if verified.is_empty() {
        return Err(NoteError::NoKnownSignature);
    }
    Ok((text, verified))
}

fn check_line<'k>(
    text: &str,
    name: &str,
    key_id: u32,
    sig: &[u8],
    known: &'k [VerifierKey],
    verified: &mut Vec<&'k VerifierKey>,
) -> Option<NoteError> {
    let key = known.iter().find(|k| k.matches(name, key_id))?;
    if !key.verify(text.as_bytes(), sig) {
        return Some(NoteError::BadSignature {
            name: name.to_owned(),
        });
    }
    if !verified.iter().any(|v| std::ptr::eq(*v, key)) {
        verified.push(key);
    }
    None
}

impl Note {
    /// Parses a signed note under the rules in the crate docs. Does not verify.
    pub fn parse(bytes: &[u8]) -> Result<Note, NoteError> {
        let (text, sigs) = split_note(bytes)?;
        let mut buf = [0u8; 4 + MAX_SIGNATURE_BYTES];
        let mut signatures = Vec::new();
        for_each_sig_line(sigs, &mut buf, |l| {
            signatures.push(NoteSignature {
                name: l.name.to_owned(),
                key_id: l.key_id,
                signature: l.sig.to_vec(),
            });
            Ok(())
        })?;
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Canonical encoding: text, blank line, one line per signature. For any parsed
    /// note `n`, `Note::parse(&n.to_bytes()) == Ok(n)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.text.len() + 1 + self.signatures.len() * 128);
        out.extend_from_slice(self.text.as_bytes());
        out.push(b'\n');
        for s in &self.signatures {
            out.extend_from_slice(SIG_PREFIX.as_bytes());
            out.extend_from_slice(s.name.as_bytes());
            out.push(b' ');
            let mut raw = Vec::with_capacity(4 + s.signature.len());
            raw.extend_from_slice(&s.key_id.to_be_bytes());
            raw.extend_from_slice(&s.signature);
            out.extend_from_slice(B64.encode(raw).as_bytes());
            out.push(b'\n');
        }
        out
    }

    /// Verifies: returns the verifier keys (from `known`) whose signature on this note is
    /// valid, each once. A signature line by a known (name, key ID) whose signature is
    /// invalid is an error ([`NoteError::BadSignature`]); unknown signers are ignored;
    /// [`NoteError::NoKnownSignature`] if none verified.
    pub fn verify<'a>(&self, known: &'a [VerifierKey]) -> Result<Vec<&'a VerifierKey>, NoteError> {
        let mut verified = Vec::new();
        for s in &self.signatures {
            if let Some(err) = check_line(
                &self.text,
                &s.name,
                s.key_id,
                &s.signature,
                known,
                &mut verified,
            ) {
                return Err(err);
            }
        }
        if verified.is_empty() {
            return Err(NoteError::NoKnownSignature);
        }
        Ok(verified)
    }

    /// Signs the text with `key`, replacing any existing line with the same name and
    /// key ID (re-signing is idempotent since Ed25519 is deterministic).
    pub fn add_signature(&mut self, key: &SigningKey) {
        self.signatures
            .retain(|s| !(s.name == key.name && s.key_id == key.key_id));
        self.signatures.push(key.note_signature(&self.text));
    }

    /// Verifies the tlog-cosignature/v1 lines by known cosigners, returning each
    /// cosigner that verified (once) with its timestamp. A known cosigner's invalid
    /// line is [`NoteError::BadSignature`]; unknown lines are ignored. Returns an empty
    /// list when no known cosigner signed (a quorum policy is the caller's).
    pub fn verify_cosignatures<'a>(
        &self,
        known: &'a [CosignatureVerifier],
    ) -> Result<Vec<(&'a CosignatureVerifier, u64)>, NoteError> {
        let mut out: Vec<(&'a CosignatureVerifier, u64)> = Vec::new();
        for s in &self.signatures {
            let Some(key) = known
                .iter()
                .find(|k| k.key_id == s.key_id && k.name == s.name)
            else {
                continue;
            };
            let ts =
                key.verify(&self.text, &s.signature)
                    .ok_or_else(|| NoteError::BadSignature {
                        name: s.name.clone(),
                    })?;
            if !out.iter().any(|(k, _)| std::ptr::eq(*k, key)) {
                out.push((key, ts));
            }
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------
// tlog-cosignature/v1
// ---------------------------------------------------------------------------

/// The message a cosignature/v1 signs: `cosignature/v1\ntime <ts>\n` + checkpoint text.
fn cosigned_message(checkpoint_text: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_text}").into_bytes()
}

/// An Ed25519 cosigner (witness) key producing tlog-cosignature/v1 signatures
/// (signature type `0x04`, timestamped).
#[derive(Clone)]
pub struct CosignerKey {
    name: String,
    key: ed25519_dalek::SigningKey,
    key_id: u32,
}

impl fmt::Debug for CosignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CosignerKey")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl CosignerKey {
    /// Builds a cosigner key from a 32-byte seed.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<CosignerKey, NoteError> {
        check_key_name(name)?;
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let key_id = key_id(
            name,
            &alg_key(ALG_COSIGNATURE_V1, key.verifying_key().as_bytes()),
        );
        Ok(CosignerKey {
            name: name.to_owned(),
            key,
            key_id,
        })
    }

    /// Generates a fresh cosigner key from the operating system's randomness.
    pub fn generate(name: &str) -> Result<CosignerKey, NoteError> {
        use rand::RngCore as _;
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        CosignerKey::from_seed(name, seed)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID (type byte `0x04`).
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The matching verifier.
    pub fn verifier(&self) -> CosignatureVerifier {
        let vk = self.key.verifying_key();
        CosignatureVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            public_key: vk.to_bytes(),
            vk,
        }
    }

    /// Cosigns a checkpoint note text (the full body, extension lines included) at
    /// `timestamp` (POSIX seconds, at most 2^63-1), returning the signature line to add
    /// to the checkpoint note. The caller is responsible for having checked consistency.
    pub fn cosign(
        &self,
        checkpoint_text: &str,
        timestamp: u64,
    ) -> Result<NoteSignature, NoteError> {
        check_text(checkpoint_text)?;
        if timestamp > MAX_COSIGNATURE_TIMESTAMP {
            return Err(NoteError::BadTimestamp { timestamp });
        }
        let sig = self.key.sign(&cosigned_message(checkpoint_text, timestamp));
        let mut signature = Vec::with_capacity(72);
        signature.extend_from_slice(&timestamp.to_be_bytes());
        signature.extend_from_slice(&sig.to_bytes());
        Ok(NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id,
            signature,
        })
    }
}

/// A trusted cosigner's public key (type `0x04`), vkey form
/// `<name>+<hexid>+<base64(0x04 || key)>`.
#[derive(Clone)]
pub struct CosignatureVerifier {
    name: String,
    key_id: u32,
    public_key: [u8; 32],
    vk: ed25519_dalek::VerifyingKey,
}

impl fmt::Debug for CosignatureVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CosignatureVerifier")
            .field(&self.to_string())
            .finish()
    }
}

impl PartialEq for CosignatureVerifier {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.key_id == other.key_id
            && self.public_key == other.public_key
    }
}
impl Eq for CosignatureVerifier {}

impl CosignatureVerifier {
    /// Parses `<name>+<hexid>+<base64(0x04 || 32-byte key)>`, with the same checks as
    /// [`VerifierKey::parse`].
    pub fn parse(s: &str) -> Result<CosignatureVerifier, NoteError> {
        let (name, key_id, public_key, vk) = parse_vkey(s, ALG_COSIGNATURE_V1)?;
        Ok(CosignatureVerifier {
            name,
            key_id,
            public_key,
            vk,
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The 32-byte Ed25519 public key.
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }

    /// Verifies a cosignature (the 72 bytes after the key ID: timestamp || signature)
    /// over `checkpoint_text`; returns the timestamp if valid under the strict policy.
    pub fn verify(&self, checkpoint_text: &str, signature: &[u8]) -> Option<u64> {
        if signature.len() != 72 {
            return None;
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&signature[..8]);
        let timestamp = u64::from_be_bytes(ts);
        if timestamp > MAX_COSIGNATURE_TIMESTAMP {
            return None;
        }
        verify_with(
            &self.vk,
            &cosigned_message(checkpoint_text, timestamp),
            &signature[8..],
        )
        .then_some(timestamp)
    }
}

impl fmt::Display for CosignatureVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            B64.encode(alg_key(ALG_COSIGNATURE_V1, &self.public_key))
        )
    }
}

impl FromStr for CosignatureVerifier {
    type Err = NoteError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CosignatureVerifier::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_is_sha256_prefix() {
        let k = SigningKey::from_seed("a", [7; 32]).unwrap();
        let v = k.verifier();
        assert_eq!(
            v.key_id(),
            key_id("a", &alg_key(ALG_ED25519, v.public_key()))
        );
    }

    #[test]
    fn names_are_checked() {
        for bad in ["", "a b", "a+b", "a\tb", "a\u{a0}b"] {
            assert!(SigningKey::from_seed(bad, [1; 32]).is_err(), "{bad:?}");
        }
        assert!(SigningKey::from_seed("example.com/log", [1; 32]).is_ok());
    }

    #[test]
    fn debug_hides_seed() {
        let k = SigningKey::from_seed("a", [7; 32]).unwrap();
        let d = format!("{k:?}");
        assert!(!d.contains("PRIVATE"));
        assert!(!d.contains("0707"));
    }
}
