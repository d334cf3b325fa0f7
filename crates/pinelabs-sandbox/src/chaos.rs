//! Random faults on a share of API calls, for fault-injected load runs.

use std::time::Duration;

/// Random faults on a share of the API calls (never the token endpoint),
/// drawn from a seeded generator. Set with
/// [`Sandbox::set_chaos`](crate::Sandbox::set_chaos).
///
/// Each call draws one number: the shares below are disjoint and checked in
/// this order. Where a fault happens matters for a delete:
///
/// * `unavailable`: `503` with `Retry-After: 0` **before** the call is
///   handled (nothing happened, as a refusing gateway would);
/// * `internal_error`: `500` **after** the call was handled (a delete took
///   effect, the client is told it failed);
/// * `dropped`: the connection is closed without an answer **after** the call
///   was handled;
/// * `slow`: the answer comes `slow_by` late, **after** the call was handled;
/// * `unauthorized`: `401` **before** the call is handled, as if its bearer
///   token had expired (a client with client credentials fetches a new token
///   and resends; the old token stays valid for the calls already in
///   flight, so exactly this share of answers is a `401`).
///
/// ```
/// use std::time::Duration;
/// let chaos = pinelabs_sandbox::Chaos::new(7)
///     .unavailable(0.05)
///     .slow(0.01, Duration::from_millis(500));
/// assert_eq!(chaos.slow_by, Duration::from_millis(500));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Chaos {
    /// The generator's seed.
    pub seed: u64,
    /// Share of calls answered `503` with `Retry-After: 0`.
    pub unavailable: f64,
    /// Share of calls answered `500` after being handled.
    pub internal_error: f64,
    /// Share of calls whose connection is dropped after being handled.
    pub dropped: f64,
    /// Share of calls answered `slow_by` late.
    pub slow: f64,
    /// How late a slow answer is.
    pub slow_by: Duration,
    /// Share of calls answered `401` before being handled.
    pub unauthorized: f64,
}

impl Chaos {
    /// No faults yet, with the generator seeded by `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            unavailable: 0.0,
            internal_error: 0.0,
            dropped: 0.0,
            slow: 0.0,
            slow_by: Duration::ZERO,
            unauthorized: 0.0,
        }
    }

    /// Sets the share of `503 Retry-After: 0` answers.
    pub fn unavailable(mut self, share: f64) -> Self {
        self.unavailable = share;
        self
    }

    /// Sets the share of `500` answers after handling.
    pub fn internal_error(mut self, share: f64) -> Self {
        self.internal_error = share;
        self
    }

    /// Sets the share of dropped connections after handling.
    pub fn dropped(mut self, share: f64) -> Self {
        self.dropped = share;
        self
    }

    /// Sets the share of answers delayed by `by`.
    pub fn slow(mut self, share: f64, by: Duration) -> Self {
        self.slow = share;
        self.slow_by = by;
        self
    }

    /// Sets the share of `401` answers.
    pub fn unauthorized(mut self, share: f64) -> Self {
        self.unauthorized = share;
        self
    }

    /// The fault for a draw `x` in `0..1`.
    fn pick(&self, x: f64) -> Option<Injected> {
        let mut bound = 0.0;
        let shares = [
            (self.unavailable, Injected::Unavailable),
            (self.internal_error, Injected::InternalError),
            (self.dropped, Injected::Dropped),
            (self.slow, Injected::Slow(self.slow_by)),
            (self.unauthorized, Injected::Unauthorized),
        ];
        shares.into_iter().find_map(|(share, fault)| {
            bound += share;
            (x < bound).then_some(fault)
        })
    }
}

/// A running chaos setting: the shares and the generator.
#[derive(Debug)]
pub(crate) struct ChaosState {
    chaos: Chaos,
    rng: fastrand::Rng,
}

impl ChaosState {
    pub fn new(chaos: Chaos) -> Self {
        let rng = fastrand::Rng::with_seed(chaos.seed);
        Self { chaos, rng }
    }

    pub(crate) fn draw(&mut self) -> Option<Injected> {
        let x = self.rng.f64();
        self.chaos.pick(x)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Injected {
    Unavailable,
    InternalError,
    Dropped,
    Slow(Duration),
    Unauthorized,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_disjoint_and_in_order() {
        let chaos = Chaos::new(0)
            .unavailable(0.05)
            .internal_error(0.02)
            .dropped(0.01)
            .slow(0.01, Duration::from_secs(1))
            .unauthorized(0.01);
        assert_eq!(chaos.pick(0.0), Some(Injected::Unavailable));
        assert_eq!(chaos.pick(0.0499), Some(Injected::Unavailable));
        assert_eq!(chaos.pick(0.05), Some(Injected::InternalError));
        assert_eq!(chaos.pick(0.0699), Some(Injected::InternalError));
        assert_eq!(chaos.pick(0.075), Some(Injected::Dropped));
        assert_eq!(
            chaos.pick(0.085),
            Some(Injected::Slow(Duration::from_secs(1)))
        );
        assert_eq!(chaos.pick(0.095), Some(Injected::Unauthorized));
        assert_eq!(chaos.pick(0.1001), None);
        assert_eq!(Chaos::new(0).pick(0.0), None);
    }
}
