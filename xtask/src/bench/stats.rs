//! Summaries of repeated measurements: median, percentiles, ratios.

/// The median of `xs` (the mean of the two middle values for an even
/// count); `None` when empty or when a value is not a number.
pub(crate) fn median(xs: &[f64]) -> Option<f64> {
    let v = sorted(xs)?;
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// The `p`-th percentile (0–100) by the nearest-rank method: the smallest
/// value with at least `p`% of the values at or below it.
pub(crate) fn percentile(xs: &[f64], p: f64) -> Option<f64> {
    let v = sorted(xs)?;
    let rank = ((p.clamp(0.0, 100.0) / 100.0) * v.len() as f64).ceil() as usize;
    Some(v[rank.clamp(1, v.len()) - 1])
}

/// The largest value.
pub(crate) fn max(xs: &[f64]) -> Option<f64> {
    sorted(xs).and_then(|v| v.last().copied())
}

/// `a / b`, when both are finite and `b` is not zero.
pub(crate) fn ratio(a: f64, b: f64) -> Option<f64> {
    (a.is_finite() && b.is_finite() && b != 0.0).then(|| a / b)
}

fn sorted(xs: &[f64]) -> Option<Vec<f64>> {
    if xs.is_empty() || xs.iter().any(|x| x.is_nan()) {
        return None;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    Some(v)
}

/// Integers as `f64`, for the summaries above.
pub(crate) fn floats(xs: &[i64]) -> Vec<f64> {
    xs.iter().map(|x| *x as f64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[7.0]), Some(7.0));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[1.0, f64::NAN]), None);
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let xs: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&xs, 90.0), Some(9.0));
        assert_eq!(percentile(&xs, 50.0), Some(5.0));
        assert_eq!(percentile(&xs, 100.0), Some(10.0));
        assert_eq!(percentile(&xs, 0.0), Some(1.0));
        assert_eq!(percentile(&[5.0], 90.0), Some(5.0));
        assert_eq!(max(&xs), Some(10.0));
    }

    #[test]
    fn ratios_refuse_zero_and_non_numbers() {
        assert_eq!(ratio(3.0, 2.0), Some(1.5));
        assert_eq!(ratio(1.0, 0.0), None);
        assert_eq!(ratio(f64::INFINITY, 1.0), None);
        assert_eq!(floats(&[1, -2]), [1.0, -2.0]);
    }
}
