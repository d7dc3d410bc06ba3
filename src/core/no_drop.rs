//! Awaiting a future without its drop code.
//!
//! When an `.await` ends, the async fn around it drops the future it awaited. The compiler
//! cannot know that the future has ended by then, so it calls the future's whole drop code: a
//! match over every point where that future could have stopped, dropping what is live at each,
//! and the drop code of every future it awaits in turn. For the flows that is about a thousand
//! bytes of the package (measured in bench/notes.md), and none of it does anything: an async fn
//! that has returned holds nothing.
//!
//! `NoDrop` holds a future and leaves its drop out. That is right only for a future that is
//! always polled to its end, which is how the flows run: the shell's tasks poll a flow until it
//! returns (a task whose effect never answers is kept, never dropped), and no flow races two
//! futures or gives one up. If one were dropped half-way anyway, what it held would leak;
//! nothing else would go wrong, as no flow's future hands out pointers into itself. Native
//! builds check the rule instead: there `NoDrop` panics when it is dropped before its future
//! ended, so every native test of a flow also tests that its futures run to their end.

use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A future whose drop leaves the future it holds alone (see the module's doc).
pub struct NoDrop<F> {
    future: ManuallyDrop<F>,
    #[cfg(not(target_arch = "wasm32"))]
    ended: bool,
}

/// `.no_drop()` on every future a flow awaits: `self.metadata().no_drop().await`.
pub trait NoDropExt: Future + Sized {
    fn no_drop(self) -> NoDrop<Self> {
        NoDrop {
            future: ManuallyDrop::new(self),
            #[cfg(not(target_arch = "wasm32"))]
            ended: false,
        }
    }
}

impl<F: Future> NoDropExt for F {}

impl<F: Future> Future for NoDrop<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: the future is never moved out of its `NoDrop`, which is pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let poll = unsafe { Pin::new_unchecked(&mut *this.future) }.poll(cx);
        #[cfg(not(target_arch = "wasm32"))]
        if poll.is_ready() {
            this.ended = true;
        }
        poll
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl<F> Drop for NoDrop<F> {
    fn drop(&mut self) {
        assert!(
            self.ended,
            "a flow dropped a future it awaited before the future ended"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    /// Pending once, then ready; counts its drops.
    struct Twice<'a>(bool, &'a std::cell::Cell<u32>);
    impl Future for Twice<'_> {
        type Output = u8;
        fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u8> {
            if std::mem::replace(&mut self.0, true) {
                Poll::Ready(7)
            } else {
                Poll::Pending
            }
        }
    }
    impl Drop for Twice<'_> {
        fn drop(&mut self) {
            self.1.set(self.1.get() + 1);
        }
    }

    #[test]
    fn an_ended_future_is_not_dropped_again() {
        let drops = std::cell::Cell::new(0);
        let mut f = Box::pin(Twice(false, &drops).no_drop());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(f.as_mut().poll(&mut cx).is_pending());
        assert_eq!(f.as_mut().poll(&mut cx), Poll::Ready(7));
        drop(f);
        assert_eq!(drops.get(), 0);
    }

    #[test]
    #[should_panic(expected = "before the future ended")]
    fn dropping_one_half_way_is_caught_in_native_builds() {
        let drops = std::cell::Cell::new(0);
        let mut f = Box::pin(Twice(false, &drops).no_drop());
        assert!(f
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending());
        drop(f);
    }
}
