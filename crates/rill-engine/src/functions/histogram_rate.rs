//! The histogram side of `rate`/`increase`/`delta` and `irate`/`idelta` (Prometheus's
//! `histogramRate` and the histogram branch of `instantValue`): the increase between the first
//! and last histogram of a window with counter resets compensated, schemas reduced to the
//! lowest one seen, and the warnings about gauges, counters and mixed bucket kinds. Start
//! timestamps, when the window has them, also mark counter resets (see
//! [`crate::functions::start_time`]).

use std::sync::Arc;

use rill_model::{CounterResetHint, FloatHistogram, HistogramError};

use crate::functions::histogram_annotations as notes;
use crate::functions::range_function::StepContext;
use crate::functions::start_time;
use crate::operator::Window;
use crate::types::HPoint;

/// Reports the annotation an addition or subtraction of histograms in a range function asks
/// for (reconciled custom buckets; mixed exponential and custom schemas); false when the
/// operation failed and the step has no result.
pub(crate) fn combined(
    res: Result<rill_model::CombineInfo, HistogramError>,
    operation: &str,
    cx: &mut StepContext<'_>,
) -> bool {
    match res {
        Ok(info) => {
            if info.nhcb_bounds_reconciled {
                cx.info(notes::reconciled_custom_buckets(operation));
            }
            true
        }
        Err(e) => {
            if e == HistogramError::IncompatibleSchema {
                cx.warn(notes::mixed_exponential_custom(cx.metric_name));
            }
            false
        }
    }
}

/// The raw increase (`counter`) or difference of the histograms of a window of at least two,
/// as a gauge histogram; `None` (with a warning) when they cannot be combined. `sts` are the
/// points' start timestamps, if any.
pub fn histogram_increase(
    points: Window<'_, HPoint>,
    sts: Option<Window<'_, i64>>,
    counter: bool,
    cx: &mut StepContext<'_>,
) -> Option<FloatHistogram> {
    let st_reset = |i: usize, prev: &HPoint, cur: &HPoint| {
        start_time::is_reset(start_time::at(sts, i), prev.t, start_time::at(sts, i + 1), cur.t)
    };
    let first = &points.first()?.h;
    let last = &points.last()?.h;
    let is_gauge = |h: &FloatHistogram| h.counter_reset_hint == CounterResetHint::Gauge;
    if counter && (is_gauge(first) || is_gauge(last)) {
        cx.warn(notes::not_counter(cx.metric_name));
    }
    // A reset right after the first sample makes the first sample irrelevant (its layout too).
    let zero_after_reset;
    let mut prev: &FloatHistogram = first;
    if counter
        && let (Some(first_point), Some(second)) = (points.first(), points.get(1))
        && (st_reset(0, first_point, second) || second.h.detect_reset(first))
    {
        zero_after_reset = FloatHistogram {
            schema: second.h.schema,
            custom_values: second.h.custom_values.clone(),
            ..FloatHistogram::default()
        };
        prev = &zero_after_reset;
    }
    let custom = prev.uses_custom_buckets();
    if last.uses_custom_buckets() != custom {
        cx.warn(notes::mixed_exponential_custom(cx.metric_name));
        return None;
    }
    let mut min_schema = last.schema.min(prev.schema);
    let inner = points.len().saturating_sub(1);
    for p in points.iter().take(inner).skip(1) {
        if !counter {
            continue;
        }
        if is_gauge(&p.h) {
            cx.warn(notes::not_counter(cx.metric_name));
        }
        min_schema = min_schema.min(p.h.schema);
        if p.h.uses_custom_buckets() != custom {
            cx.warn(notes::mixed_exponential_custom(cx.metric_name));
            return None;
        }
    }
    let mut h = match last.copy_to_schema(min_schema) {
        Ok(h) => h,
        Err(_) => {
            cx.warn(notes::mixed_exponential_custom(cx.metric_name));
            return None;
        }
    };
    if !combined(h.sub(prev), "subtraction", cx) {
        return None;
    }
    if counter {
        let mut before: &FloatHistogram = prev;
        let mut overlap_seen = false;
        for (i, (prev_point, p)) in points.iter().zip(points.iter().skip(1)).enumerate() {
            if !overlap_seen && start_time::overlaps(start_time::at(sts, i), prev_point.t, start_time::at(sts, i + 1)) {
                cx.warn(start_time::overlap_warning(cx.metric_name));
                overlap_seen = true;
            }
            if (st_reset(i, prev_point, p) || p.h.detect_reset(before)) && !combined(h.add(before), "addition", cx) {
                return None;
            }
            before = &p.h;
        }
    } else if !is_gauge(first) || !is_gauge(last) {
        cx.warn(notes::not_gauge(cx.metric_name));
    }
    h.counter_reset_hint = CounterResetHint::Gauge;
    h.compact(0);
    Some(h)
}

/// `irate`/`idelta` of two histograms `interval_ms` apart: the difference (or, for `irate`
/// after a reset, the newer histogram) as a gauge, per second for `irate`. `start_reset`:
/// their start timestamps show a reset.
pub fn histogram_instant(
    a: &FloatHistogram,
    b: &FloatHistogram,
    interval_ms: i64,
    per_second: bool,
    start_reset: bool,
    cx: &mut StepContext<'_>,
) -> Option<Arc<FloatHistogram>> {
    let is_gauge = |h: &FloatHistogram| h.counter_reset_hint == CounterResetHint::Gauge;
    if per_second && (is_gauge(a) || is_gauge(b)) {
        cx.warn(notes::not_counter(cx.metric_name));
    }
    if !per_second && (!is_gauge(a) || !is_gauge(b)) {
        cx.warn(notes::not_gauge(cx.metric_name));
    }
    let mut out = b.clone();
    if !per_second || (!start_reset && !b.detect_reset(a)) {
        match out.sub(a) {
            Ok(info) => {
                if info.nhcb_bounds_reconciled {
                    cx.info(notes::reconciled_custom_buckets("subtraction"));
                }
            }
            Err(HistogramError::IncompatibleSchema) => {
                cx.warn(notes::mixed_exponential_custom(cx.metric_name));
                return None;
            }
            Err(_) => return None,
        }
    }
    out.counter_reset_hint = CounterResetHint::Gauge;
    out.compact(0);
    if per_second {
        out.div(interval_ms as f64 / 1000.0);
    }
    Some(Arc::new(out))
}
