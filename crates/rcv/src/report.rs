//! RCTab's detailed-report JSON layout (`*_detailed_report.json`, `jsonFormatVersion` "1",
//! the Universal RCV Tabulation format), built from a [`Tabulation`].
//!
//! Field names and nesting follow RCTab's `OutputWriter.generateJsonReport`; maps are sorted by
//! key as RCTab's Jackson writer sorts them, and vote values are decimal strings with RCTab's
//! scale (so "6", "2.1111", "4.05").

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ballots::CandidateTable;
use crate::config::ContestConfig;
use crate::tabulate::{BallotStatus, Endpoint, Tabulation};

/// Name this crate reports in `config.generatedBy`.
pub const GENERATED_BY: &str = concat!("Skytale ", env!("CARGO_PKG_VERSION"));

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailedReport {
    /// Contest metadata.
    pub config: ReportConfig,
    /// Always "1".
    #[serde(rename = "jsonFormatVersion")]
    pub json_format_version: String,
    /// One entry per round.
    pub results: Vec<ReportRound>,
    /// Totals.
    pub summary: ReportSummary,
}

/// `config` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportConfig {
    /// Contest name.
    pub contest: String,
    /// Contest date.
    #[serde(default)]
    pub date: String,
    /// Producing software.
    #[serde(rename = "generatedBy", default)]
    pub generated_by: String,
    /// Jurisdiction.
    #[serde(default)]
    pub jurisdiction: String,
    /// Office.
    #[serde(default)]
    pub office: String,
}

/// One round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRound {
    /// Inactive ballots by reason: `overvotes`, `skippedRankings`, `exhaustedChoices`,
    /// `repeatedRankings` (and `finalRoundSurplus` in the last round of surplus contests).
    #[serde(rename = "inactiveBallots")]
    pub inactive_ballots: BTreeMap<String, String>,
    /// 1-based round number.
    pub round: u32,
    /// Votes per candidate.
    pub tally: BTreeMap<String, String>,
    /// Elections and eliminations decided this round, with the transfers they caused.
    #[serde(rename = "tallyResults")]
    pub tally_results: Vec<TallyResult>,
    /// Threshold in force.
    pub threshold: String,
}

/// One decision and its transfers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TallyResult {
    /// Candidate elected.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub elected: Option<String>,
    /// Candidate eliminated.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub eliminated: Option<String>,
    /// Votes moved in the next round: candidate, "exhausted" or "residual surplus" → votes.
    #[serde(default)]
    pub transfers: BTreeMap<String, String>,
}

/// `summary` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSummary {
    /// Threshold of the last round.
    #[serde(rename = "finalThreshold")]
    pub final_threshold: String,
    /// Candidates in the config (plus the undeclared write-in pseudo-candidate).
    #[serde(rename = "numCandidates")]
    pub num_candidates: usize,
    /// Seats.
    #[serde(rename = "numWinners")]
    pub num_winners: u32,
    /// Ballots read.
    #[serde(rename = "totalNumBallots")]
    pub total_num_ballots: String,
    /// Ballots that ranked nobody.
    pub undervotes: u64,
}

fn endpoint_name(table: &CandidateTable, e: Endpoint) -> String {
    match e {
        Endpoint::Candidate(c) => table.names[c as usize].clone(),
        Endpoint::Uncounted => "uncounted".into(),
        Endpoint::Exhausted => "exhausted".into(),
        Endpoint::ResidualSurplus => "residual surplus".into(),
    }
}

/// Builds the report of one tabulation (one pass of a sequential contest).
pub fn build_report(
    config: &ContestConfig,
    table: &CandidateTable,
    num_winners: u32,
    uses_surpluses: bool,
    t: &Tabulation,
) -> DetailedReport {
    let results = build_rounds(table, &table.names, uses_surpluses, t);
    let (total, undervotes) = ballot_totals(t);
    DetailedReport {
        config: ReportConfig {
            contest: config.contest_name.clone(),
            date: config.contest_date.clone(),
            generated_by: GENERATED_BY.into(),
            jurisdiction: config.contest_jurisdiction.clone(),
            office: config.contest_office.clone(),
        },
        json_format_version: "1".into(),
        summary: ReportSummary {
            final_threshold: t
                .rounds
                .last()
                .map(|r| r.threshold.to_string())
                .unwrap_or_default(),
            num_candidates: table.names.len(),
            num_winners,
            total_num_ballots: total.to_string(),
            undervotes,
        },
        results,
    }
}

/// Ballots counted in round 1 (every status) and those that ranked nobody.
pub fn ballot_totals(t: &Tabulation) -> (Decimal, u64) {
    match t.rounds.first() {
        Some(r1) => (
            r1.statuses
                .iter()
                .fold(Decimal::ZERO, |s, v| crate::decimal::add(s, *v)),
            r1.status(BallotStatus::DidNotRankAnyCandidates)
                .trunc()
                .try_into()
                .unwrap_or(0u64),
        ),
        None => (Decimal::ZERO, 0),
    }
}

