//! The officials' console as HTML: sign-in, the night at a glance, upload, held submissions,
//! approval, certification and the audit trail.
//!
//! Pure like the rest of this crate: the server gathers what a page shows (already limited to
//! the official's scope) into the view structs below and gets bytes back. Every page works
//! with the keyboard and a screen reader (one `<main>`, headings in order, tables with
//! captions and header cells, a live region for what the script reports). The script
//! (`assets/console.js`) only signs and sends; it never builds a page. Actions that sign carry
//! the statement to sign in `data-` attributes, filled by the server, so what the official
//! sees is what is signed.

use std::fmt::Write as _;

use serde_json::json;

use crate::html::esc;
use crate::i18n::{console_messages, format_int};

/// The console's script and style sheet, under hashed names (`/console/assets/…`).
pub struct ConsoleAssets {
    pub js_path: String,
    pub css_path: String,
    pub files: Vec<(String, crate::Rendered)>,
}

const CONSOLE_JS: &str = include_str!("../assets/console.js");
const CONSOLE_CSS: &str = include_str!("../assets/console.css");

/// The process-wide console assets (built once).
pub fn console_assets() -> &'static ConsoleAssets {
    static ASSETS: std::sync::OnceLock<ConsoleAssets> = std::sync::OnceLock::new();
    ASSETS.get_or_init(|| {
        let name = |stem: &str, ext: &str, body: &str| {
            use sha2::Digest as _;
            let h = sha2::Sha256::digest(body.as_bytes());
            format!("/console/assets/{stem}.{}.{ext}", hex::encode(&h[..4]))
        };
        let js_path = name("console", "js", CONSOLE_JS);
        let css_path = name("console", "css", CONSOLE_CSS);
        let files = vec![
            (
                js_path.clone(),
                crate::Rendered::new(
                    "text/javascript; charset=utf-8",
                    CONSOLE_JS.as_bytes().to_vec(),
                    crate::CacheClass::Immutable,
                ),
            ),
            (
                css_path.clone(),
                crate::Rendered::new(
                    "text/css; charset=utf-8",
                    CONSOLE_CSS.as_bytes().to_vec(),
                    crate::CacheClass::Immutable,
                ),
            ),
        ];
        ConsoleAssets {
            js_path,
            css_path,
            files,
        }
    })
}

/// Who is signed in.
#[derive(Clone, Debug)]
pub struct Official {
    /// The key's name.
    pub key: String,
    /// `authority`, `approver` or `reporter`.
    pub office: &'static str,
    /// The names of the units a reporter answers for (the election's root for the others).
    pub scope: Vec<String>,
    /// When the session ends (RFC 3339).
    pub expires_at: String,
}

impl Official {
    /// The authority and the approvers review, approve and certify.
    pub fn decides(&self) -> bool {
        self.office != "reporter"
    }
}

/// What every console page knows.
pub struct Ctx<'a> {
    pub lang: &'a str,
    pub election: &'a str,
    pub election_name: &'a str,
    /// The official, on every page but the sign-in.
    pub official: Option<&'a Official>,
    /// The session's anti-forgery token, sent back with the few requests that are not signed
    /// statements (sign-out, upload preview).
    pub csrf: Option<&'a str>,
    /// The election is a test (a rehearsal): every page says so.
    pub test: bool,
}

fn t(lang: &str, id: &str) -> String {
    console_messages().get(lang, id, &[])
}

fn ta(lang: &str, id: &str, args: &[(&str, &str)]) -> String {
    console_messages().get(lang, id, args)
}

/// Which page of the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Night,
    Upload,
    Held,
    Approve,
    Certify,
    Audit,
}

impl Tab {
    fn path(self) -> &'static str {
        match self {
            Tab::Night => "",
            Tab::Upload => "upload",
            Tab::Held => "held",
            Tab::Approve => "approve",
            Tab::Certify => "certify",
            Tab::Audit => "audit",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Tab::Night => "tab-night",
            Tab::Upload => "tab-upload",
            Tab::Held => "tab-held",
            Tab::Approve => "tab-approve",
            Tab::Certify => "tab-certify",
            Tab::Audit => "tab-audit",
        }
    }
    /// The tabs an office sees.
    fn for_office(official: &Official) -> Vec<Tab> {
        if official.decides() {
            vec![
                Tab::Night,
                Tab::Held,
                Tab::Approve,
                Tab::Certify,
                Tab::Audit,
            ]
        } else {
            vec![Tab::Night, Tab::Upload, Tab::Held, Tab::Audit]
        }
    }
}

