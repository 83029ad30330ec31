//! Calls preview1 functions with malformed arguments (wild pointers, huge
//! lengths, unknown fds, out-of-range enums) and prints each errno. A host
//! must answer every one with an errno and keep running.
//!
//! `wasio run --dir HOST::/box hostile.wasm [top A B]`
//!
//! With `top` it also grows its memory to the full 4 GiB and points
//! results at its very end, where host-side pointer arithmetic would wrap
//! (give it at least two arguments and two environment variables).
//!
//! Only meaningful on wasm32-wasip1; the native build says so and exits 2.

#[cfg(target_os = "wasi")]
fn main() {
    use wasi::wasi_snapshot_preview1 as p1;

    const WILD: i32 = -16; // 0xffff_fff0: past the end of any memory
    let report = |name: &str, errno: i32| println!("{name}: {errno}");

    let mut word = [0u32; 16];
    let ok_ptr = word.as_mut_ptr() as i32;
    // An iovec whose buffer lies outside memory.
    let bad_iov: [u32; 2] = [0xffff_0000, 4096];
    let bad_iov_ptr = bad_iov.as_ptr() as i32;
    let text = b"hi\n";
    let good_iov: [u32; 2] = [text.as_ptr() as u32, 3];
    let good_iov_ptr = good_iov.as_ptr() as i32;

    // SAFETY: the host is the one under test: every call passes plain
    // integers, and where a pointer is valid it points at a local buffer
    // that outlives the call. Wild pointers are only ever read or written
    // by the host, which must refuse them.
    unsafe {
        report(
            "fd_write iovs out of bounds",
            p1::fd_write(1, WILD, 1, ok_ptr),
        );
        report(
            "fd_write buffer out of bounds",
            p1::fd_write(1, bad_iov_ptr, 1, ok_ptr),
        );
        report(
            "fd_write huge iovec count",
            p1::fd_write(1, good_iov_ptr, i32::MAX, ok_ptr),
        );
        report(
            "fd_write result out of bounds",
            p1::fd_write(1, good_iov_ptr, 1, WILD),
        );
        report(
            "fd_write unknown fd",
            p1::fd_write(9999, good_iov_ptr, 1, ok_ptr),
        );
        report("fd_read fd -1", p1::fd_read(-1, good_iov_ptr, 1, ok_ptr));
        report("fd_close unknown fd", p1::fd_close(4242));
        report("fd_seek bad whence", p1::fd_seek(1, 0, 99, ok_ptr));
        report("fd_fdstat_get out of bounds", p1::fd_fdstat_get(1, WILD));
        report(
            "fd_fdstat_set_flags unknown bits",
            p1::fd_fdstat_set_flags(1, 0x4000),
        );
        report("fd_advise bad advice", p1::fd_advise(3, 0, 0, 77));
        report(
            "fd_prestat_dir_name out of bounds",
            p1::fd_prestat_dir_name(3, WILD, 64),
        );
        report("fd_renumber to unknown fd", p1::fd_renumber(1, 777));
        report(
            "path_open path out of bounds",
            p1::path_open(3, 0, WILD, 100, 0, 0, 0, 0, ok_ptr),
        );
        report(
            "path_open huge path length",
            p1::path_open(3, 0, ok_ptr, i32::MAX, 0, 0, 0, 0, ok_ptr),
        );
        let not_utf8 = [0xffu8, 0xfe, 0x00];
        report(
            "path_open non-UTF-8 path",
            p1::path_open(3, 0, not_utf8.as_ptr() as i32, 2, 0, 0, 0, 0, ok_ptr),
        );
        report(
            "path_open bad oflags",
            p1::path_open(3, 0, text.as_ptr() as i32, 2, 0x100, 0, 0, 0, ok_ptr),
        );
        report(
            "path_open on stdout",
            p1::path_open(1, 0, text.as_ptr() as i32, 2, 0, 0, 0, 0, ok_ptr),
        );
        report(
            "clock_time_get bad clock",
            p1::clock_time_get(99, 0, ok_ptr),
        );
        report(
            "clock_time_get out of bounds",
            p1::clock_time_get(0, 0, WILD),
        );
        report("args_get out of bounds", p1::args_get(WILD, WILD));
        report(
            "environ_sizes_get out of bounds",
            p1::environ_sizes_get(WILD, ok_ptr),
        );
        report("random_get out of bounds", p1::random_get(WILD, 4096));
        report(
            "poll_oneoff no subscriptions",
            p1::poll_oneoff(ok_ptr, ok_ptr, 0, ok_ptr),
        );
        report(
            "poll_oneoff subscriptions out of bounds",
            p1::poll_oneoff(WILD, ok_ptr, 1, ok_ptr),
        );
        report(
            "poll_oneoff huge count",
            p1::poll_oneoff(ok_ptr, ok_ptr, i32::MAX, ok_ptr),
        );
        report(
            "poll_oneoff count out of bounds",
            p1::poll_oneoff(ok_ptr, ok_ptr, 1, WILD),
        );
        report("sock_shutdown on stdout", p1::sock_shutdown(1, 3));
        report("sock_accept on a directory", p1::sock_accept(3, 0, ok_ptr));
        report(
            "sock_recv unknown fd",
            p1::sock_recv(555, good_iov_ptr, 1, 0, ok_ptr, ok_ptr),
        );

        // A poll with one good clock and one bad fd: the bad subscription
        // gets its own error event; the call itself succeeds.
        let mut subs = [0u8; 96];
        subs[0..8].copy_from_slice(&7u64.to_le_bytes()); // userdata
        subs[8] = 0; // clock
        subs[16..20].copy_from_slice(&1u32.to_le_bytes()); // monotonic
        subs[24..32].copy_from_slice(&1_000_000u64.to_le_bytes()); // 1 ms
        subs[48..56].copy_from_slice(&9u64.to_le_bytes());
        subs[56] = 1; // fd_read
        subs[64..68].copy_from_slice(&31337u32.to_le_bytes());
        let mut events = [0u8; 64];
        let mut n = 0u32;
        let r = p1::poll_oneoff(
            subs.as_ptr() as i32,
            events.as_mut_ptr() as i32,
            2,
            &mut n as *mut u32 as i32,
        );
        let ud = u64::from_le_bytes(events[0..8].try_into().unwrap());
        let err = u16::from_le_bytes(events[8..10].try_into().unwrap());
        report("poll_oneoff mixed result", r);
        println!("poll_oneoff mixed: {n} event(s), first userdata {ud} errno {err}");

        // The host's stdio is a stream, even when it is a file on the
        // host: no seeking it (or growing it) from inside.
        report(
            "fd_seek stdout to 1 TiB",
            p1::fd_seek(1, 1 << 40, 0, ok_ptr),
        );
        report(
            "fd_seek stderr to 1 TiB",
            p1::fd_seek(2, 1 << 40, 0, ok_ptr),
        );
        report("fd_tell stdout", p1::fd_tell(1, ok_ptr));
        eprintln!("stderr after the seek attempts");
    }
    if std::env::args().nth(1).as_deref() == Some("top") {
        top_of_memory(report);
    }
    println!("host survived");
}

