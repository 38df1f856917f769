//! Name normalisation, identifiers and numbers, shared by every importer.
//!
//! Real exports spell the same thing in several ways. The rules here are deliberate and few;
//! anything beyond them needs an entry in the mapping table (see [`crate::Mapping`]):
//! - case and runs of white space never matter (`Commissioner Of Agriculture`, `Raphael Warnock `);
//! - an office name of the form `English/ Other language` is the English part
//!   (`Governor/Gobernador` is `Governor`);
//! - a candidate name loses trailing parenthesised short tags such as ` (I)`, ` (Dem)`, ` (Rep)`
//!   (`Raphael Warnock (I) (Dem)` is `Raphael Warnock`).

use crate::error::{FormatError, Location};

/// Longest tag in a trailing parenthesis that is taken as a party/incumbent suffix.
const MAX_SUFFIX_TAG: usize = 5;
/// Longest slug part of a derived identifier, in bytes (the model allows 128 for the whole id).
pub(crate) const MAX_SLUG: usize = 48;
/// How many closest names an unmapped-name error lists.
pub(crate) const CLOSEST_SHOWN: usize = 5;

/// Lower case, trimmed, inner white space collapsed to one space.
pub(crate) fn norm_key(s: &str) -> String {
    if s.is_ascii() {
        return norm_key_ascii(s);
    }
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in w.chars() {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// [`norm_key`] of an ASCII name, byte by byte (nearly every name; the general path goes
/// through `char::to_lowercase` per character). The white space set is `char::is_whitespace`'s
/// ASCII part, vertical tab included.
fn norm_key_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for &b in s.as_bytes() {
        if matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r') {
            space = !out.is_empty();
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(char::from(b.to_ascii_lowercase()));
        }
    }
    out
}

/// Collapses white space but keeps the case (for display names).
pub(crate) fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The English part of a bilingual office name `English/ Other`, cleaned.
pub(crate) fn office_display(s: &str) -> String {
    clean(s.split('/').next().unwrap_or(s))
}

/// Display name of a contest from office and district columns.
pub(crate) fn contest_display(office: &str, district: &str) -> String {
    let o = office_display(office);
    let d = clean(district);
    if d.is_empty() {
        o
    } else if d.chars().all(|c| c.is_ascii_digit()) {
        format!("{o}, District {d}")
    } else {
        format!("{o}, {d}")
    }
}

/// A candidate name without trailing short parenthesised tags, cleaned.
pub(crate) fn candidate_display(s: &str) -> String {
    let mut t = clean(s);
    while let Some(stripped) = t.strip_suffix(')') {
        let Some(open) = stripped.rfind('(') else {
            break;
        };
        let tag = &stripped[open + 1..];
        let head = stripped[..open].trim_end();
        if head.is_empty()
            || tag.is_empty()
            || tag.len() > MAX_SUFFIX_TAG
            || !tag.chars().all(|c| c.is_ascii_alphabetic())
        {
            break;
        }
        t = head.to_string();
    }
    t
}

/// Matching key of a candidate name.
pub(crate) fn candidate_key(s: &str) -> String {
    norm_key(&candidate_display(s))
}

/// An identifier part from a name: lower-case ASCII letters and digits, other runs become `-`.
/// At most [`MAX_SLUG`] bytes, cut between words (`-`): a word is never cut short unless it
/// alone is longer than the limit.
pub(crate) fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_SLUG + 1));
    let mut dash = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                if out.len() + 1 >= MAX_SLUG {
                    break;
                }
                out.push('-');
            }
            dash = false;
            if out.len() >= MAX_SLUG {
                // Inside a word: drop its part, back to the last word boundary.
                if let Some(cut) = out.rfind('-') {
                    out.truncate(cut);
                }
                break;
            }
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    if out.is_empty() {
        out.push('x');
    }
    out
}

/// `id` cut to at most `max` bytes at a word boundary (`-` or `.`), whole if it fits; a single
/// word longer than `max` is cut where it must be.
pub(crate) fn cut_id(id: &str, max: usize) -> String {
    if id.len() <= max {
        return id.to_string();
    }
    let mut end = max;
    while !id.is_char_boundary(end) {
        end -= 1;
    }
    let head = &id[..end];
    let next_is_boundary = matches!(id.as_bytes().get(head.len()), Some(b'-' | b'.'));
    if next_is_boundary {
        return head.to_string();
    }
    match head.rfind(['-', '.']) {
        Some(p) if p > 0 => head[..p].to_string(),
        _ => head.to_string(),
    }
}

/// Whether `id` is usable as given (the model's identifier rule).
pub(crate) fn valid_id(id: &str) -> bool {
    skytale_model::definition::check_id(id).is_ok()
}

/// Parses a vote count: digits, optionally with `,` thousands separators (`1,569`), or a decimal
/// with a zero fraction (`12.0`, as xsd:float counts are written). Empty is `None`.
pub(crate) fn parse_count(
    s: &str,
    at: impl FnOnce() -> Location,
) -> Result<Option<u64>, FormatError> {
    // The common case, plain digits, without trimming or the general parser (15 digits cannot
    // overflow a u64; check_max applies the real limit).
    let b = s.as_bytes();
    if !b.is_empty() && b.len() <= 15 && b.iter().all(u8::is_ascii_digit) {
        let v = b
            .iter()
            .fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0'));
        return check_max(v, at);
    }
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Ok(v) = t.parse::<u64>() {
        return check_max(v, at);
    }
    // Thousands separators: 1-3 digits, then groups of exactly three.
    if t.contains(',') {
        let groups: Vec<&str> = t.split(',').collect();
        let ok = (1..=3).contains(&groups[0].len())
            && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()))
            && groups[1..].iter().all(|g| g.len() == 3);
        if ok {
            let digits: String = groups.concat();
            if let Ok(v) = digits.parse::<u64>() {
                return check_max(v, at);
            }
        }
    }
    if let Some((int, frac)) = t.split_once('.') {
        if !int.is_empty()
            && frac.chars().all(|c| c == '0')
            && int.chars().all(|c| c.is_ascii_digit())
        {
            if let Ok(v) = int.parse::<u64>() {
                return check_max(v, at);
            }
        }
    }
    Err(FormatError::syntax(
        at(),
        format!("{t:?} is not a whole non-negative number of votes"),
    ))
}

