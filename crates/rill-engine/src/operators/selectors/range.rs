//! The range-vector selector `metric{...}[range] offset o @ t`.

use crate::operators::selectors::SelectorSource;
use crate::operators::window::{DataTime, RangeWindows, WindowExtension};
use crate::types::QueryTimeRange;

/// A range selector: windows of `range` ms over the selected series at each step, whose
/// samples reach `extension` beyond the nominal bounds (`anchored` / `smoothed`).
pub fn range_selector(
    source: SelectorSource,
    steps: QueryTimeRange,
    data_time: DataTime,
    range: i64,
    extension: WindowExtension,
) -> RangeWindows<SelectorSource> {
    RangeWindows::new(source, steps, data_time, range).with_extension(extension)
}
