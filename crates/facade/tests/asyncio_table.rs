//! Every row of the asyncio → ferrio table works through `ferrio::` alone, on the
//! runtime that `ferrio::run` builds (so I/O, signals and pools all find what they
//! need without any set-up) and on the multi-thread flavour.

use std::time::Duration;

use ferrio::prelude::*;
use ferrio::sync::{
    Barrier, BoundedSemaphore, Condition, Event, LifoQueue, Lock, Mutex, PriorityQueue, Queue,
    Semaphore,
};
use ferrio::{ReturnWhen, TaskGroup};

async fn tasks_and_combinators() {
    // create_task / spawn, Task.cancel/done/result/get_name.
    let named = ferrio::TaskBuilder::new().name("worker").spawn(async { 1 });
    assert_eq!(named.name(), Some("worker"));
    assert_eq!(named.await.unwrap(), 1);
    let forever = ferrio::create_task(async {
        ferrio::sleep(Duration::from_secs(3600)).await;
    });
    assert!(!forever.is_finished());
    assert!(forever.cancel());
    assert!(forever.await.unwrap_err().is_cancelled());

    // current_task / all_tasks.
    let me = ferrio::spawn(async { ferrio::current_task().map(|t| t.id) });
    let id = me.id();
    assert_eq!(me.await.unwrap(), Some(id));
    let _ = ferrio::all_tasks();

    // sleep / yield_now / wait_for / timeout / timeout_at.
    ferrio::sleep(Duration::from_millis(1)).await;
    ferrio::yield_now().await;
    assert!(
        ferrio::wait_for(std::future::pending::<()>(), Duration::from_millis(1))
            .await
            .is_err()
    );
    assert_eq!(
        ferrio::timeout(Duration::from_secs(5), async { 2 }).await,
        Ok(2)
    );
    let deadline = ferrio::Handle::current().time() + Duration::from_secs(5);
    assert_eq!(ferrio::timeout_at(deadline, async { 3 }).await, Ok(3));

    // gather / gather! / try_gather.
    assert_eq!(
        ferrio::gather((1..=3).map(|n| async move { n })).await,
        [1, 2, 3]
    );
    assert_eq!(
        ferrio::gather!(async { 1 }, async { "two" }).await,
        (1, "two")
    );
    let failed: Result<Vec<u8>, &str> =
        ferrio::try_gather([Ok(1), Err("bad")].map(|result| async move { result })).await;
    assert_eq!(failed, Err("bad"));

    // wait / as_completed / shield.
    let tasks: Vec<_> = (0..3u64)
        .map(|n| {
            ferrio::spawn(async move {
                ferrio::sleep(Duration::from_millis(n * 20)).await;
                n
            })
        })
        .collect();
    let (done, pending) = ferrio::wait(tasks, ReturnWhen::FirstCompleted).await;
    assert!(!done.is_empty());
    assert_eq!(done.len() + pending.len(), 3);
    let mut completed = ferrio::as_completed(pending);
    while let Some(result) = completed.next().await {
        result.unwrap();
    }
    let protected = ferrio::shield(ferrio::spawn(async { 4 }));
    assert_eq!(protected.await.unwrap(), 4);

    // TaskGroup.
    let group = TaskGroup::<std::io::Error>::new();
    let child = group.create_task(async { Ok(5) });
    group.join().await.unwrap();
    assert_eq!(child.await.unwrap(), 5);
}

async fn queues_and_locks() {
    let queue = Queue::new(2);
    queue.put(1).await.unwrap();
    queue.put_nowait(2).unwrap();
    assert!(queue.full());
    assert!(queue.put_nowait(3).is_err());
    assert_eq!(queue.qsize(), 2);
    assert_eq!(queue.get().await.unwrap(), 1);
    assert_eq!(queue.get_nowait().unwrap(), 2);
    queue.task_done().unwrap();
    queue.task_done().unwrap();
    queue.join().await;
    assert!(queue.empty());
    queue.shutdown(false);

    let priority = PriorityQueue::new(0);
    priority.put_nowait(3).unwrap();
    priority.put_nowait(1).unwrap();
    assert_eq!(priority.get_nowait().unwrap(), 1);
    let lifo = LifoQueue::new(0);
    lifo.put_nowait(1).unwrap();
    lifo.put_nowait(2).unwrap();
    assert_eq!(lifo.get_nowait().unwrap(), 2);

    let lock = Lock::new();
    drop(lock.acquire().await);
    let mutex = Mutex::new(0);
    *mutex.lock().await += 1;
    assert_eq!(mutex.into_inner(), 1);
    let event = Event::new();
    event.set();
    event.wait().await;
    let condition = Condition::new(0);
    *condition.lock().await += 1;
    let semaphore = Semaphore::new(1);
    drop(semaphore.acquire().await);
    let bounded = BoundedSemaphore::new(1);
    drop(bounded.acquire().await);
    let barrier = Barrier::new(1);
    let _ = barrier.wait().await;
}

async fn offload() {
    assert_eq!(ferrio::to_thread(|| 6 * 7).await.unwrap(), 42);
    let pool = ferrio::ThreadPool::new();
    assert_eq!(ferrio::run_in_executor(&pool, || 7).await.unwrap(), 7);
}

async fn streams_and_processes() {
    // start_server / open_connection / readline, over the runtime's reactor.
    let server =
        ferrio::start_server(
            |mut reader: ferrio::streams::StreamReader,
             mut writer: ferrio::streams::StreamWriter| async move {
                if let Ok(line) = reader.readline().await {
                    let _ = writer.write_all(&line).await;
                    let _ = writer.flush().await;
                }
            },
            "127.0.0.1:0",
        )
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let (mut reader, mut writer) = ferrio::open_connection(addr).await.unwrap();
    writer.write_all(b"ping\n").await.unwrap();
    writer.flush().await.unwrap();
    assert_eq!(reader.readline().await.unwrap(), b"ping\n");

    let listener = ferrio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = ferrio::spawn(async move { ferrio::net::TcpStream::connect(addr).await });
    listener.accept().await.unwrap();
    client.await.unwrap().unwrap();

    let status = ferrio::process::Command::new("true")
        .status()
        .await
        .unwrap();
    assert!(status.success());
}

#[test]
fn every_row_on_the_default_loop() {
    ferrio::run(async {
        tasks_and_combinators().await;
        queues_and_locks().await;
        offload().await;
        streams_and_processes().await;
    });
}

#[test]
fn every_row_on_the_multi_thread_flavour() {
    let runner = ferrio::Runner::builder()
        .multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runner.run(async {
        // Inside a spawned task, so it runs on a worker thread.
        ferrio::spawn(async {
            tasks_and_combinators().await;
            queues_and_locks().await;
            offload().await;
            streams_and_processes().await;
        })
        .await
        .unwrap();
    });
}
