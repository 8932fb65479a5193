//! Table and instance limits: tables are capped at instantiation and on growth, a module gets
//! at most one memory and one table, and at most `max_instances` instances live at once
//! process-wide; each violation fails only its load or query, naming the UDF or module file.

mod common;

use common::*;
use rill_engine::EngineOptions;
use rill_udf::UdfLimits;

/// Test limits with a table cap of 100 elements.
fn small_tables() -> UdfLimits {
    UdfLimits {
        max_table_elements: 100,
        ..limits()
    }
}

/// A module declaring `fields` (tables, memories) beside one range function `f`.
fn with_fields(fields: &str) -> String {
    wat(
        "rill-udf 1\nrange f(matrix)\n",
        1,
        &format!(r#"{fields} (func (export "f") {RANGE} (local.get 4))"#),
    )
}

#[test]
fn table_growth_stops_at_the_cap() {
    let grow = wat(
        "rill-udf 1\nrange f(matrix)\n",
        16,
        &format!(
            r#"(table $t 1 funcref)
               (func (export "f") {RANGE}
                 (loop $l (drop (table.grow $t (ref.null func) (i32.const 10))) (br $l))
                 (i32.const 0))"#
        ),
    );
    let err = query_error(&grow, small_tables(), EngineOptions::default());
    assert_eq!(
        err,
        "UDF f (evil.wat): table would grow to 101 elements, over the cap of 100"
    );
}

#[test]
fn tables_and_memories_beyond_the_instance_limits_are_refused_at_load() {
    let err = load_error(with_fields("(table 200 funcref)").as_bytes(), small_tables());
    assert!(
        err.contains("table index 0 has a minimum element size of 200 which exceeds the limit of 100"),
        "{err}"
    );
    let err = load_error(with_fields("(memory 1)").as_bytes(), small_tables());
    assert!(
        err.contains("defined memories count of 2 exceeds the per-instance limit of 1"),
        "{err}"
    );
    let err = load_error(
        with_fields("(table 1 funcref) (table 1 funcref)").as_bytes(),
        small_tables(),
    );
    assert!(
        err.contains("defined tables count of 2 exceeds the per-instance limit of 1"),
        "{err}"
    );
    // An initial memory of 80 pages (5 MiB) over the 4 MiB cap.
    let big_memory = with_fields("").replace(r#"(memory (export "memory") 1)"#, r#"(memory (export "memory") 80)"#);
    let err = load_error(big_memory.as_bytes(), limits());
    assert!(
        err.contains("memory has a minimum byte size of 5242880 which exceeds the limit of 0x400000 bytes"),
        "{err}"
    );
}

#[test]
fn live_instances_are_capped_process_wide() {
    let rt = runtime(UdfLimits {
        max_instances: 2,
        ..limits()
    });
    let m = module("evil.wat", range_fn("(local.get 4)").as_bytes(), &rt);
    let e = engine(&[&m], EngineOptions::default());
    let s = data();
    // Every call site of a query holds an instance until the query ends: three need three.
    let err = e
        .instant_query(&s, "f(m[1m]) + f(m[1m]) + f(m[1m])", 300_000)
        .expect_err("a third live instance is refused");
    assert_eq!(
        err.to_string(),
        "UDF f (evil.wat): instantiation failed: maximum concurrent limit of 2 for core instances reached"
    );
    // The failed query's instances were given back.
    assert!(e.instant_query(&s, "f(m[1m]) + f(m[1m])", 300_000).is_ok());
}
