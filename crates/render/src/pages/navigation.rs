//! Finding one's way in a large ballot: contests grouped under the definition's headings, the
//! search form and the index page it lands on, and each place's ballot page ("what is on my
//! county's ballot, and how is it going here").
//!
//! Everything works without JavaScript: the search form is a plain GET form whose target, the
//! index page, lists every contest and every place with pages, so a static copy of the site
//! (`skytale publish`) answers it too; the live script only narrows the list to what matches
//! `?q=` as one types.

use std::fmt::Write as _;

use skytale_model::{ContestGroup, ValidDefinition};
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

pub(crate) fn ballot_path(ctx: &Ctx<'_>, lang: &str, uid: &str) -> String {
    format!("/{}/{}/ballot/{}/", seg(lang), seg(ctx.eid), seg(uid))
}

/// The search form: a GET form to the index page, which lists everything (and which the live
/// script narrows to `?q=`).
pub(crate) fn search_form(ctx: &Ctx<'_>, lang: &str) -> String {
    format!(
        "<form class=\"search\" role=\"search\" action=\"{}\" method=\"get\"><label for=\"q\">{}</label><div><input type=\"search\" id=\"q\" name=\"q\" autocomplete=\"off\" data-filter=\"#index\"><button type=\"submit\">{}</button></div></form>\n",
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
/// that would be more than [`MAX_INDEXED_PLACES`] (a station is then found from its county).
pub const MAX_INDEXED_PLACES: usize = 3_000;

fn indexed_units(ctx: &Ctx<'_>) -> Vec<usize> {
    let def = ctx.def;
    // Tree order: each place followed by the places in it.
    let mut all = Vec::new();
    let mut stack = vec![def.root()];
    while let Some(u) = stack.pop() {
        all.push(u);
        stack.extend(def.children(u).iter().rev().copied());
    }
    if all.len() <= MAX_INDEXED_PLACES {
        return all;
    }
    all.into_iter()
        .filter(|&u| !def.children(u).is_empty())
        .collect()
}

/// The index page the search form lands on: every contest by group, every place (in tree
/// order, indented by depth) with a link to its ballot page.
pub(crate) fn search_body(ctx: &Ctx<'_>, lang: &str) -> String {
    let def = ctx.def;
    let mut b = format!(
        "<nav aria-label=\"{}\"><ol class=\"crumbs\"><li><a href=\"{}\">{}</a></li><li aria-current=\"page\">{}</li></ol></nav>\n",
        esc(&t(lang, "breadcrumbs")),
        esc(&ctx.overview_path(lang)),
        esc(ctx.election_name(lang)),
        esc(&t(lang, "search-title"))
    );
    let _ = writeln!(b, "<h1>{}</h1>", esc(&t(lang, "search-title")));
    b.push_str(&search_form(ctx, lang));
    let _ = writeln!(
        b,
        "<p class=\"meta\" id=\"index-status\" aria-live=\"polite\" data-none=\"{}\">{}</p>",
        esc(&t(lang, "search-none")),
        esc(&t(lang, "search-all"))
    );
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
    for u in indexed_units(ctx) {
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