pub(crate) fn check_max(v: u64, at: impl FnOnce() -> Location) -> Result<Option<u64>, FormatError> {
    if v > skytale_model::MAX_COUNT {
        return Err(FormatError::TooLarge {
            at: at(),
            what: "a vote count",
            limit: skytale_model::MAX_COUNT,
        });
    }
    Ok(Some(v))
}

/// The known names closest to `name` (Jaro-Winkler on normalised keys), best first.
pub(crate) fn closest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Vec<String> {
    let key = norm_key(name);
    let mut scored: Vec<(f64, &str)> = known
        .map(|k| (strsim::jaro_winkler(&key, &norm_key(k)), k))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(CLOSEST_SHOWN)
        .map(|(_, k)| k.to_string())
        .collect()
}

/// `M/D/YYYY` (Clarity) or `YYYY-MM-DD` to `YYYY-MM-DD`.
pub(crate) fn iso_date(s: &str) -> Option<String> {
    let t = s.trim();
    let t = t
        .get(..10)
        .filter(|p| p.as_bytes().get(4) == Some(&b'-'))
        .unwrap_or(t);
    if t.len() == 10 && t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-' {
        let ok = t
            .bytes()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        return ok.then(|| t.to_string());
    }
    let mut it = t.split('/');
    let (m, d, y) = (it.next()?, it.next()?, it.next()?);
    let y = y.split_whitespace().next()?;
    let (m, d, y): (u32, u32, u32) = (m.parse().ok()?, d.parse().ok()?, y.parse().ok()?);
    ((1..=12).contains(&m) && (1..=31).contains(&d) && (1000..=9999).contains(&y))
        .then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// A language tag the model accepts (`en`, `en-us`, `pt-BR`).
pub(crate) fn valid_language(s: &str) -> bool {
    let mut parts = s.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// A date found in an election id: `YYYY-MM-DD` or OpenElections' `YYYYMMDD`.
pub(crate) fn date_in(s: &str) -> Option<String> {
    let b = s.as_bytes();
    for i in 0..b.len() {
        if let Some(d) = s.get(i..i + 10).and_then(iso_date) {
            return Some(d);
        }
        if i + 8 <= b.len() && b[i..i + 8].iter().all(u8::is_ascii_digit) {
            let (y, m, d) = (&s[i..i + 4], &s[i + 4..i + 6], &s[i + 6..i + 8]);
            if let Some(d) = iso_date(&format!("{y}-{m}-{d}")) {
                let mm: u32 = m.parse().unwrap_or(0);
                let dd: u32 = d[8..].parse().unwrap_or(0);
                if (1..=12).contains(&mm) && (1..=31).contains(&dd) {
                    return Some(d);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            candidate_key("Raphael Warnock (I) (Dem)"),
            "raphael warnock"
        );
        assert_eq!(candidate_key("Raphael Warnock "), "raphael warnock");
        assert_eq!(candidate_key("Yes (Si)"), "yes");
        assert_eq!(candidate_key("Yes (Sí)"), "yes (sí)");
        assert_eq!(candidate_key("Write-In: Scattered"), "write-in: scattered");
        assert_eq!(office_display("Governor/Gobernador"), "Governor");
        assert_eq!(
            norm_key(" Commissioner  Of Agriculture"),
            "commissioner of agriculture"
        );
        assert_eq!(contest_display("U.S. House", "5"), "U.S. House, District 5");
        assert_eq!(slug("HARBINS A"), "harbins-a");
        assert_eq!(slug("***"), "x");
    }

    #[test]
    fn ascii_keys_are_the_general_keys() {
        let general = |s: &str| {
            let mut out = String::new();
            for w in s.split_whitespace() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.extend(w.chars().flat_map(char::to_lowercase));
            }
            out
        };
        let mut cases: Vec<String> = [
            "",
            " ",
            "  Commissioner \t Of\x0bAgriculture\r\n",
            "U.S. House, District 5 ",
            "\x0c",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every ASCII byte, alone and between letters.
        cases.extend((0u8..128).map(|b| format!("A{}b", char::from(b))));
        cases.extend((0u8..128).map(|b| char::from(b).to_string()));
        for c in &cases {
            assert_eq!(norm_key_ascii(c), general(c), "{c:?}");
        }
    }

    #[test]
    fn counts_and_dates() {
        let at = Location::default;
        assert_eq!(parse_count("1,569", at).unwrap(), Some(1569));
        assert_eq!(parse_count("12.0", at).unwrap(), Some(12));
        assert_eq!(parse_count(" ", at).unwrap(), None);
        assert!(parse_count("1,56", at).is_err());
        assert!(parse_count("-3", at).is_err());
        assert!(parse_count("99999999999", at).is_err());
        assert_eq!(iso_date("11/3/2020").as_deref(), Some("2020-11-03"));
        assert_eq!(iso_date("2022-09-06").as_deref(), Some("2022-09-06"));
        assert_eq!(
            date_in("ga-20221108-general").as_deref(),
            Some("2022-11-08")
        );
        assert_eq!(date_in("pa-2020-11-03").as_deref(), Some("2020-11-03"));
        assert_eq!(date_in("demo"), None);
    }
}
