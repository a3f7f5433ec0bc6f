//! The HTTP client both monitoring clients use, and how its errors read.

use std::time::Duration;

/// A client with the configured time limit on connecting and on the whole request, and
/// no proxy from the environment: only the address in the config is ever contacted.
pub fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .no_proxy()
        .pool_max_idle_per_host(4)
        .build()
}

/// The innermost cause, which says what happened ("Connection refused"), or "timed out".
pub fn reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".to_owned();
    }
    let mut source: &dyn std::error::Error = e;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}
