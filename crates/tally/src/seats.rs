//! Seats of party-list contests, computed live from the tally with skytale-seats.

use std::collections::BTreeMap;

use serde::Serialize;
use skytale_seats::{
    allocate_system, allocate_with, Allocation, Context, Rules, SystemAllocation, SystemRules,
};

/// The seat allocation of a party-list contest as it appears in the results document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeatResult {
    /// The full allocation: per party seats, exclusions, last seat, first missed, ties.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocation: Option<Allocation>,
    /// A multi-constituency system: each constituency's district allocation (keyed by its
    /// unit id), each party nationally (district and levelling seats), the levelling step and
    /// the placement of its seats, and the constituencies still without votes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<SystemAllocation>,
    /// Why no allocation, or only part of it, could be made yet (no votes counted, a
    /// constituency without votes holding back the levelling seats), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
}

impl SeatResult {
    /// Seats per selection: of the allocation, or of a system nationally (district and
    /// levelling seats allocated so far: constituencies without votes add none yet).
    pub fn seats_by_selection(&self) -> BTreeMap<String, u32> {
        let single = self
            .allocation
            .iter()
            .flat_map(|a| a.parties.iter().map(|p| (p.party.clone(), p.seats)));
        let system = self.system.iter().flat_map(|s| {
            s.parties
                .iter()
                .map(|p| (p.party.clone(), p.district_seats + p.levelling_seats))
        });
        single.chain(system).collect()
    }
}

/// Allocates on the selections' votes; the threshold base is the contest's valid votes.
pub(crate) fn allocate(rules: &Rules, votes: &[(String, u64)], valid: u64) -> SeatResult {
    if valid == 0 {
        return SeatResult {
            allocation: None,
            system: None,
            pending: Some("no votes counted yet".into()),
        };
    }
    let ctx = Context {
        valid_votes: Some(valid),
        ..Context::default()
    };
    match allocate_with(rules, votes, &ctx) {
        Ok(a) => SeatResult {
            allocation: Some(a),
            system: None,
            pending: None,
        },
        Err(e) => SeatResult {
            allocation: None,
            system: None,
            pending: Some(e.to_string()),
        },
    }
}

/// Allocates a multi-constituency system on `(constituency unit id, selection id, votes)`
/// rows, every selection in every constituency (zero where a list has no votes), so the
/// national order of parties is the definition's. The national threshold base is the sum of
/// the rows: the constituencies' valid votes.
pub(crate) fn allocate_in_system(rules: &SystemRules, rows: &[(&str, &str, u64)]) -> SeatResult {
    match allocate_system(rules, rows, None) {
        Ok(s) => {
            let pending = match s.pending.len() {
                0 => None,
                n if n == rules.constituencies.len() => Some("no votes counted yet".to_string()),
                n => Some(format!(
                    "{n} of {} constituencies have no votes yet{}",
                    rules.constituencies.len(),
                    if rules.levelling.is_some() {
                        "; levelling seats wait for all of them"
                    } else {
                        ""
                    }
                )),
            };
            SeatResult {
                allocation: None,
                system: Some(s),
                pending,
            }
        }
        Err(e) => SeatResult {
            allocation: None,
            system: None,
            pending: Some(e.to_string()),
        },
    }
}
