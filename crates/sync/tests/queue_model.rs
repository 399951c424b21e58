//! Random sequences of queue operations, with getters and putters parked, woken,
//! polled and dropped at random, checked against what must hold: items come out in
//! FIFO order, each exactly once; no getter waits while an item sits in the queue, and
//! no putter waits while a slot is free; shutdown fails every waiter it should.
mod common;

use std::collections::VecDeque;
use std::task::Poll;

use common::Polled;
use ferrio_sync::{Queue, QueueShutDown};

type Getter<'a> = Polled<ferrio_sync::queue::Get<'a, u64, ferrio_sync::queue::Fifo<u64>>>;
type Putter<'a> = (
    u64,
    Polled<ferrio_sync::queue::Put<'a, u64, ferrio_sync::queue::Fifo<u64>>>,
);

struct Run<'a> {
    queue: &'a Queue<u64>,
    getters: VecDeque<Getter<'a>>,
    putters: VecDeque<Putter<'a>>,
    next_item: u64,
    /// Items in the order they entered the queue.
    stored: Vec<u64>,
    got: Vec<u64>,
    shut_down: bool,
}

impl<'a> Run<'a> {
    fn got_item(&mut self, result: Result<u64, QueueShutDown>) {
        match result {
            Ok(item) => self.got.push(item),
            Err(_) => assert!(self.shut_down, "get failed before shutdown"),
        }
    }

    /// Polls every woken future until nothing moves, as an executor would, then
    /// checks that nobody waits for what is there.
    fn settle(&mut self) {
        while self.run_woken(None) {}
        self.check_liveness();
    }

    /// Polls the woken futures once, or with `rng` only some of them, as an executor
    /// that has not got round to the rest. Returns whether any was polled.
    fn run_woken(&mut self, mut rng: Option<&mut fastrand::Rng>) -> bool {
        let skip = |rng: &mut Option<&mut fastrand::Rng>| rng.as_mut().is_some_and(|r| r.bool());
        {
            let mut progress = false;
            let mut index = 0;
            while index < self.getters.len() {
                if !skip(&mut rng) && self.getters[index].woken() {
                    progress = true;
                    if let Poll::Ready(result) = self.getters[index].poll() {
                        self.getters.remove(index);
                        self.got_item(result);
                        continue;
                    }
                }
                index += 1;
            }
            let mut index = 0;
            while index < self.putters.len() {
                if !skip(&mut rng) && self.putters[index].1.woken() {
                    progress = true;
                    if let Poll::Ready(result) = self.putters[index].1.poll() {
                        let (item, _) = self.putters.remove(index).unwrap();
                        self.put_done(item, result);
                        continue;
                    }
                }
                index += 1;
            }
            progress
        }
    }

    fn put_done(&mut self, item: u64, result: Result<(), QueueShutDown<u64>>) {
        match result {
            Ok(()) => self.stored.push(item),
            Err(QueueShutDown(back)) => {
                assert!(self.shut_down, "put failed before shutdown");
                assert_eq!(back, item, "a failed put gives its own item back");
            }
        }
    }

    fn check_liveness(&self) {
        let qsize = self.queue.qsize();
        if qsize > 0 {
            assert!(
                self.getters.is_empty(),
                "a getter waits beside {qsize} items"
            );
        }
        if !self.queue.full() && !self.shut_down {
            assert!(self.putters.is_empty(), "a putter waits beside a free slot");
        }
        if self.shut_down {
            assert!(self.putters.is_empty(), "a putter waits after shutdown");
            if qsize == 0 {
                assert!(
                    self.getters.is_empty(),
                    "a getter waits on a drained, shut queue"
                );
            }
        }
    }

    fn step(&mut self, rng: &mut fastrand::Rng) {
        match rng.u8(..100) {
            0..=19 => {
                let mut getter = Polled::new(self.queue.get());
                match getter.poll() {
                    Poll::Ready(result) => self.got_item(result),
                    Poll::Pending => self.getters.push_back(getter),
                }
            }
            20..=39 => {
                let item = self.next_item;
                self.next_item += 1;
                let mut putter = Polled::new(self.queue.put(item));
                match putter.poll() {
                    Poll::Ready(result) => self.put_done(item, result),
                    Poll::Pending => self.putters.push_back((item, putter)),
                }
            }
            40..=49 => {
                if let Ok(item) = self.queue.get_nowait() {
                    self.got.push(item);
                }
            }
            50..=59 => {
                let item = self.next_item;
                self.next_item += 1;
                if self.queue.put_nowait(item).is_ok() {
                    self.stored.push(item);
                }
            }
            60..=74 if !self.getters.is_empty() => {
                let index = rng.usize(..self.getters.len());
                drop(self.getters.remove(index));
            }
            75..=89 if !self.putters.is_empty() => {
                // A dropped put never stores its item.
                let index = rng.usize(..self.putters.len());
                drop(self.putters.remove(index));
            }
            98..=99 if !self.shut_down && rng.u8(..10) == 0 => {
                self.shut_down = true;
                self.queue.shutdown(false);
            }
            _ => {}
        }
        if rng.u8(..3) == 0 {
            self.settle();
        } else {
            self.run_woken(Some(rng));
        }
    }

    /// Shuts down, lets everything settle, drains: every stored item must have come
    /// out once, in order.
    fn finish(mut self) {
        self.shut_down = true;
        self.queue.shutdown(false);
        self.settle();
        while let Ok(item) = self.queue.get_nowait() {
            self.got.push(item);
        }
        self.settle();
        assert!(self.getters.is_empty() && self.putters.is_empty());
        assert_eq!(self.got, self.stored, "items lost, duplicated or reordered");
    }
}

#[test]
fn random_operations_keep_every_promise() {
    let rounds = common::scaled(300);
    for seed in 0..rounds as u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let queue = Queue::new(rng.usize(1..4));
        let mut run = Run {
            queue: &queue,
            getters: VecDeque::new(),
            putters: VecDeque::new(),
            next_item: 0,
            stored: Vec::new(),
            got: Vec::new(),
            shut_down: false,
        };
        for _ in 0..200 {
            run.step(&mut rng);
        }
        run.finish();
    }
}
