//! The series of one selector, selected once and read one series at a time.

use std::collections::VecDeque;
use std::sync::Arc;

use rill_model::{Matcher, SelectHints, Series};

use crate::context::QueryContext;
use crate::error::Result;
use crate::operators::samples::{ChunkSamples, SampleStream};
use crate::operators::selectors::StorageHandle;
use crate::operators::window::WindowSource;
use crate::types::SeriesMetadata;

/// Selects a selector's series and opens their sample streams in label order.
pub struct SelectorSource {
    storage: Arc<StorageHandle>,
    matchers: Vec<Matcher>,
    hints: SelectHints,
    series: VecDeque<Series>,
}

impl SelectorSource {
    /// A source for `matchers`, reading data in `[hints.start, hints.end]`.
    pub fn new(storage: Arc<StorageHandle>, matchers: Vec<Matcher>, hints: SelectHints) -> Self {
        SelectorSource {
            storage,
            matchers,
            hints,
            series: VecDeque::new(),
        }
    }

    /// The hints the selector selects with.
    pub fn hints(&self) -> &SelectHints {
        &self.hints
    }
}

impl WindowSource for SelectorSource {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        let mut set = self.storage.select(&self.hints, &self.matchers)?;
        let mut out = Vec::new();
        while let Some(s) = set.next()? {
            if out.len() % 1024 == 0 {
                cx.check("expanding series")?;
            }
            out.push(SeriesMetadata::new(s.labels.clone()));
            self.series.push_back(s);
        }
        Ok(out)
    }

    fn next_stream(&mut self, cx: &mut QueryContext) -> Result<Option<Box<dyn SampleStream>>> {
        let Some(s) = self.series.pop_front() else {
            return Ok(None);
        };
        Ok(Some(Box::new(ChunkSamples::new(
            s.chunks,
            self.hints.end,
            &cx.tracker,
        )?)))
    }
}
