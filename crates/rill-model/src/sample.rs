//! Samples: a timestamp plus a float or a native histogram, and Prometheus's stale marker.

use std::sync::Arc;

use crate::histogram::FloatHistogram;

/// The bit pattern Prometheus writes as a staleness marker: a NaN that differs from the
/// ordinary `NaN` so storage can tell "series ended" from "value is NaN".
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// The stale marker value.
pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// Whether `v` is a stale marker (compares bits; ordinary NaN is not stale).
pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// A sample value as Prometheus writes it in JSON and text: Go's
/// `strconv.FormatFloat(v, 'f', -1, 64)` (shortest round-trip digits, never an exponent), with
/// `NaN`, `+Inf` and `-Inf`.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        // Rust's shortest round-trip `Display` never uses an exponent, like Go's 'f' with -1.
        format!("{v}")
    }
}

/// A sample value: float or native histogram.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A float sample (possibly the stale marker).
    Float(f64),
    /// A native histogram sample, shared because histograms are large.
    Histogram(Arc<FloatHistogram>),
}

impl Value {
    /// Whether the value is a stale marker. Histogram stale markers carry the stale NaN as sum.
    pub fn is_stale(&self) -> bool {
        match self {
            Value::Float(f) => is_stale_nan(*f),
            Value::Histogram(h) => is_stale_nan(h.sum),
        }
    }
}

/// One stored sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Milliseconds since the Unix epoch.
    pub t: i64,
    /// The value.
    pub v: Value,
}

impl Sample {
    /// A float sample.
    pub fn float(t: i64, f: f64) -> Self {
        Sample { t, v: Value::Float(f) }
    }

    /// A histogram sample.
    pub fn histogram(t: i64, h: impl Into<Arc<FloatHistogram>>) -> Self {
        Sample {
            t,
            v: Value::Histogram(h.into()),
        }
    }
}
