//! Finding one's way in a large ballot: contests grouped under the definition's headings, the
//! search form and the index page it lands on, and each place's ballot page ("what is on my
//! county's ballot, and how is it going here").
//!
//! Everything works without JavaScript: the search form is a plain GET form whose target, the
//! index page, lists every contest and (up to [`MAX_INDEXED_PLACES`]) every place, so a static
//! copy of the site (`skytale publish`) answers it too; the live script only narrows the list to
//! what matches `?q=` as one types. A live server answers `?q=` itself with the results page
//! ([`search_results_body`]: every contest and every place whose name or id contains the
//! query, polling stations included, whatever the size of the election), matched as the live
//! script matches ([`fold`]).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use unicode_normalization::UnicodeNormalization as _;

use skytale_model::{ContestGroup, LocalizedText, ValidDefinition};
use skytale_tally::Tally;

use super::{
    changed, chart_html, json, meta_html, progress_html, t, Ctx, Numbers, RenderState, Slide,
};
use crate::html::{esc, seg};
use crate::i18n::format_int;
use crate::{digest, Rendered};

/// Contest indexes under each heading: the definition's groups in their order (each with the
/// contests that name it, in definition order), then the contests of no group under `None`.
/// Headings with no contest are left out.
pub(crate) fn grouped(
    def: &ValidDefinition,
    contests: impl IntoIterator<Item = usize>,
) -> Vec<(Option<&ContestGroup>, Vec<usize>)> {
    let groups = &def.definition().groups;
    let mut by: Vec<Vec<usize>> = vec![Vec::new(); groups.len() + 1];
    for ci in contests {
        let g = def.contests()[ci]
            .group
            .as_deref()
            .and_then(|g| groups.iter().position(|x| x.id == g))
            .unwrap_or(groups.len());
        by[g].push(ci);
    }
    by.into_iter()
        .enumerate()
        .filter(|(_, v)| !v.is_empty())
        .map(|(i, v)| (groups.get(i), v))
        .collect()
}

/// The heading of a group of contests: its name, else "Other contests" when the election
/// has headings, else "Contests".
pub(crate) fn group_heading(ctx: &Ctx<'_>, lang: &str, g: Option<&ContestGroup>) -> String {
    match g {
        Some(g) => ctx.def.text(&g.name, lang).to_string(),
        None if ctx.def.definition().groups.is_empty() => t(lang, "contests"),
        None => t(lang, "other-contests"),
    }
}

/// A DOM id for a group's section.
pub(crate) fn group_anchor(g: Option<&ContestGroup>) -> String {
    match g {
        Some(g) => format!("g-{}", seg(&g.id)),
        None => "g--other".to_string(),
    }
}

pub(crate) fn search_path(ctx: &Ctx<'_>, lang: &str) -> String {
    format!("/{}/{}/search/", seg(lang), seg(ctx.eid))
}

/// `?q=` and `query`, percent-encoded as a form sends it (so the path template of the
/// language switcher, which replaces `{lang}`, never meets a brace of the query).
pub(crate) fn query_string(query: &str) -> String {
    let mut p = String::from("?q=");
    for b in query.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            p.push(b as char);
        } else if b == b' ' {
            p.push('+');
        } else {
            let _ = write!(p, "%{b:02X}");
        }
    }
    p
}

pub(crate) fn ballot_path(ctx: &Ctx<'_>, lang: &str, uid: &str) -> String {
    format!("/{}/{}/ballot/{}/", seg(lang), seg(ctx.eid), seg(uid))
}

/// The search form: a GET form to the index page, which lists everything (and which the live
/// script narrows to `?q=`).
pub(crate) fn search_form(ctx: &Ctx<'_>, lang: &str) -> String {
    search_form_with(ctx, lang, "")
}

