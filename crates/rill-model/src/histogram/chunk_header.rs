//! Counter-reset headers of histogram chunks, and where Prometheus's head cuts histogram chunks.
//!
//! Prometheus stores native histograms in chunks whose header records what the writer knew
//! about a counter reset right before the chunk (`tsdb/chunkenc/histogram_meta.go`). Reading a
//! chunk back, the hint of each sample follows from the header and the sample's position
//! ([`CounterResetHeader::hint_for_sample`]), whatever hint the sample was appended with. So the
//! hints a query sees depend on where the head cut chunks ([`CounterResetHeader::cut_before`],
//! after `appendable`/`appendableGauge` of `chunkenc/float_histogram.go`). The chunk codecs
//! (`rill-codec`) and the in-memory store ([`crate::MemoryStore`]) share these rules.

use super::{CounterResetHint, FloatHistogram};
use crate::sample::is_stale_nan;

/// What the writer of a histogram chunk knew about a counter reset right before the chunk
/// (the top two bits of the chunk's flags byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub enum CounterResetHeader {
    /// `00`: unknown; detect at query time.
    #[default]
    Unknown,
    /// `10`: the chunk was cut because of a counter reset.
    CounterReset,
    /// `01`: definitely no counter reset when the chunk was cut.
    NotCounterReset,
    /// `11`: the chunk holds gauge histograms.
    Gauge,
}

impl CounterResetHeader {
    /// Decodes the header from a chunk's flags byte.
    pub fn from_flags(flags: u8) -> Self {
        match flags >> 6 {
            0b10 => Self::CounterReset,
            0b01 => Self::NotCounterReset,
            0b11 => Self::Gauge,
            _ => Self::Unknown,
        }
    }

    /// The flags byte bits (top two) for this header.
    pub fn to_flags(self) -> u8 {
        match self {
            Self::Unknown => 0,
            Self::CounterReset => 0b1000_0000,
            Self::NotCounterReset => 0b0100_0000,
            Self::Gauge => 0b1100_0000,
        }
    }

    /// The header a chunk gets when its first sample carries `hint` (and nothing else is known).
    pub fn from_hint(hint: CounterResetHint) -> Self {
        match hint {
            CounterResetHint::Unknown => Self::Unknown,
            CounterResetHint::CounterReset => Self::CounterReset,
            CounterResetHint::NotCounterReset => Self::NotCounterReset,
            CounterResetHint::Gauge => Self::Gauge,
        }
    }

    /// The hint of the `index`-th (0-based) sample of a chunk with this header, as Prometheus 3
    /// reports it: gauge chunks hold gauges; after the first sample there is no reset; the first
    /// sample is "unknown" because the previous chunk may be gone or added later.
    pub fn hint_for_sample(self, index: u16) -> CounterResetHint {
        match (self, index) {
            (Self::Gauge, _) => CounterResetHint::Gauge,
            (_, 1..) => CounterResetHint::NotCounterReset,
            _ => CounterResetHint::Unknown,
        }
    }

    /// Whether Prometheus's head cuts a new chunk to append `next` after `last`, the latest
    /// sample of a histogram chunk with this header: `None` if `next` continues the chunk,
    /// else the new chunk's header. A counter chunk is cut on a counter reset (an explicit
    /// `CounterReset` hint or a decrease of the count, the zero bucket or any bucket, or
    /// changed custom bounds: header `CounterReset`), on a schema or zero-threshold change or
    /// after a stale marker (header `Unknown`), and when a gauge arrives. A gauge chunk is cut
    /// on a layout change or when a counter arrives. Cuts for size and time are the caller's.
    pub fn cut_before(self, last: &FloatHistogram, next: &FloatHistogram) -> Option<CounterResetHeader> {
        let gauge_chunk = self == Self::Gauge;
        let layout_changed = next.schema != last.schema
            || next.zero_threshold != last.zero_threshold
            || (next.uses_custom_buckets() && next.custom_values != last.custom_values);
        if next.counter_reset_hint == CounterResetHint::Gauge {
            let continues = gauge_chunk && (is_stale_nan(next.sum) || (!is_stale_nan(last.sum) && !layout_changed));
            return (!continues).then_some(Self::Gauge);
        }
        if gauge_chunk {
            return Some(Self::Unknown);
        }
        match next.counter_appendable(last) {
            Appendable::Yes => None,
            Appendable::NewChunk => Some(Self::Unknown),
            Appendable::Reset => Some(Self::CounterReset),
        }
    }

    /// The header of the chunk the head cuts for time or size before `next`, when `last`
    /// (in a chunk with this header) came right before: gauge for a gauge; else whether
    /// `next` resets the counter, as far as a comparison with `last` tells.
    pub fn after_cut(self, last: &FloatHistogram, next: &FloatHistogram) -> CounterResetHeader {
        match next.counter_reset_hint {
            CounterResetHint::Gauge => Self::Gauge,
            CounterResetHint::CounterReset => Self::CounterReset,
            _ if self == Self::Gauge => Self::NotCounterReset,
            _ => match next.counter_appendable(last) {
                Appendable::Reset => Self::CounterReset,
                _ => Self::NotCounterReset,
            },
        }
    }
}

