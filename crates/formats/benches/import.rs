//! One benchmark per importer, in MB/s, on the largest real file of each format:
//! `import_results` (parse + name resolution + statements) against a definition derived once.
//! Run once with `cargo bench -p skytale-formats` (release profile).

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use skytale_formats::{derive_definition, import_results, Format, ImportOptions};
use skytale_model::ReportStatus;
use skytale_note::SigningKey;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/"
    ))
    .join(rel)
}

fn ga_counties() -> Vec<u8> {
    let dir = data("openelections/ga_2022_general/counties");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("GA data")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let b = std::fs::read(f).unwrap();
        let body = if i == 0 {
            &b[..]
        } else {
            &b[b.iter().position(|&c| c == b'\n').unwrap() + 1..]
        };
        out.extend_from_slice(body);
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let a = SigningKey::from_seed("authority", [1; 32])
        .unwrap()
        .verifier();
    let r = SigningKey::from_seed("county", [2; 32]).unwrap().verifier();
    let cases: Vec<(&str, Format, Vec<u8>)> = vec![
        ("csv/ga-2022-159-counties", Format::Csv, ga_counties()),
        (
            "clarity-xml/ga-2020-statewide",
            Format::ClarityXml,
            std::fs::read(data("clarity/elex-clarity__GA_statewide_detail_11-3.xml")).unwrap(),
        ),
        (
            "nist-xml/cambridge-2022",
            Format::NistXml,
            std::fs::read(data(
                "nist-1500-100/cdf-test-method/err-2022-09-06-Massachusetts-Cambridge.xml",
            ))
            .unwrap(),
        ),
        (
            "nist-json/cambridge-2022",
            Format::NistJson,
            std::fs::read(data(
                "nist-1500-100/cdf-test-method/err-2022-09-06-Massachusetts-Cambridge.json",
            ))
            .unwrap(),
        ),
    ];
    let mut g = c.benchmark_group("import");
    g.sample_size(10);
    for (name, f, bytes) in &cases {
        let def = derive_definition(*f, bytes, "bench-2024-01-01", a.clone(), "c", r.clone())
            .unwrap()
            .validate()
            .unwrap();
        let opts = ImportOptions {
            election: "bench-2024-01-01",
            version: 1,
            submitted_at: "2024-01-01T00:00:00Z",
            status: ReportStatus::Partial,
            mapping: None,
            source_name: None,
        };
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(*name, |b| {
            b.iter(|| import_results(*f, bytes, &def, &opts).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
