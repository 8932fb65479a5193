//! Query-tee: one PromQL query sent to two Prometheus-API servers (a reference and the server
//! under test), each answer timed, and the two answers compared by the rules of the shared
//! `promcompare.py` (result type, label sets, exact timestamps, values within a relative
//! 1e-9 / absolute 1e-12, NaN equal to NaN, value order under a top-level `sort` /
//! `sort_desc`; both erroring counts as agreement). The `rill tee` command and the differential
//! scripts build on it.
//!
//! ```text
//! TeeClient::run(ref, test, &TeeQuery) ─► (Reply, Reply) ─► compare_replies ─► Vec<Difference>
//! ```

mod client;
mod compare;
mod difference;

pub use client::{Outcome, Reply, TeeClient, TeeError, TeeQuery};
pub use compare::{CompareOptions, compare_data, compare_replies, is_sorted_query};
pub use difference::{Difference, Side, format_differences};
