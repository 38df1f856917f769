//! Benchmarks: the real 2013 Minneapolis mayor contest (80,101 ballots, 35 candidates, ES&S
//! xlsx) and a synthetic 1,000,000-ballot, 20-candidate contest in RCTab's generic CSV format,
//! both from the config file, reading the CVRs included.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use skytale_rcv::session::run_config_file;

const MINNEAPOLIS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/rcv/2013_minneapolis_mayor/2013_minneapolis_mayor_config.json"
);
const SYNTH_BALLOTS: usize = 1_000_000;
const SYNTH_CANDIDATES: usize = 20;

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
    let cfg = skytale_rcv::synthetic::write_synthetic(dir.path(), SYNTH_BALLOTS, SYNTH_CANDIDATES)
        .unwrap();
    g.bench_function("synthetic_1m_ballots_20_candidates_csv", |b| {
        b.iter(|| run_config_file(&cfg, &mut |_| {}).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
