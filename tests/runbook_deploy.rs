//! Deploy and rollback steps of a runbook resolve to the dispatcher's deploy plans, with
//! the version a variable gives, as one argument.

use std::path::Path;

use opsdeck::action::{ActionKind, Dispatcher};
use opsdeck::runbook::model::Filled;

const FLEET: &str = include_str!("../examples/fleet.toml");

#[test]
fn a_deploy_step_takes_its_version_from_a_variable() {
    let text = format!(
        r#"{FLEET}

[[runbooks]]
name = "ship"
[[runbooks.variables]]
name = "version"
default = "v2"

[[runbooks.steps]]
title = "Deploy the backend"
kind = "action"
action = "deploy"
service = "gamelera/backend"
version = "{{{{version}}}}"

[[runbooks.steps]]
title = "Roll back if the team says so"
kind = "action"
action = "rollback"
service = "gamelera/backend"
version = "v1"
"#
    );
    let config =
        opsdeck::config::parse(Path::new("fleet.toml"), &text).unwrap_or_else(|e| panic!("{e}"));
    let rb = opsdeck::runbook::find(&config, "ship").unwrap();
    let vars = rb
        .resolve_vars(&[("version".into(), "v1.2; rm -rf /".into())])
        .unwrap();
    let filled = opsdeck::runbook::exec::fill_all(&rb, &config, &vars).unwrap();
    let Filled::Deploy { version, .. } = &filled[0] else {
        panic!("{:?}", filled[0])
    };
    assert_eq!(
        version.as_deref(),
        Some("v1.2; rm -rf /"),
        "one value, as given"
    );
    // The dispatcher refuses that as a version: it is one argument, and not a version.
    let mut d = Dispatcher::new(false);
    let svc = opsdeck::model::ServiceId::parse("gamelera/backend").unwrap();
    assert!(
        d.plan_deploy(
            &config,
            &svc,
            version.as_deref().unwrap(),
            chrono::Utc::now()
        )
        .is_err()
    );

    let vars = rb.resolve_vars(&[]).unwrap();
    let filled = opsdeck::runbook::exec::fill_all(&rb, &config, &vars).unwrap();
    assert!(matches!(&filled[0], Filled::Deploy { version: Some(v), .. } if v == "v2"));
    let plan = d
        .plan_deploy(&config, &svc, "v2", chrono::Utc::now())
        .unwrap();
    assert_eq!(plan.kind, ActionKind::Deploy);
    assert!(matches!(&filled[1], Filled::Deploy { version: Some(v), .. } if v == "v1"));
}
