//! The crate's Ed25519 acceptance policy (ed25519-dalek's `verify_strict`, see the crate docs)
//! checked for many signatures at once, with one field inversion for all of them.
//!
//! Why: `verify_strict` decompresses `R`, a square root that costs about a fifth of a
//! verification, and a server checks a county's file of thousands of signatures in one
//! request. The check here reaches the same verdict on every input without decompressing
//! `R`: it compresses the recomputed point instead, and many points are compressed with one
//! shared inversion (Montgomery's trick).
//!
//! Equivalence with `verify_strict`, for a public key `A` that is not of small order (every
//! [`VerifierKey`] is checked when parsed), with `k = SHA-512(R ‖ A ‖ M) mod ℓ`,
//! `P = [S]B − [k]A`:
//! - a signature that is not 64 bytes, or whose `S` is not canonical, is refused by both
//!   before any curve arithmetic;
//! - when `R`'s bytes are a canonical encoding (y < p): `verify_strict` accepts exactly when
//!   they decode to a point that equals `P` and is not of small order; compression is
//!   injective on canonical encodings, so that is exactly "`P` compresses to `R`'s bytes and
//!   `P` is not of small order" (bytes that are no point, or the x = 0 encodings with the sign
//!   bit set, which are the two small-order points (0, ±1), never equal a compression);
//! - when they are not (y ≥ p, 19 values per sign, never produced by a signer), this falls
//!   back to `verify_strict` itself (`verify_with`, the crate's one call of it).

use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

use crate::VerifierKey;

/// One signature to check: `sig` by `key` over `msg`.
#[derive(Clone, Copy)]
pub struct SignatureCheck<'a> {
    pub key: &'a VerifierKey,
    pub msg: &'a [u8],
    pub sig: &'a [u8],
}

/// Checks every signature under the strict policy; the verdicts are in order, the same as
/// [`VerifierKey::verify`] gives each alone.
pub fn verify_all(checks: &[SignatureCheck<'_>]) -> Vec<bool> {
    let recomputed: Vec<Option<EdwardsPoint>> = checks.iter().map(recompute_r).collect();
    let points: Vec<EdwardsPoint> = recomputed.iter().flatten().copied().collect();
    let mut compressed = EdwardsPoint::compress_batch_alloc(&points).into_iter();
    checks
        .iter()
        .zip(recomputed)
        .map(|(check, point)| {
            let Some(point) = point else {
                return false;
            };
            let Some(r) = compressed.next() else {
                return false;
            };
            let r_bytes = &check.sig[..32];
            if r.as_bytes() == r_bytes {
                !point.is_small_order()
            } else if is_non_canonical_y(r_bytes) {
                crate::verify_with(check.key.dalek(), check.msg, check.sig)
            } else {
                false
            }
        })
        .collect()
}

/// `[S]B − [k]A`, or `None` when the signature is not 64 bytes or its `S` is not canonical.
fn recompute_r(check: &SignatureCheck<'_>) -> Option<EdwardsPoint> {
    let sig: &[u8; 64] = check.sig.try_into().ok()?;
    let mut s_bytes = [0u8; 32];
    s_bytes.copy_from_slice(&sig[32..]);
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))?;
    let mut h = Sha512::new();
    h.update(&sig[..32]);
    h.update(check.key.public_key());
    h.update(check.msg);
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    let minus_a = -check.key.dalek().to_edwards();
    Some(EdwardsPoint::vartime_double_scalar_mul_basepoint(
        &k, &minus_a, &s,
    ))
}

/// Whether a point encoding's y (its low 255 bits, little-endian) is at least p = 2^255 − 19.
fn is_non_canonical_y(bytes: &[u8]) -> bool {
    bytes.len() == 32
        && bytes[0] >= 0xed
        && bytes[1..31].iter().all(|&b| b == 0xff)
        && bytes[31] & 0x7f == 0x7f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_canonical_y_is_exactly_y_at_least_p() {
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert!(is_non_canonical_y(&p));
        p[31] = 0xff; // the sign bit is not part of y
        assert!(is_non_canonical_y(&p));
        p[0] = 0xec; // p − 1
        assert!(!is_non_canonical_y(&p));
        let mut q = [0xffu8; 32];
        q[15] = 0xfe;
        assert!(!is_non_canonical_y(&q));
    }
}
