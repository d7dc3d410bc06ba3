//! A very small executor for the core's async flows, driven from JS.
//!
//! A flow runs as a task until it needs the outside world (a fetch, a WebCrypto call, a hidden
//! frame). Then it stops, and JS receives a *step*: the task number and the effect, as JSON.
//! The JS entry performs the effect and calls `resume` with the answer; the task goes on from
//! where it stopped. This keeps promises, closures and most browser APIs out of the wasm (they
//! cost more bytes than the protocol itself), and the core stays exactly as it is tested.
//!
//! A step is one of:
//! - `{"task":n,"effect":{"op":...}}`: perform the effect, then `resume(n, ok, value)`;
//! - `{"done":value}`: the flow's result;
//! - `{"error":code,"error_description":text[,"state":s][,"appState":v]}`: its failure.

use crate::core::error::AuthError;
use crate::core::json::{decimal, Json, Members};
use crate::core::no_drop::NoDropExt;
use crate::core::text::msg;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// A flow's result as JSON text.
pub type Outcome = Result<String, AuthError>;
type Task = Pin<Box<dyn Future<Output = Outcome>>>;

thread_local! {
    /// Tasks waiting for an effect, by number (a finished task's slot is reused).
    static TASKS: RefCell<Vec<Option<Task>>> = const { RefCell::new(Vec::new()) };
    /// The effect the task being polled asked for.
    static REQUEST: RefCell<Option<String>> = const { RefCell::new(None) };
    /// JS's answer to that effect, handed to the task on its next poll.
    static REPLY: RefCell<Option<Result<String, String>>> = const { RefCell::new(None) };
}

/// Asks JS to perform `effect` (a JSON object) for the task being polled, which then stops
/// (its future answers `Pending`) until `resume` brings the answer.
pub fn ask(effect: String) {
    REQUEST.with(|r| *r.borrow_mut() = Some(effect));
}

/// JS's answer to the effect the task asked for, once it came: `Ok` with the value, `Err` with
/// the reason it failed.
pub fn answer() -> Option<Result<String, String>> {
    REPLY.with(|r| r.borrow_mut().take())
}

/// The JSON text of an `AuthError` step.
pub fn error_step(e: &AuthError) -> String {
    let mut step = Members::new("error", e.code())
        .str("error_description", &e.description)
        .some("state", e.state.as_deref());
    for (name, value) in &e.extra {
        step = step.json(name, value);
    }
    app_state(step, e.app_state.as_deref()).end()
}

/// `appState`, the app's own JSON (checked when the login started), read again: what comes
/// back from storage is written out only as JSON.
pub fn app_state(o: Members, text: Option<&str>) -> Members {
    match text.and_then(|t| Json::parse(t.as_bytes())) {
        Some(value) => o.json("appState", &value),
        None => o,
    }
}

/// Starts a flow: its first step. A task is dropped only once its flow has returned, so its
/// drop code is left out (`NoDrop`).
pub fn start(flow: impl Future<Output = Outcome> + 'static) -> String {
    let task: Task = Box::pin(flow.no_drop());
    let id = TASKS.with(|t| {
        let mut tasks = t.borrow_mut();
        match tasks.iter().position(Option::is_none) {
            Some(free) => free,
            None => {
                tasks.push(None);
                tasks.len() - 1
            }
        }
    });
    poll(id, task)
}

/// Gives a waiting task its effect's answer and runs it to its next step (the entry reaches it
/// through `flow`'s op 7: one export fewer).
pub fn resume(task: usize, ok: bool, value: String) -> String {
    let Some(waiting) = TASKS.with(|t| t.borrow_mut().get_mut(task).and_then(Option::take)) else {
        return error_step(&AuthError::config("no such task is waiting"));
    };
    REPLY.with(|r| *r.borrow_mut() = Some(if ok { Ok(value) } else { Err(value) }));
    poll(task, waiting)
}

fn poll(id: usize, mut task: Task) -> String {
    REQUEST.with(|r| r.borrow_mut().take());
    let step = match task.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(done)) => msg(&["{\"done\":", &done, "}"]),
        Poll::Ready(Err(e)) => error_step(&e),
        Poll::Pending => match REQUEST.with(|r| r.borrow_mut().take()) {
            Some(effect) => {
                TASKS.with(|t| t.borrow_mut()[id] = Some(task));
                return msg(&[
                    "{\"task\":",
                    &decimal(id as u64),
                    ",\"effect\":",
                    &effect,
                    "}",
                ]);
            }
            // Only effects suspend a task; anything else would never wake it.
            None => error_step(&AuthError::config("a flow stopped without an effect")),
        },
    };
    REPLY.with(|r| r.borrow_mut().take());
    step
}
