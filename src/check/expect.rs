//! What a response must look like, and every way it did not: pure functions over a status,
//! a body and a latency, so they are tested without a server.

use std::time::Duration;

use regex::Regex;
use serde_json::Value;

/// One `expect_json` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonRule {
    /// RFC 6901 pointer, e.g. `/services/mongodb`.
    pub pointer: String,
    pub op: JsonOp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JsonOp {
    Equals(Value),
    /// A string containing the text, or an array with an element equal to it.
    Contains(String),
    /// Every value of the object or array under the pointer equals this.
    All(Value),
    /// A string matching this regex.
    Matches(Pattern),
}

/// A compiled regex that compares by its source.
#[derive(Debug, Clone)]
pub struct Pattern(pub Regex);

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

#[derive(Debug, Clone, Default)]
pub struct HttpExpectations {
    /// `None`: any 2xx.
    pub status: Option<u16>,
    pub json: Vec<JsonRule>,
    pub body_regex: Option<Regex>,
    pub warn_latency: Option<Duration>,
    pub max_latency: Option<Duration>,
}

/// Expectations not met (`failures`) and passing-but-worrying observations (`warnings`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    pub failures: Vec<String>,
    pub warnings: Vec<String>,
}

impl HttpExpectations {
    pub fn evaluate(&self, status: u16, body: &str, latency: Duration) -> Evaluation {
        let mut ev = Evaluation::default();
        match self.status {
            Some(want) if want != status => ev
                .failures
                .push(format!("status {status}, expected {want}")),
            None if !(200..300).contains(&status) => {
                ev.failures.push(format!("status {status}, expected 2xx"))
            }
            _ => {}
        }
        if !self.json.is_empty() {
            match serde_json::from_str::<Value>(body) {
                Ok(doc) => {
                    for rule in &self.json {
                        ev.failures.extend(rule.check(&doc));
                    }
                }
                Err(e) => ev
                    .failures
                    .push(format!("body is not JSON ({e}): `{}`", excerpt(body, 60))),
            }
        }
        if let Some(re) = &self.body_regex
            && !re.is_match(body)
        {
            ev.failures.push(format!(
                "body does not match /{}/: `{}`",
                re.as_str(),
                excerpt(body, 60)
            ));
        }
        latency_rules(
            latency,
            self.warn_latency,
            self.max_latency,
            "latency",
            &mut ev,
        );
        ev
    }
}

/// `max_latency` fails, `warn_latency` warns.
pub fn latency_rules(
    latency: Duration,
    warn: Option<Duration>,
    max: Option<Duration>,
    what: &str,
    ev: &mut Evaluation,
) {
    if let Some(max) = max
        && latency > max
    {
        ev.failures.push(format!(
            "{what} {} over max_latency {}",
            millis(latency),
            millis(max)
        ));
    } else if let Some(warn) = warn
        && latency > warn
    {
        ev.warnings.push(format!(
            "{what} {} over warn_latency {}",
            millis(latency),
            millis(warn)
        ));
    }
}

