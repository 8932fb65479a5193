//! One sandboxed instance of a module: a wasmtime `Store` with fuel, an epoch deadline and a
//! resource limiter that caps linear memory and charges it to the query's memory tracker.
//!
//! Every method returns `Err(reason)` for anything the module does wrong; the caller prefixes
//! the UDF and module names. Nothing the module does can panic the host: all reads and writes
//! of its memory are bounds-checked slices, all sizes are checked arithmetic.

use std::sync::Arc;

use rill_engine::memory::MemoryTracker;
use rill_model::STALE_NAN_BITS;
use wasmtime::{InstancePre, Memory, ResourceLimiter, Store, Trap, TypedFunc, WasmParams, WasmResults};

use crate::abi::{EXPORT_ALLOC, EXPORT_MEMORY, Layout};
use crate::fuel::FuelBudget;
use crate::runtime::UdfRuntime;

/// Caps memory and tables, charges memory growth to a query's tracker, and remembers why it
/// refused a growth so the error can say so.
pub(crate) struct Limiter {
    max_memory: usize,
    max_table_elements: usize,
    tracker: Option<Arc<MemoryTracker>>,
    charged: usize,
    violation: Option<String>,
}

impl Limiter {
    fn refuse(&mut self, reason: String) -> wasmtime::Result<bool> {
        self.violation = Some(reason.clone());
        Err(wasmtime::Error::msg(reason))
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max_memory {
            return self.refuse(format!(
                "linear memory would grow to {desired} bytes, over the cap of {} bytes",
                self.max_memory
            ));
        }
        if maximum.is_some_and(|m| desired > m) {
            return Ok(false);
        }
        let grow = desired.saturating_sub(current);
        if let Some(tracker) = &self.tracker {
            if let Err(e) = tracker.try_grow(grow) {
                return self.refuse(format!("linear memory growth to {desired} bytes refused: {e}"));
            }
            self.charged += grow;
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max_table_elements {
            return self.refuse(format!(
                "table would grow to {desired} elements, over the cap of {}",
                self.max_table_elements
            ));
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }
}

impl Drop for Limiter {
    fn drop(&mut self) {
        if let Some(tracker) = &self.tracker {
            tracker.shrink(self.charged);
        }
    }
}

/// What a store carries.
pub(crate) struct StoreState {
    limiter: Limiter,
}

/// The host's scratch buffer inside the module's memory (from `rill_alloc`).
#[derive(Clone, Copy)]
struct Buffer {
    ptr: usize,
    cap: usize,
}

/// One instance under the sandbox limits.
pub(crate) struct Sandbox {
    store: Store<StoreState>,
    instance: wasmtime::Instance,
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    buffer: Option<Buffer>,
    limits: CallLimits,
    /// The query's budget, shared with every other call site of the query.
    budget: Arc<FuelBudget>,
}

/// What bounds one call (and the start function), and how the errors name it.
struct CallLimits {
    fuel_per_call: u64,
    deadline_ticks: u64,
    deadline_text: String,
    max_stack: usize,
}

/// Parameters of a range function call.
pub(crate) type RangeParams = (i32, i32, i32, i32, i32, i32, i32, i32, i32);
/// Parameters of an element-wise function call.
pub(crate) type ElementParams = (i32, i32, i32, i32, i32, i32);

/// The address `base + off` as the i32 wasm passes around (bits, not sign, matter).
fn addr(base: usize, off: usize) -> Result<i32, String> {
    u32::try_from(base + off)
        .map(|a| a as i32)
        .map_err(|_| "address beyond 4 GiB".to_string())
}

/// A count as an i32 parameter.
fn count(n: usize) -> Result<i32, String> {
    i32::try_from(n).map_err(|_| format!("batch of {n} items is too large"))
}

/// The bytes `[from, to)` of `mem`, or an error naming what was out of bounds.
fn region(mem: &mut [u8], from: usize, len: usize) -> Result<&mut [u8], String> {
    let size = mem.len();
    from.checked_add(len)
        .and_then(|to| mem.get_mut(from..to))
        .ok_or_else(|| format!("buffer at {from:#x}+{len} is outside the {size}-byte memory"))
}

/// Writes little-endian 8-byte values.
fn write_words(dst: &mut [u8], words: impl Iterator<Item = [u8; 8]>) {
    for (chunk, w) in dst.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&w);
    }
}

