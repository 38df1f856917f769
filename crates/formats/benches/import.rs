//! One benchmark per importer, in MB/s, on the largest real file of each format:
//! `import_results` (parse + name resolution + statements) against a definition derived once.
//! Beside each, a trivial peer on the same bytes in the same run (the `csv` crate counting
//! `ByteRecord`s, quick-xml counting events, serde_json building a `Value`), so a figure can
//! be read as a ratio against what the underlying reader alone costs on this machine.
//! Run once with `cargo bench -p skytale-formats` (release profile).

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use skytale_formats::{derive_definition, import_results, Format, ImportOptions};
use skytale_model::ReportStatus;
use skytale_note::SigningKey;

/// The allocator of the `skytale` binary, so the figures are those of `skytale submit`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/")).join(rel)
}

fn read(rel: &str) -> Vec<u8> {
    let p = data(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("bench data {} is missing: {e}", p.display()))
}

/// Georgia 2022's 159 county files as one statewide file (one header).
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

/// The peer a parser is compared with: the bare reader it is built on.
#[derive(Clone, Copy)]
enum Peer {
    /// `csv::Reader` counting records into one reused `ByteRecord`.
    CsvRecords,
    /// quick-xml counting events of a borrowed reader (no text unescaping).
    XmlEvents,
    /// `serde_json::from_slice::<Value>`.
    JsonValue,
}

#[inline(never)]
fn peer(p: Peer, bytes: &[u8]) -> u64 {
    match p {
        Peer::CsvRecords => {
            let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
            let mut rec = csv::ByteRecord::new();
            let mut n = 0u64;
            while r.read_byte_record(&mut rec).unwrap() {
                n += rec.len() as u64;
            }
            n
        }
        Peer::XmlEvents => {
            let mut r = quick_xml::Reader::from_reader(bytes);
            r.config_mut().trim_text(true);
            let mut n = 0u64;
            loop {
                match r.read_event().unwrap() {
                    quick_xml::events::Event::Eof => return n,
                    quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                        n += e.attributes().count() as u64 + 1
                    }
                    _ => n += 1,
                }
            }
        }
        Peer::JsonValue => match serde_json::from_slice::<serde_json::Value>(bytes).unwrap() {
            serde_json::Value::Object(m) => m.len() as u64,
            _ => 0,
        },
    }
}

fn bench(c: &mut Criterion) {
    let a = SigningKey::from_seed("authority", [1; 32])
        .unwrap()
        .verifier();
    let r = SigningKey::from_seed("county", [2; 32]).unwrap().verifier();
    let cases: Vec<(&str, Format, Peer, Vec<u8>)> = vec![
        (
            "csv/ga-2022-159-counties",
            Format::Csv,
            Peer::CsvRecords,
            ga_counties(),
        ),
        (
            "csv/pa-2020-allegheny",
            Format::Csv,
            Peer::CsvRecords,
            read("openelections/pa_2020_general/counties/20201103__pa__general__allegheny__precinct.csv"),
        ),
        (
            "clarity-xml/ga-2020-statewide",
            Format::ClarityXml,
            Peer::XmlEvents,
            read("clarity/elex-clarity__GA_statewide_detail_11-3.xml"),
        ),
        (
            "nist-xml/cambridge-2022",
            Format::NistXml,
            Peer::XmlEvents,
            read("nist-1500-100/cdf-test-method/err-2022-09-06-Massachusetts-Cambridge.xml"),
        ),
        (
            "nist-json/cambridge-2022",
            Format::NistJson,
            Peer::JsonValue,
            read("nist-1500-100/cdf-test-method/err-2022-09-06-Massachusetts-Cambridge.json"),
        ),
    ];
    let mut g = c.benchmark_group("import");
    g.sample_size(10);
    for (name, f, p, bytes) in &cases {
        // Derived on first use, so a filtered run (`cargo bench -- clarity`, or a profiler)
        // spends its time only in the benchmark it asked for.
        let def = std::cell::OnceCell::new();
        let def = || {
            def.get_or_init(|| {
                derive_definition(*f, bytes, "bench-2024-01-01", a.clone(), "c", r.clone())
                    .unwrap()
                    .validate()
                    .unwrap()
            })
        };
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
            let def = def();
            b.iter(|| import_results(*f, bytes, def, &opts).unwrap())
        });
        g.bench_function(format!("{name}/peer"), |b| b.iter(|| peer(*p, bytes)));
        // The part of every import that is not parsing: the source file's SHA-256.
        g.bench_function(format!("{name}/sha256"), |b| {
            b.iter(|| skytale_formats::sha256_hex(bytes))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
