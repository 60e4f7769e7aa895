//! The user's profile time zone. Jira reads JQL date literals in it and
//! renders timestamps with its offset, which is exactly where connectors
//! lose issues, so the simulator must honour it. A full tz database is not
//! worth its weight here: a handful of zones with their current DST rules
//! (plus any fixed offset) covers every test scenario.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rule {
    Fixed(i32),
    /// US rules: second Sunday of March to first Sunday of November, 02:00 local.
    Us {
        std: i32,
    },
    /// EU rules: last Sunday of March to last Sunday of October, 01:00 UTC.
    Eu {
        std: i32,
    },
}

/// A time zone the simulator understands: an IANA name it knows the rules
/// of, or a fixed offset such as `+14:00`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserTimeZone {
    name: String,
    rule: Rule,
}

impl UserTimeZone {
    /// Parses `UTC`, a fixed offset (`+14:00`, `-0800`) or one of the IANA
    /// names `Pacific/Kiritimati`, `America/Los_Angeles`,
    /// `America/New_York`, `Europe/London`, `Europe/Berlin`, `Asia/Kolkata`,
    /// `Asia/Tokyo`, `Australia/Brisbane`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let h = 3600;
        let rule = match s {
            "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT" | "Z" => Rule::Fixed(0),
            "Pacific/Kiritimati" => Rule::Fixed(14 * h),
            "America/Los_Angeles" => Rule::Us { std: -8 * h },
            "America/New_York" => Rule::Us { std: -5 * h },
            "Europe/London" => Rule::Eu { std: 0 },
            "Europe/Berlin" => Rule::Eu { std: h },
            "Asia/Kolkata" => Rule::Fixed(5 * h + 1800),
            "Asia/Tokyo" => Rule::Fixed(9 * h),
            "Australia/Brisbane" => Rule::Fixed(10 * h),
            other => Rule::Fixed(parse_offset(other).ok_or_else(|| Error::InvalidTimeZone {
                name: other.to_owned(),
            })?),
        };
        let name = match (&rule, s) {
            // Jira only stores IANA names; `Etc/GMT-14` is the POSIX-inverted
            // spelling of +14:00.
            (Rule::Fixed(off), _) if s.starts_with(['+', '-']) && off % h == 0 => {
                let hours = -off / h;
                if hours == 0 {
                    "Etc/UTC".to_owned()
                } else {
                    format!("Etc/GMT{hours:+}")
                }
            }
            (Rule::Fixed(0), _) => "UTC".to_owned(),
            _ => s.to_owned(),
        };
        Ok(Self { name, rule })
    }

    /// The name `myself` reports as `timeZone`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Offset from UTC in seconds at the given instant.
    pub(crate) fn offset_at(&self, utc_ms: i64) -> i32 {
        match self.rule {
            Rule::Fixed(o) => o,
            Rule::Us { std } => {
                let year = year_of(utc_ms);
                // 02:00 local standard time = 02:00 - std in UTC.
                let start = instant(nth_sunday(year, Month::March, 2), 2 * 3600 - i64::from(std));
                // 02:00 local daylight time.
                let end = instant(
                    nth_sunday(year, Month::November, 1),
                    2 * 3600 - i64::from(std + 3600),
                );
                if (start..end).contains(&utc_ms) {
                    std + 3600
                } else {
                    std
                }
            }
            Rule::Eu { std } => {
                let year = year_of(utc_ms);
                let start = instant(last_sunday(year, Month::March), 3600);
                let end = instant(last_sunday(year, Month::October), 3600);
                if (start..end).contains(&utc_ms) {
                    std + 3600
                } else {
                    std
                }
            }
        }
    }

    /// The instant a local wall-clock time denotes. In a DST gap or overlap
    /// the standard-time reading wins unless it falls inside DST.
    pub(crate) fn local_to_utc_ms(&self, local: PrimitiveDateTime) -> i64 {
        let naive_ms = local.assume_utc().unix_timestamp() * 1000;
        let first = naive_ms - i64::from(self.offset_at(naive_ms)) * 1000;
        naive_ms - i64::from(self.offset_at(first)) * 1000
    }

    /// Jira's timestamp format in this zone: `2026-11-29T01:45:02.123+1400`.
    pub(crate) fn format_ms(&self, utc_ms: i64) -> String {
        format_jira(utc_ms, self.offset_at(utc_ms))
    }

    /// A `yyyy-MM-dd` date in this zone.
    pub(crate) fn format_date(&self, utc_ms: i64) -> String {
        let t = to_odt(utc_ms, self.offset_at(utc_ms));
        format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
    }
}

