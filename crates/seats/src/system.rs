//! Multi-constituency systems: per-constituency allocation, then national levelling
//! (adjustment) seats and their placement in constituencies, as Norway's Storting uses.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::allocate::{allocate_with, passes, share_percent, Allocation, Exclusion};
use crate::error::SeatsError;
use crate::fraction::Fraction;
use crate::method::Method;
use crate::rules::{default_tie_break, Context, Rules, Scope, Threshold, TieRule, MAX_SEATS};
use crate::tie::{Contender, TieBreaker, TieRecord};

/// A party-list contest over several constituencies, as written in an election definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemRules {
    /// The method of the constituency (district) seats.
    pub method: Method,
    /// Replaces the first divisor of the district method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_divisor: Option<Fraction>,
    /// Threshold for district seats: per constituency, or national (`scope = "national"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Threshold>,
    /// The constituencies and their seats.
    pub constituencies: Vec<ConstituencySeats>,
    /// National levelling seats, if the system has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levelling: Option<Levelling>,
    /// How ties are broken, criteria in order.
    #[serde(default = "default_tie_break")]
    pub tie_break: Vec<TieRule>,
    /// The published seed for [`TieRule::Lot`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_seed: Option<String>,
}

/// One constituency's seats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstituencySeats {
    /// Its id, as in the votes.
    pub id: String,
    /// District seats, allocated from the constituency's own votes.
    pub seats: u32,
    /// Levelling seats placed here (Norway: one per county).
    #[serde(default)]
    pub levelling_seats: u32,
}

/// How levelling seats are shared out nationally and placed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Levelling {
    /// Who qualifies: share of the national valid votes (Norway 4 %), or district seats won.
    pub threshold: Threshold,
    /// The national method; default: the district method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Method>,
    /// The national first divisor; default: the district one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_divisor: Option<Fraction>,
    /// How the levelling seats are placed in constituencies.
    #[serde(default)]
    pub placement: Placement,
}

/// How levelling seats are placed in constituencies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// Norway (Election Act § 11-6): in each constituency a qualifying party's votes are
    /// divided by its next divisor with the first divisor 1 (so 1, 3, 5, … for Sainte-Laguë:
    /// a party without a seat there counts its whole vote), then by the constituency's votes
    /// per district seat; the highest such relative quotient overall takes a levelling seat, then the next,
    /// skipping constituencies whose levelling seats are filled and parties that have all theirs.
    #[default]
    RelativeQuotient,
}

impl SystemRules {
    /// The Norwegian Storting system: modified Sainte-Laguë (1.4) in each county with all but
    /// one of its seats, one levelling seat per county to parties with 4 % nationally.
    /// `counties` gives each county's id and its total seats (district + levelling).
    pub fn norway<S: AsRef<str>>(counties: &[(S, u32)]) -> SystemRules {
        SystemRules {
            method: Method::ModifiedSainteLague,
            first_divisor: None,
            threshold: None,
            constituencies: counties
                .iter()
                .map(|(id, s)| ConstituencySeats {
                    id: id.as_ref().to_string(),
                    seats: s.saturating_sub(1),
                    levelling_seats: u32::from(*s > 0),
                })
                .collect(),
            levelling: Some(Levelling {
                threshold: Threshold {
                    percent: Fraction::from_int(4),
                    scope: Scope::National,
                    or_constituency_seats: None,
                },
                method: None,
                first_divisor: None,
                placement: Placement::RelativeQuotient,
            }),
            tie_break: vec![TieRule::MostVotes, TieRule::ListOrder],
            lot_seed: None,
        }
    }

    /// The rules of one constituency's district seats.
    pub fn district_rules(&self, seats: u32) -> Rules {
        Rules {
            method: self.method,
            seats,
            first_divisor: self.first_divisor,
            threshold: self
                .threshold
                .clone()
                .filter(|t| t.scope == Scope::Constituency),
            tie_break: self.tie_break.clone(),
            lot_seed: self.lot_seed.clone(),
        }
    }
}

/// The result of a multi-constituency allocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SystemAllocation {
    /// Each constituency in the order of the rules.
    pub constituencies: Vec<ConstituencyResult>,
    /// Each party nationally, in order of first appearance in the votes.
    pub parties: Vec<NationalParty>,
    /// The national levelling step (absent without levelling, or while a constituency has no
    /// votes yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub levelling: Option<LevellingResult>,
    /// Constituencies without votes yet: their seats are not allocated.
    pub pending: Vec<String>,
}

