//! A small Prometheus HTTP API client: instant queries (`/api/v1/query`) and range queries
//! (`/api/v1/query_range`), their results parsed into vectors, matrices and scalars.
//! Expressions are sent as a form-encoded `query` parameter, never pasted into a URL or a
//! shell; every request has the configured timeout.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum PromError {
    #[error("Prometheus unreachable: {reason} ({url})")]
    Unreachable { url: String, reason: String },
    #[error("Prometheus answered HTTP {status}: {message}")]
    Http { status: u16, message: String },
    #[error("Prometheus refused the query ({kind}): {message}")]
    Query { kind: String, message: String },
    #[error("Prometheus' answer could not be read: {0}")]
    Parse(String),
}

/// One series of an instant vector: its labels and its value at `at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub at: DateTime<Utc>,
    pub value: f64,
}

/// One series of a range query.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    pub points: Vec<(DateTime<Utc>, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QueryResult {
    Vector(Vec<Sample>),
    Matrix(Vec<Series>),
    Scalar(DateTime<Utc>, f64),
    String(DateTime<Utc>, String),
}

impl QueryResult {
    /// The samples of a vector, or a scalar as one sample without labels.
    pub fn into_samples(self) -> Vec<Sample> {
        match self {
            QueryResult::Vector(v) => v,
            QueryResult::Scalar(at, value) => vec![Sample {
                labels: BTreeMap::new(),
                at,
                value,
            }],
            QueryResult::Matrix(m) => m
                .into_iter()
                .filter_map(|s| {
                    let (at, value) = *s.points.last()?;
                    Some(Sample {
                        labels: s.labels,
                        at,
                        value,
                    })
                })
                .collect(),
            QueryResult::String(..) => vec![],
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    data: Option<Data>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
enum Data {
    Vector(Vec<RawSample>),
    Matrix(Vec<RawSeries>),
    Scalar((f64, String)),
    String((f64, String)),
}

#[derive(Deserialize)]
struct RawSample {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    value: (f64, String),
}

#[derive(Deserialize)]
struct RawSeries {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

fn time_of(t: f64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis((t * 1000.0).round() as i64).unwrap_or_default()
}

/// Prometheus writes sample values as strings: `"0.25"`, `"NaN"`, `"+Inf"`, `"-Inf"`.
fn value_of(v: &str) -> Result<f64, PromError> {
    match v {
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => v
            .parse()
            .map_err(|_| PromError::Parse(format!("`{v}` is not a sample value"))),
    }
}

/// Parses a `/api/v1/query` or `/api/v1/query_range` response body.
pub fn parse_response(body: &[u8]) -> Result<QueryResult, PromError> {
    let env: Envelope =
        serde_json::from_slice(body).map_err(|e| PromError::Parse(e.to_string()))?;
    if env.status != "success" {
        return Err(PromError::Query {
            kind: env.error_type.unwrap_or_else(|| "error".into()),
            message: env.error.unwrap_or_default(),
        });
    }
    let data = env
        .data
        .ok_or_else(|| PromError::Parse("a success without `data`".into()))?;
    Ok(match data {
        Data::Vector(v) => QueryResult::Vector(
            v.into_iter()
                .map(|s| {
                    Ok(Sample {
                        labels: s.metric,
                        at: time_of(s.value.0),
                        value: value_of(&s.value.1)?,
                    })
                })
                .collect::<Result<_, PromError>>()?,
        ),
        Data::Matrix(m) => QueryResult::Matrix(
            m.into_iter()
                .map(|s| {
                    Ok(Series {
                        labels: s.metric,
                        points: s
                            .values
                            .iter()
                            .map(|(t, v)| Ok((time_of(*t), value_of(v)?)))
                            .collect::<Result<_, PromError>>()?,
                    })
                })
                .collect::<Result<_, PromError>>()?,
        ),
        Data::Scalar((t, v)) => QueryResult::Scalar(time_of(t), value_of(&v)?),
        Data::String((t, v)) => QueryResult::String(time_of(t), v),
    })
}

/// A client of one Prometheus; cheap to clone (one connection pool, one request count).
#[derive(Debug, Clone)]
pub struct PromClient {
    base: String,
    http: reqwest::Client,
    requests: Arc<AtomicU64>,
}

impl PromClient {
    pub fn new(base: &str, timeout: Duration) -> Result<Self, PromError> {
        let http = super::http::client(timeout).map_err(|e| PromError::Unreachable {
            url: base.into(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
            requests: Arc::new(AtomicU64::new(0)),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Requests sent so far (the benchmark counts queries per refresh with it).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// `expr` evaluated now (or at `at`).
    pub async fn query(
        &self,
        expr: &str,
        at: Option<DateTime<Utc>>,
    ) -> Result<QueryResult, PromError> {
        let mut form = vec![("query", expr.to_owned())];
        if let Some(at) = at {
            form.push(("time", secs(at)));
        }
        self.post("/api/v1/query", &form).await
    }

    /// `expr` from `start` to `end` every `step`.
    pub async fn query_range(
        &self,
        expr: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        step: Duration,
    ) -> Result<QueryResult, PromError> {
        let form = vec![
            ("query", expr.to_owned()),
            ("start", secs(start)),
            ("end", secs(end)),
            ("step", format!("{:.3}", step.as_secs_f64().max(0.001))),
        ];
        self.post("/api/v1/query_range", &form).await
    }

    async fn post(&self, path: &str, form: &[(&str, String)]) -> Result<QueryResult, PromError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let url = format!("{}{path}", self.base);
        let unreachable = |e: reqwest::Error| PromError::Unreachable {
            url: self.base.clone(),
            reason: super::http::reason(&e),
        };
        let resp = self
            .http
            .post(&url)
            .form(form)
            .send()
            .await
            .map_err(unreachable)?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(unreachable)?;
        // 400 and 422 carry Prometheus' own error document.
        match parse_response(&body) {
            Ok(r) if status.is_success() => Ok(r),
            Err(e @ PromError::Query { .. }) => Err(e),
            Ok(_) | Err(_) if !status.is_success() => Err(PromError::Http {
                status: status.as_u16(),
                message: String::from_utf8_lossy(&body[..body.len().min(200)])
                    .trim()
                    .to_owned(),
            }),
            other => other,
        }
    }
}

fn secs(t: DateTime<Utc>) -> String {
    format!("{:.3}", t.timestamp_millis() as f64 / 1000.0)
}

#[cfg(test)]
#[path = "prometheus_tests.rs"]
mod tests;
