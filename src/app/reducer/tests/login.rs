//! Hosts logged in in the terminal: "needs login" instead of a reconnect loop that cannot
//! work, and `I` / `:login HOST` asking the console for a login.

use super::*;

fn needs_login(state: &mut State, config: &Config, host: &str, reason: &str) -> Vec<Effect> {
    update(
        state,
        config,
        Msg::Update(Update::HostNeedsLogin {
            host: HostId::new(host),
            reason: reason.into(),
        }),
    )
}

fn logins(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Login { host } => Some(host.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_host_that_needs_login_is_unreachable_with_the_reason_until_it_reads_again() {
    let (config, mut state) = setup();
    let effects = needs_login(
        &mut state,
        &config,
        "gamelera",
        "login cancelled at the prompt",
    );
    let h = &state.hosts[0];
    assert!(h.needs_login);
    assert!(
        matches!(&h.status, HostStatus::Unreachable { reason, .. } if reason == "login cancelled at the prompt")
    );
    // Lost is on record for the timeline, once.
    assert!(
        matches!(&effects[..], [Effect::Audit { kind: "host", body }] if body["event"] == "unreachable"),
        "{effects:?}"
    );
    // Lost on the network afterwards: a plain unreachable host, retried as any other.
    update(
        &mut state,
        &config,
        Msg::Update(Update::HostUnreachable {
            host: HostId::new("gamelera"),
            reason: "Connection refused".into(),
        }),
    );
    assert!(!state.hosts[0].needs_login);
    needs_login(
        &mut state,
        &config,
        "gamelera",
        "Permission denied (publickey).",
    );
    assert!(state.hosts[0].needs_login);
    let sample = fixture::sample(fixture::clock(), 0, 999);
    update(
        &mut state,
        &config,
        Msg::Update(Update::HostSampled {
            host: HostId::new("gamelera"),
            sample,
        }),
    );
    assert!(!state.hosts[0].needs_login);
    assert_eq!(state.hosts[0].status, HostStatus::Up);
}

#[test]
fn i_on_a_row_of_a_host_that_needs_login_asks_the_console_for_one() {
    let (config, mut state) = setup();
    select(&mut state, "gamelera", "backend");
    // Up: nothing to log in to.
    assert!(logins(&act(&mut state, &config, Action::Login)).is_empty());
    assert!(
        state
            .notice
            .as_ref()
            .is_some_and(|n| n.text.contains("no login needed")),
        "{:?}",
        state.notice
    );
    needs_login(
        &mut state,
        &config,
        "gamelera",
        "Permission denied (publickey).",
    );
    // A service row stands for its host.
    let effects = act(&mut state, &config, Action::Login);
    assert_eq!(logins(&effects), ["gamelera"]);
}

#[test]
fn the_palette_logs_a_named_host_in() {
    let (config, mut state) = setup();
    needs_login(
        &mut state,
        &config,
        "gamelera",
        "login cancelled at the prompt",
    );
    act(&mut state, &config, Action::Palette);
    type_text(&mut state, &config, "login gamelera");
    let effects = update(&mut state, &config, Msg::Input(TextInput::Submit));
    assert_eq!(logins(&effects), ["gamelera"]);
    // The palette offers only hosts that wait for a login.
    let candidates = crate::app::palette::complete(&state, "login ");
    let lines: Vec<&str> = candidates.iter().map(|c| c.line.as_str()).collect();
    assert_eq!(lines, ["login gamelera"]);
}
