//! Time as the server sees it. Everything that asks "what time is it" goes
//! through [`Clock`], so tests can move time forward to expire sessions.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, UTC.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> i64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to.
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(now: i64) -> Self {
        ManualClock(AtomicI64::new(now))
    }
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
    pub fn set(&self, now: i64) {
        self.0.store(now, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// RFC 3339 in UTC, e.g. `2026-11-25T10:04:05Z`. Written by hand: the runs
/// page formats two per row, and the `time` crate's general formatter was a
/// few percent of an audited request (README, Performance). A time outside
/// years 0000-9999 is written as the epoch (RFC 3339 has four-digit years).
pub fn rfc3339(ts: i64) -> String {
    ascii(&rfc3339_bytes(ts))
}

/// [`rfc3339`] as its 20 ASCII bytes.
fn rfc3339_bytes(ts: i64) -> [u8; 20] {
    let (days, secs) = (ts.div_euclid(86_400), ts.rem_euclid(86_400));
    let Some(date) = civil(days) else {
        return *b"1970-01-01T00:00:00Z";
    };
    let mut b = *b"0000-00-00T00:00:00Z";
    put_date(&mut b, date);
    put2(&mut b[11..13], secs / 3600);
    put2(&mut b[14..16], secs / 60 % 60);
    put2(&mut b[17..19], secs % 60);
    b
}

/// The UTC day `day` (days since the epoch) as `YYYY-MM-DD`.
pub fn day_string(day: i64) -> String {
    ascii(&day_bytes(day))
}

/// [`day_string`] as its 10 ASCII bytes.
pub fn day_bytes(day: i64) -> [u8; 10] {
    let Some(date) = civil(day) else {
        return *b"1970-01-01";
    };
    let mut b = *b"0000-00-00";
    put_date(&mut b, date);
    b
}

/// The digits and separators written above are ASCII by construction.
fn ascii(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}

/// (year, month, day) of a day counted from 1970-01-01 in the proleptic
/// Gregorian calendar (the days-to-civil algorithm over 400-year eras);
/// None outside years 0-9999.
fn civil(days: i64) -> Option<(i64, i64, i64)> {
    let z = days.checked_add(719_468)?;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (0..=9999).contains(&y).then_some((y, m, d))
}

/// Writes `YYYY-MM-DD` over the first ten bytes of `b`.
fn put_date(b: &mut [u8], (y, m, d): (i64, i64, i64)) {
    put2(&mut b[0..2], y / 100);
    put2(&mut b[2..4], y % 100);
    put2(&mut b[5..7], m);
    put2(&mut b[8..10], d);
}

/// Two ASCII digits of `n` (0-99) over `b`.
fn put2(b: &mut [u8], n: i64) {
    let n = n.rem_euclid(100) as u8;
    b[0] = b'0' + n / 10;
    b[1] = b'0' + n % 10;
}

/// Parses RFC 3339 or a bare `YYYY-MM-DD` (midnight UTC).
pub fn parse_time(s: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t.unix_timestamp());
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt)
        .ok()
        .map(|d| d.midnight().assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_time("1970-01-02"), Some(86_400));
        assert_eq!(parse_time("1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(day_string(1), "1970-01-02");
    }

    /// The `time` crate's RFC 3339 formatter, which this replaced.
    fn oracle(ts: i64) -> String {
        time::OffsetDateTime::from_unix_timestamp(ts)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
    }

    #[test]
    fn writes_what_the_time_crate_writes_at_the_edges() {
        let year0 = -62_167_219_200; // 0000-01-01T00:00:00Z
        let year10000 = 253_402_300_800; // 10000-01-01T00:00:00Z
        for ts in [
            0,
            -1,
            86_399,
            86_400,
            951_782_400,   // 2000-02-29
            4_107_542_400, // 2100-03-01
            year0,
            year0 - 1,
            year10000 - 1,
            year10000,
            i64::MIN,
            i64::MAX,
        ] {
            assert_eq!(rfc3339(ts), oracle(ts), "{ts}");
            let day = ts.div_euclid(86_400);
            assert_eq!(
                day_string(day),
                oracle(day.saturating_mul(86_400))[..10],
                "{day}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn writes_what_the_time_crate_writes(ts in -63_000_000_000i64..260_000_000_000) {
            proptest::prop_assert_eq!(rfc3339(ts), oracle(ts));
        }

        #[test]
        fn writes_each_day_as_the_time_crate_does(day in -730_000i64..3_000_000) {
            proptest::prop_assert_eq!(day_string(day), &oracle(day * 86_400)[..10]);
        }
    }
}