/// Grows memory to 4 GiB and passes pointers at its very end.
#[cfg(target_os = "wasi")]
fn top_of_memory(report: impl Fn(&str, i32)) {
    use wasi::wasi_snapshot_preview1 as p1;

    const PAGES: usize = 65536;
    let have = core::arch::wasm32::memory_size(0);
    if core::arch::wasm32::memory_grow(0, PAGES - have) == usize::MAX {
        println!("top: cannot grow memory to 4 GiB");
        return;
    }
    let mut buf = [0u8; 256];
    let top = 0xffff_fffc_u32 as i32; // the last 4 bytes of memory
                                      // SAFETY: the addresses at the top of memory belong to no Rust object
                                      // (the memory was just grown); `buf`, `ptrs` and `n` are locals that
                                      // outlive the calls; address 0.. for the poll is read (and written) by
                                      // the host only where it accepts the call, which it must not.
    unsafe {
        // One pointer fits at `top`, the second would wrap to 0.
        report(
            "args_get argv at the top",
            p1::args_get(top, buf.as_mut_ptr() as i32),
        );
        report(
            "environ_get environ at the top",
            p1::environ_get(top, buf.as_mut_ptr() as i32),
        );
        let mut ptrs = [0u32; 8];
        report(
            "args_get buffer at the top",
            p1::args_get(ptrs.as_mut_ptr() as i32, top),
        );
        // Two million subscriptions of zeroes fit in 4 GiB (each a clock
        // that has fired), but are far more than any real wait.
        let mut n = 0u32;
        report(
            "poll_oneoff two million subscriptions",
            p1::poll_oneoff(0, 0, 2_000_000, &mut n as *mut u32 as i32),
        );
    }
}

#[cfg(not(target_os = "wasi"))]
fn main() {
    eprintln!("hostile: this example calls WASI directly; build it for wasm32-wasip1");
    std::process::exit(2);
}
