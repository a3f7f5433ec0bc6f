//! Starts one collector task per host, carries out effects, and watches every task: a
//! panicking task is reported as an `Update` instead of silently freezing its data.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

use super::command_status;
use super::host_metrics::LocalSampler;
use crate::action::audit::AuditLog;
use crate::action::execute::execute;
use crate::app::effect::Effect;
use crate::app::update::Update;
use crate::config::Config;
use crate::config::schema::{Host, ServiceKind, TransportKind};
use crate::model::{HostId, ServiceId};
use crate::transport::CommandSpec;

#[derive(Clone)]
pub struct Supervisor {
    config: Arc<Config>,
    tx: mpsc::Sender<Update>,
    refresh_now: Arc<Notify>,
    audit: AuditLog,
    read_only: bool,
}

impl Supervisor {
    pub fn new(
        config: Arc<Config>,
        tx: mpsc::Sender<Update>,
        audit: AuditLog,
        read_only: bool,
    ) -> Self {
        Self {
            config,
            tx,
            refresh_now: Arc::new(Notify::new()),
            audit,
            read_only,
        }
    }

    /// Starts the collectors of every host.
    pub fn start(&self) {
        for host in &self.config.file.hosts {
            let id = HostId::new(host.name.get_ref());
            match host.transport {
                TransportKind::Local => {
                    let me = self.clone();
                    self.spawn(format!("metrics {id}"), async move {
                        me.local_host_loop(id).await
                    });
                }
                // Remote transports arrive with their own collectors; until then the host says so.
                TransportKind::Ssh | TransportKind::Http => {
                    let tx = self.tx.clone();
                    let reason = format!(
                        "{} transport is not available in this build",
                        transport_label(host)
                    );
                    self.spawn(format!("placeholder {id}"), async move {
                        let _ = tx.send(Update::HostUnreachable { host: id, reason }).await;
                    });
                }
            }
        }
        if std::env::var_os("OPSDECK_TEST_PANIC").is_some_and(|v| v == "task") {
            self.spawn("test-panic".into(), async {
                panic!("deliberate panic in a background task (OPSDECK_TEST_PANIC=task)")
            });
        }
    }

    pub fn perform(&self, effect: Effect) {
        match effect {
            Effect::Execute(auth) => {
                let (audit, tx, ro) = (self.audit.clone(), self.tx.clone(), self.read_only);
                let name = format!("action {}", auth.plan().title());
                self.spawn(name, execute(auth, audit, ro, tx));
            }
            Effect::RefreshNow => self.refresh_now.notify_waiters(),
        }
    }

    async fn local_host_loop(self, host: HostId) {
        let cfg = self.config.find_host(&host).expect("host from config");
        let refresh = self
            .config
            .file
            .settings
            .refresh
            .get()
            .max(Duration::from_millis(200));
        let default_timeout = self.config.file.settings.command_timeout.get();
        let probes: Vec<(ServiceId, CommandSpec, Duration)> = cfg
            .services
            .iter()
            .filter(|s| s.kind == ServiceKind::Command)
            .filter_map(|s| {
                let status = s.status.as_ref()?;
                let timeout = s
                    .timeout
                    .unwrap_or(self.config.file.settings.command_timeout)
                    .get();
                Some((
                    ServiceId::new(&host, s.name.get_ref()),
                    CommandSpec::from_config(status.get_ref()),
                    timeout.min(default_timeout),
                ))
            })
            .collect();
        let mut sampler = Some(LocalSampler::default());
        let mut ticker = tokio::time::interval(refresh);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = self.refresh_now.notified() => {}
            }
            let mut s = sampler.take().expect("sampler is returned each round");
            let (s, result) = tokio::task::spawn_blocking(move || {
                let r = s.sample();
                (s, r)
            })
            .await
            .expect("sampling thread");
            sampler = Some(s);
            let update = match result {
                Ok(sample) => Update::HostSampled {
                    host: host.clone(),
                    sample,
                },
                Err(e) => Update::HostUnreachable {
                    host: host.clone(),
                    reason: format!("cannot read /proc: {e}"),
                },
            };
            if self.tx.send(update).await.is_err() {
                return;
            }
            let observations =
                futures::future::join_all(probes.iter().map(|(id, spec, timeout)| async move {
                    (id.clone(), command_status::probe(spec, *timeout).await)
                }))
                .await;
            for (service, observation) in observations {
                if self
                    .tx
                    .send(Update::ServiceObserved {
                        service,
                        observation,
                    })
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
    }

    /// Spawns `fut` and reports a panic in it as [`Update::TaskPanicked`].
    fn spawn(&self, name: String, fut: impl Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(fut);
        let tx = self.tx.clone();
        tokio::spawn(async move {
            if let Err(e) = handle.await
                && e.is_panic()
            {
                let payload = e.into_panic();
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                tracing::error!(task = %name, "background task panicked: {message}");
                let _ = tx
                    .send(Update::TaskPanicked {
                        task: name,
                        message,
                    })
                    .await;
            }
        });
    }
}

fn transport_label(host: &Host) -> &'static str {
    match host.transport {
        TransportKind::Local => "local",
        TransportKind::Ssh => "ssh",
        TransportKind::Http => "http",
    }
}
