//! Randomness, injected: the jitter of retry backoff.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};

/// A source of random fractions.
pub trait RandomSource: Send + Sync + fmt::Debug {
    /// A number in `[0, 1]`. Values outside are clamped by the caller.
    fn fraction(&self) -> f64;
}

/// The thread-local generator of `rand`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadRandom;

impl RandomSource for ThreadRandom {
    fn fraction(&self) -> f64 {
        rand::rng().random::<f64>()
    }
}

/// Always the same fraction: `FixedRandom(1.0)` makes every backoff its
/// maximum, `FixedRandom(0.0)` makes it zero. For tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixedRandom(pub f64);

impl RandomSource for FixedRandom {
    fn fraction(&self) -> f64 {
        self.0
    }
}

/// A seeded generator: the same seed gives the same jitter sequence.
pub struct SeededRandom(Mutex<StdRng>);

impl SeededRandom {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(StdRng::seed_from_u64(seed)))
    }
}

impl fmt::Debug for SeededRandom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SeededRandom")
    }
}

impl RandomSource for SeededRandom {
    fn fraction(&self) -> f64 {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .random::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_sequences_repeat() {
        let a = SeededRandom::new(7);
        let b = SeededRandom::new(7);
        for _ in 0..5 {
            let (x, y) = (a.fraction(), b.fraction());
            assert_eq!(x.to_bits(), y.to_bits());
            assert!((0.0..=1.0).contains(&x));
        }
        assert!((0.0..=1.0).contains(&ThreadRandom.fraction()));
    }
}