/// One constituency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConstituencyResult {
    /// Its id.
    pub id: String,
    /// Its district allocation (`None` while it has no votes).
    pub district: Option<Allocation>,
    /// Levelling seats placed here, per party.
    pub levelling: BTreeMap<String, u32>,
}

impl ConstituencyResult {
    /// A party's seats here, district and levelling.
    pub fn seats_of(&self, party: &str) -> u32 {
        let d = self
            .district
            .as_ref()
            .and_then(|a| a.parties.iter().find(|p| p.party == party))
            .map_or(0, |p| p.seats);
        d + self.levelling.get(party).copied().unwrap_or(0)
    }
}

/// One party nationally.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NationalParty {
    /// The party id.
    pub party: String,
    /// Its votes over all constituencies.
    pub votes: u64,
    /// District seats won.
    pub district_seats: u32,
    /// Levelling seats won.
    pub levelling_seats: u32,
    /// Whether it took part in the levelling, and if not why.
    pub levelling_status: LevellingStatus,
}

/// A party's part in the levelling step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum LevellingStatus {
    /// The system has no levelling (or it is pending).
    NotApplicable,
    /// Over the threshold and in the final national allocation.
    Qualified {
        /// Its seats in the national allocation (district + levelling).
        national_seats: u32,
    },
    /// Below the national threshold.
    BelowThreshold {
        /// Its national share in percent.
        share_percent: Fraction,
        /// The threshold in percent.
        threshold_percent: Fraction,
    },
    /// Won more district seats than its national share; removed and the step repeated.
    OverRepresented {
        /// The national share it had when removed.
        national_seats: u32,
        /// In which round (1 = first) it was removed.
        round: u32,
    },
}

/// The national levelling step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LevellingResult {
    /// Seats shared in the final national round (total seats less the district seats of
    /// parties that do not take part).
    pub seats_shared: u32,
    /// National allocation rounds (more than one when parties were over-represented).
    pub rounds: u32,
    /// The final national allocation among the qualified parties.
    pub national: Allocation,
    /// The placement of each levelling seat, in the order they were placed.
    pub placements: Vec<LevellingPlacement>,
    /// Ties broken while placing.
    pub ties: Vec<TieRecord>,
}

/// One levelling seat placed in a constituency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LevellingPlacement {
    /// 1 for the first seat placed.
    pub order: u32,
    /// The party.
    pub party: String,
    /// The constituency.
    pub constituency: String,
    /// The relative quotient that placed it.
    pub quotient: Fraction,
}

