//! The parsers never panic: random bytes and real files mutated at random are fed to format
//! detection and every importer (errors are fine, panics are not). These are the fuzz targets
//! of `fuzz/` (in this crate's folder) run as property tests, so they run on stable in CI.

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
    let _ = Format::detect(bytes);
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

/// A reader handing out `n` bytes at a time.
struct Chunks<'a>(&'a [u8], usize);

impl std::io::Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.1.min(buf.len()).min(self.0.len());
        buf[..k].copy_from_slice(&self.0[..k]);
        self.0 = &self.0[k..];
        Ok(k)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Streaming a mutated CSV in chunks of any size gives what the whole-file import gives:
    /// the same statements, or the same error (message, file and line).
    #[test]
    fn streamed_csv_equals_whole_csv(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..12), chunk in 1usize..300) {
        let seed = seeds().swap_remove(0).1;
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
        let (a, r) = keys();
        if let Ok(def) = skytale_formats::derive_definition(Format::Csv, &seed, "fuzz-2024-01-01", a, "c", r) {
            let def = def.validate().unwrap();
            let o = opts("fuzz-2024-01-01", None);
            let whole = import_results(Format::Csv, &b, &def, &o).map_err(|e| e.to_string());
            let streamed = skytale_formats::import_results_from(Format::Csv, Chunks(&b, chunk), &def, &o)
                .map_err(|e| e.to_string());
            prop_assert_eq!(streamed, whole);
        }
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

/// The importer skips the model's count checks only where they cannot fail: a total beside
/// broken-down counts that do not add up must still be refused, naming the line.
#[test]
fn inconsistent_total_and_parts_are_still_refused() {
    let csv = "county,precinct,office,district,party,candidate,votes,election_day\n\
               A,P1,Gov,,D,X,10,\n\
               A,P1,Gov,,D,X,5,5\n";
    let def = derive(Format::Csv, csv.as_bytes(), "x-2024-01-01")
        .validate()
        .unwrap();
    let e = import_results(
        Format::Csv,
        csv.as_bytes(),
        &def,
        &opts("x-2024-01-01", None),
    )
    .unwrap_err();
    assert!(e.to_string().contains("differs from the sum"), "{e}");
    assert_eq!(e.location().unwrap().line, Some(2), "{e}");
    // Consistent: the same shape with parts that add up to the total is accepted.
    let ok = "county,precinct,office,district,party,candidate,votes,election_day\n\
              A,P1,Gov,,D,X,5,\n\
              A,P1,Gov,,D,X,5,5\n";
    let def = derive(Format::Csv, ok.as_bytes(), "x-2024-01-01")
        .validate()
        .unwrap();
    assert!(import_results(
        Format::Csv,
        ok.as_bytes(),
        &def,
        &opts("x-2024-01-01", None)
    )
    .is_ok());
}

/// Figures that add up past the model's largest count are refused by the model's check.
#[test]
fn accumulated_counts_above_the_limit_are_refused() {
    // Clarity: two vote types mapping to one count type are added.
    let big = skytale_model::MAX_COUNT;
    let x = format!(
        "<ElectionResult><Region>R</Region><Contest key=\"1\" text=\"Gov\">\
         <Choice key=\"1\" text=\"X\">\
         <VoteType name=\"Absentee\" votes=\"{big}\"><Precinct name=\"P1\" votes=\"{big}\"/></VoteType>\
         <VoteType name=\"Absentee by Mail Votes\" votes=\"1\"><Precinct name=\"P1\" votes=\"1\"/></VoteType>\
         </Choice></Contest></ElectionResult>"
    );
    let (a, r) = keys();
    match skytale_formats::derive_definition(
        Format::ClarityXml,
        x.as_bytes(),
        "x-2024-01-01",
        a,
        "c",
        r,
    ) {
        Ok(def) => {
            let def = def.validate().unwrap();
            let e = import_results(
                Format::ClarityXml,
                x.as_bytes(),
                &def,
                &opts("x-2024-01-01", None),
            )
            .unwrap_err();
            assert!(e.to_string().contains("larger than"), "{e}");
        }
        Err(e) => panic!("derive: {e}"),
    }
}