impl JsonRule {
    /// The unmet parts of this rule, each naming the pointer, the value found and the one
    /// expected: "`/services/mongodb` is `unhealthy`, expected `healthy`".
    pub fn check(&self, doc: &Value) -> Vec<String> {
        let p = &self.pointer;
        let Some(found) = doc.pointer(p) else {
            let want = match &self.op {
                JsonOp::Equals(v) | JsonOp::All(v) => shown(v),
                JsonOp::Contains(s) => s.clone(),
                JsonOp::Matches(re) => format!("/{}/", re.0.as_str()),
            };
            return vec![format!("`{p}` is missing, expected `{want}`")];
        };
        match &self.op {
            JsonOp::Equals(want) => {
                if found == want {
                    vec![]
                } else {
                    vec![format!(
                        "`{p}` is `{}`, expected `{}`",
                        shown(found),
                        shown(want)
                    )]
                }
            }
            JsonOp::Matches(re) => match found {
                Value::String(text) if re.0.is_match(text) => vec![],
                other => vec![format!(
                    "`{p}` is `{}`, expected it to match /{}/",
                    shown(other),
                    re.0.as_str()
                )],
            },
            JsonOp::Contains(text) => {
                let ok = match found {
                    Value::String(s) => s.contains(text.as_str()),
                    Value::Array(items) => items
                        .iter()
                        .any(|i| i.as_str() == Some(text.as_str()) || shown(i) == *text),
                    _ => false,
                };
                if ok {
                    vec![]
                } else {
                    vec![format!(
                        "`{p}` is `{}`, expected it to contain `{text}`",
                        shown(found)
                    )]
                }
            }
            JsonOp::All(want) => {
                let entries: Vec<(String, &Value)> = match found {
                    Value::Object(map) => map
                        .iter()
                        .map(|(k, v)| (format!("{p}/{}", escape_pointer(k)), v))
                        .collect(),
                    Value::Array(items) => items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (format!("{p}/{i}"), v))
                        .collect(),
                    other => {
                        return vec![format!(
                            "`{p}` is `{}`, expected an object or array whose values are all `{}`",
                            shown(other),
                            shown(want)
                        )];
                    }
                };
                if entries.is_empty() {
                    return vec![format!(
                        "`{p}` is empty, expected every value to be `{}`",
                        shown(want)
                    )];
                }
                entries
                    .into_iter()
                    .filter(|(_, v)| *v != want)
                    .map(|(at, v)| format!("`{at}` is `{}`, expected `{}`", shown(v), shown(want)))
                    .collect()
            }
        }
    }
}

/// A JSON value as a person reads it: strings without quotes, the rest as JSON.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn excerpt(body: &str, max: usize) -> String {
    let one_line: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.trim();
    if trimmed.chars().count() > max {
        format!("{}…", trimmed.chars().take(max).collect::<String>())
    } else {
        trimmed.to_owned()
    }
}

