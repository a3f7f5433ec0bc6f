//! Everything the screen shows, in one value. Changed only by the reducer.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::action::{ActionOutcome, Dispatcher, Plan};
use crate::config::Config;
use crate::config::keymap::Keymap;
use crate::model::check::worst;
use crate::model::{CheckId, CheckResult, Health, History, HostId, RunState, ServiceId};

mod alerts;
mod backups;
mod fleet;
mod monitor;
mod runbook;
pub use crate::app::palette::Candidate;
pub use alerts::{AlertsState, AlertsView, SilenceForm, any_critical};
pub use backups::{BackupSetState, BackupsView};
pub use fleet::{CheckState, HostState, PendingKey, Row, ServiceState, TaskFault, kind_label};
pub use monitor::{Gap, ValueState};
pub use runbook::{PANE_OUTPUT_LINES, PaneInput, RunbookPane, TimelineView, Waiting};

/// About ten minutes of samples at the refresh interval.
const HISTORY_WINDOW: Duration = Duration::from_secs(600);
/// Lines of live action output kept for the popup.
const ACTION_OUTPUT_LINES: usize = 200;

#[derive(Debug)]
pub struct State {
    pub hosts: Vec<HostState>,
    pub screen: Screen,
    pub mode: Mode,
    /// Index into [`State::rows`].
    pub selected: usize,
    /// First visible row of the fleet table.
    pub offset: usize,
    pub filter: String,
    /// Problems only, grouping, folds and sort of the fleet table.
    pub view: crate::app::fleet_view::FleetView,
    pub size: (u16, u16),
    pub now: DateTime<Utc>,
    pub refresh: Duration,
    pub dispatcher: Dispatcher,
    pub notice: Option<Notice>,
    pub themes: Vec<String>,
    pub theme: usize,
    pub keymap: Keymap,
    pub quit: Option<QuitReason>,
    /// Set by a first quit while actions run; the second quit goes through.
    pub quit_armed: bool,
    /// Log views opened so far; the next one gets the next number as its id.
    pub log_views: u64,
    /// Services the operator marked (`m`) to read their logs merged in one view.
    pub marked: std::collections::BTreeSet<ServiceId>,
    /// Services whose replicas are shown as rows of their own.
    pub expanded: std::collections::BTreeSet<ServiceId>,
    /// Smoke suites of the config, for the palette.
    pub suites: Vec<String>,
    /// The last smoke suite run from the palette (`:smoke NAME`).
    pub smoke: Option<SmokeRun>,
    /// Every backup set of the config, with its last listing and drill.
    pub backups: Vec<BackupSetState>,
    /// Deploys and rollbacks from the audit log and this run, oldest first.
    pub deploy_history: Vec<crate::action::deploys::DeployEvent>,
    /// `HOST/SERVICE` of every service with a deploy recipe (for the palette).
    pub deployable: Vec<String>,
    /// Who holds each service's deploy lock, as last read (the Deploys screen reads it).
    pub locks: std::collections::BTreeMap<ServiceId, Result<Option<String>, String>>,
    /// Deployable versions by service, as last listed (`Err`: why they could not be).
    pub versions:
        std::collections::BTreeMap<ServiceId, Result<crate::action::deploys::Versions, String>>,
    /// The runbook open in the pane beside the fleet (`:runbook NAME`).
    pub runbook: Option<RunbookPane>,
    /// Every runbook's name, for the palette (read when the console starts).
    pub runbooks: Vec<String>,
    /// A standing line on the fleet screen's status bar when nothing else is said there.
    pub hint: Option<String>,
    /// Alertmanager's alerts and silences.
    pub alerts: AlertsState,
}

#[derive(Debug, Clone)]
pub struct SmokeRun {
    pub suite: String,
    pub checks: Vec<CheckId>,
    /// Filled as results arrive; complete once `finished`.
    pub results: Vec<(CheckId, CheckResult)>,
    pub finished: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuitReason {
    Requested,
    Error(String),
}

#[derive(Debug)]
pub enum Screen {
    Fleet,
    Host(usize),
    /// The log screen owns its view: leaving it drops the view.
    Logs(Box<LogView>),
    /// The backups of a service or host.
    Backups(BackupsView),
    /// The deploys and rollbacks of a service, newest first.
    Deploys(ServiceId),
    /// The audit log as an incident timeline (`:timeline`).
    Timeline(TimelineView),
    /// Alertmanager's alerts, mapped or not (`A`, `:alerts`).
    Alerts(AlertsView),
}

/// Two log screens are the same when they show the same view.
impl PartialEq for Screen {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Screen::Fleet, Screen::Fleet) => true,
            (Screen::Host(a), Screen::Host(b)) => a == b,
            (Screen::Logs(a), Screen::Logs(b)) => a.id == b.id,
            (Screen::Backups(a), Screen::Backups(b)) => a == b,
            (Screen::Deploys(a), Screen::Deploys(b)) => a == b,
            (Screen::Timeline(a), Screen::Timeline(b)) => a == b,
            (Screen::Alerts(a), Screen::Alerts(b)) => a == b,
            _ => false,
        }
    }
}

