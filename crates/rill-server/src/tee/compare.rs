//! The comparison rules of the shared `promcompare.py`, over the `data` objects of two
//! `/api/v1/query(_range)` answers: same `resultType`; for vectors and matrices the same label
//! sets, the same timestamps per series and values equal within the tolerances (NaN equals
//! NaN, infinities exactly); scalars and strings likewise; for a top-level `sort()` /
//! `sort_desc()` instant query also the same value order (labels may break ties differently).
//!
//! One addition to promcompare's rules: label values that are numbers (what `count_values`
//! makes of sample values) compare within the same tolerances, so that a series found on one
//! side only is paired with one whose label sets differ only there. Otherwise a last-bit
//! difference, which values are allowed, would fail as soon as `count_values` prints it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::client::{Outcome, Reply};
use super::difference::{Difference, Side};

/// Tolerances of value comparisons.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompareOptions {
    /// Relative tolerance (promcompare's default 1e-9).
    pub rtol: f64,
    /// Absolute tolerance near zero (promcompare's default 1e-12).
    pub atol: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            rtol: 1e-9,
            atol: 1e-12,
        }
    }
}

impl CompareOptions {
    /// Whether two API value strings are equal: both NaN, equal infinities, or finite and
    /// close (Python's `math.isclose`). Unparsable strings are equal only when identical.
    fn values_equal(&self, a: &str, b: &str) -> bool {
        let (Ok(x), Ok(y)) = (parse_float(a), parse_float(b)) else {
            return a == b;
        };
        if x.is_nan() || y.is_nan() {
            return x.is_nan() && y.is_nan();
        }
        if x.is_infinite() || y.is_infinite() {
            return x == y;
        }
        (x - y).abs() <= (self.rtol * x.abs().max(y.abs())).max(self.atol)
    }
}

impl CompareOptions {
    /// Whether two label sets have the same names and, per name, equal values or values that
    /// are both numbers equal within the tolerances.
    fn labels_close(&self, a: &Labels, b: &Labels) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|((an, av), (bn, bv))| {
                an == bn && (av == bv || (parse_float(av).is_ok() && self.values_equal(av, bv)))
            })
    }
}

/// Parses Prometheus's float spellings (`1.5`, `NaN`, `+Inf`, `-Inf`).
fn parse_float(s: &str) -> Result<f64, std::num::ParseFloatError> {
    s.strip_prefix('+').unwrap_or(s).parse()
}

/// Whether `query` is a top-level `sort(...)` or `sort_desc(...)`, whose instant results are
/// ordered.
pub fn is_sorted_query(query: &str) -> bool {
    let q = query.trim();
    q.starts_with("sort(") || q.starts_with("sort_desc(")
}

/// Compares two replies: both erroring agrees; one erroring is a [`Difference::Error`];
/// otherwise [`compare_data`].
pub fn compare_replies(reference: &Reply, test: &Reply, ordered: bool, opts: CompareOptions) -> Vec<Difference> {
    match (&reference.outcome, &test.outcome) {
        (Outcome::Error(_), Outcome::Error(_)) => Vec::new(),
        (Outcome::Error(message), Outcome::Success(_)) => vec![Difference::Error {
            side: Side::Reference,
            message: message.clone(),
        }],
        (Outcome::Success(_), Outcome::Error(message)) => vec![Difference::Error {
            side: Side::Test,
            message: message.clone(),
        }],
        (Outcome::Success(r), Outcome::Success(t)) => compare_data(r, t, ordered, opts),
    }
}

/// Compares two `data` objects (`{"resultType": ..., "result": ...}`); empty when they agree.
/// `ordered` checks the value order of vectors (top-level `sort` / `sort_desc`).
pub fn compare_data(reference: &Value, test: &Value, ordered: bool, opts: CompareOptions) -> Vec<Difference> {
    let rt = reference.get("resultType").and_then(Value::as_str).unwrap_or("");
    let tt = test.get("resultType").and_then(Value::as_str).unwrap_or("");
    if rt != tt {
        return vec![Difference::ResultType {
            reference: rt.to_string(),
            test: tt.to_string(),
        }];
    }
    let null = Value::Null;
    let r = reference.get("result").unwrap_or(&null);
    let t = test.get("result").unwrap_or(&null);
    let mut diffs = Vec::new();
    match rt {
        "scalar" | "string" => {
            let (Some(rp), Some(tp)) = (point(r), point(t)) else {
                let side = if point(r).is_none() {
                    Side::Reference
                } else {
                    Side::Test
                };
                return vec![Difference::Malformed {
                    side,
                    what: format!("{rt} result is not [time, value]"),
                }];
            };
            compare_points("", &[rp], &[tp], rt == "scalar", opts, &mut diffs);
        }
        "vector" | "matrix" => {
            let rs = index_series(r, Side::Reference, &mut diffs);
            let ts = index_series(t, Side::Test, &mut diffs);
            let mut test_only: Vec<&String> = ts.keys().filter(|k| !rs.contains_key(*k)).collect();
            for (labels, (r_labels, (rv, rh))) in &rs {
                let other = ts.get(labels).or_else(|| {
                    let i = test_only.iter().position(|k| {
                        ts.get(*k)
                            .is_some_and(|(t_labels, _)| opts.labels_close(r_labels, t_labels))
                    })?;
                    ts.get(test_only.remove(i))
                });
                match other {
                    Some((_, (tv, th))) => {
                        compare_points(labels, rv, tv, true, opts, &mut diffs);
                        compare_points(labels, rh, th, false, opts, &mut diffs);
                    }
                    None => diffs.push(Difference::OnlyIn {
                        side: Side::Reference,
                        labels: labels.clone(),
                    }),
                }
            }
            for labels in test_only {
                diffs.push(Difference::OnlyIn {
                    side: Side::Test,
                    labels: labels.clone(),
                });
            }
            if ordered && rt == "vector" && diffs.is_empty() {
                compare_order(r, t, opts, &mut diffs);
            }
        }
        other => diffs.push(Difference::Malformed {
            side: Side::Reference,
            what: format!("unknown resultType {other:?}"),
        }),
    }
    diffs
}