/// The search form holding `query` (the results page shows what was searched, ready to edit).
fn search_form_with(ctx: &Ctx<'_>, lang: &str, query: &str) -> String {
    let value = if query.is_empty() {
        String::new()
    } else {
        format!(" value=\"{}\"", esc(query))
    };
    format!(
        "<form class=\"search\" role=\"search\" action=\"{}\" method=\"get\"><label for=\"q\">{}</label><div><input type=\"search\" id=\"q\" name=\"q\"{value} autocomplete=\"off\" data-filter=\"#index\"><button type=\"submit\">{}</button></div></form>\n",
        esc(&search_path(ctx, lang)),
        esc(&t(lang, "search-label")),
        esc(&t(lang, "search-button"))
    )
}

/// Links to each group's section at the top of the overview (with the number of contests).
pub(crate) fn group_toc(
    ctx: &Ctx<'_>,
    lang: &str,
    groups: &[(Option<&ContestGroup>, Vec<usize>)],
) -> String {
    if groups.len() < 2 {
        return String::new();
    }
    let mut h = format!(
        "<nav aria-label=\"{}\"><ul class=\"toc\">",
        esc(&t(lang, "contests"))
    );
    for (g, list) in groups {
        let _ = write!(
            h,
            "<li><a href=\"#{}\">{}</a> <span class=\"count\">({})</span></li>",
            group_anchor(*g),
            esc(&group_heading(ctx, lang, *g)),
            esc(&format_int(ctx.loc(lang), list.len() as u64))
        );
    }
    h.push_str("</ul></nav>\n");
    h
}

/// Units listed in the index: every unit (each has pages, made in bulk or on demand), or only those with places below them when
/// that would be more than [`MAX_INDEXED_PLACES`] (a station is then found from its county,
/// or by the live server's search, which looks through every place).
pub const MAX_INDEXED_PLACES: usize = 3_000;

/// Most contests and places listed on a search's results page: a query of one letter matches
/// most of a national election's 200,000 places, and a page of all of them helps nobody.
pub const MAX_SEARCH_HITS: usize = 200;

/// Longest query the search answers, in bytes (UTF-8): longer than any place's name, and a
/// bound on the work a request can ask for.
pub const MAX_QUERY_BYTES: usize = 200;

/// Every unit in tree order: each place followed by the places in it.
fn tree_order(def: &ValidDefinition) -> Vec<usize> {
    let mut all = Vec::with_capacity(def.units().len());
    let mut stack = vec![def.root()];
    while let Some(u) = stack.pop() {
        all.push(u);
        stack.extend(def.children(u).iter().rev().copied());
    }
    all
}

/// The units the index lists, and whether it leaves out the places with none below them.
fn indexed_units(ctx: &Ctx<'_>) -> (Vec<usize>, bool) {
    let def = ctx.def;
    let all = tree_order(def);
    if all.len() <= MAX_INDEXED_PLACES {
        return (all, false);
    }
    let some = all
        .into_iter()
        .filter(|&u| !def.children(u).is_empty())
        .collect();
    (some, true)
}

/// Text as the search compares it, the live script's `fold`: lower case, decomposed (NFD),
/// without combining diacritical marks (U+0300 to U+036F), so "evry" finds "Évry" and
/// "MUNCHEN" finds "München".
pub(crate) fn fold(s: &str) -> String {
    s.to_lowercase()
        .nfd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .collect()
}

/// An id in lower case, when it has capitals (ids are ASCII: lower case is all their folding).
fn lower_id(id: &str) -> Option<Box<str>> {
    id.bytes()
        .any(|b| b.is_ascii_uppercase())
        .then(|| id.to_ascii_lowercase().into_boxed_str())
}

/// The folded names of one language, by unit and by contest index.
struct Folded {
    units: Vec<Arc<str>>,
    contests: Vec<Arc<str>>,
}

