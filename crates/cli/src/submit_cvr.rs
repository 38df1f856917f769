//! `skytale submit --rctab-config CONFIG --contest ID --unit ID`: a ranked-choice contest's
//! cast vote records, read with the CVR sources of an RCTab config (skytale-rcv's readers, every
//! format RCTab reads), turned into signed `cvr` batches and sent; each receipt is checked.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use sha2::{Digest, Sha256};
use skytale_model::cvr::{batch_cvr, patterns_from_store};
use skytale_model::{ContestKind, CvrHeader, SourceFile, Statement, ValidDefinition};
use skytale_rcv::ballots::CandidateTable;
use skytale_rcv::config::{ContestConfig, Provider, UWI_LABEL};

use crate::client::Client;
use crate::submit::{send_note, sign_statement, SubmitOptions};

/// What to read and for which contest and unit.
pub struct CvrTarget {
    pub config: PathBuf,
    pub contest: String,
    pub unit: String,
}

/// RCTab's provider names, which the statements record as the source format.
fn provider_name(p: Provider) -> &'static str {
    match p {
        Provider::Cdf => "cdf",
        Provider::ClearBallot => "clearBallot",
        Provider::Dominion => "dominion",
        Provider::Ess => "ess",
        Provider::Hart => "hart",
        Provider::GenericCsv => "genericCsv",
    }
}

/// SHA-256 of a file, or of a folder (Dominion, Hart) as the hash of its files' names and
/// hashes in name order.
fn hash_source(path: &Path) -> Result<String> {
    if path.is_dir() {
        let mut names: Vec<PathBuf> = fs::read_dir(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        names.sort();
        let mut h = Sha256::new();
        for n in names {
            h.update(
                n.file_name()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
            h.update(hash_source(&n)?);
        }
        return Ok(hex::encode(h.finalize()));
    }
    let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hex::encode(Sha256::digest(bytes)))
}

/// The selection id of each candidate of the config's table (table order): the selection
/// named so (in any language) or with that id; undeclared write-ins go to the write-in one.
pub fn selection_ids(
    def: &ValidDefinition,
    contest: usize,
    table: &CandidateTable,
) -> Result<Vec<String>> {
    let c = &def.contests()[contest];
    let mut ids = Vec::with_capacity(table.names.len());
    let mut missing = Vec::new();
    for (i, name) in table.names.iter().enumerate() {
        let found = if table.uwi == Some(i as u16) && name == UWI_LABEL {
            c.selections.iter().find(|s| s.write_in)
        } else {
            c.selections
                .iter()
                .find(|s| !s.write_in && s.name.values().any(|n| n == name))
                .or_else(|| c.selections.iter().find(|s| s.id == *name))
        };
        match found {
            Some(s) => ids.push(s.id.clone()),
            None => missing.push(name.clone()),
        }
    }
    if !missing.is_empty() {
        bail!(
            "contest {:?} has no selection named (or with the id) {}; the config's candidates must be the contest's",
            c.id,
            missing.join(", ")
        );
    }
    Ok(ids)
}

pub async fn submit_cvr(opts: &SubmitOptions, target: &CvrTarget) -> Result<bool> {
    let key = crate::commands::load_key(&opts.key)?;
    let client = Client::new(&opts.server)?;
    let info = client.election(&opts.election).await?;
    let def = &info.definition;
    let ci = def.contest_index(&target.contest).ok_or_else(|| {
        anyhow!(
            "election {} has no contest {:?}",
            opts.election,
            target.contest
        )
    })?;
    if def.contests()[ci].kind != ContestKind::RankedChoice {
        bail!(
            "contest {:?} is not ranked_choice; CVRs are submitted for ranked-choice contests only",
            target.contest
        );
    }
    if def.unit_index(&target.unit).is_none() {
        bail!("election {} has no unit {:?}", opts.election, target.unit);
    }
    let config = ContestConfig::load(&target.config).map_err(|e| anyhow!("{e}"))?;
    let table = CandidateTable::from_config(&config);
    let ids = selection_ids(def, ci, &table)?;
    eprintln!("reading {} CVR source(s)…", config.sources.len());
    let store =
        skytale_rcv::readers::read_all(&config, &table, &mut |_| {}).map_err(|e| anyhow!("{e}"))?;
    let patterns = patterns_from_store(&store, &ids)
        .ok_or_else(|| anyhow!("a ballot names a candidate outside the contest"))?;
    // All sources of the config form one file of the series: one hash over their hashes.
    let mut hashes = Vec::new();
    for s in &config.sources {
        hashes.push(hash_source(&s.path)?);
    }
    let sha256 = if hashes.len() == 1 {
        hashes.remove(0)
    } else {
        hex::encode(Sha256::digest(hashes.join("\n")))
    };
    let mut formats: Vec<&str> = config
        .sources
        .iter()
        .map(|s| provider_name(s.provider))
        .collect();
    formats.dedup();
    let name = config
        .sources
        .iter()
        .filter_map(|s| s.path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(", ");
    let header = CvrHeader {
        election: opts.election.clone(),
        contest: target.contest.clone(),
        unit: target.unit.clone(),
        version: opts.version.unwrap_or(1),
        submitted_at: crate::now_rfc3339(),
        reason: None,
        source: SourceFile {
            format: formats.join("+"),
            sha256,
            name: Some(name),
        },
    };
    let batches = batch_cvr(&header, patterns);
    eprintln!(
        "contest {} in unit {}, version {}: {} ballots ({} distinct) from {} ({}, SHA-256 {}), in {} signed batch(es) with {}",
        header.contest,
        header.unit,
        header.version,
        store.total(),
        store.distinct(),
        header.source.name.as_deref().unwrap_or(""),
        header.source.format,
        header.source.sha256,
        batches.len(),
        key.verifier()
    );
    if opts.dry_run {
        eprintln!("dry run: nothing signed or sent");
        return Ok(true);
    }
    let dir = opts.receipts.join(&opts.election);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut all_ok = true;
    for b in batches {
        let (batch, n) = (b.batch, b.batches);
        let note = sign_statement(&key, &Statement::Cvr(b))?;
        let path = dir.join(format!(
            "{}-{}-v{}-batch{batch}.json",
            header.unit, header.contest, header.version
        ));
        let what = format!("batch {batch} of {n}");
        all_ok &= send_note(&client, &opts.election, &note, &info.log_key, &path, &what).await?;
    }
    Ok(all_ok)
}
