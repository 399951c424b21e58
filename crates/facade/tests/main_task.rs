//! `ferrio::run`'s future is the main task: listed by `all_tasks()` and
//! `debug::dump()`, cancellable, and `Runner::try_run` reports its cancellation.

use std::time::Duration;

#[test]
fn run_lists_main_first_with_its_spawn_site() {
    let line = line!() + 1;
    let (main, count, dumped) = ferrio::run(async {
        let tasks: Vec<_> = (0..5)
            .map(|_| ferrio::spawn(ferrio::sleep(Duration::from_secs(3600))))
            .collect();
        let main = ferrio::current_task().expect("main is a task");
        let count = ferrio::all_tasks().len();
        let dumped = ferrio::debug::dump().to_string();
        for t in tasks {
            t.cancel();
        }
        (main, count, dumped)
    });
    assert_eq!(count, 6, "main and five tasks, as asyncio counts them");
    assert!(main.location.file().ends_with("main_task.rs"));
    assert_eq!(main.location.line(), line);
    let row = dumped
        .lines()
        .find(|l| l.contains(&main.id.to_string()))
        .expect("dump lists main");
    assert!(row.contains("main_task.rs:"), "{row}");
}

#[test]
fn try_run_reports_a_cancelled_main_on_both_flavours() {
    for multi in [false, true] {
        let builder = ferrio::Runner::builder();
        let builder = if multi {
            builder.multi_thread().worker_threads(2)
        } else {
            builder
        };
        let runner = builder.build().unwrap();
        let out = runner.try_run(async {
            let me = ferrio::current_task().unwrap().id;
            ferrio::spawn(async move {
                ferrio::sleep(Duration::from_millis(2)).await;
                assert!(ferrio::Handle::current().as_core().cancel_task(me));
            })
            .detach();
            ferrio::sleep(Duration::from_secs(3600)).await;
            1
        });
        assert_eq!(out, Err(ferrio::MainCancelled), "multi: {multi}");
        assert_eq!(runner.run(async { 2 }), 2, "the runner still runs");
    }
}

#[test]
fn run_panics_naming_try_run_when_main_is_cancelled() {
    let panic = std::panic::catch_unwind(|| {
        ferrio::run(async {
            let me = ferrio::current_task().unwrap().id;
            ferrio::Handle::current().as_core().cancel_task(me);
            ferrio::yield_now().await;
        })
    })
    .unwrap_err();
    let msg = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap();
    assert!(
        msg.contains("main task was cancelled") && msg.contains("try_run"),
        "{msg}"
    );
}
