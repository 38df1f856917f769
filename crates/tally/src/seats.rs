//! Seats of party-list contests, computed live from the tally with skytale-seats.
//! (Adapter: translates the definition's plain seat rules into skytale-seats' types.)

use std::collections::BTreeMap;

use serde::Serialize;
use skytale_model::SeatRules;

/// The seat allocation of a party-list contest as it appears in the results document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeatResult {
    pub method: String,
    pub seats: u32,
    pub parties: Vec<PartySeats>,
    /// Why no allocation could be made (bad rules), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartySeats {
    pub selection: String,
    pub votes: u64,
    pub seats: u32,
}

impl SeatResult {
    pub fn seats_by_selection(&self) -> BTreeMap<String, u32> {
        self.parties.iter().map(|p| (p.selection.clone(), p.seats)).collect()
    }
}

pub(crate) fn allocate(rules: &SeatRules, votes: &[(String, u64)], _valid: u64) -> SeatResult {
    SeatResult {
        method: rules.method.clone(),
        seats: rules.seats,
        parties: votes
            .iter()
            .map(|(id, v)| PartySeats { selection: id.clone(), votes: *v, seats: 0 })
            .collect(),
        error: Some("seat allocation not wired yet".into()),
    }
}