/// The whole document around `body`.
fn frame(ctx: &Ctx<'_>, tab: Option<Tab>, title: &str, body: &str) -> Vec<u8> {
    let a = console_assets();
    let lang = ctx.lang;
    let mut h = String::with_capacity(body.len() + 2048);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"{}\" dir=\"ltr\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"robots\" content=\"noindex\">\n<title>{} · {}</title>\n<link rel=\"stylesheet\" href=\"{}\">\n<script src=\"{}\" defer></script>\n</head>\n",
        esc(lang),
        esc(title),
        esc(&t(lang, "console-title")),
        a.css_path,
        a.js_path
    );
    let _ = write!(
        h,
        "<body data-election=\"{}\" data-lang=\"{}\"{}>\n<a class=\"skip\" href=\"#main\">{}</a>\n<header class=\"bar\">\n<p class=\"brand\"><a href=\"/console/\">{}</a> · {}</p>\n",
        esc(ctx.election),
        esc(lang),
        ctx.csrf
            .map(|c| format!(" data-csrf=\"{}\"", esc(c)))
            .unwrap_or_default(),
        esc(&t(lang, "skip-to-content")),
        esc(&t(lang, "console-title")),
        esc(ctx.election_name),
    );
    if let Some(o) = ctx.official {
        let _ = writeln!(
            h,
            "<p class=\"who\">{} <button type=\"button\" class=\"link\" data-action=\"sign-out\">{}</button></p>",
            esc(&ta(
                lang,
                "signed-in-as",
                &[("key", &o.key), ("office", &t(lang, &format!("office-{}", o.office))), ("until", &human_time(&o.expires_at))]
            )),
            esc(&t(lang, "sign-out"))
        );
        h.push_str("<nav aria-label=\"");
        h.push_str(&esc(&t(lang, "console-sections")));
        h.push_str("\"><ul>");
        for tb in Tab::for_office(o) {
            let current = if Some(tb) == tab {
                " aria-current=\"page\""
            } else {
                ""
            };
            let _ = write!(
                h,
                "<li><a href=\"/console/{}/{}\"{current}>{}</a></li>",
                esc(ctx.election),
                tb.path(),
                esc(&t(lang, tb.label()))
            );
        }
        h.push_str("</ul></nav>\n");
    }
    h.push_str("</header>\n");
    if ctx.test {
        let _ = writeln!(
            h,
            "<p class=\"test-banner\" role=\"note\">{}</p>",
            esc(&t(lang, "test-election"))
        );
    }
    // The script's messages, in the page's language: data, never executed (CSP).
    let m = console_messages();
    let js: serde_json::Map<String, serde_json::Value> = m
        .ids(crate::i18n::REFERENCE_LANGUAGE)
        .into_iter()
        .filter(|id| id.starts_with("js-"))
        .map(|id| {
            let v = m.get(lang, &id, &[]);
            (id, serde_json::Value::String(v))
        })
        .collect();
    let _ = writeln!(
        h,
        "<script type=\"application/json\" id=\"console-messages\">{}</script>",
        serde_json::Value::Object(js)
            .to_string()
            .replace("</", "<\\/")
    );
    let _ = write!(
        h,
        "<main id=\"main\">\n<h1>{}</h1>\n<div id=\"status\" class=\"status\" role=\"status\" aria-live=\"polite\"></div>\n{body}</main>\n</body>\n</html>\n",
        esc(title)
    );
    h.into_bytes()
}

/// The list of elections on the server, each a link to its console.
pub fn elections_page(lang: &str, elections: &[(String, String)]) -> Vec<u8> {
    let mut b = String::new();
    let _ = write!(b, "<p>{}</p>\n<ul>", esc(&t(lang, "pick-election")));
    for (id, name) in elections {
        let _ = write!(
            b,
            "<li><a href=\"/console/{}/\">{}</a> <span class=\"muted\">{}</span></li>",
            esc(id),
            esc(name),
            esc(id)
        );
    }
    b.push_str("</ul>\n");
    let ctx = Ctx {
        lang,
        election: "",
        election_name: "",
        official: None,
        csrf: None,
        test: false,
    };
    frame(&ctx, None, &t(lang, "console-title"), &b)
}

