//! A block's `meta.json`: its identity, time range and statistics.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Sample/series/chunk counts recorded by the block's writer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BlockStats {
    /// Number of samples.
    #[serde(skip_serializing_if = "is_zero")]
    pub num_samples: u64,
    /// Number of float samples (newer Prometheus versions only).
    #[serde(skip_serializing_if = "is_zero")]
    pub num_float_samples: u64,
    /// Number of histogram samples (newer Prometheus versions only).
    #[serde(skip_serializing_if = "is_zero")]
    pub num_histogram_samples: u64,
    /// Number of series.
    #[serde(skip_serializing_if = "is_zero")]
    pub num_series: u64,
    /// Number of chunks.
    #[serde(skip_serializing_if = "is_zero")]
    pub num_chunks: u64,
    /// Number of tombstones.
    #[serde(skip_serializing_if = "is_zero")]
    pub num_tombstones: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// A block named as the parent of a compacted block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BlockDesc {
    /// The parent's ULID.
    pub ulid: String,
    /// The parent's first millisecond.
    pub min_time: i64,
    /// The parent's end (exclusive).
    pub max_time: i64,
}

/// How the block came to be.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct BlockCompaction {
    /// Compaction level (1 = written from the head or by backfill).
    pub level: u32,
    /// ULIDs of the level-1 blocks merged into this one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Set on a block whose data was compacted away: readers skip it and it is deleted.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deletable: bool,
    /// The blocks merged into this one; once this block exists they are obsolete.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<BlockDesc>,
}

/// The parsed `meta.json` of a block.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockMeta {
    /// The block's ULID (also its directory name).
    pub ulid: String,
    /// First millisecond covered (inclusive).
    pub min_time: i64,
    /// End of the covered range (exclusive, as Prometheus writes it).
    pub max_time: i64,
    /// Statistics.
    #[serde(default)]
    pub stats: BlockStats,
    /// Compaction history.
    #[serde(default)]
    pub compaction: BlockCompaction,
    /// Meta format version (1).
    pub version: u32,
}

impl BlockMeta {
    /// Reads and validates `meta.json` at `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::parse(path, &text)
    }

    /// Parses meta JSON; `path` is only used in errors.
    pub fn parse(path: &Path, text: &[u8]) -> Result<Self> {
        let meta: BlockMeta = serde_json::from_slice(text).map_err(|e| Error::Meta {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        if meta.version != 1 {
            return Err(Error::Meta {
                path: path.to_path_buf(),
                reason: format!("unsupported meta version {}", meta.version),
            });
        }
        if meta.min_time > meta.max_time {
            return Err(Error::Meta {
                path: path.to_path_buf(),
                reason: format!("minTime {} after maxTime {}", meta.min_time, meta.max_time),
            });
        }
        Ok(meta)
    }

    /// Whether the block holds data for some millisecond of `[mint, maxt]` (inclusive).
    pub fn overlaps(&self, mint: i64, maxt: i64) -> bool {
        self.min_time <= maxt && mint < self.max_time
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prometheus_meta() {
        let text = br#"{"ulid":"01H0000000000000000000000A","minTime":1000,"maxTime":7201000,
            "stats":{"numSamples":480,"numSeries":2,"numChunks":4},
            "compaction":{"level":1,"sources":["01H0000000000000000000000A"]},"version":1}"#;
        let m = BlockMeta::parse(Path::new("meta.json"), text).unwrap();
        assert_eq!(m.stats.num_series, 2);
        assert_eq!(m.compaction.level, 1);
        assert!(m.overlaps(7_200_999, 8_000_000));
        assert!(!m.overlaps(7_201_000, 8_000_000));
        assert!(!m.overlaps(0, 999));
    }

    #[test]
    fn rejects_bad_meta() {
        let p = Path::new("m/meta.json");
        let e = BlockMeta::parse(p, b"{").unwrap_err().to_string();
        assert!(e.contains("m/meta.json"), "{e}");
        let v2 = br#"{"ulid":"x","minTime":1,"maxTime":2,"version":2}"#;
        assert!(BlockMeta::parse(p, v2).is_err());
        let inverted = br#"{"ulid":"x","minTime":3,"maxTime":2,"version":1}"#;
        assert!(BlockMeta::parse(p, inverted).is_err());
    }
}