/// A returned float, with NaN payloads normalized; the staleness marker is refused because
/// it would make a series look stale downstream (a NaN-boxing trick).
fn check_value(v: f64, i: usize) -> Result<f64, String> {
    if v.to_bits() == STALE_NAN_BITS {
        Err(format!(
            "returned Prometheus's staleness-marker NaN at result {i} (NaN payloads may not carry meaning)"
        ))
    } else if v.is_nan() {
        Ok(f64::NAN)
    } else {
        Ok(v)
    }
}

impl Sandbox {
    /// Instantiates under the limits (start function included, its fuel taken from `budget`),
    /// charging memory to `tracker`.
    pub(crate) fn new(
        runtime: &UdfRuntime,
        pre: &InstancePre<StoreState>,
        tracker: Option<Arc<MemoryTracker>>,
        budget: Arc<FuelBudget>,
    ) -> Result<Sandbox, String> {
        let limits = runtime.limits();
        let state = StoreState {
            limiter: Limiter {
                max_memory: limits.max_memory_bytes,
                max_table_elements: limits.max_table_elements,
                tracker,
                charged: 0,
                violation: None,
            },
        };
        let mut store = Store::new(runtime.engine(), state);
        store.limiter(|s| &mut s.limiter);
        store.epoch_deadline_trap();
        let call_limits = CallLimits {
            fuel_per_call: limits.fuel_per_call,
            deadline_ticks: limits.deadline_ticks(),
            deadline_text: format!("{:?}", limits.call_deadline),
            max_stack: limits.max_wasm_stack_bytes,
        };
        let fuel = take_fuel(&budget, call_limits.fuel_per_call)?;
        store.set_fuel(fuel).map_err(|e| e.to_string())?;
        store.set_epoch_deadline(call_limits.deadline_ticks);
        let instantiated = pre.instantiate(&mut store);
        budget.give_back(store.get_fuel().unwrap_or(0));
        let instance = match instantiated {
            Ok(i) => i,
            Err(e) => {
                let reason = describe_failure(&store, &e, fuel, &call_limits, &budget);
                return Err(format!("instantiation failed: {reason}"));
            }
        };
        let memory = instance
            .get_memory(&mut store, EXPORT_MEMORY)
            .ok_or("does not export its memory as \"memory\"")?;
        let alloc = instance
            .get_typed_func::<i32, i32>(&mut store, EXPORT_ALLOC)
            .map_err(|e| format!("export {EXPORT_ALLOC}: {e}"))?;
        Ok(Sandbox {
            store,
            instance,
            memory,
            alloc,
            buffer: None,
            limits: call_limits,
            budget,
        })
    }

    /// An exported function of the instance with the given parameter types.
    pub(crate) fn func<P: WasmParams, R: WasmResults>(&mut self, name: &str) -> Result<TypedFunc<P, R>, String> {
        self.instance
            .get_typed_func::<P, R>(&mut self.store, name)
            .map_err(|e| format!("export {name}: {e}"))
    }

    /// Calls `f` under the per-call fuel (taken from the query's budget) and the deadline.
    pub(crate) fn call<P: WasmParams, R: WasmResults>(&mut self, f: &TypedFunc<P, R>, params: P) -> Result<R, String> {
        let fuel = take_fuel(&self.budget, self.limits.fuel_per_call)?;
        self.store.set_fuel(fuel).map_err(|e| e.to_string())?;
        self.store.set_epoch_deadline(self.limits.deadline_ticks);
        let result = f.call(&mut self.store, params);
        self.budget.give_back(self.store.get_fuel().unwrap_or(0));
        result.map_err(|e| describe_failure(&self.store, &e, fuel, &self.limits, &self.budget))
    }

