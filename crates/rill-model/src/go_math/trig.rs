//! Go's `math.Sin`, `Cos` (`sin.go`), `Tan` (`tan.go`), Cephes algorithms, with Payne-Hanek
//! reduction (`trig_reduce.go`) for arguments of 2^29 and more.

use std::f64::consts::FRAC_PI_4;

use super::GO_NAN;

/// Pi/4 split into three parts for the extended-precision reduction.
const PI4A: f64 = 7.85398125648498535156e-1;
const PI4B: f64 = 3.77489470793079817668e-8;
const PI4C: f64 = 2.69515142907905952645e-15;
/// Go's `4 / Pi`.
const FOUR_OVER_PI: f64 = 4.0 * std::f64::consts::FRAC_1_PI;
/// Above this, Cody-Waite reduction loses precision and `trig_reduce` takes over.
const REDUCE_THRESHOLD: f64 = (1u64 << 29) as f64;

const SIN: [f64; 6] = [
    1.58962301576546568060e-10,
    -2.50507477628578072866e-8,
    2.75573136213857245213e-6,
    -1.98412698295895385996e-4,
    8.33333333332211858878e-3,
    -1.66666666666666307295e-1,
];
const COS: [f64; 6] = [
    -1.13585365213876817300e-11,
    2.08757008419747316778e-9,
    -2.75573141792967388112e-7,
    2.48015872888517045348e-5,
    -1.38888888888730564116e-3,
    4.16666666666665929218e-2,
];
const TAN_P: [f64; 3] = [
    -1.30936939181383777646e4,
    1.15351664838587416140e6,
    -1.79565251976484877988e7,
];
const TAN_Q: [f64; 4] = [
    1.36812963470692954678e4,
    -1.32089234440210967447e6,
    2.50083801823357915839e7,
    -5.38695755929454629881e7,
];

/// 4/pi in 64-bit words, Go's `mPi4`.
const M_PI4: [u64; 20] = [
    0x0000000000000001,
    0x45f306dc9c882a53,
    0xf84eafa3ea69bb81,
    0xb6c52b3278872083,
    0xfca2c757bd778ac3,
    0x6e48dc74849ba5c0,
    0x0c925dd413a32439,
    0xfc3bd63962534e7d,
    0xd1046bea5d768909,
    0xd338e04d68befc82,
    0x7323ac7306a673e9,
    0x3908bf177bf25076,
    0x3ff12fffbc0b301f,
    0xde5e2316b414da3e,
    0xda6cfd9e4f96136e,
    0x9e8c7ecd3cbfd45a,
    0xea4f758fd7cbe2f6,
    0x7a0e73ef14a525d4,
    0xd7f6bf623f1aba10,
    0xac06608df8f6d757,
];

/// `x mod Pi/4` for non-negative `x` of at least 2^29: the octant `j` (0..=7) and the reduced
/// argument, by multiplying the mantissa with 192 bits of 4/pi (Go's `trigReduce`).
fn trig_reduce(x: f64) -> (u64, f64) {
    if x < FRAC_PI_4 {
        return (0, x);
    }
    let word = |i: usize| M_PI4.get(i).copied().unwrap_or(0);
    let shl = |v: u64, s: u32| v.checked_shl(s).unwrap_or(0);
    let shr = |v: u64, s: u32| v.checked_shr(s).unwrap_or(0);
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7FF) as i64 - 1023 - 52;
    let ix = (bits & 0x000F_FFFF_FFFF_FFFF) | (1 << 52);
    let pos = (exp + 61).max(0) as u64;
    let (digit, bitshift) = ((pos / 64) as usize, (pos % 64) as u32);
    let z0 = shl(word(digit), bitshift) | shr(word(digit + 1), 64 - bitshift);
    let z1 = shl(word(digit + 1), bitshift) | shr(word(digit + 2), 64 - bitshift);
    let z2 = shl(word(digit + 2), bitshift) | shr(word(digit + 3), 64 - bitshift);
    let z2hi = ((u128::from(z2) * u128::from(ix)) >> 64) as u64;
    let z1full = u128::from(z1) * u128::from(ix);
    let (z1hi, z1lo) = ((z1full >> 64) as u64, z1full as u64);
    let z0lo = z0.wrapping_mul(ix);
    let (lo, carry) = z1lo.overflowing_add(z2hi);
    let hi = z0lo.wrapping_add(z1hi).wrapping_add(u64::from(carry));
    let mut j = hi >> 61;
    let hi = (hi << 3) | (lo >> 61);
    let lz = hi.leading_zeros();
    let e = 1023 - u64::from(lz + 1);
    let hi = shl(hi, lz + 1) | shr(lo, 64u32.wrapping_sub(lz + 1));
    let mut z = f64::from_bits((hi >> 12) | (e << 52));
    if j & 1 == 1 {
        j = (j + 1) & 7;
        z -= 1.0;
    }
    (j, z * FRAC_PI_4)
}

