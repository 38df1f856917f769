//! The page builders: overview, contest and unit pages, embeds, verification page, OG cards,
//! archive; and the digest bookkeeping that lets a publication re-render only what changed.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use skytale_model::{Contest, ValidDefinition};
use skytale_seats::{Kind, SystemAllocation, TieRecord, TieRule};
use skytale_tally::{
    share, Comparison, ContestResult, LogPosition, ResultTypeDoc, ResultsDoc, SeatResult, Tally,
    UnitFigures,
};

use crate::html::{esc, page, seg, swatch, Frame, OgImage};
use crate::i18n::{
    format_change, format_date, format_datetime, format_decimal, format_int, format_percent,
    format_points, messages, UI_LANGUAGES,
};
use crate::map::{choropleth, MapArea};
use crate::svg::{bar, hemicycle, og_card, progress, CardRow, SeatGroup};
use crate::{
    assets, digest, feeds, CacheClass, PublicationRecord, RenderState, Rendered, Scope, Site,
    MAX_CHART_ROWS,
};

mod navigation;

pub(crate) use navigation::SearchIndex;
pub use navigation::{MAX_INDEXED_PLACES, MAX_QUERY_BYTES, MAX_SEARCH_HITS};

const HTML: &str = "text/html; charset=utf-8";

/// Colours for selections without a party colour (Okabe–Ito, colour-blind safe, darkest first).
const PALETTE: [&str; 8] = [
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#56b4e9", "#e69f00", "#555555", "#f0e442",
];
/// The colour of the `s`-th selection without a party colour: the palette, then colours of
/// hues a golden angle apart in two lightnesses, so no two choices of a contest share one
/// (a ranked-choice contest may have twenty candidates).
fn palette(s: usize) -> String {
    if let Some(c) = PALETTE.get(s) {
        return (*c).to_string();
    }
    let k = s - PALETTE.len();
    // Integer hue (degrees) and fixed saturation/lightness: the same bytes on every machine.
    let hue = (k as u64 * 137 + 20) % 360;
    let light = if k.is_multiple_of(2) { 38 } else { 55 };
    let (r, g, b) = hsl_to_rgb(hue, 70, light);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// HSL (degrees, per cent, per cent) to RGB bytes, in integer arithmetic.
fn hsl_to_rgb(h: u64, s: u64, l: u64) -> (u8, u8, u8) {
    // Chroma and the intermediate in thousandths.
    let c = (1000 - (2 * l * 10).abs_diff(1000)) * s / 100;
    let hp = h * 1000 / 60;
    let x = c * (1000 - (hp % 2000).abs_diff(1000)) / 1000;
    let (r, g, b) = match h / 60 {
        0 => (c, x, 0),
        1 => (x, c, 0),
        2 => (0, c, x),
        3 => (0, x, c),
        4 => (x, 0, c),
        _ => (c, 0, x),
    };
    let m = l * 10 - c / 2;
    let byte = |v: u64| u8::try_from(((v + m) * 255 + 500) / 1000).unwrap_or(255);
    (byte(r), byte(g), byte(b))
}

/// Fill of an area whose leader is tied (no single leader).
const TIE_FILL: &str = "#9e9e9e";

fn t(lang: &str, id: &str) -> String {
    messages().get(lang, id, &[])
}

/// The numbers of one place (contest total or one unit) in definition order of selections.
struct Numbers {
    votes: Vec<u64>,
    ballots: u64,
    registered: u64,
    reporting: u64,
    units: u64,
    /// Turnout as a share string, when it is meaningful.
    turnout: Option<String>,
}

impl Numbers {
    fn of_contest(c: &ContestResult) -> Numbers {
        Numbers {
            votes: c.selections.iter().map(|s| s.votes).collect(),
            ballots: c.ballots,
            registered: c.registered,
            reporting: c.units_reporting,
            units: c.units_total,
            turnout: (c.registered_reporting > 0 && c.ballots > 0).then(|| c.turnout.clone()),
        }
    }
    fn of_unit(u: UnitFigures) -> Numbers {
        Numbers {
            // Over the registered voters of the stations in so far, as a contest's turnout.
            turnout: (u.registered_reporting > 0 && u.ballots > 0)
                .then(|| share(u.ballots, u.registered_reporting)),
            votes: u.votes,
            ballots: u.ballots,
            registered: u.registered,
            reporting: u.units_reporting,
            units: u.units_total,
        }
    }
    /// Everything a page shows of these numbers, as bytes for a page's digest.
    fn digest_bytes(&self, out: &mut Vec<u8>) {
        for v in self.votes.iter().chain([
            &self.ballots,
            &self.registered,
            &self.reporting,
            &self.units,
        ]) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(self.turnout.as_deref().unwrap_or("-").as_bytes());
        out.push(0);
    }
    fn valid(&self) -> u64 {
        self.votes.iter().sum()
    }
    /// Selection indexes by votes, descending; ties keep definition order.
    fn order(&self) -> Vec<usize> {
        let mut o: Vec<usize> = (0..self.votes.len()).collect();
        o.sort_by(|a, b| self.votes[*b].cmp(&self.votes[*a]));
        o
    }
    /// The selections tied for first place with votes (empty unless two or more are).
    fn tied(&self) -> Vec<usize> {
        let o = self.order();
        let Some(&first) = o.first() else {
            return Vec::new();
        };
        let top = self.votes[first];
        let tied: Vec<usize> = o
            .into_iter()
            .take_while(|&s| self.votes[s] == top)
            .collect();
        if top == 0 || tied.len() < 2 {
            Vec::new()
        } else {
            tied
        }
    }
    /// Whether every unit has reported (then the first is no longer "leading": the count is
    /// in, and pages say "most votes").
    fn complete(&self) -> bool {
        self.units > 0 && self.reporting == self.units
    }
    /// No unit has reported yet: no figures to show, only the choices.
    fn unreported(&self) -> bool {
        self.reporting == 0 && self.valid() == 0 && self.ballots == 0
    }
    /// The single leading selection, if there are votes and no tie at the top.
    fn leader(&self) -> Option<usize> {
        let o = self.order();
        let first = *o.first()?;
        let v = self.votes[first];
        (v > 0 && o.get(1).is_none_or(|s| self.votes[*s] < v)).then_some(first)
    }
}

/// Everything the builders share for one render.
struct Ctx<'a> {
    site: &'a Site,
    def: &'a ValidDefinition,
    eid: &'a str,
    /// The languages this render makes pages in.
    langs: Vec<String>,
    /// The languages the site offers (each page's language switcher), default first.
    offered: Vec<String>,
    status: &'static str,
}

impl<'a> Ctx<'a> {
    fn unit_name(&self, uid: &str, lang: &str) -> &'a str {
        match self.def.unit_index(uid) {
            Some(i) => self.unit_name_at(i, lang),
            None => "",
        }
    }
    /// By unit index: a page lists up to hundreds of areas, and looking each id up again
    /// (a cache miss or two per look-up in a national election) was a quarter of a render.
    fn unit_name_at(&self, i: usize, lang: &str) -> &'a str {
        let def: &'a ValidDefinition = self.def;
        def.text(&def.units()[i].name, lang)
    }
    fn color(&self, contest: &Contest, s: usize) -> String {
        let party = contest.selections[s].party.as_deref();
        party
            .and_then(|p| self.def.definition().parties.iter().find(|x| x.id == p))
            .and_then(|p| p.color.clone())
            .unwrap_or_else(|| palette(s))
    }
    fn sel_name(&self, contest: &'a Contest, s: usize, lang: &str) -> &'a str {
        self.def.text(&contest.selections[s].name, lang)
    }
    fn overview_path(&self, lang: &str) -> String {
        format!("/{}/{}/", seg(lang), seg(self.eid))
    }
    fn contest_path(&self, lang: &str, cid: &str) -> String {
        format!("/{}/{}/{}/", seg(lang), seg(self.eid), seg(cid))
    }
    /// Whether a bulk render makes unit `i`'s pages (the rest are made on demand: see
    /// [`Site::with_pages_on_demand`]). Every unit has its pages either way.
    fn in_bulk(&self, i: usize) -> bool {
        !self.site.is_on_demand(i)
    }
    fn unit_path(&self, lang: &str, cid: &str, uid: &str) -> String {
        format!(
            "/{}/{}/{}/{}/",
            seg(lang),
            seg(self.eid),
            seg(cid),
            seg(uid)
        )
    }
    fn verify_path(&self, lang: &str) -> String {
        format!("/{}/{}/verify/", seg(lang), seg(self.eid))
    }
    fn frame(
        &self,
        lang: &'a str,
        title: String,
        tpl: String,
        embed: bool,
        og: Option<OgImage>,
    ) -> Frame<'a> {
        Frame {
            lang,
            title,
            path_template: Some(tpl),
            languages: &[],
            events: Some(format!("/api/v1/elections/{}/events", seg(self.eid))),
            feed: Some(format!("/feeds/{}.atom", seg(self.eid))),
            og_image: og,
            embed,
            home: format!("/{}/", seg(lang)),
        }
    }
    /// The locale numbers and dates of a page in `lang` are written in: the definition's
    /// locale when it is of that language (`en-US` for an English page of a U.S. election),
    /// else the language's own conventions. Messages follow the language either way.
    fn loc<'b>(&'b self, lang: &'b str) -> &'b str {
        match self.def.definition().locale.as_deref() {
            Some(l) if l.split('-').next() == lang.split('-').next() => l,
            _ => lang,
        }
    }
    fn election_name(&self, lang: &str) -> &'a str {
        let def: &'a ValidDefinition = self.def;
        def.text(&def.definition().name, lang)
    }
    /// What the page's figures are: a test (the definition says so), then the result type
    /// the officials gave them, else certified or unofficial as the reports say.
    fn status_banner(
        &self,
        lang: &str,
        status: &str,
        result_type: Option<&ResultTypeDoc>,
    ) -> String {
        let mut b = self.test_banner(lang);
        b.push_str(&Ctx::status_line(lang, status, result_type));
        b
    }

    /// What figures are: the result type the officials gave them, else certified or unofficial
    /// as the reports say.
    fn status_line(lang: &str, status: &str, result_type: Option<&ResultTypeDoc>) -> String {
        let mut b = String::new();
        match result_type {
            Some(rt) => {
                let label = t(lang, result_type_message(Some(rt.result_type), status));
                let _ = write!(
                    b,
                    "<p class=\"status {}\"><strong>{}</strong> <time datetime=\"{}\">{}</time>",
                    esc(rt.result_type),
                    esc(&label),
                    esc(&rt.signed_at),
                    esc(&format_datetime(lang, &rt.signed_at))
                );
                if let Some(reason) = &rt.reason {
                    let _ = write!(b, " – {}", esc(reason));
                }
                b.push_str("</p>\n");
            }
            None if status == "certified" => {
                let _ = writeln!(
                    b,
                    "<p class=\"status certified\"><strong>{}</strong></p>",
                    esc(&t(lang, "certified"))
                );
            }
            None => {
                let _ = writeln!(
                    b,
                    "<p class=\"status\"><strong>{}</strong> – {}</p>",
                    esc(&t(lang, "unofficial")),
                    esc(&t(lang, "unofficial-note"))
                );
            }
        }
        b
    }
    /// On every page of a test election: its figures are not real.
    fn test_banner(&self, lang: &str) -> String {
        if !self.def.definition().test {
            return String::new();
        }
        format!(
            "<p class=\"status test\" role=\"note\"><strong>{}</strong> – {}</p>\n",
            esc(&t(lang, "test-banner")),
            esc(&t(lang, "test-note"))
        )
    }
}

