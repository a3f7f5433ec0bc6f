//! Mutating actions: plan → confirm → execute → audit, all through one dispatcher.

pub mod audit;
pub mod backups;
pub mod deploys;
pub mod dispatcher;
pub mod execute;
mod outcome;
pub mod plan;
mod settle;
pub mod silences;
mod steps;

pub use dispatcher::{Authorized, Dispatcher, Refusal};
pub use outcome::ActionOutcome;
pub use plan::{ActionKind, Confirmation, Lifecycle, Plan, PlanStep, StepOp, Subject};
