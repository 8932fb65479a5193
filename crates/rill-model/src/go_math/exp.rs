//! Go's `math.Exp` (amd64 assembly `exp_amd64.s`, and the pure-Go `exp.go` used elsewhere) and
//! `math.Expm1` (`expm1.go`).
//!
//! The amd64 `Exp` is Shibata's method from SLEEF: `k = round(x·log2 e)`, `r = x - k·ln2` with
//! ln2 split in two, `r/16` through a degree-8 Taylor polynomial for `e^r - 1`, squared four
//! times as `(e-1)(e+1) = e² - 1`, then `+1` and a scale by `2^k`. Its overflow test
//! (`x > 709.78...`) comes before the rounding of `k`, so for x in about [709.44, 709.78]
//! `k = 1024` and Go answers `+Inf` where the true value is finite; Rill does the same.

use std::sync::atomic::{AtomicU8, Ordering};

use super::float_bits::{cvtsd2sl, ldexp};

const LN2U: f64 = 0.69314718055966295651160180568695068359375;
const LN2L: f64 = 0.28235290563031577122588448175013436025525412068e-12;
/// The assembly's `LOG2E` and `exp.go`'s `Log2e`/`InvLn2` literals, which all round to `LOG2_E`.
const LOG2E: f64 = std::f64::consts::LOG2_E;
const AMD64_OVERFLOW: f64 = 7.09782712893384e+02;
/// Taylor coefficients 1/8!, 1/7!, ..., 1/3!, then 1/2 and 1 (the order they are applied).
const TAYLOR: [f64; 8] = [
    2.4801587301587301587e-5,
    1.9841269841269841270e-4,
    1.3888888888888888889e-3,
    8.3333333333333333333e-3,
    4.1666666666666666667e-2,
    1.6666666666666666667e-1,
    0.5,
    1.0,
];

/// Go's `math.Exp` as Prometheus's build computes it: the amd64 assembly on x86_64 (FMA variant
/// when the CPU has AVX and FMA, like Go's `useFMA`), the pure-Go algorithm elsewhere.
#[inline]
pub fn exp(x: f64) -> f64 {
    if cfg!(target_arch = "x86_64") {
        exp_amd64(x, use_fma())
    } else {
        exp_portable(x)
    }
}

