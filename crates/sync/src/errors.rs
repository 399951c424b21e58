//! The error types every channel module defines alike, written once: each module
//! still has its own types (so `channel::SendError` and `watch::SendError` stay
//! distinct), with its own docs and message.

/// Defines `SendError<T>`: the value that could not be sent comes back. `Debug`
/// leaves the value out, so a `SendError<T>` can be unwrapped whatever `T` is.
macro_rules! send_error {
    ($(#[$attr:meta])* $message:literal) => {
        $(#[$attr])*
        #[derive(Clone, Copy, PartialEq, Eq)]
        pub struct SendError<T>(pub T);

        impl<T> SendError<T> {
            /// The value that was not sent.
            pub fn into_inner(self) -> T {
                self.0
            }
        }

        impl<T> ::std::fmt::Debug for SendError<T> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str("SendError(..)")
            }
        }

        impl<T> ::std::fmt::Display for SendError<T> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($message)
            }
        }

        impl<T> ::std::error::Error for SendError<T> {}
    };
}

/// Defines a unit error type whose `Display` is `$message`.
macro_rules! unit_error {
    ($(#[$attr:meta])* $name:ident: $message:literal) => {
        $(#[$attr])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name;

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($message)
            }
        }

        impl ::std::error::Error for $name {}
    };
}

/// Defines `TryRecvError` with its two variants, `Empty` and `Closed`, each with
/// its docs and its `Display` message (in braces, after the type's docs).
macro_rules! try_recv_error {
    (
        $(#[$attr:meta])*
        {
            $(#[$empty_attr:meta])* Empty: $empty:literal,
            $(#[$closed_attr:meta])* Closed: $closed:literal $(,)?
        }
    ) => {
        $(#[$attr])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum TryRecvError {
            $(#[$empty_attr])*
            Empty,
            $(#[$closed_attr])*
            Closed,
        }

        impl ::std::fmt::Display for TryRecvError {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self {
                    Self::Empty => f.write_str($empty),
                    Self::Closed => f.write_str($closed),
                }
            }
        }

        impl ::std::error::Error for TryRecvError {}
    };
}