pub use super::log_view::LogView;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryKind {
    Search,
    Filter,
}

#[derive(Debug)]
pub enum Mode {
    Normal,
    /// Typing a log search (`/`) or filter (`f`); applied as it is typed.
    LogQuery {
        kind: QueryKind,
        input: String,
        error: Option<String>,
    },
    /// One log line in full (long lines are cut on the log screen).
    LogLine {
        seq: u64,
    },
    Filter {
        input: String,
    },
    Palette {
        input: String,
        /// What the input can become, recomputed as it is typed; tab takes or cycles them.
        candidates: Vec<Candidate>,
        selected: Option<usize>,
    },
    Help,
    /// Typing for the runbook pane: a skip's reason, an abort's, a note.
    RunbookInput {
        purpose: PaneInput,
        input: String,
    },
    /// The smoke suite's per-check results over the screen.
    Smoke,
    /// How long to silence an alert for, and why (`M` on the Alerts screen).
    Silence(Box<SilenceForm>),
    Action(Box<ActionView>),
}

#[derive(Debug)]
pub struct ActionView {
    pub plan: Plan,
    pub phase: ActionPhase,
    /// The step running now (from 0), once it runs.
    pub step: usize,
    /// How far the plan is scrolled while it waits for an answer (a plan taller than the
    /// popup).
    pub scroll: usize,
    pub typed: String,
    pub output: History<String>,
    pub outcome: Option<ActionOutcome>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionPhase {
    Confirm,
    Running,
    Done,
}

impl ActionView {
    pub fn new(plan: Plan) -> Self {
        Self {
            plan,
            phase: ActionPhase::Confirm,
            step: 0,
            scroll: 0,
            typed: String::new(),
            output: History::new(ACTION_OUTPUT_LINES),
            outcome: None,
            error: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: NoticeLevel,
    pub text: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeLevel {
    Info,
    Warn,
    Error,
}

impl State {
    pub fn new(
        config: &Config,
        read_only: bool,
        themes: Vec<String>,
        theme: usize,
        now: DateTime<Utc>,
    ) -> Self {
        let refresh = config.file.settings.refresh.get();
        let history = (HISTORY_WINDOW.as_millis() / refresh.as_millis().max(1)) as usize;
        Self {
            hosts: config
                .file
                .hosts
                .iter()
                .map(|h| HostState::from_config(h, history))
                .collect(),
            screen: Screen::Fleet,
            mode: Mode::Normal,
            selected: 0,
            offset: 0,
            filter: String::new(),
            view: Default::default(),
            size: (80, 24),
            now,
            refresh,
            dispatcher: Dispatcher::new(read_only || config.file.settings.read_only),
            notice: None,
            themes,
            theme,
            keymap: config.keymap.clone(),
            quit: None,
            quit_armed: false,
            log_views: 0,
            marked: Default::default(),
            expanded: Default::default(),
            suites: config
                .file
                .suites
                .iter()
                .map(|s| s.name.get_ref().clone())
                .collect(),
            smoke: None,
            backups: BackupSetState::all(config),
            deploy_history: Vec::new(),
            deployable: config
                .file
                .deploys
                .iter()
                .map(|d| d.service.get_ref().clone())
                .collect(),
            versions: Default::default(),
            locks: Default::default(),
            runbook: None,
            runbooks: Vec::new(),
            hint: None,
            alerts: AlertsState {
                source: config
                    .file
                    .monitoring
                    .alertmanager
                    .as_ref()
                    .map(|u| u.get_ref().clone()),
                ..Default::default()
            },
        }
    }

    /// The last deploy or rollback of `service` within `window` of now, if any: what changed.
    pub fn recent_change(
        &self,
        service: &ServiceId,
        window: chrono::Duration,
    ) -> Option<&crate::action::deploys::DeployEvent> {
        let name = service.to_string();
        self.deploy_history
            .iter()
            .rev()
            .find(|e| e.service == name)
            .filter(|e| self.now - e.at <= window)
    }

    /// The backup sets of a service.
    pub fn sets_of_service(&self, id: &ServiceId) -> Vec<usize> {
        (0..self.backups.len())
            .filter(|&i| self.backups[i].service.as_ref() == Some(id))
            .collect()
    }

    /// The backup sets of a host.
    pub fn sets_of_host(&self, id: &HostId) -> Vec<usize> {
        (0..self.backups.len())
            .filter(|&i| self.backups[i].host == *id)
            .collect()
    }

    /// Backup sets listed and stale (for the header).
    pub fn stale_sets(&self) -> usize {
        self.backups.iter().filter(|b| b.stale(self.now)).count()
    }

    /// The Backups screen on show, if it is.
    pub fn backups_view(&self) -> Option<&BackupsView> {
        match &self.screen {
            Screen::Backups(v) => Some(v),
            _ => None,
        }
    }

    pub fn host(&self, id: &HostId) -> Option<&HostState> {
        self.hosts.iter().find(|h| h.id == *id)
    }

    pub fn host_mut(&mut self, id: &HostId) -> Option<&mut HostState> {
        self.hosts.iter_mut().find(|h| h.id == *id)
    }

    pub fn service(&self, id: &ServiceId) -> Option<&ServiceState> {
        self.host(&id.host)?.services.iter().find(|s| s.id == *id)
    }

    pub fn service_mut(&mut self, id: &ServiceId) -> Option<&mut ServiceState> {
        self.host_mut(&id.host)?
            .services
            .iter_mut()
            .find(|s| s.id == *id)
    }

    pub fn check_mut(&mut self, id: &CheckId) -> Option<&mut CheckState> {
        self.service_mut(&id.service)?
            .checks
            .iter_mut()
            .find(|c| c.id == *id)
    }

    /// The log view on screen, if the log screen is open.
    pub fn logs(&self) -> Option<&LogView> {
        match &self.screen {
            Screen::Logs(v) => Some(v),
            _ => None,
        }
    }

    pub fn logs_mut(&mut self) -> Option<&mut LogView> {
        match &mut self.screen {
            Screen::Logs(v) => Some(v),
            _ => None,
        }
    }

    pub fn on_logs(&self) -> bool {
        matches!(self.screen, Screen::Logs(_))
    }

    /// The worst of the service's checks now: a result older than twice its interval is
    /// stale, never healthy.
    pub fn service_health(&self, s: &ServiceState) -> Health {
        worst(
            s.checks
                .iter()
                .map(|c| c.health(self.now))
                .chain(s.values.iter().map(|v| v.health()))
                .chain([s.container_health]),
        )
    }

    /// The fleet table's rows: filtered, problems only, sorted, grouped and folded as the
    /// operator arranged them ([`crate::app::fleet_view`]).
    pub fn rows(&self) -> Vec<Row> {
        self.table().rows
    }

    /// The fleet table: its rows, what is hidden and the groups' counts.
    pub fn table(&self) -> crate::app::fleet_view::Table {
        crate::app::fleet_view::build(self)
    }

    pub fn selected_row(&self) -> Option<Row> {
        self.rows().get(self.selected).copied()
    }

    pub fn selected_service(&self) -> Option<&ServiceState> {
        match self.selected_row()? {
            Row::Service(h, s) | Row::Replica(h, s, _) => Some(&self.hosts[h].services[s]),
            Row::Host(_) | Row::Discovered(..) | Row::Group(_) => None,
        }
    }

    /// Docker-backed rows are stale when the engine is away or has not listed for a while;
    /// other services when their last probe is older than two refreshes.
    pub fn service_stale(&self, host: &HostState, svc: &ServiceState) -> bool {
        let Some(obs) = &svc.observation else {
            return false;
        };
        match (&svc.group, &host.docker) {
            (Some(_), Some(d)) => {
                d.gap.is_some()
                    || d.listed_at.is_none_or(|t| {
                        (self.now - t).to_std().unwrap_or_default()
                            > crate::app::containers::LIST_STALE_AFTER
                    })
            }
            // An endpoint is as fresh as its checks, which run at their own interval.
            _ if svc.kind == crate::config::schema::ServiceKind::Http => svc
                .checks
                .iter()
                .any(|c| c.health(self.now) == Health::Stale),
            _ => self.is_stale(obs.at),
        }
    }

    /// The state to show: busy while an action runs, stale when the reading is old.
    pub fn run_state(&self, s: &ServiceState) -> RunState {
        s.observation
            .as_ref()
            .map_or(RunState::Unknown, |o| o.state)
    }

    pub fn is_stale(&self, at: DateTime<Utc>) -> bool {
        let age = self
            .now
            .signed_duration_since(at)
            .to_std()
            .unwrap_or_default();
        age > self.refresh * 2 + Duration::from_secs(1)
    }

    pub fn read_only(&self) -> bool {
        self.dispatcher.read_only()
    }

    pub fn any_prod(&self) -> bool {
        self.hosts.iter().any(HostState::is_prod)
    }

    pub fn theme_name(&self) -> &str {
        self.themes
            .get(self.theme)
            .map_or("default", String::as_str)
    }
}
