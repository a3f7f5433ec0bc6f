//! The vocabulary between the core and the console: `Update` (a fact reported by a
//! collector or an action), `Effect` (I/O the reducer asks for) and the types they carry.
//! It sits below both: collectors, actions and the effect runner speak it without knowing
//! the screen, and the console applies it without knowing how the facts were gathered.

pub mod alerts;
pub mod effect;
pub mod logs;
pub mod monitor;
pub mod runbook;
pub mod update;

pub use alerts::AlertsUpdate;
pub use effect::Effect;
pub use logs::{FollowSource, LogSpec, Window};
pub use monitor::{MonitorRead, MonitorUpdate};
pub use runbook::OpenedRunbook;
pub use update::Update;
