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

/// Writes an empty tombstones file (magic, version 1, CRC of no stones) into `dir`.
pub(crate) fn write_empty_tombstones(dir: &Path) -> Result<()> {
    let mut e = Encbuf::default();
    e.put_be32(TOMBSTONES_MAGIC);
    e.put_byte(1);
    e.put_crc_from(5);
    write_file_synced(&dir.join("tombstones"), e.bytes())
}
