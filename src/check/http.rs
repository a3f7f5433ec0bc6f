//! HTTP checks with reqwest: one request, expectations on status, body and latency, and the
//! server certificate's days to expiry. Secrets in the URL or headers are sent, never shown:
//! every message uses the config's template.

use std::error::Error as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::expect::{Evaluation, HttpExpectations, millis};
use crate::config::secret::{ConfigString, redact};
use crate::model::{CheckResult, Verdict};

#[derive(Debug, Clone)]
pub struct HttpProbe {
    pub method: String,
    pub url: ConfigString,
    pub headers: Vec<(String, ConfigString)>,
    pub ca_file: Option<PathBuf>,
    pub tls_warn_days: u32,
    pub expect: HttpExpectations,
}

/// Read at most this much of a body: health documents are small.
const MAX_BODY: usize = 1 << 20;

impl HttpProbe {
    /// A client for this check; an unreadable `ca_file` is a configuration error.
    pub fn client(&self, timeout: Duration) -> Result<reqwest::Client, String> {
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .tls_info(true)
            // Checks talk to the address in the config, never through an environment proxy.
            .no_proxy()
            .user_agent(concat!("opsdeck/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &self.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read ca_file {}: {e}", path.display()))?;
            let cert = reqwest::Certificate::from_pem(&pem)
                .map_err(|e| format!("ca_file {} is not a PEM certificate: {e}", path.display()))?;
            builder = builder.add_root_certificate(cert);
        }
        builder
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {}", chain(&e)))
    }

    pub async fn run(
        &self,
        client: &reqwest::Client,
        timeout: Duration,
        at: DateTime<Utc>,
    ) -> CheckResult {
        let started = Instant::now();
        let method = match reqwest::Method::from_bytes(self.method.to_uppercase().as_bytes()) {
            Ok(m) => m,
            Err(_) => {
                return CheckResult::error(
                    at,
                    started.elapsed(),
                    format!("invalid HTTP method `{}`", self.method),
                );
            }
        };
        let mut request = client.request(method.clone(), self.url.expose());
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.expose());
        }
        let what = format!("{method} {}", self.url);
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) if e.is_builder() => {
                return CheckResult::error(
                    at,
                    started.elapsed(),
                    format!("{what}: invalid request: {}", chain(&e)),
                );
            }
            Err(e) => {
                let reason = if e.is_timeout() {
                    format!("no response within {}", millis(timeout))
                } else {
                    chain(&e)
                };
                return failed_to_connect(at, started.elapsed(), format!("{what}: {reason}"));
            }
        };
        let status = response.status().as_u16();
        let tls_days_left = response
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|info| info.peer_certificate())
            .and_then(|der| days_until_expiry(der, at));
        let body = match read_body(response).await {
            Ok(b) => b,
            Err(e) => {
                let reason = if e.is_timeout() {
                    format!("body not complete within {}", millis(timeout))
                } else {
                    format!("reading the body: {}", chain(&e))
                };
                return failed_to_connect(at, started.elapsed(), format!("{what}: {reason}"));
            }
        };
        let latency = started.elapsed();
        let mut ev = self.expect.evaluate(status, &body, latency);
        if let Some(days) = tls_days_left
            && days < i64::from(self.tls_warn_days)
        {
            ev.warnings.push(format!(
                "TLS certificate expires in {days} days (warning under {})",
                self.tls_warn_days
            ));
        }
        let observed = match tls_days_left {
            Some(days) => format!("{status} in {} · cert {days} d", millis(latency)),
            None => format!("{status} in {}", millis(latency)),
        };
        finish(at, latency, observed, ev, Some(latency), tls_days_left)
    }
}

