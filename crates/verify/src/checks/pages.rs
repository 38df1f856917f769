//! The files of the public site: HTML pages, embeds, Open Graph cards, the Atom feed of
//! publications and the assets. They are re-rendered with the renderer the server uses
//! ([`skytale_render::Site`], a pure function of the tally at a published size, with the
//! publication history from the log) at the snapshot each names and compared byte for byte, in
//! every content coding the source serves, so no number on any of them can differ from the log
//! unnoticed.

use rayon::prelude::*;
use skytale_render::Site;

use crate::report::{Failure, Step};

/// The URL paths of every file of the site (pages, embeds, cards, the Atom feed, assets), the
/// same whatever the figures: a site's files are a function of its definition only. The pages
/// a large election renders on demand are listed too (rendered once with no figures, unit by
/// unit on every core, to learn their paths).
pub fn site_paths(site: &Site) -> Vec<String> {
    let def = site.definition().clone();
    let tally = skytale_tally::Tally::new(def);
    let pos = skytale_tally::LogPosition {
        tree_size: 0,
        root_hash: String::new(),
        published_at: None,
    };
    let mut paths: Vec<String> = site.render_all(&tally, &pos, &[]).into_keys().collect();
    paths.par_extend(
        site.on_demand_units()
            .into_par_iter()
            .flat_map_iter(|u| site.render_unit(&tally, &pos, &[], u, None).into_keys()),
    );
    paths
}

/// Names the first differing line of a site file that is not the recomputed one.
pub fn report_difference(location: &str, got: &[u8], expected: &[u8], n: u64, step: &mut Step) {
    let (what, got, want) = first_text_difference(got, expected);
    step.fail(Failure::new(
        "page_mismatch",
        format!("{location} {what}"),
        format!("published {got:?}, but the log gives {want:?} (at tree size {n})"),
    ));
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
