//! SVG graphics: the bars of the bar chart and progress bar, the parliament (hemicycle) chart
//! of seats, and the Open Graph card.
//!
//! Bars are sized by integer arithmetic on vote counts (per-myriad of the largest value), so
//! the bytes never depend on floating point. The hemicycle needs sine and cosine: they come
//! from `libm` (pure Rust, the same bits on every platform) and seats are ordered by exact
//! integer comparison, so its bytes are reproducible too. Text stays in HTML next to the bars (readable at
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
        // 15 px a character at 24 px: DejaVu Sans (the PNG's font) is wide, Greek more so.
        32 + status.chars().count() * 15,
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

/// Seats beyond which no hemicycle is drawn (the legend and table still give every number):
/// more than the largest parliament (about 3,000), and the page stays small.
pub const MAX_HEMICYCLE_SEATS: u32 = 3_000;

/// One party's block of seats in the hemicycle.
pub struct SeatGroup {
    /// Shown as the block's tooltip.
    pub name: String,
    pub color: String,
    pub seats: u32,
}

/// Seats per row of a hemicycle of `rows` rows: rows sit at radii proportional to
/// `2·rows + 2·i + 1` (inner radius half the outer), each holding about as many seats as its
/// half circumference allows with the row spacing as the seat pitch (π/2 ≈ 355/226).
fn row_capacity(rows: u64, i: u64) -> u64 {
    (2 * rows + 2 * i + 1) * 355 / 226
}

/// How many seats each row gets: proportional to the row's radius (largest remainders, outer
/// rows first on equal remainders), never more than its capacity.
fn row_seats(n: u64) -> Vec<u64> {
    let mut rows = 1;
    while (0..rows).map(|i| row_capacity(rows, i)).sum::<u64>() < n {
        rows += 1;
    }
    let w: Vec<u64> = (0..rows).map(|i| 2 * rows + 2 * i + 1).collect();
    let total: u64 = w.iter().sum();
    let mut seats: Vec<u64> = w.iter().map(|wi| n * wi / total).collect();
    let mut order: Vec<usize> = (0..w.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(n * w[i] % total), std::cmp::Reverse(i)));
    let mut left = n - seats.iter().sum::<u64>();
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        if seats[i] < row_capacity(rows, i as u64) {
            seats[i] += 1;
            left -= 1;
        }
    }
    seats
}

/// A parliament chart: `groups` in the order given, as wedges from left to right (each seat
/// is taken in order of its angle, inner rows first on equal angles), the total in the centre.
/// Decorative (`aria-hidden`): the page gives the same numbers as text next to it. Empty when
/// there are no seats or more than [`MAX_HEMICYCLE_SEATS`].
pub fn hemicycle(groups: &[SeatGroup], total_label: &str) -> String {
    let n: u64 = groups.iter().map(|g| u64::from(g.seats)).sum();
    if n == 0 || n > u64::from(MAX_HEMICYCLE_SEATS) {
        return String::new();
    }
    let per_row = row_seats(n);
    let rows = per_row.len() as u64;
    // Outer radius 98 in a 200-wide box; row pitch d; row i at radius d·(2R + 2i + 1)/2.
    let d = 98.0 / (2 * rows) as f64;
    // Every seat as (row, index in row, seats in row); angle fraction = index / (seats − 1).
    let mut seats: Vec<(u64, u64, u64)> = Vec::with_capacity(n as usize);
    for (i, &k) in per_row.iter().enumerate() {
        seats.extend((0..k).map(|j| (i as u64, j, k)));
    }
    let frac = |&(_, j, k): &(u64, u64, u64)| if k == 1 { (1, 2) } else { (j, k - 1) };
    seats.sort_by(|a, b| {
        let ((an, ad), (bn, bd)) = (frac(a), frac(b));
        (an * bd).cmp(&(bn * ad)).then(a.0.cmp(&b.0))
    });
    let (cx, cy) = (100.0, 100.0);
    let r = d * 0.4;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"hemicycle\" viewBox=\"0 0 200 {:.2}\" aria-hidden=\"true\" focusable=\"false\">",
        cy + r + 1.0
    );
    let mut next = seats.iter();
    for g in groups.iter().filter(|g| g.seats > 0) {
        let _ = write!(
            s,
            "<g fill=\"{}\" stroke=\"#1a1a1a\" stroke-width=\"{:.2}\"><title>{}: {}</title>",
            esc(&g.color),
            d * 0.05,
            esc(&g.name),
            g.seats
        );
        for seat in next.by_ref().take(g.seats as usize) {
            let (num, den) = frac(seat);
            let angle = std::f64::consts::PI * num as f64 / den as f64;
            let radius = d * (2 * rows + 2 * seat.0 + 1) as f64 / 2.0;
            let _ = write!(
                s,
                "<circle cx=\"{:.2}\" cy=\"{:.2}\" r=\"{:.2}\"/>",
                cx - radius * libm::cos(angle),
                cy - radius * libm::sin(angle),
                r
            );
        }
        s.push_str("</g>");
    }
    let _ = write!(
        s,
        "<text x=\"100\" y=\"96\" text-anchor=\"middle\" font-size=\"24\" font-weight=\"700\" fill=\"#1a1a1a\">{}</text></svg>",
        esc(total_label)
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_hold_every_seat_within_capacity() {
        for n in 1..=1_200u64 {
            let rows = row_seats(n);
            assert_eq!(rows.iter().sum::<u64>(), n, "{n}");
            let r = rows.len() as u64;
            for (i, k) in rows.iter().enumerate() {
                assert!(*k <= row_capacity(r, i as u64), "{n}: row {i} has {k}");
            }
            // Fewest rows: one row less could not hold them.
            if r > 1 {
                assert!((0..r - 1).map(|i| row_capacity(r - 1, i)).sum::<u64>() < n);
            }
        }
    }

    #[test]
    fn hemicycle_draws_one_circle_per_seat_in_party_order() {
        let g = |name: &str, color: &str, seats| SeatGroup {
            name: name.into(),
            color: color.into(),
            seats,
        };
        let svg = hemicycle(
            &[
                g("A", "#111111", 23),
                g("B", "#222222", 0),
                g("C", "#333333", 73),
            ],
            "96",
        );
        assert_eq!(svg.matches("<circle").count(), 96);
        assert!(
            !svg.contains("#222222"),
            "a party without seats draws nothing"
        );
        let a = svg.find("#111111").unwrap();
        let c = svg.find("#333333").unwrap();
        assert!(a < c);
        // A's 23 seats are the leftmost wedge: every A circle lies left of every C circle's
        // mirror, i.e. A's mean x is far left of the centre.
        let xs = |from: usize, to: usize| -> Vec<f64> {
            svg[from..to]
                .split("cx=\"")
                .skip(1)
                .map(|p| p[..p.find('"').unwrap()].parse().unwrap())
                .collect()
        };
        let ax = xs(a, c);
        assert_eq!(ax.len(), 23);
        assert!(ax.iter().sum::<f64>() / 23.0 < 60.0);
        assert!(svg.contains(">96</text>"));
        assert_eq!(hemicycle(&[g("A", "#1", 0)], "0"), "");
        assert_eq!(hemicycle(&[g("A", "#1", MAX_HEMICYCLE_SEATS + 1)], "x"), "");
    }
}
