//! What a host says about a service's deploys without changing anything: the versions it
//! can be deployed to, and who holds its deploy lock.

use std::time::Duration;

use super::{check_version, lock_path, recipe_for};
use crate::config::Config;
use crate::model::ServiceId;
use crate::transport::{CommandSpec, Target};

/// What a service can be deployed to, and what runs now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Versions {
    pub available: Vec<String>,
    pub running: Option<String>,
}

/// Lists `service`'s versions: its recipe's `versions` command, else the tags of its
/// image on the host's engine (compose and container services); the running one from
/// `current_version`.
pub async fn list_versions(
    config: &Config,
    transports: &crate::transport::Transports,
    service: &ServiceId,
) -> Result<Versions, String> {
    let recipe =
        recipe_for(config, service).ok_or_else(|| format!("{service} has no deploy recipe"))?;
    let target = Target::of(config, &service.host);
    let timeout = Duration::from_secs(30);
    let run = |line: &crate::config::schema::CommandLine| {
        let spec = CommandSpec::from_config(line);
        let target = target.clone();
        async move {
            let out = transports
                .run_streaming(&target, &spec, timeout, None)
                .await
                .map_err(|e| format!("`{spec}`: {e}"))?;
            if out.success() {
                Ok(out.stdout)
            } else {
                Err(format!(
                    "`{spec}` failed: {}",
                    crate::config::secret::redact(out.stderr.trim())
                ))
            }
        }
    };
    let running = match &recipe.current_version {
        Some(c) => run(c.get_ref()).await.ok().map(|s| s.trim().to_owned()),
        None => None,
    };
    let mut available: Vec<String> = match &recipe.versions {
        Some(v) => run(v.get_ref())
            .await?
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        None => image_tags(config, transports, service).await?,
    };
    available.retain(|v| check_version(v).is_ok());
    available.dedup();
    Ok(Versions { available, running })
}

/// The tags the host's engine has of the image `service`'s containers run.
async fn image_tags(
    config: &Config,
    transports: &crate::transport::Transports,
    service: &ServiceId,
) -> Result<Vec<String>, String> {
    use bollard::query_parameters::{ListContainersOptions, ListImagesOptions};
    let (_, svc) = config
        .find_service(service)
        .ok_or_else(|| format!("unknown service {service}"))?;
    let docker = transports.docker(&service.host).ok_or_else(|| {
        format!("{service} has no `versions` command and its host's Docker engine is not connected")
    })?;
    let label = match (&svc.project, &svc.container) {
        (Some(p), _) => vec![
            format!("com.docker.compose.project={}", p.get_ref()),
            format!(
                "com.docker.compose.service={}",
                svc.compose_service.as_ref().unwrap_or(&svc.name).get_ref()
            ),
        ],
        (None, Some(c)) => vec![format!("name={}", c.get_ref())],
        (None, None) => return Err(format!("{service} has no `versions` command")),
    };
    let key = if svc.project.is_some() {
        "label"
    } else {
        "name"
    };
    let containers = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(std::collections::HashMap::from([(key.to_owned(), label)])),
            ..Default::default()
        }))
        .await
        .map_err(|e| e.to_string())?;
    let image = containers
        .first()
        .and_then(|c| c.image.clone())
        .ok_or_else(|| format!("no containers of {service}"))?;
    let repo = match image.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r.to_owned(),
        _ => image.clone(),
    };
    let images = docker
        .list_images(Some(ListImagesOptions::default()))
        .await
        .map_err(|e| e.to_string())?;
    let mut tags: Vec<String> = images
        .iter()
        .flat_map(|i| i.repo_tags.iter())
        .filter_map(|t| t.rsplit_once(':'))
        .filter(|(r, _)| *r == repo)
        .map(|(_, tag)| tag.to_owned())
        .collect();
    tags.sort();
    Ok(tags)
}

/// Who holds `service`'s deploy lock on its host: the lock file's text, or `None`.
pub async fn read_lock(
    config: &Config,
    transports: &crate::transport::Transports,
    service: &ServiceId,
) -> Result<Option<String>, String> {
    let path = lock_path(config, service);
    let spec = CommandSpec::argv([
        "sh",
        "-c",
        r#"if [ -e "$1" ]; then cat -- "$1"; else echo; fi"#,
        "opsdeck-lock",
        path.as_str(),
    ]);
    let out = transports
        .run_streaming(
            &Target::of(config, &service.host),
            &spec,
            Duration::from_secs(10),
            None,
        )
        .await
        .map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(format!("cannot read {path}: {}", out.stderr.trim()));
    }
    let holder = crate::model::text::plain(out.stdout.trim());
    Ok((!holder.is_empty()).then_some(holder))
}
