//! ferrio-sync: asyncio's `Queue`, `PriorityQueue` and `LifoQueue`, and its
//! synchronization primitives, for any executor.
