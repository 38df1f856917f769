//! The election definition: geography, parties, contests, reporting authorities, publication policy.
//!
//! It is written by the election authority (native TOML or JSON, one schema), validated here, and
//! signed as entry 0 of the election's log. Everything that later decides whether a statement is
//! acceptable (who may report which unit, which selections exist where) is read from it, so the
//! validation is strict and every error names the field.

use std::collections::{BTreeMap, HashMap};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use skytale_note::VerifierKey;

use crate::error::{DefinitionError, DefinitionErrors};

mod validate;
pub use validate::check_ocd_id;

/// Text in several languages: language tag → text. Must contain the definition's default language.
pub type LocalizedText = BTreeMap<String, String>;

/// Largest number of reporting units a definition may have (a big country has ~100k polling stations).
pub const MAX_UNITS: usize = 2_000_000;
/// Largest number of contests.
pub const MAX_CONTESTS: usize = 10_000;
/// Largest number of selections in one contest.
pub const MAX_SELECTIONS: usize = 10_000;
/// Longest identifier, in bytes.
pub const MAX_ID_LEN: usize = 128;

/// The election definition as the authority writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// Election identifier used in URLs and bound into every statement: `[a-z0-9][a-z0-9._-]*`.
    pub id: String,
    /// Name of the election, per language.
    pub name: LocalizedText,
    /// Election day, `YYYY-MM-DD`.
    pub date: String,
    /// The language used when a name lacks the requested one.
    pub default_language: String,
    /// Every language the public site is offered in (includes the default).
    pub languages: Vec<String>,
    /// The log's origin line (C2SP tlog-checkpoint). Defaults to `skytale.invalid/<id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Root key of the election authority (C2SP verifier key). Signs entry 0, key changes, amendments.
    #[schemars(with = "String")]
    pub authority_key: VerifierKey,
    /// The reporting-unit tree. Exactly one unit has no parent: the root.
    pub units: Vec<Unit>,
    /// Parties referenced by selections.
    #[serde(default)]
    pub parties: Vec<Party>,
    pub contests: Vec<Contest>,
    /// Reporting authorities (counties, regions…): who may sign results for which units.
    pub reporters: Vec<Reporter>,
    /// Who approves publication.
    #[serde(default)]
    pub publication: PublicationPolicy,
    /// Witnesses (C2SP tlog-witness) that cosign the log's checkpoints, and how many must, so
    /// the log cannot show different histories to different readers. Verifiers hold the log to
    /// this policy because the authority signed it here, not because the operator says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<WitnessPolicySpec>,
    /// A test election (a rehearsal, a test day weeks before the night): its figures are not
    /// real, and every page, feed and post made from it says so. Part of the signed definition,
    /// so no one can pass a test off as real results or the other way round. A test is reset
    /// by creating a new election (another id), never by rewriting a log.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
    /// The earlier election this one is compared with (pages and feeds show the change per
    /// choice and area), with its published figures: carried here, signed, so the comparison
    /// is recomputed from this log alone, and the earlier log's size and root say where in
    /// the archive the figures come from (`skytale election baseline` writes this section).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousElection>,
    /// The headings the public site groups contests under (office levels: federal, statewide,
    /// legislative, county…), in the order it shows them; a contest names its heading in
    /// `group`. A ballot of hundreds of contests is unreadable as one list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<ContestGroup>,
    /// The locale whose conventions the public site writes dates, numbers and percentages in,
    /// a BCP 47 tag with a region (`en-US`, `en-GB`, `pt-BR`): English in the United States
    /// writes 11/5/2024, in Britain 5 November 2024. Pages in another language than the
    /// locale's use that language's own conventions. Default: each language's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Unit boundaries for the public site's maps: a TopoJSON `Topology` (compact: arcs shared
    /// between neighbours, quantized) or a GeoJSON `FeatureCollection`, WGS 84 longitude and
    /// latitude, each geometry's `id` (or `properties.id`) a unit id. Signed with the rest, so
    /// a verifier redraws the same maps. Units without a shape are simply not drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "map_schema")]
    pub map: Option<serde_json::Value>,
}

