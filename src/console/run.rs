//! The loop: one `select!` over terminal events, collector updates, a clock tick and
//! signals. Draws only when the state changed: at once after a key (or any terminal
//! event), a new notice or a popup; what the collectors report is coalesced — about 30
//! frames a second where the operator watches things move (logs, a running action), and
//! elsewhere drawn with the clock's second, the frame the header's clock needs anyway:
//! readings arrive every refresh (2 s), and at 50 hosts that is one frame instead of 50.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use color_eyre::eyre::{Result, eyre};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::input::translate;
use super::suspend::{TerminalEvents, suspended};
use super::terminal;
use crate::action::audit::AuditLog;
use crate::app::reducer::{Msg, update};
use crate::app::state::{QuitReason, State};
use crate::config::Config;
use crate::model::HostId;
use crate::protocol::Effect;
use crate::runner::{self, CoreOptions};
use crate::transport::ssh::login::Logins;
use crate::ui;
use crate::ui::theme::Theme;

/// Frames for collector updates on screens that move: followed logs, a running action.
const LIVE_FRAME: Duration = Duration::from_millis(33);
/// Updates applied per wake-up before drawing, so a flood cannot starve the keyboard.
const UPDATE_BATCH: usize = 1024;

pub struct RunOptions {
    pub read_only: bool,
    pub themes: Vec<Theme>,
    pub theme: usize,
    pub audit: AuditLog,
    /// opsdeck's own known_hosts file (`:trust` writes there).
    pub known_hosts: std::path::PathBuf,
    /// A standing line for the status bar (the first run's "how to add hosts").
    pub hint: Option<String>,
    /// `--connect-first [HOST…]`: these hosts (all SSH hosts when empty) are logged in in
    /// the plain terminal before the console starts, as `interactive_auth` hosts are.
    pub connect_first: Option<Vec<String>>,
}

pub async fn run(config: Arc<Config>, opts: RunOptions) -> Result<()> {
    let (tx, mut rx) = mpsc::channel(4096);
    let names = opts.themes.iter().map(|t| t.name.clone()).collect();
    let mut state = State::new(&config, opts.read_only, names, opts.theme, Utc::now());
    state.hint = opts.hint.clone();
    // The last drill of each set, from earlier runs (the console's and `opsdeck drill`'s).
    let drills = opts
        .known_hosts
        .with_file_name(crate::action::backups::DRILLS_FILE);
    match crate::action::backups::DrillRecord::load_all(&drills) {
        Ok(records) => {
            for r in records {
                if let Some(b) = state.backups.iter_mut().find(|b| b.name == r.set) {
                    b.drill = Some(r);
                }
            }
        }
        Err(e) => tracing::warn!("cannot read {}: {e}", drills.display()),
    }
    // What changed lately, from the audit log (the history of deploys and rollbacks).
    match opts.audit.entries() {
        Ok(entries) => {
            state.deploy_history = crate::action::deploys::history(&entries);
        }
        Err(e) => tracing::warn!("cannot read {}: {e}", opts.audit.path().display()),
    }

    // Runbook names for the palette (`:runbook NAME`); a file that does not load is named
    // when it is opened.
    state.runbooks = crate::runbook::catalog(&config)
        .0
        .into_iter()
        .map(|b| b.name)
        .collect();

    // The config's parse is done and the state built from it: what the parse freed (most
    // of its peak on a large hosts.toml) goes back to the OS.
    super::memory::give_back();

    // Masters that need OpenSSH's prompts are opened now, in the plain terminal.
    let logins =
        Arc::new(Logins::new(&config, opts.connect_first.as_deref()).map_err(|e| eyre!(e))?);
    let mut sigint = signal(SignalKind::interrupt())?;
    let first: Vec<HostId> = logins.hosts().cloned().collect();
    super::login::log_in_hosts(&config, &logins, &opts.known_hosts, &first, &mut sigint).await;

    let mut guard = terminal::enter()?;
    let size = guard.terminal.size()?;
    state.size = (size.width, size.height);
    let core = CoreOptions {
        audit: opts.audit.clone(),
        read_only: opts.read_only,
        known_hosts: opts.known_hosts.clone(),
    };
    let runner = runner::start_with_logins(config.clone(), tx, core, logins.clone());
    let ended = event_loop(
        &config,
        &opts,
        &mut state,
        (&mut guard, &mut sigint),
        &runner,
        &mut rx,
    )
    .await;
    // Actions cut short by the exit are on record as interrupted, whatever ended it.
    let why = match &ended {
        Ok(why) => (*why).to_owned(),
        Err(e) => format!("error: {e}"),
    };
    runner.interrupt_running(&format!("opsdeck was ended ({why}) while it ran"));
    drop(guard);
    logins.close_all().await;
    ended.map(|_| ())
}

