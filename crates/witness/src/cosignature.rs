//! C2SP tlog-cosignature: both cosignature types, keys in vkey form, and the k-of-n policy.
//!
//! - Ed25519 `cosignature/v1` (signature type `0x04`): delegated to `skytale-note`, whose
//!   implementation is byte-compatible with the Go reference.
//! - ML-DSA-44 `subtree/v1` (signature type `0x06`): the signed message is the TLS-style
//!   `cosigned_message` struct (label `"subtree/v1\n\0"`, 1-byte-length-prefixed cosigner name,
//!   u64 timestamp, 1-byte-length-prefixed origin, u64 start, u64 end, 32-byte hash), signed
//!   with pure ML-DSA-44 (FIPS 204, empty context string, deterministic variant). Verification
//!   accepts hedged or deterministic signatures alike, as FIPS 204 requires.
//!
//! Both produce a `timestamped_signature`: big-endian u64 timestamp then the raw signature.

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ml_dsa::{Keypair as _, MlDsa44, Signer as _};
use skytale_note::{
    check_key_name, key_id, CosignatureVerifier, CosignerKey, Note, NoteSignature,
    ALG_COSIGNATURE_V1, MAX_COSIGNATURE_TIMESTAMP,
};
use skytale_tlog::Checkpoint;

/// Signature type byte of ML-DSA-44 cosignatures (tlog-cosignature).
pub const ALG_ML_DSA_44: u8 = 0x06;
/// Length of an ML-DSA-44 public key (FIPS 204, Table 2).
pub const ML_DSA_44_PUBLIC_KEY_LEN: usize = 1312;
/// Length of an ML-DSA-44 signature (FIPS 204, Table 2).
pub const ML_DSA_44_SIGNATURE_LEN: usize = 2420;
/// Length of an Ed25519 signature.
const ED25519_SIGNATURE_LEN: usize = 64;
/// Length of the timestamp prefix of a `timestamped_signature`.
const TIMESTAMP_LEN: usize = 8;
/// Domain-separation label of the ML-DSA-44 `cosigned_message`.
const SUBTREE_LABEL: &[u8; 12] = b"subtree/v1\n\0";
/// Prefix of private key strings (the Go `note` convention, reused for both types).
const SKEY_PREFIX: &str = "PRIVATE+KEY+";
/// Longest name or origin the `cosigned_message` can carry (an `opaque <1..2^8-1>`).
const MAX_OPAQUE8: usize = 255;

/// Everything that can go wrong with cosigner keys and cosignatures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    /// A key name that signed notes do not allow, or too long for the ML-DSA message.
    #[error("bad cosigner name {name:?}: {why}")]
    BadName {
        /// The name.
        name: String,
        /// Which rule it breaks.
        why: String,
    },
    /// A vkey that does not parse or has an unsupported type.
    #[error("bad witness verifier key {key:?}: {why}")]
    BadVerifierKey {
        /// The key text (public material only).
        key: String,
        /// What is wrong.
        why: String,
    },
    /// A private key string that does not parse (never echoes key material).
    #[error("bad witness signing key: {why}")]
    BadSigningKey {
        /// What is wrong.
        why: String,
    },
    /// The checkpoint to cosign is not a valid checkpoint body.
    #[error("cannot cosign: {0}")]
    BadCheckpoint(String),
    /// A timestamp above 2^63-1, or zero (tlog-witness forbids omitting it).
    #[error("cosignature timestamp {0} is outside 1..=2^63-1")]
    BadTimestamp(u64),
    /// The ML-DSA signer failed (only on pathological inputs).
    #[error("ML-DSA-44 signing failed")]
    Signing,
}

/// The two cosignature types of tlog-cosignature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CosignatureKind {
    /// Ed25519 `cosignature/v1` (type 0x04).
    Ed25519,
    /// ML-DSA-44 `subtree/v1` (type 0x06), post-quantum; recommended for new deployments.
    MlDsa44,
}

impl CosignatureKind {
    /// The signature type byte.
    pub fn alg(self) -> u8 {
        match self {
            CosignatureKind::Ed25519 => ALG_COSIGNATURE_V1,
            CosignatureKind::MlDsa44 => ALG_ML_DSA_44,
        }
    }

    fn from_alg(alg: u8) -> Option<CosignatureKind> {
        match alg {
            ALG_COSIGNATURE_V1 => Some(CosignatureKind::Ed25519),
            ALG_ML_DSA_44 => Some(CosignatureKind::MlDsa44),
            _ => None,
        }
    }
}

