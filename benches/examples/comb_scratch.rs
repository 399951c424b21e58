use std::time::Instant;
fn time<R>(label: &str, iters: u32, mut f: impl FnMut() -> R) {
    f();
    let start = Instant::now();
    for _ in 0..iters {
        std::hint::black_box(f());
    }
    println!(
        "{label:40} {:>10.3} ms",
        start.elapsed().as_secs_f64() * 1e3 / iters as f64
    );
}
fn main() {
    const N: u64 = 100_000;
    time("gather 100k ready futs (block_on)", 20, || {
        futures_lite::future::block_on(ferrio_core::combinators::gather(
            (0..N).map(std::future::ready),
        ))
        .into_iter()
        .sum::<u64>()
    });
    time("collect 100k ready (baseline)", 20, || {
        futures_lite::future::block_on(async {
            let mut v = Vec::new();
            for i in 0..N {
                v.push(std::future::ready(i).await)
            }
            v
        })
        .into_iter()
        .sum::<u64>()
    });
    time("100k Arc alloc (baseline)", 20, || {
        (0..N)
            .map(|i| std::sync::Arc::new(i))
            .collect::<Vec<_>>()
            .len()
    });
    // Pure futures, each yields once: gather in one task.
    time("gather 100k yielding futs (block_on)", 10, || {
        futures_lite::future::block_on(ferrio_core::combinators::gather((0..N).map(
            |i| async move {
                futures_lite::future::yield_now().await;
                i
            },
        )))
        .into_iter()
        .sum::<u64>()
    });
    for (name, rt) in [
        (
            "st",
            ferrio_core::Builder::new_current_thread().build().unwrap(),
        ),
        (
            "mt",
            ferrio_core::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap(),
        ),
    ] {
        time(&format!("ferrio-{name} spawn+gather 100k"), 10, || {
            rt.block_on(async {
                let tasks: Vec<_> = (0..N)
                    .map(|i| ferrio_core::spawn(async move { i }))
                    .collect();
                ferrio_core::gather(tasks)
                    .await
                    .into_iter()
                    .map(Result::unwrap)
                    .sum::<u64>()
            })
        });
        time(&format!("ferrio-{name} spawn+await-each 100k"), 10, || {
            rt.block_on(async {
                let tasks: Vec<_> = (0..N)
                    .map(|i| ferrio_core::spawn(async move { i }))
                    .collect();
                let mut s = 0;
                for t in tasks {
                    s += t.await.unwrap();
                }
                s
            })
        });
        time(
            &format!("ferrio-{name} gather 100k yielding futs"),
            10,
            || {
                rt.block_on(async {
                    ferrio_core::gather((0..N).map(|i| async move {
                        futures_lite::future::yield_now().await;
                        i
                    }))
                    .await
                    .into_iter()
                    .sum::<u64>()
                })
            },
        );
        time(
            &format!("ferrio-{name} as_completed 100k tasks"),
            10,
            || {
                rt.block_on(async {
                    let tasks: Vec<_> = (0..N)
                        .map(|i| ferrio_core::spawn(async move { i }))
                        .collect();
                    let mut it = ferrio_core::as_completed(tasks);
                    let mut s = 0;
                    while let Some(v) = it.next().await {
                        s += v.unwrap();
                    }
                    s
                })
            },
        );
    }
    for (name, rt) in [
        (
            "ct",
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
        ),
        (
            "mt",
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap(),
        ),
    ] {
        time(&format!("tokio-{name} spawn+await-each 100k"), 10, || {
            rt.block_on(async {
                let tasks: Vec<_> = (0..N).map(|i| tokio::spawn(async move { i })).collect();
                let mut s = 0;
                for t in tasks {
                    s += t.await.unwrap();
                }
                s
            })
        });
        time(&format!("tokio-{name} spawn+JoinSet 100k"), 10, || {
            rt.block_on(async {
                let mut set = tokio::task::JoinSet::new();
                for i in 0..N {
                    set.spawn(async move { i });
                }
                let mut s = 0;
                while let Some(v) = set.join_next().await {
                    s += v.unwrap();
                }
                s
            })
        });
    }
    let ex = smol::LocalExecutor::new();
    time("smol-1t spawn+await-each 100k", 10, || {
        futures_lite::future::block_on(ex.run(async {
            let tasks: Vec<_> = (0..N).map(|i| ex.spawn(async move { i })).collect();
            let mut s = 0;
            for t in tasks {
                s += t.await;
            }
            s
        }))
    });
}
