//! Registers the preview1 functions with a wasmtime `Linker`.

use wasmtime::{Caller, Extern, Linker, Memory};

use super::ctx::WasiCtx;
use super::errno::{Error, ProcExit, Result};
use super::mem::GuestMem;

/// The import module every preview1 guest uses.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// Store data that holds a [`WasiCtx`].
pub trait WasiView: 'static {
    /// The preview1 state.
    fn wasi(&mut self) -> &mut WasiCtx;

    /// Where the guest's exported memory is remembered after the first
    /// call, so later calls skip the export lookup by name.
    fn memory_slot(&mut self) -> &mut Option<Memory>;
}

#[inline(always)]
pub(crate) fn with_mem<T: WasiView>(
    caller: &mut Caller<'_, T>,
    f: impl FnOnce(&mut WasiCtx, &mut GuestMem) -> Result<()>,
) -> Result<()> {
    let memory = match *caller.data_mut().memory_slot() {
        Some(m) => m,
        None => {
            let Some(Extern::Memory(m)) = caller.get_export("memory") else {
                return Err(Error::Trap(wasmtime::Error::msg(
                    "the guest must export its linear memory as `memory`",
                )));
            };
            *caller.data_mut().memory_slot() = Some(m);
            m
        }
    };
    let (data, host) = memory.data_and_store_mut(caller);
    f(host.wasi(), &mut GuestMem::new(data))
}

pub(crate) fn finish(name: &'static str, r: Result<()>) -> wasmtime::Result<i32> {
    match r {
        Ok(()) => {
            tracing::trace!(target: "wasio::wasi", "{name} -> ok");
            Ok(0)
        }
        Err(Error::Errno(e)) => {
            tracing::trace!(target: "wasio::wasi", "{name} -> {}", e.name());
            Ok(i32::from(e.raw()))
        }
        Err(Error::Trap(t)) => Err(t),
    }
}

/// Registers `WasiCtx` methods as wasm functions of `$module`. Each takes
/// the guest memory and the raw arguments and returns `Result<()>`.
macro_rules! host_fns {
    ($linker:ident, $module:expr; $( $name:expr => $method:ident ( $($arg:ident : $ty:ty),* ) );* $(;)?) => {
        $(
            $linker.func_wrap(
                $module,
                $name,
                |mut caller: Caller<'_, T>, $($arg: $ty),*| -> wasmtime::Result<i32> {
                    // Arguments arrive as wasm i32/i64; the ABIs define them
                    // unsigned, so reinterpret the bits.
                    let r = with_mem(&mut caller, |ctx, mem| ctx.$method(mem, $($arg as _),*));
                    finish($name, r)
                },
            )?;
        )*
    };
}
pub(crate) use host_fns;

macro_rules! p1 {
    ($linker:ident; $( $name:ident ( $($arg:ident : $ty:ty),* ) );* $(;)?) => {
        host_fns!($linker, MODULE; $( stringify!($name) => $name ( $($arg : $ty),* ) );*);
    };
}

/// Adds all 46 `wasi_snapshot_preview1` functions and the wasio socket
/// extension to `linker`.
pub fn add_to_linker<T: WasiView>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    p1! { linker;
        args_get(argv: i32, buf: i32);
        args_sizes_get(count: i32, size: i32);
        environ_get(env: i32, buf: i32);
        environ_sizes_get(count: i32, size: i32);
        clock_res_get(id: i32, out: i32);
        clock_time_get(id: i32, precision: i64, out: i32);
        fd_advise(fd: i32, off: i64, len: i64, advice: i32);
        fd_allocate(fd: i32, off: i64, len: i64);
        fd_close(fd: i32);
        fd_datasync(fd: i32);
        fd_fdstat_get(fd: i32, out: i32);
        fd_fdstat_set_flags(fd: i32, flags: i32);
        fd_fdstat_set_rights(fd: i32, base: i64, inheriting: i64);
        fd_filestat_get(fd: i32, out: i32);
        fd_filestat_set_size(fd: i32, size: i64);
        fd_filestat_set_times(fd: i32, atim: i64, mtim: i64, fst: i32);
        fd_pread(fd: i32, iovs: i32, n: i32, off: i64, out: i32);
        fd_prestat_get(fd: i32, out: i32);
        fd_prestat_dir_name(fd: i32, path: i32, len: i32);
        fd_pwrite(fd: i32, iovs: i32, n: i32, off: i64, out: i32);
        fd_read(fd: i32, iovs: i32, n: i32, out: i32);
        fd_readdir(fd: i32, buf: i32, len: i32, cookie: i64, out: i32);
        fd_renumber(from: i32, to: i32);
        fd_seek(fd: i32, off: i64, whence: i32, out: i32);
        fd_sync(fd: i32);
        fd_tell(fd: i32, out: i32);
        fd_write(fd: i32, iovs: i32, n: i32, out: i32);
        path_create_directory(fd: i32, p: i32, len: i32);
        path_filestat_get(fd: i32, flags: i32, p: i32, len: i32, out: i32);
        path_filestat_set_times(fd: i32, flags: i32, p: i32, len: i32, atim: i64, mtim: i64, fst: i32);
        path_link(old_fd: i32, flags: i32, old_p: i32, old_len: i32, new_fd: i32, new_p: i32, new_len: i32);
        path_open(fd: i32, dirflags: i32, p: i32, len: i32, oflags: i32, base: i64, inheriting: i64, fdflags: i32, out: i32);
        path_readlink(fd: i32, p: i32, len: i32, buf: i32, buf_len: i32, out: i32);
        path_remove_directory(fd: i32, p: i32, len: i32);
        path_rename(fd: i32, old_p: i32, old_len: i32, new_fd: i32, new_p: i32, new_len: i32);
        path_symlink(old_p: i32, old_len: i32, fd: i32, new_p: i32, new_len: i32);
        path_unlink_file(fd: i32, p: i32, len: i32);
        poll_oneoff(subs: i32, events: i32, n: i32, out: i32);
        proc_raise(sig: i32);
        random_get(buf: i32, len: i32);
        sched_yield();
        sock_accept(fd: i32, flags: i32, out: i32);
        sock_recv(fd: i32, iovs: i32, n: i32, riflags: i32, out_len: i32, out_flags: i32);
        sock_send(fd: i32, iovs: i32, n: i32, siflags: i32, out: i32);
        sock_shutdown(fd: i32, how: i32);
    }
    linker.func_wrap(
        MODULE,
        "proc_exit",
        |_: Caller<'_, T>, code: i32| -> wasmtime::Result<()> {
            Err(wasmtime::Error::new(ProcExit(code)))
        },
    )?;
    super::extensions::add_to_linker(linker)?;
    Ok(())
}
