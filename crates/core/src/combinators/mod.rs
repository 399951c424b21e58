//! The asyncio combinators: gather, wait, as_completed, shield, select/race, TaskGroup.

mod as_completed;
mod future_set;
mod gather;
mod gather_macro;
mod select;

pub use as_completed::{as_completed, AsCompleted};
pub use gather::{gather, try_gather, Gather, TryGather};
pub use select::{race, select, Either, Race, Select};

/// Items the `gather!` and `try_gather!` macros expand to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use super::gather_macro::{MaybeDone, TryMaybeDone};
}
