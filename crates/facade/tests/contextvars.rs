//! Context variables reach callbacks and thread-pool jobs, as asyncio copies
//! `contextvars` into `call_soon`/`call_later` and `to_thread`.

use std::sync::mpsc;
use std::time::Duration;

use ferrio::contextvars::ContextVar;

static TRACE: ContextVar<&'static str> = ContextVar::new("trace");

fn runners() -> [ferrio::Runner; 2] {
    [
        ferrio::Runner::new(),
        ferrio::Runner::builder()
            .multi_thread()
            .worker_threads(2)
            .build()
            .unwrap(),
    ]
}

#[test]
fn callbacks_run_in_a_copy_of_the_scheduling_context() {
    for runner in runners() {
        let seen = runner.run(async {
            let _ = TRACE.set("req-1");
            let handle = ferrio::Handle::current();
            let (tx, rx) = mpsc::channel();
            let tx2 = tx.clone();
            handle.call_soon(move || tx.send(("soon", TRACE.get())).unwrap());
            handle.call_later(Duration::from_millis(1), move || {
                tx2.send(("later", TRACE.get())).unwrap()
            });
            ferrio::sleep(Duration::from_millis(20)).await;
            let mut seen: Vec<_> = rx.try_iter().collect();
            seen.sort();
            seen
        });
        assert_eq!(seen, [("later", Some("req-1")), ("soon", Some("req-1"))]);
    }
}

#[test]
fn thread_pool_jobs_run_in_a_copy_of_the_caller_s_context() {
    for runner in runners() {
        let (in_job, in_pool_job, after) = runner.run(async {
            let _ = TRACE.set("req-2");
            let in_job = ferrio::to_thread(|| {
                let seen = TRACE.get();
                let _ = TRACE.set("changed in the job");
                seen
            })
            .await
            .unwrap();
            let pool = ferrio::ThreadPool::new();
            let in_pool_job = ferrio::run_in_executor(&pool, || TRACE.get())
                .await
                .unwrap();
            (in_job, in_pool_job, TRACE.get())
        });
        assert_eq!(in_job, Some("req-2"));
        assert_eq!(in_pool_job, Some("req-2"));
        assert_eq!(after, Some("req-2"), "the job's set stays in the job");
    }
    // The pool thread keeps nothing from one job to the next.
    let leftover = ferrio::run(async { ferrio::to_thread(|| TRACE.get()).await.unwrap() });
    assert_eq!(leftover, None);
}
