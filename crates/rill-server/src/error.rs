//! API errors in Prometheus's shape: `{"status":"error","errorType":...,"error":...}` with
//! the status code Prometheus uses for each `errorType`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::json;

/// Prometheus's `errorType` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    /// `bad_data` (400): invalid parameters or query.
    BadData,
    /// `execution` (422): evaluation failed, including per-query limits.
    Execution,
    /// `timeout` (503): the query ran past its deadline.
    Timeout,
    /// `canceled` (499): the client went away.
    Canceled,
    /// `internal` (500): a bug or a storage failure.
    Internal,
    /// `unavailable` (503): the server cannot take the query now (queue full, not ready).
    Unavailable,
    /// `not_found` (404).
    NotFound,
}

impl ErrorType {
    /// The `errorType` string.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::BadData => "bad_data",
            ErrorType::Execution => "execution",
            ErrorType::Timeout => "timeout",
            ErrorType::Canceled => "canceled",
            ErrorType::Internal => "internal",
            ErrorType::Unavailable => "unavailable",
            ErrorType::NotFound => "not_found",
        }
    }

    /// The HTTP status Prometheus answers with.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorType::BadData => StatusCode::BAD_REQUEST,
            ErrorType::Execution => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorType::Timeout | ErrorType::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorType::Canceled => StatusCode::from_u16(499).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            ErrorType::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::NotFound => StatusCode::NOT_FOUND,
        }
    }

    /// The type for an engine error kind.
    pub fn from_engine(kind: rill_engine::ErrorKind) -> Self {
        use rill_engine::ErrorKind as K;
        match kind {
            K::BadData => ErrorType::BadData,
            K::Execution | K::ResourceExhausted => ErrorType::Execution,
            K::Timeout => ErrorType::Timeout,
            K::Canceled => ErrorType::Canceled,
            K::Internal => ErrorType::Internal,
            K::Unavailable => ErrorType::Unavailable,
        }
    }
}

/// An error answer of the JSON API.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// The error type (decides the status code).
    pub typ: ErrorType,
    /// The message, in Prometheus's words.
    pub msg: String,
}

impl ApiError {
    /// An error of type `typ`.
    pub fn new(typ: ErrorType, msg: impl Into<String>) -> Self {
        ApiError { typ, msg: msg.into() }
    }

    /// A `bad_data` error.
    pub fn bad_data(msg: impl Into<String>) -> Self {
        Self::new(ErrorType::BadData, msg)
    }

    /// Prometheus's `invalid parameter "<name>": <err>`.
    pub fn invalid_param(name: &str, err: impl std::fmt::Display) -> Self {
        Self::bad_data(format!("invalid parameter {name:?}: {err}"))
    }

    /// An `internal` error.
    pub fn internal(msg: impl Into<String>) -> Self {
        Self::new(ErrorType::Internal, msg)
    }

    /// The error for a failed engine call.
    pub fn from_engine(e: &rill_engine::Error) -> Self {
        Self::new(ErrorType::from_engine(e.kind()), e.to_string())
    }

    /// The JSON body.
    pub fn body(&self) -> String {
        json::error(self.typ.as_str(), &self.msg)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.typ.as_str(), self.msg)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.typ.status(), self.body()).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_and_bodies() {
        let e = ApiError::invalid_param("query", "1:1: parse error: x");
        assert_eq!(e.typ.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            e.body(),
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:1: parse error: x"}"#
        );
        assert_eq!(ErrorType::Execution.status().as_u16(), 422);
        assert_eq!(ErrorType::Canceled.status().as_u16(), 499);
        assert_eq!(ErrorType::Timeout.status().as_u16(), 503);
        assert_eq!(
            ErrorType::from_engine(rill_engine::ErrorKind::ResourceExhausted),
            ErrorType::Execution
        );
    }
}
