//! A detached task's panic that nobody retrieved is reported (asyncio's "Task
//! exception was never retrieved"); a panic that was awaited is not.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrio::debug::PanicReport;

fn runner_with_sink() -> (ferrio::Runner, Arc<Mutex<Vec<PanicReport>>>) {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&reports);
    let runner = ferrio::Runner::builder()
        .on_unretrieved_panic(move |report| sink.lock().unwrap().push(report.clone()))
        .build()
        .unwrap();
    (runner, reports)
}

#[test]
fn a_detached_panic_is_reported_with_name_and_location() {
    let (runner, reports) = runner_with_sink();
    runner.run(async {
        let task = ferrio::TaskBuilder::new()
            .name("forgotten")
            .spawn(async { panic!("nobody looks") });
        task.detach();
        // Let it run and fail.
        ferrio::sleep(Duration::from_millis(5)).await;
    });
    drop(runner);
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let report = &reports[0];
    assert_eq!(report.name.as_deref(), Some("forgotten"));
    assert_eq!(report.message.as_deref(), Some("nobody looks"));
    assert!(report.location.file().ends_with("unretrieved_panic.rs"));
    assert!(report.to_string().contains("never retrieved"));
}

#[test]
fn an_awaited_panic_is_not_reported() {
    let (runner, reports) = runner_with_sink();
    runner.run(async {
        let error = ferrio::spawn(async { panic!("seen") }).await.unwrap_err();
        assert_eq!(error.panic_message(), Some("seen"));
    });
    drop(runner);
    assert!(reports.lock().unwrap().is_empty());
}

#[test]
fn a_panicking_callback_is_reported() {
    let (runner, reports) = runner_with_sink();
    runner.run(async {
        ferrio::Handle::current().call_soon(|| panic!("in a callback"));
        ferrio::sleep(Duration::from_millis(5)).await;
    });
    drop(runner);
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].message.as_deref(), Some("in a callback"));
    // The location is where `call_soon` was called, not inside ferrio.
    assert!(reports[0].location.file().ends_with("unretrieved_panic.rs"));
}