/// The message naming what figures are: the officials' result type if given, else certified
/// or unofficial as the reports say.
fn result_type_message(result_type: Option<&str>, status: &str) -> &'static str {
    match result_type {
        Some("certified") => "certified",
        Some("estimate") => "result-estimate",
        Some("projection") => "result-projection",
        Some("provisional") => "result-provisional",
        Some(_) => "result-final",
        None if status == "certified" => "certified",
        None => "unofficial",
    }
}

fn html_page(ctx: &Ctx<'_>, f: &Frame<'_>, body: &str) -> Rendered {
    let langs = ctx.offered.clone();
    let f = Frame {
        languages: &langs,
        ..clone_frame(f)
    };
    Rendered::new(
        HTML,
        page(assets(), &f, body).into_bytes(),
        CacheClass::Short,
    )
}

fn clone_frame<'a>(f: &Frame<'a>) -> Frame<'a> {
    Frame {
        lang: f.lang,
        title: f.title.clone(),
        path_template: f.path_template.clone(),
        languages: f.languages,
        events: f.events.clone(),
        feed: f.feed.clone(),
        og_image: f.og_image.clone(),
        embed: f.embed,
        home: f.home.clone(),
    }
}

fn progress_html(lang: &str, n: &Numbers) -> String {
    let text = messages().get(
        lang,
        "reporting",
        &[
            ("reporting", &format_int(lang, n.reporting)),
            ("total", &format_int(lang, n.units)),
        ],
    );
    format!(
        "<div class=\"progress\"><p>{}</p>{}</div>\n",
        esc(&text),
        progress(n.reporting, n.units)
    )
}

fn meta_html(lang: &str, n: &Numbers) -> String {
    let mut parts = Vec::new();
    if let Some(tu) = &n.turnout {
        parts.push(format!(
            "{}: {}",
            esc(&t(lang, "turnout")),
            esc(&format_percent(lang, tu))
        ));
    }
    if n.ballots > 0 {
        parts.push(format!(
            "{}: {}",
            esc(&t(lang, "ballots")),
            esc(&format_int(lang, n.ballots))
        ));
    }
    if n.registered > 0 {
        parts.push(format!(
            "{}: {}",
            esc(&t(lang, "registered")),
            esc(&format_int(lang, n.registered))
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("<p class=\"meta\">{}</p>\n", parts.join(" · "))
    }
}

fn chart_html(
    ctx: &Ctx<'_>,
    lang: &str,
    contest: &Contest,
    n: &Numbers,
    rows: usize,
    heading: bool,
) -> String {
    let valid = n.valid();
    let mut h = String::new();
    if heading {
        let _ = write!(
            h,
            "<section aria-labelledby=\"chart-h\"><h2 id=\"chart-h\">{}</h2>",
            esc(&t(lang, "chart-title"))
        );
    }
    h.push_str("<ul class=\"chart\">");
    for s in n.order().into_iter().take(rows) {
        let _ = write!(
            h,
            "<li><div class=\"lbl\"><span>{}{}</span><span>{}</span></div>{}</li>",
            swatch(&ctx.color(contest, s)),
            esc(ctx.sel_name(contest, s, lang)),
            esc(&format_percent(ctx.loc(lang), &share(n.votes[s], valid))),
            bar(n.votes[s], valid, &ctx.color(contest, s))
        );
    }
    h.push_str("</ul>");
    if heading {
        h.push_str("</section>");
    }
    h.push('\n');
    h
}

/// The seats of a party-list contest: a hemicycle with its text equivalent (a list of every
/// party with seats, in the chart's order: definition order), then in words the last seat won
/// and what the party that missed the next seat lacked, and every tie and how it was broken
/// (a tie is never decided silently). Names, not colours, carry the information.
fn seats_html(ctx: &Ctx<'_>, lang: &str, contest: &Contest, sr: &SeatResult) -> String {
    if let Some(sys) = &sr.system {
        return system_seats_html(ctx, lang, contest, sr, sys);
    }
    let m = messages();
    let mut h = format!(
        "<section aria-labelledby=\"seats-h\"><h2 id=\"seats-h\">{}</h2>",
        esc(&t(lang, "seats-chart-title"))
    );
    let Some(a) = sr.allocation.as_ref() else {
        let _ = writeln!(h, "<p>{}</p></section>", esc(&t(lang, "seats-pending")));
        return h;
    };
    let index: HashMap<&str, usize> = contest
        .selections
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let name = |id: &str| match index.get(id) {
        Some(&i) => ctx.sel_name(contest, i, lang).to_string(),
        None => id.to_string(),
    };
    let seats_of = |id: &str| {
        a.parties
            .iter()
            .find(|p| p.party == id)
            .map_or(0, |p| p.seats)
    };
    let groups: Vec<SeatGroup> = contest
        .selections
        .iter()
        .enumerate()
        .map(|(i, s)| SeatGroup {
            name: ctx.sel_name(contest, i, lang).to_string(),
            color: ctx.color(contest, i),
            seats: seats_of(&s.id),
        })
        .collect();
    h.push_str("<figure class=\"seats\">");
    h.push_str(&hemicycle(
        &groups,
        &format_int(ctx.loc(lang), u64::from(a.seats)),
    ));
    h.push_str("<ul class=\"legend\">");
    for (i, g) in groups.iter().enumerate().filter(|(_, g)| g.seats > 0) {
        let _ = write!(
            h,
            "<li>{}{}: <strong>{}</strong></li>",
            swatch(&ctx.color(contest, i)),
            esc(&g.name),
            esc(&format_int(ctx.loc(lang), u64::from(g.seats)))
        );
    }
    h.push_str("</ul></figure>");
    let mut said = Vec::new();
    if let Some(last) = &a.last_seat {
        let id = match a.method.kind() {
            Kind::HighestAverages => "seats-last-quotient",
            Kind::LargestRemainder => "seats-last-remainder",
        };
        said.push(m.get(
            lang,
            id,
            &[
                ("party", &name(&last.party)),
                (
                    "quotient",
                    &format_decimal(ctx.loc(lang), &last.quotient.to_decimal(2)),
                ),
            ],
        ));
    }
    if let Some(missed) = &a.first_missed {
        let votes = a
            .parties
            .iter()
            .find(|p| p.party == missed.party)
            .and_then(|p| p.votes_to_next_seat);
        if let Some(v) = votes {
            said.push(m.get(
                lang,
                "seats-next",
                &[
                    ("party", &name(&missed.party)),
                    ("votes", &format_int(ctx.loc(lang), v)),
                ],
            ));
        }
    }
    said.extend(
        a.ties
            .iter()
            .map(|tie| tie_sentence(ctx.loc(lang), tie, &name)),
    );
    for p in said {
        let _ = write!(h, "<p>{}</p>", esc(&p));
    }
    h.push_str("</section>\n");
    h
}

/// A broken tie in words: who was tied, who won, by which rule (and the lot's seed).
fn tie_sentence(lang: &str, tie: &TieRecord, name: &dyn Fn(&str) -> String) -> String {
    let list = |ids: &[String]| ids.iter().map(|p| name(p)).collect::<Vec<_>>().join(", ");
    let (parties, winners) = (list(&tie.tied), list(&tie.winners));
    let seed = tie.seed.clone().unwrap_or_default();
    let id = match tie.decided_by {
        TieRule::MostVotes => "seats-tie-most-votes",
        TieRule::ListOrder => "seats-tie-list-order",
        TieRule::Lot => "seats-tie-lot",
    };
    let mut args = vec![("parties", parties.as_str()), ("winners", winners.as_str())];
    if tie.decided_by == TieRule::Lot {
        args.push(("seed", seed.as_str()));
    }
    messages().get(lang, id, &args)
}

/// The seats of a multi-constituency system: the hemicycle of every seat allocated so far
/// (district and levelling) with its text equivalent, then a table of the seats each party won
/// in each constituency (levelling seats after a plus sign), what is still pending, and every
/// broken tie.
fn system_seats_html(
    ctx: &Ctx<'_>,
    lang: &str,
    contest: &Contest,
    sr: &SeatResult,
    sys: &SystemAllocation,
) -> String {
    let m = messages();
    let mut h = format!(
        "<section aria-labelledby=\"seats-h\"><h2 id=\"seats-h\">{}</h2>",
        esc(&t(lang, "seats-chart-title"))
    );
    let index: HashMap<&str, usize> = contest
        .selections
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let name = |id: &str| match index.get(id) {
        Some(&i) => ctx.sel_name(contest, i, lang).to_string(),
        None => id.to_string(),
    };
    let national = sr.seats_by_selection();
    let groups: Vec<SeatGroup> = contest
        .selections
        .iter()
        .enumerate()
        .map(|(i, s)| SeatGroup {
            name: ctx.sel_name(contest, i, lang).to_string(),
            color: ctx.color(contest, i),
            seats: national.get(&s.id).copied().unwrap_or(0),
        })
        .collect();
    let allocated: u64 = groups.iter().map(|g| u64::from(g.seats)).sum();
    if !sys.pending.is_empty() {
        let _ = write!(
            h,
            "<p>{}</p>",
            esc(&m.get(
                lang,
                "seats-pending-constituencies",
                &[(
                    "count",
                    &format_int(ctx.loc(lang), sys.pending.len() as u64)
                )]
            ))
        );
    }
    if allocated == 0 {
        h.push_str("</section>\n");
        return h;
    }
    h.push_str("<figure class=\"seats\">");
    h.push_str(&hemicycle(&groups, &format_int(ctx.loc(lang), allocated)));
    h.push_str("<ul class=\"legend\">");
    for (i, g) in groups.iter().enumerate().filter(|(_, g)| g.seats > 0) {
        let _ = write!(
            h,
            "<li>{}{}: <strong>{}</strong></li>",
            swatch(&ctx.color(contest, i)),
            esc(&g.name),
            esc(&format_int(ctx.loc(lang), u64::from(g.seats)))
        );
    }
    h.push_str("</ul></figure>");
    // Per constituency: the parties that won any seat, in definition order.
    let cols: Vec<usize> = (0..groups.len()).filter(|&i| groups[i].seats > 0).collect();
    let _ = write!(
        h,
        "<div class=\"scroll\" role=\"region\" aria-labelledby=\"seats-c-cap\" tabindex=\"0\"><table class=\"stack\"><caption id=\"seats-c-cap\">{}</caption><thead><tr><th scope=\"col\">{}</th>",
        esc(&t(lang, "seats-by-constituency")),
        esc(&t(lang, "constituency"))
    );
    for &i in &cols {
        let _ = write!(h, "<th scope=\"col\">{}</th>", esc(&groups[i].name));
    }
    h.push_str("</tr></thead><tbody>");
    let mut ties: Vec<&TieRecord> = Vec::new();
    for c in &sys.constituencies {
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}</th>",
            esc(ctx.unit_name(&c.id, lang))
        );
        for &i in &cols {
            let id = contest.selections[i].id.as_str();
            let district = c
                .district
                .as_ref()
                .and_then(|a| a.parties.iter().find(|p| p.party == id))
                .map_or(0, |p| p.seats);
            let levelling = c.levelling.get(id).copied().unwrap_or(0);
            let cell = match (c.district.is_some(), levelling) {
                (false, _) => "–".to_string(),
                (true, 0) => format_int(ctx.loc(lang), u64::from(district)),
                (true, l) => format!(
                    "{} + {}",
                    format_int(ctx.loc(lang), u64::from(district)),
                    format_int(ctx.loc(lang), u64::from(l))
                ),
            };
            let _ = write!(
                h,
                "<td class=\"num\" data-label=\"{}\">{}</td>",
                esc(&groups[i].name),
                esc(&cell)
            );
        }
        h.push_str("</tr>");
        if let Some(a) = &c.district {
            ties.extend(&a.ties);
        }
    }
    h.push_str("</tbody></table></div>");
    if let Some(l) = &sys.levelling {
        let _ = write!(h, "<p>{}</p>", esc(&t(lang, "seats-levelling-note")));
        ties.extend(&l.national.ties);
        ties.extend(&l.ties);
    }
    for tie in ties {
        let _ = write!(
            h,
            "<p>{}</p>",
            esc(&tie_sentence(ctx.loc(lang), tie, &name))
        );
    }
    h.push_str("</section>\n");
    h
}

