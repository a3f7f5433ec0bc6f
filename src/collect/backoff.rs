//! Retrying a lost host: exponential backoff with jitter.

use std::time::Duration;

/// The longest wait between two tries.
pub const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// Exponential backoff from 0.5 s, ±20 % jitter, capped at 30 s.
pub fn backoff_delay(attempt: u32, jitter: f64) -> Duration {
    let base = 0.5 * 2f64.powi(attempt.min(16) as i32);
    let jittered = base * (0.8 + 0.4 * jitter.clamp(0.0, 1.0));
    Duration::from_secs_f64(jittered.min(BACKOFF_CAP.as_secs_f64()))
}

/// A number in [0, 1) that differs between calls (jitter, not cryptography).
pub fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    (h.finish() % 10_000) as f64 / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff_delay(0, 0.5), Duration::from_millis(500));
        assert_eq!(backoff_delay(3, 0.5), Duration::from_secs(4));
        assert_eq!(backoff_delay(20, 1.0), Duration::from_secs(30));
        assert_eq!(backoff_delay(5, 0.0), Duration::from_secs_f64(12.8));
    }
}
