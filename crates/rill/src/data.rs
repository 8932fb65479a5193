//! Filling a [`MemoryStore`] for `rill query`: a text exposition file or the demo dataset.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::{Context, Result};
use rill_codec::text::{Entry, TextParser};
use rill_model::{Labels, MemoryStore, Sample};

/// Loads an OpenMetrics / Prometheus text file; samples without a timestamp get
/// `default_ts_ms`. Errors name the file and the line.
pub fn load_text_file(path: &Path, default_ts_ms: i64) -> Result<MemoryStore> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut parser = TextParser::new(BufReader::new(file), default_ts_ms);
    let mut series: BTreeMap<Labels, Vec<Sample>> = BTreeMap::new();
    while let Some(entry) = parser.next_entry().with_context(|| format!("{}", path.display()))? {
        if let Entry::Sample(s) = entry {
            let labels = Labels::from_pairs(s.labels().iter());
            series
                .entry(labels)
                .or_default()
                .push(Sample::float(s.timestamp, s.value));
        }
    }
    let mut store = MemoryStore::new();
    for (labels, mut samples) in series {
        samples.sort_by_key(|s| s.t);
        for s in samples {
            store
                .append(&labels, s)
                .with_context(|| format!("{}", path.display()))?;
        }
    }
    Ok(store)
}

/// The timestamp of the newest sample, if any.
pub fn last_timestamp(store: &MemoryStore) -> Option<i64> {
    store.iter().filter_map(|(_, s)| s.last().map(|s| s.t)).max()
}
