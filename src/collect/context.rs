//! What every collector and the effect runner share: the config, the channel to the app,
//! the live transports, the cap on hosts contacted at once, and two signals — refresh now,
//! and wake one host's reconnect loop. Collectors get this small context, never the
//! supervisor itself.

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::{Notify, Semaphore, SemaphorePermit, mpsc};

use crate::config::Config;
use crate::model::HostId;
use crate::protocol::Update;
use crate::transport::Transports;
use crate::transport::ssh::SshTarget;
use crate::transport::ssh::login::Logins;

#[derive(Clone)]
pub struct Context {
    inner: Arc<Shared>,
}

struct Shared {
    config: Arc<Config>,
    tx: mpsc::Sender<Update>,
    transports: Arc<Transports>,
    refresh: Notify,
    connect_slots: Semaphore,
    wakes: HashMap<HostId, Notify>,
    known_hosts: PathBuf,
    logins: Arc<Logins>,
}

impl Context {
    /// `known_hosts` is opsdeck's own file, where trusted host keys are written.
    pub fn new(config: Arc<Config>, tx: mpsc::Sender<Update>, known_hosts: PathBuf) -> Self {
        Self::with_logins(config, tx, known_hosts, Arc::default())
    }

    /// As [`Context::new`], with the hosts that are logged in in the terminal.
    pub fn with_logins(
        config: Arc<Config>,
        tx: mpsc::Sender<Update>,
        known_hosts: PathBuf,
        logins: Arc<Logins>,
    ) -> Self {
        let wakes = config
            .file
            .hosts
            .iter()
            .map(|h| (HostId::new(h.name.get_ref()), Notify::new()))
            .collect();
        let slots = config.file.settings.connect_concurrency();
        let transports = Arc::new(Transports::for_config(&config));
        Self {
            inner: Arc::new(Shared {
                config,
                tx,
                transports,
                refresh: Notify::new(),
                connect_slots: Semaphore::new(slots),
                wakes,
                known_hosts,
                logins,
            }),
        }
    }

    pub fn config(&self) -> &Arc<Config> {
        &self.inner.config
    }

    pub fn transports(&self) -> &Arc<Transports> {
        &self.inner.transports
    }

    /// A file in opsdeck's state directory (where its own known_hosts lives).
    pub fn state_file(&self, name: &str) -> std::path::PathBuf {
        self.inner
            .known_hosts
            .parent()
            .unwrap_or(Path::new("."))
            .join(name)
    }

    pub fn known_hosts(&self) -> &Path {
        &self.inner.known_hosts
    }

    /// False once the app has gone: the caller should stop.
    pub async fn send(&self, update: Update) -> bool {
        self.inner.tx.send(update).await.is_ok()
    }

    pub fn sender(&self) -> mpsc::Sender<Update> {
        self.inner.tx.clone()
    }

    /// A place in the queue of hosts being connected (settings.connect_concurrency).
    pub async fn connect_slot(&self) -> SemaphorePermit<'_> {
        self.inner
            .connect_slots
            .acquire()
            .await
            .expect("never closed")
    }

    /// Resolves when the operator asks for a refresh.
    pub async fn refresh_requested(&self) {
        self.inner.refresh.notified().await
    }

    pub fn request_refresh(&self) {
        self.inner.refresh.notify_waiters();
    }

    /// Resolves when someone asks host `host` to reconnect now (after `:trust`).
    pub async fn woken(&self, host: &HostId) {
        match self.inner.wakes.get(host) {
            Some(n) => n.notified().await,
            None => std::future::pending().await,
        }
    }

    pub fn wake(&self, host: &HostId) {
        if let Some(n) = self.inner.wakes.get(host) {
            n.notify_one();
        }
    }

    pub fn ssh_target(&self, host: &HostId) -> Option<SshTarget> {
        self.inner
            .logins
            .target(self.config(), host, self.known_hosts())
    }

    /// The hosts logged in in the terminal (`interactive_auth`, `--connect-first`).
    pub fn logins(&self) -> &Arc<Logins> {
        &self.inner.logins
    }

    /// Spawns `fut`; a panic in it is reported as [`Update::TaskPanicked`] (named after
    /// `task`, with the host it served) instead of silently freezing what it fed.
    pub fn spawn(
        &self,
        task: String,
        host: Option<HostId>,
        fut: impl Future<Output = ()> + Send + 'static,
    ) -> tokio::task::AbortHandle {
        let handle = tokio::spawn(fut);
        let abort = handle.abort_handle();
        let tx = self.inner.tx.clone();
        tokio::spawn(async move {
            if let Err(e) = handle.await
                && e.is_panic()
            {
                let message = panic_message(e.into_panic());
                tracing::error!(%task, "background task panicked: {message}");
                let _ = tx
                    .send(Update::TaskPanicked {
                        task,
                        host,
                        message,
                        restart_in: None,
                    })
                    .await;
            }
        });
        abort
    }
}

impl Context {
    /// Runs the task `make` builds and builds it again when it panics, after a pause that
    /// grows with failures that follow each other (1 s doubling to 60 s; a task that ran
    /// a minute starts over at 1 s). Each panic is reported as [`Update::TaskPanicked`], so
    /// the row of the host it served says what happened while everything else goes on.
    pub fn supervise<F, Fut>(&self, task: String, host: Option<HostId>, mut make: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let tx = self.inner.tx.clone();
        tokio::spawn(async move {
            let mut pause = RESTART_FIRST;
            loop {
                let started = tokio::time::Instant::now();
                let ended = tokio::spawn(make()).await;
                let Err(e) = ended else { return };
                if !e.is_panic() {
                    return;
                }
                let message = panic_message(e.into_panic());
                if started.elapsed() > RESTART_RESET {
                    pause = RESTART_FIRST;
                }
                tracing::error!(%task, "background task panicked, restarting in {pause:?}: {message}");
                let report = Update::TaskPanicked {
                    task: task.clone(),
                    host: host.clone(),
                    message,
                    restart_in: Some(pause),
                };
                if tx.send(report).await.is_err() {
                    return;
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(RESTART_CAP);
            }
        });
    }
}

const RESTART_FIRST: std::time::Duration = std::time::Duration::from_secs(1);
const RESTART_CAP: std::time::Duration = std::time::Duration::from_secs(60);
const RESTART_RESET: std::time::Duration = std::time::Duration::from_secs(60);

/// The text of a panic payload (`&str` or `String`), or a placeholder; secrets redacted.
pub fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    crate::config::secret::redact(&text)
}
