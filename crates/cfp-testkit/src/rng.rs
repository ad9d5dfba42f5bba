//! Seeded, stateless randomness: every random decision of the simulator is a
//! hash of the seed and of what is being decided (an entity id, an attempt, a
//! request number), so a decision never depends on the order of requests or
//! on when it is looked at.

/// Tags that keep the decisions about different things independent.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub(crate) enum Tag {
    DiffRunning = 1,
    DiffFails = 2,
    DiffFailPoint = 3,
    RolloutTime = 4,
    RolloutFails = 5,
    TaskAction = 6,
    TaskFailPick = 7,
    TaskFailPoint = 8,
    Fault = 9,
    FaultPick = 10,
    DiffFiles = 11,
    UpdateRunning = 12,
    VersionRunning = 13,
    Session = 14,
    UpdateSource = 15,
}

/// SplitMix64's finaliser: a good 64-bit mixer.
const fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash of the seed, a tag and some numbers.
pub(crate) fn hash(seed: u64, tag: Tag, parts: &[u64]) -> u64 {
    let mut h = splitmix(seed ^ (tag as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    for p in parts {
        h = splitmix(h ^ p);
    }
    h
}

/// A number in `[0, 1)` from a hash.
pub(crate) fn unit(h: u64) -> f64 {
    // The top 53 bits fit an f64 mantissa exactly.
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// A number in `lo..=hi` from a hash (`lo` when the range is empty).
pub(crate) fn between(h: u64, lo: u64, hi: u64) -> u64 {
    if hi <= lo {
        return lo;
    }
    let span = hi - lo + 1;
    lo + h % span
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_inputs_same_hash_and_tags_are_independent() {
        assert_eq!(hash(1, Tag::DiffFails, &[7]), hash(1, Tag::DiffFails, &[7]));
        assert_ne!(
            hash(1, Tag::DiffFails, &[7]),
            hash(1, Tag::TaskAction, &[7])
        );
        assert_ne!(hash(1, Tag::DiffFails, &[7]), hash(2, Tag::DiffFails, &[7]));
    }

    #[test]
    fn unit_and_between_stay_in_range() {
        for i in 0..1000 {
            let h = hash(3, Tag::Fault, &[i]);
            let u = unit(h);
            assert!((0.0..1.0).contains(&u));
            let b = between(h, 10, 20);
            assert!((10..=20).contains(&b));
        }
        assert_eq!(between(5, 9, 9), 9);
        assert_eq!(between(5, 9, 3), 9);
    }
}
