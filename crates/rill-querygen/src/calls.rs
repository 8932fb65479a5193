//! Function calls: every function of `rill_promql::standard_function_names()`, each with
//! arguments of its signature's types, and with argument values that make sense where the
//! function cares (counters under `rate`, histograms under `histogram_*`, valid regexes in
//! `label_replace`, smoothing factors in `(0, 1)`, quantiles, label names that exist).

use rill_promql::{ValueType, standard_function_names, standard_signature};

use crate::generator::{ATOM, Generator, Out};
use crate::literals::{self, quoted};
use crate::schema::MetricKind;

/// Functions whose natural input is a counter.
const COUNTER_FUNCS: &[&str] = &["rate", "increase", "irate", "resets"];
/// Functions whose natural input is a histogram vector.
const HISTOGRAM_FUNCS: &[&str] = &[
    "histogram_avg",
    "histogram_count",
    "histogram_sum",
    "histogram_stddev",
    "histogram_stdvar",
    "histogram_quantile",
    "histogram_fraction",
    "histogram_quantiles",
];

impl Generator<'_> {
    /// A call of a random function returning `want`.
    pub(crate) fn call(&mut self, want: ValueType, d: u32) -> Out {
        let names: Vec<&'static str> = standard_function_names()
            .filter(|n| self.function_allowed(n) && standard_signature(n).is_some_and(|s| s.return_type == want))
            .collect();
        let name = self.rng.pick(&names).copied().unwrap_or("abs");
        self.call_named(name, d)
    }

    /// Whether the configuration lets the generator call `name`.
    fn function_allowed(&self, name: &str) -> bool {
        if self.cfg.prometheus_2_42 && !crate::compat::in_prometheus_2_42(name) {
            return false;
        }
        standard_signature(name).is_some_and(|s| self.cfg.experimental || !s.experimental)
    }

    /// A call of `name` with well-typed arguments.
    pub(crate) fn call_named(&mut self, name: &str, d: u32) -> Out {
        let Some(sig) = standard_signature(name) else {
            return self.selector(None);
        };
        let mut labels = Vec::new();
        let args: Vec<String> = match name {
            "label_replace" => {
                let v = self.vector(d);
                labels = v.labels.clone();
                let src = self.rng.pick(&v.labels).cloned().unwrap_or_else(|| "job".into());
                let dsts: &[&str] = if self.cfg.prometheus_2_42 {
                    &["dst", "job", "__name__"]
                } else {
                    &["dst", "job", "service.name", "__name__"]
                };
                let dst = self.rng.pick(dsts).copied().unwrap_or("dst");
                labels.push(dst.to_string());
                let regex = ["(.*)", "(.+)-(\\d+):.*", "^api.*$", "", "(?i)GET|post"][self.rng.below(5)];
                vec![
                    v.text,
                    quoted(&mut self.rng, dst),
                    quoted(&mut self.rng, "$1-${2}"),
                    quoted(&mut self.rng, &src),
                    quoted(&mut self.rng, regex),
                ]
            }
            "label_join" => {
                let v = self.vector(d);
                labels = v.labels.clone();
                let mut args = vec![v.text, quoted(&mut self.rng, "joined"), quoted(&mut self.rng, ",")];
                for l in self.rng.subset(&v.labels, 3) {
                    args.push(quoted(&mut self.rng, &l));
                }
                labels.push("joined".into());
                args
            }
            "sort_by_label" | "sort_by_label_desc" => {
                let v = self.vector(d);
                labels = v.labels.clone();
                let mut args = vec![v.text];
                let mut chosen = self.rng.subset(&v.labels, 3);
                if chosen.is_empty() {
                    chosen.push("instance".into());
                }
                for l in chosen {
                    args.push(quoted(&mut self.rng, &l));
                }
                args
            }
            "histogram_quantile" => {
                let h = self.histogram_vector(d);
                labels = h.labels;
                vec![literals::quantile(&mut self.rng), h.text]
            }
            "histogram_fraction" => {
                let h = self.histogram_vector(d);
                labels = h.labels;
                let lo = ["0", "-Inf", "0.1", "0.05"][self.rng.below(4)];
                let hi = ["0.25", "+Inf", "1", "0.1"][self.rng.below(4)];
                vec![lo.into(), hi.into(), h.text]
            }
            "histogram_quantiles" => {
                let h = self.histogram_vector(d);
                labels = h.labels;
                let mut args = vec![h.text, quoted(&mut self.rng, "quantile")];
                for _ in 0..=self.rng.below(3) {
                    args.push(literals::quantile(&mut self.rng));
                }
                args
            }
            n if HISTOGRAM_FUNCS.contains(&n) => {
                let h = self.histogram_vector(d);
                labels = h.labels;
                vec![h.text]
            }
            "info" => {
                let v = self.vector(d);
                labels = v.labels.clone();
                let mut args = vec![v.text];
                if self.rng.chance(0.6) {
                    let sel = [
                        "{job=~\".+\"}",
                        "{__name__=\"up\"}",
                        "{instance!=\"\"}",
                        "{\"job\"=\"api\"}",
                    ];
                    args.push(sel[self.rng.below(sel.len())].to_string());
                }
                args
            }
            "quantile_over_time" => {
                let m = self.matrix(d);
                labels = m.labels;
                vec![literals::quantile(&mut self.rng), m.text]
            }
            "double_exponential_smoothing" => {
                let m = self.matrix_for(name, d);
                labels = m.labels;
                let f = |r: &mut crate::rng::Rng| format!("0.{}", r.range(1, 9));
                vec![m.text, f(&mut self.rng), f(&mut self.rng)]
            }
            "predict_linear" => {
                let m = self.matrix_for(name, d);
                labels = m.labels;
                vec![m.text, ["3600", "60", "-300", "0"][self.rng.below(4)].to_string()]
            }
            "round" | "clamp_min" | "clamp_max" | "clamp" => {
                let v = self.vector(d);
                labels = v.labels.clone();
                let mut args = vec![v.text];
                let extra = sig.arg_types.len() - 1;
                let n = if sig.variadic > 0 && self.rng.chance(0.4) {
                    0
                } else {
                    extra
                };
                for _ in 0..n {
                    args.push(self.scalar(d).text);
                }
                args
            }
            _ => self.generic_args(name, &sig, d, &mut labels),
        };
        // Function names are case-sensitive (unlike keywords and aggregations).
        Out {
            text: format!("{name}({})", args.join(", ")),
            prec: ATOM,
            labels,
        }
    }

    /// Arguments by type alone: the required ones and a random number of optional ones.
    fn generic_args(
        &mut self,
        name: &str,
        sig: &rill_promql::Signature,
        d: u32,
        labels: &mut Vec<String>,
    ) -> Vec<String> {
        let required = if sig.variadic > 0 {
            sig.arg_types.len().saturating_sub(sig.variadic as usize)
        } else {
            sig.arg_types.len()
        };
        let n = match sig.variadic {
            0 => required,
            v if v > 0 => required + self.rng.below(v as usize + 1),
            _ => required + self.rng.below(3),
        };
        let mut args = Vec::with_capacity(n);
        for i in 0..n {
            let ty = sig
                .arg_types
                .get(i)
                .or(sig.arg_types.last())
                .copied()
                .unwrap_or(ValueType::Vector);
            let arg = match ty {
                ValueType::Vector => self.vector(d),
                ValueType::Scalar => self.scalar(d),
                ValueType::Matrix => self.matrix_for(name, d),
                ValueType::String => Out::atom(quoted(&mut self.rng, "job")),
            };
            if labels.is_empty() && matches!(ty, ValueType::Vector | ValueType::Matrix) {
                *labels = arg.labels.clone();
            }
            args.push(arg.text);
        }
        if matches!(name, "vector" | "absent" | "absent_over_time") {
            labels.clear();
        }
        args
    }

    /// A range vector suited to `name`: counters for `rate` and friends, gauges otherwise.
    fn matrix_for(&mut self, name: &str, d: u32) -> Out {
        let kind = if COUNTER_FUNCS.contains(&name) {
            if self.rng.chance(0.15) {
                MetricKind::NativeHistogram
            } else {
                MetricKind::Counter
            }
        } else if self.rng.chance(0.1) {
            MetricKind::NativeHistogram
        } else {
            MetricKind::Gauge
        };
        if d == 0 || !self.subquery_allowed() || self.rng.chance(0.75) {
            self.matrix_selector(Some(kind))
        } else {
            self.subquery(d - 1)
        }
    }

    /// A vector of histograms: native ones, or classic `_bucket` rates grouped by `le`.
    fn histogram_vector(&mut self, d: u32) -> Out {
        if self.rng.chance(0.5) {
            let m = self.matrix_selector(Some(MetricKind::NativeHistogram));
            let f = ["rate", "increase", "sum_over_time", "last_over_time"][self.rng.below(4)];
            return match self.rng.below(3) {
                0 => self.selector(Some(MetricKind::NativeHistogram)),
                1 => Out {
                    text: format!("{f}({})", m.text),
                    prec: ATOM,
                    labels: m.labels,
                },
                _ => {
                    let by = self.rng.subset(&m.labels, 2);
                    Out {
                        text: format!("sum by ({}) ({f}({}))", self.label_list(&by), m.text),
                        prec: ATOM,
                        labels: by,
                    }
                }
            };
        }
        let m = if d > 0 && self.subquery_allowed() && self.rng.chance(0.1) {
            self.subquery(d - 1)
        } else {
            self.matrix_selector(Some(MetricKind::ClassicHistogram))
        };
        let mut by: Vec<String> = self.rng.subset(&m.labels, 2);
        if !by.iter().any(|l| l == "le") {
            by.push("le".into());
        }
        match self.rng.below(3) {
            0 => Out {
                text: format!("rate({})", m.text),
                prec: ATOM,
                labels: m.labels,
            },
            _ => Out {
                text: format!("sum by ({}) (rate({}))", self.label_list(&by), m.text),
                prec: ATOM,
                labels: by,
            },
        }
    }

    /// A histogram function over a histogram vector (so they are common, not only drawn by chance).
    pub(crate) fn histogram_expr(&mut self, d: u32) -> Out {
        let name = self.rng.pick(HISTOGRAM_FUNCS).copied().unwrap_or("histogram_quantile");
        if !self.function_allowed(name) {
            return self.call_named("histogram_quantile", d);
        }
        self.call_named(name, d)
    }
}