/// `0.4 ms`, `12 ms`, `1.50 s`.
pub fn millis(d: Duration) -> String {
    if d < Duration::from_millis(10) {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    } else if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// A `toml::Value` from the config as the JSON value it is compared with.
pub fn json_of(v: &toml::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seed 000's health document.
    const GAMELERA: &str = r#"{"status": "degraded", "version": "v1",
        "services": {"mongodb": "unhealthy", "s3_models": "healthy", "ml_models": "healthy"},
        "replicas": ["api-1", "api-2"], "ml_models_loaded": "7/7"}"#;
    const HEALTHY: &str = r#"{"status": "healthy",
        "services": {"mongodb": "healthy", "s3_models": "healthy"}}"#;

    fn rule(pointer: &str, op: JsonOp) -> JsonRule {
        JsonRule {
            pointer: pointer.into(),
            op,
        }
    }

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    fn json(rules: Vec<JsonRule>) -> HttpExpectations {
        HttpExpectations {
            status: Some(200),
            json: rules,
            ..Default::default()
        }
    }

    const FAST: Duration = Duration::from_millis(12);

    #[test]
    fn equals_names_pointer_and_values() {
        let m = json(vec![rule(
            "/services/ml_models",
            JsonOp::Matches(Pattern(Regex::new("^healthy").unwrap())),
        )]);
        let seed = r#"{"services": {"ml_models": "healthy (7/7 loaded)"}}"#;
        assert!(m.evaluate(200, seed, Duration::ZERO).failures.is_empty());
        let bad = m.evaluate(
            200,
            r#"{"services": {"ml_models": "unhealthy"}}"#,
            Duration::ZERO,
        );
        assert_eq!(
            bad.failures,
            ["`/services/ml_models` is `unhealthy`, expected it to match /^healthy/"]
        );
        let e = json(vec![rule("/status", JsonOp::Equals(s("healthy")))]);
        assert_eq!(e.evaluate(200, HEALTHY, FAST), Evaluation::default());
        assert_eq!(
            e.evaluate(200, GAMELERA, FAST).failures,
            ["`/status` is `degraded`, expected `healthy`"]
        );
        let n = json(vec![rule("/count", JsonOp::Equals(Value::from(3)))]);
        assert_eq!(
            n.evaluate(200, r#"{"count": 2}"#, FAST).failures,
            ["`/count` is `2`, expected `3`"]
        );
        assert_eq!(
            n.evaluate(200, "{}", FAST).failures,
            ["`/count` is missing, expected `3`"]
        );
    }

    #[test]
    fn all_names_each_bad_entry() {
        let e = json(vec![rule("/services", JsonOp::All(s("healthy")))]);
        assert!(e.evaluate(200, HEALTHY, FAST).failures.is_empty());
        assert_eq!(
            e.evaluate(200, GAMELERA, FAST).failures,
            ["`/services/mongodb` is `unhealthy`, expected `healthy`"]
        );
        assert_eq!(
            e.evaluate(200, r#"{"services": {}}"#, FAST).failures,
            ["`/services` is empty, expected every value to be `healthy`"]
        );
        assert_eq!(
            e.evaluate(200, r#"{"services": "ok"}"#, FAST).failures,
            ["`/services` is `ok`, expected an object or array whose values are all `healthy`"]
        );
        let arr = json(vec![rule("/xs", JsonOp::All(Value::from(1)))]);
        assert_eq!(
            arr.evaluate(200, r#"{"xs": [1, 2, 1]}"#, FAST).failures,
            ["`/xs/1` is `2`, expected `1`"]
        );
        let slash = json(vec![rule("/m", JsonOp::All(s("up")))]);
        assert_eq!(
            slash
                .evaluate(200, r#"{"m": {"a/b": "down"}}"#, FAST)
                .failures,
            ["`/m/a~1b` is `down`, expected `up`"]
        );
    }

    #[test]
    fn contains_in_strings_and_arrays() {
        let e = json(vec![
            rule("/version", JsonOp::Contains("v".into())),
            rule("/replicas", JsonOp::Contains("api-2".into())),
        ]);
        assert!(e.evaluate(200, GAMELERA, FAST).failures.is_empty());
        let miss = json(vec![rule(
            "/ml_models_loaded",
            JsonOp::Contains("8/".into()),
        )]);
        assert_eq!(
            miss.evaluate(200, GAMELERA, FAST).failures,
            ["`/ml_models_loaded` is `7/7`, expected it to contain `8/`"]
        );
    }

    #[test]
    fn status_body_regex_and_not_json() {
        let e = HttpExpectations {
            body_regex: Some(Regex::new(r#""status":\s*"healthy""#).unwrap()),
            ..Default::default()
        };
        assert!(e.evaluate(204, HEALTHY, FAST).failures.is_empty());
        let ev = e.evaluate(503, "Service Unavailable", FAST);
        assert_eq!(
            ev.failures,
            [
                "status 503, expected 2xx",
                r#"body does not match /"status":\s*"healthy"/: `Service Unavailable`"#
            ]
        );
        let j = json(vec![rule("/status", JsonOp::Equals(s("healthy")))]);
        let ev = j.evaluate(200, "<html>oops</html>", FAST);
        assert_eq!(ev.failures.len(), 1);
        assert!(
            ev.failures[0].starts_with("body is not JSON (expected value at line 1 column 1)"),
            "{:?}",
            ev.failures
        );
    }

    #[test]
    fn latency_warns_then_fails() {
        let e = HttpExpectations {
            warn_latency: Some(Duration::from_millis(500)),
            max_latency: Some(Duration::from_secs(2)),
            ..Default::default()
        };
        assert_eq!(e.evaluate(200, "", FAST), Evaluation::default());
        let slow = e.evaluate(200, "", Duration::from_millis(800));
        assert!(slow.failures.is_empty());
        assert_eq!(slow.warnings, ["latency 800 ms over warn_latency 500 ms"]);
        let too_slow = e.evaluate(200, "", Duration::from_millis(2500));
        assert_eq!(
            too_slow.failures,
            ["latency 2.50 s over max_latency 2.00 s"]
        );
        assert!(too_slow.warnings.is_empty());
    }

    #[test]
    fn toml_values_compare_as_json() {
        let v: toml::Value = toml::from_str::<toml::Table>("x = \"healthy\"\ny = 3\nz = true")
            .unwrap()
            .into();
        assert_eq!(json_of(&v["x"]), s("healthy"));
        assert_eq!(json_of(&v["y"]), Value::from(3));
        assert_eq!(json_of(&v["z"]), Value::Bool(true));
    }
}
