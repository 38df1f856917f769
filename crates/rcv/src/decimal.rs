//! Exact decimal helpers mirroring the `BigDecimal` operations RCTab uses.
//!
//! RCTab keeps vote values as `BigDecimal` and rounds only where it says so: surplus fractions
//! and transfer amounts are cut (RoundingMode.DOWN) to `decimalPlacesForVoteArithmetic`, Droop
//! thresholds are cut to whole votes (or to the decimal places), Hare thresholds are rounded up.
//! `rust_decimal` keeps a scale like `BigDecimal`, so sums print the way RCTab prints them.

use rust_decimal::{Decimal, RoundingStrategy};

/// Direction of rounding for a division.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// Towards zero (`RoundingMode.DOWN`).
    Down,
    /// Away from zero (`RoundingMode.UP`).
    Up,
}

/// `a.divide(b, dp, mode)`: the quotient with exactly `dp` decimals, rounded by `mode`.
/// Computed on integers so the cut is exact. Returns `None` when `b` is zero or on overflow.
pub fn divide(a: Decimal, b: Decimal, dp: u32, mode: Round) -> Option<Decimal> {
    if b.is_zero() {
        return None;
    }
    let (ma, sa) = (a.mantissa(), a.scale());
    let (mb, sb) = (b.mantissa(), b.scale());
    // a / b = (ma * 10^sb) / (mb * 10^sa); scaled by 10^dp.
    let num = ma.checked_mul(pow10(sb + dp)?)?;
    let den = mb.checked_mul(pow10(sa)?)?;
    let q = num / den;
    let r = num % den;
    let q = if mode == Round::Up && r != 0 {
        // Away from zero: the sign of the exact quotient is the sign of num*den.
        if (num < 0) == (den < 0) {
            q + 1
        } else {
            q - 1
        }
    } else {
        q
    };
    Decimal::try_from_i128_with_scale(q, dp).ok()
}

/// `a.multiply(b).setScale(dp, RoundingMode.DOWN)`.
pub fn multiply_down(a: Decimal, b: Decimal, dp: u32) -> Option<Decimal> {
    let p = a.checked_mul(b)?;
    let mut t = p.round_dp_with_strategy(dp, RoundingStrategy::ToZero);
    t.rescale(dp);
    Some(t)
}

fn pow10(e: u32) -> Option<i128> {
    10i128.checked_pow(e)
}

/// `BigDecimal.ONE.divide(BigDecimal.TEN.pow(dp))`: one unit in the last kept place.
pub fn unit(dp: u32) -> Decimal {
    Decimal::new(1, dp)
}

/// `a.add(b)` with `BigDecimal`'s result scale (the larger of the two); `rust_decimal` drops
/// the scale when an operand is zero, which would print "8" where RCTab prints "8.0000".
pub fn add(a: Decimal, b: Decimal) -> Decimal {
    with_scale(a + b, a.scale().max(b.scale()))
}

/// `a.subtract(b)` with `BigDecimal`'s result scale.
pub fn sub(a: Decimal, b: Decimal) -> Decimal {
    with_scale(a - b, a.scale().max(b.scale()))
}

/// `a.multiply(b)` with `BigDecimal`'s result scale (the sum of scales, capped at 28).
pub fn mul(a: Decimal, b: Decimal) -> Decimal {
    with_scale(a * b, (a.scale() + b.scale()).min(28))
}

fn with_scale(mut d: Decimal, scale: u32) -> Decimal {
    if d.scale() < scale {
        d.rescale(scale);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn divide_cuts_like_bigdecimal() {
        assert_eq!(
            divide(d("1"), d("9"), 4, Round::Down).unwrap().to_string(),
            "0.1111"
        );
        assert_eq!(
            divide(d("80101"), d("4"), 0, Round::Up)
                .unwrap()
                .to_string(),
            "20026"
        );
        assert_eq!(
            divide(d("10"), d("2"), 0, Round::Down).unwrap().to_string(),
            "5"
        );
        assert_eq!(
            divide(d("2.5"), d("0.5"), 2, Round::Down)
                .unwrap()
                .to_string(),
            "5.00"
        );
    }

    #[test]
    fn multiply_sets_scale() {
        assert_eq!(
            multiply_down(d("1"), d("0"), 4).unwrap().to_string(),
            "0.0000"
        );
        assert_eq!(
            multiply_down(d("0.3333"), d("0.3333"), 4)
                .unwrap()
                .to_string(),
            "0.1110"
        );
    }

    proptest::proptest! {
        #[test]
        fn divide_down_brackets_the_quotient(a in 0i64..10_000_000, b in 1i64..10_000, dp in 0u32..6) {
            let q = divide(Decimal::from(a), Decimal::from(b), dp, Round::Down).unwrap();
            let u = unit(dp);
            proptest::prop_assert!(q * Decimal::from(b) <= Decimal::from(a));
            proptest::prop_assert!((q + u) * Decimal::from(b) > Decimal::from(a));
        }
    }
}
