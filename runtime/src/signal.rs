//! Signals, as tokio names them: [`ctrl_c`] (SIGINT) and [`terminate`]
//! (SIGTERM), so a server can stop accepting, finish what is in flight
//! and exit cleanly when its service manager stops it.
//!
//! Under `wasio run` the host turns the signal into readiness on an fd
//! the runtime waits on like any socket (`wasio_signal_v1`); natively it
//! is a self-pipe. The first call for a signal takes it over from the
//! default action (stopping the program) for the rest of the run; a
//! second delivery while the program is still running stops it at once,
//! so a drain that hangs can still be interrupted. A program that never
//! calls these is stopped by the signal as any program is.
//!
//! ```no_run
//! #[wasio::main]
//! async fn main() -> std::io::Result<()> {
//!     let listener = wasio::net::TcpListener::bind("127.0.0.1:8080").await?;
//!     let stop = wasio::signal::terminate();
//!     wasio::pin!(stop);
//!     loop {
//!         wasio::select! {
//!             r = &mut stop => { r?; break }
//!             conn = listener.accept() => drop(conn?),
//!         }
//!     }
//!     println!("stopped accepting; draining");
//!     Ok(())
//! }
//! ```

use std::cell::RefCell;
use std::io;
use std::rc::Rc;

use crate::io::evented::Evented;
use crate::net::socket::Sock;
use crate::sys::{self, Direction, Signal};

/// One signal's stream and how many deliveries have been read from it.
struct Deliveries {
    io: Evented<Sock>,
    count: std::cell::Cell<u64>,
}

thread_local! {
    static STREAMS: RefCell<[Option<Rc<Deliveries>>; 2]> = const { RefCell::new([None, None]) };
}

fn stream(signal: Signal) -> io::Result<Rc<Deliveries>> {
    let i = usize::from(signal == Signal::Terminate);
    STREAMS.with(|s| {
        if let Some(d) = &s.borrow()[i] {
            return Ok(Rc::clone(d));
        }
        let d = Rc::new(Deliveries {
            // Kept by the thread for every runtime it builds after.
            io: Evented::new_unbound(Sock(sys::signal_fd(signal)?)),
            count: std::cell::Cell::new(0),
        });
        s.borrow_mut()[i] = Some(Rc::clone(&d));
        Ok(d)
    })
}

/// Completes at the next delivery of `signal` after the call.
async fn next(signal: Signal) -> io::Result<()> {
    let d = stream(signal)?;
    let start = d.count.get();
    let mut buf = [0u8; 64];
    std::future::poll_fn(|cx| loop {
        if d.count.get() > start {
            return std::task::Poll::Ready(Ok(()));
        }
        let n = std::task::ready!(d.io.poll_stream_io(cx, Direction::Read, buf.len(), |s| {
            sys::net::recv(&s.0, &mut buf, false)
        }))?;
        if n == 0 {
            return std::task::Poll::Ready(Err(io::Error::other("the signal stream closed")));
        }
        d.count.set(d.count.get() + n as u64);
    })
    .await
}

/// Completes when the program next receives SIGINT (Ctrl-C), as
/// `tokio::signal::ctrl_c`.
pub async fn ctrl_c() -> io::Result<()> {
    next(Signal::Interrupt).await
}

/// Completes when the program next receives SIGTERM, the signal service
/// managers (systemd, Kubernetes, `docker stop`) send to stop a service —
/// tokio's `signal(SignalKind::terminate())` as one call.
pub async fn terminate() -> io::Result<()> {
    next(Signal::Terminate).await
}
