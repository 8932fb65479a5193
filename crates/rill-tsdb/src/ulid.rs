//! ULIDs for new block directories: 48 bits of Unix milliseconds followed by 80 random bits,
//! written as 26 Crockford base32 characters (the names Prometheus gives its blocks).
//!
//! The random part hashes the time, the process id, a process-wide counter and a randomly keyed
//! `RandomState` (std seeds it from the OS), so two ULIDs made in the same millisecond by the
//! same or different processes differ without pulling in a random-number crate.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A new ULID stamped with the current time.
pub fn new_ulid() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    ulid_at(ms)
}

/// A new ULID for the Unix millisecond `ms` (only the low 48 bits are kept).
pub fn ulid_at(ms: u64) -> String {
    let state = RandomState::new();
    let word = |salt: u64| {
        let mut h = state.build_hasher();
        h.write_u64(ms);
        h.write_u32(std::process::id());
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u64(salt);
        h.finish()
    };
    let random = (u128::from(word(1)) << 64 | u128::from(word(2))) & ((1u128 << 80) - 1);
    let value = u128::from(ms & ((1u64 << 48) - 1)) << 80 | random;
    encode(value)
}

/// Crockford base32 of a 128-bit value, most significant bits first (26 characters; the first
/// one carries the top 3 bits).
fn encode(value: u128) -> String {
    (0..26)
        .rev()
        .map(|i| char::from(CROCKFORD[((value >> (i * 5)) & 31) as usize]))
        .collect()
}

/// The millisecond timestamp encoded in `ulid`, if it is a valid ULID.
pub fn ulid_time(ulid: &str) -> Option<u64> {
    if ulid.len() != 26 {
        return None;
    }
    let mut v: u128 = 0;
    for b in ulid.bytes() {
        let d = CROCKFORD.iter().position(|&c| c == b.to_ascii_uppercase())?;
        v = v.checked_mul(32)?.checked_add(d as u128)?;
    }
    u64::try_from(v >> 80).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulids_encode_time_and_differ() {
        let a = ulid_at(1_700_000_000_000);
        let b = ulid_at(1_700_000_000_000);
        assert_eq!(a.len(), 26);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| CROCKFORD.contains(&c)));
        assert_eq!(ulid_time(&a), Some(1_700_000_000_000));
        // The fixture block written by promtool decodes to a plausible time.
        assert!(ulid_time("01M8A0GXKAW77R0YXT0ZP7J4YW").is_some());
        assert!(ulid_time("nope").is_none());
        assert!(new_ulid() > ulid_at(1_600_000_000_000));
        assert_eq!(encode(0), "00000000000000000000000000");
        assert_eq!(encode(u128::MAX), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
    }
}
