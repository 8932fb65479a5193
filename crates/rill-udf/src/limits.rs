//! Sandbox limits for UDF modules, each with a safe default.

use std::time::Duration;

/// Limits applied to every UDF module, from instantiation (its start function included) on.
#[derive(Clone, Debug, PartialEq)]
pub struct UdfLimits {
    /// Largest module file accepted (`.wasm` or `.wat`), in bytes.
    pub max_module_bytes: usize,
    /// Linear memory cap of one instance, in bytes (also charged to the query's memory limit).
    pub max_memory_bytes: usize,
    /// Table elements cap of one instance.
    pub max_table_elements: usize,
    /// Instructions (fuel) one call may execute.
    pub fuel_per_call: u64,
    /// Instructions all UDF calls of one query may execute together: every call site and every
    /// function of the runtime's modules draw on this one budget (and a module's load, on a
    /// budget of its own).
    pub fuel_per_query: u64,
    /// Wall-clock time one call may run (enforced by epoch interruption).
    pub call_deadline: Duration,
    /// Granularity of the deadline: how often the epoch ticker thread ticks.
    pub epoch_tick: Duration,
    /// Instances alive at once across all queries (the size of the pooling allocator).
    pub max_instances: u32,
    /// Bytes of stack a module may use (deep recursion traps beyond it).
    pub max_wasm_stack_bytes: usize,
}

impl Default for UdfLimits {
    fn default() -> Self {
        UdfLimits {
            max_module_bytes: 8 << 20,
            max_memory_bytes: 64 << 20,
            max_table_elements: 10_000,
            fuel_per_call: 2_000_000_000,
            fuel_per_query: 20_000_000_000,
            call_deadline: Duration::from_secs(5),
            epoch_tick: Duration::from_millis(10),
            max_instances: 64,
            max_wasm_stack_bytes: 512 << 10,
        }
    }
}

impl UdfLimits {
    /// The call deadline in epoch ticks (at least one).
    pub fn deadline_ticks(&self) -> u64 {
        let tick = self.epoch_tick.as_nanos().max(1);
        (self.call_deadline.as_nanos().div_ceil(tick)).clamp(1, u128::from(u64::MAX)) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_rounds_up_to_whole_ticks() {
        let l = UdfLimits {
            call_deadline: Duration::from_millis(25),
            epoch_tick: Duration::from_millis(10),
            ..UdfLimits::default()
        };
        assert_eq!(l.deadline_ticks(), 3);
        assert_eq!(UdfLimits::default().deadline_ticks(), 500);
    }
}