/// The JSON Schema of `map`: an object, checked in full when the definition is validated.
fn map_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "A TopoJSON Topology or GeoJSON FeatureCollection of unit boundaries (ids are unit ids).",
        "type": "object",
        "required": ["type"],
        "properties": { "type": { "enum": ["Topology", "FeatureCollection"] } }
    })
}

/// One heading contests are grouped under on the public site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContestGroup {
    pub id: String,
    pub name: LocalizedText,
}

/// An earlier election's published figures, matched to this election's ids.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviousElection {
    /// Its id in the archive.
    pub election: String,
    /// Its name, per language (pages say "change since <name>").
    pub name: LocalizedText,
    /// The size of its log the figures were published at, and the root there (base64), so
    /// anyone can check them against that log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_hash: Option<String>,
    pub contests: Vec<PreviousContest>,
}

/// One contest's earlier figures, keyed by this election's contest, selection and unit ids
/// (a selection matched by its own id or by its party, a unit by id or by a mapping).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviousContest {
    /// This election's contest.
    pub contest: String,
    /// Votes then over the whole area, by selection.
    pub votes: BTreeMap<String, u64>,
    /// Valid votes then, the base of the earlier shares, when choices that do not stand now
    /// had votes too (default: the sum of `votes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_votes: Option<u64>,
    /// Seats won then, by selection (party-list contests).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub seats: BTreeMap<String, u32>,
    /// Per unit of this election: its votes then.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub units: BTreeMap<String, PreviousFigures>,
}

/// One unit's earlier votes by selection, and its valid votes when others stood too.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviousFigures {
    pub votes: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_votes: Option<u64>,
}

/// The witnesses named by the authority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WitnessPolicySpec {
    /// How many distinct witnesses must cosign a checkpoint before verifiers accept it.
    pub quorum: u32,
    pub members: Vec<WitnessSpec>,
}

/// One witness: where the log asks for cosignatures, and the keys it cosigns with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WitnessSpec {
    /// The witness's submission prefix (`add-checkpoint` is appended), `http://` or `https://`.
    pub url: String,
    /// Its cosignature verifier keys (C2SP vkeys: Ed25519 cosignature/v1 and/or ML-DSA-44),
    /// all under the witness's one name.
    pub keys: Vec<String>,
}

/// One node of the geography: nation, region, county, polling station…
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub id: String,
    pub name: LocalizedText,
    /// Parent unit id; absent for the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Level name, e.g. `nation`, `region`, `polling_station`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Registered voters, when known (used for turnout and plausibility).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered: Option<u64>,
    /// The unit's Open Civic Data division identifier
    /// (`ocd-division/country:us/state:ga/county:fulton`), when the authority states one: feeds
    /// that key geography by OCD-ID (Google's profile of the NIST CDF export) use it as given
    /// rather than deriving one from the unit's name. Lower case, as OCD-IDs are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocd_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    pub id: String,
    pub name: LocalizedText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abbreviation: Option<String>,
    /// Display colour `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContestKind {
    Candidate,
    BallotMeasure,
    PartyList,
    // Ranked-choice voting (IRV, STV-style multi-seat, bottoms-up, sequential): ballots come as
    // `cvr` statements and the result is RCTab-style rounds (`tabulation` holds the rules).
    RankedChoice,
}

