//! Bench area `offload` (filled in by its layer).
fn main() {}
