//! WAL checkpoints: after the head dropped old data (compaction), the finished segments are
//! condensed into `checkpoint.NNNNNNNN/` — series still alive, samples not older than the head's
//! new start, live tombstones, latest metadata — and then deleted, so the log stays small and
//! replay fast. Written to a `.tmp` directory, fsynced and renamed, so a crash leaves either
//! the old state or the new one.

use std::collections::HashMap;
use std::path::Path;

use super::record::{
    Record, encode_float_histograms, encode_histograms, encode_metadata, encode_samples, encode_series,
    encode_tombstones,
};
use super::replay::read_checkpoint;
use super::segment::{checkpoint_path, list, segment_path, sync_dir};
use super::writer::WalWriter;
use super::{FsyncPolicy, WalOptions};
use crate::error::{Error, Result};

/// What a checkpoint kept.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckpointStats {
    /// The checkpoint's index (the last segment it covers).
    pub index: u64,
    /// Series records kept.
    pub series: usize,
    /// Float and histogram samples kept.
    pub samples: usize,
    /// Segments deleted after the checkpoint was in place.
    pub segments_removed: usize,
}

/// Collects the filtered records into a fresh log.
struct Sink {
    writer: WalWriter,
    buf: Vec<u8>,
}

impl Sink {
    fn put(&mut self, rec: &[u8]) -> Result<()> {
        self.writer.log(&[rec])
    }
}