impl ContestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContestKind::Candidate => "candidate",
            ContestKind::BallotMeasure => "ballot_measure",
            ContestKind::PartyList => "party_list",
            ContestKind::RankedChoice => "ranked_choice",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contest {
    pub id: String,
    pub name: LocalizedText,
    pub kind: ContestKind,
    /// The units whose area the contest covers; the contest is held in them and every descendant.
    pub area: Vec<String>,
    /// How many selections a voter may mark (1 for most contests).
    #[serde(default = "one")]
    pub votes_allowed: u32,
    pub selections: Vec<Selection>,
    /// Seat allocation of a party-list contest (method names as `skytale seats`): one
    /// allocation, or `{ system = … }` over constituency units with levelling seats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats: Option<SeatRules>,
    /// The counting rules of a `ranked_choice` contest: skytale-rcv's own rule type, the
    /// options of an RCTab config that decide the count (`winner_mode`, `number_of_winners`,
    /// `overvote_rule`, `max_skipped_ranks`, `max_rankings`, `exhaust_on_duplicate`,
    /// `batch_elimination`, `tiebreak_mode`, `random_seed`, …; modes spelt as RCTab spells them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "tabulation_schema")]
    pub tabulation: Option<skytale_rcv::config::Rules>,
    /// The id of the heading (`groups`) the public site lists the contest under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

fn one() -> u32 {
    1
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    pub id: String,
    pub name: LocalizedText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// In a `ranked_choice` contest: this selection stands for undeclared write-ins (RCTab's
    /// "Undeclared Write-ins", eliminated before any declared candidate). At most one.
    #[serde(default, skip_serializing_if = "is_false")]
    pub write_in: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The JSON Schema of a ranked-choice contest's `tabulation`, written by hand: the rule type
/// lives in skytale-rcv, which has no schemars.
fn tabulation_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let count = |d: &str| serde_json::json!({ "description": d, "type": "integer", "minimum": 0 });
    let flag = |d: &str| serde_json::json!({ "description": d, "type": "boolean" });
    schemars::json_schema!({
        "description": "Ranked-choice counting rules (RCTab's tabulation options; modes spelt as RCTab spells them).",
        "type": "object",
        "additionalProperties": false,
        "required": ["tiebreak_mode", "overvote_rule", "winner_mode", "number_of_winners"],
        "properties": {
            "tiebreak_mode": { "enum": ["random", "stopCountingAndAsk", "previousRoundCountsThenRandom", "previousRoundCountsThenAsk", "useCandidateOrder", "generatePermutation"] },
            "random_seed": { "description": "Seed of random tie-breaks (java.util.Random), required by the random modes.", "type": "integer" },
            "overvote_rule": { "enum": ["alwaysSkipToNextRank", "exhaustImmediately", "exhaustIfMultipleContinuing"] },
            "winner_mode": { "enum": ["singleWinnerMajority", "multiWinnerAllowOnlyOneWinnerPerRound", "multiWinnerAllowMultipleWinnersPerRound", "bottomsUp", "bottomsUpUsingPercentageThreshold", "multiPassIrv"] },
            "number_of_winners": count("Seats (0 only with bottomsUpUsingPercentageThreshold)."),
            "bottoms_up_percentage": { "description": "Percentage threshold of bottomsUpUsingPercentageThreshold, e.g. \"15\".", "type": "string" },
            "decimal_places": count("Decimal places of vote arithmetic (default 4, at most 20)."),
            "max_skipped_ranks": count("Consecutive skipped ranks allowed (absent: unlimited)."),
            "max_rankings": count("Highest rank a ballot may use (absent: any)."),
            "non_integer_threshold": flag("The threshold keeps decimal places."),
            "first_round_determines_threshold": flag("The threshold is fixed after round 1."),
            "hare_quota": flag("Hare quota instead of Droop."),
            "batch_elimination": flag("Eliminate every candidate that cannot catch up at once."),
            "cutoff_elimination": flag("Eliminate everyone under the bottoms-up threshold at once."),
            "continue_until_two": flag("Keep counting until two candidates remain."),
            "stop_after_round": count("Stop after this round."),
            "exhaust_on_duplicate": flag("A candidate ranked twice exhausts the ballot."),
            "minimum_vote_threshold": count("Parsed and ignored, as by RCTab 2.x.")
        }
    })
}

/// Seat rules of a party-list contest, in one of two forms (skytale-seats' own rule formats,
/// the ones `skytale seats` documents):
///
/// - one allocation over the contest's whole area: `{ method = "dhondt", seats = 21,
///   threshold = { percent = "5" } }` ([`SeatRules::Single`]);
/// - a multi-constituency system whose constituencies are units of the geography, each with
///   its district seats and the levelling seats placed there, and optional national levelling
///   ([`SeatRules::System`]), written under the single key `system`:
///   `{ system = { method = "modified-sainte-lague", constituencies = [ { id = "ostfold",
///   seats = 8, levelling_seats = 1 }, … ], levelling = { threshold = { percent = "4",
///   scope = "national" } } } }`. Each constituency's votes are its unit's rolled-up votes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeatRules {
    /// One allocation of a fixed number of seats over the contest's votes.
    Single(skytale_seats::Rules),
    /// Several constituencies (unit ids), optionally with national levelling seats.
    System(skytale_seats::SystemRules),
}

