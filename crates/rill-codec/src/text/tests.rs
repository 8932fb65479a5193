//! Tests for the text exposition parser.

use super::*;
use proptest::prelude::*;

/// Owned exemplar: labels, value, timestamp.
type OwnedExemplar = (Vec<(String, String)>, f64, Option<i64>);

/// An owned copy of an entry, for comparisons.
#[derive(Debug, Clone, PartialEq)]
enum Owned {
    Help(String, String),
    Type(String, MetricType),
    Unit(String, String),
    Comment(String),
    Sample {
        labels: Vec<(String, String)>,
        value: u64,
        ts: i64,
        explicit: bool,
        exemplar: Option<OwnedExemplar>,
    },
    Eof,
}

fn owned_labels(l: LabelSet<'_>) -> Vec<(String, String)> {
    l.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

fn parse_all(doc: &str, format: Option<TextFormat>) -> Result<Vec<Owned>> {
    let mut p = match format {
        Some(f) => TextParser::with_format(doc.as_bytes(), f, -1),
        None => TextParser::new(doc.as_bytes(), -1),
    };
    let mut out = Vec::new();
    while let Some(e) = p.next_entry()? {
        out.push(match e {
            Entry::Help { metric, text } => Owned::Help(metric.into(), text.into()),
            Entry::Type { metric, kind } => Owned::Type(metric.into(), kind),
            Entry::Unit { metric, unit } => Owned::Unit(metric.into(), unit.into()),
            Entry::Comment(c) => Owned::Comment(c.into()),
            Entry::Eof => Owned::Eof,
            Entry::Sample(s) => {
                assert_eq!(s.labels().get("__name__"), Some(s.name));
                Owned::Sample {
                    labels: owned_labels(s.labels()),
                    value: s.value.to_bits(),
                    ts: s.timestamp,
                    explicit: s.has_timestamp,
                    exemplar: s.exemplar.map(|e| (owned_labels(e.labels), e.value, e.timestamp)),
                }
            }
        });
    }
    Ok(out)
}

fn l(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

fn sample(pairs: &[(&str, &str)], v: f64, ts: i64, explicit: bool) -> Owned {
    Owned::Sample {
        labels: l(pairs),
        value: v.to_bits(),
        ts,
        explicit,
        exemplar: None,
    }
}

#[test]
fn prometheus_text() {
    let doc = "# HELP http_requests_total The total number of HTTP requests.\n\
               # TYPE http_requests_total counter\n\
               http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n\
               http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n\
               \n\
               # Escaping in label values:\n\
               msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n\
               metric_without_timestamp_and_labels 12.47\n\
               something_weird{problem=\"division by zero\"} +Inf -3982045\n\
               neg -Inf\n\
               nan NaN\n";
    let got = parse_all(doc, None).expect("valid");
    assert_eq!(
        got,
        vec![
            Owned::Help(
                "http_requests_total".into(),
                "The total number of HTTP requests.".into()
            ),
            Owned::Type("http_requests_total".into(), MetricType::Counter),
            sample(
                &[("__name__", "http_requests_total"), ("code", "200"), ("method", "post")],
                1027.0,
                1_395_066_363_000,
                true
            ),
            sample(
                &[("__name__", "http_requests_total"), ("code", "400"), ("method", "post")],
                3.0,
                1_395_066_363_000,
                true
            ),
            Owned::Comment("Escaping in label values:".into()),
            sample(
                &[
                    ("__name__", "msdos_file_access_time_seconds"),
                    ("error", "Cannot find file:\n\"FILE.TXT\""),
                    ("path", "C:\\DIR\\FILE.TXT"),
                ],
                1.458255915e9,
                -1,
                false
            ),
            sample(&[("__name__", "metric_without_timestamp_and_labels")], 12.47, -1, false),
            sample(
                &[("__name__", "something_weird"), ("problem", "division by zero")],
                f64::INFINITY,
                -3_982_045,
                true
            ),
            sample(&[("__name__", "neg")], f64::NEG_INFINITY, -1, false),
            sample(&[("__name__", "nan")], f64::NAN, -1, false),
        ]
    );
}

#[test]
fn openmetrics_with_exemplars_and_eof() {
    let doc = "# TYPE foo_seconds histogram\n\
               # UNIT foo_seconds seconds\n\
               # HELP foo_seconds Help with \\\"quotes\\\".\n\
               foo_seconds_bucket{le=\"0.1\"} 8 1520879607.789 # {trace_id=\"KOO5S4vxi0o\"} 0.067 1520879602.3\n\
               foo_seconds_bucket{le=\"+Inf\"} 17 # {trace_id=\"a\",span=\"b\"} 9\n\
               foo_seconds_count 17 1520879607\n\
               # EOF\n\
               ignored after eof\n";
    let got = parse_all(doc, None).expect("valid");
    assert_eq!(got.len(), 7);
    assert_eq!(got[1], Owned::Unit("foo_seconds".into(), "seconds".into()));
    assert_eq!(
        got[2],
        Owned::Help("foo_seconds".into(), "Help with \"quotes\".".into())
    );
    assert_eq!(
        got[3],
        Owned::Sample {
            labels: l(&[("__name__", "foo_seconds_bucket"), ("le", "0.1")]),
            value: 8f64.to_bits(),
            ts: 1_520_879_607_789,
            explicit: true,
            exemplar: Some((l(&[("trace_id", "KOO5S4vxi0o")]), 0.067, Some(1_520_879_602_300))),
        }
    );
    assert_eq!(
        got[4],
        Owned::Sample {
            labels: l(&[("__name__", "foo_seconds_bucket"), ("le", "+Inf")]),
            value: 17f64.to_bits(),
            ts: -1,
            explicit: false,
            exemplar: Some((l(&[("span", "b"), ("trace_id", "a")]), 9.0, None)),
        }
    );
    assert_eq!(
        got[5],
        sample(&[("__name__", "foo_seconds_count")], 17.0, 1_520_879_607_000, true)
    );
    assert_eq!(got[6], Owned::Eof);
}

#[test]
fn utf8_quoted_names() {
    let doc = "# HELP \"my.metric\" dotted\n\
               # TYPE \"my.metric\" gauge\n\
               {\"my.metric\", \"label.x\"=\"v\", job=\"a\"} 1\n\
               {job=\"b\", \"my.metric\"} 2\n\
               plain{\"ü.name\"=\"x\",} 3\n";
    let got = parse_all(doc, Some(TextFormat::Prometheus)).expect("valid");
    assert_eq!(got[0], Owned::Help("my.metric".into(), "dotted".into()));
    assert_eq!(got[1], Owned::Type("my.metric".into(), MetricType::Gauge));
    assert_eq!(
        got[2],
        sample(
            &[("__name__", "my.metric"), ("job", "a"), ("label.x", "v")],
            1.0,
            -1,
            false
        )
    );
    assert_eq!(
        got[3],
        sample(&[("__name__", "my.metric"), ("job", "b")], 2.0, -1, false)
    );
    assert_eq!(
        got[4],
        sample(&[("__name__", "plain"), ("ü.name", "x")], 3.0, -1, false)
    );
}

#[test]
fn detection() {
    assert_eq!(TextFormat::detect(b"a 1\n# EOF\n"), TextFormat::OpenMetrics);
    assert_eq!(
        TextFormat::detect(b"# TYPE a info\na_info 1\n"),
        TextFormat::OpenMetrics
    );
    assert_eq!(TextFormat::detect(b"# TYPE a gauge\na 1\n"), TextFormat::Prometheus);
    // Auto mode switches to seconds on a fractional timestamp.
    let got = parse_all("a 1 1700000000.5\n", None).expect("valid");
    assert_eq!(got[0], sample(&[("__name__", "a")], 1.0, 1_700_000_000_500, true));
    // Explicit Prometheus format rejects it.
    assert!(parse_all("a 1 1700000000.5\n", Some(TextFormat::Prometheus)).is_err());
}

#[test]
fn errors_have_line_numbers() {
    let cases = [
        ("a 1\nb{x=foo} 1\n", 2, "expected label value string, got \"foo} 1\""),
        ("a 1\n\nc{x=\"1\",x=\"2\"} 1\n", 3, "duplicate label name \"x\""),
        ("a\n", 1, "expected whitespace before value"),
        ("a{x=\"1\" 1\n", 1, "expected ',' or '}' in label set"),
        ("a 1 2 3\n", 1, "unexpected text"),
        ("a one\n", 1, "invalid value \"one\""),
        ("# TYPE a blah\n", 1, "unknown metric type"),
        ("a{x=\"unterminated} 1\n", 1, "unterminated label value string"),
        ("{x=\"1\"} 1\n", 1, "missing metric name"),
        ("1abc 1\n", 1, "expected metric name"),
    ];
    for (doc, line, reason) in cases {
        match parse_all(doc, Some(TextFormat::Prometheus)) {
            Err(Error::Text { line: got, reason: r }) => {
                assert_eq!(got, line, "{doc:?}: {r}");
                assert!(r.starts_with(reason), "{doc:?}: got {r:?}, want {reason:?}");
            }
            other => panic!("{doc:?}: expected a text error, got {other:?}"),
        }
    }
    let e = parse_all("a 1\nb{x=foo} 1\n", None).expect_err("bad");
    assert_eq!(e.to_string(), "line 2: expected label value string, got \"foo} 1\"");
}

#[test]
fn crlf_blank_lines_and_long_lines() {
    let got = parse_all("a 1\r\n\r\n  \nb 2\r\n", None).expect("valid");
    assert_eq!(got.len(), 2);
    let mut p = TextParser::new(&b"aaaaaaaaaaaaaaaaaaaa 1\n"[..], 0).max_line_len(8);
    assert!(matches!(p.next_entry(), Err(Error::Text { line: 1, .. })));
}

#[test]
fn buffers_are_reused() {
    let doc = "x{a=\"1\",b=\"2\"} 1\n".repeat(100);
    let mut p = TextParser::new(doc.as_bytes(), 0);
    let _ = p.next_entry().expect("ok");
    let caps = (p.line.capacity(), p.scratch.capacity(), p.spans.capacity());
    while p.next_entry().expect("ok").is_some() {}
    assert_eq!(caps, (p.line.capacity(), p.scratch.capacity(), p.spans.capacity()));
    assert_eq!(p.line_number(), 100);
}

proptest! {
    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut p = TextParser::new(&data[..], 0);
        for _ in 0..400 {
            if let Ok(None) = p.next_entry() {
                break;
            }
        }
    }

    #[test]
    fn random_text_never_panics(doc in "([a-z_{}=\",# .\\\\n0-9\"+\\-]|NaN|Inf|\n|\\{|\\}){0,200}") {
        for f in [None, Some(TextFormat::Prometheus), Some(TextFormat::OpenMetrics)] {
            let _ = parse_all(&doc, f);
        }
    }

    #[test]
    fn round_trip_labels(
        name in "[a-zA-Z_:][a-zA-Z0-9_:]{0,10}",
        labels in proptest::collection::btree_map("[a-z][a-z0-9_]{0,6}", "\\PC{0,8}", 0..5),
        v in any::<f64>(),
        ts in any::<i64>(),
    ) {
        let mut doc = name.clone();
        doc.push('{');
        for (k, val) in &labels {
            let esc = val.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
            doc.push_str(&format!("{k}=\"{esc}\","));
        }
        doc.push_str(&format!("}} {v:?} {ts}\n"));
        let got = parse_all(&doc, Some(TextFormat::Prometheus)).expect("valid line");
        let mut want: Vec<(String, String)> = labels.into_iter().collect();
        if !want.iter().any(|(k, _)| k == "__name__") {
            want.push(("__name__".into(), name));
        }
        want.sort();
        prop_assert_eq!(got.len(), 1);
        match &got[0] {
            Owned::Sample { labels, value, ts: t, .. } => {
                prop_assert_eq!(labels, &want);
                if v.is_nan() { prop_assert!(f64::from_bits(*value).is_nan()); }
                else { prop_assert_eq!(*value, v.to_bits()); }
                prop_assert_eq!(*t, ts);
            }
            other => prop_assert!(false, "not a sample: {:?}", other),
        }
    }
}