/// The result of a run whose expectations were evaluated.
pub fn finish(
    at: DateTime<Utc>,
    duration: Duration,
    observed: String,
    ev: Evaluation,
    latency: Option<Duration>,
    tls_days_left: Option<i64>,
) -> CheckResult {
    let Evaluation { failures, warnings } = ev;
    let verdict = if !failures.is_empty() {
        Verdict::Fail
    } else if !warnings.is_empty() {
        Verdict::Warn
    } else {
        Verdict::Pass
    };
    let summary = redact(match failures.first().or(warnings.first()) {
        Some(first) => first,
        None => &observed,
    });
    CheckResult {
        at,
        duration,
        verdict,
        summary,
        failures: failures.iter().map(|f| redact(f)).collect(),
        warnings: warnings.iter().map(|w| redact(w)).collect(),
        latency,
        tls_days_left,
        attempts: 1,
    }
}

/// The endpoint did not answer: the check ran and the service failed it.
fn failed_to_connect(at: DateTime<Utc>, duration: Duration, message: String) -> CheckResult {
    let message = redact(&message);
    CheckResult {
        verdict: Verdict::Fail,
        ..CheckResult::error(at, duration, message)
    }
}

async fn read_body(mut response: reqwest::Response) -> Result<String, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_BODY {
            body.truncate(MAX_BODY);
            break;
        }
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// A reqwest error and its causes, without the URL (which may hold a secret).
fn chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        parts.push(
            e.to_string()
                .split(" for url")
                .next()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    // hyper's outer layers ("client error (Connect)") say less than the innermost cause.
    let text = parts
        .iter()
        .rev()
        .find(|p| !p.starts_with("client error ("))
        .cloned()
        .unwrap_or_else(|| parts.join(": "));
    redact(&text)
}

/// Whole days from `now` to the certificate's notAfter (negative once expired).
pub fn days_until_expiry(der: &[u8], now: DateTime<Utc>) -> Option<i64> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let not_after = cert.validity().not_after.timestamp();
    Some((not_after - now.timestamp()).div_euclid(86_400))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn probe(url: &str, header: &str) -> HttpProbe {
        let env = |n: &str| (n == "CHECK_TOKEN").then(|| "tok-s3cr3t-4242".to_owned());
        HttpProbe {
            method: "GET".into(),
            url: ConfigString::expand(url, env).unwrap(),
            headers: vec![(
                "Authorization".into(),
                ConfigString::expand(header, env).unwrap(),
            )],
            ca_file: None,
            tls_warn_days: 14,
            expect: HttpExpectations::default(),
        }
    }

    /// The secret goes over the wire; messages carry only the template.
    #[tokio::test]
    async fn secrets_are_sent_but_never_shown() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let n = sock.read(&mut buf).await.unwrap();
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
            sock.write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\nconnection: close\r\n\r\ndown")
                .await
                .unwrap();
            request
        });
        let p = probe(
            &format!("http://127.0.0.1:{port}/health?key=${{CHECK_TOKEN}}"),
            "Bearer ${CHECK_TOKEN}",
        );
        let timeout = Duration::from_secs(5);
        let result = p
            .run(&p.client(timeout).unwrap(), timeout, Utc::now())
            .await;
        let request = server.await.unwrap();
        assert!(request.contains("key=tok-s3cr3t-4242"), "{request}");
        assert!(request.contains("Bearer tok-s3cr3t-4242"), "{request}");
        assert_eq!(result.verdict, Verdict::Fail);
        assert_eq!(result.failures, ["status 503, expected 2xx"]);

        // Nothing listens any more: a refused connection names the URL's template.
        let refused = p
            .run(&p.client(timeout).unwrap(), timeout, Utc::now())
            .await;
        assert_eq!(refused.verdict, Verdict::Fail, "{refused:?}");
        assert!(
            refused.summary.contains("key=${CHECK_TOKEN}"),
            "{}",
            refused.summary
        );
        let shown = format!("{refused:?}");
        assert!(!shown.contains("tok-s3cr3t-4242"), "{shown}");
    }

    #[test]
    fn unreadable_ca_file_is_a_configuration_error() {
        let mut p = probe("https://127.0.0.1:1/", "x");
        p.ca_file = Some("/nonexistent/ca.pem".into());
        let e = p.client(Duration::from_secs(1)).unwrap_err();
        assert!(
            e.starts_with("cannot read ca_file /nonexistent/ca.pem"),
            "{e}"
        );
    }
}
