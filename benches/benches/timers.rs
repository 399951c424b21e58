//! Bench area `timers` (filled in by its layer).
fn main() {}