/// What a site's searches compare, made on the first search in each language and kept: folding
/// every name of a national election (200,000 places) for each query would cost a tenth of a
/// second per request. A name a language does not translate is shared with the default
/// language's, so the languages together hold each distinct name once.
#[derive(Default)]
pub(crate) struct SearchIndex {
    order: OnceLock<Vec<usize>>,
    /// Each unit's id in lower case where it differs from the id.
    unit_ids: OnceLock<Vec<Option<Box<str>>>>,
    folded: Mutex<HashMap<String, Arc<Folded>>>,
}

impl SearchIndex {
    fn order(&self, def: &ValidDefinition) -> &[usize] {
        self.order.get_or_init(|| tree_order(def))
    }

    /// Unit `u`'s id as the search compares it.
    fn unit_id<'a>(&'a self, def: &'a ValidDefinition, u: usize) -> &'a str {
        let lower = self
            .unit_ids
            .get_or_init(|| def.units().iter().map(|x| lower_id(&x.id)).collect());
        lower[u].as_deref().unwrap_or(&def.units()[u].id)
    }

    fn folded(&self, def: &ValidDefinition, lang: &str) -> Arc<Folded> {
        let lock = || self.folded.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = lock().get(lang) {
            return f.clone();
        }
        let default = def.definition().default_language.as_str();
        let base = (lang != default).then(|| self.folded(def, default));
        let fold_all = |names: Vec<&LocalizedText>, shared: Option<&Vec<Arc<str>>>| {
            names
                .into_iter()
                .enumerate()
                .map(|(i, name)| {
                    let here = def.text(name, lang);
                    match shared.and_then(|s| s.get(i)) {
                        Some(s) if here == def.text(name, default) => s.clone(),
                        _ => Arc::from(fold(here)),
                    }
                })
                .collect()
        };
        // Made outside the lock (two racing searches make the same thing).
        let made = Arc::new(Folded {
            units: fold_all(
                def.units().iter().map(|u| &u.name).collect(),
                base.as_ref().map(|b| &b.units),
            ),
            contests: fold_all(
                def.contests().iter().map(|c| &c.name).collect(),
                base.as_ref().map(|b| &b.contests),
            ),
        });
        lock().entry(lang.to_string()).or_insert(made).clone()
    }
}

/// What a search found: the matching contests and places (indexes, in the index's order), at
/// most [`MAX_SEARCH_HITS`] in all, contests first, and how many matched in all.
struct Hits {
    contests: Vec<usize>,
    places: Vec<usize>,
    contests_total: usize,
    places_total: usize,
}

fn find(ctx: &Ctx<'_>, lang: &str, query: &str) -> Hits {
    let def = ctx.def;
    let index = &ctx.site.search;
    let folded = index.folded(def, lang);
    let q = fold(query);
    let mut hits = Hits {
        contests: Vec::new(),
        places: Vec::new(),
        contests_total: 0,
        places_total: 0,
    };
    let mut room = MAX_SEARCH_HITS;
    let grouped_contests: Vec<usize> = grouped(def, 0..def.contests().len())
        .into_iter()
        .flat_map(|(_, v)| v)
        .collect();
    for ci in grouped_contests {
        let c = &def.contests()[ci];
        let id = lower_id(&c.id);
        if folded.contests[ci].contains(&q) || id.as_deref().unwrap_or(&c.id).contains(&q) {
            hits.contests_total += 1;
            if room > 0 {
                hits.contests.push(ci);
                room -= 1;
            }
        }
    }
    for &u in index.order(def) {
        if folded.units[u].contains(&q) || index.unit_id(def, u).contains(&q) {
            hits.places_total += 1;
            if room > 0 {
                hits.places.push(u);
                room -= 1;
            }
        }
    }
    hits
}

