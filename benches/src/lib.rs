//! Shared helpers for ferrio's criterion benches: runtime names and builders for the
//! peers, so every bench file builds its runtimes the same way.

/// The runtime names `cargo xtask bench` understands, in table order.
pub const RUNTIMES: [&str; 7] = [
    "ferrio-st",
    "ferrio-mt",
    "tokio-ct",
    "tokio-mt",
    "smol-1t",
    "smol-2t",
    "std-blocking",
];
