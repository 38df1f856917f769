//! The parsers never panic: random bytes and real files mutated at random are fed to every
//! importer (errors are fine, panics are not). These are the fuzz targets of `fuzz/` run as
//! property tests, so they run on stable in CI.

mod common;
use common::*;
use proptest::prelude::*;
use skytale_formats::{import_results, Format};

fn seeds() -> Vec<(Format, Vec<u8>)> {
    vec![
        (Format::Csv, read("openelections/pa_2020_general/counties/20201103__pa__general__clinton__precinct.csv")[..6000].to_vec()),
        (Format::ClarityXml, read("clarity/clarify__precinct_KY_Greenup_2014_primary.xml")),
        (Format::NistXml, read("nist-1500-100/cdf-test-method/err-gen-03.xml")),
        (Format::NistJson, read("nist-1500-100/cdf-test-method/err-gen-03.json")),
    ]
}

/// What a fuzz target does: derive, and import into a definition derived from the seed.
fn exercise(f: Format, seed: &[u8], bytes: &[u8]) {
    let (a, r) = keys();
    let _ =
        skytale_formats::derive_definition(f, bytes, "fuzz-2024-01-01", a.clone(), "c", r.clone());
    if let Ok(def) = skytale_formats::derive_definition(f, seed, "fuzz-2024-01-01", a, "c", r) {
        if let Ok(def) = def.validate() {
            let _ = import_results(f, bytes, &def, &opts("fuzz-2024-01-01", None));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn mutated_real_files_never_panic(which in 0usize..4, edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..20)) {
        let seeds = seeds();
        let (f, seed) = &seeds[which];
        let mut b = seed.clone();
        for (i, byte, op) in edits {
            if b.is_empty() { break; }
            let at = i.index(b.len());
            match op {
                0 => b[at] = byte,
                1 => { b.remove(at); }
                _ => b.insert(at, byte),
            }
        }
        exercise(*f, seed, &b);
    }

    #[test]
    fn random_bytes_never_panic(which in 0usize..4, bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let seeds = seeds();
        let (f, seed) = &seeds[which];
        exercise(*f, seed, &bytes);
    }

    #[test]
    fn truncated_files_never_panic(which in 0usize..4, cut in any::<prop::sample::Index>()) {
        let seeds = seeds();
        let (f, seed) = &seeds[which];
        let n = cut.index(seed.len());
        exercise(*f, seed, &seed[..n]);
    }
}

#[test]
fn native_format_round_trips_statements() {
    let r = run(
        Format::ClarityXml,
        &read("clarity/elex-clarity__ga_bacon_precincts_11-3.xml"),
        "bacon",
    );
    let json = serde_json::to_vec(&r.statements).unwrap();
    let back = import_results(Format::Native, &json, &r.def, &opts("bacon", None)).unwrap();
    assert_eq!(back, r.statements);
    let one = serde_json::to_vec(&r.statements[0]).unwrap();
    assert_eq!(
        import_results(Format::Native, &one, &r.def, &opts("bacon", None))
            .unwrap()
            .len(),
        1
    );
    assert!(import_results(
        Format::Native,
        b"{\"election\": 3}",
        &r.def,
        &opts("bacon", None)
    )
    .is_err());
}