/// "Leading: X" while units are still out, "Most votes: X" once all are in, "Tied: A, B"
/// when the first places have equal votes; nothing before any vote.
fn leader_line(ctx: &Ctx<'_>, lang: &str, contest: &Contest, n: &Numbers) -> String {
    if let Some(s) = n.leader() {
        let word = if n.complete() {
            "most-votes"
        } else {
            "leading"
        };
        return format!(
            "<p class=\"leader\">{}: {}<strong>{}</strong></p>",
            esc(&t(lang, word)),
            swatch(&ctx.color(contest, s)),
            esc(ctx.sel_name(contest, s, lang))
        );
    }
    let tied = n.tied();
    if tied.is_empty() {
        return String::new();
    }
    let names: Vec<String> = tied
        .iter()
        .map(|&s| {
            format!(
                "{}<strong>{}</strong>",
                swatch(&ctx.color(contest, s)),
                esc(ctx.sel_name(contest, s, lang))
            )
        })
        .collect();
    format!(
        "<p class=\"leader tie\">{}: {}</p>",
        esc(&t(lang, "tied")),
        names.join(", ")
    )
}

/// The names of the selections tied for first place, joined.
fn tied_names(ctx: &Ctx<'_>, lang: &str, contest: &Contest, n: &Numbers) -> String {
    n.tied()
        .iter()
        .map(|&s| ctx.sel_name(contest, s, lang))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Votes by count type (election day, early, mail, provisional) for each choice, when the
/// reports break them down: a table with a column per type that has votes. `by_type` is each
/// selection's votes by type, by selection position: the contest's totals on its page, the
/// unit's rolled-up figures on a unit's page.
fn count_types_html(
    ctx: &Ctx<'_>,
    lang: &str,
    contest: &Contest,
    n: &Numbers,
    by_type: &[&BTreeMap<&'static str, u64>],
) -> String {
    const TYPES: [&str; 5] = ["election_day", "early", "mail", "provisional", "total"];
    let used: Vec<&str> = TYPES
        .into_iter()
        .filter(|ty| by_type.iter().any(|s| s.get(ty).is_some_and(|v| *v > 0)))
        .collect();
    // Only "total" (reports without a breakdown) says nothing the results table does not.
    if used.is_empty() || used == ["total"] {
        return String::new();
    }
    let mut h = format!(
        "<section aria-labelledby=\"types-h\"><h2 id=\"types-h\">{}</h2><div class=\"scroll\"><table class=\"stack\"><thead><tr><th scope=\"col\">{}</th>",
        esc(&t(lang, "by-count-type")),
        esc(&t(lang, "choice"))
    );
    for ty in &used {
        let _ = write!(
            h,
            "<th scope=\"col\">{}</th>",
            esc(&t(lang, &format!("count-{ty}")))
        );
    }
    h.push_str("</tr></thead><tbody>");
    for s in n.order() {
        let Some(sel) = by_type.get(s) else {
            continue;
        };
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}{}</th>",
            swatch(&ctx.color(contest, s)),
            esc(ctx.sel_name(contest, s, lang))
        );
        for ty in &used {
            let v = sel.get(ty).copied().unwrap_or(0);
            let _ = write!(
                h,
                "<td data-label=\"{}\">{}</td>",
                esc(&t(lang, &format!("count-{ty}"))),
                esc(&format_int(ctx.loc(lang), v))
            );
        }
        h.push_str("</tr>");
    }
    h.push_str(
        "</tbody></table></div></section>
",
    );
    h
}

#[allow(clippy::too_many_arguments)]
/// What a results table compares with: the totals of the publication before (contest pages
/// in `approval` mode) and the earlier election the definition names.
#[derive(Clone, Copy, Default)]
struct Since<'a> {
    prev: Option<&'a BTreeMap<String, u64>>,
    compared: Option<&'a Comparison>,
}

fn results_table(
    ctx: &Ctx<'_>,
    lang: &str,
    contest: &Contest,
    n: &Numbers,
    caption: &str,
    seats: Option<&BTreeMap<String, u32>>,
    since: Since<'_>,
) -> String {
    let Since { prev, compared } = since;
    let valid = n.valid();
    let then = |sid: &str| compared.and_then(|c| c.selections.iter().find(|x| x.id == sid));
    let verify = ctx.verify_path(lang);
    let mut h = String::new();
    let _ = write!(
        h,
        "<div class=\"scroll\" role=\"region\" aria-labelledby=\"tbl-cap\" tabindex=\"0\"><table class=\"stack\"><caption id=\"tbl-cap\">{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th>",
        esc(caption),
        esc(&t(lang, "choice")),
        esc(&t(lang, "votes")),
        esc(&t(lang, "share"))
    );
    if seats.is_some() {
        let _ = write!(h, "<th scope=\"col\">{}</th>", esc(&t(lang, "seats")));
    }
    if prev.is_some() {
        let _ = write!(
            h,
            "<th scope=\"col\" class=\"change\">{}</th>",
            esc(&t(lang, "change"))
        );
    }
    let mut previous_label = String::new();
    if let Some(c) = compared {
        let name = ctx
            .def
            .definition()
            .previous
            .as_ref()
            .map(|p| ctx.def.text(&p.name, lang))
            .unwrap_or(c.election.as_str());
        previous_label = messages().get(lang, "change-previous", &[("election", name)]);
        let _ = write!(
            h,
            "<th scope=\"col\" class=\"change\">{}</th>",
            esc(&previous_label)
        );
    }
    h.push_str("</tr></thead><tbody>");
    let (l_votes, l_share) = (esc(&t(lang, "votes")), esc(&t(lang, "share")));
    let unreported = n.unreported();
    // Before any report: the choices, and a dash for each figure (zeros would read as a result).
    let order = if unreported {
        (0..n.votes.len()).collect()
    } else {
        n.order()
    };
    for s in order {
        let sid = &contest.selections[s].id;
        if unreported {
            let _ = write!(
                h,
                "<tr><th scope=\"row\">{}{}</th><td class=\"num\" data-label=\"{l_votes}\">–</td><td data-label=\"{l_share}\">–</td>",
                swatch(&ctx.color(contest, s)),
                esc(ctx.sel_name(contest, s, lang)),
            );
        } else {
            let _ = write!(
                h,
                "<tr><th scope=\"row\">{}{}</th><td class=\"num\" data-label=\"{l_votes}\"><a href=\"{}\">{}</a></td><td data-label=\"{l_share}\">{}</td>",
                swatch(&ctx.color(contest, s)),
                esc(ctx.sel_name(contest, s, lang)),
                esc(&verify),
                esc(&format_int(ctx.loc(lang), n.votes[s])),
                esc(&format_percent(ctx.loc(lang), &share(n.votes[s], valid)))
            );
        }
        if let Some(seats) = seats {
            let won = then(sid)
                .and_then(|x| x.seat_change)
                .map(|d| format!(" ({})", format_change(ctx.loc(lang), i128::from(d))))
                .unwrap_or_default();
            let _ = write!(
                h,
                "<td data-label=\"{}\">{}{}</td>",
                esc(&t(lang, "seats")),
                esc(&format_int(
                    lang,
                    u64::from(seats.get(sid).copied().unwrap_or(0))
                )),
                esc(&won)
            );
        }
        if let Some(prev) = prev {
            let before = prev.get(sid).copied().unwrap_or(0);
            let _ = write!(
                h,
                "<td data-label=\"{}\">{}</td>",
                esc(&t(lang, "change")),
                esc(&format_change(
                    lang,
                    i128::from(n.votes[s]) - i128::from(before)
                ))
            );
        }
        if compared.is_some() {
            // A choice that did not stand then has no change to show.
            let points = then(sid)
                .map(|x| format_points(ctx.loc(lang), &x.change))
                .unwrap_or_else(|| "–".to_string());
            let _ = write!(
                h,
                "<td data-label=\"{}\">{}</td>",
                esc(&previous_label),
                esc(&points)
            );
        }
        h.push_str("</tr>");
    }
    if unreported {
        let _ = write!(
            h,
            "</tbody><tfoot><tr><th scope=\"row\">{}</th><td class=\"num\" data-label=\"{l_votes}\">–</td><td data-label=\"{l_share}\">–</td>",
            esc(&t(lang, "valid-votes")),
        );
    } else {
        let _ = write!(
            h,
            "</tbody><tfoot><tr><th scope=\"row\">{}</th><td class=\"num\" data-label=\"{l_votes}\"><a href=\"{}\">{}</a></td><td data-label=\"{l_share}\">{}</td>",
            esc(&t(lang, "valid-votes")),
            esc(&verify),
            esc(&format_int(ctx.loc(lang), valid)),
            esc(&format_percent(ctx.loc(lang), if valid > 0 { "100.00" } else { "0.00" }))
        );
    }
    if let Some(seats) = seats {
        let total: u64 = seats.values().map(|v| u64::from(*v)).sum();
        let _ = write!(
            h,
            "<td data-label=\"{}\">{}</td>",
            esc(&t(lang, "seats")),
            esc(&format_int(ctx.loc(lang), total))
        );
    }
    if let Some(prev) = prev {
        let before: u64 = contest
            .selections
            .iter()
            .map(|s| prev.get(&s.id).copied().unwrap_or(0))
            .sum();
        let _ = write!(
            h,
            "<td data-label=\"{}\">{}</td>",
            esc(&t(lang, "change")),
            esc(&format_change(
                ctx.loc(lang),
                i128::from(valid) - i128::from(before)
            ))
        );
    }
    if compared.is_some() {
        h.push_str("<td class=\"empty\"></td>");
    }
    h.push_str("</tr></tfoot></table></div>\n");
    h
}

