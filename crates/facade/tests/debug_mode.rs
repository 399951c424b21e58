//! Debug mode: a poll that holds a thread past the threshold is reported while it
//! blocks, and again with its total when it returns.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrio::debug::SlowPoll;

const THRESHOLD: Duration = Duration::from_millis(30);

/// A runner whose slow-poll reports go to a channel instead of stderr.
fn debug_runner(multi_thread: bool) -> (ferrio::Runner, mpsc::Receiver<SlowPoll>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let mut builder = ferrio::Runner::builder()
        .debug(true)
        .slow_callback_duration(THRESHOLD)
        .on_slow_poll(move |report| {
            let _ = tx.lock().unwrap().send(report.clone());
        });
    if multi_thread {
        builder = builder.multi_thread().worker_threads(2);
    }
    (builder.build().unwrap(), rx)
}

/// Blocks the polling thread until the watchdog has reported the block: proof that
/// the report comes while it happens, not after.
fn block_until_reported(reported: &Mutex<mpsc::Receiver<SlowPoll>>) -> SlowPoll {
    reported
        .lock()
        .unwrap()
        .recv_timeout(Duration::from_secs(30))
        .expect("the watchdog reports a blocked thread while it is blocked")
}

#[test]
fn a_blocking_task_is_reported_while_it_blocks_and_when_it_ends() {
    for multi_thread in [false, true] {
        let (runner, reports) = debug_runner(multi_thread);
        let reports = Arc::new(Mutex::new(reports));
        let r = Arc::clone(&reports);
        let (ongoing, line) = runner.run(async move {
            let task = ferrio::TaskBuilder::new()
                .name("blocker")
                .spawn(async move {
                    let line = line!() + 1;
                    let ongoing = block_until_reported(&r);
                    (ongoing, line)
                });
            task.await.unwrap()
        });
        assert_eq!(ongoing.task_name(), Some("blocker"));
        assert!(ongoing.task_id().is_some());
        assert!(!ongoing.is_finished());
        assert!(ongoing.elapsed() >= THRESHOLD);
        assert!(ongoing.location().file().ends_with("debug_mode.rs"));
        assert!(
            ongoing.location().line() < line,
            "the spawn site, before the block"
        );
        let text = ongoing.to_string();
        assert!(
            text.contains("\"blocker\"") && text.contains("still running"),
            "{text}"
        );

        let finished = reports
            .lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(30))
            .expect("the end of the slow poll is reported too");
        assert!(finished.is_finished());
        assert_eq!(finished.task_id(), ongoing.task_id());
        assert!(finished.elapsed() >= ongoing.elapsed());
        assert!(finished.to_string().contains("in one poll"));
        drop(runner);
        assert!(
            reports.lock().unwrap().try_recv().is_err(),
            "exactly two reports"
        );
    }
}

#[test]
fn the_main_future_is_watched_too() {
    let (runner, reports) = debug_runner(false);
    let reports = Mutex::new(reports);
    let ongoing = runner.run(async { block_until_reported(&reports) });
    assert_eq!(ongoing.task_id(), None);
    assert_eq!(ongoing.task_name(), Some("main"));
    assert!(ongoing.location().file().ends_with("debug_mode.rs"));
    assert!(ongoing.to_string().contains("the main task"));
}

#[test]
fn quick_polls_are_not_reported() {
    let (runner, reports) = debug_runner(true);
    runner.run(async {
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                ferrio::spawn(async move {
                    ferrio::yield_now().await;
                    i
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    drop(runner);
    assert!(reports.try_recv().is_err());
}

#[test]
fn debug_mode_is_off_by_default() {
    // With debug mode off nothing is watched: no watchdog thread exists to report,
    // so a slow poll passes silently (and costs nothing).
    let runner = ferrio::Runner::new();
    assert!(format!("{runner:?}").contains("debug: false"));
    let runner = ferrio::Runner::builder().debug(true).build().unwrap();
    assert!(format!("{runner:?}").contains("debug: true"));
}

#[test]
fn a_panicking_reporter_does_not_break_the_loop() {
    let runner = ferrio::Runner::builder()
        .debug(true)
        .slow_callback_duration(Duration::from_millis(1))
        .on_slow_poll(|_| panic!("reporter failed"))
        .build()
        .unwrap();
    let value = runner.run(async {
        ferrio::spawn(async {
            // Slow on purpose: the subject of the test is the slow poll itself.
            let start = std::time::Instant::now();
            while start.elapsed() < Duration::from_millis(20) {
                std::hint::spin_loop();
            }
            3
        })
        .await
        .unwrap()
    });
    assert_eq!(value, 3);
    assert_eq!(runner.run(async { 4 }), 4);
}
