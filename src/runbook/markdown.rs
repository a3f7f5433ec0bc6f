//! Markdown runbooks: the team's own deployment and recovery documents, runnable.
//!
//! - An optional TOML front matter between `+++` lines: `name`, `title`, `description`,
//!   `rto`, `rpo` and `[[variables]]` (as in `[[runbooks]]`).
//! - Headings are sections; the first `#` heading is the title when the front matter has
//!   none. Prose is the instruction text of the step that follows it.
//! - A fenced block whose info string names a host is a `run` step, run as `sh -c BLOCK`:
//!   ```` ```bash {host=gamelera name=check-mongo expect=0 timeout=30s retries=2 auto} ````.
//!   `{{var}}` placeholders become positional parameters, each value one word, never shell.
//! - A fenced shell block without a host is a `manual` step: "run this yourself, then
//!   confirm" (`{note}` asks for a typed note).
//! - A block with the info string `opsdeck {…}` is a step of another kind, its body the
//!   step's text: `{action=restore set=preventia-db backup={{ts}}}`, `{action=restart
//!   service=gamelera/backend}`, `{check=gamelera/backend/health}`, `{suite=smoke}`,
//!   `{wait=30s}`, `{wait-until=gamelera/backend/health timeout=2m}`, `{manual note}`.
//! - Other fenced blocks (`json`, `text`, no info) are prose.
//!
//! Errors name `file:line`.

use std::path::Path;

use serde::Deserialize;

use super::model::{
    CheckTarget, DEFAULT_RETRY_INTERVAL, Runbook, Source, Step, StepKind, Template, Variable, Verb,
    WaitFor,
};
use crate::config::duration::HumanDuration;
use crate::transport::PositionalScript;

mod syntax;
use syntax::{attributes, duration, fence_closes, fence_open, flag, heading};

/// A Markdown runbook that cannot be read, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ParseError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

const SHELLS: &[&str] = &["bash", "sh", "shell", "console", "zsh"];

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    name: Option<String>,
    title: Option<String>,
    description: Option<String>,
    rto: Option<HumanDuration>,
    rpo: Option<HumanDuration>,
    #[serde(default)]
    variables: Vec<FrontVariable>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontVariable {
    name: String,
    default: Option<String>,
    #[serde(default)]
    choices: Vec<String>,
    description: Option<String>,
}

