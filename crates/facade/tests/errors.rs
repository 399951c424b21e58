//! Every public error type the facade gives is `Send + Sync + 'static` and a
//! `std::error::Error`, so `?` carries it into `Box<dyn Error + Send + Sync>` (and
//! so into anyhow and the like). Each test provokes the real error where the facade
//! can, and checks what comes out of the box.

use std::error::Error;
use std::time::Duration;

type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// Compiles only for types that `?` can box as `Box<dyn Error + Send + Sync>`.
fn is_boxable_error<E: Error + Send + Sync + 'static>() {}

#[test]
fn every_public_error_type_is_send_sync_static_and_an_error() {
    is_boxable_error::<ferrio::Interrupted>();
    is_boxable_error::<ferrio::MainCancelled>();
    is_boxable_error::<ferrio::TaskError>();
    is_boxable_error::<ferrio::Cancelled>();
    is_boxable_error::<ferrio::Elapsed>();
    is_boxable_error::<ferrio::FutureError>();
    is_boxable_error::<ferrio::InvalidStateError>();
    is_boxable_error::<ferrio::TaskGroupError<std::io::Error>>();
    is_boxable_error::<ferrio::combinators::GroupTaskError>();
    is_boxable_error::<ferrio::contextvars::ResetError>();
    is_boxable_error::<ferrio::streams::StreamError>();
    is_boxable_error::<ferrio::executor_pool::ThreadPoolError>();
}

/// Runs `body`, expects it to fail, and checks the boxed error's type and message.
fn fails_with<E: Error + 'static>(result: Result<(), BoxError>, message: &str) {
    let err = result.expect_err("the operation should fail");
    assert_eq!(err.to_string(), message);
    assert!(
        err.downcast_ref::<E>().is_some(),
        "the box holds a {}",
        std::any::type_name::<E>()
    );
}

#[test]
fn interrupted_goes_through_question_mark() {
    fn interrupted() -> Result<(), BoxError> {
        Err(ferrio::Interrupted)?;
        Ok(())
    }
    fails_with::<ferrio::Interrupted>(
        interrupted(),
        "interrupted by Ctrl-C (SIGINT); the main task was cancelled",
    );
}

#[test]
fn main_cancelled_goes_through_question_mark() {
    fn cancelled_main() -> Result<(), BoxError> {
        ferrio::Runner::new().try_run(async {
            let me = ferrio::current_task().expect("main is a task").id;
            ferrio::spawn(async move {
                ferrio::Handle::current().as_core().cancel_task(me);
            })
            .detach();
            ferrio::sleep(Duration::from_secs(3600)).await;
        })?;
        Ok(())
    }
    let err = cancelled_main().expect_err("the main task was cancelled");
    assert!(err.downcast_ref::<ferrio::MainCancelled>().is_some());
}

#[test]
fn task_errors_and_timeouts_go_through_question_mark() {
    ferrio::run(async {
        async fn panicked() -> Result<(), BoxError> {
            ferrio::spawn(async { panic!("boom") }).await?;
            Ok(())
        }
        async fn elapsed() -> Result<(), BoxError> {
            ferrio::wait_for(
                ferrio::sleep(Duration::from_secs(3600)),
                Duration::from_millis(1),
            )
            .await?;
            Ok(())
        }
        let err = panicked().await.expect_err("the task panicked");
        let task_error = err
            .downcast_ref::<ferrio::TaskError>()
            .expect("a TaskError");
        assert!(task_error.is_panic(), "{task_error:?}");
        let err = elapsed().await.expect_err("the wait timed out");
        assert!(err.downcast_ref::<ferrio::Elapsed>().is_some(), "{err}");
    });
}
