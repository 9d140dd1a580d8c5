//! Trying again: the boxed future that the provider traits (SMS, CRM, pushes) return, and the
//! back-off every retried call uses.

use std::future::Future;
use std::pin::Pin;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How often a message is tried, and how long to wait between tries.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: i64,
    pub base_delay_ms: i64,
}

impl RetryPolicy {
    /// Exponential back-off with jitter: base * 2^(attempt-1), at most 30 s (a recovered
    /// provider is noticed within half a minute), plus up to a quarter more.
    pub fn delay_ms(&self, attempt: i64) -> i64 {
        use rand::Rng as _;
        let exp = self
            .base_delay_ms
            .saturating_mul(1i64 << (attempt - 1).clamp(0, 16))
            .min(30_000);
        exp + rand::rng().random_range(0..=exp / 4)
    }
}
