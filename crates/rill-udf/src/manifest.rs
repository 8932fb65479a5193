//! The manifest a module returns from `rill_manifest`: which functions it exports, their
//! kinds and PromQL argument types.
//!
//! ```text
//! rill-udf 1
//! # comments and blank lines are ignored
//! range xrate(matrix) prev          ← needs the sample before each window
//! range ewma(scalar, matrix)
//! elementwise clamp01(vector)
//! ```
//! Each function is exported under its PromQL name. Range functions take exactly one
//! `matrix` argument (anywhere) and otherwise `scalar`s; element-wise functions take a
//! `vector` first, then `scalar`s. All return an instant vector.

use rill_promql::{Signature, ValueType};

use crate::abi::ABI_VERSION;

/// Most arguments a UDF may declare.
pub const MAX_ARGS: usize = 8;
/// Most functions one module may declare.
pub const MAX_FUNCTIONS: usize = 256;

/// PromQL words a function may not be named after: calling it would parse as something else.
const RESERVED: &[&str] = &[
    "sum",
    "avg",
    "count",
    "min",
    "max",
    "group",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "count_values",
    "quantile",
    "limitk",
    "limit_ratio",
    "and",
    "or",
    "unless",
    "atan2",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "bool",
    "inf",
    "nan",
    "start",
    "end",
    "step",
    "range",
];

/// The shape of a UDF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionKind {
    /// One value per series and step from the window of samples at that step.
    Range,
    /// One float in, one float out.
    Elementwise,
}

impl FunctionKind {
    /// The manifest keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            FunctionKind::Range => "range",
            FunctionKind::Elementwise => "elementwise",
        }
    }
}

/// One function declared by a manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDecl {
    /// PromQL name, also the export name.
    pub name: String,
    /// Range or element-wise.
    pub kind: FunctionKind,
    /// Argument types in order.
    pub args: Vec<ValueType>,
    /// Whether each step also gets the last sample before its window.
    pub needs_previous_sample: bool,
}

impl FunctionDecl {
    /// The PromQL signature the parser checks calls against.
    pub fn signature(&self) -> Signature {
        Signature {
            arg_types: self.args.clone(),
            variadic: 0,
            return_type: ValueType::Vector,
            experimental: false,
        }
    }

    /// Number of scalar arguments.
    pub fn scalar_args(&self) -> usize {
        self.args.iter().filter(|t| **t == ValueType::Scalar).count()
    }

    /// `xrate(range-vector) prev`-style description for listings.
    pub fn describe(&self) -> String {
        let args: Vec<&str> = self.args.iter().map(|t| type_word(*t)).collect();
        let prev = if self.needs_previous_sample { " prev" } else { "" };
        format!("{} {}({}){prev}", self.kind.keyword(), self.name, args.join(", "))
    }
}

/// A parsed manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    /// The declared functions, in manifest order.
    pub functions: Vec<FunctionDecl>,
}

fn type_word(t: ValueType) -> &'static str {
    match t {
        ValueType::Matrix => "matrix",
        ValueType::Vector => "vector",
        _ => "scalar",
    }
}

