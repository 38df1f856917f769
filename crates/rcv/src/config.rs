//! RCTab contest configuration files (`*_config.json`), as documented in RCTab's
//! `config_file_documentation.txt`.
//!
//! Parsing is tolerant the way RCTab's Jackson mapping is: unknown fields are ignored, numbers may
//! be written as strings or numbers, and blank strings mean "not set". Validation then turns the
//! raw strings into typed [`Rules`], rejecting what RCTab's `ContestConfig.validate` rejects for
//! the options this crate implements.

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::RcvError;

/// Largest config file accepted (RCTab configs are a few kilobytes).
pub const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;
/// RCTab's upper bound for `decimalPlacesForVoteArithmetic`.
pub const MAX_DECIMAL_PLACES: u32 = 20;
/// Most candidates a contest may declare (ballots store candidate ids as `u16`).
pub const MAX_CANDIDATES: usize = 10_000;
/// RCTab's upper bound for `minimumVoteThreshold`.
pub const MAX_MINIMUM_VOTE_THRESHOLD: u32 = 1_000_000;
/// The label RCTab uses for undeclared write-ins in reports.
pub const UWI_LABEL: &str = "Undeclared Write-ins";

/// Deserialises a JSON string, number, boolean or null into an optional string; blank is `None`.
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) if s.trim().is_empty() => None,
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    })
}

/// Deserialises a JSON boolean, or the strings "true"/"false", or null (false).
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Bool(b) => b,
        serde_json::Value::String(s) => s.trim().eq_ignore_ascii_case("true"),
        _ => false,
    })
}

/// The config file as written (RCTab's `RawContestConfig`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RawConfig {
    /// Version of RCTab that wrote the file (informational here).
    #[serde(deserialize_with = "lenient_string")]
    pub tabulator_version: Option<String>,
    /// Contest name and report settings.
    pub output_settings: RawOutputSettings,
    /// The CVR files to read.
    pub cvr_file_sources: Vec<RawCvrSource>,
    /// Declared candidates.
    pub candidates: Vec<RawCandidate>,
    /// Tabulation rules.
    pub rules: RawRules,
}

/// `outputSettings`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[allow(missing_docs)]
pub struct RawOutputSettings {
    #[serde(deserialize_with = "lenient_string")]
    pub contest_name: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub output_directory: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub contest_date: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub contest_jurisdiction: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub contest_office: Option<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub tabulate_by_batch: bool,
    #[serde(deserialize_with = "lenient_bool")]
    pub tabulate_by_precinct: bool,
    #[serde(deserialize_with = "lenient_bool")]
    pub generate_cdf_json: bool,
}

/// One entry of `cvrFileSources`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[allow(missing_docs)]
pub struct RawCvrSource {
    #[serde(deserialize_with = "lenient_string")]
    pub file_path: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub contest_id: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub first_vote_column_index: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub first_vote_row_index: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub id_column_index: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub batch_column_index: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub precinct_column_index: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub overvote_delimiter: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub provider: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub overvote_label: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub skipped_rank_label: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub undeclared_write_in_label: Option<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub treat_blank_as_undeclared_write_in: bool,
}

/// One entry of `candidates`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[allow(missing_docs)]
pub struct RawCandidate {
    #[serde(deserialize_with = "lenient_string")]
    pub name: Option<String>,
    /// Deprecated single alias of older configs.
    #[serde(deserialize_with = "lenient_string")]
    pub code: Option<String>,
    pub aliases: Vec<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub excluded: bool,
}

/// `rules`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[allow(missing_docs)]
pub struct RawRules {
    #[serde(deserialize_with = "lenient_string")]
    pub tiebreak_mode: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub overvote_rule: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub winner_election_mode: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub random_seed: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub number_of_winners: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub multi_seat_bottoms_up_percentage_threshold: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub decimal_places_for_vote_arithmetic: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub minimum_vote_threshold: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub max_skipped_ranks_allowed: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub max_rankings_allowed: Option<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub non_integer_winning_threshold: bool,
    #[serde(deserialize_with = "lenient_bool")]
    pub does_first_round_determine_threshold: bool,
    #[serde(deserialize_with = "lenient_bool")]
    pub hare_quota: bool,
    #[serde(deserialize_with = "lenient_bool")]
    pub batch_elimination: bool,
    #[serde(deserialize_with = "lenient_bool")]
    pub cutoff_elimination: bool,
    #[serde(deserialize_with = "lenient_bool")]
    pub continue_until_two_candidates_remain: bool,
    #[serde(deserialize_with = "lenient_string")]
    pub stop_tabulation_early_after_round: Option<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub exhaust_on_duplicate_candidate: bool,
    #[serde(deserialize_with = "lenient_string")]
    pub rules_description: Option<String>,
}

