//! Exact non-negative rationals for quotients, quotas, divisors and shares.
//!
//! Why not `num-rational`: every comparison that decides a seat must be exact and must never
//! panic on data from outside. `num_rational::Ratio<u128>` reduces by gcd on every operation
//! (slow in the inner loop of a 1,000-seat allocation) and panics on overflow. This type only
//! needs construction, comparison and a handful of checked operations, so it keeps numerator
//! and denominator as given and compares by cross-multiplication in 256-bit precision, which
//! cannot overflow for any pair of `u128` values.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Most digits after the decimal point accepted when parsing a decimal ("1.4", "2.5").
pub const MAX_DECIMAL_PLACES: usize = 6;

/// Largest numerator or denominator accepted when parsing a fraction from text: keeps every
/// product of a vote count (`u64`) and a parsed divisor well inside `u128`.
pub const MAX_PARSED_PART: u128 = 1_000_000_000;

/// An exact non-negative rational number `num / den` with `den > 0`.
///
/// Not kept in lowest terms (reduction costs a gcd and is never needed to compare);
/// equality and order are those of the rational numbers: `2/4 == 1/2`.
#[derive(Clone, Copy, Debug)]
pub struct Fraction {
    num: u128,
    den: u128,
}

/// Why a text is not a fraction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a non-negative number or fraction ({why}); write e.g. 1.4, 7/5 or 4")]
pub struct ParseFractionError {
    /// The text that was given.
    pub text: String,
    /// What is wrong with it.
    pub why: &'static str,
}

impl Fraction {
    /// Zero.
    pub const ZERO: Fraction = Fraction { num: 0, den: 1 };

    /// `num / den`, or `None` when `den` is zero.
    pub const fn new(num: u128, den: u128) -> Option<Fraction> {
        if den == 0 {
            None
        } else {
            Some(Fraction { num, den })
        }
    }

    /// The integer `n` as a fraction.
    pub const fn from_int(n: u128) -> Fraction {
        Fraction { num: n, den: 1 }
    }

    /// The numerator as stored.
    pub const fn numer(&self) -> u128 {
        self.num
    }

    /// The denominator as stored (never zero).
    pub const fn denom(&self) -> u128 {
        self.den
    }

    /// Whether this is zero.
    pub const fn is_zero(&self) -> bool {
        self.num == 0
    }

    /// The largest integer not above this value.
    pub const fn floor(&self) -> u128 {
        self.num / self.den
    }

    /// The smallest integer not below this value.
    pub const fn ceil(&self) -> u128 {
        self.num.div_ceil(self.den)
    }

    /// This value in lowest terms (for display and serialisation).
    pub fn reduced(&self) -> Fraction {
        let g = gcd(self.num, self.den);
        Fraction {
            num: self.num / g,
            den: self.den / g,
        }
    }

    /// `self * other`, or `None` on overflow.
    pub fn checked_mul(&self, other: &Fraction) -> Option<Fraction> {
        let a = self.reduced();
        let b = other.reduced();
        Some(Fraction {
            num: a.num.checked_mul(b.num)?,
            den: a.den.checked_mul(b.den)?,
        })
    }

    /// `self / other`, or `None` on overflow or division by zero.
    pub fn checked_div(&self, other: &Fraction) -> Option<Fraction> {
        if other.num == 0 {
            return None;
        }
        self.checked_mul(&Fraction {
            num: other.den,
            den: other.num,
        })
    }

    /// `self - other`, or `None` when negative or on overflow.
    pub fn checked_sub(&self, other: &Fraction) -> Option<Fraction> {
        if *self < *other {
            return None;
        }
        let (a, b) = (self.reduced(), other.reduced());
        let den = a.den.checked_mul(b.den)?;
        let l = a.num.checked_mul(b.den)?;
        let r = b.num.checked_mul(a.den)?;
        Some(Fraction { num: l - r, den })
    }

    /// The value as a decimal string with `places` digits after the point, rounded half up.
    pub fn to_decimal(&self, places: u32) -> String {
        let scale = 10u128.pow(places.min(30));
        let Some(scaled) = self.num.checked_mul(scale) else {
            // Only for astronomically large values: show the integer part.
            return format!("{}", self.floor());
        };
        let mut q = scaled / self.den;
        let rem = scaled % self.den;
        if rem >= self.den - rem {
            q += 1;
        }
        if places == 0 {
            format!("{q}")
        } else {
            format!(
                "{}.{:0width$}",
                q / scale,
                q % scale,
                width = places as usize
            )
        }
    }
}

/// Greatest common divisor (Euclid); `gcd(0, 0) = 1` so it can always divide.
fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    if a == 0 {
        1
    } else {
        a
    }
}

/// The full 256-bit product of two `u128` values as (high, low) halves.
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & MASK);
    let (b1, b0) = (b >> 64, b & MASK);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & MASK) + (p10 & MASK);
    let lo = (p00 & MASK) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