impl fmt::Display for CosignatureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CosignatureKind::Ed25519 => "ed25519",
            CosignatureKind::MlDsa44 => "ml-dsa-44",
        })
    }
}

/// The ML-DSA-44 `cosigned_message` for a whole checkpoint (`start = 0`, `end = size`).
pub fn ml_dsa_message(
    cosigner_name: &str,
    timestamp: u64,
    origin: &str,
    start: u64,
    end: u64,
    hash: &[u8; 32],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(12 + 2 + cosigner_name.len() + origin.len() + 8 * 3 + 32);
    m.extend_from_slice(SUBTREE_LABEL);
    // Lengths were checked (1..=255) where names and origins enter; truncation cannot happen.
    m.push(cosigner_name.len().min(MAX_OPAQUE8) as u8);
    m.extend_from_slice(cosigner_name.as_bytes());
    m.extend_from_slice(&timestamp.to_be_bytes());
    m.push(origin.len().min(MAX_OPAQUE8) as u8);
    m.extend_from_slice(origin.as_bytes());
    m.extend_from_slice(&start.to_be_bytes());
    m.extend_from_slice(&end.to_be_bytes());
    m.extend_from_slice(hash);
    m
}

fn check_name(name: &str, kind: CosignatureKind) -> Result<(), CosignatureError> {
    check_key_name(name).map_err(|e| CosignatureError::BadName {
        name: name.to_owned(),
        why: e.to_string(),
    })?;
    if kind == CosignatureKind::MlDsa44 && name.len() > MAX_OPAQUE8 {
        return Err(CosignatureError::BadName {
            name: name.to_owned(),
            why: format!("an ML-DSA-44 cosigner name has at most {MAX_OPAQUE8} bytes"),
        });
    }
    Ok(())
}

fn alg_key(alg: u8, key: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(1 + key.len());
    v.push(alg);
    v.extend_from_slice(key);
    v
}

enum SignerInner {
    Ed25519(Box<CosignerKey>),
    MlDsa44(Box<ml_dsa::SigningKey<MlDsa44>>),
}

/// A witness's signing key of either type, kept with its 32-byte seed so it can be saved.
pub struct WitnessSigner {
    name: String,
    kind: CosignatureKind,
    seed: [u8; 32],
    key_id: u32,
    inner: SignerInner,
}