/// How ties are broken (`tiebreakMode`). Serialised with RCTab's names (`"random"`, …), so an
/// election definition uses the vocabulary of RCTab's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TiebreakMode {
    /// `random`: java.util.Random seeded with `randomSeed`.
    #[serde(rename = "random")]
    Random,
    /// `stopCountingAndAsk`: interactive; this crate aborts when a tie needs it.
    #[serde(rename = "stopCountingAndAsk")]
    Interactive,
    /// `previousRoundCountsThenRandom`.
    #[serde(rename = "previousRoundCountsThenRandom")]
    PreviousRoundCountsThenRandom,
    /// `previousRoundCountsThenAsk`.
    #[serde(rename = "previousRoundCountsThenAsk")]
    PreviousRoundCountsThenAsk,
    /// `useCandidateOrder`: the config's candidate order.
    #[serde(rename = "useCandidateOrder")]
    UseCandidateOrder,
    /// `generatePermutation`: a seeded shuffle of the sorted candidate names.
    #[serde(rename = "generatePermutation")]
    GeneratePermutation,
}

/// What an overvote does (`overvoteRule`), serialised with RCTab's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OvervoteRule {
    /// `alwaysSkipToNextRank`.
    #[serde(rename = "alwaysSkipToNextRank")]
    AlwaysSkipToNextRank,
    /// `exhaustImmediately`.
    #[serde(rename = "exhaustImmediately")]
    ExhaustImmediately,
    /// `exhaustIfMultipleContinuing`.
    #[serde(rename = "exhaustIfMultipleContinuing")]
    ExhaustIfMultipleContinuing,
}

/// How winners are chosen (`winnerElectionMode`), serialised with RCTab's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WinnerMode {
    /// `singleWinnerMajority`.
    #[serde(rename = "singleWinnerMajority")]
    SingleWinnerMajority,
    /// `multiWinnerAllowOnlyOneWinnerPerRound`.
    #[serde(rename = "multiWinnerAllowOnlyOneWinnerPerRound")]
    MultiWinnerOnlyOnePerRound,
    /// `multiWinnerAllowMultipleWinnersPerRound`.
    #[serde(rename = "multiWinnerAllowMultipleWinnersPerRound")]
    MultiWinnerMultiplePerRound,
    /// `bottomsUp`: eliminate until N remain.
    #[serde(rename = "bottomsUp")]
    BottomsUp,
    /// `bottomsUpUsingPercentageThreshold`.
    #[serde(rename = "bottomsUpUsingPercentageThreshold")]
    BottomsUpPercentage,
    /// `multiPassIrv`: sequential IRV passes, previous winners excluded.
    #[serde(rename = "multiPassIrv")]
    MultiPassIrv,
}

