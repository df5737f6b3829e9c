//! Time as the server sees it. Everything that asks "what time is it" goes
//! through [`Clock`], so tests can move time forward to expire sessions.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

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

/// RFC 3339 in UTC, e.g. `2026-11-25T10:04:05Z`. A time outside years
/// 0000-9999 (which RFC 3339 cannot write) is written as the epoch.
pub fn rfc3339(ts: i64) -> String {
    OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

const DAY: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// Parses RFC 3339 or a bare `YYYY-MM-DD` (midnight UTC).
pub fn parse_time(s: &str) -> Option<i64> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t.unix_timestamp());
    }
    time::Date::parse(s, DAY)
        .ok()
        .map(|d| d.midnight().assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
        assert_eq!(parse_time("1970-01-02"), Some(86_400));
        assert_eq!(parse_time("1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(parse_time("1970-01-01T01:01:00+01:00"), Some(60));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn times_rfc3339_cannot_write_are_the_epoch() {
        let year10000 = 253_402_300_800; // 10000-01-01T00:00:00Z
        assert_eq!(rfc3339(year10000 - 1), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(year10000), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(-62_167_219_201), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(i64::MIN), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(i64::MAX), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn formatted_times_parse_back() {
        for ts in [0, -1, 86_399, 951_782_400, 4_107_542_400] {
            assert_eq!(parse_time(&rfc3339(ts)), Some(ts), "{ts}");
        }
    }
}
