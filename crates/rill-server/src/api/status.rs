//! Status endpoints: build and runtime info, flags, the function list, health, readiness and
//! `/metrics`.

use std::io::Write;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rill_engine::{FunctionDef, FunctionOrigin};
use rill_model::time::format_rfc3339;

use crate::api::meta::json_response;
use crate::api::query::St;
use crate::json;
use crate::state::now_ms;

fn object<K: AsRef<str>>(fields: &[(K, Field)]) -> Response {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = json::write_success_with(&mut out, &[], |w| {
        w.write_all(b"{")?;
        for (i, (k, v)) in fields.iter().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            json::write_str(w, k.as_ref())?;
            w.write_all(b":")?;
            match v {
                Field::Str(s) => json::write_str(w, s)?,
                Field::Raw(s) => w.write_all(s.as_bytes())?,
            }
        }
        w.write_all(b"}")
    });
    json_response(out)
}

/// A JSON field value: a string, or a literal (number, bool).
enum Field {
    Str(String),
    Raw(String),
}

/// `GET /api/v1/status/buildinfo`.
pub async fn buildinfo() -> Response {
    object(&[
        ("version", Field::Str(env!("CARGO_PKG_VERSION").into())),
        ("revision", Field::Str(String::new())),
        ("branch", Field::Str(String::new())),
        ("buildUser", Field::Str(String::new())),
        ("buildDate", Field::Str(String::new())),
        ("goVersion", Field::Str(String::new())),
    ])
}

/// `GET /api/v1/status/runtimeinfo`.
pub async fn runtimeinfo(State(st): St) -> Response {
    let cwd = std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start = format_rfc3339(st.start_time_ms);
    object(&[
        ("startTime", Field::Str(start.clone())),
        ("CWD", Field::Str(cwd)),
        ("hostname", Field::Str(std::env::var("HOSTNAME").unwrap_or_default())),
        ("serverTime", Field::Str(format_rfc3339(now_ms()))),
        ("reloadConfigSuccess", Field::Raw("true".into())),
        ("lastConfigTime", Field::Str(start)),
        ("corruptionCount", Field::Raw("0".into())),
        (
            "goroutineCount",
            Field::Raw(st.gate.running(st.config.max_concurrent_queries).to_string()),
        ),
        ("GOMAXPROCS", Field::Raw(cpus.to_string())),
        ("GOMEMLIMIT", Field::Raw("0".into())),
        ("GOGC", Field::Str(String::new())),
        ("GODEBUG", Field::Str(String::new())),
        ("storageRetention", Field::Str(String::new())),
    ])
}

/// `GET /api/v1/status/flags`.
pub async fn flags(State(st): St) -> Response {
    let fields: Vec<(String, Field)> = st.config.flags().into_iter().map(|(k, v)| (k, Field::Str(v))).collect();
    object(&fields)
}

/// `GET /api/v1/status/functions` (Rill's own; Prometheus has no such endpoint): every
/// function queries may call, built-in or user-defined (WebAssembly UDF), sorted by name, with
/// its signature, so a UI can offer them.
pub async fn functions(State(st): St) -> Response {
    let data: Vec<FunctionEntry<'_>> = st.registry.definitions().into_iter().map(FunctionEntry::new).collect();
    let mut out = Vec::new();
    // Writing into a Vec cannot fail, nor can serializing plain strings and numbers.
    let _ = json::write_success_with(&mut out, &[], |w| {
        serde_json::to_writer(w, &data).map_err(std::io::Error::other)
    });
    json_response(out)
}

/// One entry of the function list; `module` and `kind` only for UDFs.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct FunctionEntry<'a> {
    name: &'a str,
    origin: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    module: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    arg_types: Vec<&'static str>,
    variadic: i32,
    return_type: &'static str,
    experimental: bool,
}

impl<'a> FunctionEntry<'a> {
    fn new(def: &'a FunctionDef) -> Self {
        let (origin, module, kind) = match def.factory.origin() {
            FunctionOrigin::Builtin => ("builtin", None, None),
            FunctionOrigin::UserDefined { module, kind } => ("udf", Some(module), Some(kind.as_str())),
        };
        let sig = &def.signature;
        FunctionEntry {
            name: &def.name,
            origin,
            module,
            kind,
            arg_types: sig.arg_types.iter().map(|t| t.as_str()).collect(),
            variadic: sig.variadic,
            return_type: sig.return_type.as_str(),
            experimental: sig.experimental,
        }
    }
}

/// `GET /-/healthy`.
pub async fn healthy() -> &'static str {
    "Prometheus Server is Healthy.\n"
}

/// `GET /-/ready`: 200 once queries can be served, 503 before.
pub async fn ready(State(st): St) -> Response {
    if st.is_ready() {
        (StatusCode::OK, "Prometheus Server is Ready.\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response()
    }
}

/// `GET /metrics`.
pub async fn metrics(State(st): St) -> Response {
    let mut resp = st.metrics.render().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    resp
}
