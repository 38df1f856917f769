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
use skytale_tally::LogPosition;

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
    let _ = write!(
        x,
        "<p>{} – {}</p>",
        esc(name),
        esc(&m.get(lang, "publication", &[("size", &size)]))
    );
    for h in headlines.iter().take(POST_CONTESTS) {
        let Some(ci) = def.contest_index(&h.contest) else {
            continue;
        };
        let contest = &def.contests()[ci];
        let leaders: Vec<String> = h
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
        let reporting = m.get(
            lang,
            "reporting",
            &[
                ("reporting", &format_int(lang, h.units_reporting)),
                ("total", &format_int(lang, h.units_total)),
            ],
        );
        let _ = write!(
            x,
            "<p>{}: {}. {}.</p>",
            esc(def.text(&contest.name, lang)),
            esc(&if leaders.is_empty() {
                m.get(lang, "no-results", &[])
                    .trim_end_matches('.')
                    .to_string()
            } else {
                format!("{} {}", m.get(lang, "leading", &[]), leaders.join(", "))
            }),
            esc(&reporting),
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