/// Whether a counter histogram can join the chunk of the previous one.
enum Appendable {
    /// Same chunk (new buckets may appear: the chunk is recoded).
    Yes,
    /// A new chunk without a known reset (schema or zero-threshold change, stale marker).
    NewChunk,
    /// A new chunk because of a counter reset.
    Reset,
}

impl FloatHistogram {
    /// Prometheus's `FloatHistogramAppender.appendable` for `self` after `last`, in its order
    /// of checks (the count first, then the layout, then the buckets). Only an explicit
    /// `CounterReset` hint is honoured; `NotCounterReset` does not prevent a detected reset.
    fn counter_appendable(&self, last: &FloatHistogram) -> Appendable {
        if self.counter_reset_hint == CounterResetHint::CounterReset {
            return Appendable::Reset;
        }
        if is_stale_nan(self.sum) {
            return Appendable::Yes;
        }
        if is_stale_nan(last.sum) {
            return Appendable::NewChunk;
        }
        if self.count < last.count {
            return Appendable::Reset;
        }
        if self.schema != last.schema || self.zero_threshold != last.zero_threshold {
            return Appendable::NewChunk;
        }
        if self.uses_custom_buckets() && self.custom_values != last.custom_values {
            return Appendable::Reset;
        }
        if self.zero_count < last.zero_count || self.buckets_decreased(last) {
            return Appendable::Reset;
        }
        Appendable::Yes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Span;

    fn h(count: f64, buckets: &[f64]) -> FloatHistogram {
        FloatHistogram {
            count,
            positive_spans: vec![Span {
                offset: 0,
                length: buckets.len() as u32,
            }],
            positive_buckets: buckets.to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn hints_follow_prometheus_3() {
        let c = CounterResetHeader::CounterReset;
        assert_eq!(c.hint_for_sample(0), CounterResetHint::Unknown);
        assert_eq!(c.hint_for_sample(1), CounterResetHint::NotCounterReset);
        assert_eq!(CounterResetHeader::Gauge.hint_for_sample(0), CounterResetHint::Gauge);
        for f in [0u8, 0x40, 0x80, 0xc0] {
            assert_eq!(CounterResetHeader::from_flags(f | 0x3f).to_flags(), f);
        }
    }

    #[test]
    fn counter_chunks_are_cut_on_resets_and_layout_changes() {
        let head = CounterResetHeader::Unknown;
        let last = h(4.0, &[2.0, 2.0]);
        assert_eq!(
            head.cut_before(&last, &h(5.0, &[2.0, 2.0, 1.0])),
            None,
            "new bucket: recoded"
        );
        assert_eq!(
            head.cut_before(&last, &h(3.0, &[1.0, 2.0])),
            Some(CounterResetHeader::CounterReset)
        );
        assert_eq!(
            head.cut_before(&last, &h(5.0, &[1.0, 4.0])),
            Some(CounterResetHeader::CounterReset),
            "a bucket decreased"
        );
        let finer = FloatHistogram {
            schema: 1,
            ..h(5.0, &[2.0, 3.0])
        };
        assert_eq!(head.cut_before(&last, &finer), Some(CounterResetHeader::Unknown));
        let explicit = FloatHistogram {
            counter_reset_hint: CounterResetHint::CounterReset,
            ..h(9.0, &[4.0, 5.0])
        };
        assert_eq!(
            head.cut_before(&last, &explicit),
            Some(CounterResetHeader::CounterReset)
        );
    }

    #[test]
    fn gauges_and_counters_do_not_share_chunks() {
        let gauge = |count| FloatHistogram {
            counter_reset_hint: CounterResetHint::Gauge,
            ..h(count, &[count])
        };
        let counter = CounterResetHeader::NotCounterReset;
        assert_eq!(
            counter.cut_before(&h(4.0, &[4.0]), &gauge(1.0)),
            Some(CounterResetHeader::Gauge)
        );
        assert_eq!(CounterResetHeader::Gauge.cut_before(&gauge(4.0), &gauge(1.0)), None);
        assert_eq!(
            CounterResetHeader::Gauge.cut_before(&gauge(4.0), &h(5.0, &[5.0])),
            Some(CounterResetHeader::Unknown)
        );
        assert_eq!(
            counter.after_cut(&h(4.0, &[4.0]), &h(3.0, &[3.0])),
            CounterResetHeader::CounterReset
        );
        assert_eq!(
            counter.after_cut(&h(4.0, &[4.0]), &h(5.0, &[5.0])),
            CounterResetHeader::NotCounterReset
        );
    }
}
