//! `skytale demo`: a synthetic election night, end to end, on the embedded SQLite store.

use std::fs;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use skytale_model::Statement;
use skytale_server::AppState;
use skytale_store::{write_private, Store};

use crate::client::{check_receipt, Answer, Client};
use crate::submit::sign_statement;
use crate::{synthetic, synthetic_state};

pub struct DemoOptions {
    pub data_dir: std::path::PathBuf,
    pub listen: SocketAddr,
    pub units: usize,
    pub duration: Duration,
    pub exit_when_done: bool,
}

pub const DEMO_ID: &str = "demo";
/// The demo's second, larger ballot: a U.S.-state-like election (contests grouped by office
/// level, counties and precincts, maps).
pub const STATE_ID: &str = "demo-state";

pub async fn run(opts: DemoOptions) -> Result<()> {
    let store = Store::open(&opts.data_dir)?;
    let fresh = !store.elections()?.iter().any(|e| e.id == DEMO_ID);
    let mut synth = synthetic::election(DEMO_ID, opts.units, 2026, false)?;
    // The demo compares with a generated earlier election, so its pages show the change.
    synth.definition.previous = Some(synthetic::earlier_figures(&synth, 2022));
    if fresh {
        let keys = opts.data_dir.join("demo-keys");
        fs::create_dir_all(&keys).with_context(|| format!("cannot create {}", keys.display()))?;
        save(
            &keys.join("authority.key"),
            &synth.authority.to_skey_string(),
        )?;
        for (i, k) in synth.reporters.iter().enumerate() {
            save(
                &keys.join(format!("region-{:02}.key", i + 1)),
                &k.to_skey_string(),
            )?;
        }
        let head = crate::commands::sign_definition(&synth.definition, &synth.authority)?;
        let (_, log_key) = skytale_server::create_election(&store, &head)?;
        println!(
            "Created the synthetic election {DEMO_ID:?}: {} units ({} polling stations), 3 contests, English and Greek.",
            synth.definition.units.len(),
            synth.stations.len()
        );
        println!(
            "Keys are in {} (authority, one per regional office); log key {log_key}",
            keys.display()
        );
    }
    let state_keys = if store.elections()?.iter().any(|e| e.id == STATE_ID) {
        None
    } else {
        Some(create_state(&store, &opts.data_dir)?)
    };
    drop(store);
    let state = AppState::open(&opts.data_dir)?;
    let listener = skytale_server::bind(opts.listen).await?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(skytale_server::serve(state, listener, async move {
        let _ = stop_rx.await;
    }));
    println!("Skytale is serving on {base}/");
    println!("  live results: {base}/api/v1/elections/{DEMO_ID}/results");
    println!("  one contest:  {base}/api/v1/elections/{DEMO_ID}/results/president");
    println!("  the log:      {base}/log/{DEMO_ID}/checkpoint");

    println!("  a larger ballot: {base}/en/{STATE_ID}/");
    println!(
        "  officials' console: {base}/console/{DEMO_ID}/ (sign in with a key file of {})",
        opts.data_dir.join("demo-keys").display()
    );
    if let Some((def, reporters)) = &state_keys {
        feed_state(&base, def, reporters).await?;
    }
    if fresh {
        feed(&base, &synth, opts.duration).await?;
    } else {
        println!("The demo election already exists in {}; serving it as it is (delete the directory to start over).", opts.data_dir.display());
    }
    if opts.exit_when_done {
        let _ = stop_tx.send(());
    } else {
        println!("Press Ctrl-C to stop.");
        let _ = tokio::signal::ctrl_c().await;
        let _ = stop_tx.send(());
    }
    server.await??;
    Ok(())
}

