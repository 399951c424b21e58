//! `use ferrio::prelude::*` beside the extension traits most ecosystem docs import
//! compiles without E0034 ("multiple applicable items"): this file is the test, by
//! compiling; the calls run too, so the traits that resolved are proved to work.

/// With `futures`' traits: its `read_exact` and `next` are the ones in scope.
mod with_futures {
    use ferrio::prelude::*;
    use futures::{AsyncReadExt, StreamExt};

    #[test]
    fn read_exact_and_next_resolve() {
        ferrio::run(async {
            let mut reader = &b"abcdef"[..];
            let mut first = [0u8; 3];
            reader.read_exact(&mut first).await.unwrap();
            assert_eq!(&first, b"abc");

            let mut stream = futures::stream::iter([1, 2]);
            assert_eq!(stream.next().await, Some(1));
            assert_eq!(stream.next().await, Some(2));
            assert_eq!(stream.next().await, None);

            // The prelude's other traits stay usable: `futures-lite`'s `AsyncWriteExt`.
            let mut out = Vec::new();
            out.write_all(b"written").await.unwrap();
            assert_eq!(out, b"written");
        });
    }
}

/// With `futures-lite`'s traits named again: the same traits, no conflict.
mod with_futures_lite {
    use ferrio::prelude::*;
    use futures_lite::{AsyncReadExt, StreamExt};

    #[test]
    fn read_exact_and_next_resolve() {
        ferrio::run(async {
            let mut reader = &b"xyz"[..];
            let mut all = [0u8; 3];
            reader.read_exact(&mut all).await.unwrap();
            assert_eq!(&all, b"xyz");
            let mut stream = futures_lite::stream::iter(["a"]);
            assert_eq!(stream.next().await, Some("a"));
            assert_eq!(stream.next().await, None);
            let mut out = Vec::new();
            out.write_all(b"w").await.unwrap(); // the prelude's `AsyncWriteExt`
            assert_eq!(out, b"w");
        });
    }
}

/// The prelude alone brings the extension traits.
mod prelude_alone {
    use ferrio::prelude::*;

    #[test]
    fn read_exact_and_next_resolve() {
        ferrio::run(async {
            let mut reader = &b"12"[..];
            let mut two = [0u8; 2];
            reader.read_exact(&mut two).await.unwrap();
            assert_eq!(&two, b"12");
            let mut stream = ferrio::stream::iter([9]);
            assert_eq!(stream.next().await, Some(9));
        });
    }
}
