//! Format detection reads structure, not the first bytes: every vendored file is told by its
//! root element, keys or header row, and a NIST CDF JSON report rewritten with its keys in any
//! order (sorted, `@type` first or last, shuffled), pretty-printed after a blank line or a
//! byte-order mark, is still told NIST JSON and imports to the same definition and statements.

mod common;
use common::*;

use proptest::prelude::*;
use serde_json::{Map, Value};
use skytale_formats::{import_results, Format};
use skytale_model::ResultsStatement;

/// The NIST test method's reports with counts, then the pre-election ones (definitions only).
const CDF_RESULTS: &[&str] = &[
    "err-gen-01",
    "err-gen-02",
    "err-gen-03",
    "err-prim-01",
    "err-prim-02",
    "err-prim-03",
    "err-2022-09-06-Massachusetts-Cambridge",
];
const CDF_PRE_ELECTION: &[&str] = &[
    "pe-err-gen-01",
    "pe-err-gen-02",
    "pe-err-gen-03",
    "pe-err-prim-01",
    "pe-err-prim-02",
    "pe-err-prim-03",
];

fn cdf(name: &str, ext: &str) -> Vec<u8> {
    read(&format!("nist-1500-100/cdf-test-method/{name}.{ext}"))
}

/// An object's entries, in the order they are to be written.
type Entries<'a> = Vec<(&'a String, &'a Value)>;

/// `value` with every object's keys put in the order `order` gives them.
fn reordered(value: &Value, order: &mut dyn FnMut(&mut Entries<'_>)) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Entries<'_> = map.iter().collect();
            order(&mut entries);
            let mut out = Map::new();
            for (k, v) in entries {
                out.insert(k.clone(), reordered(v, order));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| reordered(v, order)).collect()),
        other => other.clone(),
    }
}

/// The report as an exporter that sorts keys writes it: pretty-printed after `prefix`.
fn rewritten(bytes: &[u8], prefix: &str, order: &mut dyn FnMut(&mut Entries<'_>)) -> Vec<u8> {
    let v: Value = serde_json::from_slice(bytes).unwrap();
    let mut out = prefix.as_bytes().to_vec();
    out.extend(serde_json::to_vec_pretty(&reordered(&v, order)).unwrap());
    out.push(b'\n');
    out
}

/// Keys sorted by code point: `@type` first.
fn sorted(entries: &mut Entries<'_>) {
    entries.sort_by(|a, b| a.0.cmp(b.0));
}

/// Keys sorted with `@type` (and `@id`) last, as NIST's own examples have them.
fn sorted_type_last(entries: &mut Entries<'_>) {
    entries.sort_by_key(|(k, _)| (k.starts_with('@'), k.to_string()));
}

/// Keys sorted backwards: the report's generic keys (`Status`, `SequenceStart`…) come before
/// the ones that decide.
fn reverse_sorted(entries: &mut Entries<'_>) {
    entries.sort_by(|a, b| b.0.cmp(a.0));
}

/// Statements without the file's hash (which a rewritten file changes, and nothing else may).
fn without_hash(mut statements: Vec<ResultsStatement>) -> Vec<ResultsStatement> {
    for s in &mut statements {
        if let Some(src) = s.source.as_mut() {
            src.sha256.clear();
        }
    }
    statements
}

/// The derived definition (as JSON) and the imported statements of a CDF JSON report.
fn imported(bytes: &[u8]) -> (String, Vec<ResultsStatement>) {
    let def = derive(Format::NistJson, bytes, "cdf");
    let text = serde_json::to_string(&def).unwrap();
    let def = def.validate().unwrap_or_else(|e| panic!("{e:?}"));
    let st = import_results(Format::NistJson, bytes, &def, &opts("cdf", None))
        .unwrap_or_else(|e| panic!("import: {e}"));
    (text, without_hash(st))
}

#[test]
fn every_vendored_file_is_told_by_its_structure() {
    for name in CDF_RESULTS.iter().chain(CDF_PRE_ELECTION) {
        assert_eq!(
            Format::detect(cdf(name, "json").as_slice()).unwrap(),
            Format::NistJson,
            "{name}.json"
        );
        assert_eq!(
            Format::detect(cdf(name, "xml").as_slice()).unwrap(),
            Format::NistXml,
            "{name}.xml"
        );
    }
    for path in list("clarity", "xml") {
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            Format::detect(bytes.as_slice()).unwrap(),
            Format::ClarityXml,
            "{}",
            path.display()
        );
    }
    let mut csvs = list("openelections/pa_2020_general", "csv");
    csvs.extend(list("openelections/pa_2020_general/counties", "csv"));
    csvs.extend(list("openelections/ga_2022_general_runoff", "csv"));
    for path in csvs {
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            Format::detect(bytes.as_slice()).unwrap(),
            Format::Csv,
            "{}",
            path.display()
        );
    }
    // Our own statements, as `import_results` makes them from a vendored file.
    let r = run(Format::NistJson, &cdf("err-gen-03", "json"), "cdf");
    let native = serde_json::to_vec_pretty(&r.statements).unwrap();
    assert_eq!(Format::detect(native.as_slice()).unwrap(), Format::Native);
    let one = serde_json::to_vec(&r.statements[0]).unwrap();
    assert_eq!(Format::detect(one.as_slice()).unwrap(), Format::Native);
}

