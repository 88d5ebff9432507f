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

    /// How far this clock is ahead of the system's. Libraries that stamp times with the
    /// system clock (the session layer's expiry) are translated by it.
    fn offset(&self) -> time::Duration {
        time::Duration::ZERO
    }

    /// How this clock departs from the system's, for the start-up log and `/readyz`; `None`
    /// for the real clock.
    fn shifted(&self) -> Option<String> {
        None
    }
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
        SystemClock.now() + self.offset()
    }

    fn offset(&self) -> time::Duration {
        time::Duration::seconds(self.offset_seconds.load(Ordering::SeqCst))
    }
}

/// The system clock shifted by a number of seconds read from a file at every reading: how tests
/// of the running binary move its time (`TRE_TEST_CLOCK_FILE`). A missing or unreadable file
/// counts as no shift. The binary announces it in its log and on `/readyz`; nothing in a
/// deployment sets it.
#[derive(Debug, Clone)]
pub struct FileShiftedClock {
    path: std::path::PathBuf,
}

impl FileShiftedClock {
    /// A clock shifted by the whole number of seconds in `path`.
    pub fn new(path: impl Into<std::path::PathBuf>) -> FileShiftedClock {
        FileShiftedClock { path: path.into() }
    }
}

impl Clock for FileShiftedClock {
    fn now(&self) -> OffsetDateTime {
        SystemClock.now() + self.offset()
    }

    fn offset(&self) -> time::Duration {
        let seconds = std::fs::read_to_string(&self.path).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
        time::Duration::seconds(seconds)
    }

    fn shifted(&self) -> Option<String> {
        Some(format!(
            "shifted by {} s from {} (TRE_TEST_CLOCK_FILE: for tests only)",
            self.offset().whole_seconds(),
            self.path.display()
        ))
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

    #[test]
    fn file_shifted_clock_reads_its_offset_at_every_reading() {
        let path = std::env::temp_dir().join(format!("tre-clock-test-{}", std::process::id()));
        let clock = FileShiftedClock::new(&path);
        let real = SystemClock.now();
        assert!(clock.now() - real < time::Duration::seconds(5), "no file, no shift");
        std::fs::write(&path, "86400\n").unwrap();
        assert!(clock.now() - real >= time::Duration::seconds(86400));
        assert!(clock.shifted().unwrap().contains("86400 s"));
        std::fs::write(&path, "not a number").unwrap();
        assert!(clock.now() - real < time::Duration::seconds(5), "garbage counts as no shift");
        assert_eq!(SystemClock.shifted(), None);
        std::fs::remove_file(&path).unwrap();
    }
}
