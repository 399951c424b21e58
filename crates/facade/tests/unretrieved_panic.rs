//! A detached task's panic that nobody retrieved is reported (asyncio's "Task
//! exception was never retrieved"); a panic that was awaited is not.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// Lets the loop run until a report arrives, failing after a generous deadline
/// instead of hanging.
async fn until_reported(reports: &Mutex<Vec<PanicReport>>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while reports.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no panic report within 10 s");
        ferrio::yield_now().await;
    }
}

#[test]
fn a_detached_panic_is_reported_with_name_and_location() {
    let (runner, reports) = runner_with_sink();
    runner.run(async {
        let task = ferrio::TaskBuilder::new()
            .name("forgotten")
            .spawn(async { panic!("nobody looks") });
        task.detach();
        until_reported(&reports).await;
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
        until_reported(&reports).await;
    });
    drop(runner);
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].message.as_deref(), Some("in a callback"));
    // The location is where `call_soon` was called, not inside ferrio.
    assert!(reports[0].location.file().ends_with("unretrieved_panic.rs"));
}
