//! Appends records to the WAL: fragments them into 32 KiB pages, cuts segments, and fsyncs
//! according to the [`FsyncPolicy`]. A [`WalWriter::log`] call returns only after its records
//! reached the OS (and the disk, for `Always`), which is what makes a commit an acknowledgement.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use super::fsync_stats::FsyncStats;
use super::segment::{segment_path, sync_dir};
use super::{FRAGMENT_HEADER, FsyncPolicy, PAGE_SIZE, WalOptions};
use crate::error::{Error, Result};

/// Fragment type bytes written by Rill.
const FULL: u8 = 1;
const FIRST: u8 = 2;
const MIDDLE: u8 = 3;
const LAST: u8 = 4;
const SNAPPY: u8 = 0x08;

/// An open WAL being appended to (always a fresh segment after open).
pub struct WalWriter {
    dir: PathBuf,
    opts: WalOptions,
    pages_per_segment: usize,
    file: File,
    index: u64,
    page: Vec<u8>,
    /// Bytes of `page` already written to the file.
    flushed: usize,
    /// Whole pages completed in the current segment.
    done_pages: usize,
    last_sync: Instant,
    compressed: Vec<u8>,
    fsync_stats: Option<Arc<FsyncStats>>,
}

impl WalWriter {
    /// Creates segment `index` in `dir` (which must exist) and appends there.
    pub fn create(dir: &Path, index: u64, opts: WalOptions) -> Result<Self> {
        let file = create_segment(dir, index)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            pages_per_segment: (opts.segment_size / PAGE_SIZE).max(1),
            opts,
            file,
            index,
            page: Vec::with_capacity(PAGE_SIZE),
            flushed: 0,
            done_pages: 0,
            last_sync: Instant::now(),
            compressed: Vec::new(),
            fsync_stats: None,
        })
    }

    /// Records the duration of every later fsync in `stats`.
    pub fn with_fsync_stats(mut self, stats: Arc<FsyncStats>) -> Self {
        self.fsync_stats = Some(stats);
        self
    }

    /// The index of the segment being written.
    pub fn segment_index(&self) -> u64 {
        self.index
    }

    /// The WAL directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn segment_file(&self) -> PathBuf {
        segment_path(&self.dir, self.index)
    }

    /// Bytes of record payload that still fit in the current segment.
    fn capacity_left(&self) -> usize {
        let in_page = PAGE_SIZE.saturating_sub(self.page.len() + FRAGMENT_HEADER);
        let later_pages = self.pages_per_segment.saturating_sub(self.done_pages + 1);
        in_page + later_pages * (PAGE_SIZE - FRAGMENT_HEADER)
    }

    /// Writes `records` (in order) and makes them durable per the fsync policy.
    pub fn log(&mut self, records: &[&[u8]]) -> Result<()> {
        for rec in records {
            self.log_one(rec)?;
        }
        self.flush_page(false)?;
        let sync = match self.opts.fsync {
            FsyncPolicy::Always => true,
            FsyncPolicy::Interval(d) => self.last_sync.elapsed() >= d,
            FsyncPolicy::Never => false,
        };
        if sync {
            self.sync()?;
        }
        Ok(())
    }

    fn log_one(&mut self, rec: &[u8]) -> Result<()> {
        let mut flag = 0;
        let mut rec = rec;
        let compressed;
        if self.opts.compress {
            let mut buf = std::mem::take(&mut self.compressed);
            buf.resize(snap::raw::max_compress_len(rec.len()), 0);
            let n = snap::raw::Encoder::new()
                .compress(rec, &mut buf)
                .map_err(|e| Error::corrupt(&self.segment_file(), 0, format!("snappy: {e}")))?;
            buf.truncate(n);
            compressed = buf;
            rec = &compressed;
            flag = SNAPPY;
        } else {
            compressed = Vec::new();
        }
        let segment_used = self.done_pages > 0 || !self.page.is_empty();
        if rec.len() > self.capacity_left() && segment_used {
            self.next_segment()?;
        }
        let mut first = true;
        loop {
            if PAGE_SIZE - self.page.len() < FRAGMENT_HEADER {
                self.flush_page(true)?;
            }
            let room = PAGE_SIZE - self.page.len() - FRAGMENT_HEADER;
            let (part, rest) = rec.split_at(rec.len().min(room));
            let typ = match (first, rest.is_empty()) {
                (true, true) => FULL,
                (true, false) => FIRST,
                (false, false) => MIDDLE,
                (false, true) => LAST,
            };
            self.page.push(typ | flag);
            self.page.extend_from_slice(&(part.len() as u16).to_be_bytes());
            self.page.extend_from_slice(&crc32c::crc32c(part).to_be_bytes());
            self.page.extend_from_slice(part);
            rec = rest;
            first = false;
            if rec.is_empty() {
                break;
            }
        }
        self.compressed = compressed;
        Ok(())
    }

    /// Writes the unflushed part of the page; `full` pads it to a whole page and starts a new one.
    fn flush_page(&mut self, full: bool) -> Result<()> {
        if full {
            self.page.resize(PAGE_SIZE, 0);
        }
        let path = self.segment_file();
        if let Some(pending) = self.page.get(self.flushed..)
            && !pending.is_empty()
        {
            self.file.write_all(pending).map_err(|e| Error::io(&path, e))?;
        }
        self.flushed = self.page.len();
        if full {
            self.page.clear();
            self.flushed = 0;
            self.done_pages += 1;
        }
        Ok(())
    }

    /// Fsyncs the current segment.
    pub fn sync(&mut self) -> Result<()> {
        let start = Instant::now();
        self.file.sync_data().map_err(|e| Error::io(&self.segment_file(), e))?;
        self.last_sync = Instant::now();
        if let Some(stats) = &self.fsync_stats {
            stats.observe(self.last_sync.duration_since(start));
        }
        Ok(())
    }

    /// Finishes the current segment (flushed and fsynced) and starts the next one; returns the
    /// index of the finished segment.
    pub fn next_segment(&mut self) -> Result<u64> {
        self.flush_page(false)?;
        self.sync()?;
        let finished = self.index;
        self.file = create_segment(&self.dir, finished + 1)?;
        self.index = finished + 1;
        self.page.clear();
        self.flushed = 0;
        self.done_pages = 0;
        Ok(finished)
    }

    /// Flushes and fsyncs everything written so far.
    pub fn close(&mut self) -> Result<()> {
        self.flush_page(false)?;
        self.sync()
    }
}