impl fmt::Debug for WitnessSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WitnessSigner")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl WitnessSigner {
    /// Builds a key from a 32-byte seed (the Ed25519 seed, or ML-DSA's `ξ`).
    pub fn from_seed(
        kind: CosignatureKind,
        name: &str,
        seed: [u8; 32],
    ) -> Result<WitnessSigner, CosignatureError> {
        check_name(name, kind)?;
        let (inner, key_id) = match kind {
            CosignatureKind::Ed25519 => {
                let k =
                    CosignerKey::from_seed(name, seed).map_err(|e| CosignatureError::BadName {
                        name: name.to_owned(),
                        why: e.to_string(),
                    })?;
                let id = k.key_id();
                (SignerInner::Ed25519(Box::new(k)), id)
            }
            CosignatureKind::MlDsa44 => {
                let sk = ml_dsa::SigningKey::<MlDsa44>::from_seed(&seed.into());
                let pk = sk.verifying_key().encode();
                let id = key_id(name, &alg_key(ALG_ML_DSA_44, pk.as_slice()));
                (SignerInner::MlDsa44(Box::new(sk)), id)
            }
        };
        Ok(WitnessSigner {
            name: name.to_owned(),
            kind,
            seed,
            key_id,
            inner,
        })
    }

    /// A fresh key from the operating system's randomness.
    pub fn generate(kind: CosignatureKind, name: &str) -> Result<WitnessSigner, CosignatureError> {
        use rand::RngCore as _;
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        WitnessSigner::from_seed(kind, name, seed)
    }

    /// Parses `PRIVATE+KEY+<name>+<hexid>+<base64(type || seed)>`.
    pub fn parse(s: &str) -> Result<WitnessSigner, CosignatureError> {
        let bad = |why: &str| CosignatureError::BadSigningKey {
            why: why.to_owned(),
        };
        let rest = s
            .trim_end()
            .strip_prefix(SKEY_PREFIX)
            .ok_or_else(|| bad("does not start with PRIVATE+KEY+"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(hexid), Some(b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected PRIVATE+KEY+<name>+<hexid>+<key>"));
        };
        let raw = B64.decode(b64).map_err(|_| bad("the key is not base64"))?;
        let (&alg, seed) = raw.split_first().ok_or_else(|| bad("empty key"))?;
        let kind = CosignatureKind::from_alg(alg)
            .ok_or_else(|| bad("the key type is neither 0x04 (Ed25519) nor 0x06 (ML-DSA-44)"))?;
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| bad("the seed is not 32 bytes"))?;
        let k = WitnessSigner::from_seed(kind, name, seed)?;
        if u32::from_str_radix(hexid, 16).ok() != Some(k.key_id) || hexid.len() != 8 {
            return Err(bad("the key ID does not match the name and key"));
        }
        Ok(k)
    }

    /// The private key string (secret!), the inverse of [`WitnessSigner::parse`].
    pub fn to_skey_string(&self) -> String {
        format!(
            "{SKEY_PREFIX}{}+{:08x}+{}",
            self.name,
            self.key_id,
            B64.encode(alg_key(self.kind.alg(), &self.seed))
        )
    }

    /// The cosigner name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cosignature type.
    pub fn kind(&self) -> CosignatureKind {
        self.kind
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The matching public key.
    pub fn verifier(&self) -> WitnessVerifier {
        match &self.inner {
            SignerInner::Ed25519(k) => WitnessVerifier {
                name: self.name.clone(),
                key_id: self.key_id,
                inner: VerifierInner::Ed25519(Box::new(k.verifier())),
            },
            SignerInner::MlDsa44(sk) => {
                let vk = sk.verifying_key();
                WitnessVerifier {
                    name: self.name.clone(),
                    key_id: self.key_id,
                    inner: VerifierInner::MlDsa44 {
                        public_key: vk.encode().as_slice().to_vec(),
                        vk: Box::new(vk),
                    },
                }
            }
        }
    }

    /// Cosigns a whole checkpoint (note text) at `timestamp` (POSIX seconds, 1..=2^63-1),
    /// returning the signature line to append. The caller must have checked consistency.
    pub fn cosign(
        &self,
        checkpoint_text: &str,
        timestamp: u64,
    ) -> Result<NoteSignature, CosignatureError> {
        if timestamp == 0 || timestamp > MAX_COSIGNATURE_TIMESTAMP {
            return Err(CosignatureError::BadTimestamp(timestamp));
        }
        let cp = Checkpoint::parse(checkpoint_text)
            .map_err(|e| CosignatureError::BadCheckpoint(e.to_string()))?;
        match &self.inner {
            SignerInner::Ed25519(k) => k
                .cosign(checkpoint_text, timestamp)
                .map_err(|e| CosignatureError::BadCheckpoint(e.to_string())),
            SignerInner::MlDsa44(sk) => {
                if cp.origin.len() > MAX_OPAQUE8 {
                    return Err(CosignatureError::BadCheckpoint(format!(
                        "the origin has more than {MAX_OPAQUE8} bytes"
                    )));
                }
                let msg = ml_dsa_message(&self.name, timestamp, &cp.origin, 0, cp.size, &cp.root);
                let sig = sk.try_sign(&msg).map_err(|_| CosignatureError::Signing)?;
                let mut signature = Vec::with_capacity(TIMESTAMP_LEN + ML_DSA_44_SIGNATURE_LEN);
                signature.extend_from_slice(&timestamp.to_be_bytes());
                signature.extend_from_slice(sig.encode().as_slice());
                Ok(NoteSignature {
                    name: self.name.clone(),
                    key_id: self.key_id,
                    signature,
                })
            }
        }
    }
}

#[derive(Clone)]
enum VerifierInner {
    Ed25519(Box<CosignatureVerifier>),
    MlDsa44 {
        public_key: Vec<u8>,
        vk: Box<ml_dsa::VerifyingKey<MlDsa44>>,
    },
}

/// A trusted witness public key of either type, in vkey form
/// `<name>+<hexid>+<base64(type || key)>`.
#[derive(Clone)]
pub struct WitnessVerifier {
    name: String,
    key_id: u32,
    inner: VerifierInner,
}

impl fmt::Debug for WitnessVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "WitnessVerifier({}, {}, {:08x})",
            self.name,
            self.kind(),
            self.key_id
        )
    }
}

impl PartialEq for WitnessVerifier {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}
impl Eq for WitnessVerifier {}