/// The "results by area" table and the map of the same areas.
fn areas_html(
    ctx: &Ctx<'_>,
    lang: &str,
    contest: &Contest,
    cid: &str,
    children: &[(usize, Numbers)],
) -> String {
    if children.is_empty() {
        return String::new();
    }
    let mut h = map_html(ctx, lang, contest, cid, children);
    h.push_str(&turnout_map_html(ctx, lang, cid, children));
    h.push_str(&areas_table(ctx, lang, contest, cid, children));
    h
}

/// Sequential blues (ColorBrewer "Blues", 5 classes), light for low turnout, dark for high.
const TURNOUT_FILLS: [&str; 5] = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];

/// A share string ("52.23") in hundredths of a percent.
fn hundredths(share: &str) -> Option<u64> {
    let (int, frac) = share.split_once('.').unwrap_or((share, "0"));
    let frac = format!("{frac:0<2}");
    Some(int.parse::<u64>().ok()? * 100 + frac.get(..2)?.parse::<u64>().ok()?)
}

/// The choropleth of turnout by area: five equal classes between the lowest and highest
/// turnout shown (whole per cents), each named in the legend with its range; areas without a
/// turnout yet hatched. Empty without boundaries or without any turnout.
fn turnout_map_html(ctx: &Ctx<'_>, lang: &str, cid: &str, children: &[(usize, Numbers)]) -> String {
    let values: Vec<Option<u64>> = children
        .iter()
        .map(|(_, n)| n.turnout.as_deref().and_then(hundredths))
        .collect();
    let (Some(lo), Some(hi)) = (
        values.iter().flatten().min().copied(),
        values.iter().flatten().max().copied(),
    ) else {
        return String::new();
    };
    // Class bounds on whole per cents, so the legend reads "45%–50%".
    let lo = lo / 100 * 100;
    let hi = hi.div_ceil(100).max(lo / 100 + 1) * 100;
    let step = ((hi - lo) / 100)
        .div_ceil(TURNOUT_FILLS.len() as u64)
        .max(1)
        * 100;
    let class = |v: u64| (((v - lo) / step) as usize).min(TURNOUT_FILLS.len() - 1);
    let areas: Vec<MapArea> = children
        .iter()
        .zip(&values)
        .map(|(&(ui, ref n), v)| {
            let uid = ctx.def.units()[ui].id.as_str();
            let name = ctx.unit_name_at(ui, lang).to_string();
            let title = match &n.turnout {
                Some(tu) => format!(
                    "{name}: {} {}",
                    t(lang, "turnout"),
                    format_percent(ctx.loc(lang), tu)
                ),
                None => format!("{name}: {}", t(lang, "not-reporting")),
            };
            MapArea {
                unit: uid.to_string(),
                name,
                href: Some(ctx.unit_path(lang, cid, uid)),
                fill: v.map(|v| TURNOUT_FILLS[class(v)].to_string()),
                title,
            }
        })
        .collect();
    let Some(svg) = choropleth(
        &ctx.site.boundaries,
        &areas,
        &t(lang, "map-turnout-title"),
        &t(lang, "map-turnout-desc"),
        "tmap",
    ) else {
        return String::new();
    };
    let mut h = format!(
        "<section class=\"map\" aria-labelledby=\"tmap-h\"><h2 id=\"tmap-h\">{}</h2>{svg}<h3 class=\"visually-hidden\">{}</h3><ul class=\"legend\">",
        esc(&t(lang, "map-turnout-title")),
        esc(&t(lang, "map-legend"))
    );
    let pct = |v: u64| format_percent(ctx.loc(lang), &format!("{}", v / 100));
    for (i, fill) in TURNOUT_FILLS.iter().enumerate() {
        let (from, to) = (lo + i as u64 * step, lo + (i as u64 + 1) * step);
        if from >= hi {
            break;
        }
        let _ = write!(
            h,
            "<li><svg class=\"sw\" width=\"12\" height=\"12\" viewBox=\"0 0 12 12\" aria-hidden=\"true\" focusable=\"false\"><rect width=\"12\" height=\"12\" fill=\"{fill}\" stroke=\"#767676\"/></svg>{}–{}</li>",
            esc(&pct(from)),
            esc(&pct(to.min(hi)))
        );
    }
    h.push_str("</ul></section>\n");
    h
}

/// The choropleth of the leading choice by area, with its legend (empty without boundaries).
fn map_html(
    ctx: &Ctx<'_>,
    lang: &str,
    contest: &Contest,
    cid: &str,
    children: &[(usize, Numbers)],
) -> String {
    let mut h = String::new();
    let areas: Vec<MapArea> = children
        .iter()
        .map(|&(ui, ref n)| {
            let uid = ctx.def.units()[ui].id.as_str();
            let name = ctx.unit_name_at(ui, lang).to_string();
            let (fill, title) = match (n.valid() > 0, n.leader()) {
                (false, _) => (None, format!("{name}: {}", t(lang, "not-reporting"))),
                (true, Some(s)) => (
                    Some(ctx.color(contest, s)),
                    format!(
                        "{name}: {} {} {}",
                        t(
                            lang,
                            if n.complete() {
                                "most-votes"
                            } else {
                                "leading"
                            }
                        ),
                        ctx.sel_name(contest, s, lang),
                        format_percent(ctx.loc(lang), &share(n.votes[s], n.valid()))
                    ),
                ),
                (true, None) => (
                    Some(TIE_FILL.to_string()),
                    format!(
                        "{name}: {} {}",
                        t(lang, "tied"),
                        tied_names(ctx, lang, contest, n)
                    ),
                ),
            };
            MapArea {
                unit: uid.to_string(),
                name,
                href: Some(ctx.unit_path(lang, cid, uid)),
                fill,
                title,
            }
        })
        .collect();
    if let Some(svg) = choropleth(
        &ctx.site.boundaries,
        &areas,
        &t(lang, "map-title"),
        &t(lang, "map-desc"),
        "map",
    ) {
        let _ = write!(
            h,
            "<section class=\"map\" aria-labelledby=\"map-h\"><h2 id=\"map-h\">{}</h2>{svg}",
            esc(&t(lang, "map-title"))
        );
        // Legend: the colours in use, each with its name.
        let mut shown: Vec<usize> = children.iter().filter_map(|(_, n)| n.leader()).collect();
        shown.sort_unstable();
        shown.dedup();
        let _ = write!(
            h,
            "<h3 class=\"visually-hidden\">{}</h3><ul class=\"legend\">",
            esc(&t(lang, "map-legend"))
        );
        for s in shown {
            let _ = write!(
                h,
                "<li>{}{}</li>",
                swatch(&ctx.color(contest, s)),
                esc(ctx.sel_name(contest, s, lang))
            );
        }
        if children.iter().any(|(_, n)| n.valid() == 0) {
            let _ = write!(
                h,
                "<li><svg class=\"sw\" width=\"12\" height=\"12\" viewBox=\"0 0 12 12\" aria-hidden=\"true\" focusable=\"false\"><rect width=\"12\" height=\"12\" fill=\"#f2f2f2\" stroke=\"#767676\"/><path d=\"M0 12L12 0\" stroke=\"#767676\"/></svg>{}</li>",
                esc(&t(lang, "not-reporting"))
            );
        }
        h.push_str("</ul></section>\n");
    }
    h
}

/// The table of results by area (the map's text alternative).
fn areas_table(
    ctx: &Ctx<'_>,
    lang: &str,
    contest: &Contest,
    cid: &str,
    children: &[(usize, Numbers)],
) -> String {
    let mut h = String::new();
    // Once every area is in, the first is no longer "leading".
    let lead_word = if children.iter().all(|(_, n)| n.complete()) {
        "most-votes"
    } else {
        "leading"
    };
    let labels = [lead_word, "share", "votes", "ballots"].map(|m| esc(&t(lang, m)));
    let _ = write!(
        h,
        "<section aria-labelledby=\"area-h\"><h2 id=\"area-h\">{}</h2><div class=\"scroll\" role=\"region\" aria-labelledby=\"area-h\" tabindex=\"0\"><table class=\"stack areas\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        esc(&t(lang, "by-area")),
        esc(&t(lang, "area")),
        esc(&t(lang, lead_word)),
        esc(&t(lang, "share")),
        esc(&t(lang, "votes")),
        esc(&t(lang, "ballots")),
    );
    for &(ui, ref n) in children {
        let uid = ctx.def.units()[ui].id.as_str();
        let name = esc(ctx.unit_name_at(ui, lang));
        let name = format!(
            "<a href=\"{}\">{name}</a>",
            esc(&ctx.unit_path(lang, cid, uid))
        );
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}<br><small>{}</small></th>",
            name,
            esc(&messages().get(
                lang,
                "reporting",
                &[
                    ("reporting", &format_int(ctx.loc(lang), n.reporting)),
                    ("total", &format_int(ctx.loc(lang), n.units))
                ]
            ))
        );
        let [l_lead, l_share, l_votes, l_ballots] = &labels;
        match (n.valid() > 0, n.leader()) {
            (false, _) => {
                let _ = write!(
                    h,
                    "<td class=\"lead\" data-label=\"{l_lead}\">{}</td><td class=\"empty\">–</td><td class=\"empty\">–</td>",
                    esc(&t(lang, "not-reporting"))
                );
            }
            (true, Some(s)) => {
                let _ = write!(
                    h,
                    "<td class=\"lead\" data-label=\"{l_lead}\">{}{}</td><td data-label=\"{l_share}\">{}</td><td data-label=\"{l_votes}\">{}</td>",
                    swatch(&ctx.color(contest, s)),
                    esc(ctx.sel_name(contest, s, lang)),
                    esc(&format_percent(ctx.loc(lang), &share(n.votes[s], n.valid()))),
                    esc(&format_int(ctx.loc(lang), n.votes[s]))
                );
            }
            (true, None) => {
                // A tie at the top: who is tied, each with the same share and votes.
                let top = n.order().first().map_or(0, |&s| n.votes[s]);
                let _ = write!(
                    h,
                    "<td class=\"lead\" data-label=\"{l_lead}\">{}: {}</td><td data-label=\"{l_share}\">{}</td><td data-label=\"{l_votes}\">{}</td>",
                    esc(&t(lang, "tied")),
                    esc(&tied_names(ctx, lang, contest, n)),
                    esc(&format_percent(ctx.loc(lang), &share(top, n.valid()))),
                    esc(&format_int(ctx.loc(lang), top))
                );
            }
        }
        let _ = write!(
            h,
            "<td data-label=\"{l_ballots}\">{}</td></tr>",
            esc(&format_int(ctx.loc(lang), n.ballots))
        );
    }
    h.push_str("</tbody></table></div></section>\n");
    h
}