/// NIST's own JSON examples open with a long `Election` (their `@type` is the last key), which
/// a guess from the first 4 KB could not place; a JSON Schema is JSON but no results file, and
/// the error names its first keys.
#[test]
fn what_fits_no_format_is_named_in_the_error() {
    let schema = read(
        "nist-1500-100/cdf-test-method/catalog_NIST_V2_election_results_reporting.draft07.json",
    );
    let e = Format::detect(schema.as_slice()).unwrap_err().to_string();
    assert!(
        e.starts_with("cannot tell its format: it is a JSON object with the keys"),
        "{e}"
    );
    assert!(e.contains("\"$schema\""), "{e}");
    let xsd = read("nist-1500-100/NIST_V2_election_results_reporting.xsd");
    let e = Format::detect(xsd.as_slice()).unwrap_err().to_string();
    assert!(
        e.contains("root element is <schema> in namespace \"http://www.w3.org/2001/XMLSchema\""),
        "{e}"
    );
}

#[test]
fn sorted_key_reports_are_told_nist_json_and_import_the_same() {
    type Order = fn(&mut Entries<'_>);
    let orders: [(&str, Order); 3] = [
        ("sorted", sorted),
        ("sorted, @type last", sorted_type_last),
        ("reverse sorted", reverse_sorted),
    ];
    for name in CDF_RESULTS.iter().chain(CDF_PRE_ELECTION) {
        let original = cdf(name, "json");
        let want = imported(&original);
        for (label, mut order) in orders {
            for prefix in ["\n", "\u{feff}\n", "\u{feff}"] {
                let bytes = rewritten(&original, prefix, &mut order);
                assert_eq!(
                    Format::detect(bytes.as_slice()).unwrap(),
                    Format::NistJson,
                    "{name}, {label}, after {prefix:?}"
                );
                assert!(imported(&bytes) == want, "{name}, {label}: another import");
            }
        }
    }
}

/// A tiny deterministic generator for the shuffles (the property's seed picks the orders).
struct SplitMix(u64);
impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any order of any object's keys, pretty or compact, after any of the prefixes exporters
    /// write: the same definition and the same statements.
    #[test]
    fn a_cdf_report_with_its_keys_in_any_order_imports_the_same(
        seed in any::<u64>(),
        file in prop::sample::select(vec!["err-gen-03", "err-prim-03", "pe-err-gen-03"]),
        prefix in prop::sample::select(vec!["", "\n", "\u{feff}", "\u{feff}\r\n  "]),
        pretty in any::<bool>(),
    ) {
        let original = cdf(file, "json");
        let mut rng = SplitMix(seed);
        let mut shuffle = |entries: &mut Entries<'_>| {
            for i in (1..entries.len()).rev() {
                let j = (rng.next() % (i as u64 + 1)) as usize;
                entries.swap(i, j);
            }
        };
        let mut bytes = rewritten(&original, prefix, &mut shuffle);
        if !pretty {
            let v: Value = serde_json::from_slice(&bytes[prefix.len()..]).unwrap();
            bytes = prefix.as_bytes().to_vec();
            bytes.extend(serde_json::to_vec(&v).unwrap());
        }
        prop_assert_eq!(Format::detect(bytes.as_slice()).unwrap(), Format::NistJson);
        prop_assert!(imported(&bytes) == imported(&original));
    }
}
