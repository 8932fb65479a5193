//! The series of one selector, selected once and read one series at a time.

use std::collections::VecDeque;
use std::sync::Arc;

use rill_model::{Matcher, SelectHints, Series};

use crate::context::QueryContext;
use crate::error::Result;
use crate::operators::samples::{ChunkSamples, SampleStream};
use crate::operators::selectors::{HistogramStatsSamples, StorageHandle};
use crate::operators::window::WindowSource;
use crate::types::SeriesMetadata;

/// Selects a selector's series and opens their sample streams in label order.
pub struct SelectorSource {
    storage: Arc<StorageHandle>,
    matchers: Vec<Matcher>,
    hints: SelectHints,
    series: VecDeque<Series>,
    /// Whether histogram samples get on-the-fly counter-reset hints ([`HistogramStatsSamples`]).
    histogram_stats: bool,
}

impl SelectorSource {
    /// A source for `matchers`, reading data in `[hints.start, hints.end]`.
    pub fn new(storage: Arc<StorageHandle>, matchers: Vec<Matcher>, hints: SelectHints) -> Self {
        SelectorSource {
            storage,
            matchers,
            hints,
            series: VecDeque::new(),
            histogram_stats: false,
        }
    }

    /// This source with histogram samples read as by Prometheus's `HistogramStatsIterator`
    /// when `on` (see [`crate::operators::selectors::HistogramStats`]).
    pub fn with_histogram_stats(mut self, on: bool) -> Self {
        self.histogram_stats = on;
        self
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
        let samples: Box<dyn SampleStream> = Box::new(ChunkSamples::new(s.chunks, self.hints.end, &cx.tracker)?);
        if !self.histogram_stats {
            return Ok(Some(samples));
        }
        // Prometheus's iterator first seeks to the data time minus the lookback or range,
        // which `hints.start` excludes by one millisecond: samples from there on count.
        let floor = self.hints.start.saturating_sub(2);
        Ok(Some(Box::new(HistogramStatsSamples::new(samples, floor))))
    }
}
