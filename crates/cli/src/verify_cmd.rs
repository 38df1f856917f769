//! `skytale verify` and `skytale monitor`: arguments and `run` functions over `skytale-verify`,
//! which knows no command line.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use skytale_note::VerifierKey;
use skytale_verify::monitor::Monitor;
use skytale_verify::{verify, Options, Report};
use skytale_witness::WitnessVerifier;

/// Arguments shared by `verify` and `monitor`.
#[derive(clap::Args, Debug, Clone)]
pub struct CommonArgs {
    /// A base URL (https://results.example.org) or a directory written by `skytale publish`.
    pub source: String,
    /// The election id (default: the only election of the source).
    #[arg(long)]
    pub election: Option<String>,
    /// Pin the election authority's key (C2SP verifier key); default: trust on first use.
    #[arg(long, value_name = "VKEY")]
    pub authority_key: Option<String>,
    /// Pin the log's checkpoint key; default: the state file's, else trust on first use.
    #[arg(long, value_name = "VKEY")]
    pub log_key: Option<String>,
    /// A trusted witness key (Ed25519 or ML-DSA-44 vkey); repeat. Overrides the election's policy.
    #[arg(long = "witness", value_name = "VKEY")]
    pub witnesses: Vec<String>,
    /// Witnesses that must cosign (default: all given with --witness).
    #[arg(long)]
    pub witness_quorum: Option<usize>,
    /// Remember keys and the checkpoint here; prove consistency with the last one seen.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Tile requests in flight.
    #[arg(long, default_value_t = skytale_verify::fetch::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Compare only N files of the public site, chosen at random (default: every file, in
    /// every content coding). The verdict then says it was a sample.
    #[arg(long, value_name = "N")]
    pub sample: Option<usize>,
    /// Compare only this file of the public site (a URL path such as the page of one polling
    /// station, `/en/<election>/<contest>/<unit>/`; repeat for more) with the other artefacts.
    #[arg(long, value_name = "PATH")]
    pub page: Vec<String>,
}

/// Arguments of `skytale verify`.
#[derive(clap::Args, Debug, Clone)]
#[command(
    about = "Verify an election from its published log: signatures, authorisations, tree, tally and every published number"
)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Arguments of `skytale monitor`.
#[derive(clap::Args, Debug, Clone)]
#[command(
    about = "Verify continuously: every new checkpoint, new entries only; alert on any failure"
)]
pub struct MonitorArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Seconds between polls.
    #[arg(long, default_value_t = 5)]
    pub interval: u64,
    /// POST the JSON report here when a check fails.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Stop after this many rounds (default: run until a failure).
    #[arg(long)]
    pub rounds: Option<u64>,
}

fn options(c: &CommonArgs) -> Result<Options> {
    let key = |arg: &str, v: &Option<String>| -> Result<Option<VerifierKey>> {
        v.as_deref()
            .map(|s| VerifierKey::parse(s).with_context(|| arg.to_string()))
            .transpose()
    };
    let mut witnesses = Vec::new();
    for w in &c.witnesses {
        witnesses.push(WitnessVerifier::parse(w).context("--witness")?);
    }
    if c.witness_quorum.is_some_and(|q| q > witnesses.len()) {
        bail!(
            "--witness-quorum: exceeds the {} --witness keys given",
            witnesses.len()
        );
    }
    Ok(Options {
        source: c.source.clone(),
        election: c.election.clone(),
        authority_key: key("--authority-key", &c.authority_key)?,
        log_key: key("--log-key", &c.log_key)?,
        witnesses,
        witness_quorum: c.witness_quorum,
        state: c.state.clone(),
        progress: !c.json,
        concurrency: c.concurrency,
        sample: c.sample,
        pages: c.page.clone(),
    })
}

fn render(r: &Report, json: bool) -> String {
    if json {
        r.to_json()
    } else {
        r.to_text()
    }
}

/// Runs `skytale verify`: the report (text or JSON) and whether everything holds (exit 0
/// only then).
pub async fn run_verify(args: &VerifyArgs) -> Result<(String, bool)> {
    let opts = options(&args.common)?;
    let r = verify(&opts).await;
    Ok((render(&r, args.common.json), r.ok))
}

/// Runs `skytale monitor` until a failure (or `--rounds`): prints each round's report to
/// stdout as it comes, logs and posts failures, and returns the last report and whether
/// every round held.
pub async fn run_monitor(args: &MonitorArgs) -> Result<(String, bool)> {
    let opts = options(&args.common)?;
    let mut m = Monitor::new(opts);
    let http = reqwest::Client::new();
    let mut last_size = None;
    loop {
        let r = m.round().await;
        if !r.ok {
            for f in r.failures() {
                tracing::error!(election = %r.election, what = %f.what, location = %f.location, why = %f.why, "verification failed");
            }
            if let Some(url) = &args.webhook {
                if let Err(e) = http
                    .post(url)
                    .header("content-type", "application/json")
                    .body(r.to_json())
                    .send()
                    .await
                {
                    tracing::error!(webhook = %url, error = %e, "webhook failed");
                }
            }
            return Ok((render(&r, args.common.json), false));
        }
        if last_size != r.tree_size {
            println!("{}", render(&r, args.common.json));
            last_size = r.tree_size;
        }
        if args.rounds.is_some_and(|n| m.rounds >= n) {
            return Ok((render(&r, args.common.json), true));
        }
        tokio::time::sleep(Duration::from_secs(args.interval.max(1))).await;
    }
}
