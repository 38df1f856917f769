//! The HTML pages of the public site. They are re-rendered with the renderer the server uses
//! ([`skytale_render::Site`], a pure function of the tally at a published size) and compared
//! byte for byte, so no number on a page can differ from the log unnoticed. The Atom feed of
//! publications is compared the same way; both take the publication history from the log
//! ([`Replayer::history_at`]).
//!
//! Pages are compared shallow first (overview, contests, regions) up to [`MAX_PAGES`], so a
//! national election's hundreds of thousands of polling-station pages do not make a check of
//! a live site take hours; the report says how many of how many were compared. As with the
//! feeds, a live site may show the previous publication on some pages (a note); a published
//! directory must show the latest.

use std::collections::BTreeMap;

use skytale_render::Site;
use skytale_tlog::Tree;

use crate::replay::Replayer;
use crate::report::{Failure, Step};
use crate::source::Source;

/// Most pages fetched and compared in one run.
pub const MAX_PAGES: usize = 2_000;
/// Rounds (a second apart) a live site gets to show the latest publication on every page.
const LIVE_RETRIES: usize = 5;

/// The site's HTML pages and Atom feed at published size `n`, by URL path, rendered with the
/// publication history the log gives at `n` (so the change column and the feed's entries are
/// checked too).
fn render_at(replay: &Replayer, tree: &Tree, n: u64) -> Option<BTreeMap<String, Vec<u8>>> {
    let tally = replay.tally_at(n)?;
    let pos = replay.position_at(n, tree)?;
    let history = replay.history_at(n)?;
    let site = Site::new(tally.definition().clone())
        .ok()?
        .with_precompression(false);
    Some(
        site.render_all(tally, &pos, &history)
            .into_iter()
            .filter(|(_, r)| {
                r.content_type.starts_with("text/html")
                    || r.content_type.starts_with("application/atom+xml")
            })
            .map(|(p, r)| (p, r.body))
            .collect(),
    )
}

/// Where a page's URL path lives in the source (a published directory keeps `index.html`).
fn source_path(source: &Source, url_path: &str) -> String {
    let p = url_path.trim_start_matches('/');
    match source {
        Source::Dir(_) if p.is_empty() || p.ends_with('/') => format!("{p}index.html"),
        _ => p.to_owned(),
    }
}

/// Fetches and compares the pages; returns (compared, rendered) counts.
pub async fn check(
    source: &Source,
    replay: &Replayer,
    tree: &Tree,
    sizes: &[u64],
    step: &mut Step,
) -> (usize, usize) {
    let latest = replay.published_size();
    let Some(expected) = render_at(replay, tree, latest) else {
        step.note("the pages could not be re-rendered (no renderer for this definition)");
        return (0, 0);
    };
    let mut paths: Vec<&String> = expected.keys().collect();
    paths.sort_by_key(|p| (p.matches('/').count(), p.as_str()));
    paths.truncate(MAX_PAGES);
    let live = !source.is_static();
    let mut older: BTreeMap<u64, Option<BTreeMap<String, Vec<u8>>>> = BTreeMap::new();
    let mut compared = 0;
    let mut missing = 0;
    let mut unreadable = 0;
    // Pages that differ from the latest publication, with what the source showed.
    let mut differing: Vec<(&String, Vec<u8>)> = Vec::new();
    for path in paths {
        let at = source_path(source, path);
        let got = match source.get(&at).await {
            Ok(Some(b)) => b,
            Ok(None) => {
                missing += 1;
                continue;
            }
            // A live site answers 503 while it renders after a start; an unreadable page
            // shows no number, so it is noted. A published directory must be readable.
            Err(e) if live => {
                unreadable += 1;
                if unreadable == 1 {
                    step.note(format!("{}: {} (not compared)", e.location, e.why));
                }
                continue;
            }
            Err(e) => {
                step.fail(Failure::new("page_unreadable", e.location, e.why));
                continue;
            }
        };
        compared += 1;
        if got != expected[path.as_str()] {
            differing.push((path, got));
        }
    }
    // A live site re-renders its pages a little after each publication (paced to its render
    // cost): give it a few seconds to catch up before judging what still differs.
    for _ in 0..LIVE_RETRIES {
        if !live || differing.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let mut still = Vec::new();
        for (path, old) in differing {
            let got = match source.get(&source_path(source, path)).await {
                Ok(Some(b)) => b,
                _ => old,
            };
            if got != expected[path.as_str()] {
                still.push((path, got));
            }
        }
        differing = still;
    }
    for (path, got) in differing {
        let at = source_path(source, path);
        let want = &expected[path.as_str()];
        let location = source.locate(&at);
        let shows = |n| {
            older
                .entry(n)
                .or_insert_with(|| render_at(replay, tree, n))
                .as_ref()
                .and_then(|m| m.get(path.as_str()))
                == Some(&got)
        };
        if super::judge_stale("page", &location, sizes, latest, live, step, shows) {
            continue;
        }
        let (what, got, want) = first_text_difference(&got, want);
        step.fail(Failure::new(
            "page_mismatch",
            format!("{location} {what}"),
            format!("published {got:?}, but the log gives {want:?} (at tree size {latest})"),
        ));
    }
    if missing > 0 {
        step.note(format!("{missing} pages are not published by this source"));
    }
    if unreadable > 1 {
        step.note(format!(
            "{unreadable} pages could not be read (not compared)"
        ));
    }
    (compared, expected.len())
}

/// Where two pages first differ: the line, and both texts around the first differing
/// character (what a reader would see changed, e.g. a number).
fn first_text_difference(published: &[u8], expected: &[u8]) -> (String, String, String) {
    let a = String::from_utf8_lossy(published);
    let b = String::from_utf8_lossy(expected);
    let at = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map(|((i, _), _)| i)
        .unwrap_or(a.len().min(b.len()));
    let line = a[..at].matches('\n').count() + 1;
    let around = |s: &str| {
        let start = s[..at.min(s.len())]
            .char_indices()
            .rev()
            .nth(30)
            .map_or(0, |(i, _)| i);
        s[start..].chars().take(70).collect::<String>()
    };
    (format!("line {line}"), around(&a), around(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_line_and_the_changed_text() {
        let (line, got, want) =
            first_text_difference(b"<p>x</p>\n<td>1,030</td>\n", b"<p>x</p>\n<td>1,130</td>\n");
        assert_eq!(line, "line 2");
        assert!(
            got.contains("1,030") && want.contains("1,130"),
            "{got} {want}"
        );
    }
}
