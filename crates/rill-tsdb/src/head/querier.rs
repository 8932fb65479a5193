//! [`HeadQuerier`]: reads the head through `rill_model::Querier`. Matching series are found
//! through the inverted index; each series' chunks are copied out (closed chunks share their
//! bytes, the open chunk is copied) when the engine reaches it, so the engine decodes head data
//! with the same code path as block data. A querier is registered with the head while it
//! lives, so compaction does not drop data it may still read.

use std::sync::Arc;

use rill_model::{Chunk, ChunkIterator, Matcher, Querier, SelectHints, Series, SeriesSet};

use super::Head;
use super::series::MemSeries;

/// A querier over the head's data in `[mint, maxt]`.
pub struct HeadQuerier {
    head: Arc<Head>,
    mint: i64,
    maxt: i64,
    /// Registration with the head's readers.
    reader: u64,
}

impl HeadQuerier {
    /// A querier over `[mint, maxt]` of `head`.
    pub fn new(head: Arc<Head>, mint: i64, maxt: i64) -> Self {
        let reader = head.readers.lock().register(mint);
        Self {
            head,
            mint,
            maxt,
            reader,
        }
    }

    /// A querier over the part of `[mint, maxt]` the head serves (from
    /// [`Head::serving_from`]), and that cutoff: older data is to be read from blocks.
    pub fn from_cutoff(head: Arc<Head>, mint: i64, maxt: i64) -> (Self, i64) {
        let mut readers = head.readers.lock();
        let cutoff = head.serving_from();
        let from = mint.max(cutoff);
        let reader = readers.register(from);
        drop(readers);
        (
            Self {
                head,
                mint: from,
                maxt,
                reader,
            },
            cutoff,
        )
    }

    /// The matching series with data in range, in label order.
    pub fn select_series(&self, matchers: &[Matcher]) -> HeadSeriesSet {
        HeadSeriesSet {
            series: self.head.select(matchers).into_iter(),
            mint: self.mint,
            maxt: self.maxt,
        }
    }
}

impl Drop for HeadQuerier {
    fn drop(&mut self) {
        self.head.readers.release(self.reader);
    }
}

impl Querier for HeadQuerier {
    fn select(&self, _hints: &SelectHints, matchers: &[Matcher]) -> rill_model::Result<Box<dyn SeriesSet>> {
        Ok(Box::new(self.select_series(matchers)))
    }

    fn label_names(&self, matchers: &[Matcher]) -> rill_model::Result<Vec<String>> {
        if matchers.is_empty() {
            return Ok(self.head.label_names());
        }
        let mut names: Vec<String> = self
            .head
            .select(matchers)
            .iter()
            .flat_map(|s| s.labels.iter().map(|l| l.name.to_string()))
            .collect();
        names.sort_unstable();
        names.dedup();
        Ok(names)
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> rill_model::Result<Vec<String>> {
        if matchers.is_empty() {
            return Ok(self.head.label_values(name));
        }
        let mut vals: Vec<String> = self
            .head
            .select(matchers)
            .iter()
            .filter_map(|s| s.labels.get(name).map(str::to_owned))
            .collect();
        vals.sort_unstable();
        vals.dedup();
        Ok(vals)
    }
}

/// The selected head series, read one at a time.
pub struct HeadSeriesSet {
    series: std::vec::IntoIter<Arc<MemSeries>>,
    mint: i64,
    maxt: i64,
}

impl SeriesSet for HeadSeriesSet {
    fn next(&mut self) -> rill_model::Result<Option<Series>> {
        for s in self.series.by_ref() {
            let chunks = s
                .data
                .lock()
                .chunks_in(self.mint, self.maxt)
                .map_err(|e| rill_model::Error::Storage(format!("head chunk of {}: {e}", s.labels)))?;
            if !chunks.is_empty() {
                return Ok(Some(Series {
                    labels: s.labels.clone(),
                    chunks: Box::new(VecChunks(chunks.into_iter())),
                }));
            }
        }
        Ok(None)
    }
}

/// Chunks already gathered.
pub(crate) struct VecChunks(pub std::vec::IntoIter<Chunk>);

impl ChunkIterator for VecChunks {
    fn next(&mut self) -> rill_model::Result<Option<Chunk>> {
        Ok(self.0.next())
    }
}