/// Whether this CPU takes Go's FMA path of `Exp` (`cpu.X86.HasAVX && cpu.X86.HasFMA`),
/// detected once.
#[inline]
fn use_fma() -> bool {
    static STATE: AtomicU8 = AtomicU8::new(0); // 0 unknown, 1 no, 2 yes
    match STATE.load(Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => {
            let yes = detect_fma();
            STATE.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
            yes
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn detect_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx") && std::arch::is_x86_feature_detected!("fma")
}

#[cfg(not(target_arch = "x86_64"))]
fn detect_fma() -> bool {
    false
}

/// Go's amd64 assembly `math.Exp` (`archExp`), with (`fma = true`) or without its fused
/// multiply-add path. Pure arithmetic, so both variants work on any target.
pub fn exp_amd64(x: f64, fma: bool) -> f64 {
    let bits = x.to_bits();
    if bits & !(1 << 63) >= f64::INFINITY.to_bits() {
        // NaN and +Inf are returned unchanged, -Inf gives 0.
        return if x == f64::NEG_INFINITY { 0.0 } else { x };
    }
    if x > AMD64_OVERFLOW {
        return f64::INFINITY;
    }
    let k = cvtsd2sl(LOG2E * x);
    let kf = f64::from(k);
    let mut r;
    if fma {
        r = (-kf).mul_add(LN2U, x);
        r = (-kf).mul_add(LN2L, r);
        r *= 0.0625;
        let p = TAYLOR[1..].iter().fold(TAYLOR[0], |acc, &c| acc.mul_add(r, c));
        r *= p;
        for _ in 0..3 {
            r *= r + 2.0;
        }
        r = r.mul_add(r + 2.0, 1.0);
    } else {
        r = x - kf * LN2U;
        r -= kf * LN2L;
        r *= 0.0625;
        let p = TAYLOR[1..].iter().fold(TAYLOR[0], |acc, &c| acc * r + c);
        r *= p;
        for _ in 0..4 {
            r *= r + 2.0;
        }
        r += 1.0;
    }
    scale_amd64(r, k)
}

/// The assembly's `ldexp` tail: `r × 2^k`, with one extra multiply on the way into subnormals
/// and no rounding correction, exactly as `exp_amd64.s` does it.
#[inline]
fn scale_amd64(r: f64, k: i32) -> f64 {
    let mut biased = k.wrapping_add(0x3FF);
    let mut r = r;
    if biased <= 0 {
        if biased < -52 {
            return 0.0;
        }
        r *= f64::from_bits(((biased + 0x3FE) as u64) << 52);
        biased = 1;
    } else if biased >= 0x7FF {
        return f64::INFINITY;
    }
    r * f64::from_bits((biased as u64) << 52)
}

/// The special cases of Go's pure-Go `exp` and `Exp2`: NaN and +Inf unchanged, 0 for -Inf
/// and below `underflow`, +Inf above `overflow`; `None` for arguments in range.
fn out_of_range(x: f64, underflow: f64, overflow: f64) -> Option<f64> {
    if x.is_nan() || x == f64::INFINITY {
        Some(x)
    } else if x == f64::NEG_INFINITY || x < underflow {
        Some(0.0)
    } else if x > overflow {
        Some(f64::INFINITY)
    } else {
        None
    }
}

/// Go's pure-Go `math.exp` (`exp.go`, FreeBSD's `e_exp.c`), used by Go on non-amd64 targets.
pub fn exp_portable(x: f64) -> f64 {
    const LN2HI: f64 = 6.93147180369123816490e-01;
    const LN2LO: f64 = 1.90821492927058770002e-10;
    const OVERFLOW: f64 = 7.09782712893383973096e+02;
    const UNDERFLOW: f64 = -7.45133219101941108420e+02;
    const NEAR_ZERO: f64 = 1.0 / (1 << 28) as f64;
    if let Some(special) = out_of_range(x, UNDERFLOW, OVERFLOW) {
        return special;
    }
    if -NEAR_ZERO < x && x < NEAR_ZERO {
        return 1.0 + x;
    }
    let k = if x < 0.0 {
        (LOG2E * x - 0.5) as i64
    } else {
        (LOG2E * x + 0.5) as i64
    };
    let hi = x - k as f64 * LN2HI;
    let lo = k as f64 * LN2LO;
    expmulti(hi, lo, k)
}

/// Go's `math.Exp2` (`exp2.go`, pure Go on amd64): `2^x`. Prometheus uses it to interpolate
/// inside exponential native-histogram buckets (`histogram_quantile`).
pub fn exp2(x: f64) -> f64 {
    const LN2HI: f64 = 6.93147180369123816490e-01;
    const LN2LO: f64 = 1.90821492927058770002e-10;
    const OVERFLOW: f64 = 1.0239999999999999e+03;
    const UNDERFLOW: f64 = -1.0740e+03;
    if let Some(special) = out_of_range(x, UNDERFLOW, OVERFLOW) {
        return special;
    }
    let k = if x > 0.0 {
        (x + 0.5) as i64
    } else if x < 0.0 {
        (x - 0.5) as i64
    } else {
        0
    };
    let t = x - k as f64;
    expmulti(t * LN2HI, -t * LN2LO, k)
}

/// Go's `expmulti`: `e^(hi-lo) × 2^k`.
fn expmulti(hi: f64, lo: f64, k: i64) -> f64 {
    const P1: f64 = 1.66666666666666657415e-01;
    const P2: f64 = -2.77777777770155933842e-03;
    const P3: f64 = 6.61375632143793436117e-05;
    const P4: f64 = -1.65339022054652515390e-06;
    const P5: f64 = 4.13813679705723846039e-08;
    let r = hi - lo;
    let t = r * r;
    let c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    ldexp(y, k)
}

/// Go's `math.Expm1` (`expm1.go`): `e^x - 1`, accurate near 0.
pub fn expm1(x: f64) -> f64 {
    const OTHRESHOLD: f64 = 7.09782712893383973096e+02;
    const LN2X56: f64 = 3.88162421113569373274e+01;
    const LN2HALFX3: f64 = 1.03972077083991796413e+00;
    const LN2HALF: f64 = 3.46573590279972654709e-01;
    const LN2HI: f64 = 6.93147180369123816490e-01;
    const LN2LO: f64 = 1.90821492927058770002e-10;
    const TINY: f64 = 1.0 / (1u64 << 54) as f64;
    const Q1: f64 = -3.33333333333331316428e-02;
    const Q2: f64 = 1.58730158725481460165e-03;
    const Q3: f64 = -7.93650757867487942473e-05;
    const Q4: f64 = 4.00821782732936239552e-06;
    const Q5: f64 = -2.01099218183624371326e-07;
    if x == f64::INFINITY || x.is_nan() {
        return x;
    }
    if x == f64::NEG_INFINITY {
        return -1.0;
    }
    let sign = x < 0.0;
    let absx = x.abs();
    if absx >= LN2X56 {
        if sign {
            return -1.0;
        }
        if absx >= OTHRESHOLD {
            return f64::INFINITY;
        }
    }
    let mut x = x;
    let mut c = 0.0;
    let k: i64;
    if absx > LN2HALF {
        let (hi, lo);
        if absx < LN2HALFX3 {
            if sign {
                (hi, lo, k) = (x + LN2HI, -LN2LO, -1);
            } else {
                (hi, lo, k) = (x - LN2HI, LN2LO, 1);
            }
        } else {
            k = if sign {
                (LOG2E * x - 0.5) as i64
            } else {
                (LOG2E * x + 0.5) as i64
            };
            let t = k as f64;
            hi = x - t * LN2HI;
            lo = t * LN2LO;
        }
        x = hi - lo;
        c = (hi - x) - lo;
    } else if absx < TINY {
        return x;
    } else {
        k = 0;
    }
    let hfx = 0.5 * x;
    let hxs = x * hfx;
    let r1 = 1.0 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))));
    let t = 3.0 - r1 * hfx;
    let mut e = hxs * ((r1 - t) / (6.0 - x * t));
    if k == 0 {
        return x - (x * e - hxs);
    }
    e = x * (e - c) - c;
    e -= hxs;
    let add_exponent = |y: f64| f64::from_bits(y.to_bits().wrapping_add((k as u64) << 52));
    match k {
        -1 => 0.5 * (x - e) - 0.5,
        1 if x < -0.25 => -2.0 * (e - (x + 0.5)),
        1 => 1.0 + 2.0 * (x - e),
        _ if k <= -2 || k > 56 => add_exponent(1.0 - (e - x)) - 1.0,
        _ if k < 20 => {
            let t = f64::from_bits(0x3FF0_0000_0000_0000 - (0x20_0000_0000_0000u64 >> k));
            add_exponent(t - (e - x))
        }
        _ => {
            let t = f64::from_bits(((0x3FF - k) as u64) << 52);
            add_exponent(x - (e + t) + 1.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amd64_exp_overflows_before_the_true_limit_like_go() {
        assert_eq!(exp_amd64(709.5, false), f64::INFINITY);
        assert_eq!(exp_amd64(709.5, true), f64::INFINITY);
        assert!(exp_portable(709.5).is_finite());
        assert_eq!(exp_amd64(-1e10, false), 0.0);
        assert_eq!(exp_amd64(f64::NEG_INFINITY, true), 0.0);
        assert!(exp_amd64(f64::NAN, true).is_nan());
    }

    #[test]
    fn exact_values_on_both_paths() {
        for fma in [false, true] {
            assert_eq!(exp_amd64(0.0, fma), 1.0);
            assert_eq!(exp_amd64(-745.0, fma), 5e-324, "smallest subnormal");
        }
        assert_eq!(exp_portable(0.0), 1.0);
        assert_eq!(expm1(0.0), 0.0);
        assert_eq!(expm1(-50.0), -1.0);
        assert_eq!(exp2(10.0), 1024.0);
        assert_eq!(exp2(-1074.0), 5e-324);
        assert_eq!(exp2(1024.0), f64::INFINITY);
    }
}
