//! The retry budget: a token bucket shared by every call (and clone) of a
//! client, so that retries stay a small share of the traffic when the API
//! is failing, instead of multiplying it.
//!
//! **The scheme** is AWS SDKs' standard retry quota: a bucket of 500
//! tokens; a retry takes 5 (10 after a timeout, which holds resources
//! longer); a call that succeeds on its first attempt puts 1 back, and a
//! call that succeeds on a retry puts back what that retry took. Chosen over
//! a Finagle-style percentage budget because it needs no time window (one
//! atomic, no clock), it cuts retries off after a fixed amount of failure
//! when nothing succeeds (an outage costs at most 100 extra requests per
//! client, whatever its traffic), and it refills at the rate calls succeed,
//! so ordinary fault rates (a few percent) never touch it. gRPC's retry
//! throttling is the same idea with a different unit.
//!
use std::sync::atomic::{AtomicU32, Ordering};

/// The retry budget's settings.
///
/// ```
/// let budget = pinelabs_http::RetryBudget::default().capacity(1000);
/// assert_eq!(budget.capacity, 1000);
/// assert_eq!(pinelabs_http::RetryBudget::default().retry_cost, 5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryBudget {
    /// Tokens in a full bucket; the bucket starts full. Default 500.
    pub capacity: u32,
    /// Tokens a retry takes. Default 5.
    pub retry_cost: u32,
    /// Tokens a retry after a timeout takes. Default 10.
    pub timeout_retry_cost: u32,
    /// Tokens a call that succeeds on its first attempt puts back. Default 1.
    pub success_refund: u32,
}

impl Default for RetryBudget {
    fn default() -> Self {
        Self {
            capacity: 500,
            retry_cost: 5,
            timeout_retry_cost: 10,
            success_refund: 1,
        }
    }
}

impl RetryBudget {
    /// Sets the tokens of a full bucket.
    pub fn capacity(mut self, capacity: u32) -> Self {
        self.capacity = capacity;
        self
    }

    /// Sets the tokens a retry takes.
    pub fn retry_cost(mut self, cost: u32) -> Self {
        self.retry_cost = cost;
        self
    }

    /// Sets the tokens a retry after a timeout takes.
    pub fn timeout_retry_cost(mut self, cost: u32) -> Self {
        self.timeout_retry_cost = cost;
        self
    }

    /// Sets the tokens a first-attempt success puts back.
    pub fn success_refund(mut self, refund: u32) -> Self {
        self.success_refund = refund;
        self
    }
}

/// A bucket of retry tokens: [`RetryBudget`] settings and the tokens left,
/// shared by every request of a client.
#[derive(Debug)]
pub struct Bucket {
    settings: RetryBudget,
    tokens: AtomicU32,
}

impl Bucket {
    /// A full bucket with these settings.
    pub fn new(settings: RetryBudget) -> Self {
        Self {
            settings,
            tokens: AtomicU32::new(settings.capacity),
        }
    }

    /// Takes the cost of one retry (after a timeout or not); `None` when the
    /// bucket has too few tokens, and then nothing is taken.
    pub fn take(&self, after_timeout: bool) -> Option<u32> {
        let cost = if after_timeout {
            self.settings.timeout_retry_cost
        } else {
            self.settings.retry_cost
        };
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                left.checked_sub(cost)
            })
            .ok()
            .map(|_| cost)
    }

    /// After a success: puts back what its last retry took (`taken`), or
    /// the first-attempt refund; never above the capacity. Whether the
    /// bucket changed (a full bucket stays as it is).
    pub fn refund(&self, taken: Option<u32>) -> bool {
        let amount = taken.unwrap_or(self.settings.success_refund);
        let capacity = self.settings.capacity;
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                (amount > 0 && left < capacity).then(|| left.saturating_add(amount).min(capacity))
            })
            .is_ok()
    }

    /// The tokens left.
    pub fn left(&self) -> u32 {
        self.tokens.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_drain_the_bucket_and_successes_refill_it() {
        let bucket = Bucket::new(RetryBudget::default().capacity(12));
        assert_eq!(bucket.take(false), Some(5));
        assert_eq!(bucket.take(false), Some(5));
        assert_eq!(bucket.left(), 2);
        assert_eq!(bucket.take(false), None, "2 left, a retry costs 5");
        assert_eq!(bucket.left(), 2, "a refused take takes nothing");
        assert!(bucket.refund(Some(5)));
        assert_eq!(bucket.left(), 7, "a successful retry puts its cost back");
        assert_eq!(bucket.take(true), None, "a timeout retry costs 10");
        bucket.refund(None);
        assert_eq!(bucket.left(), 8, "a first-attempt success puts 1 back");
        for _ in 0..10 {
            bucket.refund(Some(5));
        }
        assert_eq!(bucket.left(), 12, "never above the capacity");
        assert!(!bucket.refund(None), "a full bucket stays as it is");
    }
}
