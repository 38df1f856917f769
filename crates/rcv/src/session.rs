//! Running a whole contest: passes of sequential (multi-pass IRV) contests, and the I/O wrapper
//! that reads a config and its CVRs.

use crate::ballots::{BallotStore, CandidateTable};
use crate::config::{ContestConfig, Rules, WinnerMode};
use crate::report::{build_report, DetailedReport};
use crate::tabulate::{tabulate, ContestSpec, Tabulation};
use crate::RcvError;

/// One tabulation pass (a contest has one, a `multiPassIrv` contest one per seat).
#[derive(Debug, Clone)]
pub struct PassOutcome {
    /// Round-by-round result.
    pub tabulation: Tabulation,
    /// The RCTab detailed report of this pass.
    pub report: DetailedReport,
    /// Names of the winners of this pass, in order elected.
    pub winners: Vec<String>,
}

/// Tabulates a contest whose ballots are already read. Pure.
pub fn tabulate_contest(
    config: &ContestConfig,
    table: &CandidateTable,
    store: &BallotStore,
) -> Result<Vec<PassOutcome>, RcvError> {
    let rules = &config.rules;
    let sequential = rules.winner_mode == WinnerMode::MultiPassIrv;
    let passes = tabulate_passes(rules, table, store)?;
    Ok(passes
        .into_iter()
        .map(|t| {
            let report = if sequential {
                build_report(config, table, 1, false, &t)
            } else {
                build_report(
                    config,
                    table,
                    rules.number_of_winners,
                    rules.uses_surpluses(),
                    &t,
                )
            };
            let winners = t
                .winners
                .iter()
                .map(|c| table.names[*c as usize].clone())
                .collect();
            PassOutcome {
                tabulation: t,
                report,
                winners,
            }
        })
        .collect())
}

/// The tabulations of a contest whose ballots are already read: one, or one per seat of a
/// `multiPassIrv` contest (each pass excludes the earlier passes' winners). Pure; no report
/// metadata needed, so the live tally of an election uses it directly.
pub fn tabulate_passes(
    rules: &Rules,
    table: &CandidateTable,
    store: &BallotStore,
) -> Result<Vec<Tabulation>, RcvError> {
    if rules.winner_mode != WinnerMode::MultiPassIrv {
        let spec = ContestSpec {
            table: table.clone(),
            rules: rules.clone(),
        };
        return Ok(vec![tabulate(&spec, store)?]);
    }
    let mut pass_rules = rules.clone();
    pass_rules.number_of_winners = 1;
    let mut spec = ContestSpec {
        table: table.clone(),
        rules: pass_rules,
    };
    let mut passes = Vec::new();
    while passes.len() < rules.number_of_winners as usize {
        let t = tabulate(&spec, store)?;
        if t.winners.len() != 1 {
            return Err(RcvError::Aborted {
                round: t.rounds.len() as u32,
                why: format!(
                    "sequential pass {} expected exactly one new winner and found {}",
                    passes.len() + 1,
                    t.winners.len()
                ),
            });
        }
        spec.table.excluded[t.winners[0] as usize] = true;
        passes.push(t);
    }
    Ok(passes)
}

/// Reads a config file, its CVRs, and tabulates. `progress` gets the CVR count now and then.
#[cfg(feature = "readers")]
pub fn run_config_file(
    config_path: &std::path::Path,
    progress: &mut dyn FnMut(u64),
) -> Result<(ContestConfig, Vec<PassOutcome>), RcvError> {
    let config = ContestConfig::load(config_path)?;
    let table = CandidateTable::from_config(&config);
    let store = crate::readers::read_all(&config, &table, progress)?;
    let passes = tabulate_contest(&config, &table, &store)?;
    Ok((config, passes))
}
