//! UI messages (Project Fluent, one `.ftl` file per language, compiled into the binary) and
//! locale-aware numbers, percentages and dates for the 24 official languages of the EU.
//!
//! Numbers are formatted from a small table of CLDR symbols ([`NUMBER_FORMATS`]) rather than
//! with ICU4X at run time: ICU4X with compiled data for 24 locales costs minutes of compile
//! time on the project's 2-core machines and megabytes of binary for a handful of separators.
//! The table is checked against ICU4X (`icu_decimal`, CLDR data) in `tests/locale.rs`, so it
//! cannot silently drift from CLDR. Dates are shown numerically, in UTC, with the CLDR short
//! date order of each language (no month names to translate, no time zone database).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// The UI languages: the 24 official languages of the European Union, with their autonyms.
pub const UI_LANGUAGES: [(&str, &str); 24] = [
    ("bg", "Български"),
    ("cs", "Čeština"),
    ("da", "Dansk"),
    ("de", "Deutsch"),
    ("el", "Ελληνικά"),
    ("en", "English"),
    ("es", "Español"),
    ("et", "Eesti"),
    ("fi", "Suomi"),
    ("fr", "Français"),
    ("ga", "Gaeilge"),
    ("hr", "Hrvatski"),
    ("hu", "Magyar"),
    ("it", "Italiano"),
    ("lt", "Lietuvių"),
    ("lv", "Latviešu"),
    ("mt", "Malti"),
    ("nl", "Nederlands"),
    ("pl", "Polski"),
    ("pt", "Português"),
    ("ro", "Română"),
    ("sk", "Slovenčina"),
    ("sl", "Slovenščina"),
    ("sv", "Svenska"),
];

/// The language whose messages are the reference (and the fallback for a missing UI language).
pub const REFERENCE_LANGUAGE: &str = "en";

/// The Fluent sources, compiled in so rendering needs no file system.
pub const FTL_SOURCES: [(&str, &str); 24] = [
    ("bg", include_str!("../locales/bg.ftl")),
    ("cs", include_str!("../locales/cs.ftl")),
    ("da", include_str!("../locales/da.ftl")),
    ("de", include_str!("../locales/de.ftl")),
    ("el", include_str!("../locales/el.ftl")),
    ("en", include_str!("../locales/en.ftl")),
    ("es", include_str!("../locales/es.ftl")),
    ("et", include_str!("../locales/et.ftl")),
    ("fi", include_str!("../locales/fi.ftl")),
    ("fr", include_str!("../locales/fr.ftl")),
    ("ga", include_str!("../locales/ga.ftl")),
    ("hr", include_str!("../locales/hr.ftl")),
    ("hu", include_str!("../locales/hu.ftl")),
    ("it", include_str!("../locales/it.ftl")),
    ("lt", include_str!("../locales/lt.ftl")),
    ("lv", include_str!("../locales/lv.ftl")),
    ("mt", include_str!("../locales/mt.ftl")),
    ("nl", include_str!("../locales/nl.ftl")),
    ("pl", include_str!("../locales/pl.ftl")),
    ("pt", include_str!("../locales/pt.ftl")),
    ("ro", include_str!("../locales/ro.ftl")),
    ("sk", include_str!("../locales/sk.ftl")),
    ("sl", include_str!("../locales/sl.ftl")),
    ("sv", include_str!("../locales/sv.ftl")),
];

/// CLDR number symbols of one language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumberFormat {
    /// Grouping (thousands) separator.
    pub group: &'static str,
    /// Decimal separator.
    pub decimal: &'static str,
    /// CLDR `minimumGroupingDigits`: 2 means 4-digit numbers are not grouped ("1234", "12 345").
    pub min_grouping: u8,
    /// What follows the number in a percentage ("%" or a no-break space and "%").
    pub percent_suffix: &'static str,
    /// Short date order: `DMY` with this separator, `YMD`…, see [`format_date`].
    pub date: DateStyle,
}