/// Typed, validated rules: the part of an RCTab config that decides the count.
///
/// Also the `tabulation` of a `ranked_choice` contest in a Skytale election definition, so
/// (de)serialisable: snake_case field names, RCTab's names for the modes, the bottoms-up
/// percentage as RCTab writes it (`bottoms_up_percentage = "15"`). Absent optional fields mean
/// what RCTab's blank fields mean. [`Rules::check`] holds the cross-field rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Tie-break mode.
    pub tiebreak_mode: TiebreakMode,
    /// Seed for random tie-breaks (java.util.Random's `long`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random_seed: Option<i64>,
    /// Overvote rule.
    pub overvote_rule: OvervoteRule,
    /// Winner election mode.
    pub winner_mode: WinnerMode,
    /// Seats (for `multiPassIrv`, the number of passes).
    pub number_of_winners: u32,
    /// Bottoms-up percentage as a fraction (15 → 0.15), scale as RCTab computes it.
    #[serde(
        default,
        rename = "bottoms_up_percentage",
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_percentage",
        deserialize_with = "de_percentage"
    )]
    pub bottoms_up_fraction: Option<Decimal>,
    /// Decimal places kept in vote arithmetic (round-down).
    #[serde(default = "default_decimal_places")]
    pub decimal_places: u32,
    /// Consecutive skipped ranks allowed; `None` = unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_skipped_ranks: Option<u32>,
    /// Highest rank a ballot may use; `None` = "max" (any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rankings: Option<u32>,
    /// Threshold keeps `decimal_places` decimals instead of being whole.
    #[serde(default, skip_serializing_if = "is_false")]
    pub non_integer_threshold: bool,
    /// The threshold is fixed after round 1.
    #[serde(default, skip_serializing_if = "is_false")]
    pub first_round_determines_threshold: bool,
    /// Hare quota (votes / seats) instead of Droop.
    #[serde(default, skip_serializing_if = "is_false")]
    pub hare_quota: bool,
    /// Batch elimination.
    #[serde(default, skip_serializing_if = "is_false")]
    pub batch_elimination: bool,
    /// Eliminate everyone under the threshold at once (bottoms-up percentage).
    #[serde(default, skip_serializing_if = "is_false")]
    pub cutoff_elimination: bool,
    /// Keep counting until two candidates remain.
    #[serde(default, skip_serializing_if = "is_false")]
    pub continue_until_two: bool,
    /// Stop after this round.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_after_round: Option<u32>,
    /// A candidate ranked twice exhausts the ballot.
    #[serde(default, skip_serializing_if = "is_false")]
    pub exhaust_on_duplicate: bool,
    /// `minimumVoteThreshold`, parsed and range-checked only: RCTab 2.x no longer applies it
    /// (its tabulator dropped the rule when cutoff elimination arrived), so for parity neither
    /// does this crate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_vote_threshold: Option<u32>,
}

fn default_decimal_places() -> u32 {
    4
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The fraction back as RCTab's percentage string, keeping the scale (0.150 → "15.0"), so a
/// definition reads back to the same rules.
fn ser_percentage<S: Serializer>(f: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match f {
        None => s.serialize_none(),
        Some(f) => {
            let mut p = *f * Decimal::from(100);
            p.rescale(f.scale().saturating_sub(2));
            s.serialize_str(&p.to_string())
        }
    }
}

fn de_percentage<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    use serde::de::Error as _;
    match lenient_string(d)? {
        None => Ok(None),
        Some(s) => percentage_fraction(&s)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("{s:?} is not a percentage"))),
    }
}

/// A rule that [`Rules::check`] refuses: the snake_case field (as in a Skytale definition)
/// and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The field, as [`Rules`] names it.
    pub field: &'static str,
    /// Why.
    pub why: String,
}

impl Rules {
    /// The rules between fields that RCTab's `ContestConfig.validate` enforces (the single
    /// values are typed already): seed for random tie-breaks, winners against the winner
    /// mode, the bottoms-up percentage, decimal places, max rankings, quota options.
    pub fn check(&self) -> Result<(), RuleError> {
        let bad = |field, why: String| Err(RuleError { field, why });
        let needs_seed = matches!(
            self.tiebreak_mode,
            TiebreakMode::Random
                | TiebreakMode::PreviousRoundCountsThenRandom
                | TiebreakMode::GeneratePermutation
        );
        if needs_seed && self.random_seed.is_none() {
            return bad(
                "random_seed",
                format!("required for tiebreakMode {:?}", self.tiebreak_mode),
            );
        }
        if self.number_of_winners == 0 && self.winner_mode != WinnerMode::BottomsUpPercentage {
            return bad(
                "number_of_winners",
                "zero winners requires winnerElectionMode bottomsUpUsingPercentageThreshold".into(),
            );
        }
        if self.number_of_winners > 0 && self.winner_mode == WinnerMode::BottomsUpPercentage {
            return bad(
                "number_of_winners",
                "must be zero with bottomsUpUsingPercentageThreshold".into(),
            );
        }
        if self.winner_mode == WinnerMode::BottomsUpPercentage && self.bottoms_up_fraction.is_none()
        {
            return bad(
                "bottoms_up_percentage",
                "required with bottomsUpUsingPercentageThreshold".into(),
            );
        }
        if self.decimal_places > MAX_DECIMAL_PLACES {
            return bad(
                "decimal_places",
                format!("{} exceeds {MAX_DECIMAL_PLACES}", self.decimal_places),
            );
        }
        if self.max_rankings == Some(0) {
            return bad("max_rankings", "must be at least 1 or \"max\"".into());
        }
        if self
            .minimum_vote_threshold
            .is_some_and(|m| m > MAX_MINIMUM_VOTE_THRESHOLD)
        {
            return bad(
                "minimum_vote_threshold",
                format!("must be at most {MAX_MINIMUM_VOTE_THRESHOLD}"),
            );
        }
        if self.hare_quota && self.non_integer_threshold {
            return bad(
                "hare_quota",
                "hareQuota and nonIntegerWinningThreshold can't both be true".into(),
            );
        }
        Ok(())
    }

