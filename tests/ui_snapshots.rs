//! Snapshots of every screen region from the fixture fleet with a pinned clock,
//! at 120×40 and 80×24.

use opsdeck::app::TextInput;
use opsdeck::app::reducer::{Msg, update};
use opsdeck::app::state::{Row, State};
use opsdeck::config::Config;
use opsdeck::fixture;
use opsdeck::model::Action;
use opsdeck::protocol::Update;
use opsdeck::ui;
use opsdeck::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const SIZES: [(u16, u16); 2] = [(120, 40), (80, 24)];

fn draw(state: &State) -> String {
    let (w, h) = state.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = Theme::default();
    terminal.draw(|f| ui::render(f, state, &theme)).unwrap();
    terminal.backend().to_string()
}

fn each_size(name: &str, prepare: impl Fn(&Config, &mut State)) {
    for size in SIZES {
        let config = fixture::config();
        let mut state = fixture::state(&config, size);
        prepare(&config, &mut state);
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), draw(&state));
    }
}

#[test]
fn fleet_table() {
    each_size("fleet", |_, _| {});
}

#[test]
fn header_alone() {
    for (w, _) in SIZES {
        let config = fixture::config();
        let state = fixture::state(&config, (w, 1));
        let mut terminal = Terminal::new(TestBackend::new(w, 1)).unwrap();
        terminal
            .draw(|f| ui::header::render(f, f.area(), &state, &Theme::default()))
            .unwrap();
        insta::assert_snapshot!(format!("header_{w}"), terminal.backend().to_string());
    }
}

#[test]
fn host_detail() {
    each_size("host_detail", |config, state| {
        update(state, config, Msg::Action(Action::Open));
    });
}

#[test]
fn unreachable_host_detail() {
    each_size("host_detail_unreachable", |config, state| {
        let epagal = state
            .rows()
            .iter()
            .position(|r| *r == Row::Host(1))
            .unwrap();
        state.selected = epagal;
        update(state, config, Msg::Action(Action::Open));
    });
}

/// A host logged in in the terminal that lost its master: "needs login" on its row (with
/// the key that logs in) and in its detail.
#[test]
fn needs_login_row_and_detail() {
    let needs_login = |config: &Config, state: &mut State| {
        let host = state.hosts[0].id.clone();
        let reason = "root@10.77.0.10: Permission denied (publickey).".to_owned();
        update(
            state,
            config,
            Msg::Update(Update::HostNeedsLogin { host, reason }),
        );
    };
    each_size("fleet_needs_login", needs_login);
    each_size("host_detail_needs_login", |config, state| {
        needs_login(config, state);
        state.selected = 0;
        update(state, config, Msg::Action(Action::Open));
    });
}

#[test]
fn help_overlay() {
    each_size("help", |config, state| {
        update(state, config, Msg::Action(Action::Help));
    });
}

#[test]
fn plan_popup() {
    each_size("plan_popup", |config, state| {
        update(state, config, Msg::Action(Action::Bottom));
        update(state, config, Msg::Action(Action::RestartService));
        for c in "conduct".chars() {
            update(state, config, Msg::Input(TextInput::Char(c)));
        }
    });
}

#[test]
fn filter_input() {
    each_size("filter", |config, state| {
        update(state, config, Msg::Action(Action::Filter));
        for c in "front".chars() {
            update(state, config, Msg::Input(TextInput::Char(c)));
        }
    });
}

#[test]
fn read_only_banner() {
    let config = fixture::config();
    let mut state = State::new(&config, true, fixture::themes(), 0, fixture::clock());
    state.size = (120, 40);
    let screen = draw(&state);
    assert!(screen.lines().next().unwrap().contains("READ-ONLY"));
    assert!(screen.lines().next().unwrap().contains("PROD"));
}

