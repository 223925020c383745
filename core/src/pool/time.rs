//! Instants, `as_of`, and the pool's IANA time zone.
//!
//! An instant is an RFC 3339 timestamp with its offset (`2026-11-23T09:30:00+08:00`, `...Z`),
//! kept as milliseconds since 1970-01-01 UTC. A timestamp without an offset is refused: which
//! day an instant falls on depends on the zone, and a server's zone is the bug this module
//! exists to avoid. Days are counted in the pool's zone (chrono-tz, so a New York pool counts
//! across its DST changes correctly).

use std::fmt;

use chrono::{DateTime, Duration, LocalResult, NaiveDate, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::error::{Error, ParseKind, Result};

/// Newtype name under which instants serialise (the Python binding builds a `datetime`).
pub const INSTANT: &str = "$crmkit::Instant";

/// A point in time: milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub i64);

impl Instant {
    /// Reads an RFC 3339 timestamp with an offset, years 1 to 9999; `path` names it.
    ///
    /// # Errors
    ///
    /// `invalid_date` at `path`.
    pub fn parse(text: &str, path: &str) -> Result<Self> {
        parse_instant(text).map_err(|message| Error::Parse { kind: ParseKind::Date, path: path.to_owned(), message })
    }

    /// This instant in `zone`, RFC 3339 (milliseconds only when not whole seconds).
    pub fn format(self, zone: Tz) -> String {
        match Utc.timestamp_millis_opt(self.0) {
            LocalResult::Single(t) => t.with_timezone(&zone).to_rfc3339_opts(SecondsFormat::AutoSi, false),
            _ => self.0.to_string(),
        }
    }

    /// The calendar date of this instant in `zone`.
    pub(crate) fn local_date(self, zone: Tz) -> NaiveDate {
        match Utc.timestamp_millis_opt(self.0) {
            LocalResult::Single(t) => t.with_timezone(&zone).date_naive(),
            _ => NaiveDate::MIN,
        }
    }
}

fn parse_instant(text: &str) -> std::result::Result<Instant, String> {
    let t = DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
        format!("{text:?} is not an RFC 3339 timestamp with an offset (2026-11-23T09:30:00+08:00): {e}")
    })?;
    let year = t.naive_utc().date().format("%Y").to_string().parse::<i32>().unwrap_or(0);
    if !(1..=9999).contains(&year) {
        return Err(format!("{text:?} is outside years 1 to 9999"));
    }
    Ok(Instant(t.timestamp_millis()))
}

/// Start of the day `date` in `zone`: local midnight, or the first instant after a DST gap
/// that swallows midnight (Santiago, Havana...); the earlier of two midnights in an overlap.
pub(crate) fn day_start(date: NaiveDate, zone: Tz) -> Instant {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for quarter in 0..=16 {
        let local = midnight + Duration::minutes(15 * quarter);
        match zone.from_local_datetime(&local) {
            LocalResult::Single(t) => return Instant(t.timestamp_millis()),
            LocalResult::Ambiguous(a, b) => return Instant(a.timestamp_millis().min(b.timestamp_millis())),
            LocalResult::None => {}
        }
    }
    // No zone has a gap over four hours; the UTC reading is a safe fallback all the same.
    Instant(midnight.and_utc().timestamp_millis())
}

/// Days from `a` to `b` (`b - a`).
pub(crate) fn days_between(a: NaiveDate, b: NaiveDate) -> i64 {
    b.signed_duration_since(a).num_days()
}

/// Reads an IANA zone name; `path` names it.
///
/// # Errors
///
/// `invalid_value` at `path` for a name the IANA database does not have.
pub(crate) fn parse_zone(name: &str, path: &str) -> Result<Tz> {
    name.parse::<Tz>().map_err(|_| Error::InvalidValue {
        path: path.to_owned(),
        reason: format!("{name:?} is not an IANA time zone (Asia/Shanghai, America/New_York, UTC...)"),
    })
}

/// The caller's "now" for the pool: an instant, or a whole date.
///
/// A date stands for the **end** of that day in each pool's time zone, so everything logged
/// that day counts: `"2026-11-23"` in an `Asia/Shanghai` pool is `2026-11-23T23:59:59.999+08:00`.
/// A nightly job that runs at 02:00 and one that runs at 23:00 get the same decisions for the
/// same date (day-counted rules change only at local midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// This instant.
    Instant(Instant),
    /// The end of this day in the pool's zone.
    Date(NaiveDate),
}

