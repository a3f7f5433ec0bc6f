//! The Backups screen and the backup and deploy actions from the console.

use super::*;
use crate::action::Confirmation;

#[test]
fn the_backups_screen_chooses_a_backup_and_plans_its_restore() {
    let (config, mut state) = setup();
    select(&mut state, "triboka", "triboka-flask");
    act(&mut state, &config, Action::OpenBackups);
    let Screen::Backups(view) = &state.screen else {
        panic!("the backups screen opened: {:?}", state.screen)
    };
    assert_eq!(view.title, "triboka/triboka-flask");
    let set = view.set().unwrap();
    let newest = state.backups[set].backups()[0].key.clone();
    let second = state.backups[set].backups()[1].key.clone();
    act(&mut state, &config, Action::Down);
    act(&mut state, &config, Action::RestoreBackup);
    let Mode::Action(popup) = &state.mode else {
        panic!("the restore plan is shown: {:?}", state.notice)
    };
    assert_eq!(popup.plan.kind, ActionKind::Restore);
    assert_eq!(
        popup.plan.confirmation,
        Confirmation::TypeName("triboka-flask".into())
    );
    let titles: Vec<&str> = popup.plan.steps.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles[0],
        format!("verify backup {second}"),
        "the chosen one, not {newest}"
    );
    assert!(titles.contains(&"take a safety backup of the current state"));
    // A wrong name runs nothing.
    type_text(&mut state, &config, "triboka");
    let effects = update(&mut state, &config, Msg::Input(TextInput::Submit));
    assert!(effects.is_empty(), "{effects:?}");
}

#[test]
fn a_service_without_sets_says_so_and_read_only_refuses_backups() {
    let (config, mut state) = setup();
    select(&mut state, "gamelera", "backend");
    act(&mut state, &config, Action::OpenBackups);
    assert!(matches!(state.screen, Screen::Fleet));
    assert!(
        state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("no backup sets")
    );

    let mut state = State::new(&config, true, fixture::themes(), 0, fixture::clock());
    select(&mut state, "gamelera", "mongodb");
    for a in [Action::BackupNow, Action::DrillBackup] {
        act(&mut state, &config, a);
        assert!(matches!(state.mode, Mode::Normal));
        assert!(
            state.notice.as_ref().unwrap().text.contains("read-only"),
            "{a:?}"
        );
    }
}

#[test]
fn listings_update_the_set_and_the_stale_count() {
    let (config, mut state) = setup();
    // The fixture's triboka set is stale (newest 30 h old).
    assert_eq!(state.stale_sets(), 1);
    update(
        &mut state,
        &config,
        Msg::Update(Update::BackupsListed {
            set: "triboka-sqlite".into(),
            result: Err("cannot reach the host".into()),
        }),
    );
    let b = state
        .backups
        .iter()
        .find(|b| b.name == "triboka-sqlite")
        .unwrap();
    assert_eq!(b.error.as_deref(), Some("cannot reach the host"));
    assert!(b.status.is_some(), "the last good listing stays");
}

#[test]
fn deploy_and_rollback_from_the_palette() {
    let (config, mut state) = setup();
    let effects =
        super::super::palette::run_command(&mut state, &config, "deploy gamelera/backend v2");
    assert!(effects.is_empty());
    let Mode::Action(popup) = &state.mode else {
        panic!("{:?}", state.notice)
    };
    assert_eq!(popup.plan.kind, ActionKind::Deploy);
    assert_eq!(popup.plan.version.as_deref(), Some("v2"));
    assert_eq!(
        popup.plan.confirmation,
        Confirmation::TypeName("backend".into())
    );
    state.mode = Mode::Normal;
    // The last successful deploy (v1 → v2) says where a rollback returns: v1.
    super::super::palette::run_command(&mut state, &config, "rollback gamelera/backend");
    assert!(
        matches!(&state.mode, Mode::Action(p) if p.plan.version.as_deref() == Some("v1")),
        "{:?}",
        state.notice
    );
    state.mode = Mode::Normal;
    // Nothing recorded: a rollback needs the version.
    state.deploy_history.clear();
    super::super::palette::run_command(&mut state, &config, "rollback gamelera/backend");
    assert!(
        state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("no successful deploy")
    );
    super::super::palette::run_command(&mut state, &config, "rollback gamelera/backend v1");
    assert!(matches!(&state.mode, Mode::Action(p) if p.plan.kind == ActionKind::Rollback));
    state.mode = Mode::Normal;
    // Versions are checked.
    super::super::palette::run_command(&mut state, &config, "deploy gamelera/backend $(id)");
    assert!(
        state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("is not a version")
    );
}

#[test]
fn typing_a_deploy_asks_once_for_the_versions() {
    let (config, mut state) = setup();
    state.versions.clear();
    act(&mut state, &config, Action::Palette);
    let effects = type_text(&mut state, &config, "deploy gamelera/backend ");
    let asked: Vec<_> = effects
        .iter()
        .filter(|e| matches!(e, Effect::ListVersions { .. }))
        .collect();
    assert_eq!(asked.len(), 1, "{effects:?}");
    update(
        &mut state,
        &config,
        Msg::Update(Update::VersionsListed {
            service: ServiceId::parse("gamelera/backend").unwrap(),
            result: Ok(crate::action::deploys::Versions {
                available: vec!["v1".into(), "v4".into()],
                running: Some("v1".into()),
            }),
        }),
    );
    let Mode::Palette { candidates, .. } = &state.mode else {
        panic!()
    };
    let lines: Vec<&str> = candidates.iter().map(|c| c.line.as_str()).collect();
    assert_eq!(
        lines,
        ["deploy gamelera/backend v4", "deploy gamelera/backend v1"]
    );
    // Known now: typing on asks nothing more.
    assert!(type_text(&mut state, &config, "v").is_empty());
}

#[test]
fn the_deploys_screen_reads_who_holds_the_lock() {
    let (config, mut state) = setup();
    select(&mut state, "gamelera", "backend");
    let effects = act(&mut state, &config, Action::OpenDeploys);
    assert!(
        matches!(effects.as_slice(), [Effect::ReadLock { service }] if service.to_string() == "gamelera/backend"),
        "{effects:?}"
    );
    assert!(matches!(state.screen, Screen::Deploys(_)));
    // A service without a recipe has no lock to read.
    select(&mut state, "gamelera", "minio");
    state.screen = Screen::Fleet;
    assert!(act(&mut state, &config, Action::OpenDeploys).is_empty());
}
