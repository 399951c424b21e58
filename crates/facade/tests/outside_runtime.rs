//! Calls that need a runtime, made outside one, panic at the caller's line (so the
//! message points at the code to fix) and say how to fix it.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;
use std::time::Duration;

thread_local! {
    /// Where this thread's last panic happened: (file, message).
    static LAST_PANIC: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
    /// Whether `panic_of` is catching a panic on this thread.
    static CAPTURING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, which must panic, and returns the panic's file and message.
fn panic_of(f: impl FnOnce()) -> (String, String) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CAPTURING.with(|c| c.get()) {
                // An ordinary failure (an assertion of a test): report it as usual.
                return default(info);
            }
            let file = info
                .location()
                .map(|l| l.file().to_string())
                .unwrap_or_default();
            let message = info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            LAST_PANIC.with(|last| *last.borrow_mut() = Some((file, message)));
        }));
    });
    LAST_PANIC.with(|last| last.borrow_mut().take());
    CAPTURING.with(|c| c.set(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    CAPTURING.with(|c| c.set(false));
    assert!(result.is_err(), "the call must panic outside a runtime");
    LAST_PANIC
        .with(|last| last.borrow_mut().take())
        .expect("the hook saw the panic")
}

#[track_caller]
fn assert_points_here(what: &str, f: impl FnOnce()) {
    let (file, message) = panic_of(f);
    assert!(
        file.ends_with("outside_runtime.rs"),
        "`{what}` panicked at {file}, not at the caller's line: {message}"
    );
    assert!(
        message.contains("ferrio::run"),
        "`{what}`: the message names the fix: {message}"
    );
}

#[test]
fn spawning_outside_a_runtime_points_at_the_caller() {
    assert_points_here("spawn", || drop(ferrio::spawn(async {})));
    assert_points_here("create_task", || drop(ferrio::create_task(async {})));
    assert_points_here("spawn_local", || drop(ferrio::spawn_local(async {})));
    assert_points_here("TaskBuilder::spawn", || {
        drop(ferrio::TaskBuilder::new().name("x").spawn(async {}))
    });
    assert_points_here("Handle::current", || drop(ferrio::Handle::current()));
    assert_points_here("debug::dump", || drop(ferrio::debug::dump()));
}

/// A timer made outside a runtime binds to the runtime that first polls it (so
/// `ferrio::run(ferrio::sleep(d))` works); polled outside any runtime, it panics
/// with a message that names the fix and the line that made it.
#[track_caller]
fn assert_timer_names_its_line<F: std::future::Future>(what: &str, make: impl FnOnce() -> F) {
    let timer = make();
    let (_, message) = panic_of(move || {
        let mut timer = std::pin::pin!(timer);
        let waker = std::task::Waker::noop();
        let _ = timer
            .as_mut()
            .poll(&mut std::task::Context::from_waker(waker));
    });
    assert!(
        message.contains("ferrio::run"),
        "`{what}`: the message names the fix: {message}"
    );
    assert!(
        message.contains("outside_runtime.rs"),
        "`{what}`: the message names the line that made the timer: {message}"
    );
}

#[test]
fn timers_outside_a_runtime_point_at_the_caller() {
    assert_timer_names_its_line("sleep", || ferrio::sleep(Duration::from_millis(1)));
    assert_timer_names_its_line("timeout", || {
        ferrio::timeout(Duration::from_millis(1), std::future::pending::<()>())
    });
    assert_timer_names_its_line("wait_for", || {
        ferrio::wait_for(std::future::pending::<()>(), Duration::from_millis(1))
    });
}

#[test]
fn io_outside_a_runtime_points_at_the_caller() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    assert_points_here("TcpListener::from_std", || {
        drop(ferrio::net::TcpListener::from_std(std_listener))
    });
    assert_points_here("TcpListener::bind", || {
        drop(ferrio::net::TcpListener::bind("127.0.0.1:0"))
    });
    assert_points_here("TcpStream::connect", || {
        drop(ferrio::net::TcpStream::connect(addr))
    });
    assert_points_here("UdpSocket::bind", || {
        drop(ferrio::net::UdpSocket::bind("127.0.0.1:0"))
    });
    assert_points_here("open_connection", || drop(ferrio::open_connection(addr)));
}