/// The crumbs of the index and of a search's results page: the election, then the index,
/// then (on a results page) what was searched.
fn search_crumbs(ctx: &Ctx<'_>, lang: &str, query: Option<&str>) -> String {
    let mut b = format!(
        "<nav aria-label=\"{}\"><ol class=\"crumbs\"><li><a href=\"{}\">{}</a></li>",
        esc(&t(lang, "breadcrumbs")),
        esc(&ctx.overview_path(lang)),
        esc(ctx.election_name(lang)),
    );
    match query {
        None => {
            let _ = write!(
                b,
                "<li aria-current=\"page\">{}</li>",
                esc(&t(lang, "search-title"))
            );
        }
        Some(q) => {
            let _ = write!(
                b,
                "<li><a href=\"{}\">{}</a></li><li aria-current=\"page\">{}</li>",
                esc(&search_path(ctx, lang)),
                esc(&t(lang, "search-title")),
                esc(q)
            );
        }
    }
    b.push_str("</ol></nav>\n");
    b
}

/// The heading of a search's results page ("Search results for “…”").
pub(crate) fn search_results_heading(lang: &str, query: &str) -> String {
    crate::i18n::messages().get(lang, "search-results", &[("query", query)])
}

/// The page a live server answers `search/?q=` with: what was searched, the form holding it,
/// how many contests and places matched, the first [`MAX_SEARCH_HITS`] of them with their
/// links (a contest's page, a place's ballot page; a place with the place it lies in and its
/// id, since many stations share a name), and how many more matched. Inside `#index`, like the
/// index, so the live script narrows it further as one types. A function of the definition
/// and the query only.
pub(crate) fn search_results_body(ctx: &Ctx<'_>, lang: &str, query: &str) -> String {
    let def = ctx.def;
    let hits = find(ctx, lang, query);
    let loc = ctx.loc(lang);
    let total = hits.contests_total + hits.places_total;
    let mut b = search_crumbs(ctx, lang, Some(query));
    let _ = writeln!(b, "<h1>{}</h1>", esc(&search_results_heading(lang, query)));
    b.push_str(&search_form_with(ctx, lang, query));
    let found = if total == 0 {
        t(lang, "search-none")
    } else {
        crate::i18n::messages().get(
            lang,
            "search-found",
            &[("count", &format_int(loc, total as u64))],
        )
    };
    let _ = writeln!(
        b,
        "<p class=\"meta\" id=\"index-status\" aria-live=\"polite\" data-none=\"{}\">{}</p>",
        esc(&t(lang, "search-none")),
        esc(&found)
    );
    b.push_str("<div id=\"index\">\n");
    if hits.contests_total > 0 {
        let _ = write!(
            b,
            "<section><h2>{} <span class=\"count\">({})</span></h2><ul class=\"index\">",
            esc(&t(lang, "contests")),
            esc(&format_int(loc, hits.contests_total as u64))
        );
        for &ci in &hits.contests {
            let c = &def.contests()[ci];
            let _ = write!(
                b,
                "<li><a href=\"{}\">{}</a></li>",
                esc(&ctx.contest_path(lang, &c.id)),
                esc(def.text(&c.name, lang))
            );
        }
        b.push_str("</ul></section>\n");
    }
    if hits.places_total > 0 {
        let _ = write!(
            b,
            "<section><h2>{} <span class=\"count\">({})</span></h2><ul class=\"index\">",
            esc(&t(lang, "places")),
            esc(&format_int(loc, hits.places_total as u64))
        );
        for &u in &hits.places {
            let id = &def.units()[u].id;
            let within = match def.parent(u) {
                Some(p) => format!("{} · {}", ctx.unit_name_at(p, lang), id),
                None => id.clone(),
            };
            let _ = write!(
                b,
                "<li><a href=\"{}\">{}</a> <span class=\"count\">({})</span></li>",
                esc(&ballot_path(ctx, lang, id)),
                esc(ctx.unit_name_at(u, lang)),
                esc(&within)
            );
        }
        b.push_str("</ul></section>\n");
    }
    b.push_str("</div>\n");
    let shown = hits.contests.len() + hits.places.len();
    if total > shown {
        let _ = writeln!(
            b,
            "<p class=\"meta\">{}</p>",
            esc(&crate::i18n::messages().get(
                lang,
                "search-more",
                &[("count", &format_int(loc, (total - shown) as u64))]
            ))
        );
    }
    b
}

