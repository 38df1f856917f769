//! The rounds of a ranked-choice contest on its page: who was elected, what was counted, a
//! round-by-round chart (decorative SVG: one stacked bar per round, inactive ballots in grey,
//! the threshold as a line) and its text equivalent, the table of candidates × rounds with
//! elected/eliminated marks, inactive ballots and thresholds, then every transfer in words.
//!
//! Vote values are RCTab's decimal strings; the chart sizes bars by their whole part in integer
//! arithmetic, so the bytes never depend on floating point.

use std::fmt::Write as _;

use skytale_rcv::report::ReportRound;
use skytale_tally::RankedChoiceResult;

use crate::html::{esc, swatch};
use crate::i18n::{format_decimal, format_int, messages};

const W: u64 = 1000;
const ROW: u64 = 24;
const INACTIVE: &str = "#bdbdbd";

fn t(lang: &str, id: &str, args: &[(&str, &str)]) -> String {
    messages().get(lang, id, args)
}

fn whole(v: &str) -> u64 {
    v.split('.')
        .next()
        .and_then(|w| w.parse().ok())
        .unwrap_or(0)
}

fn inactive(r: &ReportRound) -> u64 {
    r.inactive_ballots.values().map(|v| whole(v)).sum()
}

/// The section of a ranked-choice contest page. `name` and `color` give a selection's display
/// name and colour by id.
pub fn rounds_html(
    lang: &str,
    rc: &RankedChoiceResult,
    name: &dyn Fn(&str) -> String,
    color: &dyn Fn(&str) -> String,
) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<section aria-labelledby=\"rounds-h\"><h2 id=\"rounds-h\">{}</h2>",
        esc(&t(lang, "rcv-title", &[]))
    );
    if !rc.winners.is_empty() {
        let names: Vec<String> = rc.winners.iter().map(|w| name(w)).collect();
        let _ = write!(
            h,
            "<p><strong>{}</strong></p>",
            esc(&t(lang, "rcv-elected", &[("names", &names.join(", "))]))
        );
    }
    let counted = rc.files.iter().filter(|f| f.counted).count() as u64;
    let _ = write!(
        h,
        "<p>{}</p>",
        esc(&t(
            lang,
            "rcv-ballots",
            &[
                ("ballots", &format_int(lang, rc.ballots)),
                ("files", &format_int(lang, counted))
            ]
        ))
    );
    if !rc.pending.is_empty() {
        let _ = write!(
            h,
            "<p>{}</p>",
            esc(&t(
                lang,
                "rcv-pending",
                &[("count", &format_int(lang, rc.pending.len() as u64))]
            ))
        );
    }
    if let Some(why) = &rc.error {
        let _ = write!(
            h,
            "<p role=\"alert\">{}</p>",
            esc(&t(lang, "rcv-error", &[("why", why)]))
        );
    }
    let many = rc.passes.len() > 1;
    for (p, pass) in rc.passes.iter().enumerate() {
        let id = format!("p{}", p + 1);
        if many {
            let _ = write!(
                h,
                "<h3>{}</h3>",
                esc(&t(lang, "rcv-pass", &[("n", &(p + 1).to_string())]))
            );
        }
        h.push_str(&chart(lang, &id, &pass.rounds, name, color));
        h.push_str(&table(lang, &id, &pass.rounds, name, color));
        h.push_str(&transfers(lang, &pass.rounds, name));
    }
    h.push_str("</section>\n");
    h
}