/// The rounds of a report. Decisions are ordered by the candidates' `table` names (as RCTab
/// orders them); candidates are written as `labels` (index = candidate id), which are the
/// table's names in an RCTab report and selection ids in a Skytale results document.
pub fn build_rounds(
    table: &CandidateTable,
    labels: &[String],
    uses_surpluses: bool,
    t: &Tabulation,
) -> Vec<ReportRound> {
    let label = |c: u16| labels.get(c as usize).cloned().unwrap_or_default();
    let endpoint = |e: Endpoint| match e {
        Endpoint::Candidate(c) => label(c),
        other => endpoint_name(table, other),
    };
    let mut results = Vec::with_capacity(t.rounds.len());
    for (i, rr) in t.rounds.iter().enumerate() {
        let next = t.rounds.get(i + 1);
        let mut tally_results = Vec::new();
        for elected in [true, false] {
            // RCTab lists each kind of decision sorted by candidate name.
            let mut ds: Vec<_> = rr
                .decisions
                .iter()
                .filter(|d| d.elected == elected)
                .collect();
            ds.sort_by(|a, b| {
                crate::java::string_cmp(
                    &table.names[a.candidate as usize],
                    &table.names[b.candidate as usize],
                )
            });
            for d in ds {
                let mut transfers = BTreeMap::new();
                if let Some(next) = next {
                    for ((from, to), v) in &next.transfers {
                        if *from == Endpoint::Candidate(d.candidate) {
                            transfers.insert(endpoint(*to), v.to_string());
                        }
                    }
                }
                let name = label(d.candidate);
                tally_results.push(TallyResult {
                    elected: elected.then(|| name.clone()),
                    eliminated: (!elected).then_some(name),
                    transfers,
                });
            }
        }
        let mut inactive = BTreeMap::new();
        for (key, s) in [
            ("overvotes", BallotStatus::Overvotes),
            ("skippedRankings", BallotStatus::SkippedRankings),
            ("exhaustedChoices", BallotStatus::ExhaustedChoices),
            ("repeatedRankings", BallotStatus::RepeatedRankings),
        ] {
            inactive.insert(key.to_string(), rr.status(s).to_string());
        }
        if uses_surpluses && i + 1 == t.rounds.len() {
            inactive.insert(
                "finalRoundSurplus".into(),
                rr.status(BallotStatus::FinalRoundSurplus).to_string(),
            );
        }
        results.push(ReportRound {
            inactive_ballots: inactive,
            round: rr.round,
            tally: rr
                .tally
                .iter()
                .map(|(c, v)| (label(*c), v.to_string()))
                .collect(),
            tally_results,
            threshold: rr.threshold.to_string(),
        });
    }
    results
}

/// A readable round-by-round table (the CLI's default output).
pub fn round_table(report: &DetailedReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "{}", report.config.contest);
    let mut names: Vec<&String> = Vec::new();
    for r in &report.results {
        for k in r.tally.keys() {
            if !names.contains(&k) {
                names.push(k);
            }
        }
    }
    // Like RCTab's summary: by first-round votes, most first.
    let first = |n: &String| -> Decimal {
        report
            .results
            .first()
            .and_then(|r| r.tally.get(n))
            .and_then(|v| v.parse().ok())
            .unwrap_or_default()
    };
    names.sort_by_key(|n| std::cmp::Reverse(first(n)));
    let w = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(9)
        .max("Inactive: repeatedRankings".len());
    let _ = write!(out, "{:w$}", "Candidate");
    for r in &report.results {
        let _ = write!(out, " {:>12}", format!("Round {}", r.round));
    }
    out.push('\n');
    for n in &names {
        let _ = write!(out, "{:w$}", n);
        for r in &report.results {
            let _ = write!(
                out,
                " {:>12}",
                r.tally.get(*n).map(String::as_str).unwrap_or("")
            );
        }
        out.push('\n');
    }
    for key in [
        "exhaustedChoices",
        "overvotes",
        "skippedRankings",
        "repeatedRankings",
    ] {
        let _ = write!(out, "{:w$}", format!("Inactive: {key}"));
        for r in &report.results {
            let _ = write!(
                out,
                " {:>12}",
                r.inactive_ballots
                    .get(key)
                    .map(String::as_str)
                    .unwrap_or("")
            );
        }
        out.push('\n');
    }
    let _ = write!(out, "{:w$}", "Threshold");
    for r in &report.results {
        let _ = write!(out, " {:>12}", r.threshold);
    }
    out.push('\n');
    for r in &report.results {
        for tr in &r.tally_results {
            if let Some(e) = &tr.elected {
                let _ = writeln!(out, "Round {}: elected {e}", r.round);
            }
            if let Some(e) = &tr.eliminated {
                let _ = writeln!(out, "Round {}: eliminated {e}", r.round);
            }
        }
    }
    let _ = writeln!(out, "Total ballots: {}", report.summary.total_num_ballots);
    out
}

/// Pretty-printer that writes JSON the way RCTab's Jackson `DefaultPrettyPrinter` does
/// (`"key" : value`, arrays inline as `[ {`, `}, {`, `} ]`, empty `[ ]` / `{ }`), so our
/// reports diff cleanly against RCTab's.
#[derive(Debug, Default)]
struct JacksonFormatter {
    depth: usize,
    has_entries: Vec<bool>,
}

impl JacksonFormatter {
    fn indent<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..self.depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for JacksonFormatter {
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth += 1;
        self.has_entries.push(false);
        w.write_all(b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_entries.pop().unwrap_or(false) {
            self.indent(w)?;
        } else {
            w.write_all(b" ")?;
        }
        w.write_all(b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if let Some(h) = self.has_entries.last_mut() {
            *h = true;
        }
        if !first {
            w.write_all(b",")?;
        }
        self.indent(w)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b" : ")
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b" ]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        w.write_all(if first { b" " } else { b", " })
    }
}

/// Serialises a report as JSON in RCTab's layout and pretty-printing (keys sorted, vote values
/// as strings, Jackson's spacing, no trailing newline).
pub fn to_json_string(report: &DetailedReport) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, JacksonFormatter::default());
    if serde::Serialize::serialize(report, &mut ser).is_err() {
        return String::new();
    }
    String::from_utf8(out).unwrap_or_default()
}