    /// RCTab's `usesSurpluses`: multi-seat modes that transfer fractional surpluses.
    pub fn uses_surpluses(&self) -> bool {
        self.number_of_winners > 1 && self.winner_mode != WinnerMode::BottomsUp
    }
}

/// CVR formats RCTab reads (`provider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// NIST SP 1500-103 CDF, JSON or XML by file extension.
    Cdf,
    /// Clear Ballot CSV.
    ClearBallot,
    /// Dominion JSON export folder.
    Dominion,
    /// ES&S xlsx.
    Ess,
    /// Hart XML folder.
    Hart,
    /// Generic CSV.
    GenericCsv,
}

/// One validated CVR source, its path resolved against the config file's folder.
#[derive(Debug, Clone)]
pub struct CvrSource {
    /// The format.
    pub provider: Provider,
    /// File or folder.
    pub path: PathBuf,
    /// Contest to read (CDF: contest name; Dominion/Hart/Clear Ballot: id).
    pub contest_id: Option<String>,
    /// 1-based first vote column (ES&S, CSV).
    pub first_vote_column: Option<u32>,
    /// 1-based first vote row (ES&S, CSV).
    pub first_vote_row: Option<u32>,
    /// 1-based id column.
    pub id_column: Option<u32>,
    /// 1-based batch column.
    pub batch_column: Option<u32>,
    /// 1-based precinct column.
    pub precinct_column: Option<u32>,
    /// Separator of several candidates in one cell (ES&S).
    pub overvote_delimiter: Option<String>,
    /// Cell text meaning "overvote".
    pub overvote_label: Option<String>,
    /// Cell text meaning "no candidate at this rank".
    pub skipped_rank_label: Option<String>,
    /// Cell text meaning an undeclared write-in.
    pub uwi_label: Option<String>,
    /// Blank cells count as undeclared write-ins (ES&S).
    pub treat_blank_as_uwi: bool,
}

/// A declared candidate.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Display name, used in reports.
    pub name: String,
    /// Other spellings found in CVRs.
    pub aliases: Vec<String>,
    /// Excluded from tabulation.
    pub excluded: bool,
}

/// A validated contest configuration.
#[derive(Debug, Clone)]
pub struct ContestConfig {
    /// Where the config was read from (relative CVR paths resolve against its folder).
    pub config_path: PathBuf,
    /// `contestName`.
    pub contest_name: String,
    /// `contestDate`.
    pub contest_date: String,
    /// `contestJurisdiction`.
    pub contest_jurisdiction: String,
    /// `contestOffice`.
    pub contest_office: String,
    /// Declared candidates, in config order.
    pub candidates: Vec<Candidate>,
    /// CVR sources.
    pub sources: Vec<CvrSource>,
    /// Rules.
    pub rules: Rules,
}

