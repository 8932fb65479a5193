//! The UDF ABI, version 1: export names, function types, the step record and the layout of
//! the one buffer through which a batch crosses into the module (see `ABI.md`).
//!
//! ```text
//!  range batch buffer (8-aligned, from rill_alloc):
//!  ┌ ts i64[n] ┬ values f64[n] ┬ steps 32 B × s ┬ args f64[s·a] ┬ out f64[s] ┬ present u8[s] ┐
//!  element-wise buffer:
//!  ┌ values f64[n] ┬ args f64[n·a] ┬ out f64[n] ┬ present u8[n] ┐
//! ```
//! Pure data: no wasmtime here, so this module builds without the `wasm` feature.

/// Version of the ABI; the manifest's first line is `rill-udf 1`.
pub const ABI_VERSION: u32 = 1;
/// The exported linear memory.
pub const EXPORT_MEMORY: &str = "memory";
/// `rill_alloc(size: i32) -> i32`: an 8-aligned buffer of `size` bytes; never freed by Rill.
pub const EXPORT_ALLOC: &str = "rill_alloc";
/// `rill_manifest() -> i64`: the manifest text, `ptr | len << 32`.
pub const EXPORT_MANIFEST: &str = "rill_manifest";
/// Parameters of a range function: `ts, values, n_samples, steps, n_steps, args, n_args, out, present`.
pub const RANGE_PARAMS: usize = 9;
/// Parameters of an element-wise function: `values, n, args, n_args, out, present`.
pub const ELEMENTWISE_PARAMS: usize = 6;
/// Size of one step record: `range_start i64, range_end i64, start i32, end i32, prev i32, reserved i32`.
pub const STEP_RECORD_BYTES: usize = 32;
/// `prev` in a step record when the step has no sample before its window.
pub const NO_PREVIOUS: i32 = -1;
/// Largest manifest Rill reads.
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024;

/// Byte offsets (relative to the buffer) of the arrays of one call, and the buffer size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Sample timestamps (range functions; equal to `values` for element-wise ones).
    pub ts: usize,
    /// Sample values (element-wise: the input values).
    pub values: usize,
    /// Step records (range functions only).
    pub steps: usize,
    /// Scalar arguments, row-major per step / point.
    pub args: usize,
    /// Output values.
    pub out: usize,
    /// Output presence flags (one byte each, 0 or 1).
    pub present: usize,
    /// Total bytes.
    pub size: usize,
}

/// Running offset that fails (with `None`) instead of overflowing.
fn advance(at: usize, count: usize, width: usize) -> Option<usize> {
    at.checked_add(count.checked_mul(width)?)
}

impl Layout {
    /// The layout for a range call over `n_samples` samples, `n_steps` steps and `n_args` arguments.
    pub fn range(n_samples: usize, n_steps: usize, n_args: usize) -> Option<Layout> {
        let ts = 0;
        let values = advance(ts, n_samples, 8)?;
        let steps = advance(values, n_samples, 8)?;
        let args = advance(steps, n_steps, STEP_RECORD_BYTES)?;
        let out = advance(args, n_steps.checked_mul(n_args)?, 8)?;
        let present = advance(out, n_steps, 8)?;
        let size = advance(present, n_steps, 1)?;
        Some(Layout {
            ts,
            values,
            steps,
            args,
            out,
            present,
            size,
        })
    }

    /// The layout for an element-wise call over `n` values and `n_args` arguments.
    pub fn elementwise(n: usize, n_args: usize) -> Option<Layout> {
        let values = 0;
        let args = advance(values, n, 8)?;
        let out = advance(args, n.checked_mul(n_args)?, 8)?;
        let present = advance(out, n, 8)?;
        let size = advance(present, n, 1)?;
        Some(Layout {
            ts: values,
            values,
            steps: args,
            args,
            out,
            present,
            size,
        })
    }
}

/// One step record, as written into the module's memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepRecord {
    /// Window start (data time, ms, exclusive).
    pub range_start: i64,
    /// Window end (data time, ms, inclusive).
    pub range_end: i64,
    /// Index of the first sample in the window.
    pub start: i32,
    /// One past the index of the last sample in the window.
    pub end: i32,
    /// Index of the sample before the window, or [`NO_PREVIOUS`].
    pub prev: i32,
}

impl StepRecord {
    /// The record's little-endian bytes.
    pub fn to_bytes(&self) -> [u8; STEP_RECORD_BYTES] {
        let mut b = [0u8; STEP_RECORD_BYTES];
        b[0..8].copy_from_slice(&self.range_start.to_le_bytes());
        b[8..16].copy_from_slice(&self.range_end.to_le_bytes());
        b[16..20].copy_from_slice(&self.start.to_le_bytes());
        b[20..24].copy_from_slice(&self.end.to_le_bytes());
        b[24..28].copy_from_slice(&self.prev.to_le_bytes());
        b
    }
}

/// Splits `rill_manifest`'s result into `(ptr, len)`.
pub fn unpack_manifest(packed: i64) -> (u32, u32) {
    let bits = packed as u64;
    ((bits & 0xffff_ffff) as u32, (bits >> 32) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_layout_is_packed_and_aligned() {
        let l = Layout::range(3, 2, 1).unwrap();
        assert_eq!(
            (l.ts, l.values, l.steps, l.args, l.out, l.present),
            (0, 24, 48, 112, 128, 144)
        );
        assert_eq!(l.size, 146);
        assert_eq!(Layout::range(usize::MAX / 4, 1, 0), None);
    }

    #[test]
    fn elementwise_layout() {
        let l = Layout::elementwise(4, 2).unwrap();
        assert_eq!((l.values, l.args, l.out, l.present, l.size), (0, 32, 96, 128, 132));
    }

    #[test]
    fn step_record_bytes_are_little_endian() {
        let r = StepRecord {
            range_start: 1,
            range_end: 2,
            start: 3,
            end: 4,
            prev: NO_PREVIOUS,
        };
        let b = r.to_bytes();
        assert_eq!(b[0], 1);
        assert_eq!(b[8], 2);
        assert_eq!(b[16], 3);
        assert_eq!(b[20], 4);
        assert_eq!(&b[24..28], &[0xff; 4]);
        assert_eq!(&b[28..32], &[0; 4]);
    }

    #[test]
    fn manifest_pointer_unpacks() {
        assert_eq!(unpack_manifest((12 << 32) | 1024), (1024, 12));
        assert_eq!(unpack_manifest(-1), (u32::MAX, u32::MAX));
    }
}
