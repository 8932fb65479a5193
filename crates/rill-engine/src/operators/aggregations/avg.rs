//! `avg`: Prometheus's mean. Floats are summed with Kahan compensation and divided at the end;
//! once the running sum would overflow it switches to an incremental mean (also compensated),
//! so float results match Prometheus bit for bit. Histograms follow the same scheme (see
//! [`HistogramAcc::add_to_mean`]).

use super::grouped::{Notes, Sample};
use super::histograms::HistogramAcc;
use super::sum::{Seen, SumLikeAccumulator, SumLikeStep, kahan_sum_inc};
use crate::declare_pool;

/// Per-step means of one group.
pub(super) type AvgAccumulator = SumLikeAccumulator<AvgStep>;

/// One step of `avg`: a compensated sum that turns into an incremental mean before it
/// overflows, and a histogram mean.
#[derive(Clone, Debug, Default)]
pub(super) struct AvgStep {
    sum: f64,
    c: f64,
    mean: f64,
    count: f64,
    incremental: bool,
    seen: Seen,
    hist: HistogramAcc,
}
declare_pool!(AvgStep);

impl SumLikeStep for AvgStep {
    fn seen(&mut self) -> &mut Seen {
        &mut self.seen
    }

    fn hist(&self) -> &HistogramAcc {
        &self.hist
    }

    fn start(&mut self, sample: Sample<'_>) {
        *self = AvgStep {
            count: 1.0,
            ..AvgStep::default()
        };
        match sample {
            Sample::Float(f) => (self.sum, self.mean) = (f, f),
            Sample::Histogram(h) => self.hist = HistogramAcc::starting_with(h),
        }
    }

    fn fold(&mut self, sample: Sample<'_>, notes: &mut Notes<'_>) {
        self.count += 1.0;
        match sample {
            Sample::Float(f) => self.add_float(f),
            Sample::Histogram(h) => self.hist.add_to_mean(h, self.count, notes),
        }
    }

    fn divisor(&self) -> f64 {
        self.count
    }

    fn float_result(&self) -> f64 {
        if self.incremental {
            self.mean + self.c
        } else {
            self.sum / self.count + self.c / self.count
        }
    }
}

impl AvgStep {
    fn add_float(&mut self, f: f64) {
        if !self.incremental {
            let (sum, c) = kahan_sum_inc(f, self.sum, self.c);
            if !sum.is_infinite() {
                (self.sum, self.c) = (sum, c);
                return;
            }
            // The sum would overflow: continue with the incremental mean from here on.
            self.incremental = true;
            self.mean = self.sum / (self.count - 1.0);
            self.c /= self.count - 1.0;
        }
        let q = (self.count - 1.0) / self.count;
        (self.mean, self.c) = kahan_sum_inc(f / self.count, q * self.mean, q * self.c);
    }
}
