//! `Action`: what the operator wants — the console's vocabulary. Key maps in the config name
//! these in snake_case (`"ctrl-r" = "refresh"`), the reducer handles them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    OpenLogs,
    ToggleMark,
    ToggleExpand,
    LogFilter,
    NextMatch,
    PrevMatch,
    MoreContext,
    LessContext,
    SaveLog,
    ToggleTimestamps,
    ToggleWrap,
    Help,
    Filter,
    Palette,
    RestartService,
    StopService,
    StartService,
    Refresh,
    CycleTheme,
    OpenBackups,
    BackupNow,
    RestoreBackup,
    DrillBackup,
    OpenDeploys,
    /// Keys go to the runbook pane, or back to the fleet.
    RunbookFocus,
    /// Abort the runbook run (or close its pane once it has ended).
    RunbookAbort,
    /// Fleet view: problems only, grouping, fold all, sort column, sort direction.
    ToggleProblems,
    CycleGrouping,
    FoldAll,
    CycleSort,
    ReverseSort,
    /// Log in to the selected host in the plain terminal (a host that needs login).
    Login,
    /// The Alerts screen.
    OpenAlerts,
    /// Silence the selected alert (through the dispatcher).
    SilenceAlert,
    /// Expire the silence of the selected alert (through the dispatcher).
    ExpireSilence,
}

impl Action {
    pub const ALL: &[Action] = &[
        Action::Quit,
        Action::Back,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Open,
        Action::OpenLogs,
        Action::ToggleMark,
        Action::ToggleExpand,
        Action::LogFilter,
        Action::NextMatch,
        Action::PrevMatch,
        Action::MoreContext,
        Action::LessContext,
        Action::SaveLog,
        Action::ToggleTimestamps,
        Action::ToggleWrap,
        Action::Help,
        Action::Filter,
        Action::Palette,
        Action::RestartService,
        Action::StopService,
        Action::StartService,
        Action::Refresh,
        Action::CycleTheme,
        Action::OpenBackups,
        Action::BackupNow,
        Action::RestoreBackup,
        Action::DrillBackup,
        Action::OpenDeploys,
        Action::RunbookFocus,
        Action::RunbookAbort,
        Action::ToggleProblems,
        Action::CycleGrouping,
        Action::FoldAll,
        Action::CycleSort,
        Action::ReverseSort,
        Action::Login,
        Action::OpenAlerts,
        Action::SilenceAlert,
        Action::ExpireSilence,
    ];

    /// One line for the help overlay.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit opsdeck",
            Action::Back => "back / close",
            Action::Up => "move up",
            Action::Down => "move down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "go to first row",
            Action::Bottom => "go to last row",
            Action::Open => "open host detail",
            Action::OpenLogs => "follow logs (service, host or marked)",
            Action::ToggleMark => "mark a service for merged logs",
            Action::ToggleExpand => "fold a group / show a service's replicas",
            Action::LogFilter => "logs: show only matching lines",
            Action::NextMatch => "logs: next match",
            Action::PrevMatch => "logs: previous match",
            Action::MoreContext => "logs: more context around filter matches",
            Action::LessContext => "logs: less context",
            Action::SaveLog => "logs: save the (filtered) view to a file",
            Action::ToggleTimestamps => "logs: timestamps on / off",
            Action::ToggleWrap => "logs: wrap long lines on / off",
            Action::Help => "this help",
            Action::Filter => "filter rows",
            Action::Palette => "command palette",
            Action::RestartService => "restart service",
            Action::StopService => "stop service",
            Action::StartService => "start service",
            Action::Refresh => "refresh now",
            Action::CycleTheme => "next theme",
            Action::OpenBackups => "backups of the service or host",
            Action::BackupNow => "backups: back up now",
            Action::RestoreBackup => "backups: restore the chosen backup",
            Action::DrillBackup => "backups: drill a restore of the newest into scratch",
            Action::OpenDeploys => "deploy history of the service (:deploy, :rollback act)",
            Action::RunbookFocus => "runbook pane: keys to it (enter r s n x) / to the fleet",
            Action::RunbookAbort => "runbook pane: abort the run, or close it once ended",
            Action::ToggleProblems => "problems only (down, degraded, stale, alerting) / all",
            Action::CycleGrouping => "group rows by host, by tag, or not at all",
            Action::FoldAll => "fold / unfold every group",
            Action::CycleSort => "sort by the next column (then config order)",
            Action::ReverseSort => "reverse the sort",
            Action::Login => "log in to a host that needs login, in the plain terminal",
            Action::OpenAlerts => "Alertmanager's alerts (enter opens the runbook one names)",
            Action::SilenceAlert => "alerts: silence the selected alert for a while",
            Action::ExpireSilence => "alerts: expire the silence of the selected alert",
        }
    }

    /// A short label for the status line.
    pub fn label(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Back => "back",
            Action::Up | Action::Down => "move",
            Action::PageUp | Action::PageDown => "page",
            Action::Top | Action::Bottom => "top/end",
            Action::Open => "detail",
            Action::OpenLogs => "logs",
            Action::ToggleMark => "mark",
            Action::ToggleExpand => "replicas",
            Action::LogFilter => "filter",
            Action::NextMatch | Action::PrevMatch => "next/prev",
            Action::MoreContext | Action::LessContext => "context",
            Action::SaveLog => "save",
            Action::ToggleTimestamps => "time",
            Action::ToggleWrap => "wrap",
            Action::Help => "help",
            Action::Filter => "filter",
            Action::Palette => "command",
            Action::RestartService => "restart",
            Action::StopService => "stop",
            Action::StartService => "start",
            Action::Refresh => "refresh",
            Action::CycleTheme => "theme",
            Action::OpenBackups => "backups",
            Action::BackupNow => "backup now",
            Action::RestoreBackup => "restore",
            Action::DrillBackup => "drill",
            Action::OpenDeploys => "deploys",
            Action::RunbookFocus => "runbook",
            Action::RunbookAbort => "abort",
            Action::ToggleProblems => "problems",
            Action::CycleGrouping => "group",
            Action::FoldAll => "fold all",
            Action::CycleSort => "sort",
            Action::ReverseSort => "reverse",
            Action::Login => "login",
            Action::OpenAlerts => "alerts",
            Action::SilenceAlert => "silence",
            Action::ExpireSilence => "unsilence",
        }
    }

    /// Actions that change something on a host: they go through the dispatcher.
    pub fn is_mutating(self) -> bool {
        matches!(
            self,
            Action::RestartService
                | Action::StopService
                | Action::StartService
                | Action::BackupNow
                | Action::RestoreBackup
                | Action::DrillBackup
                | Action::SilenceAlert
                | Action::ExpireSilence
        )
    }

    /// The name key maps use for it (`page_down`).
    pub fn config_name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The action a key map names, if any.
    pub fn from_config_name(name: &str) -> Option<Action> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }
}