impl From<skytale_seats::Rules> for SeatRules {
    fn from(r: skytale_seats::Rules) -> SeatRules {
        SeatRules::Single(r)
    }
}

impl From<skytale_seats::SystemRules> for SeatRules {
    fn from(r: skytale_seats::SystemRules) -> SeatRules {
        SeatRules::System(r)
    }
}

impl SeatRules {
    /// The single-allocation rules, if that is the form.
    pub fn single(&self) -> Option<&skytale_seats::Rules> {
        match self {
            SeatRules::Single(r) => Some(r),
            SeatRules::System(_) => None,
        }
    }

    /// The multi-constituency rules, if that is the form.
    pub fn system(&self) -> Option<&skytale_seats::SystemRules> {
        match self {
            SeatRules::System(s) => Some(s),
            SeatRules::Single(_) => None,
        }
    }

    /// All seats the rules fill (district and levelling seats of a system), saturating.
    pub fn total_seats(&self) -> u32 {
        match self {
            SeatRules::Single(r) => r.seats,
            SeatRules::System(s) => s.constituencies.iter().fold(0u32, |a, c| {
                a.saturating_add(c.seats).saturating_add(c.levelling_seats)
            }),
        }
    }
}

impl Serialize for SeatRules {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            SeatRules::Single(r) => r.serialize(s),
            SeatRules::System(sys) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("system", sys)?;
                m.end()
            }
        }
    }
}

/// The two forms are told apart by the key `system`. The value is read as a JSON value first
/// and then as the form's type, so an error inside it still says where (`system.levelling.
/// threshold.percent: …`) although serde cannot track the path through the detour.
impl<'de> Deserialize<'de> for SeatRules {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SeatRules, D::Error> {
        use serde::de::Error as _;
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Object(mut m) if m.contains_key("system") => {
                if m.len() > 1 {
                    let others: Vec<&str> = m
                        .keys()
                        .filter(|k| *k != "system")
                        .map(String::as_str)
                        .collect();
                    return Err(D::Error::custom(format!(
                        "`system` stands alone: put {} inside it",
                        others.join(", ")
                    )));
                }
                let sys = m.remove("system").unwrap_or_default();
                serde_path_to_error::deserialize(sys)
                    .map(SeatRules::System)
                    .map_err(|e| located("system", e))
            }
            v => serde_path_to_error::deserialize(v)
                .map(SeatRules::Single)
                .map_err(|e| located("", e)),
        }
    }
}

/// Written by hand: the rule types live in skytale-seats, a leaf crate without schemars, and
/// the two forms are told apart by the key `system`.
impl JsonSchema for SeatRules {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SeatRules".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let methods: Vec<&str> = skytale_seats::METHODS.iter().map(|m| m.1).collect();
        let fraction = serde_json::json!({
            "description": "An exact number: a decimal string (\"1.4\", at most six places), a fraction (\"7/5\") or an integer.",
            "type": ["string", "integer"]
        });
        let method = serde_json::json!({ "enum": methods });
        let threshold = serde_json::json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["percent"],
            "properties": {
                "percent": fraction,
                "scope": {
                    "description": "Share of the constituency's valid votes, or of the national ones.",
                    "enum": ["constituency", "national"]
                },
                "or_constituency_seats": {
                    "description": "A party that won at least this many constituency seats passes even below the share.",
                    "type": "integer", "minimum": 0
                }
            }
        });
        let tie_break = serde_json::json!({
            "description": "Criteria that break equal quotients or remainders, in order (default: most-votes, list-order).",
            "type": "array",
            "items": { "enum": ["most-votes", "list-order", "lot"] }
        });
        let lot_seed = serde_json::json!({
            "description": "The published seed of the lot (required when tie_break names `lot`).",
            "type": "string"
        });
        schemars::json_schema!({
            "oneOf": [
                {
                    "description": "One allocation over the contest's whole area.",
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["method", "seats"],
                    "properties": {
                        "method": method,
                        "seats": { "type": "integer", "minimum": 1, "maximum": skytale_seats::MAX_SEATS },
                        "first_divisor": fraction,
                        "threshold": threshold,
                        "tie_break": tie_break,
                        "lot_seed": lot_seed
                    }
                },
                {
                    "description": "Several constituencies (units of the geography that together cover the contest's area), optionally with national levelling seats placed in them.",
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["system"],
                    "properties": {
                        "system": {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["method", "constituencies"],
                            "properties": {
                                "method": method,
                                "first_divisor": fraction,
                                "threshold": threshold,
                                "constituencies": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "object",
                                        "additionalProperties": false,
                                        "required": ["id", "seats"],
                                        "properties": {
                                            "id": { "description": "The constituency's unit id.", "type": "string" },
                                            "seats": { "description": "District seats, from the constituency's own votes.", "type": "integer", "minimum": 0 },
                                            "levelling_seats": { "description": "Levelling seats placed here.", "type": "integer", "minimum": 0 }
                                        }
                                    }
                                },
                                "levelling": {
                                    "type": "object",
                                    "additionalProperties": false,
                                    "required": ["threshold"],
                                    "properties": {
                                        "threshold": threshold,
                                        "method": method,
                                        "first_divisor": fraction,
                                        "placement": { "enum": ["relative-quotient"] }
                                    }
                                },
                                "tie_break": tie_break,
                                "lot_seed": lot_seed
                            }
                        }
                    }
                }
            ]
        })
    }
}