fn downloads_html(ctx: &Ctx<'_>, lang: &str, cid: Option<&str>) -> String {
    let e = seg(ctx.eid);
    let mut h = format!(
        "<section class=\"downloads\" aria-labelledby=\"dl-h\"><h2 id=\"dl-h\">{}</h2><ul>",
        esc(&t(lang, "downloads"))
    );
    match cid {
        Some(c) => {
            let _ = write!(
                h,
                "<li><a href=\"/api/v1/elections/{e}/results/{c}\" type=\"application/json\">{}</a></li><li><a href=\"/api/v1/elections/{e}/results/{c}.csv\" type=\"text/csv\">{}</a></li>",
                esc(&t(lang, "download-json")),
                esc(&t(lang, "download-csv")),
                c = seg(c)
            );
        }
        None => {
            let _ = write!(
                h,
                "<li><a href=\"/api/v1/elections/{e}/results\" type=\"application/json\">{}</a></li>",
                esc(&t(lang, "download-json"))
            );
        }
    }
    let _ = writeln!(
        h,
        "<li><a href=\"/api/v1/elections/{e}/cdf.json\" type=\"application/json\">{}</a></li><li><a href=\"/feeds/{e}.atom\" type=\"application/atom+xml\">{}</a></li></ul><p><a href=\"{}\">{}</a></p></section>",
        esc(&t(lang, "download-cdf")),
        esc(&t(lang, "download-atom")),
        esc(&ctx.verify_path(lang)),
        esc(&t(lang, "verify-link"))
    );
    h
}

/// Breadcrumbs: overview › contest › areas above › current (not a link).
fn crumbs(ctx: &Ctx<'_>, lang: &str, contest: &Contest, trail: &[&str]) -> String {
    let mut h = format!(
        "<nav aria-label=\"{}\"><ol class=\"crumbs\"><li><a href=\"{}\">{}</a></li>",
        esc(&t(lang, "breadcrumbs")),
        esc(&ctx.overview_path(lang)),
        esc(ctx.election_name(lang))
    );
    let cname = ctx.def.text(&contest.name, lang);
    if trail.is_empty() {
        let _ = write!(h, "<li aria-current=\"page\">{}</li>", esc(cname));
    } else {
        let _ = write!(
            h,
            "<li><a href=\"{}\">{}</a></li>",
            esc(&ctx.contest_path(lang, &contest.id)),
            esc(cname)
        );
        for (i, uid) in trail.iter().enumerate() {
            if i + 1 == trail.len() {
                let _ = write!(
                    h,
                    "<li aria-current=\"page\">{}</li>",
                    esc(ctx.unit_name(uid, lang))
                );
            } else {
                let _ = write!(
                    h,
                    "<li><a href=\"{}\">{}</a></li>",
                    esc(&ctx.unit_path(lang, &contest.id, uid)),
                    esc(ctx.unit_name(uid, lang))
                );
            }
        }
    }
    h.push_str("</ol></nav>\n");
    h
}

/// One contest's data for a render.
struct ContestView<'a> {
    contest: &'a Contest,
    ci: usize,
    tally: &'a Tally,
    /// Totals, seats and rounds; no unit rows (each unit's numbers come from the tally when a
    /// page needs them).
    result: ContestResult,
    /// The single area root, whose page is the contest page itself.
    root: Option<usize>,
}

impl ContestView<'_> {
    /// A unit's numbers, for a unit in the contest's area (every page lists only those).
    fn numbers_at(&self, ui: usize) -> Numbers {
        Numbers::of_unit(self.tally.unit_figures(self.ci, ui))
    }
    /// The rows of the areas a page lists.
    fn children(&self, units: impl IntoIterator<Item = usize>) -> Vec<(usize, Numbers)> {
        units.into_iter().map(|k| (k, self.numbers_at(k))).collect()
    }
}

/// A page's numbers (the contest's or a unit's, and the areas it lists), worked out once for
/// its digest and reused by each language's page and embed.
struct PageNumbers {
    own: Numbers,
    children: Vec<(usize, Numbers)>,
    /// A unit's votes by count type, by selection position (a contest's own are in its
    /// result); empty on a contest's page.
    count_types: Vec<BTreeMap<&'static str, u64>>,
}

/// Unit ids of the areas shown below the contest level, or below `unit`.
fn child_ids(def: &ValidDefinition, ci: usize, unit: Option<usize>) -> Vec<usize> {
    match unit {
        Some(u) => def.children(u).to_vec(),
        None => def.contest_area(ci).to_vec(),
    }
}

fn contest_body(
    ctx: &Ctx<'_>,
    lang: &str,
    cv: &ContestView<'_>,
    unit: Option<&str>,
    nums: &PageNumbers,
    prev: Option<&BTreeMap<String, u64>>,
    embed: bool,
) -> Option<String> {
    let def = ctx.def;
    let contest = cv.contest;
    let cid = contest.id.as_str();
    let cname = def.text(&contest.name, lang);
    let (n, children) = (&nums.own, &nums.children[..]);
    let (trail, heading): (Vec<&str>, String) = match unit {
        None => (Vec::new(), cname.to_string()),
        Some(uid) => {
            let ui = def.unit_index(uid)?;
            let mut trail = Vec::new();
            let mut u = Some(ui);
            while let Some(x) = u {
                if Some(x) == cv.root {
                    break;
                }
                trail.push(def.units()[x].id.as_str());
                if def.contest_area(cv.ci).contains(&x) {
                    break;
                }
                u = def.parent(x);
            }
            trail.reverse();
            let heading = format!("{cname}: {}", ctx.unit_name(uid, lang));
            (trail, heading)
        }
    };
    let mut b = String::new();
    if !embed {
        b.push_str(&crumbs(ctx, lang, contest, &trail));
    }
    b.push_str("<div id=\"results\">\n");
    // A unit's page shows the result type the officials gave it when
    // that came after the contest's.
    let unit_type = unit
        .and_then(|u| def.unit_index(u))
        .and_then(|ui| cv.tally.unit_result_type(cv.ci, ui));
    b.push_str(&ctx.status_banner(
        lang,
        cv.result.status,
        unit_type.as_ref().or(cv.result.result_type.as_ref()),
    ));
    let _ = writeln!(b, "<h1>{}</h1>", esc(&heading));
    b.push_str(&progress_html(ctx.loc(lang), n));
    b.push_str(&meta_html(ctx.loc(lang), n));
    if n.valid() == 0 {
        let _ = writeln!(b, "<p>{}</p>", esc(&t(lang, "no-results")));
    }
    if embed {
        // Widgets an embedding page chooses with `?show=bars,seats,map` (the live script
        // hides the others; without it all are shown).
        // Before any report the bars would read as zero votes each: none then.
        let bars = if n.unreported() {
            String::new()
        } else {
            chart_html(ctx, lang, contest, n, 5, false)
        };
        let _ = writeln!(b, "<div data-widget=\"bars\">{bars}</div>");
        if let (None, Some(sr)) = (unit, cv.result.seat_allocation.as_ref()) {
            let _ = writeln!(
                b,
                "<div data-widget=\"seats\">{}</div>",
                seats_html(ctx, lang, contest, sr)
            );
        }
        let map = map_html(ctx, lang, contest, cid, children);
        if !map.is_empty() {
            let _ = writeln!(b, "<div data-widget=\"map\">{map}</div>");
        }
        b.push_str("</div>\n");
        let full = match unit {
            Some(u) => ctx.unit_path(lang, cid, u),
            None => ctx.contest_path(lang, cid),
        };
        let _ = writeln!(
            b,
            "<p><a href=\"{}\" target=\"_blank\" rel=\"noopener\">{}</a></p>",
            esc(&full),
            esc(&t(lang, "full-results"))
        );
        return Some(b);
    }
    // A ranked-choice contest's own figures (first choices, final round, each round) come
    // from its rounds; its selections' totals are the final round's.
    let ranked = unit.is_none() && cv.result.ranked_choice.is_some();
    if !n.unreported() && !ranked {
        b.push_str(&leader_line(ctx, lang, contest, n));
        b.push_str(&chart_html(ctx, lang, contest, n, MAX_CHART_ROWS, true));
    }
    if let (None, Some(rc)) = (unit, cv.result.ranked_choice.as_ref()) {
        let ci = def.contest_index(cid)?;
        let index = |id: &str| def.selection_index(ci, id);
        let name = |id: &str| {
            index(id)
                .map(|s| ctx.sel_name(contest, s, lang).to_string())
                .unwrap_or_else(|| id.to_string())
        };
        let color = |id: &str| {
            index(id)
                .map(|s| ctx.color(contest, s))
                .unwrap_or_else(|| TIE_FILL.to_string())
        };
        b.push_str(&crate::rounds::summary_html(
            ctx.loc(lang),
            rc,
            &name,
            &color,
        ));
        b.push_str(&crate::rounds::rounds_html(
            ctx.loc(lang),
            rc,
            &name,
            &color,
        ));
    }
    if let (None, Some(sr)) = (unit, cv.result.seat_allocation.as_ref()) {
        b.push_str(&seats_html(ctx, lang, contest, sr));
    }
    let seats = if unit.is_none() {
        cv.result.seats.as_ref()
    } else {
        None
    };
    let prev = if unit.is_none() { prev } else { None };
    let compared = unit
        .is_none()
        .then_some(())
        .and(cv.result.comparison.as_ref());
    if !ranked {
        b.push_str(&results_table(
            ctx,
            lang,
            contest,
            n,
            &heading,
            seats,
            Since { prev, compared },
        ));
    }
    let by_type: Vec<&BTreeMap<&'static str, u64>> = match unit {
        None => cv
            .result
            .selections
            .iter()
            .map(|s| &s.by_count_type)
            .collect(),
        Some(_) => nums.count_types.iter().collect(),
    };
    b.push_str(&count_types_html(ctx, lang, contest, n, &by_type));
    b.push_str(&areas_html(ctx, lang, contest, cid, children));
    if let Some(u) = unit.and_then(|u| def.unit_index(u)) {
        // From a place's result in one contest to everything on its ballot.
        let _ = writeln!(
            b,
            "<p class=\"ballot-link\"><a href=\"{}\">{}</a></p>",
            esc(&navigation::ballot_path(ctx, lang, &def.units()[u].id)),
            esc(&messages().get(lang, "ballot-link", &[("place", ctx.unit_name_at(u, lang))]))
        );
    }
    b.push_str("</div>\n");
    b.push_str(&downloads_html(ctx, lang, Some(cid)));
    Some(b)
}

