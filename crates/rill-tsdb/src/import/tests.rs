//! Import tests.