/// The sign-in page: the official picks their key file once; the browser keeps it as a
/// non-extractable WebCrypto key and signs the server's challenge with it. `notice` says why
/// the official is here (a session that expired, say).
pub fn sign_in_page(ctx: &Ctx<'_>, notice: Option<&str>) -> Vec<u8> {
    let lang = ctx.lang;
    let mut b = String::new();
    if let Some(n) = notice {
        let _ = writeln!(b, "<p class=\"notice\" role=\"alert\">{}</p>", esc(n));
    }
    let _ = write!(
        b,
        "<p>{}</p>\n<form id=\"sign-in\" class=\"card\" data-action=\"sign-in\">\n<p class=\"remembered\" hidden></p>\n<label for=\"key-file\">{}</label>\n<input type=\"file\" id=\"key-file\" name=\"key\" aria-describedby=\"key-help\">\n<p id=\"key-help\" class=\"help\">{}</p>\n<button type=\"submit\">{}</button>\n</form>\n<noscript><p class=\"notice\">{}</p></noscript>\n",
        esc(&t(lang, "sign-in-intro")),
        esc(&t(lang, "key-file")),
        esc(&t(lang, "key-file-help")),
        esc(&t(lang, "sign-in")),
        esc(&t(lang, "needs-script")),
    );
    frame(ctx, None, &t(lang, "sign-in-title"), &b)
}

/// Units reporting in one area.
#[derive(Clone, Debug)]
pub struct AreaProgress {
    pub name: String,
    pub reporting: u64,
    pub total: u64,
}

/// One entry of the log, as the night's activity shows it.
#[derive(Clone, Debug)]
pub struct ActivityRow {
    pub index: u64,
    /// Statement type (`results`, `publication`, `review`…).
    pub kind: String,
    /// Who signed (key names).
    pub by: String,
    /// What it says, in a few words (unit and version, size approved…).
    pub what: String,
    /// Its own time (RFC 3339).
    pub at: String,
    /// Beyond the published size: sealed.
    pub sealed: bool,
}

/// An approval round under way.
#[derive(Clone, Debug)]
pub struct ApprovalRound {
    pub tree_size: u64,
    pub approved_by: Vec<String>,
    pub waiting_for: Vec<String>,
}

/// The night at a glance.
pub struct NightView {
    pub log_size: u64,
    pub published_size: u64,
    /// When the last publication was signed, if any.
    pub published_at: Option<String>,
    pub held_waiting: u64,
    pub quorum: usize,
    pub rounds: Vec<ApprovalRound>,
    pub areas: Vec<AreaProgress>,
    pub recent: Vec<ActivityRow>,
    /// Refusals since the server started, by code.
    pub refused: Vec<(String, u64)>,
    /// Whether the election waits for approvals (`approval` mode).
    pub approval_mode: bool,
    /// Results arrived per quarter hour (by their `submitted_at`, UTC), oldest first.
    pub arrivals: Vec<(String, u64)>,
}

