//! Shared bits of the example guests.
//!
//! Every example builds for `wasm32-wasip1` (to run under `wasio run`) and
//! natively (to compare against); the end-to-end tests run both and expect
//! the same output.

use std::io;

pub mod server;

/// A stable, platform-independent name for an I/O error, such as
/// `ENOENT`: the errno *numbers* differ between wasi-libc and Linux, and
/// std on wasm32-wasip1 leaves several kinds `Uncategorized`.
pub fn errno_name(e: &io::Error) -> String {
    // (name, Linux number, WASI number)
    const NAMES: &[(&str, i32, i32)] = &[
        ("EPERM", 1, 63),
        ("ENOENT", 2, 44),
        ("EBADF", 9, 8),
        ("EAGAIN", 11, 6),
        ("EACCES", 13, 2),
        ("EEXIST", 17, 20),
        ("EXDEV", 18, 75),
        ("ENOTDIR", 20, 54),
        ("EISDIR", 21, 31),
        ("EINVAL", 22, 28),
        ("EMFILE", 24, 33),
        ("ENOSPC", 28, 51),
        ("ESPIPE", 29, 70),
        ("EROFS", 30, 69),
        ("ENOTEMPTY", 39, 55),
        ("ELOOP", 40, 32),
        ("ENOTSOCK", 88, 57),
        ("EADDRINUSE", 98, 3),
        ("ENOTSUP", 95, 58),
        ("ECONNREFUSED", 111, 14),
        ("ENOTCAPABLE", -1, 76),
    ];
    match e.raw_os_error() {
        Some(code) => NAMES
            .iter()
            .find(|(_, linux, wasi)| {
                code == if cfg!(target_os = "wasi") {
                    *wasi
                } else {
                    *linux
                }
            })
            .map(|(n, _, _)| n.to_string())
            .unwrap_or_else(|| format!("errno {code}")),
        None => format!("{:?}", e.kind()),
    }
}

/// Finds the first preopened TCP listener (`wasio run --tcplisten`): on
/// wasm32-wasip1 by scanning fds from 3 for a stream socket; natively by
/// binding `addr`.
pub fn preopened_listener(addr: &str) -> io::Result<std::net::TcpListener> {
    #[cfg(target_os = "wasi")]
    {
        let _ = addr;
        use std::os::wasi::io::FromRawFd;
        for fd in 3..1024u32 {
            // SAFETY: fdstat only reads the fd's metadata.
            match unsafe { wasi::fd_fdstat_get(fd) } {
                Ok(st) if st.fs_filetype == wasi::FILETYPE_SOCKET_STREAM => {
                    // SAFETY: the host handed us this fd and nothing else
                    // in the program owns it.
                    return Ok(unsafe { std::net::TcpListener::from_raw_fd(fd as i32) });
                }
                Ok(_) => continue,
                Err(wasi::ERRNO_BADF) => break,
                Err(_) => continue,
            }
        }
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            "no preopened listener: run with `wasio run --tcplisten ADDR`",
        ))
    }
    #[cfg(not(target_os = "wasi"))]
    {
        std::net::TcpListener::bind(addr)
    }
}
