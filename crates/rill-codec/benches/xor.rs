//! Criterion benches for XOR chunk encode and decode throughput (samples per second).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rill_codec::{XorEncoder, XorIterator};
use std::hint::black_box;

/// 120 samples per chunk, as Prometheus cuts them: a jittered 15 s scrape of a slowly moving
/// gauge, and a counter.
fn samples(kind: u64) -> Vec<(i64, f64)> {
    let mut s = 0x9e37_79b9_7f4a_7c15u64 ^ kind;
    let mut t = 1_700_000_000_000i64;
    let mut v = 1000.0f64;
    (0..120)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            t += 15_000 + (s % 7) as i64 - 3;
            v = if kind == 0 {
                v + (s % 100) as f64
            } else {
                v * 0.99 + (s % 1000) as f64 / 10.0
            };
            (t, v)
        })
        .collect()
}

fn bench_xor(c: &mut Criterion) {
    let mut group = c.benchmark_group("xor");
    for (name, kind) in [("counter", 0u64), ("gauge", 1u64)] {
        let data = samples(kind);
        let mut enc = XorEncoder::new();
        for &(t, v) in &data {
            enc.append(t, v).expect("120 samples fit");
        }
        let chunk = enc.into_bytes();
        group.throughput(Throughput::Elements(data.len() as u64));
        group.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| {
                let mut e = XorEncoder::with_capacity(256);
                for &(t, v) in &data {
                    e.append(t, v).expect("120 samples fit");
                }
                black_box(e.bytes().len())
            })
        });
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| {
                let mut it = XorIterator::new(black_box(&chunk)).expect("valid chunk");
                let mut acc = 0.0f64;
                let mut ts = 0i64;
                while let Ok(Some((t, v))) = it.next_sample() {
                    acc += v;
                    ts ^= t;
                }
                black_box((acc, ts))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_xor);
criterion_main!(benches);
