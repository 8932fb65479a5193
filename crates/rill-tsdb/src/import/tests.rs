//! Import: windows become blocks, spilling keeps memory bounded without changing the data,
//! and bad input leaves nothing behind.

use rill_model::{Labels, Sample};

use super::*;
use crate::test_util::{assert_data, labels, temp_dir};

const H: i64 = 3_600_000;

/// A Prometheus-format document (ms timestamps) with two series over 5 hours, every minute,
/// the second series written out of order.
fn document() -> (String, Vec<(Labels, Vec<Sample>)>) {
    let mut text = String::from("# TYPE m counter\n");
    let mut a = Vec::new();
    let mut b = Vec::new();
    for k in 0..300i64 {
        let t = 1_700_000_000_000 + k * 60_000;
        text += &format!("m{{job=\"a\"}} {k} {t}\n");
        a.push(Sample::float(t, k as f64));
    }
    for k in (0..300i64).rev() {
        let t = 1_700_000_000_000 + k * 60_000;
        text += &format!("m{{job=\"b\",empty=\"\"}} {} {t}\n", k * 2);
        b.push(Sample::float(t, (k * 2) as f64));
    }
    b.reverse();
    let want = vec![
        (labels(&[("__name__", "m"), ("job", "a")]), a),
        (labels(&[("__name__", "m"), ("job", "b")]), b),
    ];
    (text, want)
}

#[test]
fn imports_into_window_blocks() {
    let dir = temp_dir("import");
    let (text, want) = document();
    let stats = import_text(text.as_bytes(), &dir, &ImportOptions::default()).unwrap();
    assert_eq!((stats.samples, stats.series, stats.spills), (600, 2, 0));
    // 5 hours starting mid-window touch 3 or 4 aligned 2h windows.
    let windows = (stats.max_time.unwrap() / (2 * H)) - (stats.min_time.unwrap() / (2 * H)) + 1;
    assert_eq!(stats.blocks.len() as i64, windows);
    assert_data(&dir, &want);
    for b in live_blocks(&dir).unwrap() {
        assert_eq!(
            b.meta.min_time / (2 * H),
            (b.meta.max_time - 1) / (2 * H),
            "block inside one window"
        );
    }
}

#[test]
fn spilling_keeps_the_data() {
    let (text, want) = document();
    for compact in [true, false] {
        let dir = temp_dir("import-spill");
        let opts = ImportOptions {
            max_buffered_samples: 70,
            compact,
            ..ImportOptions::default()
        };
        let stats = import_text(text.as_bytes(), &dir, &opts).unwrap();
        assert!(stats.spills >= 8, "{}", stats.spills);
        let blocks = live_blocks(&dir).unwrap().len();
        if compact {
            assert!(blocks <= 4, "{blocks}");
        } else {
            assert!(blocks > 4, "{blocks}");
        }
        assert_data(&dir, &want);
    }
}

#[test]
fn bad_input_names_the_line_and_leaves_nothing() {
    let dir = temp_dir("import-bad");
    let (mut text, _) = document();
    text += "m{job=\"c\" 1 2\n";
    let opts = ImportOptions {
        max_buffered_samples: 50,
        ..ImportOptions::default()
    };
    let e = import_text(text.as_bytes(), &dir, &opts).unwrap_err();
    assert!(matches!(e, Error::Import { line: 602, .. }), "{e}");
    assert!(e.to_string().starts_with("line 602: "), "{e}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing left behind");
    let e = import_text(&b"up 1\n"[..], &dir, &opts).unwrap_err();
    assert!(e.to_string().contains("line 1: sample has no timestamp"), "{e}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    let bad = ImportOptions {
        block_duration: 0,
        ..ImportOptions::default()
    };
    assert!(import_text(&b""[..], &dir, &bad).is_err());
}
