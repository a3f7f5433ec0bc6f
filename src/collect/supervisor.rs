//! Starts the collectors: one probe loop per host with a shell, one Docker task per engine,
//! one task per health check. It carries out no effects (that is the effect runner's job);
//! every task gets the shared [`Context`], and a task that panics is reported and started
//! again with backoff, so one host's fault never stops the rest.

use std::time::Duration;

use super::context::Context;
use super::{alerts, backups, checks, docker, host, prometheus};
use crate::check::CheckSpec;
use crate::config::schema::TransportKind;
use crate::model::HostId;
use crate::transport::docker::DockerEndpoint;

/// One-shot stats of every running container are polled this often, spread evenly.
pub const DOCKER_STATS_EVERY: Duration = Duration::from_secs(5);

/// Starts the collectors of every host and check in `ctx`'s config.
pub fn start(ctx: &Context) {
    let config = ctx.config().clone();
    for h in &config.file.hosts {
        let id = HostId::new(h.name.get_ref());
        if h.transport != TransportKind::Http {
            let task = match h.transport {
                TransportKind::Ssh => format!("ssh {id}"),
                _ => format!("metrics {id}"),
            };
            let (c, i) = (ctx.clone(), id.clone());
            ctx.supervise(task, Some(id.clone()), move || {
                host::run(c.clone(), i.clone())
            });
        }
        let docker_value = h.docker_value();
        if let Some(endpoint) = DockerEndpoint::from_config(docker_value, h.docker_socket()) {
            let c = ctx.clone();
            let i = id.clone();
            ctx.supervise(format!("docker {id}"), Some(id), move || {
                docker::run(c.clone(), i.clone(), endpoint.clone(), DOCKER_STATS_EVERY)
            });
        }
    }
    let specs = CheckSpec::all(&config);
    let count = specs.len();
    for (i, spec) in specs.into_iter().enumerate() {
        let delay = checks::stagger(i, count, spec.interval);
        let host = spec.id.host().clone();
        let c = ctx.clone();
        let mut first = Some(delay);
        ctx.supervise(format!("check {}", spec.id), Some(host), move || {
            // A restarted check does not wait out its stagger again.
            let delay = first.take().unwrap_or_default();
            checks::run(c.clone(), spec.clone(), delay)
        });
    }
    for set in &config.file.backups {
        let (c, name) = (ctx.clone(), set.name.get_ref().clone());
        let host = HostId::new(set.host.get_ref());
        ctx.supervise(format!("backups {name}"), Some(host), move || {
            backups::run(c.clone(), name.clone())
        });
    }
    if prometheus::Plan::of(&config).is_some() {
        let c = ctx.clone();
        ctx.supervise("prometheus".into(), None, move || {
            prometheus::run(c.clone())
        });
    }
    if config.file.monitoring.alertmanager.is_some() {
        let c = ctx.clone();
        ctx.supervise("alertmanager".into(), None, move || alerts::run(c.clone()));
    }
    if std::env::var_os("OPSDECK_TEST_PANIC").is_some_and(|v| v == "task") {
        ctx.spawn("test-panic".into(), None, async {
            panic!("deliberate panic in a background task (OPSDECK_TEST_PANIC=task)")
        });
    }
}
