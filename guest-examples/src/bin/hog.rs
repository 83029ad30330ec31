//! Tries to make the host hold more than a guest's limits allow, or to
//! keep it past `--timeout`, one way per mode, and prints what it got:
//!
//! - `hog send-to PORT MIB`: one UDP `send_to` of 1024 buffers that all
//!   point at the same MIB MiB block (a gather the host must not copy);
//! - `hog readdir DIR FDS`: opens DIR FDS times and starts a listing on
//!   each (a small buffer, so every listing stays under way);
//! - `hog signal-fds N [hold]`: `signal_fd` then `fd_close`, N times;
//!   with `hold`, keeps every one open, prints the count, and sleeps 3 s
//!   (so the host's fds can be counted);
//! - `hog linger PORT MIB`: connects to 127.0.0.1:PORT, asks for a 30 s
//!   linger, writes up to MIB MiB the peer never reads, and closes;
//! - `hog stdout MIB`: writes MIB MiB to stdout (`write_all`);
//! - `hog resolve NAME`: looks NAME up;
//! - `hog poll N`: one `poll_oneoff` with N clock subscriptions;
//! - `hog preopens`: the preopened directories, by fd;
//! - `hog unix-connect PATH`: connects to the Unix socket PATH and writes.
//!
//! Each prints `MODE: ...` with the count reached and the errno that
//! stopped it. Only meaningful on wasm32-wasip1.

#[cfg(target_os = "wasi")]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> u64 {
        args.get(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| usage())
    };
    match args.first().map(String::as_str) {
        Some("send-to") => wasm::send_to(arg(1) as u16, arg(2) as usize),
        Some("readdir") => wasm::readdir(args.get(1).unwrap_or_else(|| usage()), arg(2)),
        Some("signal-fds") => wasm::signal_fds(arg(1), args.get(2).is_some_and(|a| a == "hold")),
        Some("linger") => wasm::linger(arg(1) as u16, arg(2) as usize),
        Some("stdout") => wasm::stdout(arg(1) as usize),
        Some("resolve") => wasm::resolve(args.get(1).unwrap_or_else(|| usage())),
        Some("poll") => wasm::poll(arg(1) as usize),
        Some("preopens") => wasm::preopens(),
        Some("unix-connect") => wasm::unix_connect(args.get(1).unwrap_or_else(|| usage())),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: hog send-to PORT MIB | readdir DIR FDS | signal-fds N | linger PORT MIB | \
         stdout MIB | resolve NAME | poll N | preopens | unix-connect PATH"
    );
    std::process::exit(2)
}

#[cfg(target_os = "wasi")]
mod wasm {
    use std::net::SocketAddr;

    use wasio_abi::{raw, SockAddr};

    /// The preview1 name of the errnos these modes meet.
    fn name(errno: u16) -> String {
        match errno {
            0 => "ok".into(),
            2 => "ACCES".into(),
            6 => "AGAIN".into(),
            33 => "MFILE".into(),
            35 => "MSGSIZE".into(),
            48 => "NOMEM".into(),
            73 => "TIMEDOUT".into(),
            76 => "NOTCAPABLE".into(),
            n => format!("errno {n}"),
        }
    }

    pub(super) fn send_to(port: u16, mib: usize) {
        let block = vec![1u8; mib << 20];
        // 1024 iovecs (the most one call takes), all the same block.
        let iovs: Vec<[u32; 2]> = (0..1024)
            .map(|_| [block.as_ptr() as u32, block.len() as u32])
            .collect();
        let to = SockAddr::from(SocketAddr::from(([127, 0, 0, 1], port))).to_bytes();
        let mut fd = 0u32;
        let mut sent = 0u32;
        // SAFETY: every pointer is to a live local buffer.
        let e = unsafe {
            let e = raw::socket(
                wasio_abi::AF_INET4.into(),
                wasio_abi::SOCK_DGRAM,
                0,
                &mut fd,
            );
            assert_eq!(e, 0, "socket");
            raw::send_to(fd, iovs.as_ptr().cast(), iovs.len(), to.as_ptr(), &mut sent)
        };
        println!("send-to: sent {sent}, {}", name(e));
    }

    pub(super) fn readdir(dir: &str, fds: u64) {
        let mut open = Vec::new();
        let mut last = String::from("ok");
        for _ in 0..fds {
            let f = match std::fs::File::open(dir) {
                Ok(f) => f,
                Err(e) => {
                    last = format!("open: {e}");
                    break;
                }
            };
            let raw = std::os::fd::AsRawFd::as_raw_fd(&f) as u32;
            let mut buf = [0u8; 256];
            // SAFETY: `buf` outlives the call.
            match unsafe { wasi::fd_readdir(raw, buf.as_mut_ptr(), buf.len(), 0) } {
                Ok(_) => open.push(f),
                Err(e) => {
                    last = e.name().to_string();
                    break;
                }
            }
        }
        println!("readdir: {} listings under way, then {last}", open.len());
    }

