//! Element-wise UDFs in WebAssembly text (no npm needed): values and per-step scalar
//! arguments cross in one batch per series, "no value" drops a point, and the registry lists
//! the function as a user-defined element-wise one.

mod common;

use common::*;
use rill_engine::{EngineOptions, FunctionOrigin, UserFunctionKind};

/// `scale(v, k)`: `v * k` where `v >= 0`, no value where `v < 0`.
fn scale_module() -> String {
    wat(
        "rill-udf 1\nelementwise scale(vector, scalar)\n",
        16,
        r#"(func (export "scale") (param $vals i32) (param $n i32) (param $args i32) (param $nargs i32)
             (param $out i32) (param $present i32) (result i32)
             (local $i i32) (local $v f64)
             (block $done
               (loop $l
                 (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                 (local.set $v (f64.load (i32.add (local.get $vals) (i32.shl (local.get $i) (i32.const 3)))))
                 (if (f64.ge (local.get $v) (f64.const 0))
                   (then
                     (f64.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3)))
                       (f64.mul (local.get $v)
                         (f64.load (i32.add (local.get $args)
                           (i32.shl (i32.mul (local.get $i) (local.get $nargs)) (i32.const 3))))))
                     (i32.store8 (i32.add (local.get $present) (local.get $i)) (i32.const 1))))
                 (local.set $i (i32.add (local.get $i) (i32.const 1)))
                 (br $l)))
             (local.get $n))"#,
    )
}

#[test]
fn values_and_per_step_arguments_cross_in_one_batch() {
    let rt = runtime(limits());
    let m = module("scale.wat", scale_module().as_bytes(), &rt);
    let e = engine(&[&m], EngineOptions::default());
    let s = data();
    // m is i at 10·i s: m - 5 is negative (dropped) before 50 s.
    let got = range_points(&e, &s, "scale(m - 5, 2)", 0, 590, 10).unwrap();
    let want: Vec<(i64, f64)> = (5..60).map(|i| (i * 10, 2.0 * (i - 5) as f64)).collect();
    assert_eq!(got, want);
    // A scalar argument that changes with the step.
    let got = range_points(&e, &s, "scale(m, time())", 0, 590, 10).unwrap();
    let want: Vec<(i64, f64)> = (0..60).map(|i| (i * 10, (i * i * 10) as f64)).collect();
    assert_eq!(got, want);
}

#[test]
fn registry_lists_it_as_a_user_defined_elementwise_function() {
    let rt = runtime(limits());
    let m = module("scale.wat", scale_module().as_bytes(), &rt);
    let mut registry = rill_engine::functions::builtin_registry();
    m.register(&mut registry).unwrap();
    let origin = registry.get("scale").map(|d| d.factory.origin());
    assert_eq!(
        origin,
        Some(FunctionOrigin::UserDefined {
            module: "scale.wat".into(),
            kind: UserFunctionKind::Elementwise
        })
    );
    assert_eq!(
        registry.get("abs").map(|d| d.factory.origin()),
        Some(FunctionOrigin::Builtin)
    );
}
