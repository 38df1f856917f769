//! Times the phases (config, read CVRs, tabulate) of a contest: `cargo run --release --example
//! phases -- CONFIG.json`.

use std::time::Instant;

use skytale_rcv::ballots::CandidateTable;
use skytale_rcv::config::ContestConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arg = std::env::args()
        .nth(1)
        .ok_or("usage: phases CONFIG.json | --synthetic DIR")?;
    let path = if arg == "--synthetic" {
        let dir = std::env::args()
            .nth(2)
            .ok_or("--synthetic needs a folder")?;
        std::fs::create_dir_all(&dir)?;
        let t = Instant::now();
        let p = skytale_rcv::synthetic::write_synthetic(dir.as_ref(), 1_000_000, 20)?;
        println!("generated in {:?}", t.elapsed());
        p.display().to_string()
    } else {
        arg
    };
    let t0 = Instant::now();
    let config = ContestConfig::load(path.as_ref())?;
    let table = CandidateTable::from_config(&config);
    let t1 = Instant::now();
    let store = skytale_rcv::readers::read_all(&config, &table, &mut |_| {})?;
    let t2 = Instant::now();
    let passes = skytale_rcv::session::tabulate_contest(&config, &table, &store)?;
    let t3 = Instant::now();
    println!(
        "config {:?}, read {:?} ({} ballots, {} distinct), tabulate {:?} ({} rounds), winners {:?}",
        t1 - t0,
        t2 - t1,
        store.total(),
        store.distinct(),
        t3 - t2,
        passes
            .iter()
            .map(|p| p.tabulation.rounds.len())
            .sum::<usize>(),
        passes
            .iter()
            .flat_map(|p| p.winners.clone())
            .collect::<Vec<_>>()
    );
    Ok(())
}