/// Creates the state-like election beside the demo, its keys in `demo-keys/state/`.
fn create_state(
    store: &Store,
    data_dir: &Path,
) -> Result<(skytale_model::Definition, Vec<skytale_note::SigningKey>)> {
    let authority = skytale_note::SigningKey::generate(&format!("{STATE_ID}-authority"))?;
    let reporters = synthetic_state::counties()
        .iter()
        .map(|c| skytale_note::SigningKey::generate(&format!("{STATE_ID}-{c}")))
        .collect::<Result<Vec<_>, _>>()?;
    let verifiers: Vec<_> = reporters.iter().map(|k| k.verifier()).collect();
    let def = synthetic_state::definition(STATE_ID, authority.verifier(), &verifiers);
    let keys = data_dir.join("demo-keys").join("state");
    fs::create_dir_all(&keys).with_context(|| format!("cannot create {}", keys.display()))?;
    save(&keys.join("authority.key"), &authority.to_skey_string())?;
    for (k, c) in reporters.iter().zip(synthetic_state::counties()) {
        save(&keys.join(format!("{c}.key")), &k.to_skey_string())?;
    }
    let head = crate::commands::sign_definition(&def, &authority)?;
    skytale_server::create_election(store, &head)?;
    println!(
        "Created the synthetic state election {STATE_ID:?}: {} contests in {} groups, {} counties, {} precincts.",
        def.contests.len(),
        def.groups.len(),
        synthetic_state::counties().len(),
        synthetic_state::precincts().len()
    );
    Ok((def, reporters))
}

/// Reports every precinct of the state election but one (which stays silent, as one does on
/// a real night), county by county.
async fn feed_state(
    base: &str,
    def: &skytale_model::Definition,
    reporters: &[skytale_note::SigningKey],
) -> Result<()> {
    let client = Client::new(base)?;
    let info = client.election(STATE_ID).await?;
    let now = crate::now_rfc3339();
    for (precinct, county) in synthetic_state::precincts() {
        let Some(r) = synthetic_state::precinct_results(def, &precinct, 1, &now) else {
            continue;
        };
        let note = sign_statement(&reporters[county], &Statement::Results(r))?;
        match client.submit(STATE_ID, &note).await? {
            Answer::Accepted { receipt, .. } => {
                check_receipt(&receipt, &note, &info.log_key)?;
            }
            Answer::Held { .. } => {}
            Answer::Rejected { code, message, .. } => {
                anyhow::bail!("the demo's own submission was refused: {code}: {message}")
            }
        }
    }
    Ok(())
}

fn save(path: &Path, skey: &str) -> Result<()> {
    write_private(path, format!("{skey}\n").as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Reports every polling station once, in random order, spread over `duration`, then a few
/// corrections, as regional offices would on election night.
async fn feed(base: &str, synth: &synthetic::Synthetic, duration: Duration) -> Result<()> {
    let client = Arc::new(Client::new(base)?);
    let info = client.election(DEMO_ID).await?;
    let mut rng = StdRng::seed_from_u64(7);
    let mut order: Vec<usize> = (0..synth.stations.len()).collect();
    order.shuffle(&mut rng);
    let corrections: Vec<usize> = order.iter().copied().step_by(97).collect();
    let total = order.len() + corrections.len();
    let pause = duration / total.max(1) as u32;
    println!(
        "Feeding {} station reports and {} corrections over {:?}…",
        order.len(),
        corrections.len(),
        duration
    );
    let bar = indicatif::ProgressBar::new(total as u64);
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut accepted = 0u64;
    let mut held = 0u64;
    let jobs = order
        .iter()
        .map(|&s| (s, 1))
        .chain(corrections.iter().map(|&s| (s, 2)));
    for (s, version) in jobs {
        let station = &synth.stations[s];
        let r =
            synthetic::station_results(synth, station, version, &crate::now_rfc3339(), &mut rng);
        let note = sign_statement(&synth.reporters[station.reporter], &Statement::Results(r))?;
        match client.submit(DEMO_ID, &note).await? {
            Answer::Accepted { receipt, .. } => {
                check_receipt(&receipt, &note, &info.log_key)?;
                accepted += 1;
            }
            Answer::Held { .. } => held += 1,
            Answer::Rejected { code, message, .. } => {
                anyhow::bail!("the demo's own submission was refused: {code}: {message}")
            }
        }
        bar.inc(1);
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
    bar.finish_and_clear();
    println!(
        "Done: {accepted} statements accepted (every receipt checked), {held} held for review."
    );
    Ok(())
}