/// The page of a query longer than [`MAX_QUERY_BYTES`]: the index's crumbs and heading, what
/// went wrong, and an empty form to search again.
pub(crate) fn search_too_long_body(ctx: &Ctx<'_>, lang: &str) -> String {
    let mut b = search_crumbs(ctx, lang, None);
    let _ = writeln!(b, "<h1>{}</h1>", esc(&t(lang, "search-title")));
    let _ = writeln!(
        b,
        "<p class=\"status\" role=\"alert\"><strong>{}</strong></p>",
        esc(&t(lang, "search-too-long"))
    );
    b.push_str(&search_form(ctx, lang));
    b
}

/// The index page the search form lands on: every contest by group, every place (in tree
/// order, indented by depth) with a link to its ballot page.
pub(crate) fn search_body(ctx: &Ctx<'_>, lang: &str) -> String {
    let def = ctx.def;
    let (units, cut) = indexed_units(ctx);
    let mut b = search_crumbs(ctx, lang, None);
    let _ = writeln!(b, "<h1>{}</h1>", esc(&t(lang, "search-title")));
    b.push_str(&search_form(ctx, lang));
    let _ = writeln!(
        b,
        "<p class=\"meta\" id=\"index-status\" aria-live=\"polite\" data-none=\"{}\">{}</p>",
        esc(&t(lang, "search-none")),
        esc(&t(lang, "search-all"))
    );
    if cut {
        // Outside the status line, which the live script rewrites as one types.
        let _ = writeln!(b, "<p class=\"meta\">{}</p>", esc(&t(lang, "search-cut")));
    }
    b.push_str("<div id=\"index\">\n");
    let _ = write!(b, "<section><h2>{}</h2>", esc(&t(lang, "contests")));
    for (g, list) in grouped(def, 0..def.contests().len()) {
        let _ = write!(
            b,
            "<details open><summary>{} <span class=\"count\">({})</span></summary><ul class=\"index\">",
            esc(&group_heading(ctx, lang, g)),
            esc(&format_int(ctx.loc(lang), list.len() as u64))
        );
        for ci in list {
            let c = &def.contests()[ci];
            let _ = write!(
                b,
                "<li><a href=\"{}\">{}</a></li>",
                esc(&ctx.contest_path(lang, &c.id)),
                esc(def.text(&c.name, lang))
            );
        }
        b.push_str("</ul></details>");
    }
    b.push_str("</section>\n");
    let _ = write!(
        b,
        "<section><h2>{}</h2><details open><summary>{}</summary><ul class=\"index places\">",
        esc(&t(lang, "places")),
        esc(&t(lang, "ballot-by-place"))
    );
    let root = def.root();
    for u in units {
        let depth = depth_of(def, u, root);
        let _ = write!(
            b,
            "<li class=\"d{}\"><a href=\"{}\">{}</a></li>",
            depth.min(4),
            esc(&ballot_path(ctx, lang, &def.units()[u].id)),
            esc(ctx.unit_name_at(u, lang))
        );
    }
    b.push_str("</ul></details></section>\n</div>\n");
    b
}

fn depth_of(def: &ValidDefinition, mut u: usize, root: usize) -> usize {
    let mut d = 0;
    while u != root {
        match def.parent(u) {
            Some(p) => {
                u = p;
                d += 1;
            }
            None => break,
        }
    }
    d
}

