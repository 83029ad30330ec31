//! Drives the preview1 socket calls by hand on a preopened listener, the
//! way an event loop would: non-blocking accept, `poll_oneoff` on the
//! socket (checking `nbytes` and the hang-up flag), `sock_recv` with
//! `PEEK`, `sock_send`, `sock_shutdown`. Prints a transcript.
//!
//! `wasio run --tcplisten 127.0.0.1:7000 sock-raw.wasm`
//!
//! The test client connects, sends `ping`, reads `pong`, then closes.
//! Only meaningful on wasm32-wasip1.

#[cfg(target_os = "wasi")]
fn main() {
    use wasi::*;

    let listener = (3..64)
        .find(|&fd| {
            // SAFETY: fdstat only reads an fd's metadata.
            unsafe { fd_fdstat_get(fd) }.is_ok_and(|s| s.fs_filetype == FILETYPE_SOCKET_STREAM)
        })
        .expect("no preopened listener");
    // SAFETY: plain preview1 calls on fds we own, with buffers that live
    // across each call.
    unsafe {
        fd_fdstat_set_flags(listener, FDFLAGS_NONBLOCK).expect("nonblock");
        println!(
            "accept before any client: {:?}",
            sock_accept(listener, 0).err().map(|e| e.name())
        );

        let conn = loop {
            wait(listener, EVENTTYPE_FD_READ);
            match sock_accept(listener, FDFLAGS_NONBLOCK) {
                Ok(fd) => break fd,
                Err(ERRNO_AGAIN) => continue,
                Err(e) => panic!("accept: {e}"),
            }
        };
        println!("accepted a connection");

        let (nbytes, hup) = loop {
            let r = wait(conn, EVENTTYPE_FD_READ);
            if r.0 >= 4 {
                break r;
            }
        };
        println!("readable: nbytes {nbytes}, hangup {hup}");

        let mut buf = [0u8; 16];
        let iov = [Iovec {
            buf: buf.as_mut_ptr(),
            buf_len: buf.len(),
        }];
        let (n, _) = sock_recv(conn, &iov, RIFLAGS_RECV_PEEK).expect("peek");
        println!("peeked {:?}", std::str::from_utf8(&buf[..n]).unwrap());
        let (n, flags) = sock_recv(conn, &iov, 0).expect("recv");
        println!(
            "received {:?} (flags {flags})",
            std::str::from_utf8(&buf[..n]).unwrap()
        );
        println!(
            "recv again: {:?}",
            sock_recv(conn, &iov, 0).err().map(|e| e.name())
        );

        let pong = b"pong";
        let ciov = [Ciovec {
            buf: pong.as_ptr(),
            buf_len: pong.len(),
        }];
        let sent = sock_send(conn, &ciov, 0).expect("send");
        println!("sent {sent} bytes");

        let (_, hup) = loop {
            let r = wait(conn, EVENTTYPE_FD_READ);
            if r.1 {
                break r;
            }
        };
        println!("peer closed: hangup {hup}");
        let (n, _) = sock_recv(conn, &iov, 0).expect("recv at eof");
        println!("recv at eof: {n} bytes");
        println!(
            "shutdown: {:?}",
            sock_shutdown(conn, SDFLAGS_WR).err().map(|e| e.name())
        );
        fd_close(conn).expect("close");
        println!("done");
    }
}

/// Waits (up to 10 s) for one fd event; returns `(nbytes, hangup)`.
#[cfg(target_os = "wasi")]
unsafe fn wait(fd: wasi::Fd, kind: wasi::Eventtype) -> (u64, bool) {
    use wasi::*;
    let subs = [
        Subscription {
            userdata: 1,
            u: SubscriptionU {
                tag: kind.raw(),
                u: SubscriptionUU {
                    fd_read: SubscriptionFdReadwrite {
                        file_descriptor: fd,
                    },
                },
            },
        },
        Subscription {
            userdata: 2,
            u: SubscriptionU {
                tag: EVENTTYPE_CLOCK.raw(),
                u: SubscriptionUU {
                    clock: SubscriptionClock {
                        id: CLOCKID_MONOTONIC,
                        timeout: 10_000_000_000,
                        precision: 0,
                        flags: 0,
                    },
                },
            },
        },
    ];
    // SAFETY: `Event` is plain data (integers), for which zero is valid.
    let mut events: [Event; 2] = unsafe { std::mem::zeroed() };
    // SAFETY: both arrays are locals of the lengths given.
    let n = unsafe { poll_oneoff(subs.as_ptr(), events.as_mut_ptr(), 2) }.expect("poll_oneoff");
    let ev = events[..n]
        .iter()
        .find(|e| e.userdata == 1)
        .expect("timed out waiting for the client");
    assert_eq!(ev.error, ERRNO_SUCCESS, "event error");
    (
        ev.fd_readwrite.nbytes,
        ev.fd_readwrite.flags & EVENTRWFLAGS_FD_READWRITE_HANGUP != 0,
    )
}

#[cfg(not(target_os = "wasi"))]
fn main() {
    eprintln!("sock-raw: this example calls WASI directly; build it for wasm32-wasip1");
    std::process::exit(2);
}
