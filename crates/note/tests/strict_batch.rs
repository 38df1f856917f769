//! Property: checking signatures many at once gives, for each, `verify_strict`'s verdict,
//! whatever is wrong with it and whatever else is in the batch.
use proptest::prelude::*;
use skytale_note::{verify_all, verify_ed25519, SignatureCheck, SigningKey};

/// What is done to a valid signature before it is checked.
#[derive(Debug, Clone)]
enum Damage {
    None,
    /// One byte of R, S or the message changed.
    FlipSig(usize, u8),
    FlipMsg(u8),
    /// R replaced by other bytes (often no point at all, sometimes y ≥ p).
    OtherR([u8; 32]),
    /// R replaced by the encoding of y = p + small (non-canonical).
    NonCanonicalR(u8, bool),
    /// Signed by another key than the one it is checked against.
    WrongKey,
    Truncated(usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        3 => Just(Damage::None),
        2 => (0usize..64, 1u8..=255).prop_map(|(i, x)| Damage::FlipSig(i, x)),
        1 => (1u8..=255).prop_map(Damage::FlipMsg),
        1 => any::<[u8; 32]>().prop_map(Damage::OtherR),
        1 => (0u8..19, any::<bool>()).prop_map(|(d, s)| Damage::NonCanonicalR(d, s)),
        1 => Just(Damage::WrongKey),
        1 => (0usize..64).prop_map(Damage::Truncated),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn verdicts_are_strict_ones(
        items in prop::collection::vec(
            (any::<[u8; 32]>(), prop::collection::vec(any::<u8>(), 0..200), damage()),
            1..24,
        )
    ) {
        let other = SigningKey::from_seed("other", [9; 32]).unwrap();
        let mut cases = Vec::new();
        for (seed, msg, damage) in &items {
            let key = SigningKey::from_seed("k", *seed).unwrap();
            let mut sig = key.sign(msg).to_vec();
            let mut msg = msg.clone();
            let mut signer = key.verifier();
            match damage {
                Damage::None => {}
                Damage::FlipSig(i, x) => sig[*i] ^= x,
                Damage::FlipMsg(x) => msg.push(*x),
                Damage::OtherR(r) => sig[..32].copy_from_slice(r),
                Damage::NonCanonicalR(d, sign) => {
                    let mut r = [0xffu8; 32];
                    r[0] = 0xed + d;
                    r[31] = if *sign { 0xff } else { 0x7f };
                    sig[..32].copy_from_slice(&r);
                }
                Damage::WrongKey => signer = other.verifier(),
                Damage::Truncated(n) => sig.truncate(*n),
            }
            let strict = verify_ed25519(signer.public_key(), &msg, &sig);
            prop_assert_eq!(strict, matches!(damage, Damage::None), "{:?}", damage);
            cases.push((signer, msg, sig, strict));
        }
        let checks: Vec<SignatureCheck<'_>> = cases
            .iter()
            .map(|(key, msg, sig, _)| SignatureCheck { key, msg, sig })
            .collect();
        let got = verify_all(&checks);
        for (i, case) in cases.iter().enumerate() {
            prop_assert_eq!(got[i], case.3, "item {}", i);
        }
    }
}