/// The contests held at unit `u` with their figures there: every contest at the root;
/// elsewhere each contest whose area covers `u` (the contest's own totals when `u` is its
/// single area root).
pub(crate) fn slides_at(def: &ValidDefinition, tally: &Tally, u: usize) -> Vec<Slide> {
    let root = def.root();
    let mut slides = Vec::new();
    for (ci, _) in def.contests().iter().enumerate() {
        let area = def.contest_area(ci);
        let Some(head) = tally.contest_head(ci) else {
            continue;
        };
        if u == root || (area.len() == 1 && area[0] == u) {
            slides.push(Slide {
                ci,
                numbers: Numbers::of_contest(&head),
                status: head.status,
                result_type: head.result_type,
            });
        } else if area.iter().any(|&a| def.is_within(u, a)) {
            slides.push(Slide {
                ci,
                numbers: Numbers::of_unit(tally.unit_figures(ci, u)),
                status: head.status,
                result_type: tally.unit_result_type(ci, u).or(head.result_type),
            });
        }
    }
    slides
}

/// A place's ballot page (`/<lang>/<election>/ballot/<unit>/`), rendered when its contests'
/// figures there changed. Made with the place's other pages (`unit_pages`, and for the root by
/// `render`), so a place whose pages are made on demand gets its ballot page on demand too.
pub(crate) fn ballot(
    ctx: &Ctx<'_>,
    tally: &Tally,
    state: &mut RenderState,
    u: usize,
    out: &mut std::collections::BTreeMap<String, Rendered>,
) {
    let def = ctx.def;
    let e = seg(ctx.eid);
    let mut buf = Vec::new();
    let slides = slides_at(def, tally, u);
    for sl in &slides {
        buf.extend_from_slice(&(sl.ci as u64).to_le_bytes());
        sl.numbers.digest_bytes(&mut buf);
        buf.extend_from_slice(&json(&(sl.status, &sl.result_type)));
    }
    let uid = &def.units()[u].id;
    if !changed(
        state,
        format!("b:{uid}"),
        digest(&[ctx.status.as_bytes(), &buf]),
    ) {
        return;
    }
    for lang in &ctx.langs {
        let l = lang.as_str();
        let place = ctx.unit_name_at(u, l);
        let title = format!(
            "{} – {} – {}",
            crate::i18n::messages().get(l, "ballot-title", &[("place", place)]),
            ctx.election_name(l),
            t(l, "site-title")
        );
        let f = ctx.frame(
            l,
            title,
            format!("/{{lang}}/{e}/ballot/{}/", seg(uid)),
            false,
            None,
        );
        out.insert(
            ballot_path(ctx, l, uid),
            super::html_page(ctx, &f, &ballot_body(ctx, l, u, &slides)),
        );
    }
}

