// Rill UDFs in AssemblyScript (ABI: crates/rill-udf/ABI.md).
//   spread_over_time(m range-vector): max - min of the window's samples (NaN samples ignored;
//                                     NaN when all are NaN).
//   sigmoid(v instant-vector):        1 / (1 + e^-v), element-wise.
// Build: ./build.sh (npx asc spread.ts -O3 --runtime stub -o build/spread.wasm).

const MANIFEST = "rill-udf 1\nrange spread_over_time(matrix)\nelementwise sigmoid(vector)\n";

/** The manifest text: pointer in the low 32 bits, length in the high 32 bits. */
export function rill_manifest(): i64 {
  const buf = String.UTF8.encode(MANIFEST);
  return (<i64>buf.byteLength << 32) | <i64>changetype<usize>(buf);
}

/** An 8-aligned buffer for Rill (the stub runtime's bump allocator aligns to 16). */
export function rill_alloc(size: i32): usize {
  return heap.alloc(<usize>size);
}

/** One value per step: max - min over the step's window. */
export function spread_over_time(
  ts: usize, vals: usize, n: i32, steps: usize, nSteps: i32,
  args: usize, nArgs: i32, out: usize, present: usize,
): i32 {
  for (let i = 0; i < nSteps; i++) {
    const rec = steps + <usize>(i * 32);
    const start = load<i32>(rec, 16);
    const end = load<i32>(rec, 20);
    let lo = Infinity;
    let hi = -Infinity;
    let seen = 0;
    for (let j = start; j < end; j++) {
      const v = load<f64>(vals + (<usize>j << 3));
      if (isNaN(v)) continue;
      seen++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    store<f64>(out + (<usize>i << 3), seen > 0 ? hi - lo : NaN);
    store<u8>(present + <usize>i, 1);
  }
  return nSteps;
}

/** Element-wise logistic function. */
export function sigmoid(vals: usize, n: i32, args: usize, nArgs: i32, out: usize, present: usize): i32 {
  for (let i = 0; i < n; i++) {
    const v = load<f64>(vals + (<usize>i << 3));
    store<f64>(out + (<usize>i << 3), 1.0 / (1.0 + Math.exp(-v)));
    store<u8>(present + <usize>i, 1);
  }
  return n;
}
