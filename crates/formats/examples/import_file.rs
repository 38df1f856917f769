//! The import path alone on one file, for profilers and peak-RSS measurements (what `skytale
//! submit --dry-run` does before it prints, without a server):
//!
//! ```sh
//! cargo run --release -p skytale-formats --example import_file -- derive csv FILE DEF.json
//! /usr/bin/time -v target/release/examples/import_file import csv FILE DEF.json [bytes|stream] [ITERATIONS]
//! target/release/examples/import_file peer csv FILE - [ITERATIONS]   # the bare csv reader
//! valgrind --tool=callgrind target/release/examples/import_file import csv FILE DEF.json
//! ```
//!
//! `derive` writes the definition derived from the file; `import` reads the file into it, either
//! whole (`bytes`: `fs::read` then `import_results`) or from the open file (`stream`:
//! `import_results_from`, the CLI's way), and prints the time and MB/s per iteration; `peer` counts
//! the file's records with the `csv` crate alone (the reader's limit, for the ratio). A mapping
//! file (`[csv]` layout) can be given in `SKYTALE_MAPPING`.

use std::fs::File;
use std::io::BufReader;
use std::time::Instant;

use skytale_formats::{import_results, import_results_from, Format, ImportOptions};
use skytale_model::{Definition, ReportStatus};
use skytale_note::SigningKey;

/// The allocator of the `skytale` binary, so the figures are those of `skytale submit`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    if let Err(e) = run() {
        eprintln!("import_file: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> Result<&str, String> {
        args.get(i).map(String::as_str).ok_or_else(|| {
            "usage: import_file derive|import FORMAT FILE DEF.json [bytes|stream] [N]".into()
        })
    };
    let format: Format = arg(1)?.parse()?;
    let (file, def_path) = (arg(2)?, arg(3)?);
    let mapping = match std::env::var_os("SKYTALE_MAPPING") {
        Some(p) => Some(skytale_formats::Mapping::from_toml(
            &std::fs::read_to_string(p)?,
        )?),
        None => None,
    };
    let size = std::fs::metadata(file)?.len() as f64;
    match arg(0)? {
        "peer" => {
            let n: usize = args.get(4).map(|s| s.parse()).transpose()?.unwrap_or(1);
            for _ in 0..n {
                let t = Instant::now();
                let bytes = std::fs::read(file)?;
                let mut r = csv::ReaderBuilder::new()
                    .flexible(true)
                    .from_reader(&bytes[..]);
                let mut rec = csv::ByteRecord::new();
                let mut fields = 0usize;
                while r.read_byte_record(&mut rec)? {
                    fields += rec.len();
                }
                let s = t.elapsed().as_secs_f64();
                eprintln!(
                    "{fields} fields in {:.1} ms: {:.1} MiB/s",
                    s * 1e3,
                    size / s / (1024.0 * 1024.0)
                );
            }
        }
        "derive" => {
            let a = SigningKey::from_seed("authority", [1; 32])?.verifier();
            let r = SigningKey::from_seed("county", [2; 32])?.verifier();
            let bytes = std::fs::read(file)?;
            let opts = skytale_formats::DeriveOptions {
                date: Some("2024-01-01"),
                mapping: mapping.as_ref(),
            };
            let def = skytale_formats::derive_definition_with(
                format,
                &bytes,
                "bench-2024-01-01",
                a,
                "c",
                r,
                &opts,
            )?;
            std::fs::write(def_path, serde_json::to_vec(&def)?)?;
            eprintln!("{} units, {} contests", def.units.len(), def.contests.len());
        }
        "import" => {
            let def: Definition = serde_json::from_slice(&std::fs::read(def_path)?)?;
            let def = def.validate().map_err(|e| format!("{e:?}"))?;
            let stream = args.get(4).map(String::as_str) == Some("stream");
            let n: usize = args.get(5).map(|s| s.parse()).transpose()?.unwrap_or(1);
            let opts = ImportOptions {
                election: "bench-2024-01-01",
                version: 1,
                submitted_at: "2024-01-01T00:00:00Z",
                status: ReportStatus::Partial,
                mapping: mapping.as_ref(),
                source_name: Some(file),
            };
            for _ in 0..n {
                let t = Instant::now();
                let st = if stream {
                    import_results_from(format, BufReader::new(File::open(file)?), &def, &opts)?
                } else {
                    import_results(format, &std::fs::read(file)?, &def, &opts)?
                };
                let s = t.elapsed().as_secs_f64();
                eprintln!(
                    "{} statements in {:.1} ms: {:.1} MiB/s",
                    st.len(),
                    s * 1e3,
                    size / s / (1024.0 * 1024.0)
                );
            }
        }
        other => return Err(format!("unknown mode {other:?}").into()),
    }
    Ok(())
}
