//! The fault configuration and the deterministic per-connection decisions drawn from it.

use std::time::Duration;

/// Which faults the proxy injects. `Faults::default()` is a transparent proxy.
///
/// The probabilistic faults (`drop_request_probability`, `drop_response_probability`,
/// `duplicate_request_probability`) are decided once per connection, when it is accepted, by
/// [`Faults::decide`] from `seed` and the connection's index (0 for the first connection accepted after
/// [`FaultProxy::set`](crate::FaultProxy::set), 1 for the next, ...). A test with a fixed seed therefore
/// sees the same decisions on every run. Probabilities are clamped to `[0, 1]`; NaN counts as 0.
///
/// `refuse` and `cut_response_after_bytes` are also fixed at accept time. `delay` and
/// `bandwidth_bytes_per_sec` are read for every chunk, so changing them affects live connections too.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Accept each new connection and reset it at once (RST): the client's connect succeeds but its first
    /// read or write fails with "connection reset" (or sees EOF). The upstream never hears of it.
    pub refuse: bool,
    /// Probability that a connection is closed (RST) as soon as the client's first bytes arrive, before any
    /// upstream connection is opened: the server never sees the request.
    pub drop_request_probability: f64,
    /// Probability that the request is forwarded and the server's answer awaited, but the connection is reset
    /// as soon as the first response bytes arrive, without forwarding any of them: the server has committed,
    /// the client never hears.
    pub drop_response_probability: f64,
    /// Forward at most this many response bytes (server → client) on each connection, then close the client
    /// side (FIN, so the client reads exactly that many bytes and then EOF) and reset the upstream side.
    /// `Some(0)` behaves like a certain `drop_response` that ends with EOF instead of a reset.
    pub cut_response_after_bytes: Option<u64>,
    /// Latency added to every forwarded chunk, in each direction (a round trip gains at least twice this).
    /// Chunks are pipelined: this is latency, not a per-chunk pause, so throughput is preserved.
    pub delay: Option<Duration>,
    /// Probability that the client's first request bytes (everything it sends until a 20 ms pause, at most
    /// 1 MiB) are also sent on a second upstream connection whose answer is discarded. The server sees the
    /// request twice; the client gets the single answer of its own connection.
    pub duplicate_request_probability: f64,
    /// Throttle each direction to this many bytes per second. The limit is a token bucket shared by all
    /// connections of the proxy (one bucket per direction), like one slow link; bursts are at most 1/20 s of
    /// traffic. `Some(0)` stalls all traffic (a black hole) until the limit is changed.
    pub bandwidth_bytes_per_sec: Option<u64>,
    /// Seed of the per-connection decisions.
    pub seed: u64,
}

/// What the proxy decided for one connection when it accepted it (see [`Faults::decide`]).
///
/// At most one of `refuse`, `drop_request` and `drop_response` is set, in that order of precedence.
/// `duplicate_request` is never set together with `refuse` or `drop_request` (there is no request to
/// duplicate), but may be set with `drop_response` (the server sees the request twice, the client nothing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    pub refuse: bool,
    pub drop_request: bool,
    pub drop_response: bool,
    pub duplicate_request: bool,
}

impl Decision {
    /// True when the connection is forwarded untouched by the probabilistic faults.
    pub fn is_clean(&self) -> bool {
        *self == Decision::default()
    }
}

impl Faults {
    /// The decisions for the connection with this index: a pure function of `self` and `connection_index`.
    ///
    /// Every connection consumes the same number of random draws whatever the probabilities, so changing one
    /// probability does not shift the decisions drawn for the other faults.
    pub fn decide(&self, connection_index: u64) -> Decision {
        let mut state = self.seed ^ connection_index.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let drop_request = hit(self.drop_request_probability, splitmix64(&mut state));
        let drop_response = hit(self.drop_response_probability, splitmix64(&mut state));
        let duplicate_request = hit(self.duplicate_request_probability, splitmix64(&mut state));
        if self.refuse {
            return Decision { refuse: true, ..Decision::default() };
        }
        if drop_request {
            return Decision { drop_request: true, ..Decision::default() };
        }
        Decision { refuse: false, drop_request: false, drop_response, duplicate_request }
    }
}

/// One step of SplitMix64: a small, well-mixed generator whose output does not depend on any crate version.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// True with probability `p` for a uniformly random `draw`. `p >= 1` is always true; `p <= 0` and NaN never.
fn hit(p: f64, draw: u64) -> bool {
    // 53 random bits -> uniform in [0, 1).
    let unit = (draw >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
    unit < p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(p_req: f64, p_resp: f64, p_dup: f64, seed: u64) -> Faults {
        Faults {
            drop_request_probability: p_req,
            drop_response_probability: p_resp,
            duplicate_request_probability: p_dup,
            seed,
            ..Faults::default()
        }
    }

    #[test]
    fn default_decides_nothing() {
        let f = Faults::default();
        assert!((0..1000).all(|i| f.decide(i).is_clean()));
    }

    #[test]
    fn certain_and_impossible_probabilities() {
        let f = with(0.0, 1.0, 1.0, 7);
        assert!((0..1000)
            .all(|i| f.decide(i) == Decision { drop_response: true, duplicate_request: true, ..Decision::default() }));
        let f = with(1.0, 1.0, 1.0, 7);
        assert!((0..1000).all(|i| f.decide(i) == Decision { drop_request: true, ..Decision::default() }));
        let f = with(f64::NAN, -3.0, 0.0, 7);
        assert!((0..1000).all(|i| f.decide(i).is_clean()));
        let f = Faults { refuse: true, ..with(1.0, 1.0, 1.0, 7) };
        assert!((0..1000).all(|i| f.decide(i) == Decision { refuse: true, ..Decision::default() }));
    }

    #[test]
    fn probabilities_are_roughly_honoured_and_independent() {
        let f = with(0.25, 0.5, 0.1, 99);
        let n = 20_000;
        let d: Vec<Decision> = (0..n).map(|i| f.decide(i)).collect();
        let req = d.iter().filter(|d| d.drop_request).count() as f64 / n as f64;
        // drop_response is only reported when drop_request did not win: 0.75 * 0.5.
        let resp = d.iter().filter(|d| d.drop_response).count() as f64 / n as f64;
        let dup = d.iter().filter(|d| d.duplicate_request).count() as f64 / n as f64;
        assert!((req - 0.25).abs() < 0.02, "drop_request rate {req}");
        assert!((resp - 0.375).abs() < 0.02, "drop_response rate {resp}");
        assert!((dup - 0.075).abs() < 0.02, "duplicate rate {dup}");
    }

    #[test]
    fn same_seed_same_decisions_other_seed_other_decisions() {
        let a: Vec<Decision> = (0..64).map(|i| with(0.5, 0.5, 0.5, 1).decide(i)).collect();
        let b: Vec<Decision> = (0..64).map(|i| with(0.5, 0.5, 0.5, 1).decide(i)).collect();
        let c: Vec<Decision> = (0..64).map(|i| with(0.5, 0.5, 0.5, 2).decide(i)).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn one_probability_does_not_shift_the_others() {
        // The duplicate draw is the third draw whatever the other probabilities are.
        let a: Vec<bool> = (0..256).map(|i| with(0.0, 0.0, 0.5, 5).decide(i).duplicate_request).collect();
        let b: Vec<bool> = (0..256).map(|i| with(0.0, 0.9, 0.5, 5).decide(i).duplicate_request).collect();
        assert_eq!(a, b);
    }
}
