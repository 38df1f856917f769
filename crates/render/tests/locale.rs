//! The table of CLDR number symbols in `i18n` against ICU4X (`icu_decimal` with its compiled
//! CLDR data): grouping and decimal separators and minimum grouping digits for all 24
//! languages. If CLDR changes, this test says which entry to update.

use icu_decimal::input::Decimal;
use icu_decimal::DecimalFormatter;
use icu_locale_core::Locale;
use skytale_render::i18n::{
    format_date, format_datetime, format_decimal, format_int, format_percent, UI_LANGUAGES,
};

fn icu(lang: &str, n: i64, pow10: i16) -> String {
    let loc: Locale = lang.parse().unwrap();
    let f = DecimalFormatter::try_new((&loc).into(), Default::default()).unwrap();
    let mut d = Decimal::from(n);
    d.multiply_pow10(pow10);
    f.format(&d).to_string()
}

#[test]
fn integers_and_decimals_match_icu4x_in_all_24_languages() {
    let mut wrong = Vec::new();
    for (lang, _) in UI_LANGUAGES {
        for n in [7u64, 1234, 12345, 1234567, 2_147_483_647] {
            let ours = format_int(lang, n);
            let theirs = icu(lang, n as i64, 0);
            if ours != theirs {
                wrong.push(format!("{lang}: {n}: ours {ours:?} ICU4X {theirs:?}"));
            }
        }
        let ours = format_decimal(lang, "12345.67");
        let theirs = icu(lang, 1234567, -2);
        if ours != theirs {
            wrong.push(format!("{lang}: 12345.67: ours {ours:?} ICU4X {theirs:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn percentages_and_dates_examples() {
    assert_eq!(format_percent("en", "41.27"), "41.27%");
    assert_eq!(format_percent("de", "41.27"), "41,27\u{a0}%");
    assert_eq!(format_percent("fr", "41.27"), "41,27\u{202f}%");
    assert_eq!(format_date("en", "2026-11-25"), "25/11/2026");
    assert_eq!(format_date("de", "2026-11-25"), "25.11.2026");
    assert_eq!(format_date("sv", "2026-11-25"), "2026-11-25");
    assert_eq!(format_date("hu", "2026-11-25"), "2026. 11. 25.");
    assert_eq!(
        format_datetime("el", "2026-11-25T21:04:05Z"),
        "25/11/2026 21:04\u{a0}UTC"
    );
    assert_eq!(
        format_datetime("en", "2026-11-25T21:04:05+02:00"),
        "25/11/2026 21:04\u{a0}UTC+02:00"
    );
    assert_eq!(format_datetime("en", "garbage"), "garbage");
}

/// An election's locale, not its language alone, decides how dates, numbers and times read.
#[test]
fn the_locale_decides_dates_and_times_not_the_language_alone() {
    use skytale_render::i18n::{format_date, format_datetime, format_int, format_percent};
    assert_eq!(format_date("en-US", "2024-11-05"), "November 5, 2024");
    assert_eq!(format_date("en-GB", "2024-11-05"), "05/11/2024");
    assert_eq!(format_date("en", "2024-11-05"), "05/11/2024");
    assert_eq!(
        format_datetime("en-US", "2024-11-06T01:07:00Z"),
        "November 6, 2024, 1:07\u{a0}AM UTC"
    );
    assert_eq!(
        format_datetime("en-US", "2024-11-05T13:30:00-05:00"),
        "November 5, 2024, 1:30\u{a0}PM UTC-05:00"
    );
    assert_eq!(format_date("en-CA", "2024-11-05"), "2024-11-05");
    assert_eq!(format_int("de-CH", 1_234_567), "1'234'567");
    assert_eq!(format_int("de", 1_234_567), "1.234.567");
    assert_eq!(format_percent("fr-CA", "52.10"), "52,10\u{a0}%");
    // A region the table does not know falls back to its language.
    assert_eq!(format_date("pt-BR", "2024-10-06"), "06/10/2024");
}

/// The regional table's number symbols against ICU4X's CLDR data, as for the languages.
#[test]
fn regional_number_symbols_match_cldr() {
    for (tag, _) in skytale_render::i18n::REGIONAL_FORMATS {
        assert_eq!(
            format_decimal(tag, "1234567.89"),
            icu(tag, 123_456_789, -2),
            "{tag}"
        );
    }
}