/// Numeric short date patterns of CLDR (day, month, year with the language's punctuation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateStyle {
    /// `dd.mm.yyyy` with the given separator and suffix (e.g. `.` and `` or `г.`).
    Dmy(&'static str, &'static str),
    /// `yyyy-mm-dd` (ISO order, as Swedish and Lithuanian write dates).
    Iso,
    /// `yyyy. mm. dd.` (Hungarian).
    Hungarian,
    /// `November 3, 2026` (English as the United States writes it: month first, spelt out, so
    /// 11/03 is never read as the 11th of March), times on a 12-hour clock.
    UsLong,
}

/// Regional conventions that differ from their language's (CLDR), for an election's locale:
/// the United States write month first and English elsewhere does not, Brazil and Portugal
/// group digits the same but Canada's French does not, and so on.
pub const REGIONAL_FORMATS: [(&str, NumberFormat); 8] = [
    ("en-US", nf(",", ".", 1, "%", DateStyle::UsLong)),
    ("en-GB", nf(",", ".", 1, "%", DateStyle::Dmy("/", ""))),
    ("en-IE", nf(",", ".", 1, "%", DateStyle::Dmy("/", ""))),
    ("en-CA", nf(",", ".", 1, "%", DateStyle::Iso)),
    ("fr-CA", nf(NBSP, ",", 1, "\u{a0}%", DateStyle::Iso)),
    ("de-CH", nf("'", ".", 1, "%", DateStyle::Dmy(".", ""))),
    ("es-US", nf(",", ".", 1, "\u{a0}%", DateStyle::Dmy("/", ""))),
    ("es-MX", nf(",", ".", 1, "\u{a0}%", DateStyle::Dmy("/", ""))),
];

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const NBSP: &str = "\u{a0}";
const NNBSP: &str = "\u{202f}";

const fn nf(
    group: &'static str,
    decimal: &'static str,
    min_grouping: u8,
    percent_suffix: &'static str,
    date: DateStyle,
) -> NumberFormat {
    NumberFormat {
        group,
        decimal,
        min_grouping,
        percent_suffix,
        date,
    }
}

/// The per-language number and date symbols (CLDR 46; verified against ICU4X in tests).
pub const NUMBER_FORMATS: [(&str, NumberFormat); 24] = [
    ("bg", nf(NBSP, ",", 2, "%", DateStyle::Dmy(".", "\u{a0}г."))),
    ("cs", nf(NBSP, ",", 1, "\u{a0}%", DateStyle::Dmy(". ", ""))),
    ("da", nf(".", ",", 1, "\u{a0}%", DateStyle::Dmy(".", ""))),
    ("de", nf(".", ",", 1, "\u{a0}%", DateStyle::Dmy(".", ""))),
    ("el", nf(".", ",", 1, "%", DateStyle::Dmy("/", ""))),
    ("en", nf(",", ".", 1, "%", DateStyle::Dmy("/", ""))),
    ("es", nf(".", ",", 2, "\u{a0}%", DateStyle::Dmy("/", ""))),
    ("et", nf(NBSP, ",", 2, "%", DateStyle::Dmy(".", ""))),
    ("fi", nf(NBSP, ",", 1, "\u{a0}%", DateStyle::Dmy(".", ""))),
    (
        "fr",
        nf(NNBSP, ",", 1, "\u{202f}%", DateStyle::Dmy("/", "")),
    ),
    ("ga", nf(",", ".", 1, "%", DateStyle::Dmy("/", ""))),
    ("hr", nf(".", ",", 1, "\u{a0}%", DateStyle::Dmy(". ", "."))),
    ("hu", nf(NBSP, ",", 2, "%", DateStyle::Hungarian)),
    ("it", nf(".", ",", 2, "%", DateStyle::Dmy("/", ""))),
    ("lt", nf(NBSP, ",", 1, "\u{a0}%", DateStyle::Iso)),
    ("lv", nf(NBSP, ",", 2, "%", DateStyle::Dmy(".", "."))),
    ("mt", nf(",", ".", 1, "%", DateStyle::Dmy("/", ""))),
    ("nl", nf(".", ",", 1, "%", DateStyle::Dmy("-", ""))),
    ("pl", nf(NBSP, ",", 2, "%", DateStyle::Dmy(".", ""))),
    ("pt", nf(".", ",", 1, "%", DateStyle::Dmy("/", ""))),
    ("ro", nf(".", ",", 1, "\u{a0}%", DateStyle::Dmy(".", ""))),
    ("sk", nf(NBSP, ",", 1, "\u{a0}%", DateStyle::Dmy(". ", ""))),
    ("sl", nf(".", ",", 2, "\u{a0}%", DateStyle::Dmy(". ", ""))),
    ("sv", nf(NBSP, ",", 1, "\u{a0}%", DateStyle::Iso)),
];

