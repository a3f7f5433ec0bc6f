//! Markdown runbooks: what a document becomes (sections, prose, run and manual steps,
//! attributes, placeholders, fences inside fences), and a corpus of malformed documents,
//! each with its exact `file:line` error (tests/runbook_errors/expected.txt).

use std::path::Path;
use std::time::Duration;

use opsdeck::runbook::markdown::parse;
use opsdeck::runbook::model::{CheckTarget, StepKind, Template, Verb, WaitFor};

const DOC: &str = r#"+++
rto = "30m"

[[variables]]
name = "backup"
default = "latest"
choices = ["latest", "20261201_030000"]
+++

# Gamelera: corrupt database

Seed 000's plan, case 1.
Signs: mongodb unhealthy.

## Detect

Does MongoDB answer?

```bash {host=gamelera name=mongo-ping expect=0 timeout=30s retries=2 retry_interval=3s auto}
mongosh --quiet --eval 'db.runCommand({ping: 1})'
```

### Count

```sh {host={{where}} output="^[0-9]+$"}
echo {{backup}} "in {{backup}}"
```

## By hand

Look at this example first:

````markdown
```bash {host=gamelera}
this is an example inside the prose, not a step
```
````

```bash {note}
ls -l /tmp/bovine-backups
```

```json
{"not": "a step"}
```

## Act

```opsdeck {action=restore set=gamelera-mongodb backup={{backup}}}
Restores, with a safety backup first.
```

```opsdeck {wait-until=gamelera/backend/health timeout=2m}
```

```opsdeck {wait=10s}
```

```opsdeck {suite=lab}
```

~~~opsdeck {manual note}
Tell the team.
~~~
"#;

#[test]
fn a_markdown_document_becomes_a_runbook() {
    let rb = parse(Path::new("runbooks/gamelera-db.md"), DOC).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rb.name, "gamelera-db", "named after the file");
    assert_eq!(rb.title, "Gamelera: corrupt database");
    assert_eq!(
        rb.description,
        "Seed 000's plan, case 1.\nSigns: mongodb unhealthy."
    );
    assert_eq!(rb.rto, Some(Duration::from_secs(1800)));
    assert_eq!(rb.variables[0].choices.len(), 2);
    let titles: Vec<&str> = rb.steps.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "mongo-ping",
            "Count",
            "By hand",
            "Act",
            "Act (2)",
            "Act (3)",
            "Act (4)",
            "Act (5)"
        ]
    );

    let ping = &rb.steps[0];
    assert_eq!(ping.section.as_deref(), Some("Detect"));
    assert_eq!(ping.text, "Does MongoDB answer?");
    assert_eq!(ping.line, 19);
    assert!(ping.auto);
    assert_eq!(
        (ping.retries, ping.retry_interval),
        (2, Duration::from_secs(3))
    );
    assert_eq!(ping.timeout, Some(Duration::from_secs(30)));
    let StepKind::Run {
        host,
        command: Template::Script(script),
        expect,
        output_regex,
    } = &ping.kind
    else {
        panic!("{:?}", ping.kind)
    };
    assert_eq!(
        (host.as_str(), *expect, output_regex),
        ("gamelera", 0, &None)
    );
    assert_eq!(
        script.script,
        "mongosh --quiet --eval 'db.runCommand({ping: 1})'"
    );

    let count = &rb.steps[1];
    assert_eq!(count.section.as_deref(), Some("Detect › Count"));
    let StepKind::Run {
        host,
        command: Template::Script(script),
        output_regex,
        ..
    } = &count.kind
    else {
        panic!("{:?}", count.kind)
    };
    assert_eq!(host, "{{where}}");
    assert_eq!(output_regex.as_deref(), Some("^[0-9]+$"));
    assert_eq!(script.script, "echo \"${1}\" \"in ${1}\"");
    assert_eq!(script.names, ["backup"]);
    assert_eq!(rb.used_variables(), ["where", "backup"]);

    // The four-backtick block is prose (with the inner fence in it); the bare one is manual.
    let by_hand = &rb.steps[2];
    assert!(
        by_hand.text.contains("this is an example inside the prose"),
        "{}",
        by_hand.text
    );
    assert_eq!(
        by_hand.kind,
        StepKind::Manual {
            note: true,
            commands: Some("ls -l /tmp/bovine-backups".into())
        }
    );
    let StepKind::Action {
        verb,
        target,
        backup,
        ..
    } = &rb.steps[3].kind
    else {
        panic!()
    };
    assert_eq!(
        (*verb, target.as_str(), backup.as_deref()),
        (Verb::Restore, "gamelera-mongodb", Some("{{backup}}"))
    );
    assert!(
        rb.steps[3]
            .text
            .ends_with("Restores, with a safety backup first."),
        "{}",
        rb.steps[3].text
    );
    assert_eq!(
        rb.steps[4].kind,
        StepKind::Wait(WaitFor::Check("gamelera/backend/health".into()))
    );
    assert_eq!(rb.steps[4].timeout, Some(Duration::from_secs(120)));
    assert_eq!(
        rb.steps[5].kind,
        StepKind::Wait(WaitFor::Duration(Duration::from_secs(10)))
    );
    assert_eq!(
        rb.steps[6].kind,
        StepKind::Check(CheckTarget::Suite("lab".into()))
    );
    assert_eq!(
        rb.steps[7].kind,
        StepKind::Manual {
            note: true,
            commands: None
        }
    );
    assert_eq!(rb.steps[7].text, "Tell the team.");
}

#[test]
fn the_variables_resolve_with_choices_and_defaults() {
    let rb = parse(Path::new("x.md"), DOC).unwrap();
    let given = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let vars = rb.resolve_vars(&given(&[("where", "gamelera")])).unwrap();
    assert_eq!(vars["backup"], "latest");
    let err = rb
        .resolve_vars(&given(&[("where", "g"), ("backup", "yesterday")]))
        .unwrap_err();
    assert!(err.contains("not a choice"), "{err}");
    let err = rb.resolve_vars(&[]).unwrap_err();
    assert!(err.contains("--var where=VALUE"), "{err}");
    let err = rb
        .resolve_vars(&given(&[("where", "g"), ("nope", "1")]))
        .unwrap_err();
    assert!(err.contains("no variable `nope`"), "{err}");
}

#[test]
fn the_shipped_examples_parse() {
    let dir = Path::new("examples/runbooks");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let rb = parse(&path, &text).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            rb.steps.len() >= 5,
            "{}: {} steps",
            path.display(),
            rb.steps.len()
        );
        n += 1;
    }
    assert!(n >= 3);
}

#[test]
fn every_malformed_runbook_has_its_file_line_error() {
    let dir = Path::new("tests/runbook_errors");
    let expected = std::fs::read_to_string(dir.join("expected.txt")).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    assert!(files.len() >= 15, "{} files", files.len());
    let mut got = String::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        match std::panic::catch_unwind(|| parse(path, &text)) {
            Ok(Ok(_)) => panic!("{} parsed without error", path.display()),
            Ok(Err(e)) => {
                assert!(e.line > 0, "{e}");
                got.push_str(&format!("{e}\n"));
            }
            Err(_) => panic!("{} made the parser panic", path.display()),
        }
    }
    if got != expected {
        std::fs::write(dir.join("actual.txt"), &got).unwrap();
        panic!("errors differ from expected.txt (see tests/runbook_errors/actual.txt):\n{got}");
    }
}
