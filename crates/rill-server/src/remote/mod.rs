//! Prometheus remote write receiver and remote read server. Their errors are plain-text
//! bodies with Prometheus's status codes (these endpoints are not part of the JSON API).

pub mod read;
pub mod write;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A plain-text error, as Go's `http.Error` writes it.
pub fn text_error(code: StatusCode, msg: impl std::fmt::Display) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{msg}\n"),
    )
        .into_response()
}

/// Checks `Content-Encoding: snappy` (absent is accepted, as Prometheus does); the error
/// response otherwise.
fn check_snappy_encoding(headers: &HeaderMap) -> Option<Response> {
    match headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(enc) if enc.eq_ignore_ascii_case("snappy") => None,
        Some(enc) => Some(text_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("{enc} encoding (compression) is not accepted by this server; only snappy is acceptable"),
        )),
    }
}