/// `:smoke post-deploy` with two results in and one still running, then finished.
#[test]
fn smoke_overlay() {
    use opsdeck::model::CheckId;
    for finished in [false, true] {
        let name = if finished {
            "smoke_finished"
        } else {
            "smoke_running"
        };
        each_size(name, |config, state| {
            update(state, config, Msg::Action(Action::Palette));
            for c in "smoke post-deploy".chars() {
                update(state, config, Msg::Input(TextInput::Char(c)));
            }
            update(state, config, Msg::Input(TextInput::Submit));
            let now = fixture::clock();
            let ids = [
                "gamelera/backend/health",
                "epagal/backend/health",
                "triboka/triboka-flask/health",
            ]
            .map(|r| CheckId::parse(r).unwrap());
            let mut results = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                if i == 2 && !finished {
                    break;
                }
                let mut result = fixture::check_result(id, 23, now);
                if i == 1 {
                    result.attempts = 3;
                }
                results.push((id.clone(), result.clone()));
                update(
                    state,
                    config,
                    Msg::Update(Update::CheckResult {
                        check: id.clone(),
                        result,
                    }),
                );
            }
            if finished {
                update(
                    state,
                    config,
                    Msg::Update(Update::SuiteFinished {
                        suite: "post-deploy".into(),
                        results,
                    }),
                );
            }
        });
    }
}

/// The log screen with a search, a filter keeping one line of context, scrolled up while
/// new lines arrived (paused, with the count of new ones).
#[test]
fn log_view_filtered_searched_and_paused() {
    use opsdeck::app::state::{LogView, Screen};
    use opsdeck::model::{Level, LogLine};
    each_size("log_view", |config, state| {
        let t0 = fixture::clock() - chrono::Duration::seconds(120);
        let line = |i: i64, level: Level, message: &str| LogLine {
            at: Some(t0 + chrono::Duration::milliseconds(1500 * i)),
            level,
            message: message.to_owned(),
            origin: String::new(),
            stderr: level == Level::Error,
        };
        let mut view = LogView::new(1, "gamelera/backend".into(), 100_000);
        let messages = [
            (Level::Info, "GET /api/v1/health 200 3ms"),
            (Level::Info, "Peso estimado raza=nelore peso_kg=412"),
            (Level::Warn, "MongoDB slow query: 1204ms on pesajes"),
            (Level::Info, "GET /api/v1/animales 200 41ms"),
            (
                Level::Error,
                "Traceback: ValueError: imagen sin bovino detectado",
            ),
            (Level::Debug, "cache hit modelo=tflite-v3"),
        ];
        view.push(
            (0..300)
                .map(|i| {
                    let (level, text) = messages[i as usize % messages.len()];
                    line(i, level, text)
                })
                .collect(),
        );
        view.set_search("mongo").unwrap();
        view.set_filter("Traceback|MongoDB").unwrap();
        view.set_context(1);
        state.screen = Screen::Logs(Box::new(view));
        for _ in 0..3 {
            update(state, config, Msg::Action(Action::Up));
        }
        let late: Vec<LogLine> = (300..312)
            .map(|i| line(i, Level::Warn, "MongoDB slow query: 980ms on animales"))
            .collect();
        if let Some(v) = state.logs_mut() {
            v.push(late);
        }
    });
}

#[test]
fn container_stats_in_the_host_detail() {
    each_size("container_stats", |config, state| {
        fixture::containers(state, config);
        update(state, config, Msg::Action(Action::Open));
    });
}

/// `:restart gam` then tab: the shared prefix is taken and the services listed.
#[test]
fn palette_with_completions() {
    each_size("palette", |config, state| {
        update(state, config, Msg::Action(Action::Palette));
        for c in "restart gam".chars() {
            update(state, config, Msg::Input(TextInput::Char(c)));
        }
        update(
            state,
            config,
            Msg::Input(TextInput::Complete { back: false }),
        );
        update(
            state,
            config,
            Msg::Input(TextInput::Complete { back: false }),
        );
    });
}

