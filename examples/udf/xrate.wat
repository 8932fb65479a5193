;; xrate(m range-vector): VictoriaMetrics-style per-second rate that also uses the sample before the window.
;; ABI: crates/rill-udf/ABI.md. Memory, a bump allocator and the manifest are the same in
;; every example; only the functions differ.
(module
  (memory (export "memory") 1)
  ;; Next free byte; everything below 1024 is the manifest.
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "rill-udf 1\nrange xrate(matrix) prev\n")

  ;; The manifest: pointer 16 in the low 32 bits, its length (36 bytes) in the high 32 bits.
  (func (export "rill_manifest") (result i64)
    (i64.or (i64.shl (i64.const 36) (i64.const 32)) (i64.const 16)))

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

  ;; xrate: for each step, base = the sample before the window if there is one, else the
  ;; window's first sample (then two samples are needed); the result is
  ;; (last + counter-reset corrections - base) / (t_last - t_base in seconds).
  ;; No extrapolation, as VictoriaMetrics does.
  (func (export "xrate")
    (param $ts i32) (param $vals i32) (param $n i32) (param $steps i32) (param $nsteps i32)
    (param $args i32) (param $nargs i32) (param $out i32) (param $present i32) (result i32)
    (local $i i32) (local $rec i32) (local $first i32) (local $end i32) (local $j i32)
    (local $base f64) (local $prev f64) (local $cur f64) (local $corr f64)
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $i) (local.get $nsteps)))
        (local.set $rec (i32.add (local.get $steps) (i32.shl (local.get $i) (i32.const 5))))
        ;; first = prev >= 0 ? prev : start
        (local.set $first (i32.load offset=24 (local.get $rec)))
        (if (i32.lt_s (local.get $first) (i32.const 0))
          (then (local.set $first (i32.load offset=16 (local.get $rec)))))
        (local.set $end (i32.load offset=20 (local.get $rec)))
        (if (i32.ge_s (i32.sub (local.get $end) (local.get $first)) (i32.const 2))
          (then
            (local.set $base (f64.load (i32.add (local.get $vals) (i32.shl (local.get $first) (i32.const 3)))))
            (local.set $prev (local.get $base))
            (local.set $corr (f64.const 0))
            (local.set $j (i32.add (local.get $first) (i32.const 1)))
            (block $wend
              (loop $w
                (br_if $wend (i32.ge_s (local.get $j) (local.get $end)))
                (local.set $cur (f64.load (i32.add (local.get $vals) (i32.shl (local.get $j) (i32.const 3)))))
                (if (f64.lt (local.get $cur) (local.get $prev))
                  (then (local.set $corr (f64.add (local.get $corr) (local.get $prev)))))
                (local.set $prev (local.get $cur))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $w)))
            (f64.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3)))
              (f64.div (f64.sub (f64.add (local.get $prev) (local.get $corr)) (local.get $base))
                (f64.div
                  (f64.convert_i64_s
                    (i64.sub
                      (i64.load (i32.add (local.get $ts) (i32.shl (i32.sub (local.get $end) (i32.const 1)) (i32.const 3))))
                      (i64.load (i32.add (local.get $ts) (i32.shl (local.get $first) (i32.const 3))))))
                  (f64.const 1000))))
            (i32.store8 (i32.add (local.get $present) (local.get $i)) (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $step)))
    (local.get $nsteps))
)
