//! Compose projects and containers on a Docker engine, with what their healthchecks say
//! about HTTP health endpoints: the inventory `opsdeck init` writes as services.

use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::ListContainersOptions;

/// How long the engine may take to list or inspect.
const ENGINE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundContainer {
    pub id: String,
    pub name: String,
    /// `com.docker.compose.project` / `.service` labels.
    pub project: Option<String>,
    pub service: Option<String>,
    pub running: bool,
    /// `Config.Healthcheck.Test` from inspect: `["CMD", "curl", "-f", "http://…"]`.
    pub healthcheck: Option<Vec<String>>,
    /// Ports published on the host (`public->private`).
    pub published: Vec<(u16, u16)>,
}

/// Every container of the engine, inspected for its healthcheck.
pub async fn inventory(docker: &Docker) -> Result<Vec<FoundContainer>, String> {
    let list = tokio::time::timeout(
        ENGINE_TIMEOUT,
        docker.list_containers(Some(ListContainersOptions {
            all: true,
            ..Default::default()
        })),
    )
    .await
    .map_err(|_| "the engine did not list its containers in time".to_owned())?
    .map_err(|e| e.to_string())?;
    let mut found = Vec::with_capacity(list.len());
    for s in list {
        let Some(id) = s.id.clone() else { continue };
        let labels = s.labels.clone().unwrap_or_default();
        let name = s
            .names
            .as_ref()
            .and_then(|n| n.first())
            .map(|n| n.trim_start_matches('/').to_owned())
            .unwrap_or_else(|| id.chars().take(12).collect());
        let inspected = tokio::time::timeout(ENGINE_TIMEOUT, docker.inspect_container(&id, None))
            .await
            .ok()
            .and_then(Result::ok);
        let healthcheck = inspected
            .as_ref()
            .and_then(|c| c.config.as_ref())
            .and_then(|c| c.healthcheck.as_ref())
            .and_then(|h| h.test.clone())
            .filter(|t| !t.is_empty() && t[0] != "NONE");
        found.push(FoundContainer {
            name,
            project: labels.get("com.docker.compose.project").cloned(),
            service: labels.get("com.docker.compose.service").cloned(),
            running: s
                .state
                .as_ref()
                .is_some_and(|st| st.to_string() == "running"),
            healthcheck,
            published: s
                .ports
                .iter()
                .flatten()
                .filter_map(|p| Some((p.public_port?, p.private_port)))
                .collect(),
            id,
        });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// The HTTP URL a healthcheck calls (`curl -f http://localhost:8000/health`, `wget -qO-
/// …`, a `CMD-SHELL` line), if it calls one.
pub fn healthcheck_url(test: &[String]) -> Option<String> {
    test.iter()
        .flat_map(|arg| arg.split_whitespace())
        .map(|w| w.trim_matches(|c| matches!(c, '"' | '\'' | ';' | ')' | '(')))
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        .map(str::to_owned)
}

/// A healthcheck URL as seen from outside: `localhost` becomes the host's address and a
/// published port its public one. `None` when it names another machine's address.
pub fn url_from_outside(url: &str, address: &str, published: &[(u16, u16)]) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().ok()?),
        None => (authority, if scheme == "https" { 443 } else { 80 }),
    };
    if !matches!(host, "localhost" | "127.0.0.1" | "0.0.0.0" | "[::1]") {
        return None;
    }
    let port = published
        .iter()
        .find(|(_, private)| *private == port)
        .map_or(port, |(public, _)| *public);
    Some(format!("{scheme}://{address}:{port}/{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_url_a_healthcheck_calls() {
        assert_eq!(
            healthcheck_url(&v(&[
                "CMD",
                "curl",
                "-f",
                "http://localhost:8000/api/v1/health"
            ]))
            .as_deref(),
            Some("http://localhost:8000/api/v1/health")
        );
        assert_eq!(
            healthcheck_url(&v(&[
                "CMD-SHELL",
                "wget -qO- 'http://127.0.0.1:8081/health' || exit 1"
            ]))
            .as_deref(),
            Some("http://127.0.0.1:8081/health")
        );
        assert_eq!(
            healthcheck_url(&v(&["CMD", "pg_isready", "-U", "postgres"])),
            None
        );
    }

    #[test]
    fn seen_from_outside() {
        assert_eq!(
            url_from_outside("http://localhost:8000/health", "10.0.0.5", &[(18000, 8000)])
                .as_deref(),
            Some("http://10.0.0.5:18000/health")
        );
        assert_eq!(
            url_from_outside("http://127.0.0.1/healthz", "h", &[]).as_deref(),
            Some("http://h:80/healthz")
        );
        assert_eq!(url_from_outside("http://db:5432/", "h", &[]), None);
    }
}