/// The restart of triboka-flask confirmed: running with live output, then done (and a
/// failed run, which says which step failed and what it printed).
#[test]
fn action_popup_running_and_done() {
    use opsdeck::action::ActionOutcome;
    use opsdeck::app::state::Mode;
    let confirm = |config: &Config, state: &mut State| {
        let row = state
            .rows()
            .iter()
            .position(|r| matches!(r, Row::Service(h, s) if &*state.hosts[*h].services[*s].id.name == "triboka-flask"))
            .unwrap();
        state.selected = row;
        update(state, config, Msg::Action(Action::RestartService));
        for c in "triboka-flask".chars() {
            update(state, config, Msg::Input(TextInput::Char(c)));
        }
        update(state, config, Msg::Input(TextInput::Submit));
        let Mode::Action(view) = &state.mode else {
            panic!("the popup closed on confirm")
        };
        let id = view.plan.id;
        for line in [
            "$ systemctl restart -- triboka-flask.service",
            "Job for triboka-flask.service queued",
        ] {
            update(
                state,
                config,
                Msg::Update(Update::ActionOutput {
                    action_id: id,
                    line: line.into(),
                }),
            );
        }
        id
    };
    each_size("action_running", |config, state| {
        confirm(config, state);
    });
    for (name, outcome) in [
        (
            "action_done",
            ActionOutcome::Succeeded {
                duration_ms: 1240,
                notes: vec![],
            },
        ),
        (
            "action_failed",
            ActionOutcome::Failed {
                step: 0,
                step_title: "restart".into(),
                command: "systemctl restart -- triboka-flask.service".into(),
                exit_code: Some(1),
                error: "exit code 1".into(),
                output_tail: vec![
                    "Job for triboka-flask.service failed because the control process exited with error code.".into(),
                ],
                duration_ms: 830,
                notes: vec![],
                put_back: None,
            },
        ),
    ] {
        each_size(name, |config, state| {
            let id = confirm(config, state);
            let service = opsdeck::model::ServiceId::new(
                &opsdeck::model::HostId::new("triboka"),
                "triboka-flask",
            );
            update(
                state,
                config,
                Msg::Update(Update::ActionFinished {
                    action_id: id,
                    subject: opsdeck::action::Subject::Service(service),
                    outcome: outcome.clone(),
                }),
            );
        });
    }
}

/// The row of `host`/`service` selected.
fn select_service(state: &mut State, host: &str, service: &str) {
    state.selected = state
        .rows()
        .iter()
        .position(|r| match *r {
            Row::Service(h, s) => {
                state.hosts[h].id.as_str() == host
                    && &*state.hosts[h].services[s].id.name == service
            }
            _ => false,
        })
        .unwrap();
}

#[test]
fn backups_tab() {
    each_size("backups_gamelera", |config, state| {
        select_service(state, "gamelera", "mongodb");
        update(state, config, Msg::Action(Action::OpenBackups));
    });
    each_size("backups_preventia", |config, state| {
        select_service(state, "preventia", "postgres");
        update(state, config, Msg::Action(Action::OpenBackups));
        update(state, config, Msg::Action(Action::Down));
    });
    each_size("backups_unlisted", |config, state| {
        select_service(state, "epagal", "backend");
        update(state, config, Msg::Action(Action::OpenBackups));
    });
}

#[test]
fn restore_plan() {
    each_size("restore_plan", |config, state| {
        select_service(state, "triboka", "triboka-flask");
        update(state, config, Msg::Action(Action::OpenBackups));
        update(state, config, Msg::Action(Action::Down));
        update(state, config, Msg::Action(Action::RestoreBackup));
    });
    // Scrolled to its end: the last steps and the typed-name prompt.
    each_size("restore_plan_end", |config, state| {
        select_service(state, "triboka", "triboka-flask");
        update(state, config, Msg::Action(Action::OpenBackups));
        update(state, config, Msg::Action(Action::RestoreBackup));
        update(state, config, Msg::Scroll(60));
    });
}

