//! Ports of Go's `math` package, bit-identical to what Prometheus (built by Go for amd64)
//! answers: Rust's `f64` methods call the platform libm, whose results differ from Go's in
//! the last bit for many inputs, and the differential fuzzer sees that whenever a value is
//! printed with all its digits (`count_values`), compared with `==`, or amplified (`x % c`
//! after `sinh`). Each function keeps Go's algorithm, constants and operation order.
//!
//! On amd64 Go uses assembly for `Exp` (with a fused-multiply-add variant chosen at run time)
//! and `Log`; everything else is pure Go. On x86_64 Rill mirrors the amd64 build; on other
//! targets it uses Go's pure-Go `exp`/`log`, which is what Go itself compiles there for
//! arm64 and most other architectures (the amd64 variants stay available, see [`exp_amd64`]
//! and [`log_amd64`]).

// Go's constants are kept digit for digit as Go writes them, so they can be checked against
// its sources; they round to the same `f64`.
#![allow(clippy::excessive_precision)]

mod exp;
mod float_bits;
mod hyperbolic;
mod inverse_trig;
mod log;
mod pow;
mod trig;

pub use exp::{exp, exp_amd64, exp_portable, exp2, expm1};
pub use float_bits::{frexp, ldexp, modf};
pub use hyperbolic::{acosh, asinh, atanh, cosh, sinh, tanh};
pub use inverse_trig::{acos, asin, atan, atan2};
pub use log::{log, log_amd64, log_portable, log1p, log2, log10};
pub use pow::pow;
pub use trig::{cos, sin, tan};

/// The NaN Go's `math.NaN()` returns (quiet, payload 1).
const GO_NAN: f64 = f64::from_bits(0x7FF8_0000_0000_0001);
