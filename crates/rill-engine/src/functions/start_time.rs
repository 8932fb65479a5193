//! Start ("created") timestamps in the counter functions (Prometheus's experimental
//! start-timestamp support): a start time after the previous sample says the counter was
//! reset even when its value did not drop, and a start time before the previous sample that
//! is not the previous sample's own start time is inconsistent data worth a warning.
//! Start timestamps are milliseconds, `0` meaning unknown.

use crate::operator::Window;

/// The start timestamp at index `i` of an optional window of them, `0` when unknown.
pub(crate) fn at(sts: Option<Window<'_, i64>>, i: usize) -> i64 {
    sts.and_then(|w| w.get(i).copied()).unwrap_or(0)
}

/// Whether start timestamps show a counter reset between a sample at `prev_t` (start
/// `prev_st`) and the next at `curr_t` (start `curr_st`), as Prometheus's
/// `isStartTimestampReset` decides: unknown (`0`), invalid (after its sample) or OTel's
/// "unknown start" (equal to its sample) starts say nothing; a start after the previous
/// sample is a reset; a start exactly at the previous sample is a reset (a delta) only when
/// the previous sample had a known, valid start of its own.
pub(crate) fn is_reset(prev_st: i64, prev_t: i64, curr_st: i64, curr_t: i64) -> bool {
    if curr_st == 0 || curr_st >= curr_t || curr_st < prev_t {
        return false;
    }
    if curr_st > prev_t {
        return true;
    }
    prev_st <= prev_t && prev_st != 0 && prev_st != prev_t
}

/// Whether a sample's start `curr_st` reaches back before the previous sample at `prev_t`
/// without being the same series start (`prev_st`): overlapping intervals.
pub(crate) fn overlaps(prev_st: i64, prev_t: i64, curr_st: i64) -> bool {
    curr_st != 0 && curr_st < prev_t && curr_st != prev_st
}

/// The warning for [`overlaps`], given once per series and step.
pub(crate) fn overlap_warning(metric_name: &str) -> String {
    format!("sample has start time that overlaps with previous sample timestamp for metric {metric_name:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resets_by_start_time() {
        assert!(!is_reset(0, 100, 0, 200), "unknown");
        assert!(!is_reset(0, 100, 200, 200), "OTel unknown start");
        assert!(!is_reset(0, 100, 300, 200), "invalid");
        assert!(!is_reset(50, 100, 50, 200), "same series start");
        assert!(is_reset(50, 100, 150, 200), "restarted after the previous sample");
        assert!(is_reset(50, 100, 100, 200), "delta");
        assert!(!is_reset(0, 100, 100, 200), "cumulative with unknown start");
        assert!(!is_reset(100, 100, 100, 200), "previous start unknown (OTel)");
        assert!(!is_reset(150, 100, 100, 200), "invalid previous start");
    }

    #[test]
    fn overlapping_starts() {
        assert!(overlaps(0, 100, 50));
        assert!(!overlaps(50, 100, 50));
        assert!(!overlaps(50, 100, 100));
        assert!(!overlaps(50, 100, 0));
        assert!(at(None, 0) == 0 && at(Some(Window::contiguous(&[7])), 0) == 7);
    }
}