    /// Makes sure the scratch buffer holds `size` bytes, asking `rill_alloc` for more if not.
    fn buffer(&mut self, size: usize) -> Result<usize, String> {
        if let Some(b) = self.buffer.filter(|b| b.cap >= size) {
            return Ok(b.ptr);
        }
        let cap = size.max(self.buffer.map_or(0, |b| b.cap.saturating_mul(2))).max(4096);
        let want = count(cap)?;
        let alloc = self.alloc.clone();
        let raw = self
            .call(&alloc, want)
            .map_err(|e| format!("{EXPORT_ALLOC}({cap}): {e}"))?;
        let ptr = raw as u32 as usize;
        let mem_size = self.memory.data_size(&self.store);
        if !ptr.is_multiple_of(8) {
            return Err(format!("{EXPORT_ALLOC}({cap}) returned unaligned pointer {ptr:#x}"));
        }
        if ptr.checked_add(cap).is_none_or(|end| end > mem_size) {
            return Err(format!(
                "{EXPORT_ALLOC}({cap}) returned pointer {ptr:#x}, outside its {mem_size}-byte memory"
            ));
        }
        self.buffer = Some(Buffer { ptr, cap });
        Ok(ptr)
    }

    /// The module's memory from `ptr` for `len` bytes, or an error if out of bounds.
    pub(crate) fn read(&self, ptr: usize, len: usize) -> Result<Vec<u8>, String> {
        let mem = self.memory.data(&self.store);
        ptr.checked_add(len)
            .and_then(|end| mem.get(ptr..end))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| format!("pointer {ptr:#x}+{len} is outside the {}-byte memory", mem.len()))
    }

    /// Checks a function's returned count and reads `n` results and presence flags.
    fn results(&self, ret: i32, n: usize, ptr: usize, layout: &Layout, out: &mut [Option<f64>]) -> Result<(), String> {
        if ret < 0 {
            return Err(format!("reported error code {ret}"));
        }
        if ret as usize != n {
            return Err(format!("returned {ret} results for a batch of {n}"));
        }
        let mem = self.memory.data(&self.store);
        let values = ptr
            .checked_add(layout.out)
            .and_then(|from| mem.get(from..from + n * 8))
            .ok_or("result buffer is no longer inside memory")?;
        let flags = mem
            .get(ptr + layout.present..ptr + layout.present + n)
            .ok_or("presence flags are no longer inside memory")?;
        for (i, ((slot, chunk), &flag)) in out.iter_mut().zip(values.chunks_exact(8)).zip(flags).enumerate() {
            *slot = match flag {
                0 => None,
                1 => {
                    let mut word = [0u8; 8];
                    word.copy_from_slice(chunk);
                    Some(check_value(f64::from_le_bytes(word), i)?)
                }
                other => return Err(format!("returned presence flag {other} at result {i} (must be 0 or 1)")),
            };
        }
        Ok(())
    }

    /// Runs a range function over one series' batch.
    pub(crate) fn call_range(
        &mut self,
        f: &TypedFunc<RangeParams, i32>,
        w: &rill_engine::functions::batch::SeriesWindows<'_>,
        out: &mut [Option<f64>],
    ) -> Result<(), String> {
        use crate::abi::{NO_PREVIOUS, StepRecord};
        let (n, s) = (w.samples.len(), w.steps.len());
        let layout = Layout::range(n, s, w.n_args).ok_or("batch too large")?;
        let ptr = self.buffer(layout.size)?;
        let mut records = Vec::with_capacity(s);
        for st in w.steps {
            records.push(StepRecord {
                range_start: st.range_start,
                range_end: st.range_end,
                start: count(st.start)?,
                end: count(st.end)?,
                prev: st.prev.map_or(Ok(NO_PREVIOUS), count)?,
            });
        }
        let mem = self.memory.data_mut(&mut self.store);
        let buf = region(mem, ptr, layout.size)?;
        write_words(
            &mut buf[layout.ts..layout.values],
            w.samples.iter().map(|p| p.t.to_le_bytes()),
        );
        write_words(
            &mut buf[layout.values..layout.steps],
            w.samples.iter().map(|p| p.f.to_le_bytes()),
        );
        for (chunk, r) in buf[layout.steps..layout.args].chunks_exact_mut(32).zip(&records) {
            chunk.copy_from_slice(&r.to_bytes());
        }
        write_words(
            &mut buf[layout.args..layout.out],
            w.args.iter().map(|a| a.to_le_bytes()),
        );
        buf[layout.out..layout.size].fill(0);
        let params = (
            addr(ptr, layout.ts)?,
            addr(ptr, layout.values)?,
            count(n)?,
            addr(ptr, layout.steps)?,
            count(s)?,
            addr(ptr, layout.args)?,
            count(w.n_args)?,
            addr(ptr, layout.out)?,
            addr(ptr, layout.present)?,
        );
        let ret = self.call(f, params)?;
        self.results(ret, s, ptr, &layout, out)
    }

    /// Runs an element-wise function over one series' values.
    pub(crate) fn call_elementwise(
        &mut self,
        f: &TypedFunc<ElementParams, i32>,
        values: &[f64],
        args: &[f64],
        n_args: usize,
        out: &mut [Option<f64>],
    ) -> Result<(), String> {
        let n = values.len();
        let layout = Layout::elementwise(n, n_args).ok_or("batch too large")?;
        let ptr = self.buffer(layout.size)?;
        let mem = self.memory.data_mut(&mut self.store);
        let buf = region(mem, ptr, layout.size)?;
        write_words(
            &mut buf[layout.values..layout.args],
            values.iter().map(|v| v.to_le_bytes()),
        );
        write_words(&mut buf[layout.args..layout.out], args.iter().map(|a| a.to_le_bytes()));
        buf[layout.out..layout.size].fill(0);
        let params = (
            addr(ptr, layout.values)?,
            count(n)?,
            addr(ptr, layout.args)?,
            count(n_args)?,
            addr(ptr, layout.out)?,
            addr(ptr, layout.present)?,
        );
        let ret = self.call(f, params)?;
        self.results(ret, n, ptr, &layout, out)
    }
}

