//! The scalable wait on wasm32-wasip1: `wasio_poll_v1` (`docs/abi.md`).
//! Sockets are watched once, edge-triggered, in the host's poller, and a
//! wait lists only what the host does not keep (clocks, stdio, pipes), so
//! it costs O(ready) however many connections are open.
//!
//! The imports are linked only when the guest has sockets: [`enable`] is
//! called by the code that creates or inherits them, and it alone refers
//! to the imported functions. A guest without sockets imports nothing but
//! preview1 and waits with `poll_oneoff`. `WASIO_WAIT=poll_oneoff` in the
//! guest's environment keeps `poll_oneoff` for everything (to compare the
//! two, or to run on a host without `wasio_poll_v1`).

use std::sync::OnceLock;

/// The imported functions, reached through pointers so that a guest
/// without sockets never links them.
pub(crate) struct Ops {
    pub(crate) watch: fn(u32, u32, u64) -> u16,
    pub(crate) unwatch: fn(u32) -> u16,
    pub(crate) wait: fn(&[wasi::Subscription], &mut [wasi::Event]) -> Result<usize, u16>,
}

static OPS: OnceLock<Option<Ops>> = OnceLock::new();

/// The scalable wait, if [`enable`] has switched it on.
pub(crate) fn ops() -> Option<&'static Ops> {
    OPS.get().and_then(Option::as_ref)
}

/// Switches the scalable wait on (once; the environment can veto it).
pub(crate) fn enable() {
    OPS.get_or_init(|| {
        if std::env::var("WASIO_WAIT").is_ok_and(|v| v == "poll_oneoff") {
            return None;
        }
        Some(Ops {
            // SAFETY: plain values.
            watch: |fd, interest, userdata| unsafe {
                wasio_abi::poll::raw::watch(fd, interest, userdata)
            },
            // SAFETY: plain values.
            unwatch: |fd| unsafe { wasio_abi::poll::raw::unwatch(fd) },
            wait: |subs, events| {
                let mut n = 0u32;
                // SAFETY: both slices are valid for their lengths, and the
                // records have preview1's layout (the `wasi` crate's).
                let e = unsafe {
                    wasio_abi::poll::raw::wait(
                        subs.as_ptr().cast(),
                        subs.len(),
                        events.as_mut_ptr().cast(),
                        events.len(),
                        &mut n,
                    )
                };
                if e == 0 {
                    Ok(n as usize)
                } else {
                    Err(e)
                }
            },
        })
    });
}