fn parse_type(word: &str) -> Option<ValueType> {
    match word {
        "matrix" | "range-vector" => Some(ValueType::Matrix),
        "vector" | "instant-vector" => Some(ValueType::Vector),
        "scalar" => Some(ValueType::Scalar),
        _ => None,
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 128
}

/// Parses one function line (`kind name(types) [prev]`).
fn parse_line(line: &str) -> Result<FunctionDecl, String> {
    let (kind_word, rest) = line
        .split_once(char::is_whitespace)
        .ok_or("expected `kind name(args)`")?;
    let kind = match kind_word {
        "range" => FunctionKind::Range,
        "elementwise" => FunctionKind::Elementwise,
        other => {
            return Err(format!(
                "unknown function kind {other:?} (expected range or elementwise)"
            ));
        }
    };
    let (name, rest) = rest.trim().split_once('(').ok_or("expected `(` after the name")?;
    let name = name.trim();
    if !valid_name(name) {
        return Err(format!("invalid function name {name:?}"));
    }
    if RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(format!("{name:?} is a PromQL keyword or aggregation"));
    }
    let (args_text, flags) = rest.split_once(')').ok_or("expected `)` after the arguments")?;
    let args = if args_text.trim().is_empty() {
        Vec::new()
    } else {
        args_text
            .split(',')
            .map(|w| parse_type(w.trim()).ok_or_else(|| format!("unknown argument type {:?}", w.trim())))
            .collect::<Result<Vec<_>, _>>()?
    };
    if args.len() > MAX_ARGS {
        return Err(format!("{name}: more than {MAX_ARGS} arguments"));
    }
    let mut needs_previous_sample = false;
    for flag in flags.split_whitespace() {
        match flag {
            "prev" if kind == FunctionKind::Range => needs_previous_sample = true,
            other => return Err(format!("{name}: unknown flag {other:?}")),
        }
    }
    let matrices = args.iter().filter(|t| **t == ValueType::Matrix).count();
    let vectors = args.iter().filter(|t| **t == ValueType::Vector).count();
    match kind {
        FunctionKind::Range if matrices != 1 || vectors != 0 => Err(format!(
            "{name}: a range function takes exactly one matrix argument and otherwise scalars"
        )),
        FunctionKind::Elementwise if args.first() != Some(&ValueType::Vector) || vectors != 1 || matrices != 0 => Err(
            format!("{name}: an element-wise function takes a vector first and otherwise scalars"),
        ),
        _ => Ok(FunctionDecl {
            name: name.to_string(),
            kind,
            args,
            needs_previous_sample,
        }),
    }
}

impl Manifest {
    /// Parses manifest text; the error says which line is wrong and why.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        let header = format!("rill-udf {ABI_VERSION}");
        match lines.next() {
            Some((_, l)) if l == header => {}
            Some((n, l)) => return Err(format!("line {n}: expected {header:?}, found {l:?}")),
            None => return Err("manifest is empty".to_string()),
        }
        let mut functions: Vec<FunctionDecl> = Vec::new();
        for (n, line) in lines {
            let decl = parse_line(line).map_err(|e| format!("line {n}: {e}"))?;
            if functions.iter().any(|f| f.name == decl.name) {
                return Err(format!("line {n}: function {} declared twice", decl.name));
            }
            functions.push(decl);
            if functions.len() > MAX_FUNCTIONS {
                return Err(format!("more than {MAX_FUNCTIONS} functions"));
            }
        }
        if functions.is_empty() {
            return Err("manifest declares no function".to_string());
        }
        Ok(Manifest { functions })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_functions_and_flags() {
        let m = Manifest::parse(
            "rill-udf 1\n# c\n\nrange xrate(matrix) prev\nrange ewma(scalar, range-vector)\nelementwise f(vector, scalar)\n",
        )
        .unwrap();
        assert_eq!(m.functions.len(), 3);
        assert!(m.functions[0].needs_previous_sample);
        assert_eq!(m.functions[1].args, vec![ValueType::Scalar, ValueType::Matrix]);
        assert_eq!(m.functions[1].scalar_args(), 1);
        assert_eq!(m.functions[2].kind, FunctionKind::Elementwise);
        assert_eq!(m.functions[0].describe(), "range xrate(matrix) prev");
        assert_eq!(m.functions[1].signature().arg_types.len(), 2);
    }

    #[test]
    fn rejects_bad_manifests_with_the_line() {
        let cases = [
            ("", "empty"),
            ("rill-udf 2\nrange f(matrix)", "expected \"rill-udf 1\""),
            ("rill-udf 1", "no function"),
            ("rill-udf 1\nrange f(matrix, matrix)", "line 2: f: a range function"),
            ("rill-udf 1\nrange f(vector)", "exactly one matrix"),
            ("rill-udf 1\nelementwise f(scalar, vector)", "vector first"),
            ("rill-udf 1\nelementwise f(vector) prev", "unknown flag"),
            ("rill-udf 1\nrange 9f(matrix)", "invalid function name"),
            ("rill-udf 1\nrange sum(matrix)", "keyword"),
            ("rill-udf 1\nrange f(matrix)\nrange f(matrix)", "declared twice"),
            ("rill-udf 1\nrange f(matrix", "expected `)`"),
            ("rill-udf 1\nrange f(string)", "unknown argument type"),
            ("rill-udf 1\nlambda f(matrix)", "unknown function kind"),
        ];
        for (text, want) in cases {
            let err = Manifest::parse(text).unwrap_err();
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }
}