/// Creates (or truncates) segment `index` and makes its directory entry durable.
fn create_segment(dir: &Path, index: u64) -> Result<File> {
    let path = segment_path(dir, index);
    let file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    sync_dir(dir)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::super::reader::read_segment;
    use super::*;

    fn read_all(dir: &Path, index: u64) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let damage = read_segment(&segment_path(dir, index), |_, r| {
            out.push(r.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(damage, None);
        out
    }

    #[test]
    fn records_span_pages_and_segments() {
        let dir = tempfile::tempdir().unwrap();
        for compress in [false, true] {
            let sub = dir.path().join(format!("c{compress}"));
            std::fs::create_dir(&sub).unwrap();
            let opts = WalOptions {
                segment_size: 2 * PAGE_SIZE,
                fsync: FsyncPolicy::Never,
                compress,
                repair: false,
            };
            let mut w = WalWriter::create(&sub, 0, opts).unwrap();
            let small = vec![7u8; 100];
            let big: Vec<u8> = (0..50_000u32).map(|i| (i * 7919 % 251) as u8).collect();
            w.log(&[&small, &big]).unwrap();
            w.log(&[&big]).unwrap();
            let huge: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
            w.log(&[&huge, &small]).unwrap();
            w.close().unwrap();
            let mut all = Vec::new();
            for i in 0..=w.segment_index() {
                all.extend(read_all(&sub, i));
            }
            assert_eq!(
                all,
                vec![small.clone(), big.clone(), big, huge, small],
                "compress={compress}"
            );
            if !compress {
                assert!(w.segment_index() >= 1);
            }
        }
    }
}
