//! The console's state and its reducer: `Msg` in (operator `Action`s, collector `Update`s,
//! time), state changed, `Effect`s out. No I/O, no terminal, no runtime.

pub mod containers;
pub mod discovered;
pub mod fleet_view;
pub mod layout;
pub mod log_view;
pub mod palette;
pub mod reducer;
pub mod state;

pub use reducer::{Msg, TextInput, update};
pub use state::State;