/// Takes the fuel for one call (at most `per_call`) from the query's budget, or fails when
/// the budget is spent.
fn take_fuel(budget: &FuelBudget, per_call: u64) -> Result<u64, String> {
    match budget.take(per_call) {
        0 => Err(query_fuel_exhausted(budget)),
        fuel => Ok(fuel),
    }
}

/// The error of a call that ran out of the query's fuel budget.
fn query_fuel_exhausted(budget: &FuelBudget) -> String {
    format!(
        "exhausted its fuel budget of {} instructions per query (shared by all UDF calls of the query)",
        budget.total()
    )
}

/// Why a call or instantiation that ran with `fuel` failed, in words: the limiter's refusal,
/// fuel (the call's own, or the query's when the call got less than its per-call fuel),
/// deadline, stack, another trap, or wasmtime's own message.
fn describe_failure(
    store: &Store<StoreState>,
    e: &wasmtime::Error,
    fuel: u64,
    limits: &CallLimits,
    budget: &FuelBudget,
) -> String {
    if let Some(v) = &store.data().limiter.violation {
        return v.clone();
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) if fuel < limits.fuel_per_call => query_fuel_exhausted(budget),
        Some(Trap::OutOfFuel) => format!(
            "exhausted its fuel budget of {} instructions per call",
            limits.fuel_per_call
        ),
        Some(Trap::Interrupt) => format!("ran past its deadline of {} per call", limits.deadline_text),
        Some(Trap::StackOverflow) => format!("overflowed its stack (limit {} bytes)", limits.max_stack),
        Some(t) => format!("trapped: {}", t.to_string().trim_start_matches("wasm trap: ")),
        None => format!("{e}"),
    }
}
