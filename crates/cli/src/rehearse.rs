//! `skytale rehearse`: a test day on a real definition. Generated, plausible results for
//! every polling station the given reporting keys may report, for every contest held there,
//! signed with those keys and sent to the server over a chosen time, as the counties would on
//! the night; every receipt checked.
//!
//! Only an election whose definition says `test = true` is rehearsed on: generated figures in
//! a real election would be published, and the log never forgets. A test is reset by creating
//! the election anew under another id. Versions are taken from the clock (milliseconds), so a
//! rehearsal can run again on the same test election and its statements replace the last.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use skytale_model::{
    ContestKind, ContestReport, Count, ReportStatus, ResultsStatement, Statement, ValidDefinition,
};

use crate::client::{check_receipt, Answer, Client};
use crate::submit::sign_statement;

pub struct RehearseOptions {
    pub server: String,
    pub election: String,
    /// Reporting authorities' signing keys: each reports the stations of its scope.
    pub keys: Vec<PathBuf>,
    /// How long sending takes in all.
    pub duration: Duration,
    pub seed: u64,
}

/// What a rehearsal sent.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rehearsed {
    pub accepted: u64,
    pub held: u64,
}

/// Runs a rehearsal; refuses an election not flagged as a test, or a key that reports nothing.
pub async fn rehearse(opts: &RehearseOptions) -> Result<Rehearsed> {
    let client = Client::new(&opts.server)?;
    let info = client.election(&opts.election).await?;
    let def = &info.definition;
    if !def.definition().test {
        bail!(
            "election {} is not a test election (its definition does not say test = true): generated results would be published as real ones; rehearse on a test election",
            opts.election
        );
    }
    let mut jobs: Vec<(usize, usize)> = Vec::new(); // (key, station)
    let mut keys = Vec::new();
    for path in &opts.keys {
        let key = crate::commands::load_key(path)?;
        let me = key.verifier();
        let reporter = def
            .definition()
            .reporters
            .iter()
            .find(|r| r.key == me)
            .with_context(|| {
                format!(
                    "{}: the key {:?} is not a reporting authority of election {}",
                    path.display(),
                    key.name(),
                    opts.election
                )
            })?;
        let scope: Vec<usize> = reporter
            .scope
            .iter()
            .filter_map(|s| def.unit_index(s))
            .collect();
        let stations: Vec<usize> = (0..def.units().len())
            .filter(|&u| def.children(u).is_empty() && scope.iter().any(|&s| def.is_within(u, s)))
            .collect();
        if stations.is_empty() {
            bail!("{}: the key's scope has no polling station", path.display());
        }
        jobs.extend(stations.into_iter().map(|s| (keys.len(), s)));
        keys.push(key);
    }
    let mut rng = StdRng::seed_from_u64(opts.seed);
    // Stations report in no particular order, as on the night.
    for i in (1..jobs.len()).rev() {
        jobs.swap(i, rng.gen_range(0..=i));
    }
    // Milliseconds of the clock: later than any earlier rehearsal's, well within a version step.
    let version = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(1);
    let pause = opts.duration / u32::try_from(jobs.len().max(1)).unwrap_or(u32::MAX);
    let mut out = Rehearsed::default();
    for (k, station) in jobs {
        let Some(r) = station_results(def, station, version, &crate::now_rfc3339(), &mut rng)
        else {
            continue;
        };
        let note = sign_statement(&keys[k], &Statement::Results(r))?;
        match client.submit(&opts.election, &note).await? {
            Answer::Accepted { receipt, .. } => {
                check_receipt(&receipt, &note, &info.log_key)?;
                out.accepted += 1;
            }
            Answer::Held { .. } => out.held += 1,
            Answer::Rejected { code, message, .. } => bail!(
                "a rehearsal statement for {} was refused: {code}: {message}",
                def.units()[station].id
            ),
        }
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
    Ok(out)
}

/// Plausible counts for one polling station in every contest held there (ranked-choice
/// contests take ballots, not counts, and are left out); `None` when no contest is held there.
pub fn station_results(
    def: &ValidDefinition,
    station: usize,
    version: u64,
    submitted_at: &str,
    rng: &mut StdRng,
) -> Option<ResultsStatement> {
    let unit = &def.units()[station];
    let registered = unit.registered.unwrap_or(1_000).max(1);
    let ballots = registered * rng.gen_range(45..80) / 100;
    let mut contests = Vec::new();
    for (ci, c) in def.contests().iter().enumerate() {
        if c.kind == ContestKind::RankedChoice
            || !def
                .contest_area(ci)
                .iter()
                .any(|&a| def.is_within(station, a))
        {
            continue;
        }
        let blank = ballots * rng.gen_range(0..2) / 100;
        let invalid = ballots * rng.gen_range(0..2) / 100;
        let valid = ballots - blank - invalid;
        // One draw of strengths per selection; at most votes_allowed marks per ballot.
        let weights: Vec<u64> = c.selections.iter().map(|_| rng.gen_range(1..100)).collect();
        let sum: u64 = weights.iter().sum();
        let marks = valid * u64::from(c.votes_allowed.max(1));
        let mut votes: Vec<u64> = weights.iter().map(|w| marks * w / sum.max(1)).collect();
        let given: u64 = votes.iter().sum();
        if let Some(first) = votes.first_mut() {
            *first += marks - given;
        }
        // A selection never has more votes than there were ballots.
        for v in &mut votes {
            *v = (*v).min(valid);
        }
        contests.push(ContestReport {
            contest: c.id.clone(),
            ballots: Some(Count::new(ballots)),
            blank: Some(Count::new(blank)),
            invalid: Some(Count::new(invalid)),
            overvotes: None,
            undervotes: None,
            selections: c
                .selections
                .iter()
                .zip(votes)
                .map(|(s, v)| (s.id.clone(), crate::synthetic::with_types(rng, v)))
                .collect(),
        });
    }
    (!contests.is_empty()).then(|| ResultsStatement {
        election: def.id().to_string(),
        unit: unit.id.clone(),
        version,
        status: ReportStatus::Complete,
        submitted_at: submitted_at.to_string(),
        reason: None,
        source: None,
        contests,
    })
}
