//! Kahan–Neumaier compensated summation, as Prometheus's `kahanSumInc` does it, so sums and
//! means agree with Prometheus to the last bit. Shared by histogram statistics, the
//! compensated histogram sum ([`crate::histogram::KahanHistogramSum`]) and the engine.

/// Adds `inc` to the running `sum` with compensation `c`; returns the new `(sum, c)`.
/// The compensation is reset once the sum becomes infinite. The compensated result is
/// `sum + c`.
pub fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compensates_lost_low_bits() {
        let (mut s, mut c) = (0.0, 0.0);
        for v in [1e16, 1.0, -1e16] {
            (s, c) = kahan_inc(v, s, c);
        }
        assert_eq!(s + c, 1.0);
        assert_eq!(kahan_inc(f64::MAX, f64::MAX, 1.0), (f64::INFINITY, 0.0));
    }
}
