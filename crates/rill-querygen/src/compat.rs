//! What a reference Prometheus 2.42 understands, for differential runs against it: its function
//! set, and the evaluation-time alignment that keeps 2.x (left-closed) and 3.x (left-open) range
//! and subquery windows selecting the same points. See `docs/differential-testing.md` for every
//! restriction of [`crate::GenConfig::prometheus_2_42`] and why.

/// The functions of Prometheus 2.42 that Rill also has and that answer there as in 3.x
/// (`holt_winters` is 3.x's `double_exponential_smoothing` behind a feature flag, so neither is
/// generated; `histogram_fraction` is left out because 3.4 extended it to classic histograms,
/// the only histograms of the differential data, PR #16095, where 2.42 returns nothing).
pub const PROMETHEUS_2_42_FUNCTIONS: &[&str] = &[
    "abs",
    "absent",
    "absent_over_time",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "avg_over_time",
    "ceil",
    "changes",
    "clamp",
    "clamp_max",
    "clamp_min",
    "cos",
    "cosh",
    "count_over_time",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "days_in_month",
    "deg",
    "delta",
    "deriv",
    "exp",
    "floor",
    "histogram_count",
    "histogram_quantile",
    "histogram_sum",
    "hour",
    "idelta",
    "increase",
    "irate",
    "label_join",
    "label_replace",
    "last_over_time",
    "ln",
    "log10",
    "log2",
    "max_over_time",
    "min_over_time",
    "minute",
    "month",
    "pi",
    "predict_linear",
    "present_over_time",
    "quantile_over_time",
    "rad",
    "rate",
    "resets",
    "round",
    "scalar",
    "sgn",
    "sin",
    "sinh",
    "sort",
    "sort_desc",
    "sqrt",
    "stddev_over_time",
    "stdvar_over_time",
    "sum_over_time",
    "tan",
    "tanh",
    "time",
    "timestamp",
    "vector",
    "year",
];

/// Whether Prometheus 2.42 has the function `name`.
pub fn in_prometheus_2_42(name: &str) -> bool {
    PROMETHEUS_2_42_FUNCTIONS.contains(&name)
}

/// The whole second nearest below `s` that is 7 modulo 10 (hence 2 modulo 5). Query times,
/// `@` times and offsets that keep this residue never fall on a subquery grid point (every
/// generated step is a multiple of 5 s) nor on a sample (the data's timestamps are jittered off
/// whole seconds), so 2.x's left-closed and 3.x's left-open windows agree.
pub fn off_grid_second(s: i64) -> i64 {
    s - s.rem_euclid(10) + 7
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_list_is_sorted_and_known_to_rill() {
        assert!(PROMETHEUS_2_42_FUNCTIONS.windows(2).all(|w| w[0] < w[1]));
        for f in PROMETHEUS_2_42_FUNCTIONS {
            assert!(rill_promql::standard_signature(f).is_some(), "{f}");
        }
        assert!(!in_prometheus_2_42("limitk") && !in_prometheus_2_42("mad_over_time"));
    }

    #[test]
    fn off_grid_seconds_end_in_seven() {
        assert_eq!(off_grid_second(1_700_000_000), 1_700_000_007);
        assert_eq!(off_grid_second(1_700_000_019), 1_700_000_017);
        assert_eq!(off_grid_second(-3), -3);
        for step in [10, 15, 30, 60, 120, 300] {
            assert_ne!(off_grid_second(1_700_001_234).rem_euclid(step), 0);
        }
    }
}
