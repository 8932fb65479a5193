//! Go's `math.Log` (amd64 assembly `log_amd64.s` and pure-Go `log.go`), `Log2`, `Log10`
//! (`log10.go`) and `Log1p` (`log1p.go`), all FreeBSD `e_log.c` / `s_log1p.c` algorithms.
//!
//! The amd64 assembly differs from `log.go` in two ways that change results: it splits the
//! float with bit masks instead of `Frexp`, so subnormal inputs get a wrong mantissa (Go
//! answers e.g. `Log(5e-324) = -709.09` instead of `-744.44`), and it takes the `f < √2/2`
//! branch also when `f == √2/2`.

use super::GO_NAN;
use super::float_bits::frexp;

const LN2HI: f64 = 6.93147180369123816490e-01;
const LN2LO: f64 = 1.90821492927058770002e-10;
const L1: f64 = 6.666666666666735130e-01;
const L2: f64 = 3.999999999940941908e-01;
const L3: f64 = 2.857142874366239149e-01;
const L4: f64 = 2.222219843214978396e-01;
const L5: f64 = 1.818357216161805012e-01;
const L6: f64 = 1.531383769920937332e-01;
const L7: f64 = 1.479819860511658591e-01;
const HALF_SQRT2: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// Go's `math.Log` (natural logarithm, PromQL `ln`) as Prometheus's build computes it: the
/// amd64 assembly on x86_64, the pure-Go `log.go` elsewhere.
#[inline]
pub fn log(x: f64) -> f64 {
    if cfg!(target_arch = "x86_64") {
        log_amd64(x)
    } else {
        log_portable(x)
    }
}

/// Go's amd64 assembly `math.Log` (`archLog`). Pure arithmetic, usable on any target.
pub fn log_amd64(x: f64) -> f64 {
    let bits = x.to_bits();
    if bits & !(1 << 63) == 0 {
        return f64::NEG_INFINITY;
    }
    if (bits as i64) < 0 {
        return GO_NAN;
    }
    if bits >= f64::INFINITY.to_bits() {
        return x;
    }
    let f1 = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FE0_0000_0000_0000);
    let k = f64::from(((bits >> 52) & 0x7FF) as i32 - 0x3FE);
    if f1 <= HALF_SQRT2 {
        log_core(f1 * 2.0, k - 1.0)
    } else {
        log_core(f1, k)
    }
}

