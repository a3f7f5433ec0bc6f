//! Starts one collector task per host, carries out effects, and watches every task: a
//! panicking task is reported as an `Update` instead of silently freezing its data.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, SemaphorePermit, mpsc};

use super::command_status;
use super::docker_logs;
use super::host_metrics::LocalSampler;
use super::logs::{self, LogSpec};
use super::ssh_host;
use crate::action::audit::AuditLog;
use crate::action::execute::execute;
use crate::app::effect::Effect;
use crate::app::update::Update;
use crate::check::{CheckRunner, CheckSpec, Persistence};
use crate::config::Config;
use crate::config::schema::{ServiceKind, TransportKind};
use crate::model::{HostId, ServiceId};
use crate::transport::docker::DockerEndpoint;
use crate::transport::ssh::SshTarget;

/// One-shot stats of every running container are polled this often, spread evenly.
const DOCKER_STATS_EVERY: Duration = Duration::from_secs(5);
use crate::transport::{CommandSpec, Target, Transports};

#[derive(Clone)]
pub struct Supervisor {
    inner: Arc<Inner>,
}

struct Inner {
    config: Arc<Config>,
    tx: mpsc::Sender<Update>,
    refresh_now: Notify,
    audit: AuditLog,
    read_only: bool,
    transports: Arc<Transports>,
    /// Hosts contacted at once (settings.connect_concurrency).
    connect_slots: Semaphore,
    /// Wakes a host's reconnect loop early (after `:trust`).
    wakes: HashMap<HostId, Arc<Notify>>,
    known_hosts: PathBuf,
    /// The log stream the operator is looking at.
    log_stream: std::sync::Mutex<Option<tokio::task::AbortHandle>>,
}

pub struct SupervisorOptions {
    pub audit: AuditLog,
    pub read_only: bool,
    /// opsdeck's own known_hosts file, where `:trust` writes.
    pub known_hosts: PathBuf,
}

