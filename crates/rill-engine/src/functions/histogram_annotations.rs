//! Prometheus's annotation texts about histograms in functions, built in one place so every
//! function words them identically (`util/annotations/annotations.go`).

/// Appends ` for metric name "<name>"` unless the name is empty (Prometheus's `maybeAddMetricName`).
fn for_metric(msg: &str, metric_name: &str) -> String {
    if metric_name.is_empty() {
        msg.to_string()
    } else {
        format!("{msg} for metric name {metric_name:?}")
    }
}

/// Warning: an `le` label that is missing or not a float.
pub fn bad_bucket_label(metric_name: &str, le: &str) -> String {
    for_metric(
        &format!("bucket label \"le\" is missing or has a malformed value of {le:?}"),
        metric_name,
    )
}

/// Warning: classic buckets and a native histogram of the same series at the same step.
pub fn mixed_classic_native(metric_name: &str) -> String {
    for_metric("vector contains a mix of classic and native histograms", metric_name)
}

/// Warning: a range holds both floats and histograms where only one kind works.
pub fn mixed_floats_histograms(metric_name: &str) -> String {
    format!("encountered a mix of histograms and floats for metric name {metric_name:?}")
}

/// Warning: a counter function met a gauge histogram.
pub fn not_counter(metric_name: &str) -> String {
    format!("this native histogram metric is not a counter: {metric_name:?}")
}

/// Warning: a gauge function met a counter histogram.
pub fn not_gauge(metric_name: &str) -> String {
    format!("this native histogram metric is not a gauge: {metric_name:?}")
}

/// Warning: exponential and custom-bucket histograms had to be combined.
pub fn mixed_exponential_custom(metric_name: &str) -> String {
    format!(
        "vector contains a mix of histograms with exponential and custom buckets schemas for metric name {metric_name:?}"
    )
}

/// Info: custom bounds were reconciled during `operation` (`subtraction`, `addition`, `aggregation`).
pub fn reconciled_custom_buckets(operation: &str) -> String {
    format!("mismatched custom buckets were reconciled during {operation}")
}

/// Warning: a sum over time met both counter-reset and not-counter-reset hints.
pub fn counter_reset_collision(operation: &str) -> String {
    format!("conflicting counter resets during histogram {operation}")
}

/// Info: `histogram_quantile`'s input had NaN observations and the result is NaN.
pub fn quantile_nan_result(metric_name: &str) -> String {
    for_metric(
        "input to histogram_quantile has NaN observations, result is NaN",
        metric_name,
    )
}

/// Info: `histogram_quantile`'s input had NaN observations, which skew the result higher.
pub fn quantile_nan_skew(metric_name: &str) -> String {
    for_metric(
        "input to histogram_quantile has NaN observations, result is skewed higher",
        metric_name,
    )
}

/// Info: `histogram_fraction`'s input had NaN observations (excluded from every fraction).
pub fn fraction_nans(metric_name: &str) -> String {
    for_metric(
        "input to histogram_fraction has NaN observations, which are excluded from all fractions",
        metric_name,
    )
}

/// Info: classic buckets needed forcing into monotonicity.
pub fn forced_monotonicity(metric_name: &str) -> String {
    for_metric(
        "input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)",
        metric_name,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_metric_only_when_known() {
        assert_eq!(
            bad_bucket_label("m", "x"),
            "bucket label \"le\" is missing or has a malformed value of \"x\" for metric name \"m\""
        );
        assert_eq!(
            mixed_classic_native(""),
            "vector contains a mix of classic and native histograms"
        );
        assert_eq!(not_counter("h"), "this native histogram metric is not a counter: \"h\"");
    }
}
