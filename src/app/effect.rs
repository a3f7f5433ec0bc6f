//! `Effect`: I/O the reducer asks for; the supervisor carries it out.

use crate::action::Authorized;

#[derive(Debug)]
pub enum Effect {
    /// Run an action the dispatcher has authorized.
    Execute(Authorized),
    /// Collect everything now instead of waiting for the next interval.
    RefreshNow,
}
