//! Shared helpers of the data-driven tests: paths into the repository's `testdata/` (missing
//! data FAILS), test keys, and the import → tally pipeline.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use skytale_formats::{derive_definition, import_results, Format, ImportOptions, Mapping};
use skytale_model::{Definition, ReportStatus, ResultsStatement, ValidDefinition};
use skytale_note::{SigningKey, VerifierKey};
use skytale_tally::{LogPosition, ResultsDoc, Tally};

pub fn data(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/")).join(rel)
}

/// Reads a data file; a missing file fails the test (it must never silently pass).
pub fn read(rel: &str) -> Vec<u8> {
    let p = data(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("test data {} is missing: {e}", p.display()))
}

pub fn list(rel_dir: &str, ext: &str) -> Vec<PathBuf> {
    let dir = data(rel_dir);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("test data folder {} is missing: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no .{ext} files in {}", dir.display());
    v
}

pub fn keys() -> (VerifierKey, VerifierKey) {
    let a = SigningKey::from_seed("authority", [1; 32])
        .unwrap()
        .verifier();
    let r = SigningKey::from_seed("county", [2; 32]).unwrap().verifier();
    (a, r)
}

pub fn derive(format: Format, bytes: &[u8], id: &str) -> Definition {
    let (a, r) = keys();
    derive_definition(format, bytes, id, a, "county", r).unwrap_or_else(|e| panic!("derive: {e}"))
}

pub fn opts<'a>(id: &'a str, mapping: Option<&'a Mapping>) -> ImportOptions<'a> {
    ImportOptions {
        election: id,
        version: 1,
        submitted_at: "2026-01-01T00:00:00Z",
        status: ReportStatus::Complete,
        mapping,
        source_name: Some("test-file"),
    }
}

pub fn pos() -> LogPosition {
    LogPosition {
        tree_size: 1,
        root_hash: "AAAA".into(),
        published_at: None,
    }
}

pub struct Run {
    pub def: Arc<ValidDefinition>,
    pub statements: Vec<ResultsStatement>,
    pub tally: Tally,
}

impl Run {
    pub fn doc(&self) -> ResultsDoc {
        self.tally.document(&pos())
    }
}

/// derive → import → tally, the way `election create --from` and `submit` of one file work.
pub fn run(format: Format, bytes: &[u8], id: &str) -> Run {
    let def = Arc::new(
        derive(format, bytes, id)
            .validate()
            .expect("derived definition is valid"),
    );
    let statements = import_results(format, bytes, &def, &opts(id, None))
        .unwrap_or_else(|e| panic!("import: {e}"));
    let mut tally = Tally::new(def.clone());
    for s in &statements {
        tally.apply(s);
    }
    Run {
        def,
        statements,
        tally,
    }
}

/// Votes of a selection (matched by name, case-insensitive, any language) in the contest whose
/// name equals `contest` (case-insensitive).
pub fn votes(doc: &ResultsDoc, contest: &str, selection: &str) -> u64 {
    let c = doc
        .contests
        .iter()
        .find(|c| c.name.values().any(|n| n.eq_ignore_ascii_case(contest)))
        .unwrap_or_else(|| {
            panic!(
                "no contest {contest:?}; have {:?}",
                doc.contests
                    .iter()
                    .map(|c| c.name.values().next().cloned())
                    .collect::<Vec<_>>()
            )
        });
    c.selections
        .iter()
        .find(|s| s.name.values().any(|n| n.eq_ignore_ascii_case(selection)))
        .unwrap_or_else(|| {
            panic!(
                "no selection {selection:?} in {contest:?}; have {:?}",
                c.selections
                    .iter()
                    .map(|s| s.name.values().next().cloned())
                    .collect::<Vec<_>>()
            )
        })
        .votes
}

pub fn by_type(doc: &ResultsDoc, contest: &str, selection: &str, t: &str) -> u64 {
    let c = doc
        .contests
        .iter()
        .find(|c| c.name.values().any(|n| n.eq_ignore_ascii_case(contest)))
        .unwrap();
    let s = c
        .selections
        .iter()
        .find(|s| s.name.values().any(|n| n.eq_ignore_ascii_case(selection)))
        .unwrap();
    s.by_count_type.get(t).copied().unwrap_or(0)
}

/// Concatenates CSV files with the same header (the statewide file is the county files joined).
pub fn concat_csv(paths: &[PathBuf]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut header: Option<Vec<u8>> = None;
    for p in paths {
        let b = std::fs::read(p).unwrap();
        let nl = b.iter().position(|&c| c == b'\n').unwrap_or(b.len());
        let (h, rest) = b.split_at(nl);
        match &header {
            None => {
                header = Some(h.to_vec());
                out.extend_from_slice(&b);
            }
            Some(h0) => {
                assert_eq!(h0.as_slice(), h, "{} has another header", p.display());
                out.extend_from_slice(rest.strip_prefix(b"\n").unwrap_or(rest));
            }
        }
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    out
}
