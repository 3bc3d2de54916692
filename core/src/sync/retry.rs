//! Retry decisions: which failures are worth another try, and how long to
//! wait (exponential backoff with jitter, never less than Retry-After).

use std::time::Duration;

use rand::Rng;

use super::transport::TransportError;

/// How a failed request is handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Worth another try (network, timeout, unreadable answer, 5xx, 408,
    /// 429), not before `retry_after` if the server said so.
    Transient { retry_after: Option<Duration> },
    /// 401: ask for a fresh token once, then give up.
    Unauthorized,
    /// Other 4xx: retrying the same request cannot help.
    Permanent,
}

pub fn classify(error: &TransportError) -> Failure {
    match error {
        TransportError::Network { .. }
        | TransportError::Timeout
        | TransportError::Decode { .. } => Failure::Transient { retry_after: None },
        TransportError::Status {
            status,
            retry_after,
            ..
        } => match status {
            401 => Failure::Unauthorized,
            408 | 429 | 500..=599 => Failure::Transient {
                retry_after: *retry_after,
            },
            _ => Failure::Permanent,
        },
    }
}

/// Backoff between retries, within a run and between failed runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Ceiling of the first delay.
    pub initial: Duration,
    /// Largest delay backoff grows to (a server's Retry-After may ask for
    /// more, up to `max_retry_after`).
    pub max: Duration,
    /// Largest Retry-After honoured.
    pub max_retry_after: Duration,
    /// Tries of one request within one run before the run gives up and
    /// leaves the rest to the next run.
    pub attempts_per_run: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
            attempts_per_run: 5,
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0 for the first retry):
    /// "equal jitter" over an exponential ceiling, so devices that failed
    /// together do not retry together, and at least the server's
    /// Retry-After.
    pub fn delay(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Duration {
        let ceiling = self
            .initial
            .saturating_mul(2u32.saturating_pow(attempt.min(30)))
            .min(self.max);
        let half = ceiling / 2;
        let jittered = half + rng.random_range(Duration::ZERO..=half);
        jittered.max(retry_after.unwrap_or_default().min(self.max_retry_after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn status(status: u16) -> TransportError {
        TransportError::Status {
            status,
            retry_after: None,
            body: None,
        }
    }

    #[test]
    fn classification_follows_the_retry_rules() {
        for transient in [
            TransportError::Network {
                reason: "reset".into(),
            },
            TransportError::Timeout,
            TransportError::Decode {
                reason: "EOF".into(),
            },
            status(500),
            status(502),
            status(503),
            status(429),
            status(408),
        ] {
            assert!(
                matches!(classify(&transient), Failure::Transient { .. }),
                "{transient:?}"
            );
        }
        assert_eq!(classify(&status(401)), Failure::Unauthorized);
        for permanent in [400, 403, 404, 409, 413, 422] {
            assert_eq!(
                classify(&status(permanent)),
                Failure::Permanent,
                "{permanent}"
            );
        }
        let with_hint = TransportError::Status {
            status: 503,
            retry_after: Some(Duration::from_secs(7)),
            body: None,
        };
        assert_eq!(
            classify(&with_hint),
            Failure::Transient {
                retry_after: Some(Duration::from_secs(7))
            }
        );
    }

    #[test]
    fn delays_grow_with_jitter_up_to_the_cap_and_honour_retry_after() {
        let policy = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(7);
        for attempt in 0..12 {
            let ceiling = (policy.initial * 2u32.pow(attempt)).min(policy.max);
            for _ in 0..50 {
                let d = policy.delay(attempt, None, &mut rng);
                assert!(d >= ceiling / 2 && d <= ceiling, "attempt {attempt}: {d:?}");
            }
        }
        let d = policy.delay(0, Some(Duration::from_secs(10)), &mut rng);
        assert!(d >= Duration::from_secs(10));
        let d = policy.delay(0, Some(Duration::from_secs(100_000)), &mut rng);
        assert_eq!(d, policy.max_retry_after);
        // jitter: not every device waits the same
        let samples: std::collections::HashSet<_> =
            (0..20).map(|_| policy.delay(3, None, &mut rng)).collect();
        assert!(samples.len() > 1);
    }
}
