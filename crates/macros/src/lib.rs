//! The `#[ferrio::main]` and `#[ferrio::test]` attribute macros.
//!
//! Both turn an `async fn` into a plain function that builds a
//! `ferrio::Runner` and runs the body on it, the way `asyncio.run(main())` does.
//! Use them through the facade (`#[ferrio::main]`, `#[ferrio::test]`); this crate
//! is an implementation detail of `ferrio`.
//!
//! Options, all optional, comma separated:
//!
//! | option | meaning | default |
//! |---|---|---|
//! | `flavor = "current_thread"` / `"multi_thread"` | which executor | `"current_thread"` (asyncio's loop) |
//! | `worker_threads = N` | workers of the multi-thread flavour | available cores |
//! | `debug = true` | debug mode: slow polls are reported while they happen | `false` |
//! | `crate = "path"` | where the facade is, when it was renamed | `"ferrio"` |

mod expand;
mod options;

use proc_macro::TokenStream;

/// Runs an `async fn main` on a fresh `ferrio::Runner`.
///
/// `#[ferrio::main] async fn main() -> R { body }` becomes a synchronous
/// `fn main() -> R` that builds a runner with the given options, runs the body to
/// completion, cancels what is left, and shuts down. See the facade's documentation
/// for the options and examples.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(expand::Kind::Main, args.into(), item.into()).into()
}

/// Runs an `async fn` test on a fresh `ferrio::Runner`, one runner per test.
///
/// `#[ferrio::test] async fn it_works() { body }` becomes a `#[test] fn it_works()`
/// that runs the body on a runner with the given options. Unlike `main`, the test's
/// runner leaves Ctrl-C alone, so it still stops the whole test run. See the
/// facade's documentation for the options and examples.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(expand::Kind::Test, args.into(), item.into()).into()
}
