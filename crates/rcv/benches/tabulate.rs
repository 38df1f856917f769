//! Benchmarks: the real 2013 Minneapolis mayor contest (80,101 ballots, 35 candidates, ES&S
//! xlsx) and a synthetic 1,000,000-ballot, 20-candidate contest in RCTab's generic CSV format,
//! both from the config file, reading the CVRs included.

use std::io::Write;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use skytale_rcv::java::JavaRandom;
use skytale_rcv::session::run_config_file;

const MINNEAPOLIS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/rcv/2013_minneapolis_mayor/2013_minneapolis_mayor_config.json"
);
const SYNTH_BALLOTS: usize = 1_000_000;
const SYNTH_CANDIDATES: usize = 20;

/// Writes a deterministic synthetic contest (config + generic CSV) into `dir`.
fn write_synthetic(dir: &Path) -> PathBuf {
    let names: Vec<String> = (1..=SYNTH_CANDIDATES)
        .map(|i| format!("Candidate {i:02}"))
        .collect();
    let csv_path = dir.join("synthetic_cvr.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&csv_path).unwrap());
    write!(w, "id").unwrap();
    for n in &names {
        write!(w, ",{n}").unwrap();
    }
    writeln!(w).unwrap();
    let mut rnd = JavaRandom::new(2024);
    let mut ranks = vec![0u32; SYNTH_CANDIDATES];
    for b in 0..SYNTH_BALLOTS {
        ranks.iter_mut().for_each(|r| *r = 0);
        // 1 to 6 rankings; popularity skewed towards low-numbered candidates.
        let k = 1 + rnd.next_int(6) as usize;
        let mut given = 0;
        while given < k {
            let a = rnd.next_int(SYNTH_CANDIDATES as i32) as usize;
            let c = a.min(rnd.next_int(SYNTH_CANDIDATES as i32) as usize);
            if ranks[c] == 0 {
                given += 1;
                ranks[c] = given as u32;
            }
        }
        write!(w, "{b}").unwrap();
        for r in &ranks {
            if *r == 0 {
                write!(w, ",").unwrap();
            } else {
                write!(w, ",{r}").unwrap();
            }
        }
        writeln!(w).unwrap();
    }
    w.flush().unwrap();
    let candidates: Vec<String> = names
        .iter()
        .map(|n| format!(r#"{{"name": "{n}", "excluded": false, "aliases": []}}"#))
        .collect();
    let config = format!(
        r#"{{
  "tabulatorVersion": "2.0.0",
  "outputSettings": {{"contestName": "Synthetic 1M", "outputDirectory": "output"}},
  "cvrFileSources": [{{"filePath": "synthetic_cvr.csv", "provider": "genericCsv",
    "firstVoteColumnIndex": "2", "firstVoteRowIndex": "2", "idColumnIndex": "1"}}],
  "candidates": [{}],
  "rules": {{"tiebreakMode": "random", "randomSeed": "7", "overvoteRule": "alwaysSkipToNextRank",
    "winnerElectionMode": "singleWinnerMajority", "numberOfWinners": "1",
    "decimalPlacesForVoteArithmetic": "4", "maxSkippedRanksAllowed": "1",
    "maxRankingsAllowed": "max", "batchElimination": false}}
}}"#,
        candidates.join(", ")
    );
    let cfg = dir.join("synthetic_config.json");
    std::fs::write(&cfg, config).unwrap();
    cfg
}

fn bench(c: &mut Criterion) {
    assert!(
        Path::new(MINNEAPOLIS).is_file(),
        "missing test data {MINNEAPOLIS}"
    );
    let mut g = c.benchmark_group("rcv");
    g.sample_size(10);
    g.bench_function("minneapolis_2013_mayor_xlsx", |b| {
        b.iter(|| run_config_file(Path::new(MINNEAPOLIS), &mut |_| {}).unwrap())
    });
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_synthetic(dir.path());
    g.bench_function("synthetic_1m_ballots_20_candidates_csv", |b| {
        b.iter(|| run_config_file(&cfg, &mut |_| {}).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