/// The UI language used for `lang`: itself if supported, else its primary subtag ("pt-PT" →
/// "pt"), else the reference language.
pub fn ui_language(lang: &str) -> &'static str {
    let primary = lang.split('-').next().unwrap_or("").to_ascii_lowercase();
    UI_LANGUAGES
        .iter()
        .find(|(l, _)| l.eq_ignore_ascii_case(lang) || *l == primary)
        .map(|(l, _)| *l)
        .unwrap_or(REFERENCE_LANGUAGE)
}

/// The autonym of a language (its name in itself), or the tag when unknown.
pub fn autonym(lang: &str) -> &str {
    UI_LANGUAGES
        .iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, n)| *n)
        .unwrap_or(lang)
}

/// The number symbols of `lang` (via [`ui_language`]).
pub fn number_format(lang: &str) -> NumberFormat {
    // An election's locale (`en-US`) first, then the language's own conventions.
    if let Some((_, f)) = REGIONAL_FORMATS
        .iter()
        .find(|(l, _)| l.eq_ignore_ascii_case(lang))
    {
        return *f;
    }
    let ui = ui_language(lang);
    NUMBER_FORMATS
        .iter()
        .find(|(l, _)| *l == ui)
        .map(|(_, f)| *f)
        .unwrap_or(NUMBER_FORMATS[5].1)
}

fn group_digits(digits: &str, f: &NumberFormat) -> String {
    let n = digits.len();
    if n <= 3 || (f.min_grouping == 2 && n == 4) {
        return digits.to_string();
    }
    let mut out = String::with_capacity(n + n / 3 * 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push_str(f.group);
        }
        out.push(ch);
    }
    out
}

/// An integer with the language's grouping: `1,234,567` (en), `1.234.567` (de), `1 234 567` (fr).
pub fn format_int(lang: &str, n: u64) -> String {
    group_digits(&n.to_string(), &number_format(lang))
}

/// A signed integer change with an explicit sign: `+1,204`, `−37` (U+2212), `0`.
pub fn format_change(lang: &str, delta: i128) -> String {
    let abs = format_int(
        lang,
        u64::try_from(delta.unsigned_abs()).unwrap_or(u64::MAX),
    );
    match delta.signum() {
        1 => format!("+{abs}"),
        -1 => format!("\u{2212}{abs}"),
        _ => abs,
    }
}

/// A decimal string as produced by the tally ("41.27") in the language's notation ("41,27").
pub fn format_decimal(lang: &str, s: &str) -> String {
    let f = number_format(lang);
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut out = group_digits(int, &f);
    if !frac.is_empty() {
        out.push_str(f.decimal);
        out.push_str(frac);
    }
    out
}

/// A signed change in percentage points from the tally ("+3.18", "-4.69", "0.00") in the
/// language's notation, with the typographic minus: `+3.18`, `−4,69` (de).
pub fn format_points(lang: &str, change: &str) -> String {
    match change.strip_prefix('-') {
        Some(abs) => format!("\u{2212}{}", format_decimal(lang, abs)),
        None => match change.strip_prefix('+') {
            Some(abs) => format!("+{}", format_decimal(lang, abs)),
            None => format_decimal(lang, change),
        },
    }
}

