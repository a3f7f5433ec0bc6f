//! The application: the loop, its `State`, the reducer and the message vocabulary
//! (`Action` from the operator, `Update` from collectors and actions, `Effect` to perform).

pub mod action;
pub mod containers;
pub mod effect;
pub mod input;
pub mod log_view;
pub mod reducer;
pub mod run;
pub mod state;
pub mod terminal;
pub mod update;

pub use action::Action;
pub use effect::Effect;
pub use reducer::{Msg, TextInput, update};
pub use state::State;
pub use update::Update;
