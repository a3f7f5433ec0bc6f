//! Docker Engine API endpoints: the local socket, `unix://`, `tcp://`, or the host's
//! socket forwarded over its existing SSH master (one connection per host for everything).

use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::Docker;

use super::ssh::SshConnection;

/// Seconds bollard waits for any one request.
const REQUEST_TIMEOUT: u64 = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerEndpoint {
    /// Autodetected on this machine: `DOCKER_HOST`, then the usual sockets.
    Local,
    Unix(PathBuf),
    Tcp(String),
    /// The remote socket, reached through the host's SSH master.
    Ssh {
        remote_socket: PathBuf,
    },
}

impl DockerEndpoint {
    /// From the config's `docker` value; `None` when the host has no engine.
    pub fn from_config(value: Option<&str>, remote_socket: Option<&str>) -> Option<Self> {
        match value? {
            "none" => None,
            "local" => Some(DockerEndpoint::Local),
            "ssh" => Some(DockerEndpoint::Ssh {
                remote_socket: PathBuf::from(remote_socket.unwrap_or("/var/run/docker.sock")),
            }),
            v => v
                .strip_prefix("unix://")
                .map(|p| DockerEndpoint::Unix(PathBuf::from(p)))
                .or_else(|| {
                    v.strip_prefix("tcp://")
                        .map(|a| DockerEndpoint::Tcp(a.to_owned()))
                }),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            DockerEndpoint::Local => "local socket".into(),
            DockerEndpoint::Unix(p) => format!("unix://{}", p.display()),
            DockerEndpoint::Tcp(a) => format!("tcp://{a}"),
            DockerEndpoint::Ssh { remote_socket } => {
                format!("{} over ssh", remote_socket.display())
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error("no Docker engine found (looked at $DOCKER_HOST, {0})")]
    NoLocalEngine(String),
    #[error("cannot reach the Docker engine at {endpoint}: {reason}")]
    Unreachable { endpoint: String, reason: String },
    #[error("the host is not connected over ssh")]
    NoSsh,
}

/// The sockets tried, in order, when the endpoint is `local`.
pub fn local_candidates() -> Vec<PathBuf> {
    let mut v = vec![
        PathBuf::from("/var/run/docker.sock"),
        PathBuf::from("/run/podman/podman.sock"),
    ];
    if let Some(rt) = std::env::var_os("XDG_RUNTIME_DIR") {
        v.push(Path::new(&rt).join("podman/podman.sock"));
        v.push(Path::new(&rt).join("docker.sock"));
    }
    v
}

/// Connects and negotiates the API version. `forward_dir` holds the local end of an SSH
/// forward and must outlive the client.
pub async fn connect(
    endpoint: &DockerEndpoint,
    ssh: Option<&SshConnection>,
    forward_dir: &Path,
) -> Result<Docker, DockerError> {
    let unreachable = |reason: String| DockerError::Unreachable {
        endpoint: endpoint.describe(),
        reason,
    };
    let docker = match endpoint {
        DockerEndpoint::Local => {
            match std::env::var("DOCKER_HOST").ok().filter(|v| !v.is_empty()) {
                Some(h) if h.starts_with("tcp://") => Docker::connect_with_http(
                    &h.replacen("tcp://", "http://", 1),
                    REQUEST_TIMEOUT,
                    bollard::API_DEFAULT_VERSION,
                ),
                Some(h) => {
                    Docker::connect_with_unix(&h, REQUEST_TIMEOUT, bollard::API_DEFAULT_VERSION)
                }
                None => {
                    let found = local_candidates().into_iter().find(|p| p.exists());
                    let Some(sock) = found else {
                        let looked: Vec<String> = local_candidates()
                            .iter()
                            .map(|p| p.display().to_string())
                            .collect();
                        return Err(DockerError::NoLocalEngine(looked.join(", ")));
                    };
                    Docker::connect_with_unix(
                        &sock.to_string_lossy(),
                        REQUEST_TIMEOUT,
                        bollard::API_DEFAULT_VERSION,
                    )
                }
            }
        }
        DockerEndpoint::Unix(p) => Docker::connect_with_unix(
            &p.to_string_lossy(),
            REQUEST_TIMEOUT,
            bollard::API_DEFAULT_VERSION,
        ),
        DockerEndpoint::Tcp(a) => Docker::connect_with_http(
            &format!("http://{a}"),
            REQUEST_TIMEOUT,
            bollard::API_DEFAULT_VERSION,
        ),
        DockerEndpoint::Ssh { remote_socket } => {
            let conn = ssh.ok_or(DockerError::NoSsh)?;
            let local = forward_dir.join("docker.sock");
            conn.forward_unix(&local, remote_socket)
                .await
                .map_err(|e| unreachable(format!("forward failed: {e}")))?;
            Docker::connect_with_unix(
                &local.to_string_lossy(),
                REQUEST_TIMEOUT,
                bollard::API_DEFAULT_VERSION,
            )
        }
    }
    .map_err(|e| unreachable(e.to_string()))?;
    let negotiated = tokio::time::timeout(
        Duration::from_secs(REQUEST_TIMEOUT),
        docker.negotiate_version(),
    )
    .await
    .map_err(|_| unreachable("version negotiation timed out".into()))?
    .map_err(|e| unreachable(e.to_string()))?;
    Ok(negotiated)
}