fn to_odt(utc_ms: i64, offset: i32) -> OffsetDateTime {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(utc_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    t.to_offset(UtcOffset::from_whole_seconds(offset).unwrap_or(UtcOffset::UTC))
}

/// Formats epoch milliseconds the way Jira does, with a `+hhmm` offset.
pub(crate) fn format_jira(utc_ms: i64, offset: i32) -> String {
    let t = to_odt(utc_ms, offset);
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.unsigned_abs();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond(),
        sign,
        off / 3600,
        off % 3600 / 60
    )
}

fn parse_offset(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

fn year_of(utc_ms: i64) -> i32 {
    to_odt(utc_ms, 0).year()
}

fn instant(date: Date, secs_after_midnight_utc: i64) -> i64 {
    (PrimitiveDateTime::new(date, Time::MIDNIGHT)
        .assume_utc()
        .unix_timestamp()
        + secs_after_midnight_utc)
        * 1000
}

fn nth_sunday(year: i32, month: Month, n: u8) -> Date {
    let first = Date::from_calendar_date(year, month, 1).unwrap_or(Date::MIN);
    let to_sunday = (7 - first.weekday().number_days_from_sunday()) % 7;
    first.saturating_add(time::Duration::days(
        i64::from(to_sunday) + 7 * i64::from(n - 1),
    ))
}

fn last_sunday(year: i32, month: Month) -> Date {
    let next = if month == Month::December {
        Date::from_calendar_date(year + 1, Month::January, 1)
    } else {
        Date::from_calendar_date(year, month.next(), 1)
    }
    .unwrap_or(Date::MIN);
    let last = next.previous_day().unwrap_or(next);
    let back = last.weekday().number_days_from_sunday();
    debug_assert!(last.weekday() == Weekday::Sunday || back > 0);
    last.saturating_sub(time::Duration::days(i64::from(back)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn ms(t: OffsetDateTime) -> i64 {
        crate::ms_of(t)
    }

    #[test]
    fn los_angeles_follows_us_dst() {
        let tz = UserTimeZone::parse("America/Los_Angeles").unwrap();
        assert_eq!(tz.offset_at(ms(datetime!(2026-01-15 12:00 UTC))), -8 * 3600);
        assert_eq!(tz.offset_at(ms(datetime!(2026-07-15 12:00 UTC))), -7 * 3600);
        // 2026: DST from 8 March 10:00 UTC to 1 November 09:00 UTC.
        assert_eq!(tz.offset_at(ms(datetime!(2026-03-08 09:59 UTC))), -8 * 3600);
        assert_eq!(tz.offset_at(ms(datetime!(2026-03-08 10:00 UTC))), -7 * 3600);
        assert_eq!(tz.offset_at(ms(datetime!(2026-11-01 08:59 UTC))), -7 * 3600);
        assert_eq!(tz.offset_at(ms(datetime!(2026-11-01 09:00 UTC))), -8 * 3600);
        let local = datetime!(2026-11-28 17:45);
        assert_eq!(
            tz.local_to_utc_ms(local),
            ms(datetime!(2026-11-29 01:45 UTC))
        );
        assert_eq!(
            tz.format_ms(ms(datetime!(2026-11-29 01:45:02.123 UTC))),
            "2026-11-28T17:45:02.123-0800"
        );
    }

    #[test]
    fn fixed_offsets_and_kiritimati() {
        let k = UserTimeZone::parse("Pacific/Kiritimati").unwrap();
        assert_eq!(
            k.format_ms(ms(datetime!(2026-11-29 01:45:02.123 UTC))),
            "2026-11-29T15:45:02.123+1400"
        );
        let plus = UserTimeZone::parse("+14:00").unwrap();
        assert_eq!(plus.name(), "Etc/GMT-14");
        assert_eq!(plus.offset_at(0), 14 * 3600);
        let india = UserTimeZone::parse("+0530").unwrap();
        assert_eq!(india.offset_at(0), 5 * 3600 + 1800);
        assert_eq!(
            UserTimeZone::parse("UTC").unwrap().format_ms(0),
            "1970-01-01T00:00:00.000+0000"
        );
        assert!(UserTimeZone::parse("Mars/Olympus").is_err());
        assert!(UserTimeZone::parse("+25:00").is_err());
    }

    #[test]
    fn berlin_follows_eu_dst() {
        let tz = UserTimeZone::parse("Europe/Berlin").unwrap();
        assert_eq!(tz.offset_at(ms(datetime!(2026-03-29 00:59 UTC))), 3600);
        assert_eq!(tz.offset_at(ms(datetime!(2026-03-29 01:00 UTC))), 7200);
        assert_eq!(tz.offset_at(ms(datetime!(2026-10-25 01:00 UTC))), 3600);
    }
}
