//! ferrio: an async runtime with Python asyncio's model and vocabulary.
#![forbid(unsafe_code)]

pub use ferrio_core as core;
pub use ferrio_executor_pool as executor_pool;
pub use ferrio_reactor as reactor;
pub use ferrio_sync as sync;
