//! The demo dataset on disk: [`ensure_demo_dir`] fills a data directory that does not exist
//! yet (or exists but is empty) with `rill_codec::demo`'s dataset as a real block, so `rill
//! serve` without `--data` opens a normal data directory from then on.
//!
//! The block is written into a temporary directory beside the target (`<dir>.tmp-demo`),
//! fsynced, and renamed into place, so a crash while filling never leaves a half-filled
//! directory that a later start would take for a complete one (the leftover temporary directory
//! is removed on the next attempt).

use std::path::{Path, PathBuf};

use rill_codec::demo::{DEMO_END_MS, DEMO_START_MS, demo_dataset};
use rill_model::MemoryStore;

use crate::block::writer::BlockWriter;
use crate::error::{Error, Result};
use crate::fsutil::{remove_dir_quietly, rename_durably};

/// Suffix of the temporary directory a demo fill is written to.
const TMP_DEMO_SUFFIX: &str = ".tmp-demo";

/// What [`ensure_demo_dir`] found or did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DemoDir {
    /// The directory already held data; nothing was written.
    Existing,
    /// The directory was created (or was empty) and now holds the demo dataset.
    Filled {
        /// Series written.
        series: u64,
        /// Samples written.
        samples: u64,
    },
}

/// Whether `dir` is missing or an empty directory.
fn is_missing_or_empty(dir: &Path) -> Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(Error::io(dir, e)),
    }
}

/// The temporary sibling `<dir>.tmp-demo`.
fn tmp_sibling(dir: &Path) -> Result<PathBuf> {
    let name = dir
        .file_name()
        .ok_or_else(|| Error::Invalid(format!("{}: not a directory name", dir.display())))?;
    let mut tmp = name.to_os_string();
    tmp.push(TMP_DEMO_SUFFIX);
    Ok(dir.with_file_name(tmp))
}

/// Fills `dir` with the demo dataset if it does not exist or is empty; see the module docs.
/// A directory holding anything at all is left alone ([`DemoDir::Existing`]).
pub fn ensure_demo_dir(dir: &Path) -> Result<DemoDir> {
    if !is_missing_or_empty(dir)? {
        return Ok(DemoDir::Existing);
    }
    let tmp = tmp_sibling(dir)?;
    remove_dir_quietly(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let filled = write_demo_block(&tmp).and_then(|stats| {
        // `rename` replaces an empty directory on Unix, so an empty `dir` is filled too.
        rename_durably(&tmp, dir)?;
        Ok(stats)
    });
    if filled.is_err() {
        remove_dir_quietly(&tmp);
    }
    filled
}

/// Writes the demo dataset as one block into `data_dir`.
fn write_demo_block(data_dir: &Path) -> Result<DemoDir> {
    let mut store = MemoryStore::new();
    demo_dataset(&mut store).map_err(|e| Error::Invalid(format!("building the demo dataset: {e}")))?;
    let mut series: Vec<_> = store.iter().collect();
    series.sort_by(|a, b| a.0.cmp(b.0));
    let mut writer = BlockWriter::new(data_dir, DEMO_START_MS, DEMO_END_MS.saturating_add(1))?;
    for (labels, samples) in &series {
        writer.add_series(labels, samples.iter().cloned())?;
    }
    let samples = writer.num_samples();
    writer.finish()?;
    Ok(DemoDir::Filled {
        series: series.len() as u64,
        samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BlockSet;

    #[test]
    fn fills_missing_and_empty_dirs_once_and_leaves_others_alone() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("rill-data");
        let DemoDir::Filled { series, samples } = ensure_demo_dir(&dir).unwrap() else {
            panic!("a missing directory is filled");
        };
        assert!(series > 300 && samples > series * 400, "{series} {samples}");
        assert_eq!(BlockSet::open(&dir).unwrap().blocks().len(), 1);
        // The block holds exactly the in-memory demo dataset.
        let mut store = MemoryStore::new();
        demo_dataset(&mut store).unwrap();
        let mut want: Vec<_> = store.iter().map(|(l, s)| (l.clone(), s.to_vec())).collect();
        want.sort_by(|a, b| a.0.cmp(&b.0));
        crate::test_util::assert_data(&dir, &want);
        assert!(!root.path().join("rill-data.tmp-demo").exists());
        // A second start finds it filled.
        assert_eq!(ensure_demo_dir(&dir).unwrap(), DemoDir::Existing);
        assert_eq!(BlockSet::open(&dir).unwrap().blocks().len(), 1);

        let empty = root.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(matches!(ensure_demo_dir(&empty).unwrap(), DemoDir::Filled { .. }));

        let other = root.path().join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("x"), b"").unwrap();
        assert_eq!(ensure_demo_dir(&other).unwrap(), DemoDir::Existing);
        assert!(BlockSet::open(&other).unwrap().blocks().is_empty());
    }

    #[test]
    fn a_leftover_temporary_fill_is_replaced() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("d");
        let tmp = root.path().join("d.tmp-demo");
        std::fs::create_dir(&tmp).unwrap();
        std::fs::write(tmp.join("half-written"), b"x").unwrap();
        assert!(matches!(ensure_demo_dir(&dir).unwrap(), DemoDir::Filled { .. }));
        assert!(!dir.join("half-written").exists());
        assert!(!tmp.exists());
    }
}