pub fn night_page(ctx: &Ctx<'_>, v: &NightView) -> Vec<u8> {
    let lang = ctx.lang;
    let n = |x: u64| format_int(lang, x);
    let mut b = String::new();
    b.push_str("<div class=\"live\" data-live=\"10\">\n<dl class=\"figures\">");
    let sealed = v.log_size.saturating_sub(v.published_size);
    for (label, value) in [
        ("log-size", n(v.log_size)),
        ("published-size", n(v.published_size)),
        ("sealed-since", n(sealed)),
        ("held-waiting", n(v.held_waiting)),
    ] {
        let _ = write!(
            b,
            "<div><dt>{}</dt><dd>{}</dd></div>",
            esc(&t(lang, label)),
            esc(&value)
        );
    }
    b.push_str("</dl>\n");
    if let Some(at) = &v.published_at {
        let _ = writeln!(
            b,
            "<p>{}</p>",
            esc(&ta(lang, "last-publication", &[("at", &human_time(at))]))
        );
    }
    if v.approval_mode {
        let _ = writeln!(b, "<h2>{}</h2>", esc(&t(lang, "approvals")));
        if v.rounds.is_empty() {
            let _ = writeln!(b, "<p>{}</p>", esc(&t(lang, "no-rounds")));
        }
        for r in &v.rounds {
            let _ = writeln!(b, "<p>{}</p>", esc(&round_text(lang, r, v.quorum)));
        }
    }
    let _ = write!(
        b,
        "<h2>{}</h2>\n<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr></thead><tbody>",
        esc(&t(lang, "reporting")),
        esc(&t(lang, "reporting-caption")),
        esc(&t(lang, "area")),
        esc(&t(lang, "units-reporting")),
        esc(&t(lang, "units-total")),
    );
    for a in &v.areas {
        let _ = write!(
            b,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&a.name),
            n(a.reporting),
            n(a.total)
        );
    }
    b.push_str("</tbody></table>\n");
    if !v.arrivals.is_empty() {
        let most = v.arrivals.iter().map(|a| a.1).max().unwrap_or(1).max(1);
        let _ = write!(
            b,
            "<h2>{}</h2>\n<table class=\"arrivals\"><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th><th scope=\"col\"><span class=\"visually-hidden\">{}</span></th></tr></thead><tbody>",
            esc(&t(lang, "arrivals")),
            esc(&t(lang, "arrivals-caption")),
            esc(&t(lang, "quarter-hour")),
            esc(&t(lang, "count")),
            esc(&t(lang, "share-of-busiest"))
        );
        for (when, count) in &v.arrivals {
            let _ = write!(
                b,
                "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td><meter min=\"0\" max=\"{most}\" value=\"{count}\" aria-label=\"{}\">{count}</meter></td></tr>",
                esc(when),
                n(*count),
                esc(when)
            );
        }
        b.push_str("</tbody></table>\n");
    }
    let _ = writeln!(b, "<h2>{}</h2>", esc(&t(lang, "refusals")));
    if v.refused.is_empty() {
        let _ = writeln!(b, "<p>{}</p>", esc(&t(lang, "no-refusals")));
    } else {
        let _ = write!(
            b,
            "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr></thead><tbody>",
            esc(&t(lang, "refusals-caption")),
            esc(&t(lang, "code")),
            esc(&t(lang, "count"))
        );
        for (code, count) in &v.refused {
            let _ = write!(
                b,
                "<tr><th scope=\"row\"><code>{}</code></th><td class=\"num\">{}</td></tr>",
                esc(code),
                n(*count)
            );
        }
        b.push_str("</tbody></table>\n");
    }
    let _ = writeln!(b, "<h2>{}</h2>", esc(&t(lang, "recent")));
    activity_table(&mut b, lang, &t(lang, "recent-caption"), &v.recent);
    b.push_str("</div>\n");
    frame(ctx, Some(Tab::Night), &t(lang, "tab-night"), &b)
}

fn round_text(lang: &str, r: &ApprovalRound, quorum: usize) -> String {
    let mut s = ta(
        lang,
        "round",
        &[
            ("have", &r.approved_by.len().to_string()),
            ("need", &quorum.to_string()),
            ("size", &format_int(lang, r.tree_size)),
        ],
    );
    if !r.approved_by.is_empty() {
        s.push_str(" — ");
        s.push_str(&ta(
            lang,
            "approved-by",
            &[("keys", &r.approved_by.join(", "))],
        ));
    }
    s
}

/// An RFC 3339 time as officials read it: `2026-11-25 21:30:05 UTC` (no fraction, the zone
/// spelled out; times that are not RFC 3339 in UTC pass unchanged).
pub fn human_time(t: &str) -> String {
    let Some(utc) = t.strip_suffix('Z') else {
        return t.to_string();
    };
    let whole = utc.split('.').next().unwrap_or(utc);
    format!("{} UTC", whole.replacen('T', " ", 1))
}

fn activity_table(b: &mut String, lang: &str, caption: &str, rows: &[ActivityRow]) {
    let _ = write!(
        b,
        "<table class=\"activity\"><caption>{}</caption><thead><tr><th scope=\"col\" class=\"num\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        esc(caption),
        esc(&t(lang, "entry")),
        esc(&t(lang, "time")),
        esc(&t(lang, "kind")),
        esc(&t(lang, "signed-by")),
        esc(&t(lang, "what"))
    );
    let labels = ["entry", "time", "kind", "signed-by", "what"].map(|id| esc(&t(lang, id)));
    for r in rows {
        let _ = write!(
            b,
            "<tr><td class=\"num\" data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}{}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td></tr>",
            labels[0],
            r.index,
            labels[1],
            esc(&human_time(&r.at)),
            labels[2],
            esc(&r.kind),
            if r.sealed {
                format!(" <span class=\"tag\">{}</span>", esc(&t(lang, "sealed")))
            } else {
                String::new()
            },
            labels[3],
            esc(&r.by),
            labels[4],
            esc(&r.what)
        );
    }
    b.push_str("</tbody></table>\n");
}

