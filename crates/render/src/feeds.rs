//! Feeds and downloads: the Atom feed of publications (RFC 4287) and CSV of a contest's
//! results by unit (RFC 4180).

use std::fmt::Write as _;

use skytale_model::ValidDefinition;
use skytale_tally::{ContestResult, LogPosition, ResultsDoc};

use crate::html::{esc, seg};
use crate::i18n::{format_int, messages};
use crate::social::Headline;
use crate::{PublicationRecord, MAX_FEED_ENTRIES};

/// The feed time of a publication: its log time (in UTC, whole seconds: RFC 4287 wants
/// upper-case `T` and `Z`, which RFC 3339 leaves optional), else midnight UTC of election day
/// (a feed entry needs a date, and the clock is not an input).
fn updated(def: &ValidDefinition, published_at: Option<&str>) -> String {
    published_at
        .and_then(skytale_model::utc_seconds)
        .unwrap_or_else(|| format!("{}T00:00:00Z", def.definition().date))
}

/// The Atom feed: one entry per publication (earlier ones from `history`, then the current
/// one), newest first, at most [`MAX_FEED_ENTRIES`]. Text in the default language.
///
/// Without publications (`automatic` mode: every statement is public once sequenced, and the
/// log records no grouping of them) the current state is followed by one entry per contest
/// with results, in the definition's order: its units reporting, its leading choices, the
/// tree size and root they are from. A contest's entry id names its figures (units
/// reporting, ballots, valid votes), so a feed reader sees a new entry whenever they move,
/// and the feed stays a pure function of the log prefix, which `skytale verify` recomputes.
pub fn atom(
    def: &ValidDefinition,
    pos: &LogPosition,
    history: &[PublicationRecord],
    doc: &ResultsDoc,
) -> String {
    let d = def.definition();
    let lang = d.default_language.as_str();
    let m = messages();
    let mut entries: Vec<(u64, &str, Option<&str>)> = history
        .iter()
        .filter(|h| h.tree_size != pos.tree_size)
        .map(|h| (h.tree_size, h.root_hash.as_str(), h.published_at.as_deref()))
        .collect();
    entries.push((
        pos.tree_size,
        pos.root_hash.as_str(),
        pos.published_at.as_deref(),
    ));
    entries.sort_by_key(|e| std::cmp::Reverse(e.0));
    entries.dedup_by_key(|e| e.0);
    entries.truncate(MAX_FEED_ENTRIES);
    let name = def.text(&d.name, lang);
    let overview = format!("/{}/{}/", lang, d.id);
    // A test election says so in every title a feed reader shows.
    let test = if d.test {
        format!("{}: ", m.get(lang, "test-banner", &[]))
    } else {
        String::new()
    };
    let mut x = String::new();
    let _ = write!(
        x,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n<id>urn:skytale:{}:publications</id>\n<title>{}{}</title>\n<updated>{}</updated>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<author><name>{}</name></author>\n",
        esc(lang),
        esc(&d.id),
        esc(&test),
        esc(&m.get(lang, "feed-title", &[("election", name)])),
        esc(&updated(def, entries.first().and_then(|e| e.2))),
        esc(&overview),
        esc(name),
    );
    for (size, root, at) in entries {
        let size_text = format_int(lang, size);
        let _ = write!(
            x,
            "<entry>\n<id>urn:skytale:{}:publication:{size}</id>\n<title>{}{}</title>\n<updated>{}</updated>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<link rel=\"related\" type=\"application/json\" href=\"/api/v1/elections/{}/results\"/>\n<content type=\"text\">{}: {size}. {}: {}</content>\n</entry>\n",
            esc(&d.id),
            esc(&test),
            esc(&m.get(lang, "publication", &[("size", &size_text)])),
            esc(&updated(def, at)),
            esc(&overview),
            esc(&d.id),
            esc(&m.get(lang, "tree-size", &[])),
            esc(&m.get(lang, "root-hash", &[])),
            esc(root),
        );
    }
    if history.is_empty() {
        contest_entries(&mut x, def, pos, doc, lang);
    }
    x.push_str("</feed>\n");
    x
}

/// The per-contest entries of a feed without publications (see [`atom`]).
fn contest_entries(
    x: &mut String,
    def: &ValidDefinition,
    pos: &LogPosition,
    doc: &ResultsDoc,
    lang: &str,
) {
    let m = messages();
    let d = def.definition();
    let at = updated(def, pos.published_at.as_deref());
    let test = if d.test {
        format!("{}: ", m.get(lang, "test-banner", &[]))
    } else {
        String::new()
    };
    for c in doc
        .contests
        .iter()
        .filter(|c| c.units_reporting > 0)
        .take(MAX_FEED_ENTRIES - 1)
    {
        let h = Headline::of(c);
        let Some(leaders) = h.leaders_text(def, lang) else {
            continue;
        };
        let name = def
            .contest_index(&c.id)
            .map_or(c.id.as_str(), |i| def.text(&def.contests()[i].name, lang));
        let _ = write!(
            x,
            "<entry>\n<id>urn:skytale:{}:contest:{}:{}-{}-{}</id>\n<title>{}{}: {}</title>\n<updated>{}</updated>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<link rel=\"related\" type=\"application/json\" href=\"/api/v1/elections/{}/results/{}\"/>\n<content type=\"text\">{}. {}: {}. {}: {}</content>\n</entry>\n",
            esc(&d.id),
            esc(&c.id),
            c.units_reporting,
            c.ballots,
            c.valid_votes,
            esc(&test),
            esc(name),
            esc(&h.reporting_text(lang)),
            esc(&at),
            esc(&format!("/{}/{}/{}/", seg(lang), seg(&d.id), seg(&c.id))),
            esc(&d.id),
            esc(&c.id),
            esc(&leaders),
            esc(&m.get(lang, "tree-size", &[])),
            pos.tree_size,
            esc(&m.get(lang, "root-hash", &[])),
            esc(&pos.root_hash),
        );
    }
}

/// One CSV field, quoted when it contains a comma, quote or line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A contest's results by unit, every level down to the leaves: one row per unit, one column
/// per selection (votes). Names in the default language. Plain integers, `\r\n` line ends.
pub fn contest_csv(def: &ValidDefinition, c: &ContestResult) -> String {
    let lang = def.definition().default_language.as_str();
    let mut out = String::from(
        "unit_id,unit_name,level,parent,reported,units_reporting,units_total,registered,ballots",
    );
    for s in &c.selections {
        out.push(',');
        out.push_str(&csv_field(&s.id));
    }
    out.push_str("\r\n");
    for u in &c.units {
        let name = def
            .unit_index(&u.id)
            .map(|i| def.text(&def.units()[i].name, lang))
            .unwrap_or("");
        let _ = write!(
            out,
            "{},{},{},{},{},{},{},{},{}",
            csv_field(&u.id),
            csv_field(name),
            csv_field(u.level.as_deref().unwrap_or("")),
            csv_field(u.parent.as_deref().unwrap_or("")),
            u.reported,
            u.units_reporting,
            u.units_total,
            u.registered,
            u.ballots
        );
        for s in &c.selections {
            let _ = write!(out, ",{}", u.votes.get(&s.id).copied().unwrap_or(0));
        }
        out.push_str("\r\n");
    }
    out
}
