//! Every public error type is `Send + Sync + 'static` and a `std::error::Error`, so
//! `?` carries it into `Box<dyn Error + Send + Sync>` (and so into anyhow and the
//! like). Each test provokes the real error and checks what comes out of the box.
mod common;

use std::error::Error;

use common::Polled;
use ferrio_sync::{
    broadcast, channel, oneshot, watch, Barrier, BoundedSemaphore, BrokenBarrierError, Queue,
    QueueShutDown, TaskDoneError, TooManyReleases, TryGetError, TryPutError,
};

type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// Compiles only for types that `?` can box as `Box<dyn Error + Send + Sync>`.
fn is_boxable_error<E: Error + Send + Sync + 'static>() {}

#[test]
fn every_public_error_type_is_send_sync_static_and_an_error() {
    is_boxable_error::<TryPutError<String>>();
    is_boxable_error::<TryGetError>();
    is_boxable_error::<QueueShutDown<String>>();
    is_boxable_error::<QueueShutDown>();
    is_boxable_error::<TaskDoneError>();
    is_boxable_error::<BrokenBarrierError>();
    is_boxable_error::<TooManyReleases>();
    is_boxable_error::<channel::SendError<String>>();
    is_boxable_error::<channel::TrySendError<String>>();
    is_boxable_error::<channel::RecvError>();
    is_boxable_error::<channel::TryRecvError>();
    is_boxable_error::<oneshot::SendError<String>>();
    is_boxable_error::<oneshot::RecvError>();
    is_boxable_error::<oneshot::TryRecvError>();
    is_boxable_error::<broadcast::SendError<String>>();
    is_boxable_error::<broadcast::RecvError>();
    is_boxable_error::<broadcast::TryRecvError>();
    is_boxable_error::<watch::SendError<String>>();
    is_boxable_error::<watch::RecvError>();
}

/// Runs `body`, expects it to fail, and checks the boxed error's type and message.
fn fails_with<E: Error + 'static>(body: impl FnOnce() -> Result<(), BoxError>, message: &str) {
    let err = body().expect_err("the operation should fail");
    assert_eq!(err.to_string(), message);
    assert!(
        err.downcast_ref::<E>().is_some(),
        "the box holds a {}",
        std::any::type_name::<E>()
    );
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    Polled::new(future).ready()
}

#[test]
fn queue_errors_go_through_question_mark() {
    fails_with::<TryPutError<u8>>(
        || {
            let queue = Queue::new(1);
            queue.put_nowait(1u8)?;
            queue.put_nowait(2)?;
            Ok(())
        },
        "queue is full",
    );
    fails_with::<TryGetError>(
        || {
            Queue::<u8>::new(0).get_nowait()?;
            Ok(())
        },
        "queue is empty",
    );
    fails_with::<QueueShutDown<u8>>(
        || {
            let queue = Queue::new(1);
            queue.shutdown(false);
            block_on(queue.put(1u8))?;
            Ok(())
        },
        "queue is shut down",
    );
    fails_with::<QueueShutDown>(
        || {
            let queue = Queue::<u8>::new(1);
            queue.shutdown(false);
            block_on(queue.get())?;
            Ok(())
        },
        "queue is shut down",
    );
    fails_with::<TaskDoneError>(
        || {
            Queue::<u8>::new(0).task_done()?;
            Ok(())
        },
        "task_done() called too many times",
    );
}

#[test]
fn primitive_errors_go_through_question_mark() {
    fails_with::<BrokenBarrierError>(
        || {
            let barrier = Barrier::new(2);
            barrier.abort();
            block_on(barrier.wait())?;
            Ok(())
        },
        "the barrier is broken",
    );
    fails_with::<TooManyReleases>(
        || {
            BoundedSemaphore::new(1).release()?;
            Ok(())
        },
        "BoundedSemaphore released too many times",
    );
}

#[test]
fn channel_errors_go_through_question_mark() {
    fails_with::<channel::SendError<String>>(
        || {
            let (tx, rx) = channel::bounded(1);
            drop(rx);
            block_on(tx.send(String::from("x")))?;
            Ok(())
        },
        "sending on a closed channel",
    );
    fails_with::<channel::TrySendError<String>>(
        || {
            let (tx, _rx) = channel::bounded(1);
            tx.try_send(String::new())?;
            tx.try_send(String::new())?;
            Ok(())
        },
        "channel is full",
    );
    fails_with::<channel::RecvError>(
        || {
            let (tx, rx) = channel::unbounded::<u8>();
            drop(tx);
            block_on(rx.recv())?;
            Ok(())
        },
        "receiving on a closed, empty channel",
    );
    fails_with::<channel::TryRecvError>(
        || {
            let (_tx, rx) = channel::unbounded::<u8>();
            rx.try_recv()?;
            Ok(())
        },
        "channel is empty",
    );
}

#[test]
fn oneshot_errors_go_through_question_mark() {
    fails_with::<oneshot::SendError<String>>(
        || {
            let (tx, rx) = oneshot::channel();
            drop(rx);
            tx.send(String::new())?;
            Ok(())
        },
        "sending on a closed oneshot channel",
    );
    fails_with::<oneshot::RecvError>(
        || {
            let (tx, rx) = oneshot::channel::<u8>();
            drop(tx);
            block_on(rx)?;
            Ok(())
        },
        "the oneshot sender dropped without sending",
    );
    fails_with::<oneshot::TryRecvError>(
        || {
            let (_tx, mut rx) = oneshot::channel::<u8>();
            rx.try_recv()?;
            Ok(())
        },
        "no value sent yet",
    );
}

#[test]
fn broadcast_errors_go_through_question_mark() {
    fails_with::<broadcast::SendError<String>>(
        || {
            let (tx, rx) = broadcast::channel(1);
            drop(rx);
            tx.send(String::new())?;
            Ok(())
        },
        "broadcasting with no receiver",
    );
    fails_with::<broadcast::RecvError>(
        || {
            let (tx, mut rx) = broadcast::channel(1);
            tx.send(1)?;
            tx.send(2)?;
            tx.send(3)?;
            block_on(rx.recv())?;
            Ok(())
        },
        "receiver lagged and missed 2 values",
    );
    fails_with::<broadcast::TryRecvError>(
        || {
            let (tx, mut rx) = broadcast::channel::<u8>(1);
            drop(tx);
            rx.try_recv()?;
            Ok(())
        },
        "broadcast channel closed",
    );
}

#[test]
fn watch_errors_go_through_question_mark() {
    fails_with::<watch::SendError<String>>(
        || {
            let (tx, rx) = watch::channel(String::new());
            drop(rx);
            tx.send(String::from("x"))?;
            Ok(())
        },
        "watch channel has no receiver",
    );
    fails_with::<watch::RecvError>(
        || {
            let (tx, mut rx) = watch::channel(0);
            drop(tx);
            block_on(rx.changed())?;
            Ok(())
        },
        "the watch sender is gone",
    );
}
