//! Coverage-guided fuzzing of the PromQL parser: any input must parse or fail without a
//! panic, and whatever parses must print to text that parses again and prints identically.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rill_promql::{ParseOptions, StandardFunctions, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for opts in [ParseOptions::all(), ParseOptions::default()] {
        if let Ok(expr) = parse(text, &StandardFunctions, &opts) {
            let printed = expr.to_string();
            let again = parse(&printed, &StandardFunctions, &opts)
                .unwrap_or_else(|e| panic!("{text:?} prints as {printed:?}, which does not parse: {e}"));
            assert_eq!(again.to_string(), printed, "printing {text:?} is not stable");
        }
    }
});