/// Parses the Markdown runbook `text` read from `path`.
pub fn parse(path: &Path, text: &str) -> Result<Runbook, ParseError> {
    let file = path.display().to_string();
    let err = |line: usize, message: String| ParseError {
        file: file.clone(),
        line,
        message,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut at = 0;
    let mut front = FrontMatter::default();
    if lines.first().map(|l| l.trim_end()) == Some("+++") {
        let end = lines[1..]
            .iter()
            .position(|l| l.trim_end() == "+++")
            .ok_or_else(|| err(1, "front matter `+++` is never closed".into()))?
            + 1;
        let body = lines[1..end].join("\n");
        front = toml::from_str(&body).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                body[..s.start.min(body.len())].matches('\n').count() + 2
            });
            err(line, format!("front matter: {}", e.message().trim_end()))
        })?;
        at = end + 1;
    }

    let mut title = front.title.clone();
    let mut description: Vec<String> = Vec::new();
    let mut sections: Vec<(usize, String)> = Vec::new();
    let mut prose: Vec<String> = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut seen_step = false;
    while at < lines.len() {
        let line = lines[at];
        let n = at + 1;
        if let Some((fence, info)) = fence_open(line) {
            let close = lines[at + 1..]
                .iter()
                .position(|l| fence_closes(l, &fence))
                .ok_or_else(|| err(n, format!("code block opened with {fence} is never closed")))?
                + at
                + 1;
            let body = lines[at + 1..close].join("\n");
            at = close + 1;
            let section = (!sections.is_empty()).then(|| {
                sections
                    .iter()
                    .map(|(_, t)| t.as_str())
                    .collect::<Vec<_>>()
                    .join(" › ")
            });
            let text = prose.join("\n").trim().to_owned();
            let step =
                block_step(&info, body, text, section, n, &sections).map_err(|e| match e {
                    BlockError::Here(m) => err(n, m),
                    BlockError::At(line, m) => err(line, m),
                })?;
            match step {
                Some(s) => {
                    prose.clear();
                    seen_step = true;
                    steps.push(s);
                }
                // Not a step: the block is part of the prose.
                None => {
                    prose.push(lines[n - 1].to_owned());
                    prose.extend(lines[n..close].iter().map(|l| (*l).to_owned()));
                    prose.push(lines[close].to_owned());
                }
            }
            continue;
        }
        if let Some((level, heading)) = heading(line) {
            if level == 1 && title.is_none() {
                title = Some(heading.clone());
            } else {
                sections.retain(|(l, _)| *l < level);
                sections.push((level, heading));
            }
            if !seen_step {
                description.append(&mut prose);
            }
            prose.clear();
        } else {
            prose.push(line.to_owned());
        }
        at += 1;
    }
    if !seen_step {
        description.append(&mut prose);
    }
    if steps.is_empty() {
        return Err(err(1, "no steps: a runbook needs at least one fenced block that is a step (```bash {host=…}, ```bash for a manual step, or ```opsdeck {…})".into()));
    }
    disambiguate(&mut steps);
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("runbook");
    let name = front.name.clone().unwrap_or_else(|| stem.to_owned());
    if let Err(m) = crate::config::validate::check_name(&name) {
        return Err(err(1, format!("runbook name `{name}` {m}")));
    }
    let description = front
        .description
        .clone()
        .unwrap_or_else(|| description.join("\n").trim().to_owned());
    Ok(Runbook {
        title: title.unwrap_or_else(|| name.clone()),
        name,
        description,
        source: Source::File(path.to_owned()),
        rto: front.rto.as_ref().map(HumanDuration::get),
        rpo: front.rpo.as_ref().map(HumanDuration::get),
        variables: front
            .variables
            .into_iter()
            .map(|v| Variable {
                name: v.name,
                default: v.default,
                choices: v.choices,
                description: v.description,
            })
            .collect(),
        steps,
    })
}

/// Two steps with the same title get ` (2)`, ` (3)`: the timeline tells them apart.
fn disambiguate(steps: &mut [Step]) {
    for i in 1..steps.len() {
        let same = steps[..i]
            .iter()
            .filter(|s| {
                s.title == steps[i].title || s.title.starts_with(&format!("{} (", steps[i].title))
            })
            .count();
        if same > 0 {
            steps[i].title = format!("{} ({})", steps[i].title, same + 1);
        }
    }
}

/// What is wrong with a block: at its fence, or at a line inside it.
enum BlockError {
    Here(String),
    At(usize, String),
}

impl From<String> for BlockError {
    fn from(m: String) -> Self {
        BlockError::Here(m)
    }
}

impl From<&str> for BlockError {
    fn from(m: &str) -> Self {
        BlockError::Here(m.to_owned())
    }
}