impl Supervisor {
    pub fn new(config: Arc<Config>, tx: mpsc::Sender<Update>, opts: SupervisorOptions) -> Self {
        let wakes = config
            .file
            .hosts
            .iter()
            .map(|h| (HostId::new(h.name.get_ref()), Arc::new(Notify::new())))
            .collect();
        let slots = config.file.settings.connect_concurrency.max(1);
        Self {
            inner: Arc::new(Inner {
                config,
                tx,
                refresh_now: Notify::new(),
                audit: opts.audit,
                read_only: opts.read_only,
                transports: Arc::new(Transports::default()),
                connect_slots: Semaphore::new(slots),
                wakes,
                known_hosts: opts.known_hosts,
                log_stream: Default::default(),
            }),
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn transports(&self) -> &Arc<Transports> {
        &self.inner.transports
    }

    pub async fn connect_slot(&self) -> SemaphorePermit<'_> {
        self.inner
            .connect_slots
            .acquire()
            .await
            .expect("never closed")
    }

    /// Resolves when the operator asks for a refresh.
    pub async fn refresh_requested(&self) {
        self.inner.refresh_now.notified().await
    }

    /// False once the app has gone: the caller should stop.
    pub async fn send(&self, update: Update) -> bool {
        self.inner.tx.send(update).await.is_ok()
    }

    fn ssh_target(&self, host: &HostId) -> Option<SshTarget> {
        SshTarget::from_config(self.config().find_host(host)?, &self.inner.known_hosts)
    }

    /// Starts the collectors of every host.
    pub fn start(&self) {
        for host in &self.config().file.hosts {
            let id = HostId::new(host.name.get_ref());
            match host.transport {
                TransportKind::Local => {
                    let me = self.clone();
                    self.spawn(format!("metrics {id}"), async move {
                        me.local_host_loop(id).await
                    });
                }
                TransportKind::Ssh => {
                    let target = self
                        .ssh_target(&id)
                        .expect("validated: ssh hosts have an address");
                    let wake = self.inner.wakes[&id].clone();
                    let me = self.clone();
                    self.spawn(format!("ssh {id}"), ssh_host::run(me, id, target, wake));
                }
                // Nothing to connect to: its services are observed by their HTTP checks.
                TransportKind::Http => {}
            }
        }
        for host in &self.config().file.hosts {
            let docker_value = host.docker.as_ref().map(|d| d.get_ref().as_str());
            if let Some(endpoint) =
                DockerEndpoint::from_config(docker_value, host.docker_socket.as_deref())
            {
                let id = HostId::new(host.name.get_ref());
                let me = self.clone();
                self.spawn(
                    format!("docker {id}"),
                    super::docker::run(me, id, endpoint, DOCKER_STATS_EVERY),
                );
            }
        }
        let checks = CheckSpec::all(self.config());
        let count = checks.len() as u32;
        for (i, spec) in checks.into_iter().enumerate() {
            // Staggered over one interval so that checks do not all fire at once.
            let delay = spec.interval.min(Duration::from_secs(30)) * i as u32 / count.max(1);
            let me = self.clone();
            self.spawn(format!("check {}", spec.id), async move {
                me.check_loop(spec, delay).await
            });
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
                let i = &self.inner;
                let (audit, tx, ro, transports) = (
                    i.audit.clone(),
                    i.tx.clone(),
                    i.read_only,
                    i.transports.clone(),
                );
                let name = format!("action {}", auth.plan().title());
                self.spawn(name, execute(auth, audit, ro, tx, transports));
            }
            Effect::RefreshNow => self.inner.refresh_now.notify_waiters(),
            Effect::RunSuite { suite } => {
                let me = self.clone();
                self.spawn(format!("smoke {suite}"), async move {
                    me.run_suite(suite).await
                });
            }
            Effect::FollowLogs {
                view,
                sources,
                window,
            } => {
                let name = format!("logs view {view} ({} sources)", sources.len());
                let (transports, tx) = (self.inner.transports.clone(), self.inner.tx.clone());
                let followers = sources.into_iter().map(|(i, source)| {
                    let start = logs::StreamStart {
                        tail: source.tail,
                        window: window.clone(),
                    };
                    let sink = logs::LogSink {
                        view,
                        source: i,
                        label: source.label.clone(),
                        tx: tx.clone(),
                    };
                    let transports = transports.clone();
                    async move {
                        match source.spec {
                            LogSpec::Docker { containers } => {
                                let host = source.host.clone();
                                docker_logs::follow(host, containers, start, sink, transports).await
                            }
                            _ => logs::follow(source, start, sink, transports).await,
                        }
                    }
                });
                let all = futures::future::join_all(followers);
                let handle = self.spawn_abortable(name, async move {
                    all.await;
                });
                let mut slot = self
                    .inner
                    .log_stream
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                if let Some(old) = slot.replace(handle) {
                    old.abort();
                }
            }
            Effect::SaveLog { name, text } => {
                let me = self.clone();
                self.spawn(format!("save {name}"), async move {
                    let result = tokio::task::spawn_blocking(move || save_log(&name, &text))
                        .await
                        .unwrap_or_else(|e| Err(e.to_string()));
                    me.send(Update::LogSaved { result }).await;
                });
            }
            Effect::StopLogs => {
                if let Some(old) = self
                    .inner
                    .log_stream
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take()
                {
                    old.abort();
                }
            }
            Effect::TrustHostKey { host, key_lines } => {
                let me = self.clone();
                self.spawn(format!("trust {host}"), async move {
                    me.trust(host, key_lines).await
                });
            }
        }
    }