/// The upload page: a reporter drops a tabulator export; the server previews it, the browser
/// signs and sends it and checks the receipts.
pub fn upload_page(ctx: &Ctx<'_>, formats: &str) -> Vec<u8> {
    let lang = ctx.lang;
    let b = format!(
        "<form id=\"upload\" class=\"card\" data-action=\"preview\">\n<label for=\"results-file\">{}</label>\n<input type=\"file\" id=\"results-file\" name=\"file\" aria-describedby=\"file-help\">\n<p id=\"file-help\" class=\"help\">{}</p>\n<label for=\"mapping-file\">{}</label>\n<input type=\"file\" id=\"mapping-file\" name=\"mapping\" accept=\".toml,text/plain\" aria-describedby=\"mapping-help\">\n<p id=\"mapping-help\" class=\"help\">{}</p>\n<fieldset><legend>{}</legend>\n<label><input type=\"radio\" name=\"status\" value=\"partial\" checked> {}</label>\n<label><input type=\"radio\" name=\"status\" value=\"complete\"> {}</label>\n</fieldset>\n<button type=\"submit\">{}</button>\n</form>\n<section id=\"preview\" aria-labelledby=\"preview-title\" hidden>\n<h2 id=\"preview-title\" tabindex=\"-1\">{}</h2>\n<div id=\"preview-body\"></div>\n<button type=\"button\" data-action=\"send\">{}</button>\n</section>\n<section id=\"receipts\" aria-labelledby=\"receipts-title\" hidden>\n<h2 id=\"receipts-title\" tabindex=\"-1\">{}</h2>\n<div id=\"receipts-body\"></div>\n<p><a id=\"receipts-download\" download=\"receipts.json\" href=\"#\">{}</a></p>\n</section>\n",
        esc(&t(lang, "results-file")),
        esc(&ta(lang, "results-file-help", &[("formats", formats)])),
        esc(&t(lang, "mapping-file")),
        esc(&t(lang, "mapping-file-help")),
        esc(&t(lang, "report-status")),
        esc(&t(lang, "status-partial")),
        esc(&t(lang, "status-complete")),
        esc(&t(lang, "preview")),
        esc(&t(lang, "preview-title")),
        esc(&t(lang, "sign-and-send")),
        esc(&t(lang, "receipts")),
        esc(&t(lang, "download-receipts")),
    );
    frame(ctx, Some(Tab::Upload), &t(lang, "tab-upload"), &b)
}

/// One contest of one unit in a preview or a diff: each selection's count before and after.
#[derive(Clone, Debug)]
pub struct ContestDiff {
    pub contest: String,
    pub rows: Vec<(String, Option<u64>, u64)>,
    /// Ballots before and after (if given).
    pub ballots: (Option<u64>, Option<u64>),
}

/// What a preview shows of one statement to sign.
#[derive(Clone, Debug)]
pub struct PreviewItem {
    pub unit: String,
    pub version: u64,
    pub contests: Vec<ContestDiff>,
    /// Plausibility warnings: it will be held for review if sent.
    pub warnings: Vec<String>,
}

/// The preview of an upload (HTML put into the upload page by the script).
pub fn preview_fragment(
    lang: &str,
    file: &str,
    items: &[PreviewItem],
    totals: &[(String, u64)],
) -> String {
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<p>{}</p>",
        esc(&ta(
            lang,
            "preview-summary",
            &[("file", file), ("count", &items.len().to_string())]
        ))
    );
    let _ = write!(
        b,
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr></thead><tbody>",
        esc(&t(lang, "file-totals")),
        esc(&t(lang, "contest")),
        esc(&t(lang, "votes"))
    );
    for (c, v) in totals {
        let _ = write!(
            b,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td></tr>",
            esc(c),
            format_int(lang, *v)
        );
    }
    b.push_str("</tbody></table>\n");
    for it in items {
        let _ = write!(
            b,
            "<section class=\"card\"><h3>{}</h3>",
            esc(&ta(
                lang,
                "unit-version",
                &[("unit", &it.unit), ("version", &it.version.to_string())]
            ))
        );
        warnings(&mut b, lang, &it.warnings);
        for c in &it.contests {
            diff_table(&mut b, lang, c);
        }
        b.push_str("</section>\n");
    }
    b
}

