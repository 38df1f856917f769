//! The source line of every figure (`submit --dry-run`'s preview) on real files: a traced
//! import gives the same statements as an ordinary one, every figure has a line, and the line
//! (for XML, the element the figure's count sits in) states the figure's number.

mod common;

use common::*;
use skytale_formats::{import_results, import_results_traced, Figure, Format, Trace};
use skytale_model::ResultsStatement;

/// The whole numbers a stretch of lines states, read both ways: digit runs as they stand,
/// and with thousands separators joined (`"1,234"` in a quoted CSV field is 1234).
fn numbers(lines: &[&str]) -> Vec<u64> {
    let text: String = lines.join("\n");
    let runs = |t: &str| -> Vec<u64> {
        t.split(|c: char| !c.is_ascii_digit())
            .filter_map(|d| d.parse().ok())
            .collect()
    };
    let b = text.as_bytes();
    let joined: String = text
        .char_indices()
        .filter(|&(i, c)| {
            !(c == ','
                && i > 0
                && b[i - 1].is_ascii_digit()
                && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        })
        .map(|(_, c)| c)
        .collect();
    let mut v = runs(&text);
    v.extend(runs(&joined));
    v
}

/// Checks every figure of `statements` against `trace` and the file's lines; `window` is how
/// many lines from the traced one the number may sit on (0 for CSV, where it is the row).
fn check(file: &str, text: &str, statements: &[ResultsStatement], trace: &Trace, window: usize) {
    let lines: Vec<&str> = text.lines().collect();
    let mut checked = 0;
    for st in statements {
        for report in &st.contests {
            let mut figures: Vec<(Figure, u64)> = Vec::new();
            for (sel, counts) in &report.selections {
                for (t, n) in counts.iter() {
                    let f = Figure::Votes {
                        selection: sel.clone(),
                        count_type: *t,
                    };
                    figures.push((f, n.get()));
                }
            }
            if let Some(b) = report.ballots {
                figures.push((Figure::Ballots, b.get()));
            }
            for (figure, n) in figures {
                let at = trace.lines(&st.unit, &report.contest, &figure);
                assert!(
                    !at.is_empty(),
                    "{file}: {figure:?} of {} in {} has no line",
                    report.contest,
                    st.unit
                );
                // A figure summed from several rows states no single number.
                if let [line] = at {
                    let from = (*line as usize).saturating_sub(1);
                    let to = (from + 1 + window).min(lines.len());
                    assert!(
                        numbers(&lines[from..to]).contains(&n),
                        "{file}: {figure:?} of {} in {} = {n}, but line {line} says {:?}",
                        report.contest,
                        st.unit,
                        &lines[from..to]
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 0, "{file}: no figure was checked");
}

fn traced(format: Format, rel: &str, window: usize) {
    // The id carries the date for the files that state none (CSV).
    let id = "t-2020-11-03";
    let bytes = read(rel);
    let r = run(format, &bytes, id);
    let (statements, trace) =
        import_results_traced(format, bytes.as_slice(), &r.def, &opts(id, None))
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
    let plain = import_results(format, &bytes, &r.def, &opts(id, None)).unwrap();
    assert_eq!(statements, plain, "{rel}: tracing changed the statements");
    check(
        rel,
        &String::from_utf8_lossy(&bytes),
        &statements,
        &trace,
        window,
    );
}

#[test]
fn every_csv_figure_names_the_row_that_states_it() {
    traced(
        Format::Csv,
        "openelections/pa_2020_general/counties/20201103__pa__general__clinton__precinct.csv",
        0,
    );
}

#[test]
fn every_clarity_figure_names_the_element_that_states_it() {
    for f in [
        "clarity/clarify__precinct_KY_Greenup_2014_primary.xml",
        "clarity/clarify__county_AR_2014_general.xml",
        "clarity/elex-clarity__ga_bacon_precincts_11-3.xml",
    ] {
        traced(Format::ClarityXml, f, 0);
    }
}

#[test]
fn every_nist_xml_figure_names_its_vote_counts_element() {
    let files = list("nist-1500-100/cdf-test-method", "xml");
    // Pre-election files carry no counts; the results files must.
    for p in files
        .iter()
        .filter(|p| !p.to_string_lossy().contains("/pe-"))
    {
        let rel = p
            .strip_prefix(data(""))
            .unwrap()
            .to_string_lossy()
            .into_owned();
        // The count is a child of the traced <VoteCounts> element, a few lines below it.
        traced(Format::NistXml, &rel, 8);
    }
}

#[test]
fn reading_the_numbers_of_a_line() {
    let n = numbers(&["a,1,234,5"]);
    assert!(
        n.contains(&1) && n.contains(&234) && n.contains(&5),
        "{n:?}"
    );
    let n = numbers(&["\"1,234\",7"]);
    assert!(n.contains(&1234) && n.contains(&7), "{n:?}");
    assert_eq!(numbers(&["votes=\"351\" x"]), vec![351, 351]);
}
