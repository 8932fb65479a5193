//! Writes the small files of a block: `meta.json` (tab-indented, as Prometheus writes it) and
//! the empty `tombstones` file.

use std::path::Path;

use serde::Serialize;

use super::encbuf::Encbuf;
use crate::block::meta::BlockMeta;
use crate::error::{Error, Result};
use crate::fsutil::write_file_synced;

const TOMBSTONES_MAGIC: u32 = 0x0130_BA30;

/// Writes `meta` as `dir/meta.json` and fsyncs it.
///
/// Overwriting an existing block's meta (to mark it deletable) goes through a temporary file
/// and a rename, so a crash never leaves a truncated `meta.json` behind.
pub(crate) fn write_meta(dir: &Path, meta: &BlockMeta) -> Result<()> {
    let path = dir.join("meta.json");
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    meta.serialize(&mut ser).map_err(|e| Error::Meta {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let tmp = dir.join("meta.json.tmp");
    write_file_synced(&tmp, &out)?;
    crate::fsutil::rename_durably(&tmp, &path)
}

/// Writes `dir/tombstones` holding the deleted intervals `(series_ref, mint, maxt)`
/// (inclusive ms; see `docs/format/tombstones.md`) and fsyncs it. An empty list gives the
/// empty file every new block carries. Replacing an existing file goes through a temporary
/// file and a rename.
pub fn write_tombstones(dir: &Path, stones: &[(u64, i64, i64)]) -> Result<()> {
    let mut e = Encbuf::default();
    e.put_be32(TOMBSTONES_MAGIC);
    e.put_byte(1);
    for &(series, mint, maxt) in stones {
        e.put_uvarint(series);
        e.put_varint(mint);
        e.put_varint(maxt);
    }
    e.put_crc_from(5);
    let tmp = dir.join("tombstones.tmp");
    write_file_synced(&tmp, e.bytes())?;
    crate::fsutil::rename_durably(&tmp, &dir.join("tombstones"))
}