/// A publication time for a `<time datetime>` attribute: HTML takes at most three digits of
/// a fraction of a second, and a statement's time may carry nine; UTC, whole seconds, fits.
fn machine_time(at: &str) -> String {
    skytale_model::utc_seconds(at).unwrap_or_else(|| at.to_string())
}

fn overview_body(ctx: &Ctx<'_>, lang: &str, doc: &ResultsDoc, pos: &LogPosition) -> String {
    let def = ctx.def;
    // The search form first, outside the region the live script swaps.
    let mut b = navigation::search_form(ctx, lang);
    b.push_str("<div id=\"results\">\n");
    b.push_str(&ctx.status_banner(lang, doc.status, doc.result_type.as_ref()));
    let _ = writeln!(b, "<h1>{}</h1>", esc(ctx.election_name(lang)));
    let d = def.definition();
    let _ = writeln!(
        b,
        "<p class=\"meta\"><time datetime=\"{}\">{}</time></p>",
        esc(&d.date),
        esc(&format_date(ctx.loc(lang), &d.date))
    );
    let update = match &pos.published_at {
        Some(at) => format!(
            "<time datetime=\"{}\">{}</time>",
            esc(&machine_time(at)),
            esc(&format_datetime(ctx.loc(lang), at))
        ),
        None => esc(&t(lang, "not-published")),
    };
    let _ = writeln!(
        b,
        "<p class=\"meta\">{}: {update} · {}: <a href=\"{}\">{}</a></p>",
        esc(&t(lang, "last-update")),
        esc(&t(lang, "tree-size")),
        esc(&ctx.verify_path(lang)),
        esc(&format_int(ctx.loc(lang), pos.tree_size))
    );
    let _ = writeln!(
        b,
        "<p class=\"ballot-link\"><a href=\"{}\">{}</a> · <a href=\"{}\">{}</a></p>",
        esc(&navigation::search_path(ctx, lang)),
        esc(&t(lang, "search-title")),
        esc(&navigation::ballot_path(
            ctx,
            lang,
            &def.units()[def.root()].id
        )),
        esc(&t(lang, "ballot-by-place"))
    );
    let results: HashMap<&str, &ContestResult> =
        doc.contests.iter().map(|c| (c.id.as_str(), c)).collect();
    let groups = navigation::grouped(def, 0..def.contests().len());
    b.push_str(&navigation::group_toc(ctx, lang, &groups));
    for (g, list) in &groups {
        let anchor = navigation::group_anchor(*g);
        // A long group (a state's county offices) as one line per contest: who leads and how
        // far the count is; a short one as cards with bars.
        let compact = list.len() > navigation::MAX_CARDS_PER_GROUP;
        let _ = write!(
            b,
            "<section aria-labelledby=\"{anchor}\"><h2 id=\"{anchor}\">{}</h2>\n<ul class=\"{}\">",
            esc(&navigation::group_heading(ctx, lang, *g)),
            if compact { "rows" } else { "cards" }
        );
        for &ci in list {
            let contest = &def.contests()[ci];
            let Some(c) = results.get(contest.id.as_str()) else {
                continue;
            };
            let n = Numbers::of_contest(c);
            let _ = write!(
                b,
                "<li class=\"{}\"><h3><a href=\"{}\">{}</a></h3>",
                if compact { "row" } else { "card" },
                esc(&ctx.contest_path(lang, &c.id)),
                esc(def.text(&contest.name, lang))
            );
            if compact {
                b.push_str(&navigation::row_figures(ctx, lang, ci, &n));
            } else {
                b.push_str(&navigation::card_figures(ctx, lang, ci, &n));
            }
            b.push_str("</li>\n");
        }
        b.push_str("</ul></section>\n");
    }
    b.push_str("</div>\n");
    b.push_str(&downloads_html(ctx, lang, None));
    b
}

fn verify_body(ctx: &Ctx<'_>, lang: &str, pos: &LogPosition) -> String {
    let d = ctx.def.definition();
    let origin = d.origin();
    let host = origin.split('/').next().unwrap_or(&origin);
    let mut b = format!(
        "<nav aria-label=\"{}\"><ol class=\"crumbs\"><li><a href=\"{}\">{}</a></li><li aria-current=\"page\">{}</li></ol></nav>\n<div id=\"results\">\n{}<h1>{}</h1>\n<p>{}</p>\n<dl>",
        esc(&t(lang, "breadcrumbs")),
        esc(&ctx.overview_path(lang)),
        esc(ctx.election_name(lang)),
        esc(&t(lang, "verify-title")),
        ctx.test_banner(lang),
        esc(&t(lang, "verify-title")),
        esc(&t(lang, "verify-text"))
    );
    let _ = write!(
        b,
        "<dt>{}</dt><dd>{}</dd><dt>{}</dt><dd class=\"hash\">{}</dd>",
        esc(&t(lang, "tree-size")),
        esc(&format_int(ctx.loc(lang), pos.tree_size)),
        esc(&t(lang, "root-hash")),
        esc(&pos.root_hash)
    );
    if let Some(at) = &pos.published_at {
        let _ = write!(
            b,
            "<dt>{}</dt><dd><time datetime=\"{}\">{}</time></dd>",
            esc(&t(lang, "published-at")),
            esc(&machine_time(at)),
            esc(&format_datetime(ctx.loc(lang), at))
        );
    }
    // What a "publication" is (the feed's entries, the change column's reference): a rule of
    // the log, so a verifier recomputes the same ones.
    let rule = match d.publication.mode {
        skytale_model::PublicationMode::Approval => "publications-approval",
        skytale_model::PublicationMode::Automatic => "publications-automatic",
    };
    let _ = write!(b, "</dl>\n<p>{}</p>", esc(&t(lang, rule)));
    if d.publication.mode == skytale_model::PublicationMode::Approval {
        b.push_str(&approval_status(lang, &d.id));
    }
    // A definition without a public origin (`election create --from` derives one) has the
    // placeholder `skytale.invalid/<id>`: a command naming that host would fail for every
    // reader, so the page says the address is missing and leaves a placeholder instead.
    let url = if is_public_host(host) {
        format!("https://{}", esc(host))
    } else {
        let _ = write!(b, "\n<p>{}</p>", esc(&t(lang, "verify-no-address")));
        format!("&lt;{}&gt;", esc(&t(lang, "verify-site-url")))
    };
    let _ = write!(
        b,
        "\n<p>{}</p>\n<pre><code>skytale verify {url} --election {}</code></pre>\n<p>{}</p>\n<pre><code>cargo build --release -p skytale</code></pre>\n<ul><li><a href=\"/log/{e}/checkpoint\">checkpoint</a></li><li><a href=\"/api/v1/elections/{e}\">/api/v1/elections/{e}</a></li></ul>\n</div>\n",
        esc(&t(lang, "verify-command")),
        esc(&d.id),
        esc(&t(lang, "verify-program")),
        e = seg(&d.id)
    );
    b
}

/// Whether `host` (of the log's origin) is an address readers can reach: not empty and not
/// under `.invalid`, the name reserved for what must never resolve (RFC 6761), which the
/// default origin `skytale.invalid/<id>` uses.
fn is_public_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    !host.is_empty() && host != "invalid" && !host.ends_with(".invalid")
}

/// The approval progress of an `approval`-mode election, filled in by the live script from
/// the server's `/approvals` document (a static copy of the site has none, and the paragraph
/// stays empty). The page's own bytes carry only the message templates, so they remain a
/// function of the definition that `skytale verify` re-renders byte for byte.
fn approval_status(lang: &str, id: &str) -> String {
    let tpl = |msg: &str| {
        esc(&messages().get(
            lang,
            msg,
            &[
                ("approved", "{approved}"),
                ("quorum", "{quorum}"),
                ("size", "{size}"),
                ("needed", "{needed}"),
                ("names", "{names}"),
            ],
        ))
    };
    format!(
        "\n<p id=\"approval-status\" aria-live=\"polite\" data-approvals=\"/api/v1/elections/{}/approvals\" data-waiting=\"{}\" data-waiting-any=\"{}\" data-published=\"{}\" data-none=\"{}\"></p>",
        seg(id),
        tpl("approval-waiting"),
        tpl("approval-waiting-any"),
        tpl("approval-published"),
        tpl("approval-none"),
    )
}

fn og(ctx: &Ctx<'_>, cv: &ContestView<'_>) -> Rendered {
    let lang = ctx.def.definition().default_language.as_str();
    let n = Numbers::of_contest(&cv.result);
    let valid = n.valid();
    let rows: Vec<CardRow> = n
        .order()
        .into_iter()
        .take(5)
        .map(|s| CardRow {
            name: ctx.sel_name(cv.contest, s, lang).to_string(),
            value: format_percent(ctx.loc(lang), &share(n.votes[s], valid)),
            votes: n.votes[s],
            color: ctx.color(cv.contest, s),
        })
        .collect();
    let status = t(
        lang,
        result_type_message(
            cv.result.result_type.as_ref().map(|r| r.result_type),
            cv.result.status,
        ),
    );
    let progress_text = messages().get(
        lang,
        "reporting",
        &[
            ("reporting", &format_int(ctx.loc(lang), n.reporting)),
            ("total", &format_int(ctx.loc(lang), n.units)),
        ],
    );
    let svg = og_card(
        lang,
        ctx.def.text(&cv.contest.name, lang),
        ctx.election_name(lang),
        &status,
        &progress_text,
        &rows,
    );
    Rendered::new("image/svg+xml", svg.into_bytes(), CacheClass::Short)
}

/// Levels between a unit and the root of the contest's area it lies in (a root: 0).
fn depth_in_area(def: &ValidDefinition, ci: usize, unit: usize) -> usize {
    let area = def.contest_area(ci);
    let mut depth = 0;
    let mut u = unit;
    while !area.contains(&u) {
        match def.parent(u) {
            Some(p) => {
                u = p;
                depth += 1;
            }
            None => break,
        }
    }
    depth
}