/// First choices and the final round side by side, each labelled, with its share of the
/// round's active ballots: a candidate's first choices are what voters marked, the final round
/// is where the count ended, and the two must never be shown under one heading.
pub fn summary_html(
    lang: &str,
    rc: &RankedChoiceResult,
    name: &dyn Fn(&str) -> String,
    color: &dyn Fn(&str) -> String,
) -> String {
    let Some(rounds) = rc.passes.last().map(|p| &p.rounds[..]) else {
        return String::new();
    };
    let (Some(first), Some(last)) = (rounds.first(), rounds.last()) else {
        return String::new();
    };
    let active = |r: &ReportRound| r.tally.values().map(|v| whole(v)).sum::<u64>();
    let (first_total, last_total) = (active(first), active(last));
    let pct =
        |v: u64, total: u64| crate::i18n::format_percent(lang, &skytale_tally::share(v, total));
    let labels = [
        t(lang, "rcv-first-choices", &[]),
        t(lang, "share", &[]),
        t(lang, "rcv-final-round", &[]),
        t(lang, "share", &[]),
    ]
    .map(|l| esc(&l));
    let mut h = format!(
        "<section aria-labelledby=\"rcv-sum-h\"><h2 id=\"rcv-sum-h\">{}</h2><div class=\"scroll\"><table class=\"stack\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        esc(&t(lang, "rcv-summary-caption", &[])),
        esc(&t(lang, "rcv-candidate", &[])),
        labels[0],
        labels[1],
        labels[2],
        labels[3]
    );
    for c in order(rounds) {
        let v1 = first.tally.get(&c).map_or(0, |v| whole(v));
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}{}</th><td class=\"num\" data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td>",
            swatch(&color(&c)),
            esc(&name(&c)),
            labels[0],
            esc(&format_int(lang, v1)),
            labels[1],
            esc(&pct(v1, first_total))
        );
        match last.tally.get(&c) {
            Some(v) => {
                let _ = write!(
                    h,
                    "<td class=\"num\" data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td></tr>",
                    labels[2],
                    esc(&format_decimal(lang, v)),
                    labels[3],
                    esc(&pct(whole(v), last_total))
                );
            }
            // Eliminated before the last round: no figure there.
            None => {
                let _ = write!(
                    h,
                    "<td class=\"num\" data-label=\"{}\">–</td><td data-label=\"{}\">–</td></tr>",
                    labels[2], labels[3]
                );
            }
        }
    }
    h.push_str("</tbody></table></div></section>\n");
    h
}

/// Candidates in the order of their first-round votes, most first (ties by id).
fn order(rounds: &[ReportRound]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for r in rounds {
        for k in r.tally.keys() {
            if !ids.contains(k) {
                ids.push(k.clone());
            }
        }
    }
    let first = |id: &String| {
        rounds
            .first()
            .and_then(|r| r.tally.get(id))
            .map_or(0, |v| whole(v))
    };
    ids.sort_by(|a, b| first(b).cmp(&first(a)).then_with(|| a.cmp(b)));
    ids
}

fn chart(
    lang: &str,
    id: &str,
    rounds: &[ReportRound],
    name: &dyn Fn(&str) -> String,
    color: &dyn Fn(&str) -> String,
) -> String {
    let ids = order(rounds);
    // Every round's bar is on the scale of all ballots (round 1's active and inactive).
    let total = rounds
        .first()
        .map_or(0, |r| {
            r.tally.values().map(|v| whole(v)).sum::<u64>() + inactive(r)
        })
        .max(1);
    // One labelled bar per round (the label is text of the page, so it stays legible at any
    // width; the bar stretches).
    let mut s = format!(
        "<figure class=\"rounds\" aria-labelledby=\"{id}-chart-cap\"><ul class=\"chart\" aria-hidden=\"true\">"
    );
    for r in rounds {
        let y = 0u64;
        let mut x = 0u64;
        let _ = write!(
            s,
            "<li><div class=\"lbl\"><span>{}</span></div><svg viewBox=\"0 0 {W} {ROW}\" preserveAspectRatio=\"none\" focusable=\"false\">",
            esc(&t(lang, "rcv-round", &[("n", &r.round.to_string())]))
        );
        for c in &ids {
            let v = r.tally.get(c).map_or(0, |v| whole(v));
            let w = u64::try_from(u128::from(v) * u128::from(W) / u128::from(total)).unwrap_or(0);
            if w > 0 {
                let _ = write!(
                    s,
                    "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{ROW}\" fill=\"{}\"/>",
                    esc(&color(c))
                );
            }
            x += w;
        }
        let w = u64::try_from(u128::from(inactive(r)) * u128::from(W) / u128::from(total))
            .unwrap_or(0)
            .min(W.saturating_sub(x));
        if w > 0 {
            let _ = write!(
                s,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{ROW}\" fill=\"{INACTIVE}\"/>"
            );
        }
        let tx = u64::try_from(u128::from(whole(&r.threshold)) * u128::from(W) / u128::from(total))
            .unwrap_or(0)
            .min(W);
        let _ = write!(
            s,
            "<line x1=\"{tx}\" x2=\"{tx}\" y1=\"{y}\" y2=\"{}\" stroke=\"#000\" stroke-width=\"4\"/></svg></li>",
            y + ROW
        );
    }
    s.push_str("</ul>");
    let _ = write!(
        s,
        "<figcaption id=\"{id}-chart-cap\">{}</figcaption><ul class=\"legend\">",
        esc(&t(lang, "rcv-chart-caption", &[]))
    );
    // Every candidate: a colour not named here would be a bar no one can read.
    for c in &ids {
        let _ = write!(s, "<li>{}{}</li>", swatch(&color(c)), esc(&name(c)));
    }
    let _ = write!(
        s,
        "<li>{}{}</li></ul></figure>",
        swatch(INACTIVE),
        esc(&t(lang, "rcv-inactive", &[]))
    );
    s
}

