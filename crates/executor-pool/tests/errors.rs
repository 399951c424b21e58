//! Every public error type is `Send + Sync + 'static` and a `std::error::Error`, so
//! `?` carries it into `Box<dyn Error + Send + Sync>`; a panic's payload stays
//! retrievable (once) even though the error is `Sync`.

use std::error::Error;
use std::sync::Arc;

use ferrio_executor_pool::frame::{self, FrameError};
use ferrio_executor_pool::{Death, ProcessPoolError, ThreadPool, ThreadPoolError};
use futures_lite::future::block_on;

type AnyError = Box<dyn Error + Send + Sync + 'static>;

fn assert_error<E: Error + Send + Sync + 'static>() {}

#[test]
fn every_public_error_is_send_sync_static_and_an_error() {
    assert_error::<ThreadPoolError>();
    assert_error::<ProcessPoolError>();
    assert_error::<FrameError>();
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Death>();
}

fn thread_pool_panic() -> Result<u32, AnyError> {
    let pool = ThreadPool::builder().max_threads(1).build();
    let value = block_on(pool.run_in_executor(|| -> u32 { panic!("thread job failed") }))?;
    Ok(value)
}

fn thread_pool_shutdown() -> Result<u32, AnyError> {
    let pool = ThreadPool::builder().max_threads(1).build();
    pool.shutdown(true);
    let value = block_on(pool.run_in_executor(|| 1u32))?;
    Ok(value)
}

fn process_pool_error() -> Result<(), AnyError> {
    let result: Result<(), ProcessPoolError> = Err(ProcessPoolError::Shutdown);
    result?;
    Ok(())
}

fn frame_error() -> Result<(), AnyError> {
    // A header announcing 10 bytes, followed by 3.
    let mut input: &[u8] = &[10, 0, 0, 0, 1, 2, 3];
    let mut buf = Vec::new();
    frame::read(&mut input, 64, &mut buf)?;
    Ok(())
}

#[test]
fn question_mark_into_a_boxed_send_sync_error() {
    let error = thread_pool_panic().unwrap_err();
    assert_eq!(
        error.to_string(),
        "the offloaded closure panicked: thread job failed"
    );
    let error = error.downcast::<ThreadPoolError>().unwrap();
    assert_eq!(error.panic_message(), Some("thread job failed"));

    let error = thread_pool_shutdown().unwrap_err();
    assert!(matches!(
        *error.downcast::<ThreadPoolError>().unwrap(),
        ThreadPoolError::Shutdown
    ));

    let error = process_pool_error().unwrap_err();
    assert_eq!(
        *error.downcast::<ProcessPoolError>().unwrap(),
        ProcessPoolError::Shutdown
    );

    let error = frame_error().unwrap_err();
    assert!(matches!(
        *error.downcast::<FrameError>().unwrap(),
        FrameError::Truncated {
            expected: 14,
            got: 7
        }
    ));
}

#[test]
fn a_shared_panic_error_gives_its_payload_once() {
    let pool = ThreadPool::builder().max_threads(1).build();
    let error =
        block_on(pool.run_in_executor(|| -> () { std::panic::panic_any(42u64) })).unwrap_err();
    assert!(error.is_panic());
    assert_eq!(error.panic_message(), None, "not a string payload");
    // Shared between threads, as a Sync error can be.
    let shared = Arc::new(error);
    let taker = {
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || match &*shared {
            ThreadPoolError::Panicked(payload) => payload.take(),
            other => panic!("expected Panicked, got {other:?}"),
        })
    };
    let payload = taker.join().unwrap().expect("the payload is there once");
    assert_eq!(payload.downcast_ref::<u64>(), Some(&42));
    let error = Arc::try_unwrap(shared).unwrap();
    match error.try_into_panic() {
        Err(ThreadPoolError::Panicked(payload)) => assert!(payload.take().is_none()),
        other => panic!("the payload was already taken, got {other:?}"),
    }
}