    pub(super) fn signal_fds(n: u64, hold: bool) {
        let mut done = 0;
        let mut last = String::from("ok");
        for _ in 0..n {
            let mut fd = 0u32;
            // SAFETY: `fd` outlives the call.
            let e =
                unsafe { wasio_abi::signal::raw::signal_fd(wasio_abi::signal::INTERRUPT, &mut fd) };
            if e != 0 {
                last = name(e);
                break;
            }
            if hold {
                done += 1;
                continue;
            }
            // SAFETY: closing the fd just made.
            if let Err(e) = unsafe { wasi::fd_close(fd) } {
                last = format!("close: {}", e.name());
                break;
            }
            done += 1;
        }
        if hold {
            println!("signal-fds: {done} held, then {last}");
            std::thread::sleep(std::time::Duration::from_secs(3));
            return;
        }
        println!("signal-fds: {done} made and closed, then {last}");
    }

    pub(super) fn linger(port: u16, mib: usize) {
        let to = SockAddr::from(SocketAddr::from(([127, 0, 0, 1], port))).to_bytes();
        let mut fd = 0u32;
        // SAFETY: every pointer is to a live local buffer.
        unsafe {
            assert_eq!(
                raw::socket(
                    wasio_abi::AF_INET4.into(),
                    wasio_abi::SOCK_STREAM,
                    0,
                    &mut fd
                ),
                0
            );
            assert_eq!(raw::connect(fd, to.as_ptr()), 0, "connect");
            assert_eq!(raw::set_opt(fd, wasio_abi::opt::LINGER, 30), 0, "linger");
            let mut got = 0u64;
            assert_eq!(raw::get_opt(fd, wasio_abi::opt::LINGER, &mut got), 0);
            println!("linger: set to {got} s");
            wasi::fd_fdstat_set_flags(fd, wasi::FDFLAGS_NONBLOCK).expect("nonblock");
            let data = vec![0u8; 1 << 20];
            let mut queued = 0;
            while queued < mib << 20 {
                let iov = [wasi::Ciovec {
                    buf: data.as_ptr(),
                    buf_len: data.len(),
                }];
                match wasi::fd_write(fd, &iov) {
                    Ok(n) => queued += n,
                    Err(_) => break,
                }
            }
            println!("linger: {queued} bytes queued");
            let e = wasi::fd_close(fd);
            println!("linger: closed, {e:?}");
        }
    }

    pub(super) fn stdout(mib: usize) {
        use std::io::Write as _;
        let data = vec![b'x'; mib << 20];
        let r = std::io::stdout().write_all(&data);
        eprintln!("stdout: {r:?}");
    }

    pub(super) fn resolve(host: &str) {
        let r = wasio::block_on(wasio::net::lookup_host((host, 80))).map(|it| it.count());
        println!("resolve: {r:?}");
    }

    pub(super) fn poll(n: usize) {
        // Clock subscriptions 1 ms away: each 48 bytes, userdata = index.
        let mut subs = vec![0u8; n * 48];
        for (i, s) in subs.chunks_mut(48).enumerate() {
            s[0..8].copy_from_slice(&(i as u64).to_le_bytes());
            s[8] = 0; // clock
            s[16..20].copy_from_slice(&1u32.to_le_bytes()); // monotonic
            s[24..32].copy_from_slice(&1_000_000u64.to_le_bytes());
        }
        let mut events = vec![0u8; n * 32];
        let mut got = 0usize;
        // SAFETY: both arrays hold `n` records and outlive the call.
        let r = unsafe { wasi::poll_oneoff(subs.as_ptr().cast(), events.as_mut_ptr().cast(), n) };
        if let Ok(k) = r {
            got = k;
        }
        println!("poll: {got} events, {:?}", r.err().map(|e| e.name()));
    }

    pub(super) fn preopens() {
        for fd in 3u32.. {
            // SAFETY: prestat only describes the fd.
            let Ok(st) = (unsafe { wasi::fd_prestat_get(fd) }) else {
                break;
            };
            // SAFETY: reading the union's only variant (directories).
            let len = unsafe { st.u.dir.pr_name_len };
            let mut name = vec![0u8; len];
            // SAFETY: `name` holds `len` bytes.
            unsafe { wasi::fd_prestat_dir_name(fd, name.as_mut_ptr(), len) }.expect("name");
            println!("fd {fd}: {}", String::from_utf8_lossy(&name));
        }
    }

    pub(super) fn unix_connect(path: &str) {
        use wasio::io::AsyncWriteExt as _;
        let r = wasio::block_on(async {
            let mut s = wasio::net::UnixStream::connect(path).await?;
            s.write_all(b"written\n").await
        });
        match r {
            Ok(()) => println!("unix-connect: ok"),
            Err(e) => println!("unix-connect: {}", wasio_examples::errno_name(&e)),
        }
    }
}

#[cfg(not(target_os = "wasi"))]
fn main() {
    let _ = usage as fn() -> !;
    eprintln!("hog: only meaningful under wasio run (wasm32-wasip1)");
    std::process::exit(2);
}
