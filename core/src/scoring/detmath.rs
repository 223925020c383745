//! `2^x` and `ln x` from IEEE basic operations only.
//!
//! `f64::exp` and `f64::ln` call the platform's libm: glibc natively, a port of musl on
//! wasm32. They may differ in the last bit, and a score that differs in the last bit can
//! swap two leads' ranks. These functions use only `+ − × ÷`, `round` and bit operations,
//! which IEEE 754 defines exactly, so Rust, Python and JS get the same bits. Accuracy is a
//! few ulps, plenty for decay factors and log-odds.

use std::f64::consts::LN_2;

/// `2^x`.
pub fn exp2(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 1024.0 {
        return f64::INFINITY;
    }
    if x < -1080.0 {
        return 0.0;
    }
    let k = x.round();
    // Exact: |x| < 2^11 and k is the nearest integer.
    let t = (x - k) * LN_2; // |t| ≤ 0.347
                            // e^t by its Taylor series in Horner form; the 18th term is below 1e-19.
    let mut sum = 1.0;
    let mut i = 18.0;
    while i >= 1.0 {
        sum = 1.0 + sum * t / i;
        i -= 1.0;
    }
    scale(sum, k as i32)
}

/// `e^x`.
pub fn exp(x: f64) -> f64 {
    exp2(x / LN_2)
}

/// `sum × 2^k` in two exact steps where one would leave the normal range.
fn scale(sum: f64, k: i32) -> f64 {
    let pow = |e: i32| f64::from_bits(((e + 1023) as u64) << 52);
    if k > 1023 {
        sum * pow(1023) * pow(k - 1023)
    } else if k < -1022 {
        sum * pow(-1022) * pow(k + 1022)
    } else {
        sum * pow(k)
    }
}

/// Natural logarithm; `-inf` at 0, NaN below.
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    let (mut mantissa, mut exponent) = (x, 0_i32);
    if mantissa < f64::MIN_POSITIVE {
        mantissa *= 18_014_398_509_481_984.0; // 2^54
        exponent -= 54;
    }
    let bits = mantissa.to_bits();
    exponent += ((bits >> 52) & 0x7ff) as i32 - 1023;
    mantissa = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000); // [1, 2)
    if mantissa > std::f64::consts::SQRT_2 {
        mantissa /= 2.0;
        exponent += 1;
    }
    // ln m = 2 atanh(s), s = (m − 1) / (m + 1), |s| ≤ 0.172.
    let s = (mantissa - 1.0) / (mantissa + 1.0);
    let s2 = s * s;
    let mut sum = 0.0;
    let mut term = 27.0;
    while term >= 1.0 {
        sum = 1.0 / term + s2 * sum;
        term -= 2.0;
    }
    f64::from(exponent) * LN_2 + 2.0 * s * sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::float_cmp)] // exact values
    fn close_to_libm() {
        for i in -2000..2000 {
            let x = f64::from(i) * 0.37;
            let (a, b) = (exp2(x), x.exp2());
            assert!((a - b).abs() <= b * 4e-16, "exp2({x}) = {a}, libm {b}");
        }
        for x in [1e-300, 1e-5, 0.1, 0.5, 0.9999, 1.0, 1.0001, 2.0, 10.0, 1234.5, 1e300, 5e-324] {
            let (a, b) = (ln(x), x.ln());
            assert!((a - b).abs() <= b.abs().max(1.0) * 4e-16, "ln({x}) = {a}, libm {b}");
        }
        assert_eq!(exp2(0.0), 1.0);
        assert_eq!(exp2(-1.0), 0.5);
        assert_eq!(ln(1.0), 0.0);
    }
}