fn warnings(b: &mut String, lang: &str, w: &[String]) {
    if w.is_empty() {
        return;
    }
    let _ = write!(
        b,
        "<div class=\"warn\"><p>{}</p><ul>",
        esc(&t(lang, "will-be-held"))
    );
    for x in w {
        let _ = write!(b, "<li>{}</li>", esc(x));
    }
    b.push_str("</ul></div>");
}

fn diff_table(b: &mut String, lang: &str, c: &ContestDiff) {
    let _ = write!(
        b,
        "<table class=\"diff\"><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr></thead><tbody>",
        esc(&c.contest),
        esc(&t(lang, "selection")),
        esc(&t(lang, "before")),
        esc(&t(lang, "after")),
        esc(&t(lang, "change"))
    );
    let mut row = |name: &str, before: Option<u64>, after: u64| {
        let change = match before {
            None => String::new(),
            Some(x) if x == after => "=".to_string(),
            Some(x) if after > x => format!("+{}", format_int(lang, after - x)),
            Some(x) => format!("−{}", format_int(lang, x - after)),
        };
        let marked = if before.is_some_and(|x| x != after) {
            " class=\"changed\""
        } else {
            ""
        };
        let _ = write!(
            b,
            "<tr{marked}><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(name),
            before.map(|x| format_int(lang, x)).unwrap_or_else(|| "–".into()),
            format_int(lang, after),
            esc(&change)
        );
    };
    for (name, before, after) in &c.rows {
        row(name, *before, *after);
    }
    if let (before, Some(after)) = c.ballots {
        row(&t(lang, "ballots"), before, after);
    }
    b.push_str("</tbody></table>");
}

/// A held submission as the review page shows it.
#[derive(Clone, Debug)]
pub struct HeldView {
    pub id: i64,
    pub digest: String,
    pub unit: String,
    pub version: u64,
    pub received_at: String,
    pub reasons: Vec<String>,
    /// The held note, verbatim (what a release carries).
    pub note: String,
    pub contests: Vec<ContestDiff>,
    /// The version this one would replace, if any.
    pub previous_version: Option<u64>,
}

pub fn held_page(ctx: &Ctx<'_>, held: &[HeldView]) -> Vec<u8> {
    let lang = ctx.lang;
    let decides = ctx.official.is_some_and(Official::decides);
    let mut b = String::new();
    if held.is_empty() {
        let _ = writeln!(b, "<p>{}</p>", esc(&t(lang, "no-held")));
    }
    for h in held {
        let _ = write!(
            b,
            "<section class=\"card held\" aria-labelledby=\"held-{id}\"><h2 id=\"held-{id}\">{}</h2><p class=\"muted\">{}</p>",
            esc(&ta(
                lang,
                "held-title",
                &[("id", &h.id.to_string()), ("unit", &h.unit), ("version", &h.version.to_string())]
            )),
            esc(&ta(
                lang,
                "held-received",
                &[
                    ("at", &human_time(&h.received_at)),
                    ("previous", &h.previous_version.map(|v| v.to_string()).unwrap_or_else(|| "–".into()))
                ]
            )),
            id = h.id
        );
        let _ = write!(b, "<p>{}</p><ul>", esc(&t(lang, "held-why")));
        for r in &h.reasons {
            let _ = write!(b, "<li>{}</li>", esc(r));
        }
        b.push_str("</ul>");
        for c in &h.contests {
            diff_table(&mut b, lang, c);
        }
        if decides {
            let election = ctx.election;
            let template = |decision: &str| {
                let mut st = json!({
                    "type": "review",
                    "election": election,
                    "decision": decision,
                    "held": h.digest,
                });
                if decision == "release" {
                    st["note"] = json!(h.note);
                }
                st.to_string()
            };
            let _ = write!(
                b,
                "<form class=\"review\" data-action=\"review\"><label for=\"reason-{id}\">{}</label><textarea id=\"reason-{id}\" name=\"reason\" rows=\"2\" required></textarea><div class=\"buttons\"><button type=\"submit\" name=\"decision\" value=\"release\" data-statement=\"{}\">{}</button> <button type=\"submit\" name=\"decision\" value=\"reject\" class=\"secondary\" data-statement=\"{}\">{}</button></div></form>",
                esc(&t(lang, "reason")),
                esc(&template("release")),
                esc(&t(lang, "release")),
                esc(&template("reject")),
                esc(&t(lang, "reject")),
                id = h.id
            );
        }
        b.push_str("</section>\n");
    }
    frame(ctx, Some(Tab::Held), &t(lang, "tab-held"), &b)
}

