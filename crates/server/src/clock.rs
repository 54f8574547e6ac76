//! The clock as the store and the API write it: Unix seconds, and RFC 3339 in UTC.
//! [`Clock`] is the time the store's rules read (session expiry, sign-in limits): the
//! system's, or in tests one that only moves when told to, so that an expiry test
//! does not sleep for real seconds.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The time the store reads. Cloning shares it: a test keeps one clone and moves the
/// time its server sees.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// `None`: the system clock. Otherwise Unix seconds, set by hand.
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock standing at the system's time now, moving only by [`Clock::advance`].
    pub fn manual() -> Clock {
        Clock {
            manual: Some(Arc::new(AtomicI64::new(now_secs()))),
        }
    }

    pub fn now_secs(&self) -> i64 {
        match &self.manual {
            Some(secs) => secs.load(Ordering::SeqCst),
            None => now_secs(),
        }
    }

    /// Moves a manual clock forward. The system clock cannot be moved: calling this on
    /// it is a bug in the test, and panics.
    pub fn advance(&self, by: Duration) {
        let secs = self
            .manual
            .as_ref()
            .expect("only a manual clock can be moved");
        secs.fetch_add(by.as_secs() as i64, Ordering::SeqCst);
    }
}

/// RFC 3339 (UTC) of Unix seconds.
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_for_every_clone() {
        let clock = Clock::manual();
        let seen = clock.clone();
        let start = seen.now_secs();
        assert!((start - now_secs()).abs() <= 1);
        clock.advance(Duration::from_secs(90));
        assert_eq!(seen.now_secs(), start + 90);
    }

    #[test]
    fn unix_seconds_print_as_rfc3339() {
        // Checked against Python's datetime; leap days, century years and the epoch.
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
    }
}
