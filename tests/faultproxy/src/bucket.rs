//! Token bucket for the bandwidth limit.

use std::time::{Duration, Instant};

/// Largest piece written at once under a bandwidth limit, and the bucket's capacity (the largest burst):
/// 1/20 s of traffic, between 1 byte and 16 KiB. Small pieces keep a slow link smooth.
pub(crate) fn slice_len(bytes_per_sec: u64) -> usize {
    usize::try_from(bytes_per_sec / 20).unwrap_or(usize::MAX).clamp(1, 16 * 1024)
}

/// A token bucket that lets reservations go into debt: a reservation that exceeds the tokens available is
/// granted, and the caller waits for the debt to be repaid. Concurrent callers therefore queue up in order of
/// reservation, which is how one link shared by several connections behaves.
#[derive(Debug, Default)]
pub(crate) struct Bucket {
    tokens: f64,
    last: Option<Instant>,
}

impl Bucket {
    /// Reserves `n` bytes (at most [`slice_len`]) at `bytes_per_sec` (> 0) and returns how long to wait
    /// before sending them. The rate may differ from one call to the next.
    pub(crate) fn reserve(&mut self, n: usize, bytes_per_sec: u64, now: Instant) -> Duration {
        let rate = bytes_per_sec.max(1) as f64;
        let capacity = slice_len(bytes_per_sec) as f64;
        self.tokens = match self.last {
            None => capacity,
            Some(last) => (self.tokens + now.saturating_duration_since(last).as_secs_f64() * rate).min(capacity),
        };
        self.last = Some(now);
        self.tokens -= n as f64;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices() {
        assert_eq!(slice_len(0), 1);
        assert_eq!(slice_len(100_000), 5_000);
        assert_eq!(slice_len(u64::MAX), 16 * 1024);
    }

    /// Sending 300 000 bytes back to back at 100 000 B/s must take 300 000 - burst (5 000) bytes' worth of time.
    #[test]
    fn back_to_back_reservations_pay_for_every_byte_after_the_burst() {
        let mut bucket = Bucket::default();
        let start = Instant::now();
        let mut now = start;
        let rate = 100_000;
        let mut left = 300_000usize;
        while left > 0 {
            let n = left.min(slice_len(rate));
            now += bucket.reserve(n, rate, now);
            left -= n;
        }
        let took = now - start;
        assert!(took >= Duration::from_millis(2_940) && took <= Duration::from_millis(2_960), "{took:?}");
    }

    #[test]
    fn idle_time_refills_only_up_to_capacity() {
        let mut bucket = Bucket::default();
        let t0 = Instant::now();
        assert_eq!(bucket.reserve(5_000, 100_000, t0), Duration::ZERO);
        // An hour idle buys one burst, not an hour of traffic.
        let t1 = t0 + Duration::from_secs(3600);
        assert_eq!(bucket.reserve(5_000, 100_000, t1), Duration::ZERO);
        let wait = bucket.reserve(5_000, 100_000, t1);
        assert!((wait.as_secs_f64() - 0.05).abs() < 1e-9, "{wait:?}");
    }

    #[test]
    fn concurrent_reservations_queue_up() {
        let mut bucket = Bucket::default();
        let t0 = Instant::now();
        // 1 000 B/s: capacity and slice are 50 bytes. The first slice is the burst, each next one waits 50 ms more.
        let waits: Vec<f64> = (0..4).map(|_| bucket.reserve(50, 1_000, t0).as_secs_f64()).collect();
        for (i, w) in waits.iter().enumerate() {
            assert!((w - 0.05 * i as f64).abs() < 1e-9, "{i}: {w}");
        }
    }
}