fn table(
    lang: &str,
    id: &str,
    rounds: &[ReportRound],
    name: &dyn Fn(&str) -> String,
    color: &dyn Fn(&str) -> String,
) -> String {
    let ids = order(rounds);
    let mut h = format!(
        "<div class=\"scroll\" role=\"region\" aria-labelledby=\"{id}-tbl-cap\" tabindex=\"0\"><table class=\"stack\"><caption id=\"{id}-tbl-cap\">{}</caption><thead><tr><th scope=\"col\">{}</th>",
        esc(&t(lang, "rcv-table-caption", &[])),
        esc(&t(lang, "rcv-candidate", &[]))
    );
    for r in rounds {
        let _ = write!(
            h,
            "<th scope=\"col\" class=\"num\">{}</th>",
            esc(&t(lang, "rcv-round", &[("n", &r.round.to_string())]))
        );
    }
    h.push_str("</tr></thead><tbody>");
    for c in &ids {
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}{}</th>",
            swatch(&color(c)),
            esc(&name(c))
        );
        for r in rounds {
            let label = esc(&t(lang, "rcv-round", &[("n", &r.round.to_string())]));
            let mark = r.tally_results.iter().find_map(|x| {
                if x.elected.as_deref() == Some(c) {
                    Some(t(lang, "rcv-elected-mark", &[]))
                } else if x.eliminated.as_deref() == Some(c) {
                    Some(t(lang, "rcv-eliminated-mark", &[]))
                } else {
                    None
                }
            });
            match (r.tally.get(c), mark) {
                (Some(v), Some(m)) => {
                    let _ = write!(
                        h,
                        "<td class=\"num\" data-label=\"{label}\">{} <strong>({})</strong></td>",
                        esc(&format_decimal(lang, v)),
                        esc(&m)
                    );
                }
                (Some(v), None) => {
                    let _ = write!(
                        h,
                        "<td class=\"num\" data-label=\"{label}\">{}</td>",
                        esc(&format_decimal(lang, v))
                    );
                }
                (None, _) => {
                    let _ = write!(h, "<td class=\"num\" data-label=\"{label}\">–</td>");
                }
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody><tfoot>");
    footer_row(lang, &mut h, &t(lang, "rcv-inactive", &[]), rounds, |r| {
        format_int(lang, inactive(r))
    });
    footer_row(lang, &mut h, &t(lang, "rcv-threshold", &[]), rounds, |r| {
        format_decimal(lang, &r.threshold)
    });
    h.push_str("</tfoot></table></div>\n");
    h
}

/// One row of the table's foot: its heading, then one figure per round.
fn footer_row(
    lang: &str,
    h: &mut String,
    heading: &str,
    rounds: &[ReportRound],
    figure: impl Fn(&ReportRound) -> String,
) {
    let _ = write!(h, "<tr><th scope=\"row\">{}</th>", esc(heading));
    for r in rounds {
        let _ = write!(
            h,
            "<td class=\"num\" data-label=\"{}\">{}</td>",
            esc(&t(lang, "rcv-round", &[("n", &r.round.to_string())])),
            esc(&figure(r))
        );
    }
    h.push_str("</tr>");
}

/// Every decision and where its votes went, in words.
fn transfers(lang: &str, rounds: &[ReportRound], name: &dyn Fn(&str) -> String) -> String {
    let mut h = format!(
        "<details><summary>{}</summary><ul>",
        esc(&t(lang, "rcv-transfers", &[]))
    );
    let exhausted = t(lang, "rcv-exhausted", &[]);
    let residual = t(lang, "rcv-residual", &[]);
    for r in rounds {
        for x in &r.tally_results {
            let (who, mark) = match (&x.elected, &x.eliminated) {
                (Some(w), _) => (w, t(lang, "rcv-elected-mark", &[])),
                (None, Some(w)) => (w, t(lang, "rcv-eliminated-mark", &[])),
                (None, None) => continue,
            };
            let to: Vec<String> = x
                .transfers
                .iter()
                .map(|(k, v)| {
                    let target = match k.as_str() {
                        "exhausted" => exhausted.clone(),
                        "residual surplus" => residual.clone(),
                        id => name(id),
                    };
                    format!("{target} {}", format_decimal(lang, v))
                })
                .collect();
            let _ = write!(
                h,
                "<li>{}: {} ({}){}</li>",
                esc(&t(lang, "rcv-round", &[("n", &r.round.to_string())])),
                esc(&name(who)),
                esc(&mark),
                if to.is_empty() {
                    String::new()
                } else {
                    format!(" → {}", esc(&to.join(", ")))
                }
            );
        }
    }
    h.push_str("</ul></details>\n");
    h
}
