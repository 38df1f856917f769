//! Seats of party-list contests, computed live from the tally with skytale-seats.

use std::collections::BTreeMap;

use serde::Serialize;
use skytale_model::SeatRules;
use skytale_seats::{allocate_with, Allocation, Context};

/// The seat allocation of a party-list contest as it appears in the results document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeatResult {
    /// The full allocation: per party seats, exclusions, last seat, first missed, ties.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocation: Option<Allocation>,
    /// Why no allocation could be made yet (e.g. no votes counted), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
}

impl SeatResult {
    pub fn seats_by_selection(&self) -> BTreeMap<String, u32> {
        self.allocation
            .iter()
            .flat_map(|a| a.parties.iter().map(|p| (p.party.clone(), p.seats)))
            .collect()
    }
}

/// Allocates on the selections' votes; the threshold base is the contest's valid votes.
pub(crate) fn allocate(rules: &SeatRules, votes: &[(String, u64)], valid: u64) -> SeatResult {
    if valid == 0 {
        return SeatResult {
            allocation: None,
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
            pending: None,
        },
        Err(e) => SeatResult {
            allocation: None,
            pending: Some(e.to_string()),
        },
    }
}