#[test]
fn deploys_tab_and_deploy_progress() {
    use opsdeck::app::state::Mode;
    each_size("deploys_tab", |config, state| {
        select_service(state, "gamelera", "backend");
        update(state, config, Msg::Action(Action::OpenDeploys));
    });
    // The version picker: the palette lists the image tags, the running one marked.
    each_size("version_picker", |config, state| {
        update(state, config, Msg::Action(Action::Palette));
        for c in "deploy gamelera/backend ".chars() {
            update(state, config, Msg::Input(TextInput::Char(c)));
        }
    });
    each_size("deploy_running", |config, state| {
        update(state, config, Msg::Action(Action::Palette));
        for c in "deploy gamelera/backend v3".chars() {
            update(state, config, Msg::Input(TextInput::Char(c)));
        }
        update(state, config, Msg::Input(TextInput::Submit));
        for c in "backend".chars() {
            update(state, config, Msg::Input(TextInput::Char(c)));
        }
        update(state, config, Msg::Input(TextInput::Submit));
        let Mode::Action(view) = &state.mode else {
            panic!("the deploy popup closed on confirm")
        };
        let id = view.plan.id;
        update(
            state,
            config,
            Msg::Update(Update::ActionStep {
                action_id: id,
                step: 3,
            }),
        );
        for line in [
            "$ lab-compose deploy gamelera backend v3",
            "gamelera_backend_1 -> localhost/opsdeck-lab/app:v3",
            "$ check gamelera/backend/health until it passes (10 × 2s)",
            "gate 1/10: fail: `/status` is `degraded`, expected `healthy`",
            "gate 2/10: fail: `/status` is `degraded`, expected `healthy`",
        ] {
            update(
                state,
                config,
                Msg::Update(Update::ActionOutput {
                    action_id: id,
                    line: line.into(),
                }),
            );
        }
    });
}

#[test]
fn runbook_pane_beside_the_fleet() {
    each_size("runbook_pane", fixture::open_runbook);
}

#[test]
fn timeline_screen() {
    each_size("timeline", fixture::open_timeline);
}

/// Discovered units beside the configured services (`~`, `systemd?`), a service that is
/// only not started yet, and the first run's hint on the status bar.
#[test]
fn discovered_units_not_started_and_the_first_run_hint() {
    use opsdeck::model::discovered::DiscoveredUnit;
    use opsdeck::model::{RunState, ServiceId, ServiceObservation};
    each_size("discovered", |config, state| {
        let at = state.now;
        let obs = |s: RunState, detail: &str| ServiceObservation {
            at,
            state: s,
            detail: detail.into(),
            uptime: None,
            cpu_percent: None,
            mem_bytes: None,
        };
        let host = opsdeck::model::HostId::new("triboka");
        let units = vec![
            DiscoveredUnit {
                name: "nginx".into(),
                unit: "nginx.service".into(),
                observation: obs(RunState::Running, "active (running) · pid 88"),
            },
            DiscoveredUnit {
                name: "certbot-renew".into(),
                unit: "certbot-renew.service".into(),
                observation: obs(RunState::Failed, "failed (failed)"),
            },
        ];
        update(
            state,
            config,
            Msg::Update(Update::UnitsDiscovered { host, units }),
        );
        update(
            state,
            config,
            Msg::Update(Update::ServiceObserved {
                service: ServiceId::new(&opsdeck::model::HostId::new("triboka"), "triboka-flask"),
                observation: obs(RunState::NotStarted, "not started yet: S starts it"),
            }),
        );
        state.hint = Some(
            "no hosts.toml: this machine, discovered (~) · add hosts: `opsdeck init` \
             (~/.ssh/config, --host user@addr) writes ~/.config/opsdeck/hosts.toml"
                .into(),
        );
    });
}

fn open_host(config: &Config, state: &mut State, host: usize) {
    let at = state
        .rows()
        .iter()
        .position(|r| *r == Row::Host(host))
        .unwrap();
    state.selected = at;
    update(state, config, Msg::Action(Action::Open));
}

#[test]
fn promql_values_in_the_host_detail() {
    each_size("host_detail_promql", |config, state| {
        fixture::prometheus_values(config, state);
        open_host(config, state, 3);
    });
    each_size("host_detail_promql_stale", |config, state| {
        fixture::prometheus_values(config, state);
        fixture::prometheus_down(config, state);
        open_host(config, state, 3);
    });
}

#[test]
fn alerts_screen() {
    each_size("alerts", fixture::alerts_screen);
}

#[test]
fn alerts_stale_and_the_silence_popup() {
    each_size("alerts_stale_silence", |config, state| {
        fixture::alerts_stale(config, state);
        update(state, config, Msg::Action(Action::SilenceAlert));
        update(
            state,
            config,
            Msg::Input(TextInput::Complete { back: false }),
        );
        for c in "load test".chars() {
            update(state, config, Msg::Input(TextInput::Char(c)));
        }
    });
}

#[test]
fn fleet_with_alert_badges() {
    each_size("fleet_alerts", fixture::alerts);
}
