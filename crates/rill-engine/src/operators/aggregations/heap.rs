//! A binary heap over a slice with the exact sift-up/sift-down steps of Go's `container/heap`,
//! so `topk`/`bottomk`/`limitk` pick the same series as Prometheus when values tie, and the
//! orders Prometheus's heaps use (`vectorByValueHeap`, `vectorByReverseValueHeap`).

/// `vectorByValueHeap`'s order: NaN first, then ascending.
pub(super) fn value_less(a: f64, b: f64) -> bool {
    a.is_nan() || a < b
}

/// `vectorByReverseValueHeap`'s order: NaN first, then descending.
pub(super) fn reverse_value_less(a: f64, b: f64) -> bool {
    a.is_nan() || a > b
}

/// Moves element `j` up until its parent is not greater (Go's `up`).
fn up<T>(h: &mut [T], mut j: usize, less: &impl Fn(&T, &T) -> bool) {
    while j > 0 {
        let i = (j - 1) / 2;
        if !less(&h[j], &h[i]) {
            break;
        }
        h.swap(i, j);
        j = i;
    }
}

/// Moves element `i0` down; returns whether it moved (Go's `down`).
fn down<T>(h: &mut [T], i0: usize, less: &impl Fn(&T, &T) -> bool) -> bool {
    let n = h.len();
    let mut i = i0;
    loop {
        let j1 = 2 * i + 1;
        if j1 >= n {
            break;
        }
        let mut j = j1;
        let j2 = j1 + 1;
        if j2 < n && less(&h[j2], &h[j1]) {
            j = j2;
        }
        if !less(&h[j], &h[i]) {
            break;
        }
        h.swap(i, j);
        i = j;
    }
    i > i0
}

/// Sifts the last element of `h` up: call after appending it (Go's `heap.Push`).
pub(super) fn sift_last_up<T>(h: &mut [T], less: impl Fn(&T, &T) -> bool) {
    if let Some(last) = h.len().checked_sub(1) {
        up(h, last, &less);
    }
}

/// Restores the heap after the top element changed (Go's `heap.Fix(h, 0)`).
pub(super) fn fix_top<T>(h: &mut [T], less: impl Fn(&T, &T) -> bool) {
    if !h.is_empty() && !down(h, 0, &less) {
        up(h, 0, &less);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_keeps_minimum_on_top_with_nan_lowest() {
        let less = |a: &f64, b: &f64| value_less(*a, *b);
        let mut h: Vec<f64> = Vec::new();
        for v in [5.0, 3.0, f64::NAN, 4.0, 1.0] {
            h.push(v);
            sift_last_up(&mut h, less);
        }
        assert!(h[0].is_nan());
        h[0] = 10.0;
        fix_top(&mut h, less);
        assert_eq!(h[0], 1.0);
        let rless = |a: &f64, b: &f64| reverse_value_less(*a, *b);
        let mut r = [1.0, 2.0, 3.0];
        for i in 1..r.len() {
            sift_last_up(&mut r[..=i], rless);
        }
        assert_eq!(r[0], 3.0);
    }
}