/// Runs until the operator quits (or a signal ends it); says what ended it.
async fn event_loop(
    config: &Arc<Config>,
    opts: &RunOptions,
    state: &mut State,
    (guard, sigint): (&mut terminal::Guard, &mut tokio::signal::unix::Signal),
    runner: &runner::EffectRunner,
    rx: &mut mpsc::Receiver<crate::protocol::Update>,
) -> Result<&'static str> {
    let mut events = TerminalEvents::start();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    // Raw mode turns ctrl-c into a key; these come from outside (kill -INT, kill -QUIT).
    let mut sigquit = signal(SignalKind::quit())?;
    let mut why = "quit";
    let mut dirty = true;
    // A key was handled: its frame is drawn now, not at the next frame slot.
    let mut urgent = false;
    // The next frame slot has come (the clock's second, or a live frame).
    let mut due = true;
    let mut last_draw = Instant::now();
    // The first Prometheus answers are the largest churn after the config load.
    let mut first_read_trimmed = false;

    loop {
        let live = live(state);
        if dirty && (urgent || due) && !terminal::panicked() {
            let theme = &opts.themes[state.theme.min(opts.themes.len() - 1)];
            if std::env::var_os("OPSDECK_TEST_PANIC").is_some_and(|v| v == "render") {
                let detail = std::env::var("OPSDECK_TEST_PANIC_DETAIL").unwrap_or_default();
                panic!("deliberate panic in render (OPSDECK_TEST_PANIC=render){detail}");
            }
            guard
                .terminal
                .draw(|frame| ui::render(frame, state, theme))?;
            last_draw = Instant::now();
            dirty = false;
        }
        urgent = false;
        due = false;
        let mut msgs: Vec<Msg> = Vec::new();
        // Updates wake the loop when nothing is waiting to be drawn (or when they pile
        // up); otherwise they wait in the channel for the frame that draws them.
        let take_updates = !dirty || live || rx.len() > UPDATE_BATCH;
        tokio::select! {
            event = events.recv() => match event {
                Some(Ok(ev)) => {
                    // A key or click the console acts on is drawn at once; mouse moves and
                    // other events it ignores wait for the next frame slot.
                    let before = msgs.len();
                    msgs.extend(translate(state, ev));
                    urgent = msgs.len() > before;
                }
                Some(Err(e)) => return Err(eyre!("terminal input failed: {e}")),
                None => state.quit = Some(QuitReason::Requested),
            },
            Some(first) = rx.recv(), if take_updates => {
                msgs.push(Msg::Update(first));
                drain(rx, &mut msgs);
            }
            _ = tick.tick() => {
                msgs.push(Msg::Tick(Utc::now()));
                drain(rx, &mut msgs);
                due = true;
            }
            _ = tokio::time::sleep_until(last_draw + LIVE_FRAME), if dirty && live => {
                drain(rx, &mut msgs);
                due = true;
            }
            _ = sigterm.recv() => (why, state.quit) = ("SIGTERM", Some(QuitReason::Requested)),
            _ = sighup.recv() => (why, state.quit) = ("SIGHUP", Some(QuitReason::Requested)),
            _ = sigint.recv() => (why, state.quit) = ("SIGINT", Some(QuitReason::Requested)),
            _ = sigquit.recv() => (why, state.quit) = ("SIGQUIT", Some(QuitReason::Requested)),
        }
        let (notice, mode) = (state.notice.clone(), std::mem::discriminant(&state.mode));
        let first_read = !first_read_trimmed && msgs.iter().any(is_prometheus_read);
        let mut logins = Vec::new();
        for msg in msgs {
            dirty = true;
            for effect in update(state, config, msg) {
                match effect {
                    Effect::Login { host } => logins.push(host),
                    effect => runner.perform(effect),
                }
            }
        }
        if first_read {
            super::memory::give_back();
            first_read_trimmed = true;
            // The first readings from Prometheus fill the whole table at once: drawn now,
            // not at the clock's next second (up to a second later on a large fleet).
            urgent = true;
        }
        if !logins.is_empty() {
            // The console steps aside for OpenSSH's prompts, then the hosts reconnect.
            let ctx = runner.context();
            let work = super::login::log_in_hosts(
                config,
                ctx.logins(),
                &opts.known_hosts,
                &logins,
                sigint,
            );
            suspended(guard, &events, work).await?;
            logins.iter().for_each(|h| ctx.wake(h));
            (dirty, urgent) = (true, true);
        }
        // What the operator must see at once: a new notice, a popup opening or closing.
        if state.notice != notice || std::mem::discriminant(&state.mode) != mode {
            urgent = true;
        }
        match state.quit.take() {
            Some(QuitReason::Requested) => return Ok(why),
            Some(QuitReason::Error(e)) => return Err(eyre!(e)),
            None => {}
        }
    }
}

/// Screens where what collectors report moves under the operator's eyes.
fn live(state: &State) -> bool {
    use crate::app::state::Mode;
    state.on_logs() || matches!(state.mode, Mode::Action(_) | Mode::Smoke)
}

fn is_prometheus_read(msg: &Msg) -> bool {
    use crate::protocol::{MonitorUpdate, Update};
    matches!(msg, Msg::Update(Update::Monitor(MonitorUpdate::Read(_))))
}

/// Takes what the channel holds, up to a batch: a flood cannot starve the keyboard.
fn drain(rx: &mut mpsc::Receiver<crate::protocol::Update>, msgs: &mut Vec<Msg>) {
    while msgs.len() < UPDATE_BATCH {
        match rx.try_recv() {
            Ok(u) => msgs.push(Msg::Update(u)),
            Err(_) => break,
        }
    }
}