/// What the approvers look at before they approve.
pub struct ApproveView {
    pub published_size: u64,
    /// The content size to approve (the log's size without trailing approvals) and its root.
    pub content_size: u64,
    pub root_hash: String,
    pub quorum: usize,
    pub round: Option<ApprovalRound>,
    /// The contests whose figures differ from the published ones, each with its rows.
    pub changed: Vec<ContestDiff>,
    /// Contests whose figures did not change.
    pub unchanged: usize,
    /// The signed-in approver already approved this size.
    pub approved_by_me: bool,
    /// The election publishes without approvals (`automatic`).
    pub automatic: bool,
    /// Figures for a second look before approving (see `skytale_tally::flags`).
    pub flags: Vec<FlagRow>,
}

/// A review flag as the approval page lists it.
#[derive(Clone, Debug)]
pub struct FlagRow {
    pub contest: String,
    pub unit: String,
    /// `count_down`, `turnout` or `swing`.
    pub kind: &'static str,
    pub why: String,
}

pub fn approve_page(ctx: &Ctx<'_>, v: &ApproveView) -> Vec<u8> {
    let lang = ctx.lang;
    let mut b = String::new();
    if v.automatic {
        let _ = writeln!(b, "<p>{}</p>", esc(&t(lang, "automatic")));
        return frame(ctx, Some(Tab::Approve), &t(lang, "tab-approve"), &b);
    }
    let round = v.round.clone().unwrap_or(ApprovalRound {
        tree_size: v.content_size,
        approved_by: vec![],
        waiting_for: vec![],
    });
    let _ = writeln!(
        b,
        "<p>{}</p>\n<p class=\"progress\">{}</p>",
        esc(&ta(
            lang,
            "approve-intro",
            &[
                ("published", &format_int(lang, v.published_size)),
                ("size", &format_int(lang, v.content_size))
            ]
        )),
        esc(&round_text(lang, &round, v.quorum))
    );
    if v.content_size <= v.published_size {
        let _ = writeln!(b, "<p>{}</p>", esc(&t(lang, "nothing-to-approve")));
    } else if v.approved_by_me {
        let _ = writeln!(b, "<p>{}</p>", esc(&t(lang, "you-approved")));
    } else if ctx.official.is_some_and(|o| o.office == "approver") {
        let st = json!({
            "type": "publication",
            "election": ctx.election,
            "tree_size": v.content_size,
            "root_hash": v.root_hash,
        })
        .to_string();
        let _ = writeln!(
            b,
            "<form data-action=\"approve\"><button type=\"submit\" data-statement=\"{}\">{}</button></form>",
            esc(&st),
            esc(&ta(lang, "approve-size", &[("size", &format_int(lang, v.content_size))]))
        );
    } else {
        let _ = writeln!(b, "<p>{}</p>", esc(&t(lang, "only-approvers")));
    }
    let _ = writeln!(
        b,
        "<h2>{}</h2>\n<p>{}</p>",
        esc(&t(lang, "flags-title")),
        esc(&t(
            lang,
            if v.flags.is_empty() {
                "no-flags"
            } else {
                "flags-intro"
            }
        ))
    );
    if !v.flags.is_empty() {
        let _ = write!(
            b,
            "<table class=\"activity\"><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
            esc(&t(lang, "flags-caption")),
            esc(&t(lang, "area")),
            esc(&t(lang, "contest")),
            esc(&t(lang, "flag")),
            esc(&t(lang, "what"))
        );
        let labels = ["area", "contest", "flag", "what"].map(|id| esc(&t(lang, id)));
        for f in &v.flags {
            let _ = write!(
                b,
                "<tr><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td></tr>",
                labels[0],
                esc(&f.unit),
                labels[1],
                esc(&f.contest),
                labels[2],
                esc(&t(lang, &format!("flag-{}", f.kind.replace('_', "-")))),
                labels[3],
                esc(&f.why)
            );
        }
        b.push_str("</tbody></table>\n");
    }
    let _ = writeln!(
        b,
        "<h2>{}</h2>\n<p>{}</p>",
        esc(&t(lang, "changes-since")),
        esc(&ta(
            lang,
            "changes-count",
            &[
                ("changed", &v.changed.len().to_string()),
                ("unchanged", &v.unchanged.to_string())
            ]
        ))
    );
    for c in &v.changed {
        diff_table(&mut b, lang, c);
    }
    frame(ctx, Some(Tab::Approve), &t(lang, "tab-approve"), &b)
}

