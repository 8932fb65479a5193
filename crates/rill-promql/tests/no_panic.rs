//! Random and mutated query strings never panic the parser (and printing what parses re-parses).

use proptest::prelude::*;
use rill_promql::{ParseOptions, StandardFunctions, parse};

const SEEDS: &[&str] = &[
    "sum by (job) (rate(foo{a=\"b\"}[5m] offset 1m))",
    "a + on(x) group_left(y) b",
    "x[5m:1m] @ 100",
    "count_values(\"l\", x) > bool 2 unless y",
    "foo[2m*(10+5)] offset -min_of(step(), 1s)",
    "{\"my.metric\", \"a.b\"=~'c'} # comment",
    "-1^2 atan2 0x1F </ Inf",
];

fn mutate(seed: &str, cut: usize, insert: &str) -> String {
    let mut s: Vec<char> = seed.chars().collect();
    let at = cut % (s.len() + 1);
    s.splice(at..at, insert.chars());
    s.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn random_strings_never_panic(q in "[ -~\\n]{0,60}") {
        let _ = parse(&q, &StandardFunctions, &ParseOptions::all());
    }

    #[test]
    fn mutated_queries_never_panic(i in 0..SEEDS.len(), cut in 0usize..80, insert in "[-+*/(){}\\[\\]:,@\"'`#a-z0-9 =!~<>^%.]{0,4}") {
        let q = mutate(SEEDS[i], cut, &insert);
        if let Ok(e) = parse(&q, &StandardFunctions, &ParseOptions::all()) {
            let printed = e.to_string();
            prop_assert!(parse(&printed, &StandardFunctions, &ParseOptions::all()).is_ok(), "{} -> {}", q, printed);
        }
    }
}
