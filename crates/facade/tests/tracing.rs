//! The `tracing` feature: one span per task (name, id, spawn location), entered on
//! each poll, on both flavours; debug mode's slow-poll reports as `tracing` events.
//! A small recording subscriber, installed globally (the watchdog reports from its
//! own thread), keeps every span and event; each test finds its own by task id.
#![cfg(feature = "tracing")]

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

#[derive(Debug, Clone, Default)]
struct SpanRecord {
    name: &'static str,
    target: String,
    fields: HashMap<String, String>,
    enters: usize,
}

#[derive(Debug, Clone)]
struct EventRecord {
    target: String,
    level: tracing::Level,
    fields: HashMap<String, String>,
    /// The span entered on the emitting thread, if any.
    span: Option<u64>,
}

#[derive(Default)]
struct Recorder {
    next_id: AtomicU64,
    spans: Mutex<HashMap<u64, SpanRecord>>,
    events: Mutex<Vec<EventRecord>>,
}

thread_local! {
    static ENTERED: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl Subscriber for &'static Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut record = SpanRecord {
            name: attrs.metadata().name(),
            target: attrs.metadata().target().to_string(),
            ..SpanRecord::default()
        };
        attrs.record(&mut Fields(&mut record.fields));
        self.spans.lock().unwrap().insert(id, record);
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some(record) = self.spans.lock().unwrap().get_mut(&span.into_u64()) {
            values.record(&mut Fields(&mut record.fields));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        let span = ENTERED.with(|e| e.borrow().last().copied());
        self.events.lock().unwrap().push(EventRecord {
            target: event.metadata().target().to_string(),
            level: *event.metadata().level(),
            fields,
            span,
        });
    }

    fn enter(&self, span: &Id) {
        if let Some(record) = self.spans.lock().unwrap().get_mut(&span.into_u64()) {
            record.enters += 1;
        }
        ENTERED.with(|e| e.borrow_mut().push(span.into_u64()));
    }

    fn exit(&self, span: &Id) {
        ENTERED.with(|e| {
            let mut entered = e.borrow_mut();
            if let Some(at) = entered.iter().rposition(|&s| s == span.into_u64()) {
                entered.remove(at);
            }
        });
    }
}

fn recorder() -> &'static Recorder {
    static RECORDER: OnceLock<&'static Recorder> = OnceLock::new();
    RECORDER.get_or_init(|| {
        let recorder: &'static Recorder = Box::leak(Box::default());
        tracing::subscriber::set_global_default(recorder).expect("the only subscriber");
        recorder
    })
}

/// The task span whose `task.id` is `id`.
fn span_of(id: ferrio::TaskId) -> (u64, SpanRecord) {
    let id = id.as_u64().to_string();
    let spans = recorder().spans.lock().unwrap();
    let found: Vec<_> = spans
        .iter()
        .filter(|(_, s)| s.name == "task" && s.fields.get("task.id") == Some(&id))
        .map(|(k, s)| (*k, s.clone()))
        .collect();
    assert_eq!(found.len(), 1, "one span for task {id}: {found:?}");
    found.into_iter().next().unwrap()
}

fn runners() -> Vec<(&'static str, ferrio::Runner)> {
    vec![
        ("current_thread", ferrio::Runner::new()),
        (
            "multi_thread",
            ferrio::Runner::builder()
                .multi_thread()
                .worker_threads(2)
                .build()
                .expect("runner"),
        ),
    ]
}

#[test]
fn each_task_has_a_span_entered_on_each_poll() {
    recorder();
    for (flavour, runner) in runners() {
        let (task_id, main_id, line) = runner.run(async {
            let main_id = ferrio::current_task().expect("main is a task").id;
            let line = line!() + 1;
            let task = ferrio::spawn(async {
                for _ in 0..3 {
                    ferrio::yield_now().await;
                }
                tracing::info!(marker = "inside", "from the task");
            });
            let id = task.id();
            task.await.expect("the task finished");
            (id, main_id, line)
        });
        let (span_id, span) = span_of(task_id);
        assert_eq!(span.target, "ferrio::task", "{flavour}");
        assert_eq!(span.fields["loc.file"], file!(), "{flavour}");
        assert_eq!(span.fields["loc.line"], line.to_string(), "{flavour}");
        assert!(
            !span.fields.contains_key("task.name"),
            "{flavour}: {span:?}"
        );
        // Three yields: four polls, each inside the span.
        assert_eq!(span.enters, 4, "{flavour}: {span:?}");
        let events = recorder().events.lock().unwrap().clone();
        let inside: Vec<_> = events
            .iter()
            .filter(|e| e.fields.get("marker").map(String::as_str) == Some("inside"))
            .filter(|e| e.span == Some(span_id))
            .collect();
        assert_eq!(
            inside.len(),
            1,
            "{flavour}: the task's event is in its span"
        );
        // The main task has its span too, at the `run` call.
        let (_, main) = span_of(main_id);
        assert_eq!(main.fields["loc.file"], file!(), "{flavour}");
        assert!(main.enters >= 1, "{flavour}: {main:?}");
    }
}

#[test]
fn named_tasks_and_every_spawn_function_get_spans() {
    recorder();
    for (flavour, runner) in runners() {
        let ids = runner.run(async {
            let named = ferrio::TaskBuilder::new()
                .name("worker")
                .spawn(ferrio::task_span(async {}));
            let created = ferrio::create_task(async {});
            let eager = ferrio::spawn_eager(async {});
            let from_handle = ferrio::Handle::current().spawn(async {});
            let ids = [named.id(), created.id(), eager.id(), from_handle.id()];
            for task in [named, created, eager, from_handle] {
                task.await.expect("finished");
            }
            ids
        });
        let (_, named) = span_of(ids[0]);
        assert_eq!(named.fields["task.name"], "worker", "{flavour}");
        for id in &ids[1..] {
            let (_, span) = span_of(*id);
            assert_eq!(span.enters, 1, "{flavour}: {span:?}");
            assert_eq!(span.fields["loc.file"], file!(), "{flavour}");
        }
    }
    let local = ferrio::run(async {
        let task = ferrio::spawn_local(async {});
        let id = task.id();
        task.await.expect("finished");
        id
    });
    assert_eq!(span_of(local).1.enters, 1);
}

#[test]
fn debug_mode_reports_a_slow_poll_as_a_warn_event() {
    recorder();
    let runner = ferrio::Runner::builder()
        .debug(true)
        .slow_callback_duration(Duration::from_millis(20))
        .build()
        .expect("runner");
    let id = runner.run(async {
        let task = ferrio::spawn(async {
            // The blocking call debug mode exists to catch.
            std::thread::sleep(Duration::from_millis(200));
        });
        let id = task.id();
        task.await.expect("finished");
        id
    });
    let id = id.as_u64().to_string();
    let events = recorder().events.lock().unwrap().clone();
    let reports: Vec<_> = events
        .iter()
        .filter(|e| e.target == "ferrio::debug" && e.fields.get("task.id") == Some(&id))
        .collect();
    assert!(
        reports.iter().any(|e| e.fields["finished"] == "true"),
        "the report of the finished poll: {reports:?}"
    );
    for report in &reports {
        assert_eq!(report.level, tracing::Level::WARN);
        assert_eq!(report.fields["loc.file"], file!());
        assert!(
            report.fields["message"].contains("ferrio debug:"),
            "{report:?}"
        );
        let ms: f64 = report.fields["elapsed_ms"].parse().expect("a number");
        assert!(ms >= 20.0, "{report:?}");
    }
}
