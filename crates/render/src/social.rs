//! The text of a publication's post to the fediverse, in each of the election's languages.
//!
//! Pure like the rest of the crate: the same definition, figures and snapshot give the same
//! text. It says what a reader needs to judge the post and to check it: the election, the
//! publication (its tree size), the leading choices of the first contests with their shares
//! and how many units report, a link to the full results, and the tree size and root hash the
//! figures are from, so anybody can check the post against the log. Only messages the site
//! already has are used, so every language of the site has every line.

use std::fmt::Write as _;

use skytale_model::ValidDefinition;
use skytale_tally::{ContestResult, LogPosition};

use crate::html::{esc, seg};
use crate::i18n::{format_int, format_percent, messages};

/// Contests a post names (a post is short; the link has the rest).
pub const POST_CONTESTS: usize = 3;
/// Leading choices named per contest.
pub const POST_LEADERS: usize = 3;

/// One contest's headline figures at a snapshot (ids as in the results document).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Headline {
    pub contest: String,
    pub units_reporting: u64,
    pub units_total: u64,
    /// The choices with the most votes, most first: (selection id, votes, share in percent
    /// as the results document writes it).
    pub leaders: Vec<(String, u64, String)>,
}

impl Headline {
    /// The headline of a contest of a results document: its choices with votes, most first
    /// (ties in the document's order), at most [`POST_LEADERS`].
    pub fn of(c: &ContestResult) -> Headline {
        let mut sel: Vec<_> = c.selections.iter().filter(|s| s.votes > 0).collect();
        sel.sort_by_key(|s| std::cmp::Reverse(s.votes));
        Headline {
            contest: c.id.clone(),
            units_reporting: c.units_reporting,
            units_total: c.units_total,
            leaders: sel
                .into_iter()
                .take(POST_LEADERS)
                .map(|s| (s.id.clone(), s.votes, s.share.clone()))
                .collect(),
        }
    }

    /// "Leading A 60.00% (300), B 40.00% (200)" in `lang` (plain text; "Most votes …" once
    /// every unit has reported), or the site's "no results" when no choice has a vote; `None`
    /// for a contest the definition lacks.
    pub fn leaders_text(&self, def: &ValidDefinition, lang: &str) -> Option<String> {
        let m = messages();
        let ci = def.contest_index(&self.contest)?;
        let contest = &def.contests()[ci];
        let leaders: Vec<String> = self
            .leaders
            .iter()
            .take(POST_LEADERS)
            .filter_map(|(sid, votes, share)| {
                let si = def.selection_index(ci, sid)?;
                let sel = contest.selections.get(si)?;
                Some(format!(
                    "{} {} ({})",
                    def.text(&sel.name, lang),
                    format_percent(lang, share),
                    format_int(lang, *votes)
                ))
            })
            .collect();
        Some(if leaders.is_empty() {
            m.get(lang, "no-results", &[])
                .trim_end_matches('.')
                .to_string()
        } else {
            // Once every unit has reported nobody is "leading" any more: the site's own words.
            let done = self.units_total > 0 && self.units_reporting >= self.units_total;
            let label = if done { "most-votes" } else { "leading" };
            format!("{} {}", m.get(lang, label, &[]), leaders.join(", "))
        })
    }

    /// "3 of 4 units reporting" in `lang`.
    pub fn reporting_text(&self, lang: &str) -> String {
        messages().get(
            lang,
            "reporting",
            &[
                ("reporting", &format_int(lang, self.units_reporting)),
                ("total", &format_int(lang, self.units_total)),
            ],
        )
    }
}

/// The post of the snapshot at `pos` in `lang`, as the HTML fragment ActivityPub's `content`
/// carries (paragraphs and links only, everything escaped). `base` is the site's public
/// address without a trailing slash.
pub fn post_html(
    def: &ValidDefinition,
    lang: &str,
    pos: &LogPosition,
    headlines: &[Headline],
    base: &str,
) -> String {
    let m = messages();
    let d = def.definition();
    let name = def.text(&d.name, lang);
    let size = format_int(lang, pos.tree_size);
    let mut x = String::new();
    // A test election's posts say so first: they must never pass for results.
    if d.test {
        let _ = write!(
            x,
            "<p><strong>{}</strong> – {}</p>",
            esc(&m.get(lang, "test-banner", &[])),
            esc(&m.get(lang, "test-note", &[]))
        );
    }
    let _ = write!(
        x,
        "<p>{} – {}</p>",
        esc(name),
        esc(&m.get(lang, "publication", &[("size", &size)]))
    );
    for h in headlines.iter().take(POST_CONTESTS) {
        let (Some(ci), Some(leaders)) = (def.contest_index(&h.contest), h.leaders_text(def, lang))
        else {
            continue;
        };
        let _ = write!(
            x,
            "<p>{}: {}. {}.</p>",
            esc(def.text(&def.contests()[ci].name, lang)),
            esc(&leaders),
            esc(&h.reporting_text(lang)),
        );
    }
    let link = format!("{base}/{}/{}/", seg(lang), seg(&d.id));
    let _ = write!(
        x,
        "<p><a href=\"{}\">{}</a></p><p>{}: {}. {}: {}</p>",
        esc(&link),
        esc(&m.get(lang, "full-results", &[])),
        esc(&m.get(lang, "tree-size", &[])),
        pos.tree_size,
        esc(&m.get(lang, "root-hash", &[])),
        esc(&pos.root_hash),
    );
    x
}

/// The path of the social card of a post: the first contest's Open Graph card (PNG), which
/// the site renders for every contest.
pub fn card_path(def: &ValidDefinition) -> Option<String> {
    let d = def.definition();
    let c = def.contests().first()?;
    Some(format!("/og/{}/{}.png", seg(&d.id), seg(&c.id)))
}

/// The alternative text of [`card_path`]'s image in `lang`.
pub fn card_alt(def: &ValidDefinition, lang: &str) -> String {
    let Some(c) = def.contests().first() else {
        return String::new();
    };
    messages().get(
        lang,
        "og-image-alt",
        &[("contest", def.text(&c.name, lang))],
    )
}
