//! Name lookups with the system resolver, each on a thread of its own and
//! bounded in number: shared by preview1's `wasio_sock_v1.resolve` and
//! WASI 0.2's `wasi:sockets/ip-name-lookup`.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Longest host name (RFC 1035).
pub(crate) const MAX_NAME: usize = 253;

/// Longest one lookup may take before the guest is told it timed out: the
/// system resolver alone may try for 10 s or more against a server that
/// never answers, and the guest's other tasks wait meanwhile.
pub(crate) const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Most lookups under way at once in the host process (each on a thread
/// of its own, which goes on after a lookup timed out until the system
/// resolver gives up); past it a lookup is refused as busy.
const MAX_LOOKUPS: usize = 16;

static LOOKUPS: AtomicUsize = AtomicUsize::new(0);

/// Starts resolving `name` (port `port`); `done` gets the answer on the
/// lookup's thread. Returns `false`, without calling `done`, when
/// [`MAX_LOOKUPS`] are under way or no thread can be started.
pub(crate) fn spawn(
    name: String,
    port: u16,
    done: impl FnOnce(std::io::Result<Vec<SocketAddr>>) + Send + 'static,
) -> bool {
    if LOOKUPS.fetch_add(1, Ordering::AcqRel) >= MAX_LOOKUPS {
        LOOKUPS.fetch_sub(1, Ordering::AcqRel);
        tracing::debug!("too many lookups under way; `{name}` must wait");
        return false;
    }
    let spawned = std::thread::Builder::new()
        .name("wasio-dns".into())
        .spawn(move || {
            let r = (name.as_str(), port)
                .to_socket_addrs()
                .map(|it| it.collect::<Vec<_>>());
            LOOKUPS.fetch_sub(1, Ordering::AcqRel);
            done(r);
        });
    if let Err(e) = spawned {
        LOOKUPS.fetch_sub(1, Ordering::AcqRel);
        tracing::warn!("cannot start a lookup thread: {e}");
        return false;
    }
    true
}
