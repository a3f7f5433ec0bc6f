//! A deploy's metrics gate: PromQL thresholds that must hold over an observation window
//! (seed 003's canary rules: error rate < 1 %, p95 < 300 ms). Each threshold is read every
//! `every` until `hold` has passed; one reading on the bad side fails the gate at once, and
//! so does a reading that cannot be made (Prometheus down proves nothing healthy). The
//! decision is pure ([`decide`]); [`evaluate`] runs the readings.

use std::time::Duration;

use tokio::sync::mpsc;

use super::prometheus::PromClient;
use crate::config::monitoring::{Bad, GateThreshold};

const DEFAULT_EVERY: Duration = Duration::from_secs(5);

/// A threshold from the config, in plain values.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    pub expr: String,
    pub scale: f64,
    pub threshold: f64,
    pub bad: Bad,
    pub hold: Duration,
    pub every: Duration,
    pub unit: String,
}

impl Rule {
    pub fn of(g: &GateThreshold) -> Rule {
        Rule {
            name: g.name.get_ref().clone(),
            expr: g.expr.get_ref().clone(),
            scale: g.scale.unwrap_or(1.0),
            threshold: *g.threshold.get_ref(),
            bad: g.bad,
            hold: g.hold.get(),
            every: g.every.as_ref().map_or(DEFAULT_EVERY, |d| d.get()),
            unit: g
                .unit
                .as_ref()
                .map(|u| u.get_ref().clone())
                .unwrap_or_default(),
        }
    }

    fn show(&self, v: f64) -> String {
        let unit = if self.unit.is_empty() || self.unit == "%" {
            self.unit.clone()
        } else {
            format!(" {}", self.unit)
        };
        format!("{}{unit}", trim(v))
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// "hold on Prometheus: error_rate ≤ 1% for 2m; …", as a plan shows the gate.
pub fn summary(rules: &[Rule]) -> String {
    let parts: Vec<String> = rules
        .iter()
        .map(|r| {
            format!(
                "{} {} {} for {}",
                r.name,
                if r.bad == Bad::Above { "≤" } else { "≥" },
                r.show(r.threshold),
                humantime::format_duration(r.hold)
            )
        })
        .collect();
    format!("hold on Prometheus: {}", parts.join("; "))
}

/// One reading of a rule's expression, `at` after the gate began.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// The value (scaled).
    Value(f64),
    /// The expression returned nothing (or NaN: no traffic yet).
    NoData,
    /// Prometheus could not be asked.
    Error(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Keep reading.
    Holding,
    Passed(String),
    Failed(String),
}

/// What the readings so far say about `rule`.
pub fn decide(rule: &Rule, readings: &[(Duration, Reading)]) -> Verdict {
    let limit = format!("{} {}", rule.bad.symbol(), rule.show(rule.threshold));
    let mut values = 0;
    let mut worst: Option<f64> = None;
    for (at, r) in readings {
        match r {
            Reading::Value(v) if rule.bad.crossed(*v, rule.threshold) => {
                return Verdict::Failed(format!(
                    "{} = {} {limit} after {:.0}s",
                    rule.name,
                    rule.show(*v),
                    at.as_secs_f64()
                ));
            }
            Reading::Value(v) => {
                values += 1;
                worst = Some(match (worst, rule.bad) {
                    (None, _) => *v,
                    (Some(w), Bad::Above) => w.max(*v),
                    (Some(w), Bad::Below) => w.min(*v),
                });
            }
            Reading::NoData => {}
            Reading::Error(e) => {
                return Verdict::Failed(format!("{} could not be read: {e}", rule.name));
            }
        }
    }
    let elapsed = readings.last().map_or(Duration::ZERO, |(at, _)| *at);
    if elapsed < rule.hold {
        return Verdict::Holding;
    }
    match worst {
        Some(w) => Verdict::Passed(format!(
            "{} held {} {} for {:.0}s ({values} readings, worst {})",
            rule.name,
            if rule.bad == Bad::Above { "≤" } else { "≥" },
            rule.show(rule.threshold),
            elapsed.as_secs_f64(),
            rule.show(w)
        )),
        None => Verdict::Failed(format!(
            "{} had no data in {:.0}s: the gate cannot tell it is healthy",
            rule.name,
            elapsed.as_secs_f64()
        )),
    }
}

/// The scaled value of an instant query's answer: its first series (a threshold is one
/// number; an expression with several series is read by its first).
pub async fn read(client: &PromClient, rule: &Rule) -> Reading {
    match client.query(&rule.expr, None).await {
        Ok(r) => match r.into_samples().first() {
            Some(s) if s.value.is_nan() => Reading::NoData,
            Some(s) => Reading::Value(s.value * rule.scale),
            None => Reading::NoData,
        },
        Err(e) => Reading::Error(e.to_string()),
    }
}

/// Reads every rule until each has passed (`Ok` with one line per rule) or one fails
/// (`Err`); every reading is sent to `lines` as it is made.
pub async fn evaluate(
    client: &PromClient,
    rules: &[Rule],
    lines: &mpsc::Sender<String>,
) -> Result<String, String> {
    let started = tokio::time::Instant::now();
    let mut readings: Vec<Vec<(Duration, Reading)>> = vec![Vec::new(); rules.len()];
    let mut verdicts: Vec<Verdict> = vec![Verdict::Holding; rules.len()];
    let every = rules.iter().map(|r| r.every).min().unwrap_or(DEFAULT_EVERY);
    loop {
        let round = futures::future::join_all(
            rules
                .iter()
                .enumerate()
                .filter(|(i, _)| verdicts[*i] == Verdict::Holding)
                .map(|(i, r)| async move { (i, read(client, r).await) }),
        )
        .await;
        let at = started.elapsed();
        for (i, reading) in round {
            let rule = &rules[i];
            let shown = match &reading {
                Reading::Value(v) => rule.show(*v),
                Reading::NoData => "no data".into(),
                Reading::Error(e) => e.clone(),
            };
            let _ = lines
                .send(format!(
                    "{} = {shown} (fails {} {}) at {:.0}s",
                    rule.name,
                    rule.bad.symbol(),
                    rule.show(rule.threshold),
                    at.as_secs_f64()
                ))
                .await;
            readings[i].push((at, reading));
            verdicts[i] = decide(rule, &readings[i]);
            if let Verdict::Failed(why) = &verdicts[i] {
                return Err(why.clone());
            }
        }
        if verdicts.iter().all(|v| matches!(v, Verdict::Passed(_))) {
            let lines: Vec<String> = verdicts
                .into_iter()
                .filter_map(|v| match v {
                    Verdict::Passed(s) => Some(s),
                    _ => None,
                })
                .collect();
            return Ok(lines.join("; "));
        }
        // The last reading lands at `hold` exactly: the window is observed whole.
        let until_hold = rules
            .iter()
            .zip(&verdicts)
            .filter(|(_, v)| **v == Verdict::Holding)
            .map(|(r, _)| r.hold.saturating_sub(started.elapsed()))
            .filter(|d| !d.is_zero())
            .min()
            .unwrap_or(Duration::ZERO);
        tokio::time::sleep(every.min(until_hold).max(Duration::from_millis(10))).await;
    }
}

#[cfg(test)]
#[path = "gate_tests.rs"]
mod tests;