/// A share from the tally ("41.27") as a percentage in the language's style ("41,27 %").
pub fn format_percent(lang: &str, share: &str) -> String {
    let f = number_format(lang);
    format!("{}{}", format_decimal(lang, share), f.percent_suffix)
}

/// A calendar date `YYYY-MM-DD` in the language's numeric short style; other input is returned
/// unchanged (it came from a validated definition, so this does not happen in practice).
pub fn format_date(lang: &str, ymd: &str) -> String {
    let b = ymd.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return ymd.to_string();
    }
    let (y, m, d) = (&ymd[0..4], &ymd[5..7], &ymd[8..10]);
    match number_format(lang).date {
        DateStyle::Dmy(sep, suffix) => format!("{d}{sep}{m}{sep}{y}{suffix}"),
        DateStyle::Iso => format!("{y}-{m}-{d}"),
        DateStyle::Hungarian => format!("{y}. {m}. {d}."),
        DateStyle::UsLong => {
            let month = m
                .parse::<usize>()
                .ok()
                .and_then(|m| MONTHS_EN.get(m.wrapping_sub(1)));
            match month {
                Some(name) => format!("{name} {}, {y}", d.trim_start_matches('0')),
                None => ymd.to_string(),
            }
        }
    }
}

/// An RFC 3339 time as `date HH:MM` plus its offset (`UTC` for `Z`/`+00:00`), without any
/// time-zone conversion: the page shows exactly the instant the log recorded.
pub fn format_datetime(lang: &str, rfc3339: &str) -> String {
    if rfc3339.len() < 16
        || rfc3339
            .as_bytes()
            .get(10)
            .is_none_or(|c| !matches!(c, b'T' | b't' | b' '))
    {
        return rfc3339.to_string();
    }
    let date = format_date(lang, &rfc3339[..10]);
    let hm = &rfc3339[11..16];
    let rest = &rfc3339[16..];
    let offset = rest.trim_start_matches(|c: char| c == ':' || c == '.' || c.is_ascii_digit());
    let zone = match offset {
        "Z" | "z" | "+00:00" | "-00:00" | "" => "UTC".to_string(),
        o => format!("UTC{o}"),
    };
    if number_format(lang).date == DateStyle::UsLong {
        // 12-hour clock: "November 4, 2026, 2:30\u{a0}AM UTC".
        let (h, min) = hm.split_once(':').unwrap_or((hm, "00"));
        if let Ok(h) = h.parse::<u8>() {
            let (h12, half) = match h {
                0 => (12, "AM"),
                1..=11 => (h, "AM"),
                12 => (12, "PM"),
                _ => (h - 12, "PM"),
            };
            return format!("{date}, {h12}:{min}\u{a0}{half} {zone}");
        }
    }
    format!("{date} {hm}\u{a0}{zone}")
}

