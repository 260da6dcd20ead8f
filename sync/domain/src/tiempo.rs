//! Clocks (contract invariant 10): the time a person did something is data. It is kept, but
//! bounded: not more than five minutes ahead of the server, not older than the back-dating
//! window (30 days by default, configurable on the server).

use crate::rechazo::{Rechazo, RejectionCode};
use chrono::{DateTime, Duration, Utc};

/// How far ahead of the server's clock a device's clock may be.
pub const MAX_CLOCK_AHEAD: Duration = Duration::minutes(5);

/// Default back-dating window.
pub const DEFAULT_BACKDATE_WINDOW: Duration = Duration::days(30);

/// Checks the time a person says they acted against the server's clock.
pub fn check_action_time(
    at: DateTime<Utc>,
    server_now: DateTime<Utc>,
    backdate_window: Duration,
) -> Result<(), Rechazo> {
    let max = server_now + MAX_CLOCK_AHEAD;
    let min = server_now - backdate_window;
    if at > max || at < min {
        return Err(Rechazo::new(RejectionCode::TimeOutOfRange)
            .with("at", at.to_rfc3339())
            .with("min", min.to_rfc3339())
            .with("max", max.to_rfc3339()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn bounds_table() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).single().expect("valid");
        let window = Duration::days(30);
        let cases = [
            (now, true),
            (now + Duration::minutes(5), true),
            (now + Duration::minutes(5) + Duration::seconds(1), false),
            (now - Duration::days(30), true),
            (now - Duration::days(30) - Duration::seconds(1), false),
            (now - Duration::days(3), true),
        ];
        for (at, ok) in cases {
            assert_eq!(check_action_time(at, now, window).is_ok(), ok, "{at}");
        }
        let err = check_action_time(now + Duration::hours(1), now, window).err();
        assert_eq!(err.map(|r| r.code), Some(RejectionCode::TimeOutOfRange));
        assert!(check_action_time(now - Duration::days(40), now, Duration::days(60)).is_ok());
    }
}
