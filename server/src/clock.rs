//! The one place the server reads the time from.
//!
//! Every decision that depends on time (session expiry, lockouts, accreditation and project
//! dates) takes its "now" from a [`Clock`], so that tests can move time instead of waiting.
//! Nothing else in the server may call `SystemTime::now` (clippy's `disallowed-methods`).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use time::OffsetDateTime;

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time, UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        #[allow(clippy::disallowed_methods, reason = "this is the one sanctioned reading of the system time")]
        OffsetDateTime::now_utc()
    }
}

/// The system clock shifted by an offset that tests can change at run time.
#[derive(Debug, Default, Clone)]
pub struct ShiftedClock {
    offset_seconds: Arc<AtomicI64>,
}

impl ShiftedClock {
    /// Moves this clock (and every copy of it) forward by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.offset_seconds.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> OffsetDateTime {
        SystemClock.now() + time::Duration::seconds(self.offset_seconds.load(Ordering::SeqCst))
    }
}

/// Milliseconds since the Unix epoch: how the database stores instants on both engines.
pub fn to_millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The inverse of [`to_millis`].
pub fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_trip() {
        let t = from_millis(1_790_000_000_123);
        assert_eq!(to_millis(t), 1_790_000_000_123);
    }

    #[test]
    fn shifted_clock_moves_all_copies() {
        let c = ShiftedClock::default();
        let copy = c.clone();
        let before = copy.now();
        c.advance(3600);
        assert!(copy.now() - before >= time::Duration::seconds(3600));
    }
}
