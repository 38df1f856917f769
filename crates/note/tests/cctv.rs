//! Every C2SP/CCTV Ed25519 edge-case vector gets the verdict our documented policy
//! (ed25519-dalek `verify_strict`, see the crate docs) says, decided from its flags alone.
use serde::Deserialize;
use skytale_note::verify_ed25519;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Vector {
    number: u32,
    key: String,
    sig: String,
    msg: String,
    flags: Option<Vec<String>>,
}

/// The policy as a table: flag -> does this flag alone force rejection?
/// (Accepted exactly when every flag present maps to `false`.)
const POLICY: &[(&str, bool)] = &[
    ("low_order_component_A", false), // undetectable mixed-order key: accepted
    ("low_order_component_R", false), // undetectable mixed-order R: accepted
    ("low_order_A", true),            // small-order public key: rejected
    ("low_order_R", true),            // small-order R: rejected
    ("non_canonical_A", true),        // (all such A are also small-order) rejected
    ("non_canonical_R", true),        // R encoding compared byte-for-byte: rejected
    ("low_order_residue", true),      // cofactorless equation: rejected
    ("reencoded_k", true),            // (all such vectors are non-canonical) rejected
];

fn expected(flags: &[String]) -> bool {
    flags.iter().all(|f| {
        let (_, rejects) = POLICY
            .iter()
            .find(|(name, _)| name == f)
            .unwrap_or_else(|| panic!("flag {f} not in the policy table"));
        !rejects
    })
}

#[test]
fn cctv_ed25519_vectors_follow_policy() {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors/cctv-ed25519/ed25519vectors.json"
    );
    let data = std::fs::read(p).expect("CCTV vectors missing");
    let vectors: Vec<Vector> = serde_json::from_slice(&data).unwrap();
    assert_eq!(vectors.len(), 914, "vector count changed");
    let mut tally: BTreeMap<bool, usize> = BTreeMap::new();
    let mut wrong = Vec::new();
    for v in &vectors {
        let flags = v.flags.clone().unwrap_or_default();
        let key: [u8; 32] = hex::decode(&v.key).unwrap().try_into().unwrap();
        let sig = hex::decode(&v.sig).unwrap();
        let got = verify_ed25519(&key, v.msg.as_bytes(), &sig);
        let want = expected(&flags);
        if got != want {
            wrong.push((v.number, flags, got));
        }
        *tally.entry(got).or_default() += 1;
    }
    assert!(wrong.is_empty(), "vectors with wrong verdict: {wrong:?}");
    // Sanity: the policy accepts some and rejects most.
    assert_eq!(tally.get(&true), Some(&43), "{tally:?}");
}

#[test]
fn non_canonical_s_rejected() {
    let k = skytale_note::SigningKey::from_seed("s", [1; 32]).unwrap();
    let v = k.verifier();
    let mut sig = k.sign(b"msg");
    assert!(v.verify(b"msg", &sig));
    // Add the group order l to S (little-endian) — same value mod l, non-canonical encoding.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = sig[32 + i] as u16 + L[i] as u16 + carry;
        sig[32 + i] = s as u8;
        carry = s >> 8;
    }
    assert_eq!(carry, 0);
    assert!(!v.verify(b"msg", &sig));
    // Wrong lengths.
    assert!(!v.verify(b"msg", &sig[..63]));
    assert!(!v.verify(b"msg", &[0u8; 65]));
}

/// The verifier key `v+<id>+<base64(0x01 || key)>` for a raw public key, or `None` when the
/// crate refuses it (small-order keys).
fn verifier_key(key: &[u8; 32]) -> Option<skytale_note::VerifierKey> {
    use base64::Engine as _;
    let alg_key = [&[1u8][..], &key[..]].concat();
    let id = skytale_note::key_id("v", &alg_key);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&alg_key);
    skytale_note::VerifierKey::parse(&format!("v+{id:08x}+{b64}")).ok()
}

/// The many-at-once check (one shared inversion) reaches `verify_strict`'s verdict on every
/// vector whose key the crate accepts, checked alone and all in one batch, so a vector's
/// verdict cannot depend on its neighbours.
#[test]
fn cctv_vectors_checked_together_get_the_strict_verdicts() {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors/cctv-ed25519/ed25519vectors.json"
    );
    let vectors: Vec<Vector> = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    let mut cases = Vec::new();
    for v in &vectors {
        let key: [u8; 32] = hex::decode(&v.key).unwrap().try_into().unwrap();
        let sig = hex::decode(&v.sig).unwrap();
        let strict = verify_ed25519(&key, v.msg.as_bytes(), &sig);
        if let Some(vk) = verifier_key(&key) {
            cases.push((v.number, vk, v.msg.clone(), sig, strict));
        } else {
            assert!(!strict, "vector {}: a refused key verified", v.number);
        }
    }
    assert!(
        cases.len() > 300,
        "only {} vectors have usable keys",
        cases.len()
    );
    assert!(cases.iter().any(|c| c.4) && cases.iter().any(|c| !c.4));
    let checks: Vec<skytale_note::SignatureCheck<'_>> = cases
        .iter()
        .map(|(_, key, msg, sig, _)| skytale_note::SignatureCheck {
            key,
            msg: msg.as_bytes(),
            sig,
        })
        .collect();
    let together = skytale_note::verify_all(&checks);
    for (i, (number, key, msg, sig, strict)) in cases.iter().enumerate() {
        assert_eq!(together[i], *strict, "vector {number} in the batch");
        assert_eq!(
            key.verify(msg.as_bytes(), sig),
            *strict,
            "vector {number} alone"
        );
    }
}