/// Allocates a multi-constituency system from `(constituency, party, votes)` rows.
/// `national_valid_votes` is the base of national thresholds when the rows are partial.
pub fn allocate_system<C: AsRef<str>, P: AsRef<str>>(
    rules: &SystemRules,
    votes: &[(C, P, u64)],
    national_valid_votes: Option<u64>,
) -> Result<SystemAllocation, SeatsError> {
    let index: HashMap<&str, usize> = rules
        .constituencies
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    if index.len() != rules.constituencies.len() {
        return Err(SeatsError::InvalidRules {
            field: "constituencies",
            why: "a constituency id appears twice".into(),
        });
    }
    let total_seats = rules
        .constituencies
        .iter()
        .try_fold(0u32, |a, c| {
            a.checked_add(c.seats)?.checked_add(c.levelling_seats)
        })
        .filter(|s| *s <= MAX_SEATS)
        .ok_or(SeatsError::TooLarge {
            what: "total seats",
            given: u64::MAX,
            limit: u64::from(MAX_SEATS),
        })?;
    if total_seats == 0 {
        return Err(SeatsError::ZeroSeats);
    }

    // Rows per constituency, and national totals in order of first appearance.
    let mut rows: Vec<Vec<(&str, u64)>> = vec![Vec::new(); rules.constituencies.len()];
    let mut order: Vec<&str> = Vec::new();
    let mut national: HashMap<&str, u64> = HashMap::new();
    for (c, p, v) in votes {
        let ci = *index
            .get(c.as_ref())
            .ok_or_else(|| SeatsError::UnknownConstituency(c.as_ref().to_string()))?;
        let p = p.as_ref();
        rows[ci].push((p, *v));
        let e = national.entry(p).or_insert_with(|| {
            order.push(p);
            0
        });
        *e = e.checked_add(*v).ok_or(SeatsError::Overflow {
            during: "adding national votes",
        })?;
    }
    let listed: u64 = order
        .iter()
        .try_fold(0u64, |a, p| a.checked_add(national[p]))
        .ok_or(SeatsError::Overflow {
            during: "adding national votes",
        })?;
    let base = national_valid_votes.unwrap_or(listed);
    if base < listed {
        return Err(SeatsError::BaseTooSmall { base, listed });
    }

    // A national threshold on district seats excludes a party everywhere.
    let mut ctx = Context::default();
    if let Some(t) = rules
        .threshold
        .as_ref()
        .filter(|t| t.scope == Scope::National)
    {
        for p in &order {
            if !passes(t.percent, national[p], base) {
                ctx.excluded.insert(
                    p.to_string(),
                    Exclusion::Excluded {
                        why: format!(
                            "below the national {}% threshold ({}%)",
                            t.percent.to_decimal_trimmed(),
                            share_percent(national[p], base).to_decimal(2)
                        ),
                    },
                );
            }
        }
    }

    let mut constituencies = Vec::with_capacity(rules.constituencies.len());
    let mut pending = Vec::new();
    let mut district: HashMap<&str, u32> = HashMap::new();
    for (ci, c) in rules.constituencies.iter().enumerate() {
        let alloc = if c.seats == 0 {
            None
        } else if rows[ci].iter().all(|(_, v)| *v == 0) {
            pending.push(c.id.clone());
            None
        } else {
            let a = allocate_with(&rules.district_rules(c.seats), &rows[ci], &ctx).map_err(
                |e| match e {
                    SeatsError::DuplicateParty { party, .. } => SeatsError::DuplicateParty {
                        party,
                        constituency: Some(c.id.clone()),
                    },
                    SeatsError::NoEligibleParty { .. } => SeatsError::NoEligibleParty {
                        constituency: Some(c.id.clone()),
                    },
                    other => other,
                },
            )?;
            for pr in &a.parties {
                *district.entry(order_key(&order, &pr.party)).or_insert(0) += pr.seats;
            }
            Some(a)
        };
        constituencies.push(ConstituencyResult {
            id: c.id.clone(),
            district: alloc,
            levelling: BTreeMap::new(),
        });
    }

    let mut parties: Vec<NationalParty> = order
        .iter()
        .map(|p| NationalParty {
            party: p.to_string(),
            votes: national[p],
            district_seats: district.get(p).copied().unwrap_or(0),
            levelling_seats: 0,
            levelling_status: LevellingStatus::NotApplicable,
        })
        .collect();

    let levelling = match &rules.levelling {
        Some(lev) if pending.is_empty() => Some(level(
            rules,
            lev,
            total_seats,
            base,
            &mut parties,
            &mut constituencies,
        )?),
        _ => None,
    };
    Ok(SystemAllocation {
        constituencies,
        parties,
        levelling,
        pending,
    })
}

/// The `&str` in `order` equal to `p` (so map keys borrow from the votes, not the results).
fn order_key<'a>(order: &[&'a str], p: &str) -> &'a str {
    order.iter().copied().find(|o| *o == p).unwrap_or_default()
}

/// A constituency seen by the placement: votes of all lists, district seats, and each
/// party's (votes, seats so far) there.
type Cell = (u64, u32, HashMap<String, (u64, u32)>);

