//! The preview `skytale submit --dry-run` prints: per unit and contest what would be signed,
//! each number beside the line of the file it came from, so an official checks the statements
//! against the export itself before anything is signed or sent.

use std::fmt::Write;

use skytale_formats::{Figure, Trace};
use skytale_model::{ContestReport, Count, CountType, ResultsStatement, ValidDefinition};

/// Most lines listed for one number; past it the count of lines is given.
const MAX_LINES_SHOWN: usize = 4;

/// The preview of `statements`, read from the file `file` with `trace` (empty for formats
/// that keep no lines: then the numbers stand alone).
pub fn preview(
    def: &ValidDefinition,
    file: &str,
    statements: &[ResultsStatement],
    trace: &Trace,
) -> String {
    let lang = def.definition().default_language.as_str();
    let mut out = String::new();
    if trace.is_empty() {
        let _ = writeln!(
            out,
            "{file}: {} statement(s); this format keeps no line numbers, the figures are the file's own",
            statements.len()
        );
    } else {
        let _ = writeln!(out, "{file}: {} statement(s)", statements.len());
    }
    for st in statements {
        let unit = def
            .unit_index(&st.unit)
            .map(|u| def.text(&def.units()[u].name, lang).to_string())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "\nunit {} {unit:?} · version {} · {}",
            st.unit,
            st.version,
            format!("{:?}", st.status).to_lowercase()
        );
        for report in &st.contests {
            contest(&mut out, def, lang, &st.unit, report, trace);
        }
    }
    out
}

fn contest(
    out: &mut String,
    def: &ValidDefinition,
    lang: &str,
    unit: &str,
    report: &ContestReport,
    trace: &Trace,
) {
    let c = &report.contest;
    let dc = def.contest_index(c).map(|i| &def.contests()[i]);
    let name = dc.map(|d| def.text(&d.name, lang)).unwrap_or_default();
    let lines = trace.contest_lines(unit, c);
    let _ = writeln!(out, "  contest {c} {name:?}{}", at(&lines));
    let mut rows: Vec<(String, u64, Vec<u64>)> = Vec::new();
    for (sel, counts) in &report.selections {
        let label = dc
            .and_then(|d| d.selections.iter().find(|s| &s.id == sel))
            .map(|s| format!("{sel} {:?}", def.text(&s.name, lang)))
            .unwrap_or_else(|| sel.clone());
        let total = ContestReport::selection_total(counts);
        let figure = |t: CountType| Figure::Votes {
            selection: sel.clone(),
            count_type: t,
        };
        let all: Vec<u64> = counts
            .keys()
            .flat_map(|t| trace.lines(unit, c, &figure(*t)).to_vec())
            .collect();
        rows.push((format!("    {label}"), total, sorted(all)));
        // The parts when there are several (election day, mail…), each with its own lines.
        if counts.len() > 1 {
            for (t, n) in counts.iter() {
                let l = trace.lines(unit, c, &figure(*t)).to_vec();
                rows.push((format!("      {}", t.as_str()), n.get(), l));
            }
        }
    }
    let others: [(&str, Option<Count>, Option<Figure>); 5] = [
        ("ballots cast", report.ballots, Some(Figure::Ballots)),
        ("overvotes", report.overvotes, Some(Figure::Overvotes)),
        ("undervotes", report.undervotes, Some(Figure::Undervotes)),
        ("blank", report.blank, Some(Figure::Blank)),
        ("invalid", report.invalid, Some(Figure::Invalid)),
    ];
    for (label, n, figure) in others {
        if let Some(n) = n {
            let l = figure
                .map(|f| trace.lines(unit, c, &f).to_vec())
                .unwrap_or_default();
            rows.push((format!("    {label}"), n.get(), l));
        }
    }
    let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let digits = rows.iter().map(|r| grouped(r.1).len()).max().unwrap_or(0);
    for (label, n, l) in rows {
        let pad = width - label.chars().count();
        let _ = writeln!(out, "{label}{:pad$}  {:>digits$}{}", "", grouped(n), at(&l));
    }
}

fn sorted(mut v: Vec<u64>) -> Vec<u64> {
    v.sort_unstable();
    v.dedup();
    v
}

/// `  (line 7)`, `  (lines 7, 9)`, `  (lines 7, 9, 12, 15 and 3 more)`, or nothing.
fn at(lines: &[u64]) -> String {
    match lines {
        [] => String::new(),
        [one] => format!("  (line {one})"),
        many => {
            let shown: Vec<String> = many
                .iter()
                .take(MAX_LINES_SHOWN)
                .map(u64::to_string)
                .collect();
            let more = many.len().saturating_sub(MAX_LINES_SHOWN);
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!("  (lines {}{tail})", shown.join(", "))
        }
    }
}

/// `73517` → `73,517`.
fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_and_lines_summarised() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(73_517), "73,517");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(at(&[]), "");
        assert_eq!(at(&[7]), "  (line 7)");
        assert_eq!(at(&[7, 9]), "  (lines 7, 9)");
        assert_eq!(at(&[1, 2, 3, 4, 5, 6]), "  (lines 1, 2, 3, 4 and 2 more)");
    }
}
