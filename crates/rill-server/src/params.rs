//! Request parameters as Prometheus reads them: URL query and form body merged (body first,
//! like Go's `r.FormValue`), times as unix seconds or RFC 3339, durations as float seconds or
//! Prometheus durations, `match[]` selectors, `limit`.

use axum::extract::{FromRequest, Request};
use axum::http::{Method, header};
use bytes::Bytes;
use rill_model::Matcher;
use rill_model::time::{parse_duration, parse_timestamp};

use crate::error::ApiError;

/// Earliest time a range parameter defaults to (Prometheus's `MinTime`, in ms).
pub const MIN_TIME_MS: i64 = (i64::MIN / 1000 + 62_135_596_801) * 1000;
/// Latest time a range parameter defaults to (Prometheus's `MaxTime`, in ms).
pub const MAX_TIME_MS: i64 = (i64::MAX / 1000 - 62_135_596_801) * 1000 + 999;

/// The parameters of one request.
#[derive(Clone, Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parameters from raw `application/x-www-form-urlencoded` parts (body first).
    pub fn from_parts(parts: &[&[u8]]) -> Self {
        let pairs = parts
            .iter()
            .flat_map(|p| form_urlencoded::parse(p).map(|(k, v)| (k.into_owned(), v.into_owned())))
            .collect();
        Params { pairs }
    }

    /// The first value of `name`, or `""` (Go's `FormValue`).
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Parses `name` as a time, `default` when absent; errors as Prometheus's `parseTimeParam`.
    pub fn time_or(&self, name: &str, default: i64) -> Result<i64, ApiError> {
        match self.get(name) {
            "" => Ok(default),
            v => parse_time(v)
                .map_err(|e| ApiError::invalid_param(name, format!("Invalid time value for '{name}': {e}"))),
        }
    }

    /// Parses `limit` (0 = none).
    pub fn limit(&self) -> Result<usize, ApiError> {
        match self.get("limit") {
            "" => Ok(0),
            s => {
                let n: i64 = s.parse().map_err(|_| {
                    ApiError::invalid_param("limit", format!("strconv.Atoi: parsing {s:?}: invalid syntax"))
                })?;
                usize::try_from(n).map_err(|_| ApiError::invalid_param("limit", "limit must be non-negative"))
            }
        }
    }

    /// Parses the `match[]` selectors; each set needs one matcher that rejects the empty string.
    pub fn matcher_sets(&self) -> Result<Vec<Vec<Matcher>>, String> {
        self.all("match[]").into_iter().map(parse_selector).collect()
    }
}

/// Parses one series selector (`up{job="a"}`) into matchers. Like Prometheus's
/// `ParseMetricSelector` this checks syntax only: a selector of empty-matching matchers
/// gets the API's own message below, not the query parser's.
pub fn parse_selector(s: &str) -> Result<Vec<Matcher>, String> {
    let parsed = rill_promql::parse_selector_unchecked(s, &rill_promql::ParseOptions::default());
    let Some(vs) = parsed.map_err(|e| e.to_string())? else {
        return Err(format!(
            "1:1: parse error: unexpected expression, expected a series selector: {s}"
        ));
    };
    let matchers = vs.matchers.clone();
    if matchers.iter().all(|m| m.matches_empty()) {
        return Err("match[] must contain at least one non-empty matcher".into());
    }
    Ok(matchers)
}

/// Prometheus's `parseTime`: float unix seconds (rounded to ms) or RFC 3339.
pub fn parse_time(s: &str) -> Result<i64, String> {
    parse_timestamp(s).map_err(|_| format!("cannot parse {s:?} to a valid timestamp"))
}

/// Prometheus's `parseDuration`: float seconds or a duration like `1m30s`; returns ms.
pub fn parse_duration_param(s: &str) -> Result<i64, String> {
    if let Ok(secs) = s.parse::<f64>() {
        let ms = secs * 1000.0;
        if !ms.is_finite() || ms.abs() > 9.2e15 {
            return Err(format!("cannot parse {s:?} to a valid duration. It overflows int64"));
        }
        return Ok(ms.round() as i64);
    }
    parse_duration(s).map_err(|_| format!("cannot parse {s:?} to a valid duration"))
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let query = req.uri().query().unwrap_or("").as_bytes().to_vec();
        let is_form = req.method() == Method::POST
            && req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let body = if is_form {
            Bytes::from_request(req, state)
                .await
                .map_err(|e| ApiError::bad_data(format!("error parsing form values: {e}")))?
        } else {
            Bytes::new()
        };
        Ok(Params::from_parts(&[&body, &query]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_wins_and_repeated_keys_are_kept() {
        let p = Params::from_parts(&[b"query=up&match[]=a", b"query=down&match%5B%5D=b&time=1.5"]);
        assert_eq!(p.get("query"), "up");
        assert_eq!(p.all("match[]"), vec!["a", "b"]);
        assert_eq!(p.time_or("time", 0).unwrap(), 1500);
        assert_eq!(p.time_or("start", 7).unwrap(), 7);
        assert_eq!(p.get("missing"), "");
    }

    #[test]
    fn times_durations_and_limits() {
        assert_eq!(parse_time("2023-11-14T22:13:20Z").unwrap(), 1_700_000_000_000);
        assert_eq!(
            parse_time("yesterday").unwrap_err(),
            "cannot parse \"yesterday\" to a valid timestamp"
        );
        assert_eq!(parse_duration_param("1m30s").unwrap(), 90_000);
        assert_eq!(parse_duration_param("0.5").unwrap(), 500);
        assert!(parse_duration_param("1e300").unwrap_err().contains("overflows int64"));
        assert_eq!(
            parse_duration_param("x").unwrap_err(),
            "cannot parse \"x\" to a valid duration"
        );
        let p = Params::from_parts(&[b"time=abc&limit=-1"]);
        assert_eq!(
            p.time_or("time", 0).unwrap_err().msg,
            "invalid parameter \"time\": Invalid time value for 'time': cannot parse \"abc\" to a valid timestamp"
        );
        assert_eq!(
            p.limit().unwrap_err().msg,
            "invalid parameter \"limit\": limit must be non-negative"
        );
    }
}
