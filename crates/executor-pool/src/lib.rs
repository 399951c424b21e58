//! ferrio-executor-pool: `ThreadPool` and `ProcessPool` offload, as asyncio's
//! `to_thread` and `run_in_executor`, for any executor.
