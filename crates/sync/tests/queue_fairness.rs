//! Parked getters and putters are served in arrival order, and a newcomer cannot take
//! what was released to an earlier waiter.
mod common;

use common::parked;
use ferrio_sync::Queue;

#[test]
fn getters_are_served_in_arrival_order() {
    let queue = Queue::new(0);
    let mut getters: Vec<_> = (0..3).map(|_| parked(queue.get())).collect();
    queue.put_nowait("a").unwrap();
    assert!(getters[0].woken());
    assert!(!getters[1].woken() && !getters[2].woken());
    queue.put_nowait("b").unwrap();
    queue.put_nowait("c").unwrap();
    let got: Vec<_> = getters.iter_mut().map(|g| g.ready().unwrap()).collect();
    assert_eq!(got, ["a", "b", "c"]);
}

#[test]
fn a_new_getter_cannot_take_an_item_released_to_a_parked_one() {
    let queue = Queue::new(0);
    let mut first = parked(queue.get());
    queue.put_nowait(1).unwrap();
    // The item is spoken for: a getter arriving now parks behind the first.
    let mut late = parked(queue.get());
    assert_eq!(first.ready(), Ok(1));
    queue.put_nowait(2).unwrap();
    assert!(late.woken());
    assert_eq!(late.ready(), Ok(2));
}

#[test]
fn putters_are_served_in_arrival_order() {
    let queue = Queue::new(1);
    queue.put_nowait(0).unwrap();
    let mut putters: Vec<_> = (1..=3).map(|n| parked(queue.put(n))).collect();
    for (expected, next) in putters.iter_mut().enumerate() {
        assert_eq!(queue.get_nowait(), Ok(expected));
        assert!(next.woken());
        assert_eq!(next.ready(), Ok(()));
    }
    assert_eq!(queue.get_nowait(), Ok(3));
}

#[test]
fn a_new_putter_cannot_take_a_slot_released_to_a_parked_one() {
    let queue = Queue::new(1);
    queue.put_nowait("old").unwrap();
    let mut first = parked(queue.put("first"));
    queue.get_nowait().unwrap();
    let mut late = parked(queue.put("late"));
    assert_eq!(first.ready(), Ok(()));
    assert_eq!(queue.get_nowait(), Ok("first"));
    assert!(late.woken());
    assert_eq!(late.ready(), Ok(()));
    assert_eq!(queue.get_nowait(), Ok("late"));
}

#[test]
fn a_getter_whose_item_went_to_get_nowait_parks_again_in_place() {
    // get_nowait does not wait, so it ignores the order, as in asyncio; the getter it
    // overtook stays first in line.
    let queue = Queue::new(0);
    let mut first = parked(queue.get());
    let second = parked(queue.get());
    queue.put_nowait(1).unwrap();
    assert_eq!(queue.get_nowait(), Ok(1));
    assert!(first.poll().is_pending());
    queue.put_nowait(2).unwrap();
    assert!(first.woken());
    assert!(!second.woken());
    assert_eq!(first.ready(), Ok(2));
}