impl AsOf {
    /// Reads `YYYY-MM-DD` or an RFC 3339 timestamp with an offset.
    ///
    /// # Errors
    ///
    /// `invalid_date` at `as_of`.
    ///
    /// # Examples
    ///
    /// ```
    /// use crmkit::pool::AsOf;
    /// assert!(matches!(AsOf::parse("2026-11-23")?, AsOf::Date(_)));
    /// assert!(matches!(AsOf::parse("2026-11-23T02:00:00+08:00")?, AsOf::Instant(_)));
    /// assert_eq!(AsOf::parse("2026-11-23T02:00:00").unwrap_err().code(), "invalid_date");
    /// # Ok::<(), crmkit::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        if text.len() == 10 {
            Ok(Self::Date(crate::wire::parse_date(text, "as_of")?))
        } else {
            Ok(Self::Instant(Instant::parse(text, "as_of")?))
        }
    }

    /// The instant this stands for in `zone`.
    pub(crate) fn instant(self, zone: Tz) -> Instant {
        match self {
            Self::Instant(i) => i,
            Self::Date(d) => d.succ_opt().map_or(Instant(i64::MAX), |next| Instant(day_start(next, zone).0 - 1)),
        }
    }
}

impl fmt::Display for AsOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Instant(i) => f.write_str(&i.format(Tz::UTC)),
            Self::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
        }
    }
}

/// An instant written in a pool's zone: what reports carry (`due_at`, `warn_at`...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZonedInstant(pub String);

impl Serialize for ZonedInstant {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(INSTANT, &self.0)
    }
}

impl<'de> Deserialize<'de> for ZonedInstant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

/// `#[serde(with = "crate::pool::time::instant")]` for `Instant` input fields.
pub mod instant {
    use super::{de, fmt, parse_instant, Deserializer, Instant, Serializer, Tz, Visitor, INSTANT};

    struct V;

    impl Visitor<'_> for V {
        type Value = Instant;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an RFC 3339 timestamp with an offset")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Instant, E> {
            parse_instant(v).map_err(|m| E::custom(format!("invalid_date: {m}")))
        }
    }

    /// Serialises as the [`INSTANT`] newtype around its UTC RFC 3339 form.
    pub fn serialize<S: Serializer>(i: &Instant, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(INSTANT, &i.format(Tz::UTC))
    }

    /// Accepts an RFC 3339 timestamp with an offset.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Instant, D::Error> {
        d.deserialize_str(V)
    }
}

/// `#[serde(with = "crate::pool::time::instant_opt", default)]` for `Option<Instant>` fields.
pub mod instant_opt {
    use super::{Deserializer, Instant, Serializer};
    use serde::Deserialize;

    #[derive(serde::Deserialize)]
    struct W(#[serde(with = "super::instant")] Instant);

    /// `None` serialises as null.
    pub fn serialize<S: Serializer>(i: &Option<Instant>, s: S) -> Result<S::Ok, S::Error> {
        match i {
            Some(i) => super::instant::serialize(i, s),
            None => s.serialize_none(),
        }
    }

    /// Null or absent is `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Instant>, D::Error> {
        Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_need_an_offset() {
        assert_eq!(Instant::parse("1970-01-01T08:00:00+08:00", "x").unwrap(), Instant(0));
        assert_eq!(Instant::parse("1970-01-01T00:00:01.5Z", "x").unwrap(), Instant(1500));
        for bad in ["1970-01-01T00:00:00", "1970-01-01", "tomorrow", "0000-01-01T00:00:00Z"] {
            let e = Instant::parse(bad, "at").unwrap_err();
            assert_eq!((e.code(), e.path()), ("invalid_date", "at"), "{bad}");
        }
    }

    #[test]
    fn local_days_and_midnights_follow_the_zone() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // 2026-03-08 02:00 EST jumps to 03:00 EDT: midnight on the 9th is at -04:00.
        let d = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(day_start(d, ny).format(ny), "2026-03-09T00:00:00-04:00");
        assert_eq!(day_start(d.pred_opt().unwrap(), ny).format(ny), "2026-03-08T00:00:00-05:00");
        let late = Instant::parse("2026-03-09T03:30:00Z", "x").unwrap();
        assert_eq!(late.local_date(ny), NaiveDate::from_ymd_opt(2026, 3, 8).unwrap());
        // Havana's DST starts at midnight: the day starts at 01:00.
        let havana: Tz = "America/Havana".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        assert_eq!(day_start(d, havana).format(havana), "2026-03-08T01:00:00-04:00");
    }

    #[test]
    fn a_date_as_of_is_the_end_of_that_day() {
        let sh: Tz = "Asia/Shanghai".parse().unwrap();
        let a = AsOf::parse("2026-11-23").unwrap().instant(sh);
        assert_eq!(a.format(sh), "2026-11-23T23:59:59.999+08:00");
    }
}