/// The step a fenced block is, or `None` when it is prose.
fn block_step(
    info: &str,
    body: String,
    text: String,
    section: Option<String>,
    line: usize,
    sections: &[(usize, String)],
) -> Result<Option<Step>, BlockError> {
    let (lang, attrs) = attributes(info)?;
    let is_shell = SHELLS.contains(&lang.as_str());
    if !is_shell && lang != "opsdeck" {
        if !attrs.is_empty() && attrs.iter().any(|(k, _)| k == "host") {
            return Err(
                format!("a `{lang}` block cannot run on a host: write ```bash {{host=…}}").into(),
            );
        }
        return Ok(None);
    }
    let get = |k: &str| {
        attrs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let mut step = Step {
        title: get("name").map(str::to_owned).unwrap_or_else(|| {
            sections
                .last()
                .map(|(_, t)| t.clone())
                .unwrap_or_else(|| format!("step at line {line}"))
        }),
        section,
        text,
        kind: StepKind::Manual {
            note: false,
            commands: None,
        },
        auto: false,
        retries: 0,
        retry_interval: DEFAULT_RETRY_INTERVAL,
        timeout: None,
        line,
    };
    let mut known: Vec<&str> = vec!["name", "auto", "retries", "retry_interval", "timeout"];
    if let Some(v) = get("auto") {
        step.auto = flag("auto", v)?;
    }
    if let Some(v) = get("retries") {
        step.retries = v
            .parse()
            .map_err(|_| format!("`retries={v}`: expected a number"))?;
    }
    if let Some(v) = get("retry_interval") {
        step.retry_interval = duration("retry_interval", v)?;
    }
    if let Some(v) = get("timeout") {
        step.timeout = Some(duration("timeout", v)?);
    }
    if is_shell {
        known.extend(["host", "expect", "output", "note"]);
        if let Some(host) = get("host") {
            let expect = match get("expect") {
                Some(v) => v
                    .parse::<i32>()
                    .ok()
                    .filter(|c| (0..=255).contains(c))
                    .ok_or_else(|| format!("`expect={v}`: an exit code is 0 to 255"))?,
                None => 0,
            };
            let output_regex = get("output").map(str::to_owned);
            if let Some(re) = &output_regex {
                regex::Regex::new(re).map_err(|e| {
                    format!(
                        "`output={re}`: bad regex: {}",
                        e.to_string().lines().last().unwrap_or("")
                    )
                })?;
            }
            if body.trim().is_empty() {
                return Err("the block is empty: nothing to run".into());
            }
            let script =
                PositionalScript::parse(&body).map_err(|(l, m)| BlockError::At(line + l, m))?;
            step.kind = StepKind::Run {
                host: host.to_owned(),
                command: Template::Script(script),
                expect,
                output_regex,
            };
        } else {
            if let Some(k) = ["expect", "output"].iter().find(|k| get(k).is_some()) {
                return Err(format!(
                    "`{k}` needs a `host`: without one the block is a manual step"
                )
                .into());
            }
            step.kind = StepKind::Manual {
                note: get("note")
                    .map(|v| flag("note", v))
                    .transpose()?
                    .unwrap_or(false),
                commands: Some(body),
            };
        }
    } else {
        // ```opsdeck {…}: the body is the step's text, after the prose.
        let body = body.trim();
        if !body.is_empty() {
            step.text = if step.text.is_empty() {
                body.to_owned()
            } else {
                format!("{}\n{body}", step.text)
            };
        }
        step.kind = if let Some(a) = get("action") {
            known.extend(["action", "service", "set", "backup", "version"]);
            let verb = Verb::parse(a).ok_or_else(|| {
                format!("unknown action `{a}`, expected one of restart, stop, start, deploy, rollback, backup, restore, drill")
            })?;
            let key = if verb.on_set() { "set" } else { "service" };
            let target = get(key).ok_or_else(|| format!("action `{a}` needs `{key}=`"))?;
            StepKind::Action {
                verb,
                target: target.to_owned(),
                backup: get("backup").map(str::to_owned),
                version: get("version").map(str::to_owned),
            }
        } else if let Some(c) = get("check") {
            known.push("check");
            StepKind::Check(CheckTarget::Check(c.to_owned()))
        } else if let Some(s) = get("suite") {
            known.push("suite");
            StepKind::Check(CheckTarget::Suite(s.to_owned()))
        } else if let Some(w) = get("wait") {
            known.push("wait");
            StepKind::Wait(WaitFor::Duration(duration("wait", w)?))
        } else if let Some(c) = get("wait-until") {
            known.push("wait-until");
            StepKind::Wait(WaitFor::Check(c.to_owned()))
        } else if get("manual").is_some() {
            known.extend(["manual", "note"]);
            if step.text.is_empty() {
                return Err("a manual step needs text: what the operator does".into());
            }
            StepKind::Manual {
                note: get("note")
                    .map(|v| flag("note", v))
                    .transpose()?
                    .unwrap_or(false),
                commands: None,
            }
        } else {
            return Err("an ```opsdeck block names what it does: action=, check=, suite=, wait=, wait-until= or manual".into());
        };
    }
    if let Some((k, _)) = attrs.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        return Err(format!("unknown attribute `{k}` (known here: {})", known.join(", ")).into());
    }
    Ok(Some(step))
}

#[cfg(test)]
mod tests;
