;; ewma(m range-vector, alpha scalar): exponentially weighted moving average of each window,
;; s = v0, then s = alpha * v + (1 - alpha) * s; no value when alpha is not in (0, 1].
;; ABI: crates/rill-udf/ABI.md. Memory, a bump allocator and the manifest are the same in
;; every example; only the functions differ.
(module
  (memory (export "memory") 1)
  ;; Next free byte; everything below 1024 is the manifest.
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "rill-udf 1\nrange ewma(matrix, scalar)\n")

  ;; The manifest: pointer 16 in the low 32 bits, its length (38 bytes) in the high 32 bits.
  (func (export "rill_manifest") (result i64)
    (i64.or (i64.shl (i64.const 38) (i64.const 32)) (i64.const 16)))

  ;; Bump allocator: 8-aligned, grows memory as needed, never frees (Rill allocates rarely).
  (func (export "rill_alloc") (param $size i32) (result i32)
    (local $ptr i32) (local $end i32) (local $pages i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (local.set $pages
      (i32.sub (i32.shr_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 16)) (memory.size)))
    (if (i32.gt_s (local.get $pages) (i32.const 0))
      (then (if (i32.eq (memory.grow (local.get $pages)) (i32.const -1)) (then unreachable))))
    (global.set $heap (local.get $end))
    (local.get $ptr))

  (func (export "ewma")
    (param $ts i32) (param $vals i32) (param $n i32) (param $steps i32) (param $nsteps i32)
    (param $args i32) (param $nargs i32) (param $out i32) (param $present i32) (result i32)
    (local $i i32) (local $rec i32) (local $j i32) (local $end i32) (local $alpha f64) (local $s f64)
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $i) (local.get $nsteps)))
        (local.set $rec (i32.add (local.get $steps) (i32.shl (local.get $i) (i32.const 5))))
        ;; alpha = args[i * nargs]
        (local.set $alpha
          (f64.load (i32.add (local.get $args) (i32.shl (i32.mul (local.get $i) (local.get $nargs)) (i32.const 3)))))
        (if (i32.and (f64.gt (local.get $alpha) (f64.const 0)) (f64.le (local.get $alpha) (f64.const 1)))
          (then
            (local.set $j (i32.load offset=16 (local.get $rec)))
            (local.set $end (i32.load offset=20 (local.get $rec)))
            (local.set $s (f64.load (i32.add (local.get $vals) (i32.shl (local.get $j) (i32.const 3)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (block $wend
              (loop $w
                (br_if $wend (i32.ge_s (local.get $j) (local.get $end)))
                (local.set $s
                  (f64.add
                    (f64.mul (local.get $alpha)
                      (f64.load (i32.add (local.get $vals) (i32.shl (local.get $j) (i32.const 3)))))
                    (f64.mul (f64.sub (f64.const 1) (local.get $alpha)) (local.get $s))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $w)))
            (f64.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3))) (local.get $s))
            (i32.store8 (i32.add (local.get $present) (local.get $i)) (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $step)))
    (local.get $nsteps))
)