/// An error inside seat rules, with the path below the rules (`system.levelling: …`).
fn located<E: serde::de::Error>(
    prefix: &str,
    e: serde_path_to_error::Error<serde_json::Error>,
) -> E {
    let path = e.path().to_string();
    let at = match (prefix.is_empty(), path.as_str()) {
        (true, ".") => String::new(),
        (true, p) => format!("{p}: "),
        (false, ".") => format!("{prefix}: "),
        (false, p) => format!("{prefix}.{p}: "),
    };
    E::custom(format!("{at}{}", e.into_inner()))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reporter {
    /// Human name, e.g. "Attica regional office".
    pub name: String,
    /// The C2SP verifier key that signs this reporter's statements.
    #[schemars(with = "String")]
    pub key: VerifierKey,
    /// Units this reporter may report: each listed unit and all its descendants.
    pub scope: Vec<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PublicationMode {
    /// Every checkpoint is published as soon as it is signed.
    #[default]
    Automatic,
    /// Only tree sizes approved by `quorum` approvers are published.
    Approval,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicationPolicy {
    #[serde(default)]
    pub mode: PublicationMode,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub approvers: Vec<VerifierKey>,
    /// Distinct approvers needed (m of n); defaults to 1.
    #[serde(default = "one")]
    pub quorum: u32,
}

/// Which encoding a definition file is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefinitionFormat {
    Toml,
    Json,
}

impl Definition {
    /// Parses a definition (without validating it). Errors name the field path.
    pub fn parse(text: &str, format: DefinitionFormat) -> Result<Definition, DefinitionError> {
        match format {
            DefinitionFormat::Json => {
                let de = &mut serde_json::Deserializer::from_str(text);
                serde_path_to_error::deserialize(de).map_err(|e| DefinitionError::Syntax {
                    field: e.path().to_string(),
                    why: e.inner().to_string(),
                })
            }
            DefinitionFormat::Toml => {
                let de = toml::Deserializer::new(text);
                serde_path_to_error::deserialize(de).map_err(|e| DefinitionError::Syntax {
                    field: e.path().to_string(),
                    why: e.inner().message().to_string(),
                })
            }
        }
    }

    /// The log origin (explicit or derived from the id).
    pub fn origin(&self) -> String {
        self.origin
            .clone()
            .unwrap_or_else(|| format!("skytale.invalid/{}", self.id))
    }

    /// Checks every rule that makes a definition usable and returns an index for fast look-ups.
    /// All problems are collected, not only the first.
    pub fn validate(self) -> Result<ValidDefinition, DefinitionErrors> {
        ValidDefinition::new(self)
    }

    /// The JSON Schema of the native definition format (published as `election.schema.json`).
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Definition)).unwrap_or(serde_json::Value::Null)
    }
}

/// Checks an identifier: non-empty, at most [`MAX_ID_LEN`], of `[A-Za-z0-9._:-]`.
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("is empty".into());
    }
    if id.len() > MAX_ID_LEN {
        return Err(format!("is longer than {MAX_ID_LEN} bytes"));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':')))
    {
        return Err(format!(
            "contains {c:?}; only letters, digits, '.', '_', '-' and ':' are allowed"
        ));
    }
    Ok(())
}

