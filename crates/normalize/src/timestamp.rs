//! Jira timestamps in, RFC 3339 UTC and compact object-key strings out.

use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::error::{Error, Result};

/// Parses a timestamp as Jira sends it (`2026-11-29T01:45:02.123+0000`, the
/// offset without a colon) or as RFC 3339 (`2026-11-29T01:45:02.123Z`,
/// `+01:00`). Fractional seconds are optional.
///
/// # Errors
///
/// [`Error::InvalidTimestamp`] when the text is neither form, or when the
/// instant falls outside the years 0000 to 9999 in UTC (RFC 3339 cannot
/// express it).
pub fn parse_jira_timestamp(text: &str) -> Result<OffsetDateTime> {
    let invalid = || Error::InvalidTimestamp {
        value: text.to_owned(),
    };
    let bytes = text.as_bytes();
    // Jira writes `+0000`; RFC 3339 wants `+00:00`. Insert the colon rather
    // than keeping a second parser, so both forms share one grammar.
    let parsed = if bytes.len() > 5
        && matches!(bytes[bytes.len() - 5], b'+' | b'-')
        && bytes[bytes.len() - 4..].iter().all(u8::is_ascii_digit)
    {
        let (head, offset) = text.split_at(text.len() - 2);
        OffsetDateTime::parse(&format!("{head}:{offset}"), &Rfc3339)
    } else {
        OffsetDateTime::parse(text, &Rfc3339)
    };
    // `to_offset` panics when the UTC instant leaves the supported years
    // (9999-12-31T23:00:00-05:00); the checked form turns that into an error.
    let utc = parsed
        .map_err(|_| invalid())?
        .checked_to_offset(UtcOffset::UTC)
        .ok_or_else(invalid)?;
    if !(0..=9999).contains(&utc.year()) {
        return Err(invalid());
    }
    Ok(utc)
}

/// Formats an instant as RFC 3339 in UTC with millisecond precision, e.g.
/// `2026-11-29T01:45:02.123Z`; nine fractional digits are written only when
/// the instant has sub-millisecond precision, so nothing is lost.
///
/// Every timestamp in the normalized document uses this form, so documents
/// compare and sort as plain strings.
#[must_use]
pub fn format_rfc3339_utc(at: OffsetDateTime) -> String {
    let utc = to_utc(at);
    let nanos = utc.nanosecond();
    let fraction = if nanos.is_multiple_of(1_000_000) {
        format!("{:03}", nanos / 1_000_000)
    } else {
        format!("{nanos:09}")
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{fraction}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

/// UTC, saturating at the ends of the supported range instead of panicking
/// like `to_offset` does; only instants built by hand near year 10000 or
/// before year 1 are affected, never parsed Jira timestamps.
fn to_utc(at: OffsetDateTime) -> OffsetDateTime {
    at.checked_to_offset(UtcOffset::UTC).unwrap_or_else(|| {
        if at.year() > 0 {
            PrimitiveDateTime::MAX.assume_utc()
        } else {
            PrimitiveDateTime::MIN.assume_utc()
        }
    })
}

/// The compact, sortable, filesystem-safe form of an issue's `fields.updated`
/// used in raw object keys (contracts §1), e.g. `20261129T014502.123Z`.
///
/// Always UTC with exactly three fractional digits: Jira keeps milliseconds,
/// so truncating anything finer never merges two real versions, and a fixed
/// width makes lexicographic order equal time order.
#[must_use]
pub fn updated_key(updated: OffsetDateTime) -> String {
    let utc = to_utc(updated);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}.{:03}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second(),
        utc.millisecond()
    )
}