/// Go's pure-Go `math.log` (`log.go`), used by Go on non-amd64 targets.
pub fn log_portable(x: f64) -> f64 {
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x < 0.0 {
        return GO_NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    let (f1, ki) = frexp(x);
    if f1 < HALF_SQRT2 {
        log_core(f1 * 2.0, (ki - 1) as f64)
    } else {
        log_core(f1, ki as f64)
    }
}

/// `log(f1 × 2^k)` for `f1` in [√2/2, √2): the shared body of both `Log` variants.
#[inline]
fn log_core(f1: f64, k: f64) -> f64 {
    let f = f1 - 1.0;
    let s = f / (2.0 + f);
    let s2 = s * s;
    let s4 = s2 * s2;
    let t1 = s2 * (L1 + s4 * (L3 + s4 * (L5 + s4 * L7)));
    let t2 = s4 * (L2 + s4 * (L4 + s4 * L6));
    let r = t1 + t2;
    let hfsq = 0.5 * f * f;
    k * LN2HI - ((hfsq - (s * (hfsq + r) + k * LN2LO)) - f)
}

/// Go's `math.Log10`: `Log(x) × (1/ln 10)` (PromQL `log10`).
#[inline]
pub fn log10(x: f64) -> f64 {
    log(x) * std::f64::consts::LOG10_E
}

/// Go's `math.Log2`: exact for powers of two, else `Log(frac) × (1/ln 2) + exp` (PromQL `log2`).
#[inline]
pub fn log2(x: f64) -> f64 {
    let (frac, exp) = frexp(x);
    if frac == 0.5 {
        return (exp - 1) as f64;
    }
    log(frac) * std::f64::consts::LOG2_E + exp as f64
}

/// Go's `math.Log1p` (`log1p.go`): `ln(1 + x)`, accurate near 0.
pub fn log1p(x: f64) -> f64 {
    const SQRT2M1: f64 = 4.142135623730950488017e-01;
    const SQRT2HALFM1: f64 = -2.928932188134524755992e-01;
    const SMALL: f64 = 1.0 / (1u64 << 29) as f64;
    const TINY: f64 = 1.0 / (1u64 << 54) as f64;
    const TWO53: f64 = (1u64 << 53) as f64;
    const LP: [f64; 7] = [L1, L2, L3, L4, L5, L6, L7];
    if x < -1.0 || x.is_nan() {
        return GO_NAN;
    }
    if x == -1.0 {
        return f64::NEG_INFINITY;
    }
    if x == f64::INFINITY {
        return f64::INFINITY;
    }
    let absx = x.abs();
    let mut f = 0.0;
    let mut iu: u64 = 0;
    let mut k: i64 = 1;
    if absx < SQRT2M1 {
        if absx < SMALL {
            if absx < TINY {
                return x;
            }
            return x - x * x * 0.5;
        }
        if x > SQRT2HALFM1 {
            k = 0;
            f = x;
            iu = 1;
        }
    }
    let mut c = 0.0;
    if k != 0 {
        let mut u;
        if absx < TWO53 {
            u = 1.0 + x;
            iu = u.to_bits();
            k = (iu >> 52) as i64 - 1023;
            c = if k > 0 { 1.0 - (u - x) } else { x - (u - 1.0) };
            c /= u;
        } else {
            u = x;
            iu = u.to_bits();
            k = (iu >> 52) as i64 - 1023;
            c = 0.0;
        }
        iu &= 0x000F_FFFF_FFFF_FFFF;
        if iu < 0x0006_A09E_667F_3BCD {
            u = f64::from_bits(iu | 0x3FF0_0000_0000_0000);
        } else {
            k += 1;
            u = f64::from_bits(iu | 0x3FE0_0000_0000_0000);
            iu = (0x0010_0000_0000_0000 - iu) >> 2;
        }
        f = u - 1.0;
    }
    let hfsq = 0.5 * f * f;
    let kf = k as f64;
    if iu == 0 {
        if f == 0.0 {
            if k == 0 {
                return 0.0;
            }
            c += kf * LN2LO;
            return kf * LN2HI + c;
        }
        let r = hfsq * (1.0 - 0.66666666666666666 * f);
        if k == 0 {
            return f - r;
        }
        return kf * LN2HI - ((r - (kf * LN2LO + c)) - f);
    }
    let s = f / (2.0 + f);
    let z = s * s;
    let r = z * LP[..6].iter().rev().fold(LP[6], |acc, &p| p + z * acc);
    if k == 0 {
        return f - (hfsq - s * (hfsq + r));
    }
    kf * LN2HI - ((hfsq - (s * (hfsq + r) + (kf * LN2LO + c))) - f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amd64_log_mishandles_subnormals_like_go() {
        let tiny = f64::from_bits(1);
        assert!((log_portable(tiny) + 744.44).abs() < 0.01);
        assert!((log_amd64(tiny) + 709.09).abs() < 0.01, "{}", log_amd64(tiny));
        assert_eq!(log_amd64(1.0), 0.0);
        assert_eq!(log_amd64(-0.0), f64::NEG_INFINITY);
        assert!(log_amd64(-1.0).is_nan());
    }

    #[test]
    fn log2_is_exact_on_powers_of_two() {
        assert_eq!(log2(1024.0), 10.0);
        assert_eq!(log2(f64::from_bits(1)), -1074.0);
        assert_eq!(log10(0.0), f64::NEG_INFINITY);
        assert_eq!(log1p(-1.0), f64::NEG_INFINITY);
        assert_eq!(log1p(1e-20), 1e-20);
    }
}
