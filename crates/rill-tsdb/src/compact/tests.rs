//! Compaction tests.
