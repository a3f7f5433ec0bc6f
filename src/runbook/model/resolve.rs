//! A runbook from the config and filled for a run: its variables resolved and checked,
//! each step filled with them and its references resolved.

use super::*;

impl Runbook {
    /// From `[[runbooks]]` (or a `runbooks/*.toml` file), already validated with the config.
    pub fn from_config(r: &RunbookConfig, source: Source) -> Result<Self, String> {
        let mut steps = Vec::with_capacity(r.steps.len());
        for (i, s) in r.steps.iter().enumerate() {
            steps.push(
                step_from_config(s)
                    .map_err(|e| format!("steps[{i}] ({}): {e}", s.title.get_ref()))?,
            );
        }
        Ok(Self {
            name: r.name.get_ref().clone(),
            title: r.title.clone().unwrap_or_else(|| r.name.get_ref().clone()),
            description: r.description.clone().unwrap_or_default(),
            source,
            rto: r.rto.as_ref().map(|d| d.get()),
            rpo: r.rpo.as_ref().map(|d| d.get()),
            variables: r
                .variables
                .iter()
                .map(|v| Variable {
                    name: v.name.get_ref().clone(),
                    default: v.default.as_ref().map(|d| d.get_ref().clone()),
                    choices: v.choices.iter().map(|c| c.get_ref().clone()).collect(),
                    description: v.description.clone(),
                })
                .collect(),
            steps,
        })
    }

    /// The values of the variables for one run: given ones (`--var`), else defaults; each
    /// given name must be a variable, each value one of its choices, and every variable
    /// the steps use must have a value.
    pub fn resolve_vars(
        &self,
        given: &[(String, String)],
    ) -> Result<BTreeMap<String, String>, String> {
        let mut vars = BTreeMap::new();
        let used = self.used_variables();
        for (k, v) in given {
            // A placeholder the steps use is a variable even when not declared.
            let undeclared = Variable {
                name: k.clone(),
                default: None,
                choices: vec![],
                description: None,
            };
            let declared = self.variables.iter().find(|x| &x.name == k);
            let Some(var) = declared.or(used.contains(k).then_some(&undeclared)) else {
                let mut known: Vec<&str> = self.variables.iter().map(|v| v.name.as_str()).collect();
                for u in &used {
                    if !known.contains(&u.as_str()) {
                        known.push(u);
                    }
                }
                return Err(format!(
                    "runbook {} has no variable `{k}` (variables: {})",
                    self.name,
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                ));
            };
            if !var.choices.is_empty() && !var.choices.contains(v) {
                return Err(format!(
                    "`{v}` is not a choice of `{k}` (choices: {})",
                    var.choices.join(", ")
                ));
            }
            vars.insert(k.clone(), v.clone());
        }
        for var in &self.variables {
            if !vars.contains_key(&var.name)
                && let Some(d) = &var.default
            {
                vars.insert(var.name.clone(), d.clone());
            }
        }
        for name in used {
            if !vars.contains_key(&name) {
                return Err(format!(
                    "variable `{name}` has no value: give --var {name}=VALUE"
                ));
            }
        }
        Ok(vars)
    }

