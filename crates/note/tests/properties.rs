//! Property tests: encoding round-trips, signatures verify, any change to the signed
//! text is caught, and cosignatures (tlog-cosignature/v1) behave likewise.
use proptest::prelude::*;
use skytale_note::{
    CosignatureVerifier, CosignerKey, Note, NoteError, NoteSignature, SigningKey, VerifierKey,
};

/// Note text: printable lines (any Unicode but controls), possibly blank, each ending in '\n'.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec("[^\\x00-\\x1f\\x7f]{0,40}", 1..6).prop_map(|lines| {
        let mut s = String::new();
        for l in lines {
            s.push_str(&l);
            s.push('\n');
        }
        s
    })
}

fn name() -> impl Strategy<Value = String> {
    "[a-z0-9./_-]{1,20}"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn sign_parse_verify_round_trip(t in text(), names in prop::collection::vec(name(), 1..4), seed in any::<[u8; 32]>()) {
        let keys: Vec<SigningKey> = names.iter().enumerate()
            .map(|(i, n)| { let mut s = seed; s[0] ^= i as u8; SigningKey::from_seed(n, s).unwrap() })
            .collect();
        let mut note = keys[0].sign_note(&t).unwrap();
        for k in &keys[1..] { note.add_signature(k); }
        let bytes = note.to_bytes();
        let parsed = Note::parse(&bytes).unwrap();
        prop_assert_eq!(&parsed, &note);
        let known: Vec<VerifierKey> = keys.iter().map(|k| k.verifier()).collect();
        prop_assert!(!parsed.verify(&known).unwrap().is_empty());
        let (text, signers) = skytale_note::open(&bytes, &known).unwrap();
        prop_assert_eq!(text, t.as_str());
        prop_assert!(!signers.is_empty());
        // Keys survive their string forms.
        for (k, v) in keys.iter().zip(&known) {
            prop_assert_eq!(&SigningKey::parse(&k.to_skey_string()).unwrap().verifier(), v);
            prop_assert_eq!(&VerifierKey::parse(&v.to_string()).unwrap(), v);
        }
    }

    #[test]
    fn changed_text_is_rejected(t in text(), pos in any::<usize>(), c in "[a-zA-Z0-9 ]") {
        let k = SigningKey::from_seed("signer.example", [5; 32]).unwrap();
        let mut n = k.sign_note(&t).unwrap();
        let chars: Vec<char> = n.text.chars().collect();
        let i = pos % chars.len();
        let mut changed: String = chars[..i].iter().collect();
        changed.push_str(&c);
        changed.extend(&chars[i..]);
        n.text = changed;
        let known = [k.verifier()];
        prop_assert_eq!(n.verify(&known), Err(NoteError::BadSignature { name: "signer.example".into() }));
    }

    #[test]
    fn parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = Note::parse(&bytes);
    }

    #[test]
    fn cosignatures(t in text(), ts in 0u64..=(i64::MAX as u64), seed in any::<[u8; 32]>()) {
        let c = CosignerKey::from_seed("witness.example/w1", seed).unwrap();
        let v = c.verifier();
        prop_assert_eq!(&CosignatureVerifier::parse(&v.to_string()).unwrap(), &v);
        let log = SigningKey::from_seed("log.example", [1; 32]).unwrap();
        let mut note = log.sign_note(&t).unwrap();
        note.signatures.push(c.cosign(&t, ts).unwrap());
        let parsed = Note::parse(&note.to_bytes()).unwrap();
        let got = parsed.verify_cosignatures(std::slice::from_ref(&v)).unwrap();
        prop_assert_eq!(got.len(), 1);
        prop_assert_eq!(got[0].1, ts);
        // The log key still verifies; the cosigner is not an Ed25519 note key for it.
        prop_assert_eq!(parsed.verify(&[log.verifier()]).unwrap().len(), 1);
        // A changed timestamp breaks the cosignature.
        let mut bad = parsed.clone();
        let sig: &mut NoteSignature = bad.signatures.last_mut().unwrap();
        sig.signature[7] ^= 1;
        let r = bad.verify_cosignatures(std::slice::from_ref(&v));
        prop_assert!(matches!(r, Err(NoteError::BadSignature { .. })), "{:?}", r);
    }
}

#[test]
fn cosignature_rules() {
    let c = CosignerKey::from_seed("w", [3; 32]).unwrap();
    assert!(matches!(
        c.cosign("o\n1\nAAAA\n", i64::MAX as u64 + 1),
        Err(NoteError::BadTimestamp { .. })
    ));
    let sig = c.cosign("o\n1\nAAAA\n", 1_679_315_147).unwrap();
    assert_eq!(sig.signature.len(), 72);
    assert_eq!(&sig.signature[..8], &1_679_315_147u64.to_be_bytes());
    // The key ID is computed with type byte 0x04, so it differs from a 0x01 key's.
    let as_note_key = SigningKey::from_seed("w", [3; 32]).unwrap();
    assert_ne!(as_note_key.key_id(), c.key_id());
    assert_eq!(
        c.key_id(),
        skytale_note::key_id("w", &[&[0x04][..], c.verifier().public_key()].concat())
    );
    // A vkey of the wrong type is rejected by each parser.
    assert!(VerifierKey::parse(&c.verifier().to_string()).is_err());
    assert!(CosignatureVerifier::parse(&as_note_key.verifier().to_string()).is_err());
    // The signed message is the documented one.
    let v = c.verifier();
    assert_eq!(
        v.verify("o\n1\nAAAA\n", &sig.signature),
        Some(1_679_315_147)
    );
    assert_eq!(v.verify("o\n2\nAAAA\n", &sig.signature), None);
}
