//! The export feeds: NIST SP 1500-100 CDF (`cdf.json`, `cdf.xml`) and the CSV per contest
//! (`results/<contest>.csv`). They are recomputed with the exporters the server uses
//! ([`skytale_formats::export`]) from the replayed tally and compared byte for byte.
//!
//! The CSV names no tree size, so every feed is compared with the latest published size
//! first, then with the other sizes the results documents claim: on a live site a feed may
//! lag one publication behind (a note); on a published directory it must be the latest. A
//! feed the source does not publish is noted, not failed: verify checks what is published.

use skytale_tally::{LogPosition, Tally};
use skytale_tlog::Tree;

use crate::replay::Replayer;
use crate::report::{Failure, Step};

/// Which export a feed is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedKind {
    CdfJson,
    CdfXml,
    /// The CSV of one contest.
    Csv(String),
    /// The rounds CSV of one ranked-choice contest.
    Rounds(String),
}

impl FeedKind {
    /// The feed's path below the source, as the server routes it.
    pub fn path(&self, election: &str) -> String {
        match self {
            FeedKind::CdfJson => format!("api/v1/elections/{election}/cdf.json"),
            FeedKind::CdfXml => format!("api/v1/elections/{election}/cdf.xml"),
            FeedKind::Csv(c) => format!("api/v1/elections/{election}/results/{c}.csv"),
            FeedKind::Rounds(c) => format!("api/v1/elections/{election}/results/{c}.rounds.csv"),
        }
    }
}

/// A fetched feed (`bytes` is `None` when the source does not publish it).
#[derive(Clone, Debug)]
pub struct Feed {
    pub location: String,
    pub kind: FeedKind,
    pub bytes: Option<Vec<u8>>,
}

/// The feed as the server would render it from `tally` at published size `n`.
pub fn render(kind: &FeedKind, tally: &Tally, pos: &LogPosition) -> Option<Vec<u8>> {
    let def = tally.definition();
    match kind {
        FeedKind::CdfJson | FeedKind::CdfXml => {
            let contests: Vec<_> = def
                .contests()
                .iter()
                .filter_map(|c| tally.contest_document(&c.id, pos))
                .flat_map(|d| d.contests)
                .collect();
            Some(if *kind == FeedKind::CdfJson {
                skytale_formats::export::cdf_json(def, &contests, pos)
            } else {
                skytale_formats::export::cdf_xml(def, &contests, pos)
            })
        }
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

/// Checks one feed against the replay. `sizes`: published sizes worth trying besides the
/// latest (those the results documents claim).
pub fn check(
    feed: &Feed,
    replay: &Replayer,
    tree: &Tree,
    sizes: &[u64],
    live: bool,
    step: &mut Step,
) {
    let Some(bytes) = &feed.bytes else {
        step.note(format!("{}: not published", feed.location));
        return;
    };
    let latest = replay.published_size();
    let expected_at = |n: u64| -> Option<Vec<u8>> {
        render(
            &feed.kind,
            replay.tally_at(n)?,
            &replay.position_at(n, tree)?,
        )
    };
    let Some(expected) = expected_at(latest) else {
        step.fail(Failure::new(
            "feed_unknown",
            feed.location.clone(),
            "the election definition has no such contest",
        ));
        return;
    };
    if *bytes == expected {
        return;
    }
    let shows = |n| expected_at(n).as_deref() == Some(bytes.as_slice());
    if super::judge_stale("feed", &feed.location, sizes, latest, live, step, shows) {
        return;
    }
    let (line, got, want) = first_line_difference(bytes, &expected);
    step.fail(Failure::new(
        "feed_mismatch",
        format!("{} line {line}", feed.location),
        format!("published {got:?}, but the log gives {want:?} (at tree size {latest})"),
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
