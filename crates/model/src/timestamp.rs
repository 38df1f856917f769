//! Times as the formats we export to require them.
//!
//! A statement carries its reporter's time as RFC 3339, with whatever precision and offset the
//! reporter's clock gave (`2026-12-06T21:17:23.535534872Z`, `2026-12-06T23:17:23+02:00`).
//! The formats the tally is written in are narrower: NIST SP 1500-100's `DateTimeWithZone`
//! (XSD and JSON schema) excludes fractional seconds and allows offsets up to 14:00 only, HTML's
//! `datetime` takes at most three fraction digits, Atom wants upper-case `T` and `Z`. One form
//! is valid for all of them: UTC, whole seconds, `YYYY-MM-DDTHH:MM:SSZ`. [`utc_seconds`] turns
//! any RFC 3339 time into it (the same instant, its fraction dropped).

/// Seconds in a day.
const DAY: i64 = 86_400;
/// The first and last instants `YYYY` can write (0001-01-01T00:00:00Z, 9999-12-31T23:59:59Z),
/// in seconds from 1970-01-01T00:00:00Z.
const FIRST: i64 = -62_135_596_800;
const LAST: i64 = 253_402_300_799;

/// The same instant as `rfc3339`, in UTC, whole seconds (the fraction dropped, never rounded up
/// past the time given): `2026-12-06T23:17:23.5+02:00` → `2026-12-06T21:17:23Z`. Accepts what
/// RFC 3339 allows: lower-case `t` and `z` (or a space between date and time), any number of
/// fraction digits, offsets up to ±23:59, a leap second (written as :59). An instant that falls
/// outside years 0001–9999 once in UTC is clamped to the nearest one inside. `None` if the text
/// is not an RFC 3339 date-time with an offset.
pub fn utc_seconds(rfc3339: &str) -> Option<String> {
    unix_seconds(rfc3339).map(format_unix)
}

/// The instant of an RFC 3339 time in whole seconds since 1970-01-01T00:00:00Z (the fraction
/// dropped; clamped to years 0001–9999 as [`utc_seconds`] is): what a tally keeps to find the
/// latest of many statements' times in eight bytes apiece. `None` if not RFC 3339.
pub fn unix_seconds(rfc3339: &str) -> Option<i64> {
    let t = parse(rfc3339)?;
    let days = days_from_civil(t.year, t.month, t.day);
    let local = days * DAY + t.hour * 3600 + t.minute * 60 + t.second.min(59);
    Some((local - t.offset_minutes * 60).clamp(FIRST, LAST))
}

/// Seconds since 1970-01-01T00:00:00Z as `YYYY-MM-DDTHH:MM:SSZ` (clamped to years 0001–9999).
pub fn format_unix(seconds: i64) -> String {
    let utc = seconds.clamp(FIRST, LAST);
    let (year, month, day) = civil_from_days(utc.div_euclid(DAY));
    let s = utc.rem_euclid(DAY);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Days in `month` (1–12) of `year` in the proleptic Gregorian calendar; `None` for a month
/// that does not exist. The one calendar rule of both the statement check and the export.
pub(crate) fn days_in_month(year: i64, month: i64) -> Option<i64> {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => Some(31),
        4 | 6 | 9 | 11 => Some(30),
        2 if leap => Some(29),
        2 => Some(28),
        _ => None,
    }
}

struct Parsed {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    offset_minutes: i64,
}

fn parse(s: &str) -> Option<Parsed> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        part.iter().try_fold(0i64, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let at = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| -> Option<i64> {
                (a.is_ascii_digit() && b.is_ascii_digit())
                    .then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'))
            };
            let (h, m) = (two(*h1, *h2)?, two(*m1, *m2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = h * 60 + m;
            if *sign == b'-' {
                -minutes
            } else {
                minutes
            }
        }
        _ => return None,
    };
    let days_in_month = days_in_month(year, month)?;
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(Parsed {
        year,
        month,
        day,
        hour,
        minute,
        second,
        offset_minutes,
    })
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_precision_and_offset_becomes_utc_whole_seconds() {
        for (given, want) in [
            ("2026-12-06T21:17:23Z", "2026-12-06T21:17:23Z"),
            ("2026-12-06T21:17:23.535534872Z", "2026-12-06T21:17:23Z"),
            ("2026-12-06T21:17:23.9999999999999Z", "2026-12-06T21:17:23Z"),
            ("2026-12-06T23:17:23+02:00", "2026-12-06T21:17:23Z"),
            ("2026-12-06t23:17:23.5+02:00", "2026-12-06T21:17:23Z"),
            ("2026-12-06 21:17:23z", "2026-12-06T21:17:23Z"),
            ("2026-12-31T23:30:00-01:00", "2027-01-01T00:30:00Z"),
            ("2024-03-01T00:10:00+23:59", "2024-02-29T00:11:00Z"),
            ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z"),
            ("0001-01-01T00:30:00+01:00", "0001-01-01T00:00:00Z"),
            ("9999-12-31T23:30:00-01:00", "9999-12-31T23:59:59Z"),
        ] {
            assert_eq!(utc_seconds(given).as_deref(), Some(want), "{given}");
            let seconds = unix_seconds(given).unwrap();
            assert_eq!(format_unix(seconds), want, "{given}");
        }
    }

    #[test]
    fn what_is_not_rfc_3339_is_none() {
        for bad in [
            "",
            "2026-12-06",
            "2026-12-06T21:17:23",
            "2026-12-06T21:17:23.Z",
            "2026-12-06T21:17:23+2:00",
            "2026-12-06T21:17:23+24:00",
            "2026-02-30T21:17:23Z",
            "2026-13-01T21:17:23Z",
            "2026-12-06T24:00:00Z",
            "2026-12-06T21:17:23Z ",
        ] {
            assert_eq!(utc_seconds(bad), None, "{bad:?}");
        }
    }

    proptest! {
        /// Any valid time and offset: the result is a valid time in UTC whole-second form,
        /// and the instant is the given one, less its fraction.
        #[test]
        fn same_instant_in_the_narrow_form(
            days in 0i64..2_900_000,
            secs in 0i64..DAY,
            fraction in "(\\.[0-9]{1,12})?",
            offset in -(23 * 60 + 59)..=(23i64 * 60 + 59),
            lower in any::<bool>(),
        ) {
            let (y, mo, d) = civil_from_days(days - 719_162);
            let zone = if offset == 0 && lower { "z".to_string() } else if offset == 0 { "Z".to_string() } else {
                format!("{}{:02}:{:02}", if offset < 0 { '-' } else { '+' }, offset.abs() / 60, offset.abs() % 60)
            };
            let given = format!(
                "{y:04}-{mo:02}-{d:02}{}{:02}:{:02}:{:02}{fraction}{zone}",
                if lower { 't' } else { 'T' },
                secs / 3600, secs / 60 % 60, secs % 60
            );
            let got = utc_seconds(&given).unwrap();
            prop_assert_eq!(got.len(), 20);
            prop_assert!(got.ends_with('Z') && got.as_bytes()[10] == b'T');
            let instant = (days - 719_162) * DAY + secs - offset * 60;
            let back = parse(&got).unwrap();
            let again = days_from_civil(back.year, back.month, back.day) * DAY
                + back.hour * 3600 + back.minute * 60 + back.second;
            prop_assert_eq!(again, instant.clamp(FIRST, LAST));
        }
    }
}
