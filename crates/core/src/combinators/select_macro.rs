//! `select!`: wait on several futures of different types, run the handler of the
//! first to finish; tokio's `select!` with asyncio's cancellation by dropping.
//!
//! The expansion pins the futures on the awaiting task's stack (no allocation, no
//! unsafe code), polls them from a random branch on (or in order with `biased;`),
//! stores the first output, drops every future, and only then runs the winning
//! branch's handler, outside any closure, so `?`, `return`, `break` and `.await`
//! in a handler act on the enclosing function as they read.

/// Waits on several futures at once and runs the handler of the first to finish;
/// the other futures are dropped (cancelled) before the handler runs.
///
/// ```text
/// ferrio::select! {
///     pattern = future => handler,
///     ...
/// }
/// ```
///
/// Every `future` (anything `IntoFuture`, such as `&mut fut` to keep a future for
/// later) is evaluated where the macro is written, in order. On each poll the
/// branches are polled starting from a random one, so a branch that is always
/// ready cannot starve the others; write `biased;` first to poll them in the written
/// order instead (cheaper, and useful to prefer e.g. a shutdown signal). The first
/// output is bound to its `pattern` (which must be irrefutable: match further in the
/// handler) and the handler's value is the value of the whole `select!`; every
/// handler must give the same type. Handlers are expressions ending in `,`, or
/// blocks. It must be used inside an `async` context, like `.await`.
///
/// For any number of futures of one type, see [`select_all`](crate::combinators::select_all)
/// and [`race_all`](crate::combinators::race_all); for two, [`select`](crate::combinators::select).
///
/// # Examples
///
/// ```
/// use std::future::{pending, ready};
///
/// # futures_lite::future::block_on(async {
/// let winner = ferrio_core::select! {
///     n = pending::<u32>() => format!("number {n}"),
///     text = ready("hello") => format!("text {text}"),
///     () = pending::<()>() => {
///         unreachable!("never ready")
///     }
/// };
/// assert_eq!(winner, "text hello");
///
/// // `biased;`: when several are ready, the first written wins.
/// let first = ferrio_core::select! {
///     biased;
///     a = ready(1) => a,
///     b = ready(2) => b,
/// };
/// assert_eq!(first, 1);
/// # });
/// ```
#[macro_export]
macro_rules! select {
    (biased; $($branches:tt)+) => {
        $crate::__select_internal!(@parse true () () $($branches)+)
    };
    ($($branches:tt)+) => {
        $crate::__select_internal!(@parse false () () $($branches)+)
    };
}

/// Implementation detail of [`select!`].
///
/// The branches are parsed one at a time; each is given a list of `_` as long as its
/// position (as in `gather!`), so the expansion can reach the k-th element of the
/// tuple of futures with the pattern `(_, .. k times, future, ..)` and compute `k`
/// by counting the `_`s.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_internal {
    // Every branch parsed: expand.
    (@parse $biased:tt ($($skip:tt)*)
        ($([($($pos:tt)*) ($pat:pat) ($future:expr) ($handler:expr)])+)) => {{
        // One empty slot per branch; the winner's output is stored in its own.
        let mut outputs = ($($crate::__select_internal!(@none $future),)+);
        let winner: usize = {
            // Evaluated now, where the macro is written, in order.
            let mut futures = ($(
                ::core::pin::pin!(::core::future::IntoFuture::into_future($future)),
            )+);
            // A local, not a `const`: items are not hygienic, so a `const` here
            // would shadow a constant of the same name in the caller's futures.
            let branches: usize = 0 $(+ $crate::__select_internal!(@one $future))+;
            ::core::future::poll_fn(|cx| {
                let start = if $biased {
                    0
                } else {
                    $crate::combinators::__private::random_below(branches)
                };
                for offset in 0..branches {
                    let branch = (start + offset) % branches;
                    $(
                        if branch == 0 $(+ $crate::__select_internal!(@one $pos))* {
                            let ($($pos,)* future, ..) = &mut futures;
                            if let ::core::task::Poll::Ready(output) =
                                ::core::future::Future::poll(future.as_mut(), cx)
                            {
                                let ($($pos,)* slot, ..) = &mut outputs;
                                *slot = ::core::option::Option::Some(output);
                                return ::core::task::Poll::Ready(branch);
                            }
                        }
                    )+
                }
                ::core::task::Poll::Pending
            })
            .await
            // The futures are dropped here, before any handler runs.
        };
        $(
            if winner == 0 $(+ $crate::__select_internal!(@one $pos))* {
                let ($($pos,)* slot, ..) = &mut outputs;
                #[allow(clippy::unwrap_used)]
                let $pat = slot.take().unwrap();
                $handler
            } else
        )+
        {
            ::core::unreachable!("`select!` returned a branch it does not have")
        }
    }};
    // A branch whose handler is a block: the comma after it is optional.
    (@parse $biased:tt ($($skip:tt)*) ($($done:tt)*)
        $pat:pat = $future:expr => $handler:block, $($rest:tt)*) => {
        $crate::__select_internal!(
            @parse $biased ($($skip)* _)
            ($($done)* [($($skip)*) ($pat) ($future) ($handler)]) $($rest)*
        )
    };
    (@parse $biased:tt ($($skip:tt)*) ($($done:tt)*)
        $pat:pat = $future:expr => $handler:block $($rest:tt)*) => {
        $crate::__select_internal!(
            @parse $biased ($($skip)* _)
            ($($done)* [($($skip)*) ($pat) ($future) ($handler)]) $($rest)*
        )
    };
    // A branch whose handler is an expression: a comma ends it (but the last).
    (@parse $biased:tt ($($skip:tt)*) ($($done:tt)*)
        $pat:pat = $future:expr => $handler:expr $(, $($rest:tt)*)?) => {
        $crate::__select_internal!(
            @parse $biased ($($skip)* _)
            ($($done)* [($($skip)*) ($pat) ($future) ($handler)]) $($($rest)*)?
        )
    };
    (@none $($ignored:tt)*) => { ::core::option::Option::None };
    (@one $($ignored:tt)*) => { 1usize };
}
