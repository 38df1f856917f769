//! SVG graphics: the bars of the bar chart and progress bar, and the Open Graph card.
//!
//! Bars are sized by integer arithmetic on vote counts (per-myriad of the largest value), so
//! the bytes never depend on floating point. Text stays in HTML next to the bars (readable at
//! any width, translated, visible to screen readers); the SVGs themselves are decorative.

use std::fmt::Write as _;

use crate::html::esc;

/// Width of bar viewBoxes.
const BAR_W: u64 = 1000;

/// `part / whole` in thousandths of the bar width (0 when `whole` is 0).
pub fn bar_len(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        0
    } else {
        u64::try_from(u128::from(part.min(whole)) * u128::from(BAR_W) / u128::from(whole))
            .unwrap_or(0)
    }
}

/// A horizontal bar (decorative; the share is written next to it).
pub fn bar(part: u64, whole: u64, color: &str) -> String {
    format!(
        "<svg viewBox=\"0 0 {BAR_W} 14\" preserveAspectRatio=\"none\" aria-hidden=\"true\" focusable=\"false\"><rect width=\"{}\" height=\"14\" fill=\"{}\"/></svg>",
        bar_len(part, whole),
        esc(color)
    )
}

/// The reporting progress bar (decorative; the text says "1,204 of 2,310 units reporting").
pub fn progress(done: u64, total: u64) -> String {
    format!(
        "<svg viewBox=\"0 0 {BAR_W} 8\" preserveAspectRatio=\"none\" aria-hidden=\"true\" focusable=\"false\"><rect width=\"{BAR_W}\" height=\"8\" fill=\"#d9d9d9\"/><rect width=\"{}\" height=\"8\" fill=\"#0b2e5c\"/></svg>",
        bar_len(done, total)
    )
}

/// One row of an Open Graph card.
pub struct CardRow {
    pub name: String,
    pub value: String,
    pub votes: u64,
    pub color: String,
}

/// The Open Graph card (1200 × 630) of a contest: titles, status, progress and the leading rows.
pub fn og_card(
    lang: &str,
    title: &str,
    subtitle: &str,
    status: &str,
    progress_text: &str,
    rows: &[CardRow],
) -> String {
    let max = rows.iter().map(|r| r.votes).max().unwrap_or(0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1200\" height=\"630\" viewBox=\"0 0 1200 630\" lang=\"{}\" font-family=\"system-ui, 'Noto Sans', Arial, sans-serif\">\
<rect width=\"1200\" height=\"630\" fill=\"#ffffff\"/><rect width=\"1200\" height=\"96\" fill=\"#0b2e5c\"/>\
<text x=\"48\" y=\"62\" font-size=\"36\" font-weight=\"700\" fill=\"#ffffff\">{}</text>\
<text x=\"48\" y=\"150\" font-size=\"44\" font-weight=\"700\" fill=\"#1a1a1a\">{}</text>\
<rect x=\"48\" y=\"176\" width=\"{}\" height=\"40\" rx=\"6\" fill=\"#fff4ce\" stroke=\"#8a6d00\"/>\
<text x=\"64\" y=\"204\" font-size=\"24\" fill=\"#1a1a1a\">{}</text>\
<text x=\"48\" y=\"258\" font-size=\"24\" fill=\"#4a4a4a\">{}</text>",
        esc(lang),
        esc(subtitle),
        esc(title),
        32 + status.chars().count() * 13,
        esc(status),
        esc(progress_text)
    );
    for (i, r) in rows.iter().take(5).enumerate() {
        let y = 300 + i as u64 * 64;
        let len = bar_len(r.votes, max) * 700 / BAR_W;
        let _ = write!(
            s,
            "<text x=\"48\" y=\"{}\" font-size=\"26\" fill=\"#1a1a1a\">{}</text><text x=\"1152\" y=\"{}\" font-size=\"26\" font-weight=\"700\" text-anchor=\"end\" fill=\"#1a1a1a\">{}</text><rect x=\"48\" y=\"{}\" width=\"{}\" height=\"16\" fill=\"{}\"/>",
            y + 24,
            esc(&r.name),
            y + 24,
            esc(&r.value),
            y + 36,
            len.max(2),
            esc(&r.color)
        );
    }
    s.push_str("</svg>\n");
    s
}