/// Writes `checkpoint.<last>` from the newest existing checkpoint and every segment up to
/// `last`, keeping series for which `keep(ref)` holds and samples with `t >= mint`; then deletes
/// the covered segments and older checkpoints. Segments `<= last` must be finished (the writer
/// has moved past them).
pub fn checkpoint(dir: &Path, last: u64, keep: impl Fn(u64) -> bool, mint: i64) -> Result<CheckpointStats> {
    let listing = list(dir)?;
    let previous = listing.checkpoints.iter().copied().filter(|&c| c <= last).max();
    let tmp = dir.join(format!("checkpoint.{last:08}.tmp"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    }
    std::fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let opts = WalOptions {
        fsync: FsyncPolicy::Never,
        ..WalOptions::default()
    };
    let mut sink = Sink {
        writer: WalWriter::create(&tmp, 0, opts)?,
        buf: Vec::new(),
    };
    let mut stats = CheckpointStats {
        index: last,
        ..CheckpointStats::default()
    };
    let mut metadata = HashMap::new();
    let mut handle = |rec: Record| -> Result<()> { filter(rec, &keep, mint, &mut sink, &mut stats, &mut metadata) };
    if let Some(cp) = previous {
        read_checkpoint(&checkpoint_path(dir, cp), &mut handle)?;
    }
    let covered: Vec<u64> = listing
        .segments
        .iter()
        .copied()
        .filter(|&s| s <= last && previous.is_none_or(|cp| s > cp))
        .collect();
    for &s in &covered {
        let path = segment_path(dir, s);
        let damage = super::reader::read_segment(&path, |at, rec| handle(super::record::decode(rec, &path, at)?))?;
        if let Some(d) = damage {
            return Err(Error::corrupt(
                &path,
                d.offset,
                format!("while checkpointing: {}", d.reason),
            ));
        }
    }
    let mut meta: Vec<_> = metadata.into_values().collect();
    meta.sort_by_key(|m: &super::record::RefMetadata| m.series_ref);
    if !meta.is_empty() {
        sink.buf.clear();
        encode_metadata(&meta, &mut sink.buf);
        let rec = std::mem::take(&mut sink.buf);
        sink.put(&rec)?;
    }
    sink.writer.close()?;
    sync_dir(&tmp)?;
    let dest = checkpoint_path(dir, last);
    if dest.exists() {
        std::fs::remove_dir_all(&dest).map_err(|e| Error::io(&dest, e))?;
    }
    std::fs::rename(&tmp, &dest).map_err(|e| Error::io(&dest, e))?;
    sync_dir(dir)?;
    for s in listing.segments.iter().filter(|&&s| s <= last) {
        let p = segment_path(dir, *s);
        std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
        stats.segments_removed += 1;
    }
    for c in listing.checkpoints.iter().filter(|&&c| c < last) {
        let p = checkpoint_path(dir, *c);
        std::fs::remove_dir_all(&p).map_err(|e| Error::io(&p, e))?;
    }
    sync_dir(dir)?;
    Ok(stats)
}

/// Keeps the live part of one record.
fn filter(
    rec: Record,
    keep: &impl Fn(u64) -> bool,
    mint: i64,
    sink: &mut Sink,
    stats: &mut CheckpointStats,
    metadata: &mut HashMap<u64, super::record::RefMetadata>,
) -> Result<()> {
    let mut buf = std::mem::take(&mut sink.buf);
    buf.clear();
    let mut extra = Vec::new();
    match rec {
        Record::Series(mut s) => {
            s.retain(|s| keep(s.series_ref));
            stats.series += s.len();
            if !s.is_empty() {
                encode_series(&s, &mut buf);
            }
        }
        Record::Samples(mut s) => {
            s.retain(|s| s.t >= mint && keep(s.series_ref));
            stats.samples += s.len();
            if !s.is_empty() {
                encode_samples(&s, &mut buf);
            }
        }
        Record::Histograms(mut h) => {
            h.retain(|s| s.t >= mint && keep(s.series_ref));
            stats.samples += h.len();
            extra = encode_histograms(&h);
        }
        Record::FloatHistograms(mut h) => {
            h.retain(|s| s.t >= mint && keep(s.series_ref));
            stats.samples += h.len();
            extra = encode_float_histograms(&h);
        }
        Record::Tombstones(mut t) => {
            t.retain(|t| t.maxt >= mint && keep(t.series_ref));
            if !t.is_empty() {
                encode_tombstones(&t, &mut buf);
            }
        }
        Record::Metadata(m) => {
            for m in m.into_iter().filter(|m| keep(m.series_ref)) {
                metadata.insert(m.series_ref, m);
            }
        }
        Record::Skipped(_) => {}
    }
    if !buf.is_empty() {
        sink.put(&buf)?;
    }
    for r in &extra {
        sink.put(r)?;
    }
    sink.buf = buf;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::record::{RefSample, RefSeries};
    use super::super::replay::replay;
    use super::*;
    use rill_model::Labels;

    #[test]
    fn checkpoint_keeps_live_series_and_recent_samples() {
        let dir = tempfile::tempdir().unwrap();
        let opts = WalOptions {
            fsync: FsyncPolicy::Never,
            ..WalOptions::default()
        };
        let mut w = WalWriter::create(dir.path(), 0, opts).unwrap();
        let mut rec = Vec::new();
        let series: Vec<RefSeries> = (1..=2)
            .map(|r| RefSeries {
                series_ref: r,
                labels: Labels::from_pairs([("s", r.to_string())]),
            })
            .collect();
        encode_series(&series, &mut rec);
        w.log(&[&rec]).unwrap();
        for t in 0..10 {
            rec.clear();
            let s: Vec<RefSample> = (1..=2)
                .map(|r| RefSample {
                    series_ref: r,
                    t,
                    v: 1.0,
                })
                .collect();
            encode_samples(&s, &mut rec);
            w.log(&[&rec]).unwrap();
        }
        let finished = w.next_segment().unwrap();
        rec.clear();
        encode_samples(
            &[RefSample {
                series_ref: 1,
                t: 10,
                v: 2.0,
            }],
            &mut rec,
        );
        w.log(&[&rec]).unwrap();
        w.close().unwrap();

        let stats = checkpoint(dir.path(), finished, |r| r == 1, 5).unwrap();
        assert_eq!((stats.series, stats.samples, stats.segments_removed), (1, 5, 1));
        let (mut series, mut samples) = (0, Vec::new());
        let out = replay(dir.path(), super::super::replay::Recovery::TruncateTail, |r| {
            match r {
                Record::Series(s) => series += s.len(),
                Record::Samples(s) => samples.extend(s.iter().map(|s| (s.series_ref, s.t))),
                _ => {}
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(out.checkpoint, Some(0));
        assert_eq!(series, 1);
        assert_eq!(samples, vec![(1, 5), (1, 6), (1, 7), (1, 8), (1, 9), (1, 10)]);
    }
}
