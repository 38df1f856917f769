//! Streaming import (`import_results_from`, `derive_definition_from`) gives the same statements
//! and definitions as the whole-file functions on every real CSV file, whatever the chunks the
//! reader hands out; errors keep their file and line. (The size limit on a stream is tested in
//! `lib.rs` with a small limit.)

mod common;
use std::io::Read;

use common::*;
use skytale_formats::{
    derive_definition_from, derive_definition_with, import_results, import_results_from,
    DeriveOptions, Format, FormatError, Mapping,
};

/// A reader handing out at most `n` bytes per call (a pipe, a slow disk).
struct Chunks<'a> {
    rest: &'a [u8],
    n: usize,
}

impl Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.n.min(buf.len()).min(self.rest.len());
        buf[..k].copy_from_slice(&self.rest[..k]);
        self.rest = &self.rest[k..];
        Ok(k)
    }
}

fn same_both_ways(rel: &str, id: &str, date: Option<&str>, mapping: Option<&Mapping>) {
    let bytes = read(rel);
    let (a, r) = keys();
    let dopts = DeriveOptions { date, mapping };
    let whole = derive_definition_with(Format::Csv, &bytes, id, a.clone(), "c", r.clone(), &dopts)
        .unwrap_or_else(|e| panic!("{rel}: {e}"));
    for n in [1, 3, 4096, 1 << 20] {
        let streamed = derive_definition_from(
            Format::Csv,
            Chunks { rest: &bytes, n },
            id,
            a.clone(),
            "c",
            r.clone(),
            &dopts,
        )
        .unwrap();
        assert_eq!(streamed, whole, "{rel}: definition, chunks of {n}");
    }
    let def = whole.validate().unwrap();
    let o = opts(id, mapping);
    let st = import_results(Format::Csv, &bytes, &def, &o).unwrap();
    for n in [1, 7, 65536] {
        let streamed =
            import_results_from(Format::Csv, Chunks { rest: &bytes, n }, &def, &o).unwrap();
        assert_eq!(streamed, st, "{rel}: statements, chunks of {n}");
    }
    // The source's hash is the file's, computed as it streamed past.
    let sha = skytale_formats::sha256_hex(&bytes);
    assert!(st
        .iter()
        .all(|s| s.source.as_ref().is_some_and(|x| x.sha256 == sha)));
}

#[test]
fn real_csv_files_stream_to_the_same_results() {
    same_both_ways(
        "openelections/ga_2022_general_runoff/20221206__ga__general_runoff__precinct.csv",
        "ga-2022-12-06",
        None,
        None,
    );
    for county in ["centre", "clinton", "somerset"] {
        same_both_ways(
            &format!(
                "openelections/pa_2020_general/counties/20201103__pa__general__{county}__precinct.csv"
            ),
            "pa-2020-11-03",
            None,
            None,
        );
    }
    let boulder =
        Mapping::from_toml(include_str!("../mappings/boulder-statement-of-votes.toml")).unwrap();
    same_both_ways(
        "openelections/other_layouts/2024G-Boulder-County-Official-Statement-of-Votes.csv",
        "boulder-2024",
        Some("2024-11-05"),
        Some(&boulder),
    );
    let co = Mapping::from_toml(include_str!("../mappings/clarity-summary-csv.toml")).unwrap();
    same_both_ways(
        "openelections/other_layouts/20241105__co__general__clarity_summary.csv",
        "co-2024-11-05",
        None,
        Some(&co),
    );
}

#[test]
fn streamed_errors_name_file_and_line() {
    // CRLF endings, a blank line and a quoted newline before the bad row: line 6 all the same.
    let csv = "county,precinct,office,district,party,candidate,votes\r\n\
               A,P1,Gov,,D,X,10\r\n\
               \r\n\
               A,\"P\n2\",Gov,,D,X,3\r\n\
               A,P3,Gov,,D,X,1x\r\n";
    let def = derive(
        Format::Csv,
        b"county,precinct,office,district,party,candidate,votes\nA,P1,Gov,,D,X,1\n",
        "x-2024-01-01",
    )
    .validate()
    .unwrap();
    for n in [1, 2, 4096] {
        let e = import_results_from(
            Format::Csv,
            Chunks {
                rest: csv.as_bytes(),
                n,
            },
            &def,
            &opts("x-2024-01-01", None),
        )
        .unwrap_err();
        let at = e.location().unwrap();
        assert_eq!(at.line, Some(6), "{e}");
        assert_eq!(at.field.as_deref(), Some("votes"), "{e}");
        assert_eq!(at.file.as_deref(), Some("test-file"), "{e}");
        assert!(matches!(e, FormatError::Syntax { .. }), "{e}");
    }
}

#[test]
fn latin1_is_recognised_at_the_first_non_utf8_field_and_mixed_encodings_are_refused() {
    let head = b"county,precinct,office,district,party,candidate,votes\n".to_vec();
    // Undeclared, ASCII first, then a windows-1252 byte: read as Latin-1.
    let mut latin = head.clone();
    latin.extend_from_slice(b"A,P1,Gov,,D,X,1\nA,P1,Gov,,D,Jos\xe9,2\n");
    let def = derive(Format::Csv, &latin, "x-2024-01-01");
    assert!(def.contests[0]
        .selections
        .iter()
        .any(|s| s.name["en"] == "José"));
    // UTF-8 `é` on line 2, a Latin-1 byte on line 3: which one is meant cannot be known.
    let mut mixed = head;
    mixed.extend_from_slice("A,P1,Gov,,D,Zoé,1\n".as_bytes());
    mixed.extend_from_slice(b"A,P1,Gov,,D,Jos\xe9,2\n");
    let (a, r) = keys();
    let e = skytale_formats::derive_definition(Format::Csv, &mixed, "x-2024-01-01", a, "c", r)
        .unwrap_err();
    assert_eq!(e.location().unwrap().line, Some(3), "{e}");
    assert!(e.to_string().contains("line 2"), "{e}");
}
