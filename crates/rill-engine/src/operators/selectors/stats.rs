//! Histogram-statistics reading: on-the-fly counter-reset hints, as Prometheus's
//! `HistogramStatsIterator`.
//!
//! Below `histogram_count`, `histogram_sum` and `histogram_avg`, Prometheus reads native
//! histograms through an iterator that replaces every `Unknown` counter-reset hint by the
//! result of comparing the sample with the previous histogram the iterator returned
//! (`CounterReset` or `NotCounterReset`). That changes what aggregations see: e.g.
//! `histogram_count(sum(m))` warns about conflicting counter resets where `sum(m)` does not.
//! [`HistogramStats`] is the planner's version of `detectHistogramStatsDecoding` (which
//! selectors read that way) and [`HistogramStatsSamples`] the iterator.

use std::sync::Arc;

use rill_model::{CounterResetHint, FloatHistogram, Sample, Value};

use crate::error::Result;
use crate::operators::samples::SampleStream;

/// Whether the selectors being planned read histograms with on-the-fly reset hints. The
/// planner walks down from the root; Prometheus walks up from each selector, switching the
/// reading on at `histogram_count` / `histogram_sum` / `histogram_avg` and off for good at
/// anything that needs buckets or exact resets (subqueries, `histogram_quantile(s)`,
/// `histogram_fraction`, the trim operators), so the same rule reads: on iff one of the
/// former is an ancestor and none of the latter is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HistogramStats {
    /// No ancestor asked for it.
    #[default]
    Unset,
    /// An ancestor needs only counts and sums.
    On,
    /// An ancestor needs buckets or exact resets; nothing below may switch it on.
    Vetoed,
}

impl HistogramStats {
    /// The state below a call of function `name`.
    pub fn below_function(self, name: &str) -> Self {
        match name {
            "histogram_quantile" | "histogram_quantiles" | "histogram_fraction" => HistogramStats::Vetoed,
            "histogram_count" | "histogram_sum" | "histogram_avg" if self != HistogramStats::Vetoed => {
                HistogramStats::On
            }
            _ => self,
        }
    }

    /// Whether a selector planned in this state reads with on-the-fly hints.
    pub fn is_on(self) -> bool {
        self == HistogramStats::On
    }
}

/// Wraps a series' samples, resolving `Unknown` counter-reset hints of histogram samples
/// against the previous (non-stale) histogram sample read after `floor`. As Prometheus's
/// iterator, which starts fresh where the selector first seeks, the first histogram after
/// `floor` keeps its `Unknown` hint; every sample after `floor` is read (none skipped) so
/// that each one's predecessor is known. Samples at or before `floor` pass through as they are.
pub struct HistogramStatsSamples {
    inner: Box<dyn SampleStream>,
    floor: i64,
    last: Option<Arc<FloatHistogram>>,
}

impl HistogramStatsSamples {
    /// Reads `inner` from just after `floor` (the first sample the selector may need is the
    /// one after it).
    pub fn new(inner: Box<dyn SampleStream>, floor: i64) -> Self {
        HistogramStatsSamples {
            inner,
            floor,
            last: None,
        }
    }

    /// The sample with its hint resolved; remembers it as the previous histogram.
    fn resolve(&mut self, mut s: Sample) -> Sample {
        let Value::Histogram(h) = &s.v else {
            return s;
        };
        if s.v.is_stale() || s.t <= self.floor {
            return s;
        }
        let current = h.clone();
        if current.counter_reset_hint == CounterResetHint::Unknown
            && let Some(previous) = &self.last
        {
            let mut resolved = (*current).clone();
            resolved.counter_reset_hint = if current.detect_reset(previous) {
                CounterResetHint::CounterReset
            } else {
                CounterResetHint::NotCounterReset
            };
            s.v = Value::Histogram(Arc::new(resolved));
        }
        self.last = Some(current);
        s
    }
}

impl SampleStream for HistogramStatsSamples {
    fn next_sample(&mut self, after: i64) -> Result<Option<Sample>> {
        loop {
            let Some(s) = self.inner.next_sample(after.min(self.floor))? else {
                return Ok(None);
            };
            let s = self.resolve(s);
            if s.t > after {
                return Ok(Some(s));
            }
        }
    }

    fn start_timestamp(&self) -> i64 {
        self.inner.start_timestamp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream over fixed samples.
    struct Fixed(Vec<Sample>);

    impl SampleStream for Fixed {
        fn next_sample(&mut self, after: i64) -> Result<Option<Sample>> {
            while !self.0.is_empty() {
                let s = self.0.remove(0);
                if s.t > after {
                    return Ok(Some(s));
                }
            }
            Ok(None)
        }
    }

    fn hist(t: i64, count: f64, hint: CounterResetHint) -> Sample {
        let h = FloatHistogram {
            count,
            counter_reset_hint: hint,
            ..FloatHistogram::default()
        };
        Sample {
            t,
            v: Value::Histogram(Arc::new(h)),
        }
    }

    fn hint(s: &Sample) -> Option<CounterResetHint> {
        match &s.v {
            Value::Histogram(h) => Some(h.counter_reset_hint),
            Value::Float(_) => None,
        }
    }

    #[test]
    fn unknown_hints_are_resolved_against_the_previous_sample_after_the_floor() {
        use CounterResetHint::*;
        let samples = vec![
            hist(0, 9.0, NotCounterReset),
            hist(10, 5.0, Unknown),
            hist(20, 3.0, Unknown),
            hist(30, 4.0, Unknown),
            hist(40, 4.0, Gauge),
        ];
        let mut s = HistogramStatsSamples::new(Box::new(Fixed(samples)), 5);
        // The sample at 10 is the first after the floor: nothing to compare with. The one
        // at 20 is read (skipped by `after`) only to compare the one at 30 with it.
        assert_eq!(s.next_sample(0).ok().flatten().as_ref().and_then(hint), Some(Unknown));
        assert_eq!(
            s.next_sample(25).ok().flatten().as_ref().and_then(hint),
            Some(NotCounterReset)
        );
        assert_eq!(s.next_sample(30).ok().flatten().as_ref().and_then(hint), Some(Gauge));
        let mut s = HistogramStatsSamples::new(Box::new(Fixed(vec![hist(1, 5.0, Unknown), hist(2, 3.0, Unknown)])), 0);
        assert_eq!(
            s.next_sample(1).ok().flatten().as_ref().and_then(hint),
            Some(CounterReset)
        );
    }

    #[test]
    fn only_the_function_path_decides() {
        let on = HistogramStats::Unset.below_function("histogram_count");
        assert!(on.is_on());
        assert!(on.below_function("sum_over_time").is_on());
        assert!(!on.below_function("histogram_quantile").is_on());
        assert!(!HistogramStats::Vetoed.below_function("histogram_sum").is_on());
        assert!(!HistogramStats::Unset.below_function("rate").is_on());
    }
}
