;; percentile_over_time(p scalar, m range-vector): nearest-rank percentile of each window
;; (p in [0, 100]; the ceil(p/100 * n)-th smallest sample, the smallest for p = 0), unlike
;; quantile_over_time's interpolation. No value when p is NaN or outside [0, 100].
;; ABI: crates/rill-udf/ABI.md. Memory, a bump allocator and the manifest are the same in
;; every example; only the functions differ.
(module
  (memory (export "memory") 1)
  ;; Next free byte; everything below 1024 is the manifest.
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "rill-udf 1\nrange percentile_over_time(scalar, matrix)\n")

  ;; The manifest: pointer 16 in the low 32 bits, its length (54 bytes) in the high 32 bits.
  (func (export "rill_manifest") (result i64)
    (i64.or (i64.shl (i64.const 54) (i64.const 32)) (i64.const 16)))

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

  ;; Scratch space for sorting one window: at $heap, grown on demand (not kept allocated).
  (func $scratch (param $bytes i32) (result i32)
    (local $ptr i32) (local $pages i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (local.set $pages
      (i32.sub
        (i32.shr_u (i32.add (i32.add (local.get $ptr) (local.get $bytes)) (i32.const 65535)) (i32.const 16))
        (memory.size)))
    (if (i32.gt_s (local.get $pages) (i32.const 0))
      (then (if (i32.eq (memory.grow (local.get $pages)) (i32.const -1)) (then unreachable))))
    (local.get $ptr))

  (func (export "percentile_over_time")
    (param $ts i32) (param $vals i32) (param $n i32) (param $steps i32) (param $nsteps i32)
    (param $args i32) (param $nargs i32) (param $out i32) (param $present i32) (result i32)
    (local $i i32) (local $rec i32) (local $start i32) (local $k i32) (local $j i32) (local $m i32)
    (local $buf i32) (local $p f64) (local $v f64) (local $rank i32)
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $i) (local.get $nsteps)))
        (local.set $rec (i32.add (local.get $steps) (i32.shl (local.get $i) (i32.const 5))))
        (local.set $p
          (f64.load (i32.add (local.get $args) (i32.shl (i32.mul (local.get $i) (local.get $nargs)) (i32.const 3)))))
        (if (i32.and (f64.ge (local.get $p) (f64.const 0)) (f64.le (local.get $p) (f64.const 100)))
          (then
            (local.set $start (i32.load offset=16 (local.get $rec)))
            (local.set $k (i32.sub (i32.load offset=20 (local.get $rec)) (local.get $start)))
            (local.set $buf (call $scratch (i32.shl (local.get $k) (i32.const 3))))
            ;; insertion sort of the window into $buf
            (local.set $j (i32.const 0))
            (block $send
              (loop $s
                (br_if $send (i32.ge_s (local.get $j) (local.get $k)))
                (local.set $v
                  (f64.load (i32.add (local.get $vals) (i32.shl (i32.add (local.get $start) (local.get $j)) (i32.const 3)))))
                (local.set $m (local.get $j))
                (block $ins
                  (loop $shift
                    (br_if $ins (i32.eqz (local.get $m)))
                    (br_if $ins
                      (i32.eqz (f64.gt
                        (f64.load (i32.add (local.get $buf) (i32.shl (i32.sub (local.get $m) (i32.const 1)) (i32.const 3))))
                        (local.get $v))))
                    (f64.store (i32.add (local.get $buf) (i32.shl (local.get $m) (i32.const 3)))
                      (f64.load (i32.add (local.get $buf) (i32.shl (i32.sub (local.get $m) (i32.const 1)) (i32.const 3)))))
                    (local.set $m (i32.sub (local.get $m) (i32.const 1)))
                    (br $shift)))
                (f64.store (i32.add (local.get $buf) (i32.shl (local.get $m) (i32.const 3))) (local.get $v))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $s)))
            ;; rank = max(1, ceil(p / 100 * k))
            (local.set $rank
              (i32.trunc_f64_s (f64.ceil (f64.mul (f64.div (local.get $p) (f64.const 100)) (f64.convert_i32_s (local.get $k))))))
            (if (i32.lt_s (local.get $rank) (i32.const 1)) (then (local.set $rank (i32.const 1))))
            (f64.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3)))
              (f64.load (i32.add (local.get $buf) (i32.shl (i32.sub (local.get $rank) (i32.const 1)) (i32.const 3)))))
            (i32.store8 (i32.add (local.get $present) (local.get $i)) (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $step)))
    (local.get $nsteps))
)
