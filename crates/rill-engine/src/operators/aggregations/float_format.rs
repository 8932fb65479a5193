//! Go's float formatting where Prometheus's texts depend on it: `%g`/`%v` (shortest digits,
//! exponent form below 1e-4 and from 1e6 on, e.g. `1.1`, `1e+06`, `NaN`, `+Inf`) and
//! `strconv.FormatFloat(v, 'f', -1, 64)` (shortest digits, never an exponent).

/// Go's `%g` (and `%v`) of a float64.
pub(super) fn go_g(v: f64) -> String {
    if let Some(s) = special(v) {
        return s.to_string();
    }
    // Rust's `{:e}` gives the shortest round-trip digits as `d.ddde<exp>`.
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..6).contains(&exp) {
        format!("{v}")
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    }
}

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`.
pub(super) fn go_f(v: f64) -> String {
    match special(v) {
        Some(s) => s.to_string(),
        None => format!("{v}"),
    }
}

fn special(v: f64) -> Option<&'static str> {
    if v.is_nan() {
        Some("NaN")
    } else if v == f64::INFINITY {
        Some("+Inf")
    } else if v == f64::NEG_INFINITY {
        Some("-Inf")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go() {
        assert_eq!(go_g(1.1), "1.1");
        assert_eq!(go_g(-1.1), "-1.1");
        assert_eq!(go_g(123456.0), "123456");
        assert_eq!(go_g(1e6), "1e+06");
        assert_eq!(go_g(1.5e-5), "1.5e-05");
        assert_eq!(go_g(0.0001), "0.0001");
        assert_eq!(go_g(9.223372036854776e18), "9.223372036854776e+18");
        assert_eq!(go_g(f64::NAN), "NaN");
        assert_eq!(go_g(f64::NEG_INFINITY), "-Inf");
        assert_eq!(go_f(1e21), "1000000000000000000000");
        assert_eq!(go_f(0.1), "0.1");
        assert_eq!(go_f(6.0), "6");
        assert_eq!(go_f(f64::INFINITY), "+Inf");
    }
}