/// The national levelling step and the placement of its seats.
fn level(
    rules: &SystemRules,
    lev: &Levelling,
    total_seats: u32,
    base: u64,
    parties: &mut [NationalParty],
    constituencies: &mut [ConstituencyResult],
) -> Result<LevellingResult, SeatsError> {
    // Who qualifies.
    let mut in_play: Vec<bool> = parties
        .iter_mut()
        .map(|p| {
            let ok = passes(lev.threshold.percent, p.votes, base)
                || lev
                    .threshold
                    .or_constituency_seats
                    .is_some_and(|n| p.district_seats >= n);
            if !ok {
                p.levelling_status = LevellingStatus::BelowThreshold {
                    share_percent: share_percent(p.votes, base),
                    threshold_percent: lev.threshold.percent,
                };
            }
            ok
        })
        .collect();
    let method = lev.method.unwrap_or(rules.method);
    let first = lev.first_divisor.or(if lev.method.is_none() {
        rules.first_divisor
    } else {
        None
    });
    let mut round = 0u32;
    let (national, seats_shared) = loop {
        round += 1;
        let outside: u32 = parties
            .iter()
            .zip(&in_play)
            .filter(|(_, ok)| !**ok)
            .map(|(p, _)| p.district_seats)
            .sum();
        let seats_shared = total_seats.saturating_sub(outside);
        let rows: Vec<(&str, u64)> = parties
            .iter()
            .zip(&in_play)
            .filter(|(_, ok)| **ok)
            .map(|(p, _)| (p.party.as_str(), p.votes))
            .collect();
        let mut r = Rules::new(method, seats_shared);
        r.first_divisor = first;
        r.tie_break = rules.tie_break.clone();
        r.lot_seed = rules.lot_seed.clone();
        let national = allocate_with(&r, &rows, &Context::default())?;
        let mut removed = false;
        for pr in &national.parties {
            if let Some(k) = parties.iter().position(|p| p.party == pr.party) {
                if parties[k].district_seats > pr.seats {
                    in_play[k] = false;
                    removed = true;
                    parties[k].levelling_status = LevellingStatus::OverRepresented {
                        national_seats: pr.seats,
                        round,
                    };
                }
            }
        }
        if !removed {
            break (national, seats_shared);
        }
    };
    let mut owed: Vec<u32> = vec![0; parties.len()];
    for pr in &national.parties {
        if let Some(k) = parties.iter().position(|p| p.party == pr.party) {
            owed[k] = pr.seats.saturating_sub(parties[k].district_seats);
            parties[k].levelling_seats = owed[k];
            parties[k].levelling_status = LevellingStatus::Qualified {
                national_seats: pr.seats,
            };
        }
    }

    // Placement by relative quotients.
    // § 11-6: a party without a seat in the county counts its whole vote (first divisor 1,
    // not the 1.4 of the district allocation).
    let dfirst = Some(Fraction::from_int(1));
    let mut room: Vec<u32> = rules
        .constituencies
        .iter()
        .map(|c| c.levelling_seats)
        .collect();
    // Per constituency: votes of all lists, and each party's votes and seats there.
    let mut cells: Vec<Cell> = constituencies
        .iter()
        .zip(&rules.constituencies)
        .map(|(cr, c)| {
            let mut m = HashMap::new();
            let mut all = 0u64;
            if let Some(a) = &cr.district {
                for p in &a.parties {
                    all = all.saturating_add(p.votes);
                    m.insert(p.party.clone(), (p.votes, p.seats));
                }
            }
            (all, c.seats, m)
        })
        .collect();
    let tie = TieBreaker {
        rules: &rules.tie_break,
        seed: rules.lot_seed.as_deref(),
    };
    let mut placements = Vec::new();
    let mut ties = Vec::new();
    let to_place: u32 = owed.iter().sum();
    for order in 1..=to_place {
        // All (relative quotient, constituency, party) still open, highest first.
        let mut best: Vec<(Fraction, usize, usize)> = Vec::new();
        for (ci, (all, dseats, m)) in cells.iter().enumerate() {
            if room[ci] == 0 || *all == 0 {
                continue;
            }
            for (k, p) in parties.iter().enumerate() {
                if owed[k] == 0 {
                    continue;
                }
                let Some(&(v, s)) = m.get(&p.party) else {
                    continue;
                };
                if v == 0 {
                    continue;
                }
                let d = rules.method.divisor(s, dfirst);
                // (v / d) / (all / dseats) = v·dseats·d.den / (d.num·all)
                let q = Fraction::new(
                    u128::from(v) * u128::from((*dseats).max(1)) * d.denom(),
                    d.numer() * u128::from(*all),
                )
                .unwrap_or(Fraction::ZERO);
                match best.first() {
                    Some((b, _, _)) if q < *b => {}
                    Some((b, _, _)) if q == *b => best.push((q, ci, k)),
                    _ => best = vec![(q, ci, k)],
                }
            }
        }
        let Some(&(q, mut ci, mut k)) = best.first() else {
            return Err(SeatsError::InvalidRules {
                field: "levelling",
                why: format!(
                    "{} levelling seat(s) cannot be placed: no constituency with room has a list of a party owed one",
                    to_place + 1 - order
                ),
            });
        };
        if best.len() > 1 {
            let contenders = best
                .iter()
                .enumerate()
                .map(|(n, &(_, c, p))| Contender {
                    label: format!("{} in {}", parties[p].party, rules.constituencies[c].id),
                    lot_key: format!("{}\n{}", parties[p].party, rules.constituencies[c].id),
                    votes: cells[c].2.get(&parties[p].party).map_or(0, |x| x.0),
                    order: c * parties.len() + p,
                    index: n,
                })
                .collect();
            let (ordered, record) =
                tie.resolve(format!("levelling seat {order}"), q, contenders, 1)?;
            ties.push(record);
            (_, ci, k) = best[ordered[0].index];
        }
        room[ci] -= 1;
        owed[k] -= 1;
        if let Some(cell) = cells[ci].2.get_mut(&parties[k].party) {
            cell.1 += 1;
        }
        *constituencies[ci]
            .levelling
            .entry(parties[k].party.clone())
            .or_insert(0) += 1;
        placements.push(LevellingPlacement {
            order,
            party: parties[k].party.clone(),
            constituency: rules.constituencies[ci].id.clone(),
            quotient: q,
        });
    }
    Ok(LevellingResult {
        seats_shared,
        rounds: round,
        national,
        placements,
        ties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two(levelling: u32) -> SystemRules {
        let mut r = SystemRules::norway(&[("N", 4), ("S", 4)]);
        for c in &mut r.constituencies {
            c.levelling_seats = levelling;
            c.seats = 4 - levelling;
        }
        r
    }

    #[test]
    fn constituency_without_votes_is_pending_and_levelling_waits() {
        let s = allocate_system(
            &two(1),
            &[("N", "A", 100), ("N", "B", 50), ("S", "A", 0)],
            None,
        )
        .unwrap();
        assert_eq!(s.pending, ["S"]);
        assert!(s.levelling.is_none());
        assert_eq!(s.constituencies[0].seats_of("A"), 2);
    }

    #[test]
    fn levelling_compensates_a_party_short_of_its_national_share() {
        // District: N 3 seats A 2 B 1 (1000/1.4=714, 600/1.4=428, 1000/3=333 > 200),
        // S 3 seats A 2 B 1 (same). B has 1200 of 3200 votes → national share of 8 is 3.
        let rows = [
            ("N", "A", 1000),
            ("N", "B", 600),
            ("S", "A", 1000),
            ("S", "B", 600),
        ];
        let s = allocate_system(&two(1), &rows, None).unwrap();
        let b = s.parties.iter().find(|p| p.party == "B").unwrap();
        let a = s.parties.iter().find(|p| p.party == "A").unwrap();
        assert_eq!(
            a.district_seats + a.levelling_seats + b.district_seats + b.levelling_seats,
            8
        );
        assert_eq!(s.levelling.as_ref().unwrap().placements.len(), 2);
        // Equal relative quotients in N and S for the same party: a tie, reported.
        assert!(!s.levelling.as_ref().unwrap().ties.is_empty());
    }

    #[test]
    fn national_threshold_excludes_everywhere_with_reason() {
        let mut r = two(0);
        r.levelling = None;
        r.threshold = Some(Threshold {
            percent: Fraction::from_int(10),
            scope: Scope::National,
            or_constituency_seats: None,
        });
        let rows = [
            ("N", "A", 1000),
            ("N", "C", 90),
            ("S", "A", 10),
            ("S", "C", 1),
        ];
        let s = allocate_system(&r, &rows, None).unwrap();
        let n = s.constituencies[0].district.as_ref().unwrap();
        assert!(matches!(
            n.parties[1].exclusion,
            Some(Exclusion::Excluded { .. })
        ));
        assert_eq!(n.parties[0].seats, 4);
    }

    #[test]
    fn unknown_constituency_is_an_error() {
        let e = allocate_system(&two(1), &[("X", "A", 1)], None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "constituency \"X\" is not defined in the rules"
        );
    }

    #[test]
    fn system_rules_deserialise() {
        let r: SystemRules = toml::from_str(
            r#"
method = "modified-sainte-lague"
constituencies = [ { id = "Oslo", seats = 19, levelling_seats = 1 } ]
levelling = { threshold = { percent = "4", scope = "national" } }
"#,
        )
        .unwrap();
        assert_eq!(r.constituencies[0].seats, 19);
        assert_eq!(r.levelling.unwrap().placement, Placement::RelativeQuotient);
    }
}