    /// Every variable the steps name, each once.
    pub fn used_variables(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let mut add = |v: &str| {
            for n in placeholders(v) {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        };
        for s in &self.steps {
            match &s.kind {
                StepKind::Run { host, command, .. } => {
                    add(host);
                    match command {
                        Template::Argv(spec) => spec.expose_argv().iter().for_each(|a| add(a)),
                        Template::Script(p) => {
                            p.names.iter().for_each(|n| add(&format!("{{{{{n}}}}}")))
                        }
                    }
                }
                StepKind::Action {
                    target,
                    backup,
                    version,
                    ..
                } => {
                    add(target);
                    for v in [backup, version].into_iter().flatten() {
                        add(v);
                    }
                }
                StepKind::Check(CheckTarget::Check(c) | CheckTarget::Suite(c))
                | StepKind::Wait(WaitFor::Check(c)) => add(c),
                StepKind::Wait(WaitFor::Duration(_)) | StepKind::Manual { .. } => {}
            }
        }
        names
    }

    /// Step `i` with `vars` filled in, its host, service, set and checks found in `config`.
    pub fn fill(
        &self,
        i: usize,
        config: &Config,
        vars: &BTreeMap<String, String>,
    ) -> Result<Filled, String> {
        let step = &self.steps[i];
        Ok(match &step.kind {
            StepKind::Run {
                host,
                command,
                expect,
                output_regex,
            } => {
                let host = HostId::new(&fill(host, vars)?);
                if config.find_host(&host).is_none() {
                    return Err(format!("unknown host `{host}`"));
                }
                let command = match command {
                    Template::Argv(spec) => {
                        check_filled(spec, vars)?;
                        spec.map_args(|a| fill(a, vars).unwrap_or_default())
                    }
                    Template::Script(p) => p.command(|n| vars.get(n).cloned().unwrap_or_default()),
                };
                let output_regex = match output_regex {
                    Some(re) => {
                        Some(regex::Regex::new(re).map_err(|e| format!("bad output regex: {e}"))?)
                    }
                    None => None,
                };
                Filled::Run {
                    target: Target::of(config, &host),
                    host,
                    command,
                    expect: *expect,
                    output_regex,
                }
            }
            StepKind::Action {
                verb,
                target,
                backup,
                version,
            } => {
                let target = fill(target, vars)?;
                if matches!(verb, Verb::Deploy | Verb::Rollback) {
                    let service = ServiceId::parse(&target)
                        .filter(|s| config.find_service(s).is_some())
                        .ok_or_else(|| {
                            format!("unknown service `{target}` (write HOST/SERVICE)")
                        })?;
                    let version = version.as_ref().map(|v| fill(v, vars)).transpose()?;
                    if *verb == Verb::Deploy && version.is_none() {
                        return Err(format!("a deploy step of {service} needs `version`"));
                    }
                    Filled::Deploy {
                        verb: *verb,
                        service,
                        version,
                    }
                } else if verb.on_set() {
                    // A `host/service` names the set that backs it up.
                    let by_service = config.file.backups.iter().find(|b| {
                        b.service.as_ref().is_some_and(|s| {
                            format!("{}/{}", b.host.get_ref(), s.get_ref()) == target
                        })
                    });
                    let target = match by_service {
                        Some(b) if target.contains('/') => b.name.get_ref().clone(),
                        _ => target,
                    };
                    if !config
                        .file
                        .backups
                        .iter()
                        .any(|b| b.name.get_ref() == &target)
                    {
                        return Err(format!("unknown backup set `{target}`"));
                    }
                    let backup = match backup {
                        Some(b) => fill(b, vars)?,
                        None => "latest".into(),
                    };
                    Filled::Set {
                        verb: *verb,
                        set: target,
                        backup,
                    }
                } else {
                    let service = target
                        .split_once('/')
                        .filter(|(h, s)| !h.is_empty() && !s.is_empty() && !s.contains('/'))
                        .map(|(h, s)| ServiceId::new(&HostId::new(h), s))
                        .ok_or_else(|| format!("`{target}` is not host/service"))?;
                    if config.find_service(&service).is_none() {
                        return Err(format!("unknown service `{target}`"));
                    }
                    Filled::Service {
                        verb: *verb,
                        service,
                    }
                }
            }
            StepKind::Check(CheckTarget::Check(c)) => {
                let id = check_id(config, &fill(c, vars)?)?;
                Filled::Checks {
                    label: id.to_string(),
                    checks: vec![id],
                }
            }
            StepKind::Check(CheckTarget::Suite(s)) => {
                let name = fill(s, vars)?;
                let suite = config
                    .file
                    .suites
                    .iter()
                    .find(|x| x.name.get_ref() == &name)
                    .ok_or_else(|| format!("unknown suite `{name}`"))?;
                let checks = suite
                    .checks
                    .iter()
                    .map(|c| check_id(config, c.get_ref()))
                    .collect::<Result<Vec<_>, _>>()?;
                Filled::Checks {
                    label: format!("suite {name}"),
                    checks,
                }
            }
            StepKind::Wait(WaitFor::Duration(d)) => Filled::Sleep(*d),
            StepKind::Wait(WaitFor::Check(c)) => {
                Filled::WaitCheck(check_id(config, &fill(c, vars)?)?)
            }
            StepKind::Manual { note, commands } => Filled::Manual {
                text: fill_text(&step.text, vars),
                commands: commands.as_ref().map(|c| fill_text(c, vars)),
                note: *note,
            },
        })
    }
}

/// Every placeholder of an argv template has a value.
fn check_filled(spec: &CommandSpec, vars: &BTreeMap<String, String>) -> Result<(), String> {
    for a in spec.expose_argv() {
        fill(a, vars)?;
    }
    Ok(())
}

/// Text shown to the operator: placeholders filled where known, left as written otherwise.
fn fill_text(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = text.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("{{{{{k}}}}}"), v);
    }
    out
}

