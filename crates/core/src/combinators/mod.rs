//! The asyncio combinators: gather, wait, as_completed, shield, select/race, TaskGroup.
