//! The runtime names of the benches, in table order. This file has no dependencies:
//! `xtask` includes it with `#[path]` so its table and the benches share one list.

/// Single-thread flavours: ferrio first, then the peers it is compared with.
pub const SINGLE: [&str; 3] = ["ferrio-st", "tokio-ct", "smol-1t"];

/// Multi-thread flavours with [`MT_WORKERS`] workers: ferrio first, then its peers.
pub const MULTI: [&str; 3] = ["ferrio-mt", "tokio-mt", "smol-2t"];

/// Labelled extras, never part of a ratio: a bare `ferrio-core` single-thread runtime
/// (thread parker, no reactor, no facade), ferrio with eager tasks (spawn_many only),
/// async-channel on ferrio's executors (mpmc only), and plain blocking threads (the
/// kernel's limit, net only).
pub const EXTRAS: [&str; 6] = [
    "ferrio-core-st",
    "ferrio-st-eager",
    "ferrio-mt-eager",
    "ferrio-st+async-channel",
    "ferrio-mt+async-channel",
    "std-blocking",
];

/// Worker threads of every multi-thread flavour.
pub const MT_WORKERS: usize = 2;