fn changed(state: &mut RenderState, key: String, d: [u8; 32]) -> bool {
    state.digests.insert(key, d) != Some(d)
}

fn json<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

pub(crate) fn render(
    site: &Site,
    tally: &Tally,
    pos: &LogPosition,
    history: &[PublicationRecord],
    state: &mut RenderState,
    scope: Scope<'_>,
) -> BTreeMap<String, Rendered> {
    let def: &ValidDefinition = &site.def;
    let eid = def.id();
    let (max_depth, only) = match scope {
        Scope::Bulk { max_depth } => (max_depth, None),
        Scope::Unit { unit, lang } => (None, Some((unit, lang))),
    };
    let offered = site.languages();
    let langs = match only.and_then(|(_, l)| l) {
        Some(l) => offered.iter().filter(|x| *x == l).cloned().collect(),
        None => offered.clone(),
    };
    let ctx = Ctx {
        site,
        def,
        eid,
        langs,
        offered,
        status: tally.status(),
    };
    let mut out = BTreeMap::new();
    if let Some((unit, _)) = only {
        // One unit's pages: each contest held there needs only its head (status, result type).
        let views: Vec<Option<ContestView<'_>>> = def
            .contests()
            .iter()
            .enumerate()
            .map(|(ci, contest)| {
                let area = def.contest_area(ci);
                if unit >= def.units().len() || !def.contest_held_in(ci, unit) {
                    return None;
                }
                Some(ContestView {
                    contest,
                    ci,
                    tally,
                    result: tally.contest_head(ci)?,
                    root: (area.len() == 1).then(|| area[0]),
                })
            })
            .collect();
        if unit < def.units().len() {
            let views: Vec<Option<&ContestView<'_>>> = views.iter().map(Option::as_ref).collect();
            unit_pages(&ctx, tally, &views, unit, true, state, &mut out);
        }
        return out;
    }
    let prev = history.iter().rev().find(|h| h.tree_size < pos.tree_size);
    let e = seg(eid);
    let whole = tally.document(pos);

    // Always: overview, verification page, feed, whole JSON (they show the tree size).
    for lang in &ctx.langs {
        let l = lang.as_str();
        let title = format!("{} – {}", ctx.election_name(l), t(l, "site-title"));
        let f = ctx.frame(l, title, format!("/{{lang}}/{e}/"), false, None);
        out.insert(
            ctx.overview_path(l),
            html_page(&ctx, &f, &overview_body(&ctx, l, &whole, pos)),
        );
        // The index depends on the definition only: rendered once per render state.
        if !state.digests.contains_key("search") {
            let title = format!("{} – {}", t(l, "search-title"), ctx.election_name(l));
            let f = ctx.frame(l, title, format!("/{{lang}}/{e}/search/"), false, None);
            out.insert(
                navigation::search_path(&ctx, l),
                html_page(&ctx, &f, &navigation::search_body(&ctx, l)),
            );
        }
        let title = format!("{} – {}", t(l, "verify-title"), ctx.election_name(l));
        let mut f = ctx.frame(l, title, format!("/{{lang}}/{e}/verify/"), false, None);
        // Live only in `approval` mode, where the live script shows the approval progress.
        if def.definition().publication.mode != skytale_model::PublicationMode::Approval {
            f.events = None;
        }
        out.insert(
            ctx.verify_path(l),
            html_page(&ctx, &f, &verify_body(&ctx, l, pos)),
        );
    }
    out.insert(
        format!("/feeds/{e}.atom"),
        Rendered::new(
            "application/atom+xml; charset=utf-8",
            feeds::atom(def, pos, history, &whole).into_bytes(),
            CacheClass::Short,
        ),
    );
    if site.feeds {
        out.insert(
            format!("/api/v1/elections/{e}/results"),
            Rendered::new("application/json", whole.to_bytes(), CacheClass::Short),
        );
    }

    let mut views: Vec<Option<ContestView<'_>>> = Vec::with_capacity(def.contests().len());
    for contest in def.contests() {
        let cid = contest.id.as_str();
        let c = seg(cid);
        let Some(ci) = def.contest_index(cid) else {
            views.push(None);
            continue;
        };
        // The feeds carry every unit row; the pages need the head and each unit's figures.
        let result = if site.feeds {
            let Some(mut cdoc) = tally.contest_document(cid, pos) else {
                views.push(None);
                continue;
            };
            out.insert(
                format!("/api/v1/elections/{e}/results/{c}"),
                Rendered::new("application/json", cdoc.to_bytes(), CacheClass::Short),
            );
            let Some(mut result) = cdoc.contests.pop() else {
                views.push(None);
                continue;
            };
            out.insert(
                format!("/api/v1/elections/{e}/results/{c}.csv"),
                Rendered::new(
                    "text/csv; charset=utf-8",
                    feeds::contest_csv(def, &result).into_bytes(),
                    CacheClass::Short,
                ),
            );
            result.units = Vec::new();
            result
        } else {
            let Some(head) = tally.contest_head(ci) else {
                views.push(None);
                continue;
            };
            head
        };
        let area = def.contest_area(ci);
        let root = (area.len() == 1).then(|| area[0]);
        let cv = ContestView {
            contest,
            ci,
            tally,
            result,
            root,
        };
        let prev_totals = prev.and_then(|p| p.totals.get(cid));

        // Contest level: totals, the rows of the areas listed, previous totals, status.
        let nums = PageNumbers {
            own: Numbers::of_contest(&cv.result),
            children: cv.children(child_ids(def, ci, root)),
            count_types: Vec::new(),
        };
        let mut rows = Vec::new();
        for (_, n) in &nums.children {
            n.digest_bytes(&mut rows);
        }
        let d = digest(&[
            ctx.status.as_bytes(),
            &json(&cv.result),
            &rows,
            &json(&prev_totals),
        ]);
        if changed(state, format!("c:{cid}"), d) {
            for lang in &ctx.langs {
                let l = lang.as_str();
                let title = format!(
                    "{} – {} – {}",
                    def.text(&contest.name, l),
                    ctx.election_name(l),
                    t(l, "site-title")
                );
                let og_path = OgImage {
                    path: format!("/og/{e}/{c}.png"),
                    alt: messages().get(
                        l,
                        "og-image-alt",
                        &[("contest", def.text(&contest.name, l))],
                    ),
                };
                if let Some(body) = contest_body(&ctx, l, &cv, None, &nums, prev_totals, false) {
                    let f = ctx.frame(
                        l,
                        title.clone(),
                        format!("/{{lang}}/{e}/{c}/"),
                        false,
                        Some(og_path.clone()),
                    );
                    out.insert(ctx.contest_path(l, cid), html_page(&ctx, &f, &body));
                }
                if let Some(body) = contest_body(&ctx, l, &cv, None, &nums, None, true) {
                    let f = ctx.frame(
                        l,
                        title,
                        format!("/embed/{{lang}}/{e}/{c}/"),
                        true,
                        Some(og_path),
                    );
                    out.insert(
                        format!("/embed/{}/{e}/{c}/", seg(l)),
                        html_page(&ctx, &f, &body),
                    );
                }
            }
            let card = og(&ctx, &cv);
            // The PNG only when the card shows something new (its leading rows, progress or
            // status): rasterising costs milliseconds, an SVG digest microseconds.
            if changed(state, format!("og:{cid}"), digest(&[&card.body])) {
                if let Ok(png) = crate::card::png(&String::from_utf8_lossy(&card.body)) {
                    out.insert(
                        format!("/og/{e}/{c}.png"),
                        Rendered::new("image/png", png, CacheClass::Short),
                    );
                }
            }
            out.insert(format!("/og/{e}/{c}.svg"), card);
        }
        views.push(Some(cv));
    }

    // The screen of the whole election, then every unit's pages, walked by index from the
    // root: a national election has hundreds of thousands of polling stations, and each page's
    // digest needs only their figures, not a full result row. A unit whose pages are made on
    // demand is not entered: its descendants are on demand too.
    let root = def.root();
    let views: Vec<Option<&ContestView<'_>>> = views.iter().map(Option::as_ref).collect();
    screen(&ctx, tally, &views, root, state, &mut out);
    let mut stack: Vec<usize> = vec![root];
    while let Some(ui) = stack.pop() {
        stack.extend(
            def.children(ui)
                .iter()
                .rev()
                .copied()
                .filter(|&k| ctx.in_bulk(k)),
        );
        if ui == root {
            continue;
        }
        match max_depth {
            None => unit_pages(&ctx, tally, &views, ui, true, state, &mut out),
            Some(d) => {
                // Only the contests in whose areas the unit is shallow enough; its screen
                // (every contest held there) only when that is all of them.
                let shallow: Vec<Option<&ContestView<'_>>> = views
                    .iter()
                    .map(|v| v.filter(|cv| depth_in_area(def, cv.ci, ui) <= d))
                    .collect();
                let whole = shallow
                    .iter()
                    .zip(&views)
                    .all(|(a, b)| a.is_some() == b.is_some());
                unit_pages(&ctx, tally, &shallow, ui, whole, state, &mut out);
            }
        }
    }
    state.digests.insert("search".into(), [0; 32]);
    navigation::ballot(&ctx, tally, state, root, &mut out);
    out
}

/// The answer to a search of the site in `lang` (see [`Site::render_search`]); `None` when the
/// site is not offered in `lang`.
pub(crate) fn search(site: &Site, lang: &str, query: &str) -> Option<crate::Search> {
    let offered = site.languages();
    let lang = offered.iter().find(|l| *l == lang)?.clone();
    let query = query.trim();
    if query.is_empty() {
        return Some(crate::Search::Empty);
    }
    let def: &ValidDefinition = &site.def;
    let ctx = Ctx {
        site,
        def,
        eid: def.id(),
        langs: vec![lang.clone()],
        offered: offered.clone(),
        // Not shown: the search pages carry no figures.
        status: "unofficial",
    };
    let l = lang.as_str();
    let e = seg(ctx.eid);
    if query.len() > navigation::MAX_QUERY_BYTES {
        let title = format!("{} – {}", t(l, "search-title"), ctx.election_name(l));
        let f = ctx.frame(l, title, format!("/{{lang}}/{e}/search/"), false, None);
        return Some(crate::Search::TooLong(html_page(
            &ctx,
            &f,
            &navigation::search_too_long_body(&ctx, l),
        )));
    }
    let title = format!(
        "{} – {}",
        navigation::search_results_heading(l, query),
        ctx.election_name(l)
    );
    // Each language's switcher link searches for the same text in that language.
    let template = format!("/{{lang}}/{e}/search/{}", navigation::query_string(query));
    let f = ctx.frame(l, title, template, false, None);
    Some(crate::Search::Results(html_page(
        &ctx,
        &f,
        &navigation::search_results_body(&ctx, l, query),
    )))
}

