//! Kahan–Neumaier compensated summation, as Prometheus's `kahansum.Inc` does it, so sums and
//! means over windows agree with Prometheus to the last bit; defined (and tested) in
//! `rill-model`, which histogram sums share.

pub use rill_model::kahan::kahan_inc;
