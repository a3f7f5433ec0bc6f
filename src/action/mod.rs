//! Mutating actions: plan → confirm → execute → audit, all through one dispatcher.

pub mod audit;
pub mod backups;
pub mod deploys;
pub mod dispatcher;
pub mod execute;
pub mod plan;
mod settle;
mod steps;

pub use dispatcher::{Authorized, Dispatcher, Refusal};
pub use plan::{
    ActionKind, ActionOutcome, Confirmation, Lifecycle, Plan, PlanStep, StepOp, Subject,
};
