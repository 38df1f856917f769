//! The allocation methods and their divisors or quotas.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::fraction::Fraction;

/// A seat-allocation method. Serialised and parsed as its kebab-case name (`dhondt`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Highest averages with divisors 1, 2, 3, … (Jefferson).
    Dhondt,
    /// Highest averages with divisors 1, 3, 5, … (Webster); equals Schepers rounding.
    SainteLague,
    /// Sainte-Laguë with a first divisor above 1; 1.4 unless the rules give another (Sweden 1.2).
    ModifiedSainteLague,
    /// Highest averages with divisors 2, 3, 4, … (Italian municipal, Belgian).
    Imperiali,
    /// Highest averages with divisors 1, 4, 7, 10, … (Danish county seats).
    Danish,
    /// Largest remainder with the quota valid votes / seats.
    Hare,
    /// Largest remainder with the quota ⌊valid votes / (seats + 1)⌋ + 1.
    Droop,
    /// Largest remainder with the exact quota valid votes / (seats + 1).
    HagenbachBischoff,
    /// Largest remainder with the quota valid votes / (seats + 2).
    ImperialiQuota,
}

/// The kind of a method, which decides how seats are handed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Seats go one by one to the highest quotient votes / divisor.
    HighestAverages,
    /// Whole quotas first, then the largest remainders.
    LargestRemainder,
}

/// Every method with its name, in the order `--help` and errors list them.
pub const METHODS: [(Method, &str); 9] = [
    (Method::Dhondt, "dhondt"),
    (Method::SainteLague, "sainte-lague"),
    (Method::ModifiedSainteLague, "modified-sainte-lague"),
    (Method::Imperiali, "imperiali"),
    (Method::Danish, "danish"),
    (Method::Hare, "hare"),
    (Method::Droop, "droop"),
    (Method::HagenbachBischoff, "hagenbach-bischoff"),
    (Method::ImperialiQuota, "imperiali-quota"),
];

/// The first divisor of modified Sainte-Laguë when the rules give none (Norway's 1.4).
pub const MODIFIED_SAINTE_LAGUE_FIRST_DIVISOR: Fraction = match Fraction::new(7, 5) {
    Some(f) => f,
    None => Fraction::ZERO,
};

/// A method name that is not one of [`METHODS`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown method {given:?}; known methods: {}", known_methods())]
pub struct UnknownMethod {
    /// The name that was given.
    pub given: String,
}

/// The known method names, comma separated.
pub fn known_methods() -> String {
    METHODS.map(|(_, n)| n).join(", ")
}

impl Method {
    /// The canonical name (`dhondt`, `sainte-lague`, …).
    pub fn name(self) -> &'static str {
        METHODS
            .iter()
            .find(|(m, _)| *m == self)
            .map_or("?", |(_, n)| n)
    }

    /// Highest averages or largest remainder.
    pub fn kind(self) -> Kind {
        match self {
            Method::Dhondt
            | Method::SainteLague
            | Method::ModifiedSainteLague
            | Method::Imperiali
            | Method::Danish => Kind::HighestAverages,
            Method::Hare | Method::Droop | Method::HagenbachBischoff | Method::ImperialiQuota => {
                Kind::LargestRemainder
            }
        }
    }

    /// The first divisor used when the rules name none (`None` for largest-remainder methods).
    pub fn default_first_divisor(self) -> Option<Fraction> {
        match self {
            Method::ModifiedSainteLague => Some(MODIFIED_SAINTE_LAGUE_FIRST_DIVISOR),
            m if m.kind() == Kind::HighestAverages => Some(self.divisor(0, None)),
            _ => None,
        }
    }

    /// The divisor for a party that already holds `k` seats; `first` replaces the divisor for
    /// `k = 0`. Only meaningful for highest-averages methods (largest remainder returns 1).
    pub fn divisor(self, k: u32, first: Option<Fraction>) -> Fraction {
        let k = u128::from(k);
        if k == 0 {
            if let Some(f) = first {
                return f;
            }
        }
        let d = match self {
            Method::Dhondt => k + 1,
            Method::SainteLague => 2 * k + 1,
            Method::ModifiedSainteLague => {
                if k == 0 {
                    return MODIFIED_SAINTE_LAGUE_FIRST_DIVISOR;
                }
                2 * k + 1
            }
            Method::Imperiali => k + 2,
            Method::Danish => 3 * k + 1,
            _ => 1,
        };
        Fraction::from_int(d)
    }

    /// The quota of a largest-remainder method for `votes` valid votes and `seats` seats
    /// (`None` for highest-averages methods or zero seats).
    pub fn quota(self, votes: u64, seats: u32) -> Option<Fraction> {
        let v = u128::from(votes);
        let s = u128::from(seats);
        match self {
            Method::Hare => Fraction::new(v, s),
            Method::Droop => Some(Fraction::from_int(v / (s + 1) + 1)),
            Method::HagenbachBischoff => Fraction::new(v, s + 1),
            Method::ImperialiQuota => Fraction::new(v, s + 2),
            _ => None,
        }
        .filter(|_| seats > 0)
    }

    /// A short human description, e.g. `D'Hondt (divisors 1, 2, 3, …)`.
    pub fn describe(self, first: Option<Fraction>) -> String {
        match self.kind() {
            Kind::HighestAverages => {
                let d: Vec<String> = (0..3)
                    .map(|k| self.divisor(k, first).reduced().to_decimal_trimmed())
                    .collect();
                format!("{} (divisors {}, …)", self.title(), d.join(", "))
            }
            Kind::LargestRemainder => format!("{} (largest remainder)", self.title()),
        }
    }

    /// The usual written name.
    pub fn title(self) -> &'static str {
        match self {
            Method::Dhondt => "D'Hondt",
            Method::SainteLague => "Sainte-Laguë",
            Method::ModifiedSainteLague => "modified Sainte-Laguë",
            Method::Imperiali => "Imperiali",
            Method::Danish => "Danish",
            Method::Hare => "Hare quota",
            Method::Droop => "Droop quota",
            Method::HagenbachBischoff => "Hagenbach-Bischoff quota",
            Method::ImperialiQuota => "Imperiali quota",
        }
    }
}