impl Ord for Fraction {
    /// Cross-multiplication: `a/b < c/d` iff `a·d < c·b`, exact in 256 bits.
    fn cmp(&self, other: &Self) -> Ordering {
        match (
            self.num.checked_mul(other.den),
            other.num.checked_mul(self.den),
        ) {
            (Some(l), Some(r)) => l.cmp(&r),
            _ => mul_wide(self.num, other.den).cmp(&mul_wide(other.num, self.den)),
        }
    }
}

impl PartialOrd for Fraction {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Fraction {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Fraction {}

impl fmt::Display for Fraction {
    /// Lowest terms: `7/5`, or `3` for whole numbers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.reduced();
        if r.den == 1 {
            write!(f, "{}", r.num)
        } else {
            write!(f, "{}/{}", r.num, r.den)
        }
    }
}

impl FromStr for Fraction {
    type Err = ParseFractionError;

    /// Accepts `4`, `1.4`, `0.05` and `7/5` (no sign, no exponent, no spaces inside).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |why| ParseFractionError {
            text: s.to_string(),
            why,
        };
        let t = s.trim();
        if t.is_empty() {
            return Err(err("empty"));
        }
        let digits = |p: &str| -> Result<u128, ParseFractionError> {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("only digits, one '.' or one '/' are allowed"));
            }
            match p.parse::<u128>() {
                Ok(v) if v <= MAX_PARSED_PART => Ok(v),
                _ => Err(err("too large")),
            }
        };
        if let Some((n, d)) = t.split_once('/') {
            let (n, d) = (digits(n)?, digits(d)?);
            return Fraction::new(n, d).ok_or_else(|| err("zero denominator"));
        }
        if let Some((w, f)) = t.split_once('.') {
            if f.len() > MAX_DECIMAL_PLACES {
                return Err(err("too many decimal places"));
            }
            let whole = if w.is_empty() { 0 } else { digits(w)? };
            let frac = if f.is_empty() { 0 } else { digits(f)? };
            let den = 10u128.pow(f.len() as u32);
            let num = whole
                .checked_mul(den)
                .and_then(|x| x.checked_add(frac))
                .ok_or_else(|| err("too large"))?;
            return Ok(Fraction { num, den });
        }
        Ok(Fraction::from_int(digits(t)?))
    }
}

impl Serialize for Fraction {
    /// As a string in lowest terms (`"7/5"`, `"3"`): JSON numbers cannot carry it exactly.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fraction {
    /// From a string (`"1.4"`, `"7/5"`) or a non-negative integer.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Int(u64),
            Text(String),
        }
        match Repr::deserialize(d)? {
            Repr::Int(n) => Ok(Fraction::from_int(u128::from(n))),
            Repr::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(n: u128, d: u128) -> Fraction {
        Fraction::new(n, d).unwrap()
    }

    #[test]
    fn compares_by_cross_multiplication() {
        assert_eq!(f(2, 4), f(1, 2));
        assert!(f(7, 5) > f(4, 3));
        assert!(f(u128::MAX, 3) > f(u128::MAX - 1, 3));
        assert!(f(u128::MAX, u128::MAX - 1) < f(u128::MAX - 1, u128::MAX - 2));
        assert!(f(u128::MAX - 1, u128::MAX) < f(u128::MAX, u128::MAX));
    }

    #[test]
    fn parses_decimals_and_fractions() {
        assert_eq!("1.4".parse::<Fraction>().unwrap(), f(7, 5));
        assert_eq!("7/5".parse::<Fraction>().unwrap(), f(7, 5));
        assert_eq!("4".parse::<Fraction>().unwrap(), f(4, 1));
        assert_eq!(".5".parse::<Fraction>().unwrap(), f(1, 2));
        for bad in [
            "",
            "-1",
            "1/0",
            "1.2.3",
            "a",
            "1e3",
            "0.1234567",
            "99999999999",
        ] {
            assert!(bad.parse::<Fraction>().is_err(), "{bad}");
        }
    }

    #[test]
    fn displays_decimals_rounded_half_up() {
        assert_eq!(f(1, 3).to_decimal(2), "0.33");
        assert_eq!(f(2, 3).to_decimal(2), "0.67");
        assert_eq!(f(999, 1000).to_decimal(2), "1.00");
        assert_eq!(f(5, 2).to_decimal(0), "3");
        assert_eq!(f(14, 10).to_string(), "7/5");
    }

    #[test]
    fn checked_ops() {
        assert_eq!(f(1, 2).checked_sub(&f(1, 3)).unwrap(), f(1, 6));
        assert!(f(1, 3).checked_sub(&f(1, 2)).is_none());
        assert_eq!(f(3, 2).checked_mul(&f(2, 3)).unwrap(), f(1, 1));
        assert_eq!(f(3, 2).checked_div(&f(3, 1)).unwrap(), f(1, 2));
    }
}