impl ContestConfig {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Self, RcvError> {
        let meta = std::fs::metadata(path).map_err(|e| RcvError::io(path, e))?;
        if meta.len() > MAX_CONFIG_BYTES {
            return Err(RcvError::Limit {
                path: path.to_path_buf(),
                why: format!("config is {} bytes, limit {MAX_CONFIG_BYTES}", meta.len()),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|e| RcvError::io(path, e))?;
        let raw: RawConfig = serde_json::from_str(&text).map_err(|e| RcvError::ConfigSyntax {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
        Self::from_raw(raw, path)
    }

    /// Validates a parsed config; `config_path` anchors relative CVR paths.
    pub fn from_raw(raw: RawConfig, config_path: &Path) -> Result<Self, RcvError> {
        let base = config_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let rules = validate_rules(&raw.rules)?;
        let mut candidates = Vec::with_capacity(raw.candidates.len());
        let mut seen = std::collections::HashSet::new();
        for c in &raw.candidates {
            let name = c
                .name
                .clone()
                .map(|s| s.trim().to_string())
                .ok_or_else(|| RcvError::ConfigInvalid {
                    field: "candidates[].name",
                    why: "a candidate has no name".into(),
                })?;
            if !seen.insert(name.clone()) {
                return Err(RcvError::ConfigInvalid {
                    field: "candidates[].name",
                    why: format!("duplicate candidate name {name:?}"),
                });
            }
            let mut aliases: Vec<String> = c.aliases.iter().map(|a| a.trim().to_string()).collect();
            if let Some(code) = &c.code {
                aliases.push(code.trim().to_string());
            }
            candidates.push(Candidate {
                name,
                aliases,
                excluded: c.excluded,
            });
        }
        if candidates.is_empty() {
            return Err(RcvError::ConfigInvalid {
                field: "candidates",
                why: "no candidates declared".into(),
            });
        }
        if candidates.len() > MAX_CANDIDATES {
            return Err(RcvError::ConfigInvalid {
                field: "candidates",
                why: format!("{} candidates, limit {MAX_CANDIDATES}", candidates.len()),
            });
        }
        if candidates.iter().all(|c| c.excluded) {
            return Err(RcvError::ConfigInvalid {
                field: "candidates[].excluded",
                why: "all candidates are excluded".into(),
            });
        }
        let mut sources = Vec::new();
        for s in &raw.cvr_file_sources {
            sources.push(validate_source(s, &base)?);
        }
        if sources.is_empty() {
            return Err(RcvError::ConfigInvalid {
                field: "cvrFileSources",
                why: "no CVR files specified".into(),
            });
        }
        let os = &raw.output_settings;
        Ok(ContestConfig {
            config_path: config_path.to_path_buf(),
            contest_name: os.contest_name.clone().unwrap_or_default(),
            contest_date: os.contest_date.clone().unwrap_or_default(),
            contest_jurisdiction: os.contest_jurisdiction.clone().unwrap_or_default(),
            contest_office: os.contest_office.clone().unwrap_or_default(),
            candidates,
            sources,
            rules,
        })
    }

    /// RCTab's `undeclaredWriteInsEnabled`: any source names a UWI label or treats blanks as UWI.
    pub fn uwi_enabled(&self) -> bool {
        self.sources
            .iter()
            .any(|s| s.uwi_label.is_some() || s.treat_blank_as_uwi)
    }
}

fn parse_u32(field: &'static str, v: &Option<String>) -> Result<Option<u32>, RcvError> {
    match v {
        None => Ok(None),
        Some(s) => s
            .trim()
            .parse::<u32>()
            .map(Some)
            .map_err(|_| RcvError::ConfigInvalid {
                field,
                why: format!("{s:?} is not a non-negative integer"),
            }),
    }
}

fn validate_source(s: &RawCvrSource, base: &Path) -> Result<CvrSource, RcvError> {
    let provider = match s.provider.as_deref().map(str::trim) {
        Some("cdf") => Provider::Cdf,
        Some("clearBallot") => Provider::ClearBallot,
        Some("dominion") => Provider::Dominion,
        Some("ess") => Provider::Ess,
        Some("hart") => Provider::Hart,
        Some("genericCsv") | Some("csv") => Provider::GenericCsv,
        other => {
            return Err(RcvError::ConfigInvalid {
                field: "cvrFileSources[].provider",
                why: format!("unknown provider {other:?}"),
            })
        }
    };
    let file = s
        .file_path
        .as_deref()
        .ok_or_else(|| RcvError::ConfigInvalid {
            field: "cvrFileSources[].filePath",
            why: "missing".into(),
        })?;
    let p = Path::new(file.trim());
    let path = if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    };
    let first_vote_column = parse_u32(
        "cvrFileSources[].firstVoteColumnIndex",
        &s.first_vote_column_index,
    )?;
    let first_vote_row = parse_u32(
        "cvrFileSources[].firstVoteRowIndex",
        &s.first_vote_row_index,
    )?;
    if matches!(provider, Provider::Ess | Provider::GenericCsv) {
        for (field, v) in [
            ("cvrFileSources[].firstVoteColumnIndex", first_vote_column),
            ("cvrFileSources[].firstVoteRowIndex", first_vote_row),
        ] {
            if v.unwrap_or(0) < 1 {
                return Err(RcvError::ConfigInvalid {
                    field,
                    why: "required (1-based) for ess and genericCsv".into(),
                });
            }
        }
    }
    let trim_opt = |o: &Option<String>| {
        o.as_ref()
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
    };
    Ok(CvrSource {
        provider,
        path,
        contest_id: trim_opt(&s.contest_id),
        first_vote_column,
        first_vote_row,
        id_column: parse_u32("cvrFileSources[].idColumnIndex", &s.id_column_index)?,
        batch_column: parse_u32("cvrFileSources[].batchColumnIndex", &s.batch_column_index)?,
        precinct_column: parse_u32(
            "cvrFileSources[].precinctColumnIndex",
            &s.precinct_column_index,
        )?,
        // The delimiter is not trimmed: it may be whitespace-sensitive.
        overvote_delimiter: s.overvote_delimiter.clone().filter(|d| !d.is_empty()),
        overvote_label: trim_opt(&s.overvote_label),
        skipped_rank_label: trim_opt(&s.skipped_rank_label),
        uwi_label: trim_opt(&s.undeclared_write_in_label),
        treat_blank_as_uwi: s.treat_blank_as_undeclared_write_in,
    })
}

/// RCTab's `getPercentageFromStringWithAccurateSigFigs`: "15" → 0.15 with scale (decimals + 2).
fn percentage_fraction(s: &str) -> Option<Decimal> {
    let d: Decimal = s.trim().parse().ok()?;
    let decimals = s
        .trim()
        .split_once('.')
        .map(|(_, f)| f.len() as u32)
        .unwrap_or(0);
    let mut f = d / Decimal::from(100);
    f = f.round_dp_with_strategy(
        decimals + 2,
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    );
    f.rescale(decimals + 2);
    Some(f)
}

fn validate_rules(r: &RawRules) -> Result<Rules, RcvError> {
    let tiebreak_mode = match r.tiebreak_mode.as_deref() {
        Some("random") => TiebreakMode::Random,
        Some("stopCountingAndAsk") => TiebreakMode::Interactive,
        Some("previousRoundCountsThenRandom") => TiebreakMode::PreviousRoundCountsThenRandom,
        Some("previousRoundCountsThenAsk") => TiebreakMode::PreviousRoundCountsThenAsk,
        Some("useCandidateOrder") => TiebreakMode::UseCandidateOrder,
        Some("generatePermutation") => TiebreakMode::GeneratePermutation,
        other => {
            return Err(RcvError::ConfigInvalid {
                field: "rules.tiebreakMode",
                why: format!("unknown mode {other:?}"),
            })
        }
    };
    let overvote_rule = match r.overvote_rule.as_deref() {
        Some("alwaysSkipToNextRank") => OvervoteRule::AlwaysSkipToNextRank,
        Some("exhaustImmediately") => OvervoteRule::ExhaustImmediately,
        Some("exhaustIfMultipleContinuing") => OvervoteRule::ExhaustIfMultipleContinuing,
        other => {
            return Err(RcvError::ConfigInvalid {
                field: "rules.overvoteRule",
                why: format!("unknown rule {other:?}"),
            })
        }
    };
    let winner_mode = match r.winner_election_mode.as_deref() {
        Some("singleWinnerMajority") | Some("standard") => WinnerMode::SingleWinnerMajority,
        Some("multiWinnerAllowOnlyOneWinnerPerRound") => WinnerMode::MultiWinnerOnlyOnePerRound,
        Some("multiWinnerAllowMultipleWinnersPerRound") => WinnerMode::MultiWinnerMultiplePerRound,
        Some("bottomsUp") => WinnerMode::BottomsUp,
        Some("bottomsUpUsingPercentageThreshold") => WinnerMode::BottomsUpPercentage,
        Some("multiPassIrv") => WinnerMode::MultiPassIrv,
        other => {
            return Err(RcvError::ConfigInvalid {
                field: "rules.winnerElectionMode",
                why: format!("unknown mode {other:?}"),
            })
        }
    };
    let random_seed = match &r.random_seed {
        None => None,
        Some(s) => Some(
            s.trim()
                .parse::<i64>()
                .map_err(|_| RcvError::ConfigInvalid {
                    field: "rules.randomSeed",
                    why: format!("{s:?} is not a 64-bit integer"),
                })?,
        ),
    };
    let number_of_winners = parse_u32("rules.numberOfWinners", &r.number_of_winners)?.ok_or(
        RcvError::ConfigInvalid {
            field: "rules.numberOfWinners",
            why: "missing".into(),
        },
    )?;
    let bottoms_up_fraction = match &r.multi_seat_bottoms_up_percentage_threshold {
        None => None,
        Some(s) => Some(
            percentage_fraction(s).ok_or_else(|| RcvError::ConfigInvalid {
                field: "rules.multiSeatBottomsUpPercentageThreshold",
                why: format!("{s:?} is not a number"),
            })?,
        ),
    };
    let decimal_places = parse_u32(
        "rules.decimalPlacesForVoteArithmetic",
        &r.decimal_places_for_vote_arithmetic,
    )?
    .unwrap_or(4);
    let max_skipped_ranks = match r.max_skipped_ranks_allowed.as_deref() {
        Some(s) if s.trim().eq_ignore_ascii_case("unlimited") => None,
        _ => Some(
            parse_u32("rules.maxSkippedRanksAllowed", &r.max_skipped_ranks_allowed)?.ok_or(
                RcvError::ConfigInvalid {
                    field: "rules.maxSkippedRanksAllowed",
                    why: "missing".into(),
                },
            )?,
        ),
    };
    let max_rankings = match r.max_rankings_allowed.as_deref() {
        Some(s) if s.trim() == "max" => None,
        _ => {
            let v = parse_u32("rules.maxRankingsAllowed", &r.max_rankings_allowed)?.ok_or(
                RcvError::ConfigInvalid {
                    field: "rules.maxRankingsAllowed",
                    why: "missing".into(),
                },
            )?;
            Some(v)
        }
    };
    let minimum_vote_threshold =
        parse_u32("rules.minimumVoteThreshold", &r.minimum_vote_threshold)?;
    let stop_after_round = parse_u32(
        "rules.stopTabulationEarlyAfterRound",
        &r.stop_tabulation_early_after_round,
    )?;
    let rules = Rules {
        tiebreak_mode,
        random_seed,
        overvote_rule,
        winner_mode,
        number_of_winners,
        bottoms_up_fraction,
        decimal_places,
        max_skipped_ranks,
        max_rankings,
        non_integer_threshold: r.non_integer_winning_threshold,
        first_round_determines_threshold: r.does_first_round_determine_threshold,
        hare_quota: r.hare_quota,
        batch_elimination: r.batch_elimination,
        cutoff_elimination: r.cutoff_elimination,
        continue_until_two: r.continue_until_two_candidates_remain,
        stop_after_round,
        exhaust_on_duplicate: r.exhaust_on_duplicate_candidate,
        minimum_vote_threshold,
    };
    rules.check().map_err(|e| RcvError::ConfigInvalid {
        field: rctab_field(e.field),
        why: e.why,
    })?;
    Ok(rules)
}

/// The RCTab config field of a [`Rules`] field, for errors about a config file.
fn rctab_field(field: &str) -> &'static str {
    match field {
        "random_seed" => "rules.randomSeed",
        "number_of_winners" => "rules.numberOfWinners",
        "bottoms_up_percentage" => "rules.multiSeatBottomsUpPercentageThreshold",
        "decimal_places" => "rules.decimalPlacesForVoteArithmetic",
        "max_rankings" => "rules.maxRankingsAllowed",
        "minimum_vote_threshold" => "rules.minimumVoteThreshold",
        "hare_quota" => "rules.hareQuota",
        _ => "rules",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentage_keeps_rctab_scale() {
        assert_eq!(
            percentage_fraction("15").map(|d| d.to_string()),
            Some("0.15".into())
        );
        assert_eq!(
            percentage_fraction("12.5").map(|d| d.to_string()),
            Some("0.125".into())
        );
    }
}
