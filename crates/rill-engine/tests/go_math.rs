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

use rill_engine::functions::go_math as gm;

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

/// The engine's element-wise functions and `^`/`atan2` are wired to the ports: for inputs where
/// Go and libm round differently, each query answers the port's bits.
#[test]
fn promql_functions_and_operators_answer_the_go_bits() {
    use std::sync::Arc;

    use rill_engine::functions::builtin_registry;
    use rill_engine::{Engine, EngineOptions, QueryValue};
    use rill_model::{Labels, MemoryStore, Sample};

    type Case = (&'static str, f64, Option<f64>, fn(f64, f64) -> f64, fn(f64, f64) -> f64);
    let cases: [Case; 18] = [
        ("exp", 0.8681355693769461, None, |x, _| gm::exp(x), |x, _| x.exp()),
        ("ln", 3.3089333057991173, None, |x, _| gm::log(x), |x, _| x.ln()),
        ("log2", 0.39709901175229634, None, |x, _| gm::log2(x), |x, _| x.log2()),
        (
            "log10",
            0.16063338531311372,
            None,
            |x, _| gm::log10(x),
            |x, _| x.log10(),
        ),
        ("sin", -43.30287426378861, None, |x, _| gm::sin(x), |x, _| x.sin()),
        ("cos", -4.111119770680071, None, |x, _| gm::cos(x), |x, _| x.cos()),
        ("tan", -0.8487621147185059, None, |x, _| gm::tan(x), |x, _| x.tan()),
        ("asin", -0.8044946229840778, None, |x, _| gm::asin(x), |x, _| x.asin()),
        ("acos", 0.9271059326468566, None, |x, _| gm::acos(x), |x, _| x.acos()),
        ("atan", 15.181029243844685, None, |x, _| gm::atan(x), |x, _| x.atan()),
        ("sinh", 0.22740930698854175, None, |x, _| gm::sinh(x), |x, _| x.sinh()),
        ("cosh", 33.249524462094435, None, |x, _| gm::cosh(x), |x, _| x.cosh()),
        ("tanh", 0.149186045627222, None, |x, _| gm::tanh(x), |x, _| x.tanh()),
        ("asinh", 3.0845835475892596, None, |x, _| gm::asinh(x), |x, _| x.asinh()),
        ("acosh", 1.3434567400110846, None, |x, _| gm::acosh(x), |x, _| x.acosh()),
        (
            "atanh",
            0.02433756302316046,
            None,
            |x, _| gm::atanh(x),
            |x, _| x.atanh(),
        ),
        ("^", 0.9619565392897615, Some(-292.3567494183762), gm::pow, f64::powf),
        (
            "atan2",
            1.0003222410801853,
            Some(0.26517704003955656),
            gm::atan2,
            f64::atan2,
        ),
    ];
    let mut store = MemoryStore::new();
    for (i, (_, x, _, _, _)) in cases.iter().enumerate() {
        let labels = Labels::from_pairs([("__name__", "x"), ("case", &i.to_string())]);
        store.append(&labels, Sample::float(0, *x)).expect("append");
    }
    let engine = Engine::new(EngineOptions::default(), Arc::new(builtin_registry()));
    let mut differs_from_libm = 0;
    for (i, (op, x, y, go, libm)) in cases.iter().enumerate() {
        let query = match y {
            Some(y) => format!("x{{case=\"{i}\"}} {op} {y:?}"),
            None => format!("{op}(x{{case=\"{i}\"}})"),
        };
        let result = engine
            .instant_query(&store, &query, 0)
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        let QueryValue::Vector(v) = result.value else {
            panic!("{query}: not a vector")
        };
        let got = v.first().unwrap_or_else(|| panic!("{query}: empty")).f;
        let y = y.unwrap_or(0.0);
        assert_eq!(
            got.to_bits(),
            go(*x, y).to_bits(),
            "{query}: {got:e} is not Go's {:e}",
            go(*x, y)
        );
        differs_from_libm += usize::from(got.to_bits() != libm(*x, y).to_bits());
    }
    // These inputs were picked where Go and glibc differ (on an AVX+FMA CPU for `exp`).
    assert!(
        differs_from_libm >= 12,
        "only {differs_from_libm} of 18 differ from libm"
    );
}