/// The octant and reduced argument of non-negative finite `x`, with odd octants mapped up so
/// `z` lies in [-Pi/4, Pi/4]; `j` is not reduced modulo 8 here (Go's `Tan` does not).
#[inline]
fn reduce(x: f64) -> (u64, f64) {
    if x >= REDUCE_THRESHOLD {
        return trig_reduce(x);
    }
    let mut j = (x * FOUR_OVER_PI) as u64;
    let mut y = j as f64;
    if j & 1 == 1 {
        j += 1;
        y += 1.0;
    }
    (j, ((x - y * PI4A) - y * PI4B) - y * PI4C)
}

/// Go's nested `((((c0·zz + c1)·zz + c2)·zz + c3)·zz + c4)·zz + c5`.
#[inline]
fn poly5(c: &[f64; 6], zz: f64) -> f64 {
    ((((c[0] * zz + c[1]) * zz + c[2]) * zz + c[3]) * zz + c[4]) * zz + c[5]
}

/// The sine polynomial on [-Pi/4, Pi/4].
#[inline]
fn sin_poly(z: f64, zz: f64) -> f64 {
    z + z * zz * poly5(&SIN, zz)
}

/// The cosine polynomial on [-Pi/4, Pi/4].
#[inline]
fn cos_poly(zz: f64) -> f64 {
    1.0 - 0.5 * zz + zz * zz * poly5(&COS, zz)
}

/// Go's `math.Sin` (PromQL `sin`).
pub fn sin(x: f64) -> f64 {
    if x == 0.0 || x.is_nan() {
        return x;
    }
    if x.is_infinite() {
        return GO_NAN;
    }
    let mut sign = x < 0.0;
    let (mut j, z) = reduce(x.abs());
    j &= 7;
    if j > 3 {
        sign = !sign;
        j -= 4;
    }
    let zz = z * z;
    let y = if j == 1 || j == 2 {
        cos_poly(zz)
    } else {
        sin_poly(z, zz)
    };
    if sign { -y } else { y }
}

/// Go's `math.Cos` (PromQL `cos`).
pub fn cos(x: f64) -> f64 {
    if !x.is_finite() {
        return GO_NAN;
    }
    let mut sign = false;
    let (mut j, z) = reduce(x.abs());
    j &= 7;
    if j > 3 {
        j -= 4;
        sign = !sign;
    }
    if j > 1 {
        sign = !sign;
    }
    let zz = z * z;
    let y = if j == 1 || j == 2 {
        sin_poly(z, zz)
    } else {
        cos_poly(zz)
    };
    if sign { -y } else { y }
}

/// Go's `math.Tan` (PromQL `tan`).
pub fn tan(x: f64) -> f64 {
    if x == 0.0 || x.is_nan() {
        return x;
    }
    if x.is_infinite() {
        return GO_NAN;
    }
    let (j, z) = reduce(x.abs());
    let zz = z * z;
    let mut y = if zz > 1e-14 {
        let num = zz * ((TAN_P[0] * zz + TAN_P[1]) * zz + TAN_P[2]);
        let den = (((zz + TAN_Q[0]) * zz + TAN_Q[1]) * zz + TAN_Q[2]) * zz + TAN_Q[3];
        z + z * (num / den)
    } else {
        z
    };
    if j & 2 == 2 {
        y = -1.0 / y;
    }
    if x < 0.0 { -y } else { y }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_values() {
        assert_eq!(sin(-0.0).to_bits(), (-0f64).to_bits());
        assert_eq!(cos(0.0), 1.0);
        assert!(sin(f64::INFINITY).is_nan() && cos(f64::NEG_INFINITY).is_nan() && tan(f64::NAN).is_nan());
        assert_eq!(tan(-0.0).to_bits(), (-0f64).to_bits());
    }

    #[test]
    fn huge_arguments_are_reduced_exactly() {
        // sin(1e22) = -0.8522008497671888 (correctly rounded); Cody-Waite alone gets it wrong.
        assert!((sin(1e22) + 0.852_200_849_767_188_8).abs() < 1e-15);
        assert!((cos(1e300).powi(2) + sin(1e300).powi(2) - 1.0).abs() < 1e-15);
        assert!(sin(f64::MAX).is_finite());
    }
}
