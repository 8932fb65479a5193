//! Rill's ports of Go's `math` functions answer bit for bit what Go answers.
//!
//! `go_math/golden.txt` holds Go's own outputs (from `go_math/gen.go`, Go 1.19 on amd64 with
//! AVX+FMA) for edge cases: zeros, infinities, NaN, subnormals, overflow limits, huge
//! trigonometric arguments, and inputs where Go and glibc's libm round differently. The test
//! asserts every line is bit-identical (any NaN matches any NaN). `exp_nofma` lines are Go's
//! `Exp` with its FMA path switched off and check the port's non-FMA variant directly;
//! `exp_portable`/`log_portable` are Go's pure-Go `exp`/`log`, used off x86_64.
//!
//! Functions built on `Exp` take the CPU's path, like Go: on a CPU without AVX+FMA (or off
//! x86_64) those lines are skipped, and the test says so. `scripts/go-math-check.sh` feeds
//! millions of random vectors through the same comparison via `RILL_GO_MATH_VECTORS`.

use std::io::{BufRead, BufReader};

use rill_model::go_math as gm;

/// Whether Go's `Exp` on this machine takes the FMA path the golden file was generated with.
fn golden_exp_path() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The port's answer for a vector line's function and inputs; `None` for an unknown name.
fn port(name: &str, args: &[f64]) -> Option<f64> {
    let unary: fn(f64) -> f64 = match (name, args) {
        ("pow", [x, y]) => return Some(gm::pow(*x, *y)),
        ("atan2", [y, x]) => return Some(gm::atan2(*y, *x)),
        (_, [_]) => match name {
            "exp" => gm::exp,
            "exp_nofma" => |x| gm::exp_amd64(x, false),
            "exp_portable" => gm::exp_portable,
            "log_portable" => gm::log_portable,
            "expm1" => gm::expm1,
            "exp2" => gm::exp2,
            "log" => gm::log,
            "log2" => gm::log2,
            "log10" => gm::log10,
            "log1p" => gm::log1p,
            "sin" => gm::sin,
            "cos" => gm::cos,
            "tan" => gm::tan,
            "asin" => gm::asin,
            "acos" => gm::acos,
            "atan" => gm::atan,
            "sinh" => gm::sinh,
            "cosh" => gm::cosh,
            "tanh" => gm::tanh,
            "asinh" => gm::asinh,
            "acosh" => gm::acosh,
            "atanh" => gm::atanh,
            _ => return None,
        },
        _ => return None,
    };
    args.first().map(|&x| unary(x))
}

/// Whether the golden line of a function applies here: Go's answers through `Exp` depend on
/// the CPU's FMA support, those through `Log` on amd64's assembly `Log`.
fn applies_here(name: &str, fma: bool) -> bool {
    let through_exp = matches!(name, "exp" | "sinh" | "cosh" | "tanh" | "pow");
    let through_log = matches!(name, "log" | "log2" | "log10" | "asinh" | "acosh" | "pow");
    (fma || !through_exp) && (cfg!(target_arch = "x86_64") || !through_log)
}

/// Per-function totals of a comparison run.
#[derive(Default)]
struct Tally {
    /// `(function, lines checked, mismatches)` in first-seen order.
    counts: Vec<(String, u64, u64)>,
    /// The first mismatching lines, for the failure message.
    examples: Vec<String>,
    skipped: u64,
}

impl Tally {
    fn record(&mut self, name: &str, ok: bool, line: &str) {
        let idx = match self.counts.iter().position(|(n, _, _)| n == name) {
            Some(i) => i,
            None => {
                self.counts.push((name.to_string(), 0, 0));
                self.counts.len() - 1
            }
        };
        if let Some(entry) = self.counts.get_mut(idx) {
            entry.1 += 1;
            if !ok {
                entry.2 += 1;
                if self.examples.len() < 20 {
                    self.examples.push(line.to_string());
                }
            }
        }
    }

    fn mismatches(&self) -> u64 {
        self.counts.iter().map(|c| c.2).sum()
    }

    fn checked(&self) -> u64 {
        self.counts.iter().map(|c| c.1).sum()
    }

    fn summary(&self) -> String {
        let mut s: String = self
            .counts
            .iter()
            .map(|(n, c, m)| format!("{n}: {m}/{c} mismatches\n"))
            .collect();
        for e in &self.examples {
            s.push_str(&format!("  mismatch: {e}\n"));
        }
        s
    }
}

/// Compares every vector line of `reader` with the port.
fn compare(reader: impl BufRead, tally: &mut Tally) {
    let fma = golden_exp_path();
    for line in reader.lines() {
        let line = line.expect("readable vectors");
        let mut fields = line.split_whitespace();
        let Some(name) = fields.next() else { continue };
        let bits: Vec<u64> = fields.map(|f| u64::from_str_radix(f, 16).expect("hex bits")).collect();
        let Some((&want, inputs)) = bits.split_last() else {
            panic!("no output in {line:?}")
        };
        if !applies_here(name, fma) {
            tally.skipped += 1;
            continue;
        }
        let args: Vec<f64> = inputs.iter().map(|&b| f64::from_bits(b)).collect();
        let got = port(name, &args).unwrap_or_else(|| panic!("unknown function in {line:?}"));
        let want = f64::from_bits(want);
        let ok = if want.is_nan() {
            got.is_nan()
        } else {
            got.to_bits() == want.to_bits()
        };
        let shown = format!("{line} (port: {:016x} = {got:e}, go = {want:e})", got.to_bits());
        tally.record(name, ok, &shown);
    }
}

#[test]
fn ports_match_go_bit_for_bit() {
    let mut golden = Tally::default();
    compare(include_str!("go_math/golden.txt").as_bytes(), &mut golden);
    if golden.skipped > 0 {
        eprintln!(
            "skipped {} CPU-dependent golden lines (no AVX+FMA or not x86_64)",
            golden.skipped
        );
    }
    // Vectors from scripts/go-math-check.sh (a FIFO: always read it, so the writer finishes).
    let random = std::env::var("RILL_GO_MATH_VECTORS").ok().map(|path| {
        let mut random = Tally::default();
        let file = std::fs::File::open(&path).expect("RILL_GO_MATH_VECTORS is readable");
        compare(BufReader::new(file), &mut random);
        eprintln!("{path}: {} vectors checked\n{}", random.checked(), random.summary());
        random
    });
    assert!(golden.checked() > 500, "golden file too short: {}", golden.checked());
    assert_eq!(golden.mismatches(), 0, "golden vectors:\n{}", golden.summary());
    if let Some(random) = random {
        assert!(random.checked() > 0, "no random vectors");
        assert_eq!(random.mismatches(), 0, "random vectors:\n{}", random.summary());
    }
}