impl WitnessVerifier {
    /// Parses a vkey of type 0x04 (Ed25519 cosignature/v1) or 0x06 (ML-DSA-44).
    pub fn parse(s: &str) -> Result<WitnessVerifier, CosignatureError> {
        let s = s.trim();
        let bad = |why: String| CosignatureError::BadVerifierKey {
            key: s.chars().take(80).collect(),
            why,
        };
        let mut parts = s.splitn(3, '+');
        let (Some(name), Some(hexid), Some(b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected <name>+<hexid>+<base64 key>".into()));
        };
        let raw = B64
            .decode(b64)
            .map_err(|_| bad("the key is not base64".into()))?;
        let (&alg, key) = raw
            .split_first()
            .ok_or_else(|| bad("the key is empty".into()))?;
        match CosignatureKind::from_alg(alg) {
            Some(CosignatureKind::Ed25519) => {
                let v = CosignatureVerifier::parse(s).map_err(|e| bad(e.to_string()))?;
                Ok(WitnessVerifier {
                    name: v.name().to_owned(),
                    key_id: v.key_id(),
                    inner: VerifierInner::Ed25519(Box::new(v)),
                })
            }
            Some(CosignatureKind::MlDsa44) => {
                check_name(name, CosignatureKind::MlDsa44).map_err(|e| bad(e.to_string()))?;
                if key.len() != ML_DSA_44_PUBLIC_KEY_LEN {
                    return Err(bad(format!(
                        "an ML-DSA-44 key has {ML_DSA_44_PUBLIC_KEY_LEN} bytes, not {}",
                        key.len()
                    )));
                }
                let id = key_id(name, &raw);
                if hexid.len() != 8 || u32::from_str_radix(hexid, 16).ok() != Some(id) {
                    return Err(bad("the key ID does not match the name and key".into()));
                }
                let enc = ml_dsa::EncodedVerifyingKey::<MlDsa44>::try_from(key)
                    .map_err(|_| bad("wrong key length".into()))?;
                let vk = ml_dsa::VerifyingKey::<MlDsa44>::decode(&enc);
                Ok(WitnessVerifier {
                    name: name.to_owned(),
                    key_id: id,
                    inner: VerifierInner::MlDsa44 {
                        public_key: key.to_vec(),
                        vk: Box::new(vk),
                    },
                })
            }
            None => Err(bad(format!(
                "signature type 0x{alg:02x} is not a cosignature type (0x04 Ed25519, 0x06 ML-DSA-44)"
            ))),
        }
    }

    /// The cosigner name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The cosignature type.
    pub fn kind(&self) -> CosignatureKind {
        match self.inner {
            VerifierInner::Ed25519(_) => CosignatureKind::Ed25519,
            VerifierInner::MlDsa44 { .. } => CosignatureKind::MlDsa44,
        }
    }

    /// Whether a signature line claims to be by this key (name and key ID match).
    pub fn matches(&self, sig: &NoteSignature) -> bool {
        sig.name == self.name && sig.key_id == self.key_id
    }

    /// Verifies a `timestamped_signature` over a checkpoint text; returns the timestamp.
    pub fn verify(&self, checkpoint_text: &str, signature: &[u8]) -> Option<u64> {
        match &self.inner {
            VerifierInner::Ed25519(v) => {
                if signature.len() != TIMESTAMP_LEN + ED25519_SIGNATURE_LEN {
                    return None;
                }
                v.verify(checkpoint_text, signature)
            }
            VerifierInner::MlDsa44 { vk, .. } => {
                if signature.len() != TIMESTAMP_LEN + ML_DSA_44_SIGNATURE_LEN {
                    return None;
                }
                let (ts, sig) = signature.split_at(TIMESTAMP_LEN);
                let ts = u64::from_be_bytes(ts.try_into().ok()?);
                if ts > MAX_COSIGNATURE_TIMESTAMP {
                    return None;
                }
                let cp = Checkpoint::parse(checkpoint_text).ok()?;
                if cp.origin.len() > MAX_OPAQUE8 {
                    return None;
                }
                let sig = ml_dsa::Signature::<MlDsa44>::try_from(sig).ok()?;
                let msg = ml_dsa_message(&self.name, ts, &cp.origin, 0, cp.size, &cp.root);
                vk.verify_with_context(&msg, &[], &sig).then_some(ts)
            }
        }
    }
}

impl fmt::Display for WitnessVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            VerifierInner::Ed25519(v) => v.fmt(f),
            VerifierInner::MlDsa44 { public_key, .. } => write!(
                f,
                "{}+{:08x}+{}",
                self.name,
                self.key_id,
                B64.encode(alg_key(ALG_ML_DSA_44, public_key))
            ),
        }
    }
}

impl std::str::FromStr for WitnessVerifier {
    type Err = CosignatureError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WitnessVerifier::parse(s)
    }
}

/// A cosignature that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosigned {
    /// The witness name.
    pub name: String,
    /// Its key type.
    pub kind: CosignatureKind,
    /// When it cosigned (POSIX seconds).
    pub timestamp: u64,
}