fn check_id(config: &Config, text: &str) -> Result<CheckId, String> {
    let id = CheckId::parse(text).ok_or_else(|| format!("`{text}` is not host/service/check"))?;
    let (_, svc) = config
        .find_service(&id.service)
        .ok_or_else(|| format!("unknown check `{text}`"))?;
    if !svc
        .checks
        .iter()
        .any(|c| c.name.get_ref().as_str() == &*id.name)
    {
        return Err(format!("unknown check `{text}`"));
    }
    Ok(id)
}

fn step_from_config(s: &StepConfig) -> Result<Step, String> {
    let timeout = s.timeout.as_ref().map(|t| t.get());
    let kind = match s.kind {
        RunbookStepKind::Command => {
            let line = s.command.as_ref().ok_or("no command")?.get_ref();
            let command = match line {
                CommandLine::Argv(_) => Template::Argv(CommandSpec::from_config(line)),
                CommandLine::Script(script) => Template::Script(
                    PositionalScript::parse(script.expose())
                        .map_err(|(l, e)| format!("line {l} of the script: {e}"))?,
                ),
            };
            StepKind::Run {
                host: s.host.as_ref().ok_or("no host")?.get_ref().clone(),
                command,
                expect: s.expect.as_ref().map_or(0, |e| *e.get_ref() as i32),
                output_regex: s.output_regex.as_ref().map(|r| r.get_ref().clone()),
            }
        }
        RunbookStepKind::Action => {
            let a = s.action.as_ref().ok_or("no action")?;
            let verb = Verb::parse(a.get_ref()).ok_or("unknown action")?;
            let target = if verb.on_set() {
                s.set.as_ref().or(s.service.as_ref())
            } else {
                s.service.as_ref()
            };
            StepKind::Action {
                verb,
                target: target.ok_or("no target")?.get_ref().clone(),
                backup: s.backup.as_ref().map(|b| b.get_ref().clone()),
                version: s.version.as_ref().map(|v| v.get_ref().clone()),
            }
        }
        RunbookStepKind::Check => match (&s.check, &s.suite) {
            (Some(c), _) => StepKind::Check(CheckTarget::Check(c.get_ref().clone())),
            (None, Some(suite)) => StepKind::Check(CheckTarget::Suite(suite.get_ref().clone())),
            (None, None) => return Err("no check".into()),
        },
        RunbookStepKind::Wait => match (&s.duration, &s.check) {
            (Some(d), _) => StepKind::Wait(WaitFor::Duration(d.get())),
            (None, Some(c)) => StepKind::Wait(WaitFor::Check(c.get_ref().clone())),
            (None, None) => return Err("no duration".into()),
        },
        RunbookStepKind::Manual => StepKind::Manual {
            note: s.note,
            commands: None,
        },
    };
    Ok(Step {
        title: s.title.get_ref().clone(),
        section: None,
        text: s.text.clone().unwrap_or_default(),
        kind,
        auto: s.auto,
        retries: s.retries.unwrap_or(0),
        retry_interval: s
            .retry_interval
            .as_ref()
            .map_or(DEFAULT_RETRY_INTERVAL, |d| d.get()),
        timeout,
        line: 0,
    })
}