/// The officials' console's messages (`locales/console/`), apart from the public site's so
/// the public pages never carry them; the same 24 languages (a test checks each has every
/// message of the English file, with the same variables).
pub const CONSOLE_FTL_SOURCES: &[(&str, &str)] = &[
    ("bg", include_str!("../locales/console/bg.ftl")),
    ("cs", include_str!("../locales/console/cs.ftl")),
    ("da", include_str!("../locales/console/da.ftl")),
    ("de", include_str!("../locales/console/de.ftl")),
    ("el", include_str!("../locales/console/el.ftl")),
    ("en", include_str!("../locales/console/en.ftl")),
    ("es", include_str!("../locales/console/es.ftl")),
    ("et", include_str!("../locales/console/et.ftl")),
    ("fi", include_str!("../locales/console/fi.ftl")),
    ("fr", include_str!("../locales/console/fr.ftl")),
    ("ga", include_str!("../locales/console/ga.ftl")),
    ("hr", include_str!("../locales/console/hr.ftl")),
    ("hu", include_str!("../locales/console/hu.ftl")),
    ("it", include_str!("../locales/console/it.ftl")),
    ("lt", include_str!("../locales/console/lt.ftl")),
    ("lv", include_str!("../locales/console/lv.ftl")),
    ("mt", include_str!("../locales/console/mt.ftl")),
    ("nl", include_str!("../locales/console/nl.ftl")),
    ("pl", include_str!("../locales/console/pl.ftl")),
    ("pt", include_str!("../locales/console/pt.ftl")),
    ("ro", include_str!("../locales/console/ro.ftl")),
    ("sk", include_str!("../locales/console/sk.ftl")),
    ("sl", include_str!("../locales/console/sl.ftl")),
    ("sv", include_str!("../locales/console/sv.ftl")),
];

/// All Fluent bundles, parsed once per process.
pub struct Messages {
    sources: &'static [(&'static str, &'static str)],
    bundles: BTreeMap<&'static str, FluentBundle<FluentResource>>,
    /// Problems found while parsing the compiled-in sources (empty when the files are sound).
    pub errors: Vec<(String, String)>,
}

impl Messages {
    fn load(sources: &'static [(&'static str, &'static str)]) -> Messages {
        let mut bundles = BTreeMap::new();
        let mut errors = Vec::new();
        for &(lang, src) in sources {
            let res = match FluentResource::try_new(src.to_string()) {
                Ok(r) => r,
                Err((r, errs)) => {
                    errors.push((lang.to_string(), format!("{errs:?}")));
                    r
                }
            };
            let langid: LanguageIdentifier = lang.parse().unwrap_or_default();
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            // No Unicode isolation marks: every argument is a number or a name in the page's own
            // script, and the marks would show up in the Atom feed and in copied text.
            bundle.set_use_isolating(false);
            if let Err(errs) = bundle.add_resource(res) {
                errors.push((lang.to_string(), format!("{errs:?}")));
            }
            bundles.insert(lang, bundle);
        }
        Messages {
            sources,
            bundles,
            errors,
        }
    }

    /// Message `id` in `lang` with string arguments; falls back to the reference language, then
    /// to the id itself (a test makes sure that never happens for the shipped files).
    pub fn get(&self, lang: &str, id: &str, args: &[(&str, &str)]) -> String {
        let ui = ui_language(lang);
        for l in [ui, REFERENCE_LANGUAGE] {
            let Some(bundle) = self.bundles.get(l) else {
                continue;
            };
            let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
                continue;
            };
            let mut fargs = FluentArgs::new();
            for (k, v) in args {
                fargs.set(*k, FluentValue::from(*v));
            }
            let mut errs = Vec::new();
            let s = bundle.format_pattern(pattern, Some(&fargs), &mut errs);
            return s.into_owned();
        }
        id.to_string()
    }

    /// The message ids of a language, in file order.
    pub fn ids(&self, lang: &str) -> Vec<String> {
        self.sources
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, src)| {
                src.lines()
                    .filter_map(|line| line.split_once(" = ").map(|(k, _)| k))
                    .filter(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether `lang`'s own bundle (no fallback) has message `id`.
    pub fn has(&self, lang: &str, id: &str) -> bool {
        self.bundles.get(lang).is_some_and(|b| b.has_message(id))
    }
}

/// The process-wide messages.
pub fn messages() -> &'static Messages {
    static MESSAGES: OnceLock<Messages> = OnceLock::new();
    MESSAGES.get_or_init(|| Messages::load(&FTL_SOURCES))
}

/// The console's messages.
pub fn console_messages() -> &'static Messages {
    static MESSAGES: OnceLock<Messages> = OnceLock::new();
    MESSAGES.get_or_init(|| Messages::load(CONSOLE_FTL_SOURCES))
}