/// One place's ballot: where it lies, the places below it, and each contest held there by
/// group, with its figures there and a link to the contest's page for the place.
fn ballot_body(ctx: &Ctx<'_>, lang: &str, u: usize, slides: &[Slide]) -> String {
    let def = ctx.def;
    let place = ctx.unit_name_at(u, lang);
    let mut b = format!(
        "<nav aria-label=\"{}\"><ol class=\"crumbs\"><li><a href=\"{}\">{}</a></li>",
        esc(&t(lang, "breadcrumbs")),
        esc(&ctx.overview_path(lang)),
        esc(ctx.election_name(lang))
    );
    let mut above = Vec::new();
    let mut p = def.parent(u);
    while let Some(x) = p {
        above.push(x);
        p = def.parent(x);
    }
    for &a in above.iter().rev() {
        let _ = write!(
            b,
            "<li><a href=\"{}\">{}</a></li>",
            esc(&ballot_path(ctx, lang, &def.units()[a].id)),
            esc(ctx.unit_name_at(a, lang))
        );
    }
    let _ = writeln!(
        b,
        "<li aria-current=\"page\">{}</li></ol></nav>",
        esc(place)
    );
    // Outside the region the live script swaps, so typing is never interrupted.
    b.push_str(&search_form(ctx, lang));
    b.push_str("<div id=\"results\">\n");
    b.push_str(&ctx.test_banner(lang));
    let _ = writeln!(
        b,
        "<h1>{}</h1>",
        esc(&crate::i18n::messages().get(lang, "ballot-title", &[("place", place)]))
    );
    let kids: Vec<usize> = def.children(u).to_vec();
    if !kids.is_empty() {
        let _ = write!(
            b,
            "<details class=\"places\"><summary>{} <span class=\"count\">({})</span></summary><ul class=\"index\">",
            esc(&crate::i18n::messages().get(lang, "ballot-places", &[("place", place)])),
            esc(&format_int(ctx.loc(lang), kids.len() as u64))
        );
        for k in kids {
            let _ = write!(
                b,
                "<li><a href=\"{}\">{}</a></li>",
                esc(&ballot_path(ctx, lang, &def.units()[k].id)),
                esc(ctx.unit_name_at(k, lang))
            );
        }
        b.push_str("</ul></details>\n");
    }
    if slides.is_empty() {
        let _ = writeln!(b, "<p>{}</p>", esc(&t(lang, "ballot-none")));
    }
    let uid = def.units()[u].id.as_str();
    for (g, list) in grouped(def, slides.iter().map(|s| s.ci)) {
        let anchor = group_anchor(g);
        let compact = list.len() > MAX_CARDS_PER_GROUP;
        let _ = write!(
            b,
            "<section aria-labelledby=\"{anchor}\"><h2 id=\"{anchor}\">{}</h2><ul class=\"{}\">",
            esc(&group_heading(ctx, lang, g)),
            if compact { "rows" } else { "cards" }
        );
        for ci in list {
            let Some(sl) = slides.iter().find(|s| s.ci == ci) else {
                continue;
            };
            let contest = &def.contests()[ci];
            let area = def.contest_area(ci);
            let href = if area.len() == 1 && area[0] == u || u == def.root() {
                ctx.contest_path(lang, &contest.id)
            } else {
                ctx.unit_path(lang, &contest.id, uid)
            };
            let _ = write!(
                b,
                "<li class=\"{}\"><h3><a href=\"{}\">{}</a></h3>",
                if compact { "row" } else { "card" },
                esc(&href),
                esc(def.text(&contest.name, lang))
            );
            if compact {
                b.push_str(&row_figures(ctx, lang, ci, &sl.numbers));
            } else {
                b.push_str(&card_figures(ctx, lang, ci, &sl.numbers));
            }
            b.push_str("</li>\n");
        }
        b.push_str("</ul></section>\n");
    }
    b.push_str("</div>\n");
    b
}

/// Groups of more contests than this are listed one line per contest on the overview.
pub const MAX_CARDS_PER_GROUP: usize = 12;

/// One line of a long group: who leads (or the tie, or no results yet) and the units in.
pub(crate) fn row_figures(ctx: &Ctx<'_>, lang: &str, ci: usize, n: &Numbers) -> String {
    let contest = &ctx.def.contests()[ci];
    let mut b = super::leader_line(ctx, lang, contest, n);
    if n.valid() == 0 {
        let _ = write!(b, "<p>{}</p>", esc(&t(lang, "no-results")));
    }
    let _ = write!(
        b,
        "<p class=\"meta\">{}</p>",
        esc(&crate::i18n::messages().get(
            lang,
            "reporting",
            &[
                ("reporting", &format_int(ctx.loc(lang), n.reporting)),
                ("total", &format_int(ctx.loc(lang), n.units)),
            ]
        ))
    );
    b
}

/// What a contest's card shows: progress, who leads (or the tie), the first three bars, and
/// turnout and ballots.
pub(crate) fn card_figures(ctx: &Ctx<'_>, lang: &str, ci: usize, n: &Numbers) -> String {
    let contest = &ctx.def.contests()[ci];
    let mut b = progress_html(ctx.loc(lang), n);
    b.push_str(&super::leader_line(ctx, lang, contest, n));
    if n.valid() > 0 {
        b.push_str(&chart_html(ctx, lang, contest, n, 3, false));
    } else {
        let _ = write!(b, "<p>{}</p>", esc(&t(lang, "no-results")));
    }
    b.push_str(&meta_html(ctx.loc(lang), n));
    b
}
