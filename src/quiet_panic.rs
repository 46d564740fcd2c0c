//! Containing panics of third-party parsers on hostile input: `catch_quietly` runs a closure,
//! turns a panic into an `Err` and keeps the panic message off stderr, so a corrupt file still
//! ends in one clear error line. Any thread; the silence applies to the calling thread only.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

static HOOK: Once = Once::new();

/// A panic caught by [`catch_quietly`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the parser panicked on this input")]
pub struct Panicked;

/// Run `f`; a panic inside it becomes `Err(Panicked)` without printing anything.
pub fn catch_quietly<R>(f: impl FnOnce() -> R) -> Result<R, Panicked> {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    result.map_err(|_| Panicked)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_becomes_an_error() {
        let r: Result<u32, super::Panicked> = super::catch_quietly(|| panic!("hostile input"));
        assert!(r.is_err());
        assert_eq!(super::catch_quietly(|| 5), Ok(5));
    }
}