impl Fraction {
    /// Decimal without trailing zeros when exact within six places (`1.4`, `3`), else `a/b`.
    pub fn to_decimal_trimmed(&self) -> String {
        let r = self.reduced();
        let mut d = r.denom();
        while d.is_multiple_of(2) {
            d /= 2;
        }
        while d.is_multiple_of(5) {
            d /= 5;
        }
        if d != 1 {
            return r.to_string();
        }
        let s = r.to_decimal(6);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    }
}

impl FromStr for Method {
    type Err = UnknownMethod;

    /// Case-insensitive; `d'hondt`, `d-hondt`, `saint-lague` and `_` for `-` are also accepted.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .to_ascii_lowercase()
            .replace(['_', ' '], "-")
            .replace(['\'', '’'], "")
            .replace("ë", "e");
        let norm = match norm.as_str() {
            "d-hondt" | "jefferson" => "dhondt",
            "saint-lague" | "webster" => "sainte-lague",
            other => other,
        };
        METHODS
            .iter()
            .find(|(_, n)| *n == norm)
            .map(|(m, _)| *m)
            .ok_or_else(|| UnknownMethod {
                given: s.to_string(),
            })
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (m, n) in METHODS {
            assert_eq!(n.parse::<Method>().unwrap(), m);
            assert_eq!(m.to_string(), n);
            let json = format!("\"{n}\"");
            assert_eq!(serde_json_like(&json), m);
        }
        assert_eq!("D'Hondt".parse::<Method>().unwrap(), Method::Dhondt);
        let e = "borda".parse::<Method>().unwrap_err().to_string();
        assert!(e.contains("dhondt, sainte-lague"), "{e}");
    }

    fn serde_json_like(s: &str) -> Method {
        #[derive(Deserialize)]
        struct W {
            m: Method,
        }
        let w: W = toml::from_str(&format!("m = {s}")).unwrap();
        w.m
    }

    #[test]
    fn divisors() {
        let ds = |m: Method| -> Vec<String> {
            (0..4)
                .map(|k| m.divisor(k, m.default_first_divisor()).to_decimal_trimmed())
                .collect()
        };
        assert_eq!(ds(Method::Dhondt), ["1", "2", "3", "4"]);
        assert_eq!(ds(Method::SainteLague), ["1", "3", "5", "7"]);
        assert_eq!(ds(Method::ModifiedSainteLague), ["1.4", "3", "5", "7"]);
        assert_eq!(ds(Method::Imperiali), ["2", "3", "4", "5"]);
        assert_eq!(ds(Method::Danish), ["1", "4", "7", "10"]);
    }

    #[test]
    fn quotas() {
        assert_eq!(Method::Hare.quota(100, 3).unwrap().to_string(), "100/3");
        assert_eq!(Method::Droop.quota(100, 3).unwrap().to_string(), "26");
        assert_eq!(
            Method::HagenbachBischoff.quota(100, 3).unwrap().to_string(),
            "25"
        );
        assert_eq!(
            Method::ImperialiQuota.quota(100, 3).unwrap().to_string(),
            "20"
        );
        assert!(Method::Dhondt.quota(100, 3).is_none());
    }
}
