//! The per-query fuel budget: one pool of instructions shared by every UDF call of a query,
//! whatever the call site (a query calling a UDF ten times gets one budget, not ten).
//!
//! ```text
//!  QueryContext::extension::<QueryFuel>() ─► budget of this runtime (created on first use)
//!     call site 1: Sandbox ─┐  take(min(per call, left)) ─► run ─► give back what is unused
//!     call site 2: Sandbox ─┴─► same Arc<FuelBudget>
//! ```
//! Fuel is *taken* before a call and the unused rest given back after it, so call sites
//! running in parallel can never spend more than the budget together (a call that finds the
//! budget reserved by others runs with less and may fail as over the query's budget).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use rill_engine::QueryContext;

use crate::runtime::UdfRuntime;

/// Instructions left for a query (or a module load).
pub(crate) struct FuelBudget {
    total: u64,
    left: AtomicU64,
}

impl FuelBudget {
    /// A budget of `total` instructions.
    pub(crate) fn new(total: u64) -> Arc<FuelBudget> {
        Arc::new(FuelBudget {
            total,
            left: AtomicU64::new(total),
        })
    }

    /// Takes up to `want` instructions; returns how many were taken (0 when none are left).
    pub(crate) fn take(&self, want: u64) -> u64 {
        let before = self
            .left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| Some(left - left.min(want)))
            .unwrap_or_else(|left| left);
        before.min(want)
    }

    /// Returns `n` instructions a call took but did not use.
    pub(crate) fn give_back(&self, n: u64) {
        self.left.fetch_add(n, Ordering::AcqRel);
    }

    /// The budget's size.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }
}

/// The fuel budgets of one query, one per runtime (runtimes may have different limits);
/// lives in the query's [`QueryContext`] as an extension.
#[derive(Default)]
pub(crate) struct QueryFuel {
    budgets: Mutex<HashMap<u64, Arc<FuelBudget>>>,
}

impl QueryFuel {
    /// The budget every call of `runtime`'s UDFs in the query of `cx` shares.
    pub(crate) fn of(cx: &mut QueryContext, runtime: &UdfRuntime) -> Arc<FuelBudget> {
        let fuel = cx.extension::<QueryFuel>();
        let mut budgets = fuel.budgets.lock();
        budgets
            .entry(runtime.id())
            .or_insert_with(|| FuelBudget::new(runtime.limits().fuel_per_query))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_never_hands_out_more_than_is_left() {
        let b = FuelBudget::new(100);
        assert_eq!(b.take(60), 60);
        assert_eq!(b.take(60), 40);
        assert_eq!(b.take(60), 0);
        b.give_back(15);
        assert_eq!(b.take(60), 15);
        assert_eq!(b.total(), 100);
    }

    #[test]
    fn parallel_takers_share_one_budget() {
        let b = FuelBudget::new(1_000_000);
        let taken: u64 = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| (0..100_000).map(|_| b.take(7)).sum::<u64>()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
        });
        assert_eq!(taken, 1_000_000);
    }

    #[test]
    fn one_budget_per_query_and_runtime() {
        let rt = UdfRuntime::new(crate::UdfLimits::default()).unwrap();
        let other = UdfRuntime::new(crate::UdfLimits::default()).unwrap();
        let mut cx = QueryContext::unlimited();
        let a = QueryFuel::of(&mut cx, &rt);
        assert_eq!(a.take(5), 5);
        assert!(Arc::ptr_eq(&a, &QueryFuel::of(&mut cx, &rt)));
        assert!(!Arc::ptr_eq(&a, &QueryFuel::of(&mut cx, &other)));
        let next_query = QueryFuel::of(&mut QueryContext::unlimited(), &rt);
        assert!(!Arc::ptr_eq(&a, &next_query));
    }
}