    /// One check, every interval (or at once on refresh), one attempt per run.
    async fn check_loop(self, spec: CheckSpec, delay: Duration) {
        tokio::time::sleep(delay).await;
        let interval = spec.interval;
        let mut runner = CheckRunner::new(spec);
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = self.refresh_requested() => {}
            }
            // Until its host is connected a command check has nothing to say; the host row
            // shows why, and an old result turns stale.
            if let Some(host) = runner.spec.ssh_host()
                && self.transports().ssh(host).is_none()
            {
                continue;
            }
            let result = runner.run(self.transports(), Persistence::Once).await;
            let update = Update::CheckResult {
                check: runner.spec.id.clone(),
                result,
            };
            if !self.send(update).await {
                return;
            }
        }
    }

    /// A smoke suite once, its checks at the same time, each with its own retries.
    async fn run_suite(self, suite: String) {
        let specs = match crate::check::select::suite(self.config(), &suite) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("smoke {suite}: {e}");
                vec![]
            }
        };
        let results = futures::future::join_all(specs.into_iter().map(|spec| {
            let me = self.clone();
            async move {
                let id = spec.id.clone();
                let result = CheckRunner::new(spec)
                    .run(me.transports(), Persistence::Retries)
                    .await;
                me.send(Update::CheckResult {
                    check: id.clone(),
                    result: result.clone(),
                })
                .await;
                (id, result)
            }
        }))
        .await;
        self.send(Update::SuiteFinished { suite, results }).await;
    }

    async fn trust(self, host: HostId, key_lines: Vec<String>) {
        let Some(target) = self.ssh_target(&host) else {
            return;
        };
        let written =
            tokio::task::spawn_blocking(move || crate::transport::ssh::trust(&target, &key_lines))
                .await;
        match written {
            Ok(Ok(())) => {
                tracing::info!(%host, "host key trusted");
                if let Some(w) = self.inner.wakes.get(&host) {
                    w.notify_one();
                }
            }
            Ok(Err(e)) => {
                let reason = format!("cannot write {}: {e}", self.inner.known_hosts.display());
                self.send(Update::HostUnreachable { host, reason }).await;
            }
            Err(e) => tracing::error!("trust task failed: {e}"),
        }
    }

    async fn local_host_loop(self, host: HostId) {
        let config = self.inner.config.clone();
        let cfg = config.find_host(&host).expect("host from config");
        let refresh = config
            .file
            .settings
            .refresh
            .get()
            .max(Duration::from_millis(200));
        let probes: Vec<(ServiceId, CommandSpec, Duration)> = cfg
            .services
            .iter()
            .filter(|s| s.kind == ServiceKind::Command)
            .filter_map(|s| {
                let status = s.status.as_ref()?;
                let timeout = s
                    .timeout
                    .unwrap_or(config.file.settings.command_timeout)
                    .get();
                Some((
                    ServiceId::new(&host, s.name.get_ref()),
                    CommandSpec::from_config(status.get_ref()),
                    timeout,
                ))
            })
            .collect();
        let mut sampler = Some(LocalSampler::default());
        let mut ticker = tokio::time::interval(refresh);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = self.refresh_requested() => {}
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
            if !self.send(update).await {
                return;
            }
            let transports = self.transports();
            let observations =
                futures::future::join_all(probes.iter().map(|(id, spec, timeout)| async move {
                    (
                        id.clone(),
                        command_status::probe(&Target::Local, transports, spec, *timeout).await,
                    )
                }))
                .await;
            for (service, observation) in observations {
                if !self
                    .send(Update::ServiceObserved {
                        service,
                        observation,
                    })
                    .await
                {
                    return;
                }
            }
        }
    }

    fn spawn(&self, name: String, fut: impl Future<Output = ()> + Send + 'static) {
        self.spawn_abortable(name, fut);
    }

    /// Spawns `fut` and reports a panic in it as [`Update::TaskPanicked`].
    fn spawn_abortable(
        &self,
        name: String,
        fut: impl Future<Output = ()> + Send + 'static,
    ) -> tokio::task::AbortHandle {
        let handle = tokio::spawn(fut);
        let abort = handle.abort_handle();
        let tx = self.inner.tx.clone();
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
        abort
    }
}

/// Writes a log view to `$XDG_STATE_HOME/opsdeck/logs/NAME-TIMESTAMP.log`; returns the
/// path and the number of lines.
fn save_log(name: &str, text: &str) -> Result<(PathBuf, usize), String> {
    let dir = crate::config::xdg_dir("XDG_STATE_HOME", ".local/state").join("logs");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(format!(
        "{name}-{}.log",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
    ));
    std::fs::write(&path, crate::config::secret::redact(text))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((path, text.lines().count()))
}
