//! gather, try_gather and the gather!/try_gather! macros: argument order, concurrency, cancellation of the rest.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ferrio_core::combinators::{gather, try_gather};
use futures_lite::future::{block_on, yield_now};

async fn after_polls<T>(polls: usize, value: T) -> T {
    for _ in 0..polls {
        yield_now().await;
    }
    value
}

struct DropCounter(Arc<AtomicUsize>);
impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn keeps_argument_order() {
    block_on(async {
        let out = gather((0..10).map(|i| after_polls(10 - i, i))).await;
        assert_eq!(out, (0..10).collect::<Vec<_>>());
    });
}

#[test]
fn many() {
    block_on(async {
        let out = gather((0..20_000usize).map(|i| after_polls(i % 7, i))).await;
        assert_eq!(out, (0..20_000).collect::<Vec<_>>());
    });
}

#[test]
fn macro_tuple() {
    block_on(async {
        let (a, b, c) =
            ferrio_core::gather!(after_polls(3, 1u8), after_polls(1, "x"), async { 2.5 }).await;
        assert_eq!((a, b, c), (1, "x", 2.5));
        let r: Result<(u8, u8), &str> =
            ferrio_core::try_gather!(after_polls(3, Ok(1)), after_polls(1, Err("e"))).await;
        assert_eq!(r, Err("e"));
    });
}

#[test]
fn try_gather_drops_rest() {
    let drops = Arc::new(AtomicUsize::new(0));
    block_on(async {
        let futs = (0..5).map(|i| {
            let guard = DropCounter(drops.clone());
            async move {
                let _guard = guard;
                if i == 2 {
                    after_polls(2, Err(i)).await
                } else {
                    std::future::pending::<Result<u32, u32>>().await
                }
            }
        });
        let r = try_gather(futs).await;
        assert_eq!(r, Err(2));
        assert_eq!(drops.load(Ordering::SeqCst), 5);
    });
}
