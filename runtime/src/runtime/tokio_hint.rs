//! A line after tokio's own "no reactor" panic, saying what it means under
//! wasio. `wasio::sync` and `wasio::io` are tokio's code; when a
//! dependency also turns on tokio's `time` or `rt` feature, tokio methods
//! that need tokio's runtime (`mpsc::Sender::send_timeout`,
//! `Receiver::recv_timeout`, anything on `tokio::time`) become callable and
//! panic with tokio's message, which names no wasio and no fix.

use std::sync::Once;

/// What tokio's runtime-less panics say (`there is no reactor running,
/// must be called from the context of a Tokio 1.x runtime`, and the timer
/// variant).
const TOKIO_PANIC: &str = "Tokio 1.x runtime";

/// What wasio adds under it.
pub(crate) const HINT: &str = "wasio: this panic is tokio's own runtime being asked for, which wasio \
     does not run: a tokio API that needs tokio's timer or runtime was called — tokio::time (itself, \
     or through a crate such as tower-http's TimeoutLayer or bb8), or a tokio::sync method that \
     waits on tokio's timer (mpsc::Sender::send_timeout, mpsc::Receiver::recv_timeout). Use \
     wasio::time instead (for example wasio::time::timeout around send or recv), or build the \
     program for wasm32-wasip2 with stock tokio; see docs/porting-from-tokio.md, \"tokio's runtime, \
     asked for by name\".";

/// Once per process, when the first runtime is built: a panic hook that
/// runs the one before it and then, for tokio's runtime-less panics only,
/// prints [`HINT`].
pub(crate) fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            previous(info);
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            if message.is_some_and(|m| m.contains(TOKIO_PANIC)) {
                eprintln!("{HINT}");
            }
        }));
    });
}
