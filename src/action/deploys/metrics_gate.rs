//! The deploy plan's metrics gate: the recipe's `[[metrics_gate]]` thresholds, held over
//! their windows after the health gate (monitor::gate evaluates them). Placed before the
//! lock is released, a failure takes the deploy step's way back: the automatic rollback.

use std::time::Duration;

use super::super::plan::{PlanStep, StepOp};
use crate::config::Config;
use crate::config::schema::DeployRecipe;
use crate::monitor::gate::Rule;
use crate::transport::Target;

pub(super) fn step(config: &Config, recipe: &DeployRecipe) -> Option<PlanStep> {
    if recipe.metrics_gate.is_empty() {
        return None;
    }
    let m = &config.file.monitoring;
    let prometheus = m.prometheus_url()?.to_owned();
    let rules: Vec<Rule> = recipe.metrics_gate.iter().map(Rule::of).collect();
    let longest = rules.iter().map(|r| r.hold + r.every).max()?;
    let timeout = m.timeout.get();
    Some(PlanStep::new(
        "metrics gate",
        Target::Local,
        StepOp::MetricsGate {
            prometheus,
            timeout,
            rules,
        },
        longest + timeout * 2 + Duration::from_secs(5),
    ))
}
