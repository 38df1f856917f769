//! A deterministic synthetic contest generator (config + generic CSV), for benchmarks and
//! scale tests: `ballots` ballots ranking 1 to 6 of `candidates` candidates, popularity skewed
//! towards low-numbered candidates, drawn from java.util.Random seeded 2024.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::java::JavaRandom;

/// Writes a deterministic synthetic contest (config + generic CSV) into `dir`.
pub fn write_synthetic(dir: &Path, ballots: usize, candidates: usize) -> std::io::Result<PathBuf> {
    let names: Vec<String> = (1..=candidates)
        .map(|i| format!("Candidate {i:02}"))
        .collect();
    let csv_path = dir.join("synthetic_cvr.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&csv_path)?);
    write!(w, "id")?;
    for n in &names {
        write!(w, ",{n}")?;
    }
    writeln!(w)?;
    let mut rnd = JavaRandom::new(2024);
    let mut ranks = vec![0u32; candidates.max(1)];
    for b in 0..ballots {
        ranks.iter_mut().for_each(|r| *r = 0);
        // 1 to 6 rankings; popularity skewed towards low-numbered candidates.
        let k = (1 + rnd.next_int(6) as usize).min(candidates);
        let mut given = 0;
        while given < k {
            let a = rnd.next_int(candidates as i32) as usize;
            let c = a.min(rnd.next_int(candidates as i32) as usize);
            if ranks[c] == 0 {
                given += 1;
                ranks[c] = given as u32;
            }
        }
        write!(w, "{b}")?;
        for r in &ranks {
            if *r == 0 {
                write!(w, ",")?;
            } else {
                write!(w, ",{r}")?;
            }
        }
        writeln!(w)?;
    }
    w.flush()?;
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
    std::fs::write(&cfg, config)?;
    Ok(cfg)
}