/// Parses the output of [`updated_key`] back into an instant, e.g. to find
/// the newest raw version of an issue from a key listing.
///
/// # Errors
///
/// [`Error::InvalidUpdatedKey`] when the text is not exactly of the form
/// `YYYYMMDDTHHMMSS.sssZ`.
pub fn parse_updated_key(text: &str) -> Result<OffsetDateTime> {
    let invalid = || Error::InvalidUpdatedKey {
        value: text.to_owned(),
    };
    let b = text.as_bytes();
    let shape_ok = b.len() == 20
        && b[8] == b'T'
        && b[15] == b'.'
        && b[19] == b'Z'
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[16..19].iter().all(u8::is_ascii_digit);
    if !shape_ok {
        return Err(invalid());
    }
    // The shape check guarantees ASCII digits, so these slices parse.
    let num = |range: std::ops::Range<usize>| text[range].parse::<u32>().map_err(|_| invalid());
    let year = i32::try_from(num(0..4)?).map_err(|_| invalid())?;
    let month =
        Month::try_from(u8::try_from(num(4..6)?).map_err(|_| invalid())?).map_err(|_| invalid())?;
    let day = u8::try_from(num(6..8)?).map_err(|_| invalid())?;
    let date = Date::from_calendar_date(year, month, day).map_err(|_| invalid())?;
    let small = |range| u8::try_from(num(range)?).map_err(|_| invalid());
    let time = Time::from_hms_milli(
        small(9..11)?,
        small(11..13)?,
        small(13..15)?,
        u16::try_from(num(16..19)?).map_err(|_| invalid())?,
    )
    .map_err(|_| invalid())?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_jira_form_and_normalises_to_utc() {
        let at = parse_jira_timestamp("2026-11-29T02:45:02.123+0100").unwrap();
        assert_eq!(format_rfc3339_utc(at), "2026-11-29T01:45:02.123Z");
        assert_eq!(updated_key(at), "20261129T014502.123Z");
        let negative = parse_jira_timestamp("2026-11-28T20:45:02.000-0500").unwrap();
        assert_eq!(format_rfc3339_utc(negative), "2026-11-29T01:45:02.000Z");
    }

    #[test]
    fn parses_rfc3339_and_optional_fraction() {
        for text in [
            "2026-11-29T01:45:02.123Z",
            "2026-11-29T01:45:02.123+00:00",
            "2026-11-29T03:45:02.123+02:00",
        ] {
            let at = parse_jira_timestamp(text).unwrap();
            assert_eq!(format_rfc3339_utc(at), "2026-11-29T01:45:02.123Z", "{text}");
        }
        let whole = parse_jira_timestamp("2026-11-29T01:45:02+0000").unwrap();
        assert_eq!(format_rfc3339_utc(whole), "2026-11-29T01:45:02.000Z");
    }

    #[test]
    fn keeps_sub_millisecond_precision_in_documents_only() {
        let at = parse_jira_timestamp("2026-11-29T01:45:02.123456Z").unwrap();
        assert_eq!(format_rfc3339_utc(at), "2026-11-29T01:45:02.123456000Z");
        assert_eq!(updated_key(at), "20261129T014502.123Z");
    }

    #[test]
    fn rejects_garbage_and_unrepresentable_years() {
        for text in [
            "",
            "yesterday",
            "2026-11-29",
            "2026-11-29 01:45:02",
            "2026-13-29T01:45:02.123+0000",
            "2026-11-29T01:45:02.123+000",
            "0000-01-01T00:00:00.000+0100",
        ] {
            assert!(
                matches!(
                    parse_jira_timestamp(text),
                    Err(Error::InvalidTimestamp { .. })
                ),
                "{text:?} was accepted"
            );
        }
    }

    #[test]
    fn edge_instants_never_panic() {
        let late = parse_jira_timestamp("9999-12-31T23:59:59.999+0000").unwrap();
        let shifted = late.to_offset(UtcOffset::from_hms(-2, 0, 0).unwrap());
        assert_eq!(format_rfc3339_utc(shifted), "9999-12-31T23:59:59.999Z");
        assert!(parse_jira_timestamp("9999-12-31T23:59:59.999-1200").is_err());
        let west = time::macros::datetime!(9999-12-31 23:00 -05:00);
        assert_eq!(updated_key(west), "99991231T235959.999Z");
    }

    #[test]
    fn updated_key_round_trips_and_sorts_like_time() {
        let a = parse_jira_timestamp("2026-01-02T03:04:05.006+0000").unwrap();
        let b = parse_jira_timestamp("2026-11-29T01:45:02.123+0000").unwrap();
        let (ka, kb) = (updated_key(a), updated_key(b));
        assert!(ka < kb);
        assert_eq!(parse_updated_key(&ka).unwrap(), a);
        assert_eq!(parse_updated_key(&kb).unwrap(), b);
        for bad in [
            "20261129T014502Z",
            "20261329T014502.123Z",
            "20261129T014502.123",
            "2026-11-29T01:45:02.123Z",
            "20261129T254502.123Z",
        ] {
            assert!(parse_updated_key(bad).is_err(), "{bad}");
        }
    }
}
