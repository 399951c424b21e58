//! 100 000 timers a round: 50 000 tasks sleeping until a deadline and 50 000
//! `call_at` callbacks, deadlines spread over a quarter second; half of each are
//! cancelled in the last 1.5 ms before their deadline. Counts what must not happen:
//! a timer that fires early (the loop's clock before its deadline), a callback that
//! runs although `cancel` said it never would, a cancelled task that still yields
//! its value or a task that ends cancelled although `cancel` said it could not be,
//! a timer nobody cancelled that never fires.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrio::{Handle, TaskError};

use crate::report::{runner, Budget, Report};

const TASK_TIMERS: usize = 50_000;
const CALLBACKS: usize = 50_000;
/// How long after the last deadline everything due must have fired.
const SETTLE_LIMIT: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Slot {
    fired: AtomicBool,
    early: AtomicBool,
}

impl Slot {
    fn fire(&self, when: Instant) {
        if Handle::current().time() < when {
            self.early.store(true, Ordering::SeqCst);
        }
        self.fired.store(true, Ordering::SeqCst);
    }
}

pub(crate) fn run(share: Duration) -> Report {
    let mut report = Report::new();
    let mut budget = Budget::new(share);
    while budget.another_round() {
        let runner = runner(budget.rounds(), 4);
        report.merge(&runner.run(round()));
    }
    report.info("rounds", budget.rounds());
    report
}

enum Target {
    Task(usize),
    Callback(usize),
}

async fn round() -> Report {
    let handle = Handle::current();
    let start = handle.time() + Duration::from_millis(20);
    let deadline = |_: usize| start + Duration::from_micros(fastrand::u64(0..250_000));
    let slots: Arc<Vec<Slot>> = Arc::new(
        (0..TASK_TIMERS + CALLBACKS)
            .map(|_| Slot::default())
            .collect(),
    );
    let mut whens = Vec::with_capacity(TASK_TIMERS + CALLBACKS);
    let mut tasks = Vec::with_capacity(TASK_TIMERS);
    for index in 0..TASK_TIMERS {
        let when = deadline(index);
        whens.push(when);
        let slots = Arc::clone(&slots);
        tasks.push(ferrio::spawn(async move {
            ferrio::sleep_until(when).await;
            slots[index].fire(when);
        }));
    }
    let mut callbacks = Vec::with_capacity(CALLBACKS);
    for index in TASK_TIMERS..TASK_TIMERS + CALLBACKS {
        let when = deadline(index);
        whens.push(when);
        let slots = Arc::clone(&slots);
        callbacks.push(handle.call_at(when, move || slots[index].fire(when)));
    }

    // Half of each kind, cancelled shortly before its deadline.
    let mut plan: Vec<(Instant, Target)> = Vec::new();
    for (index, when) in whens.iter().enumerate() {
        if fastrand::bool() {
            let at = *when - Duration::from_micros(fastrand::u64(0..1_500));
            plan.push((
                at,
                if index < TASK_TIMERS {
                    Target::Task(index)
                } else {
                    Target::Callback(index - TASK_TIMERS)
                },
            ));
        }
    }
    plan.sort_by_key(|(at, _)| *at);
    let mut said_yes = vec![false; TASK_TIMERS + CALLBACKS];
    let mut cancels_too_late = 0u64;
    for (at, target) in &plan {
        ferrio::sleep_until(*at).await;
        let (index, yes) = match *target {
            Target::Task(index) => (index, tasks[index].cancel()),
            Target::Callback(index) => (TASK_TIMERS + index, callbacks[index].cancel()),
        };
        said_yes[index] = yes;
        cancels_too_late += u64::from(!yes);
    }
    let last = whens.iter().max().copied().unwrap_or(start);
    ferrio::sleep_until(last).await;

    let mut task_values_after_cancel = 0u64;
    let mut task_panics = 0u64;
    let mut cancelled_though_cancel_said_no = 0u64;
    let results = ferrio::wait_for(ferrio::gather(tasks), SETTLE_LIMIT).await;
    let tasks_stuck = u64::from(results.is_err());
    for (index, result) in results.unwrap_or_default().into_iter().enumerate() {
        match result {
            Ok(()) if said_yes[index] => task_values_after_cancel += 1,
            Ok(()) => {}
            Err(TaskError::Cancelled(_)) if said_yes[index] => {}
            Err(TaskError::Cancelled(_)) => cancelled_though_cancel_said_no += 1,
            Err(_) => task_panics += 1,
        }
    }
    // Every callback not cancelled fires; wait for the last of them, with a deadline.
    // Those still missing at the deadline are counted as never fired below.
    let _ = ferrio::wait_for(
        async {
            while (TASK_TIMERS..TASK_TIMERS + CALLBACKS)
                .any(|index| !said_yes[index] && !slots[index].fired.load(Ordering::SeqCst))
            {
                ferrio::sleep(Duration::from_millis(1)).await;
            }
        },
        SETTLE_LIMIT,
    )
    .await;

    let mut report = Report::new();
    let count = |range: std::ops::Range<usize>, test: &dyn Fn(usize) -> bool| {
        range.filter(|&index| test(index)).count() as u64
    };
    let fired = |index: usize| slots[index].fired.load(Ordering::SeqCst);
    let early = count(0..TASK_TIMERS + CALLBACKS, &|index| {
        slots[index].early.load(Ordering::SeqCst)
    });
    let never_fired = count(0..TASK_TIMERS + CALLBACKS, &|index| {
        !said_yes[index] && !fired(index)
    });
    let callbacks_after_cancel = count(TASK_TIMERS..TASK_TIMERS + CALLBACKS, &|index| {
        said_yes[index] && fired(index)
    });
    let task_bodies_after_cancel = count(0..TASK_TIMERS, &|index| said_yes[index] && fired(index));
    let cancelled = said_yes.iter().filter(|yes| **yes).count() as u64;
    report
        .info("timers", (TASK_TIMERS + CALLBACKS) as u64)
        .info("cancelled", cancelled)
        .info("cancels_too_late", cancels_too_late)
        .info("task_bodies_racing_cancel", task_bodies_after_cancel)
        .bad("fired_early", early)
        .bad("callbacks_fired_after_cancel", callbacks_after_cancel)
        .bad("cancelled_tasks_with_a_value", task_values_after_cancel)
        .bad(
            "tasks_cancelled_though_cancel_said_no",
            cancelled_though_cancel_said_no,
        )
        .bad("task_panics", task_panics)
        .bad("never_fired", never_fired)
        .bad("stuck_rounds", tasks_stuck);
    report
}
