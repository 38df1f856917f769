//! HTML building blocks: the escaping helper every template goes through, and the page frame
//! (head, header with language switcher, footer) shared by all page types.
//!
//! Templates are plain `String` building. Every piece of text that comes from outside (names
//! in the definition, ids, numbers) passes through [`esc`] exactly once; the frame never emits
//! inline scripts or `style=` attributes, so the site works under a strict CSP.

use std::fmt::Write as _;

use crate::i18n::{autonym, messages};
use crate::Assets;

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes one URL path segment (unit and contest ids are `[A-Za-z0-9._:-]`, so this only
/// matters for ids from a future, laxer definition format).
pub fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A colour swatch (decorative: the name next to it carries the meaning).
pub fn swatch(color: &str) -> String {
    format!(
        "<svg class=\"sw\" width=\"12\" height=\"12\" viewBox=\"0 0 12 12\" aria-hidden=\"true\" focusable=\"false\"><rect width=\"12\" height=\"12\" rx=\"2\" fill=\"{}\"/></svg>",
        esc(color)
    )
}

/// What the frame needs to know about the page it wraps.
pub struct Frame<'a> {
    pub lang: &'a str,
    /// `<title>`.
    pub title: String,
    /// The page's path with the language segment replaced by `{lang}`, for the switcher and
    /// `hreflang` alternates; `None` when the page exists in one language only.
    pub path_template: Option<String>,
    /// Languages the page exists in.
    pub languages: &'a [String],
    /// The SSE endpoint for live updates, if the page updates live.
    pub events: Option<String>,
    /// Atom feed to advertise.
    pub feed: Option<String>,
    /// Open Graph image.
    pub og_image: Option<OgImage>,
    /// Chrome-less (embed) page.
    pub embed: bool,
    /// Link target of the site name in the header.
    pub home: String,
}

/// The social card of a page: a PNG of [`crate::card::CARD_WIDTH`] ×
/// [`crate::card::CARD_HEIGHT`] and its text alternative.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OgImage {
    pub path: String,
    pub alt: String,
}

/// Wraps `body` (the content of `<main>`) in the full document.
pub fn page(assets: &Assets, f: &Frame<'_>, body: &str) -> String {
    let m = messages();
    let lang = f.lang;
    let mut h = String::with_capacity(body.len() + 4096);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"{}\" dir=\"ltr\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<link rel=\"stylesheet\" href=\"{}\">\n",
        esc(lang),
        esc(&f.title),
        assets.css_path
    );
    if let Some(tpl) = &f.path_template {
        for l in f.languages {
            let _ = writeln!(
                h,
                "<link rel=\"alternate\" hreflang=\"{}\" href=\"{}\">",
                esc(l),
                esc(&tpl.replace("{lang}", l))
            );
        }
    }
    if let Some(feed) = &f.feed {
        let _ = writeln!(
            h,
            "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"{}\">",
            esc(feed)
        );
    }
    let _ = writeln!(
        h,
        "<meta property=\"og:title\" content=\"{}\">",
        esc(&f.title)
    );
    if let Some(og) = &f.og_image {
        let _ = writeln!(
            h,
            "<meta property=\"og:image\" content=\"{}\">\n<meta property=\"og:image:type\" content=\"image/png\">\n<meta property=\"og:image:width\" content=\"{}\">\n<meta property=\"og:image:height\" content=\"{}\">\n<meta property=\"og:image:alt\" content=\"{}\">\n<meta name=\"twitter:card\" content=\"summary_large_image\">",
            esc(&og.path),
            crate::card::CARD_WIDTH,
            crate::card::CARD_HEIGHT,
            esc(&og.alt)
        );
    }
    if f.events.is_some() {
        let _ = writeln!(h, "<script src=\"{}\" defer></script>", assets.js_path);
    }
    h.push_str("</head>\n");
    match &f.events {
        Some(ev) => {
            let _ = writeln!(
                h,
                "<body data-events=\"{}\"{}>",
                esc(ev),
                if f.embed { " class=\"embed\"" } else { "" }
            );
        }
        None => {
            let _ = writeln!(h, "<body{}>", if f.embed { " class=\"embed\"" } else { "" });
        }
    }
    if !f.embed {
        let _ = write!(
            h,
            "<a class=\"skip\" href=\"#main\">{}</a>\n<header class=\"top\"><div class=\"wrap\"><a class=\"brand\" href=\"{}\">{}</a>",
            esc(&m.get(lang, "skip-link", &[])),
            esc(&f.home),
            esc(&m.get(lang, "site-title", &[]))
        );
        if let (Some(tpl), true) = (&f.path_template, f.languages.len() > 1) {
            let _ = write!(
                h,
                "<details class=\"langs\"><summary><span class=\"visually-hidden\">{}: </span>{}</summary><ul>",
                esc(&m.get(lang, "language", &[])),
                esc(autonym(lang))
            );
            for l in f.languages {
                let current = if l == lang {
                    " aria-current=\"true\""
                } else {
                    ""
                };
                let _ = write!(
                    h,
                    "<li><a href=\"{}\" hreflang=\"{l}\" lang=\"{l}\"{current}>{}</a></li>",
                    esc(&tpl.replace("{lang}", l)),
                    esc(autonym(l)),
                    l = esc(l)
                );
            }
            h.push_str("</ul></details>");
        }
        h.push_str("</div></header>\n");
    }
    let _ = write!(
        h,
        "<main id=\"main\" tabindex=\"-1\"><div class=\"wrap\">\n{body}</div></main>\n"
    );
    if f.events.is_some() {
        let _ = writeln!(
            h,
            "<div id=\"live\" class=\"visually-hidden\" role=\"status\" aria-live=\"polite\" data-msg=\"{}\"></div>",
            esc(&m.get(lang, "live-updated", &[("size", "{size}")]))
        );
    }
    if !f.embed {
        let _ = writeln!(
            h,
            "<footer class=\"foot\"><div class=\"wrap\"><p>Skytale</p></div></footer>"
        );
    }
    h.push_str("</body>\n</html>\n");
    h
}