/// One contest on the certification page.
#[derive(Clone, Debug)]
pub struct CertifyRow {
    pub id: String,
    pub name: String,
    /// The result type in force (`provisional`, `certified`…), if any.
    pub result_type: Option<String>,
    pub reporting: String,
}

pub fn certify_page(ctx: &Ctx<'_>, rows: &[CertifyRow]) -> Vec<u8> {
    let lang = ctx.lang;
    let mut b = String::new();
    let _ = write!(
        b,
        "<p>{}</p>\n<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th><th scope=\"col\"><span class=\"visually-hidden\">{}</span></th></tr></thead><tbody>",
        esc(&t(lang, "certify-intro")),
        esc(&t(lang, "certify-caption")),
        esc(&t(lang, "contest")),
        esc(&t(lang, "result-type")),
        esc(&t(lang, "reporting")),
        esc(&t(lang, "action")),
    );
    for r in rows {
        let certified = r.result_type.as_deref() == Some("certified");
        let action = if certified {
            esc(&t(lang, "is-certified"))
        } else {
            let st = json!({
                "type": "status",
                "election": ctx.election,
                "contest": r.id,
                "result_type": "certified",
            })
            .to_string();
            format!(
                "<form data-action=\"certify\"><button type=\"submit\" data-statement=\"{}\" aria-label=\"{}\">{}</button></form>",
                esc(&st),
                esc(&ta(lang, "certify-contest", &[("contest", &r.name)])),
                esc(&t(lang, "certify"))
            )
        };
        let _ = write!(
            b,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"num\">{}</td><td>{action}</td></tr>",
            esc(&r.name),
            esc(&r
                .result_type
                .as_deref()
                .map(|x| t(lang, &format!("type-{x}")))
                .unwrap_or_else(|| "–".into())),
            esc(&r.reporting),
        );
    }
    b.push_str("</tbody></table>\n");
    frame(ctx, Some(Tab::Certify), &t(lang, "tab-certify"), &b)
}

/// The audit trail: every official's action in the log, filterable by kind.
pub fn audit_page(ctx: &Ctx<'_>, kind: Option<&str>, rows: &[ActivityRow]) -> Vec<u8> {
    let lang = ctx.lang;
    let mut b = String::new();
    let _ = write!(
        b,
        "<p>{}</p>\n<form method=\"get\" class=\"filter\"><label for=\"kind\">{}</label> <select id=\"kind\" name=\"kind\">",
        esc(&t(lang, "audit-intro")),
        esc(&t(lang, "kind"))
    );
    for (value, label) in [
        ("", "all-actions"),
        ("publication", "kind-publication"),
        ("review", "kind-review"),
        ("status", "kind-status"),
        ("key", "kind-key"),
    ] {
        let selected = if kind.unwrap_or("") == value {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            b,
            "<option value=\"{value}\"{selected}>{}</option>",
            esc(&t(lang, label))
        );
    }
    let _ = writeln!(
        b,
        "</select> <button type=\"submit\">{}</button> <a href=\"/console/{}/audit.csv{}\">{}</a></form>",
        esc(&t(lang, "filter")),
        esc(ctx.election),
        kind.map(|k| format!("?kind={}", esc(k))).unwrap_or_default(),
        esc(&t(lang, "export-csv"))
    );
    activity_table(&mut b, lang, &t(lang, "audit-caption"), rows);
    frame(ctx, Some(Tab::Audit), &t(lang, "tab-audit"), &b)
}

/// The audit trail as CSV (RFC 4180).
pub fn audit_csv(rows: &[ActivityRow]) -> Vec<u8> {
    let mut out = String::from("index,time,kind,signed_by,what,sealed\r\n");
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for r in rows {
        let _ = write!(
            out,
            "{},{},{},{},{},{}\r\n",
            r.index,
            q(&r.at),
            q(&r.kind),
            q(&r.by),
            q(&r.what),
            r.sealed
        );
    }
    out.into_bytes()
}

/// A refusal as a page (a reporter on the approval page, say), with its reason.
pub fn refusal_page(ctx: &Ctx<'_>, why: &str) -> Vec<u8> {
    let b = format!("<p class=\"notice\" role=\"alert\">{}</p>\n", esc(why));
    frame(ctx, None, &t(ctx.lang, "not-allowed"), &b)
}