/// A `[time, "value"]` pair as (seconds, value text); histograms print as their JSON.
fn point(v: &Value) -> Option<(f64, String)> {
    let pair = v.as_array()?;
    let t = pair.first()?.as_f64()?;
    let value = match pair.get(1)? {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Some((t, value))
}

/// One point: time in seconds and the value as the server wrote it.
type Point = (f64, String);

/// Float points and histogram points of one series.
type Points = (Vec<Point>, Vec<Point>);

/// A series' label pairs, sorted by name.
type Labels = BTreeMap<String, String>;

/// The series of a vector or matrix result (labels and points) by their printed label set;
/// duplicates are noted.
fn index_series(result: &Value, side: Side, diffs: &mut Vec<Difference>) -> BTreeMap<String, (Labels, Points)> {
    let mut out = BTreeMap::new();
    for s in result.as_array().map(Vec::as_slice).unwrap_or_default() {
        let pairs: Labels = s
            .get("metric")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let labels = format_labels(&pairs);
        let list = |key: &str| -> Vec<(f64, String)> {
            s.get(key)
                .and_then(Value::as_array)
                .map(|ps| ps.iter().filter_map(point).collect())
                .unwrap_or_default()
        };
        let single = |key: &str| -> Vec<(f64, String)> { s.get(key).and_then(point).into_iter().collect() };
        let mut floats = list("values");
        floats.extend(single("value"));
        let mut hists = list("histograms");
        hists.extend(single("histogram"));
        if out.insert(labels.clone(), (pairs, (floats, hists))).is_some() {
            diffs.push(Difference::DuplicateSeries { side, labels });
        }
    }
    out
}

/// `name{a="b",...}` with the labels sorted, as promcompare prints them.
fn format_labels(pairs: &Labels) -> String {
    let name = pairs.get("__name__").map_or("", String::as_str);
    let rest: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| *k != "__name__")
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect();
    format!("{name}{{{}}}", rest.join(","))
}

/// Compares two point lists of one series: timestamps exactly, values as floats (`float`)
/// or as text (histogram JSON, strings).
fn compare_points(
    labels: &str,
    r: &[(f64, String)],
    t: &[(f64, String)],
    float: bool,
    opts: CompareOptions,
    diffs: &mut Vec<Difference>,
) {
    let key = |x: f64| x.to_bits();
    let rm: BTreeMap<u64, &Point> = r.iter().map(|p| (key(p.0), p)).collect();
    let tm: BTreeMap<u64, &Point> = t.iter().map(|p| (key(p.0), p)).collect();
    let rk: BTreeSet<u64> = rm.keys().copied().collect();
    let tk: BTreeSet<u64> = tm.keys().copied().collect();
    if rk != tk {
        let times = |a: &BTreeSet<u64>, b: &BTreeSet<u64>| -> Vec<f64> {
            let mut v: Vec<f64> = a.difference(b).map(|k| f64::from_bits(*k)).collect();
            v.sort_by(f64::total_cmp);
            v
        };
        diffs.push(Difference::Timestamps {
            labels: labels.to_string(),
            only_reference: times(&rk, &tk),
            only_test: times(&tk, &rk),
        });
    }
    let mut common: Vec<(&Point, &Point)> = rm.iter().filter_map(|(k, rp)| tm.get(k).map(|tp| (*rp, *tp))).collect();
    common.sort_by(|a, b| a.0.0.total_cmp(&b.0.0));
    for (rp, tp) in common {
        let equal = if float {
            opts.values_equal(&rp.1, &tp.1)
        } else {
            rp.1 == tp.1
        };
        if !equal {
            diffs.push(Difference::Value {
                labels: labels.to_string(),
                t: rp.0,
                reference: rp.1.clone(),
                test: tp.1.clone(),
            });
        }
    }
}

/// The value order of two vectors with equal contents.
fn compare_order(r: &Value, t: &Value, opts: CompareOptions, diffs: &mut Vec<Difference>) {
    let values = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|s| s.get("value").and_then(point).map(|p| p.1))
            .collect()
    };
    let (rv, tv) = (values(r), values(t));
    if rv.iter().zip(&tv).any(|(a, b)| !opts.values_equal(a, b)) {
        diffs.push(Difference::Order {
            reference: rv.into_iter().take(5).collect(),
            test: tv.into_iter().take(5).collect(),
        });
    }
}

#[cfg(test)]
mod tests;
