//! The HTTP side of the tee: one instant or range query sent to a Prometheus-API server over
//! plain HTTP/1 (POST, form-encoded, as Prometheus's own clients do), timed, and its answer
//! reduced to the `data` object or the error message; plus the series listing that schemas of
//! live servers are built from.

use std::time::{Duration, Instant};

use serde_json::Value;

/// One query as the API takes it; times in (fractional) unix seconds, the step in seconds.
#[derive(Clone, Debug, PartialEq)]
pub enum TeeQuery {
    /// `/api/v1/query?query=..&time=..`.
    Instant {
        /// The PromQL expression.
        query: String,
        /// Evaluation time.
        time: f64,
    },
    /// `/api/v1/query_range?query=..&start=..&end=..&step=..`.
    Range {
        /// The PromQL expression.
        query: String,
        /// First step.
        start: f64,
        /// Last step (inclusive).
        end: f64,
        /// Step width in seconds.
        step: f64,
    },
}

impl TeeQuery {
    /// The expression.
    pub fn expr(&self) -> &str {
        match self {
            TeeQuery::Instant { query, .. } | TeeQuery::Range { query, .. } => query,
        }
    }

    /// The API path and form parameters.
    fn request(&self) -> (&'static str, Vec<(&'static str, String)>) {
        match self {
            TeeQuery::Instant { query, time } => (
                "/api/v1/query",
                vec![("query", query.clone()), ("time", time.to_string())],
            ),
            TeeQuery::Range {
                query,
                start,
                end,
                step,
            } => (
                "/api/v1/query_range",
                vec![
                    ("query", query.clone()),
                    ("start", start.to_string()),
                    ("end", end.to_string()),
                    ("step", step.to_string()),
                ],
            ),
        }
    }
}

/// What a server answered.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// `status: success`: the `data` object.
    Success(Value),
    /// `status: error` (or an answer without JSON): `errorType: error`.
    Error(String),
}

/// A timed answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// The answer.
    pub outcome: Outcome,
    /// Wall time from sending the request to having read the whole body.
    pub latency: Duration,
}

/// A failure of the tee itself (the server could not be reached or sent no API answer), as
/// opposed to a query error, which is an [`Outcome::Error`].
#[derive(Debug, thiserror::Error)]
pub enum TeeError {
    /// The request failed in transport.
    #[error("request to {url} failed: {source}")]
    Http {
        /// The URL.
        url: String,
        /// The client error.
        #[source]
        source: reqwest::Error,
    },
    /// A metadata answer was not the JSON the API promises.
    #[error("unexpected answer from {url}: {what}")]
    BadAnswer {
        /// The URL.
        url: String,
        /// What was wrong.
        what: String,
    },
}

/// A client for both servers of a tee, with a per-request timeout.
#[derive(Clone, Debug)]
pub struct TeeClient {
    http: reqwest::Client,
}

impl TeeClient {
    /// A client whose requests give up after `timeout`.
    pub fn new(timeout: Duration) -> Result<Self, TeeError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|source| TeeError::Http {
                url: String::new(),
                source,
            })?;
        Ok(TeeClient { http })
    }

    /// Sends `query` to the server at `base` (e.g. `http://127.0.0.1:9090`) and times it.
    pub async fn query(&self, base: &str, query: &TeeQuery) -> Result<Reply, TeeError> {
        let (path, params) = query.request();
        let url = format!("{}{path}", base.trim_end_matches('/'));
        let began = Instant::now();
        let (status, body) = self.post(&url, &params).await?;
        let latency = began.elapsed();
        let outcome = match serde_json::from_slice::<Value>(&body) {
            Ok(v) if v.get("status").and_then(Value::as_str) == Some("success") => {
                Outcome::Success(v.get("data").cloned().unwrap_or(Value::Null))
            }
            Ok(v) => Outcome::Error(format!(
                "{}: {}",
                v.get("errorType").and_then(Value::as_str).unwrap_or("?"),
                v.get("error").and_then(Value::as_str).unwrap_or("?")
            )),
            Err(_) => Outcome::Error(format!("HTTP {status}: {}", String::from_utf8_lossy(&body))),
        };
        Ok(Reply { outcome, latency })
    }

    /// Sends `query` to the reference, then to the test server (one after the other, so
    /// neither's latency includes the other's work).
    pub async fn run(&self, reference: &str, test: &str, query: &TeeQuery) -> Result<(Reply, Reply), TeeError> {
        let r = self.query(reference, query).await?;
        let t = self.query(test, query).await?;
        Ok((r, t))
    }

    /// The label sets of every series matching `matcher` (e.g. `{__name__=~".+"}`) in
    /// `[start, end]` (unix seconds), via `/api/v1/series`.
    pub async fn series(
        &self,
        base: &str,
        matcher: &str,
        start: f64,
        end: f64,
    ) -> Result<Vec<Vec<(String, String)>>, TeeError> {
        let url = format!("{}/api/v1/series", base.trim_end_matches('/'));
        let params = [
            ("match[]", matcher.to_string()),
            ("start", start.to_string()),
            ("end", end.to_string()),
        ];
        let (_, body) = self.post(&url, &params).await?;
        let bad = |what: &str| TeeError::BadAnswer {
            url: url.clone(),
            what: what.to_string(),
        };
        let v: Value = serde_json::from_slice(&body).map_err(|e| bad(&e.to_string()))?;
        let data = v
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no data array"))?;
        Ok(data
            .iter()
            .filter_map(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .collect())
    }

    /// POSTs form-encoded `params` to `url`; the status code and the whole body.
    async fn post(&self, url: &str, params: &[(&str, String)]) -> Result<(u16, Vec<u8>), TeeError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        let http = |source| TeeError::Http {
            url: url.to_string(),
            source,
        };
        let response = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(http)?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(http)?;
        Ok((status, bytes.to_vec()))
    }
}