/// Every page of unit `ui` (never the definition's root, whose pages are the overview and the
/// contest pages): for each contest held there its page and embed, and its screen when it has
/// areas below it. Each kind of per-unit page is made here and only here, so the bulk render
/// (each unit in turn) and the on-demand render ([`Site::render_unit`]: one unit) make the
/// same bytes. `views[ci]` is contest `ci` when the page is to be made.
fn unit_pages(
    ctx: &Ctx<'_>,
    tally: &Tally,
    views: &[Option<&ContestView<'_>>],
    ui: usize,
    with_screen: bool,
    state: &mut RenderState,
    out: &mut BTreeMap<String, Rendered>,
) {
    let def = ctx.def;
    let e = seg(ctx.eid);
    let kids = def.children(ui);
    let u = &def.units()[ui];
    let us = seg(&u.id);
    let mut buf = Vec::new();
    for cv in views.iter().flatten() {
        let (contest, ci) = (cv.contest, cv.ci);
        let cid = contest.id.as_str();
        let c = seg(cid);
        // The single area root is the contest page itself.
        if Some(ui) == cv.root || !def.contest_held_in(ci, ui) {
            continue;
        }
        let pre = PageNumbers {
            own: cv.numbers_at(ui),
            children: cv.children(kids.iter().copied()),
            count_types: tally.unit_count_types(ci, ui),
        };
        buf.clear();
        pre.own.digest_bytes(&mut buf);
        for (_, n) in &pre.children {
            n.digest_bytes(&mut buf);
        }
        // The table by count type: votes may move between types with the totals unchanged.
        for by in &pre.count_types {
            for (ty, v) in by {
                buf.extend_from_slice(ty.as_bytes());
                buf.extend_from_slice(&v.to_le_bytes());
            }
            buf.push(0);
        }
        let said = json(&(
            cv.result.status,
            &cv.result.result_type,
            tally.unit_result_type(ci, ui),
        ));
        let d = digest(&[ctx.status.as_bytes(), &said, &buf]);
        if !changed(state, format!("u:{cid}:{}", u.id), d) {
            continue;
        }
        for lang in &ctx.langs {
            let l = lang.as_str();
            let title = format!(
                "{}: {} – {} – {}",
                def.text(&contest.name, l),
                ctx.unit_name(&u.id, l),
                ctx.election_name(l),
                t(l, "site-title")
            );
            if let Some(body) = contest_body(ctx, l, cv, Some(&u.id), &pre, None, false) {
                let f = ctx.frame(
                    l,
                    title.clone(),
                    format!("/{{lang}}/{e}/{c}/{us}/"),
                    false,
                    None,
                );
                out.insert(ctx.unit_path(l, cid, &u.id), html_page(ctx, &f, &body));
            }
            if let Some(body) = contest_body(ctx, l, cv, Some(&u.id), &pre, None, true) {
                let f = ctx.frame(
                    l,
                    title,
                    format!("/embed/{{lang}}/{e}/{c}/{us}/"),
                    true,
                    None,
                );
                out.insert(
                    format!("/embed/{}/{e}/{c}/{us}/", seg(l)),
                    html_page(ctx, &f, &body),
                );
            }
        }
    }
    if with_screen && !kids.is_empty() {
        screen(ctx, tally, views, ui, state, out);
    }
    // Its ballot (every contest held there) with the screen's rule: only once all of them are
    // in this render.
    if with_screen {
        navigation::ballot(ctx, tally, state, ui, out);
    }
}

/// One slide of a screen: a contest's figures at the screen's area and what they are.
struct Slide {
    ci: usize,
    numbers: Numbers,
    status: &'static str,
    result_type: Option<ResultTypeDoc>,
}

/// The screen of unit `u` (`/embed/<lang>/<election>/screen/` for the root, else
/// `…/screen/<unit>/` for each area with areas below it): a TV or kiosk view that shows one
/// contest at a time in large type, cycling and updating live (the live script;
/// `?every=<seconds>` and `?contest=<id>,…` choose the pace and the contests), every contest
/// held there listed one after the other without JavaScript. Chrome-less and frameable, as
/// every embed.
fn screen(
    ctx: &Ctx<'_>,
    tally: &Tally,
    views: &[Option<&ContestView<'_>>],
    u: usize,
    state: &mut RenderState,
    out: &mut BTreeMap<String, Rendered>,
) {
    let def = ctx.def;
    let e = seg(ctx.eid);
    let root = def.root();
    let mut slides = Vec::new();
    for cv in views.iter().flatten() {
        let ci = cv.ci;
        let area = def.contest_area(ci);
        let head = &cv.result;
        if u == root || (area.len() == 1 && area[0] == u) {
            slides.push(Slide {
                ci,
                numbers: Numbers::of_contest(head),
                status: head.status,
                result_type: head.result_type.clone(),
            });
        } else if area.iter().any(|&a| def.is_within(u, a)) {
            slides.push(Slide {
                ci,
                numbers: Numbers::of_unit(tally.unit_figures(ci, u)),
                status: head.status,
                result_type: tally
                    .unit_result_type(ci, u)
                    .or_else(|| head.result_type.clone()),
            });
        }
    }
    if slides.is_empty() {
        return;
    }
    let mut buf = Vec::new();
    for sl in &slides {
        buf.extend_from_slice(&(sl.ci as u64).to_le_bytes());
        sl.numbers.digest_bytes(&mut buf);
        buf.extend_from_slice(&json(&(sl.status, &sl.result_type)));
    }
    let uid = &def.units()[u].id;
    if !changed(state, format!("screen:{uid}"), digest(&[&buf])) {
        return;
    }
    let tail = if u == root {
        String::new()
    } else {
        format!("{}/", seg(uid))
    };
    for lang in &ctx.langs {
        let l = lang.as_str();
        let place = ctx.unit_name_at(u, l);
        let title = format!(
            "{} – {place} – {}",
            ctx.election_name(l),
            t(l, "site-title")
        );
        let f = ctx.frame(
            l,
            title,
            format!("/embed/{{lang}}/{e}/screen/{tail}"),
            true,
            None,
        );
        out.insert(
            format!("/embed/{}/{e}/screen/{tail}", seg(l)),
            html_page(ctx, &f, &screen_body(ctx, l, u, &slides)),
        );
    }
}

fn screen_body(ctx: &Ctx<'_>, lang: &str, unit: usize, slides: &[Slide]) -> String {
    let def = ctx.def;
    let mut b = String::from("<div class=\"screen\" data-screen=\"10\">\n");
    b.push_str(&ctx.test_banner(lang));
    let _ = writeln!(
        b,
        "<h1>{}: {}</h1>",
        esc(ctx.election_name(lang)),
        esc(ctx.unit_name_at(unit, lang))
    );
    b.push_str("<div id=\"results\">\n");
    for sl in slides {
        let contest = &def.contests()[sl.ci];
        let _ = writeln!(
            b,
            "<section class=\"slide\" data-contest=\"{}\" aria-labelledby=\"s-{}\"><h2 id=\"s-{}\">{}</h2>",
            esc(&contest.id),
            esc(&contest.id),
            esc(&contest.id),
            esc(def.text(&contest.name, lang))
        );
        // The test banner is said once, above the slides.
        b.push_str(&Ctx::status_line(
            ctx.loc(lang),
            sl.status,
            sl.result_type.as_ref(),
        ));
        b.push_str(&progress_html(ctx.loc(lang), &sl.numbers));
        if sl.numbers.valid() == 0 {
            let _ = writeln!(b, "<p>{}</p>", esc(&t(lang, "no-results")));
        } else {
            b.push_str(&chart_html(ctx, lang, contest, &sl.numbers, 6, false));
        }
        b.push_str(&meta_html(ctx.loc(lang), &sl.numbers));
        b.push_str("</section>\n");
    }
    b.push_str("</div>\n</div>\n");
    b
}

/// The archive page: elections by year (newest first), each linking to its overview in the
/// reader's language when the election offers it, else in its default language.
pub(crate) fn archive(elections: &[ArchiveEntryRef], lang: &str) -> Rendered {
    let mut by_year: BTreeMap<&str, Vec<&ArchiveEntryRef>> = BTreeMap::new();
    for e in elections {
        by_year
            .entry(e.date.get(0..4).unwrap_or(""))
            .or_default()
            .push(e);
    }
    let mut b = format!("<h1>{}</h1>\n", esc(&t(lang, "archive-title")));
    if elections.is_empty() {
        let _ = writeln!(b, "<p>{}</p>", esc(&t(lang, "archive-empty")));
    }
    b.push_str("<div class=\"years\">");
    for (year, mut list) in by_year.into_iter().rev() {
        list.sort_by(|a, b| b.date.cmp(&a.date).then(a.id.cmp(&b.id)));
        let _ = write!(b, "<section><h2>{}</h2><ul>", esc(year));
        for e in list {
            let l = if e.languages.iter().any(|x| x == lang) {
                lang
            } else {
                e.default_language.as_str()
            };
            let name = e
                .name
                .get(l)
                .or_else(|| e.name.get(&e.default_language))
                .map(String::as_str)
                .unwrap_or(&e.id);
            let status = match e.status.as_deref() {
                Some("certified") => t(lang, "certified"),
                Some(_) => t(lang, "unofficial"),
                None => t(lang, "not-published"),
            };
            let _ = write!(
                b,
                "<li><a href=\"/{}/{}/\" hreflang=\"{}\">{}</a> – <time datetime=\"{}\">{}</time> – {}</li>",
                seg(l),
                seg(&e.id),
                esc(l),
                esc(name),
                esc(&e.date),
                esc(&format_date(lang, &e.date)),
                esc(&status)
            );
        }
        b.push_str("</ul></section>");
    }
    b.push_str("</div>\n");
    let langs: Vec<String> = UI_LANGUAGES.iter().map(|(l, _)| l.to_string()).collect();
    let f = Frame {
        lang,
        title: format!("{} – {}", t(lang, "archive-title"), t(lang, "site-title")),
        path_template: Some("/{lang}/".to_string()),
        languages: &langs,
        events: None,
        feed: None,
        og_image: None,
        embed: false,
        home: format!("/{}/", seg(lang)),
    };
    Rendered::new(HTML, page(assets(), &f, &b).into_bytes(), CacheClass::Short)
}

pub(crate) type ArchiveEntryRef = crate::ArchiveEntry;

#[cfg(test)]
mod tests {
    use super::palette;

    #[test]
    fn the_palette_never_repeats_within_a_contest_of_many_choices() {
        let colours: Vec<String> = (0..60).map(palette).collect();
        let mut unique = colours.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), colours.len(), "{colours:?}");
        assert!(colours.iter().all(|c| c.len() == 7 && c.starts_with('#')));
    }
}
