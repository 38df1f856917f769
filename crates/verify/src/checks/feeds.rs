//! The export feeds: NIST SP 1500-100 CDF (`cdf.json`, `cdf.xml`, and `cdf.google.xml` in
//! Google's profile), EML 510/520 (`eml.510.xml`, `eml.520.xml`) and the CSV per contest
//! (`results/<contest>.csv`, `.rounds.csv`). They are recomputed with the exporters the server
//! uses ([`skytale_formats::export`]) from the replayed tally at the snapshot each names (the
//! CSV has no place for it in its body; the response header names it) and compared byte for
//! byte.

use skytale_tally::changes::{changes_document, ChangeIndex};
use skytale_tally::{LogPosition, Tally};

use crate::report::{Failure, Step};

/// Which export a feed is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FeedKind {
    CdfJson,
    CdfXml,
    /// `cdf.google.xml`: the XML in Google's profile.
    CdfGoogleXml,
    /// EML 510 (EML_NL count per reporting unit).
    Eml510,
    /// EML 520 (EML_NL result).
    Eml520,
    /// The CSV of one contest.
    Csv(String),
    /// The rounds CSV of one ranked-choice contest.
    Rounds(String),
    /// The change feed from the start (`changes`, no cursor): every contest and unit reported
    /// up to the snapshot. Served only live (a published directory answers no query).
    Changes,
}

impl FeedKind {
    /// The feed's path below the source, as the server routes it.
    pub fn path(&self, election: &str) -> String {
        match self {
            FeedKind::CdfJson => format!("api/v1/elections/{election}/cdf.json"),
            FeedKind::CdfXml => format!("api/v1/elections/{election}/cdf.xml"),
            FeedKind::CdfGoogleXml => format!("api/v1/elections/{election}/cdf.google.xml"),
            FeedKind::Eml510 => format!("api/v1/elections/{election}/eml.510.xml"),
            FeedKind::Eml520 => format!("api/v1/elections/{election}/eml.520.xml"),
            FeedKind::Csv(c) => format!("api/v1/elections/{election}/results/{c}.csv"),
            FeedKind::Rounds(c) => format!("api/v1/elections/{election}/results/{c}.rounds.csv"),
            FeedKind::Changes => format!("api/v1/elections/{election}/changes"),
        }
    }
}

/// The feed as the server would render it from `tally` at published size `n` (`changes`:
/// the replayed statements by index, for the change feed).
pub fn render(
    kind: &FeedKind,
    tally: &Tally,
    pos: &LogPosition,
    changes: &ChangeIndex,
) -> Option<Vec<u8>> {
    let def = tally.definition();
    match kind {
        FeedKind::Changes => Some(changes_document(tally, changes, 0, pos)),
        FeedKind::CdfJson | FeedKind::CdfXml | FeedKind::CdfGoogleXml => {
            let contests = skytale_formats::export::tally_contests(tally, pos);
            Some(match kind {
                FeedKind::CdfJson => skytale_formats::export::cdf_json(def, &contests, pos),
                FeedKind::CdfXml => skytale_formats::export::cdf_xml(def, &contests, pos),
                _ => skytale_formats::export::cdf_xml_google(def, &contests, pos),
            })
        }
        FeedKind::Eml510 => Some(skytale_formats::export::eml_510(tally, pos)),
        FeedKind::Eml520 => Some(skytale_formats::export::eml_520(tally, pos)),
        FeedKind::Csv(c) => {
            let doc = tally.contest_document(c, pos)?;
            let contest = doc.contests.first()?;
            Some(skytale_formats::export::contest_csv(def, contest))
        }
        FeedKind::Rounds(c) => {
            let doc = tally.contest_document(c, pos)?;
            skytale_formats::export::rounds_csv(def, doc.contests.first()?)
        }
    }
}

/// Names the first differing line of a feed that is not the recomputed one.
pub fn report_difference(location: &str, got: &[u8], expected: &[u8], n: u64, step: &mut Step) {
    let (line, got, want) = first_line_difference(got, expected);
    step.fail(Failure::new(
        "feed_mismatch",
        format!("{location} line {line}"),
        format!("published {got:?}, but the log gives {want:?} (at tree size {n})"),
    ));
}

/// The first differing line (1-based) and both versions of it, shortened.
fn first_line_difference(published: &[u8], expected: &[u8]) -> (usize, String, String) {
    let a = String::from_utf8_lossy(published);
    let b = String::from_utf8_lossy(expected);
    let mut la = a.lines();
    let mut lb = b.lines();
    let mut n = 0;
    loop {
        n += 1;
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (None, None) => return (n, "(same lines, different bytes)".into(), String::new()),
            (x, y) => {
                let cut = |s: Option<&str>| match s {
                    None => "(end of file)".to_owned(),
                    Some(s) if s.chars().count() > 160 => {
                        format!("{}…", s.chars().take(157).collect::<String>())
                    }
                    Some(s) => s.to_owned(),
                };
                return (n, cut(x), cut(y));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_first_differing_line() {
        assert_eq!(
            first_line_difference(b"a,b\n1,2\n3,4\n", b"a,b\n1,2\n3,5\n"),
            (3, "3,4".into(), "3,5".into())
        );
        assert_eq!(
            first_line_difference(b"a\n", b"a\nb\n"),
            (2, "(end of file)".into(), "b".into())
        );
    }
}