/// Id → position. foldhash rather than SipHash: the tally and the site look ids up hundreds of
/// thousands of times per render (SipHash was 9 % of the site thread), and the keys come from the
/// signed definition; lookups of foreign ids do not insert.
type IdIndex = HashMap<String, usize, foldhash::fast::RandomState>;

/// A definition that passed validation, with indexes the acceptance rules and the tally need.
#[derive(Clone, Debug)]
pub struct ValidDefinition {
    def: Definition,
    unit_index: IdIndex,
    contest_index: IdIndex,
    /// Parent index per unit (None for the root).
    parents: Vec<Option<usize>>,
    children: Vec<Vec<usize>>,
    /// Units in an order where every parent comes before its children.
    topo_order: Vec<usize>,
    depth: Vec<u32>,
    /// Per contest: selection id → position.
    selection_index: Vec<IdIndex>,
    /// Per contest: the area roots as unit indexes.
    contest_areas: Vec<Vec<usize>>,
    /// The same, sorted: [`ValidDefinition::contest_held_in`] searches them for each of a
    /// unit's few ancestors instead of walking up from the unit once per root (a district made
    /// of precincts has hundreds), for every contest of every statement and imported cell.
    contest_areas_sorted: Vec<Vec<usize>>,
    /// Per contest: the constituency units of a multi-constituency seat system, in the rules'
    /// order (empty for other contests).
    contest_constituencies: Vec<Vec<usize>>,
}

impl ValidDefinition {
    pub fn definition(&self) -> &Definition {
        &self.def
    }
    pub fn id(&self) -> &str {
        &self.def.id
    }
    pub fn units(&self) -> &[Unit] {
        &self.def.units
    }
    pub fn contests(&self) -> &[Contest] {
        &self.def.contests
    }
    pub fn unit_index(&self, id: &str) -> Option<usize> {
        self.unit_index.get(id).copied()
    }
    pub fn contest_index(&self, id: &str) -> Option<usize> {
        self.contest_index.get(id).copied()
    }
    pub fn selection_index(&self, contest: usize, id: &str) -> Option<usize> {
        self.selection_index.get(contest)?.get(id).copied()
    }
    pub fn parent(&self, unit: usize) -> Option<usize> {
        self.parents.get(unit).copied().flatten()
    }
    pub fn children(&self, unit: usize) -> &[usize] {
        self.children.get(unit).map(Vec::as_slice).unwrap_or(&[])
    }
    /// Units ordered parents-first (breadth-first from the root).
    pub fn topo_order(&self) -> &[usize] {
        &self.topo_order
    }
    pub fn depth(&self, unit: usize) -> u32 {
        self.depth.get(unit).copied().unwrap_or(0)
    }
    pub fn root(&self) -> usize {
        self.topo_order.first().copied().unwrap_or(0)
    }
    /// The area roots of a contest.
    pub fn contest_area(&self, contest: usize) -> &[usize] {
        self.contest_areas
            .get(contest)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
    /// The constituency units of a contest's multi-constituency seat system, in the order of
    /// its rules (empty when the contest has none).
    pub fn contest_constituencies(&self, contest: usize) -> &[usize] {
        self.contest_constituencies
            .get(contest)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
    /// Whether `unit` is `ancestor` or lies below it.
    pub fn is_within(&self, unit: usize, ancestor: usize) -> bool {
        let mut u = Some(unit);
        while let Some(x) = u {
            if x == ancestor {
                return true;
            }
            u = self.parent(x);
        }
        false
    }
    /// Whether the contest is held in `unit` (the unit is inside one of the contest's area roots).
    pub fn contest_held_in(&self, contest: usize, unit: usize) -> bool {
        let Some(area) = self.contest_areas_sorted.get(contest) else {
            return false;
        };
        let mut u = Some(unit);
        while let Some(x) = u {
            if area.binary_search(&x).is_ok() {
                return true;
            }
            u = self.parent(x);
        }
        false
    }
    /// Name in `lang`, else the default language, else any.
    pub fn text<'a>(&self, text: &'a LocalizedText, lang: &str) -> &'a str {
        text.get(lang)
            .or_else(|| text.get(&self.def.default_language))
            .or_else(|| text.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }
}
