//! Benchmarks: the real 2013 Minneapolis mayor contest (80,101 ballots, 35 candidates, ES&S
//! xlsx) and a synthetic 1,000,000-ballot, 20-candidate contest in RCTab's generic CSV format
//! (generated in setup, deterministic seed), both run from the config file, reading the CVRs
//! included.
//!
//! Each has a peer measured in the same run, so figures can be given as ratios on a noisy
//! machine: for the CSV contest, only reading the file's records with the csv crate (no
//! ranking, no tabulation); for the xlsx contest, only inflating its sheet with the zip crate.
//!
//! `cargo bench -p skytale-rcv --bench tabulate`

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use skytale_rcv::session::run_config_file;

const MINNEAPOLIS_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/rcv/2013_minneapolis_mayor"
);
const SYNTH_BALLOTS: usize = 1_000_000;
const SYNTH_CANDIDATES: usize = 20;

/// Peer: every record of a CSV file read with the csv crate, nothing done with it.
fn csv_records(path: &Path) -> u64 {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .unwrap();
    let mut rec = csv::ByteRecord::new();
    let mut fields = 0u64;
    while rdr.read_byte_record(&mut rec).unwrap() {
        fields += rec.len() as u64;
    }
    fields
}

/// Peer: a workbook's first sheet inflated to nowhere.
fn inflate_sheet(path: &Path) -> u64 {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut entry = zip.by_name("xl/worksheets/sheet1.xml").unwrap();
    std::io::copy(&mut entry, &mut std::io::sink()).unwrap()
}

fn bench(c: &mut Criterion) {
    let dir = Path::new(MINNEAPOLIS_DIR);
    let mpls_config = dir.join("2013_minneapolis_mayor_config.json");
    let mpls_cvr = dir.join("2013_minneapolis_mayor_cvr.xlsx");
    assert!(mpls_config.is_file(), "missing test data {mpls_config:?}");
    let mut g = c.benchmark_group("rcv");
    g.sample_size(10);
    g.bench_function("minneapolis_2013_mayor_xlsx", |b| {
        b.iter(|| run_config_file(&mpls_config, &mut |_| {}).unwrap())
    });
    g.bench_function("peer_minneapolis_inflate_sheet_only", |b| {
        b.iter(|| inflate_sheet(&mpls_cvr))
    });
    let tmp = tempfile::tempdir().unwrap();
    let cfg = skytale_rcv::synthetic::write_synthetic(tmp.path(), SYNTH_BALLOTS, SYNTH_CANDIDATES)
        .unwrap();
    let csv_path = tmp.path().join("synthetic_cvr.csv");
    g.bench_function("synthetic_1m_ballots_20_candidates_csv", |b| {
        b.iter(|| run_config_file(&cfg, &mut |_| {}).unwrap())
    });
    g.bench_function("peer_synthetic_csv_crate_read_only", |b| {
        b.iter(|| csv_records(&csv_path))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
