//! Bench area `process_pool` (filled in by its layer).
fn main() {}
