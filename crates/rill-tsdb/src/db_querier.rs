//! The querier of a [`crate::Db`]: persisted blocks and the head merged by labels. The head wins
//! for its time range: block data at or after the head's oldest sample is hidden, so a block
//! being written from the head (or an imported block overlapping it) never doubles samples.

use std::sync::Arc;

use rill_model::{Chunk, ChunkIterator, Matcher, Querier, SelectHints, Series, SeriesSet};

use crate::decode::decode_chunk;
use crate::head::HeadQuerier;
use crate::querier::BlockQuerier;

/// Blocks (before `cutoff`) and head, merged.
pub struct DbQuerier {
    pub(crate) blocks: Option<BlockQuerier>,
    pub(crate) head: HeadQuerier,
    /// First millisecond served by the head.
    pub(crate) cutoff: i64,
}

fn merge_sorted(mut a: Vec<String>, b: Vec<String>) -> Vec<String> {
    a.extend(b);
    a.sort_unstable();
    a.dedup();
    a
}

impl Querier for DbQuerier {
    fn select(&self, hints: &SelectHints, matchers: &[Matcher]) -> rill_model::Result<Box<dyn SeriesSet>> {
        let head = self.head.select(hints, matchers)?;
        let Some(blocks) = &self.blocks else {
            return Ok(head);
        };
        Ok(Box::new(MergeSeries {
            blocks: Peek::new(Box::new(blocks.select_series(matchers)?)),
            head: Peek::new(head),
            cutoff: self.cutoff,
        }))
    }

    fn label_names(&self, matchers: &[Matcher]) -> rill_model::Result<Vec<String>> {
        let head = self.head.label_names(matchers)?;
        match &self.blocks {
            Some(b) => Ok(merge_sorted(b.names(matchers)?, head)),
            None => Ok(head),
        }
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> rill_model::Result<Vec<String>> {
        let head = self.head.label_values(name, matchers)?;
        match &self.blocks {
            Some(b) => Ok(merge_sorted(b.values(name, matchers)?, head)),
            None => Ok(head),
        }
    }
}

/// A series set with one series of lookahead.
struct Peek {
    set: Box<dyn SeriesSet>,
    next: Option<Series>,
    started: bool,
    done: bool,
}

impl Peek {
    fn new(set: Box<dyn SeriesSet>) -> Self {
        Self {
            set,
            next: None,
            started: false,
            done: false,
        }
    }

    fn peek(&mut self) -> rill_model::Result<Option<&Series>> {
        if !self.started || (self.next.is_none() && !self.done) {
            self.started = true;
            self.next = self.set.next()?;
            self.done = self.next.is_none();
        }
        Ok(self.next.as_ref())
    }
}

/// Merges block and head series by labels.
struct MergeSeries {
    blocks: Peek,
    head: Peek,
    cutoff: i64,
}

impl SeriesSet for MergeSeries {
    fn next(&mut self) -> rill_model::Result<Option<Series>> {
        let order = match (self.blocks.peek()?, self.head.peek()?) {
            (None, None) => return Ok(None),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(b), Some(h)) => b.labels.cmp(&h.labels),
        };
        let cutoff = self.cutoff;
        let out = match order {
            std::cmp::Ordering::Less => self.blocks.next.take().map(|b| Series {
                labels: b.labels,
                chunks: Box::new(Before {
                    inner: b.chunks,
                    cutoff,
                    then: None,
                }),
            }),
            std::cmp::Ordering::Greater => self.head.next.take(),
            std::cmp::Ordering::Equal => match (self.blocks.next.take(), self.head.next.take()) {
                (Some(b), Some(h)) => Some(Series {
                    labels: b.labels,
                    chunks: Box::new(Before {
                        inner: b.chunks,
                        cutoff,
                        then: Some(h.chunks),
                    }),
                }),
                (b, h) => b.or(h),
            },
        };
        Ok(out)
    }
}

/// Block chunks restricted to samples before `cutoff`, followed by the head's chunks.
struct Before {
    inner: Box<dyn ChunkIterator>,
    cutoff: i64,
    then: Option<Box<dyn ChunkIterator>>,
}

impl ChunkIterator for Before {
    fn next(&mut self) -> rill_model::Result<Option<Chunk>> {
        while let Some(c) = self.inner.next()? {
            if c.min_time() >= self.cutoff {
                continue;
            }
            if c.max_time() < self.cutoff {
                return Ok(Some(c));
            }
            let mut samples = Vec::new();
            match c {
                Chunk::Encoded { encoding, data, .. } => decode_chunk(encoding, &data, &mut samples)
                    .map_err(|e| rill_model::Error::Storage(format!("block chunk: {e}")))?,
                Chunk::Decoded { samples: s, range } => {
                    samples.extend(s.get(range).unwrap_or_default().iter().cloned())
                }
            }
            samples.retain(|s| s.t < self.cutoff);
            if !samples.is_empty() {
                let len = samples.len();
                return Ok(Some(Chunk::Decoded {
                    samples: Arc::new(samples),
                    range: 0..len,
                }));
            }
        }
        match &mut self.then {
            Some(h) => h.next(),
            None => Ok(None),
        }
    }
}
