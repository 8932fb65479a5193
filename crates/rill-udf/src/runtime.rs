//! The shared wasmtime engine for UDFs: fuel metering, epoch interruption driven by a ticker
//! thread, NaN canonicalization, and the pooling instance allocator.
//!
//! Why a pool *and* a store per query: each query's call of a UDF gets its own `Store` and
//! instance, so no state (and no corruption left by a trap) leaks between queries, and
//! dropping the store at the end of the query frees everything. The pooling allocator makes
//! that cheap (instance slots and memories are reserved once and reused, instantiation is a
//! few microseconds) and bounds the number of live instances process-wide.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::limits::UdfLimits;

/// A wasmtime engine configured for sandboxed UDFs, plus its epoch ticker thread (which stops
/// by itself once the engine is dropped). Shared by every module it loads.
pub struct UdfRuntime {
    engine: Engine,
    limits: UdfLimits,
    /// Unique in the process: keys the runtime's per-query fuel budget.
    id: u64,
}

/// The next [`UdfRuntime`] id.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

impl UdfRuntime {
    /// A runtime enforcing `limits`; fails if wasmtime cannot reserve the instance pool.
    pub fn new(limits: UdfLimits) -> Result<Arc<UdfRuntime>, String> {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_core_instances(limits.max_instances)
            .total_memories(limits.max_instances)
            .total_tables(limits.max_instances)
            .max_memories_per_module(1)
            .max_tables_per_module(1)
            .max_memory_size(limits.max_memory_bytes)
            .table_elements(limits.max_table_elements);
        let mut config = Config::new();
        config
            .consume_fuel(true)
            .epoch_interruption(true)
            .max_wasm_stack(limits.max_wasm_stack_bytes)
            .cranelift_nan_canonicalization(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(|e| format!("cannot start the WebAssembly runtime: {e}"))?;
        let weak = engine.weak();
        let tick = limits.epoch_tick;
        thread::Builder::new()
            .name("rill-udf-epoch".to_string())
            .spawn(move || {
                loop {
                    thread::sleep(tick);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .map_err(|e| format!("cannot start the epoch ticker thread: {e}"))?;
        Ok(Arc::new(UdfRuntime {
            engine,
            limits,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        }))
    }

    /// The wasmtime engine.
    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The runtime's process-unique id.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The limits every module of this runtime runs under.
    pub fn limits(&self) -> &UdfLimits {
        &self.limits
    }
}