/// Why a checkpoint's cosignatures do not satisfy a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A line by a trusted witness key whose signature is invalid.
    #[error("the cosignature by witness {name:?} ({kind}) does not verify")]
    BadCosignature {
        /// The witness.
        name: String,
        /// Its key type.
        kind: CosignatureKind,
    },
    /// Fewer distinct witnesses than the quorum.
    #[error(
        "{got} of the required {quorum} witnesses cosigned (valid: {names}; trusted: {trusted})"
    )]
    NoQuorum {
        /// Distinct witnesses with a valid cosignature.
        got: usize,
        /// Required.
        quorum: usize,
        /// Who did.
        names: String,
        /// Who could have.
        trusted: String,
    },
}

/// "At least `quorum` of these witnesses cosigned": the policy an election definition names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WitnessPolicy {
    /// Distinct witness names required.
    pub quorum: usize,
    /// Trusted witness keys (a witness may have one key of each type under one name).
    pub witnesses: Vec<WitnessVerifier>,
}

impl WitnessPolicy {
    /// Every valid cosignature by a trusted key (each witness name once, first valid line).
    /// A trusted key's invalid line is an error, as signed-note requires.
    pub fn cosignatures(&self, note: &Note) -> Result<Vec<Cosigned>, PolicyError> {
        let mut out: Vec<Cosigned> = Vec::new();
        for s in &note.signatures {
            let Some(w) = self.witnesses.iter().find(|w| w.matches(s)) else {
                continue;
            };
            let ts =
                w.verify(&note.text, &s.signature)
                    .ok_or_else(|| PolicyError::BadCosignature {
                        name: w.name.clone(),
                        kind: w.kind(),
                    })?;
            if !out.iter().any(|c| c.name == w.name) {
                out.push(Cosigned {
                    name: w.name.clone(),
                    kind: w.kind(),
                    timestamp: ts,
                });
            }
        }
        Ok(out)
    }

    /// [`WitnessPolicy::cosignatures`], then the quorum.
    pub fn check(&self, note: &Note) -> Result<Vec<Cosigned>, PolicyError> {
        let got = self.cosignatures(note)?;
        if got.len() < self.quorum {
            let mut trusted: Vec<&str> = self.witnesses.iter().map(|w| w.name()).collect();
            trusted.dedup();
            return Err(PolicyError::NoQuorum {
                got: got.len(),
                quorum: self.quorum,
                names: if got.is_empty() {
                    "none".into()
                } else {
                    got.iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                trusted: if trusted.is_empty() {
                    "none".into()
                } else {
                    trusted.join(", ")
                },
            });
        }
        Ok(got)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint() -> String {
        Checkpoint {
            origin: "example.com/log".into(),
            size: 5,
            root: [7; 32],
            extensions: vec![],
        }
        .to_text()
    }

    #[test]
    fn both_kinds_round_trip_and_verify() {
        for kind in [CosignatureKind::Ed25519, CosignatureKind::MlDsa44] {
            let k = WitnessSigner::from_seed(kind, "w.example/1", [3; 32]).unwrap();
            let again = WitnessSigner::parse(&k.to_skey_string()).unwrap();
            assert_eq!(again.verifier(), k.verifier());
            let v = WitnessVerifier::parse(&k.verifier().to_string()).unwrap();
            assert_eq!(v, k.verifier());
            let cp = checkpoint();
            let line = k.cosign(&cp, 1_700_000_000).unwrap();
            assert_eq!(v.verify(&cp, &line.signature), Some(1_700_000_000));
            let other = cp.replace("\n5\n", "\n6\n");
            assert_eq!(v.verify(&other, &line.signature), None, "{kind}");
            let mut flipped = line.signature.clone();
            flipped[20] ^= 1;
            assert_eq!(v.verify(&cp, &flipped), None);
        }
    }

    #[test]
    fn ml_dsa_message_layout() {
        let m = ml_dsa_message("w", 2, "o", 0, 5, &[9; 32]);
        let mut want = b"subtree/v1\n\0".to_vec();
        want.extend_from_slice(&[1, b'w', 0, 0, 0, 0, 0, 0, 0, 2, 1, b'o']);
        want.extend_from_slice(&[0; 8]);
        want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 5]);
        want.extend_from_slice(&[9; 32]);
        assert_eq!(m, want);
    }

    #[test]
    fn zero_timestamp_refused() {
        let k = WitnessSigner::from_seed(CosignatureKind::MlDsa44, "w", [3; 32]).unwrap();
        assert_eq!(
            k.cosign(&checkpoint(), 0),
            Err(CosignatureError::BadTimestamp(0))
        );
    }
}
