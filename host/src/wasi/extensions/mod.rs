//! The wasio socket extension (`wasio_sock_v1`, defined in `wasio-abi`,
//! specified in `docs/abi.md`): what preview1 lacks to create, bind,
//! connect and address sockets, resolve names and reach Unix sockets under
//! a preopened directory. Its sockets are ordinary fds in the same table
//! and the same reactor as preview1's.
//!
//! Every address is checked against the [`NetPolicy`]; a denial is
//! `ACCES` plus a warning naming the flag that would allow it.
//!
//! [`NetPolicy`]: crate::policy::NetPolicy

// The argument lists are the ABI's, fixed by `wasio-abi`.
#![allow(clippy::too_many_arguments)]

pub(crate) mod addr;
mod dns;
mod opt;
mod poll;
pub(crate) mod signal;
mod socket;
mod unix;

use wasmtime::{Caller, Linker};

use super::linker::{finish, host_fns, with_mem, WasiView};

/// Adds every function of `wasio_abi::FUNCTIONS` to `linker`.
pub(crate) fn add_to_linker<T: WasiView>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    host_fns! { linker, wasio_abi::MODULE;
        "socket" => ext_socket(domain: i32, ty: i32, fdflags: i32, out: i32);
        "bind" => ext_bind(fd: i32, addr: i32);
        "bind_unix" => ext_bind_unix(fd: i32, dirfd: i32, path: i32, len: i32);
        "listen" => ext_listen(fd: i32, backlog: i32);
        "connect" => ext_connect(fd: i32, addr: i32);
        "connect_unix" => ext_connect_unix(fd: i32, dirfd: i32, path: i32, len: i32);
        "send_to" => ext_send_to(fd: i32, iovs: i32, n: i32, addr: i32, out: i32);
        "recv_from" => ext_recv_from(fd: i32, iovs: i32, n: i32, flags: i32, out_len: i32, out_flags: i32, out_addr: i32);
        "local_addr" => ext_local_addr(fd: i32, out: i32);
        "peer_addr" => ext_peer_addr(fd: i32, out: i32);
        "set_opt" => ext_set_opt(fd: i32, opt: i32, value: i64);
        "get_opt" => ext_get_opt(fd: i32, opt: i32, out: i32);
        "multicast_join" => ext_multicast_join(fd: i32, group: i32, iface: i32);
        "multicast_leave" => ext_multicast_leave(fd: i32, group: i32, iface: i32);
        "resolve" => ext_resolve(host: i32, len: i32, port: i32, out: i32, max: i32, count: i32);
    }
    host_fns! { linker, wasio_abi::poll::MODULE;
        "watch" => ext_watch(fd: i32, interest: i32, userdata: i64);
        "unwatch" => ext_unwatch(fd: i32);
        "wait" => ext_wait(subs: i32, nsubs: i32, events: i32, nevents: i32, out: i32);
    }
    host_fns! { linker, wasio_abi::signal::MODULE;
        "signal_fd" => ext_signal_fd(signal: i32, out: i32);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use wasmtime::{Engine, Linker, Store, ValType};

    use crate::wasi::WasiCtx;

    struct H(WasiCtx, Option<wasmtime::Memory>);
    impl crate::wasi::WasiView for H {
        fn wasi(&mut self) -> &mut WasiCtx {
            &mut self.0
        }
        fn memory_slot(&mut self) -> &mut Option<wasmtime::Memory> {
            &mut self.1
        }
    }

    /// The host implements exactly the functions `wasio-abi` declares,
    /// with the declared parameter types and an `i32` errno result, in
    /// both extension modules.
    #[test]
    fn host_matches_the_abi_table() {
        for (module, table) in [
            (wasio_abi::MODULE, wasio_abi::FUNCTIONS),
            (wasio_abi::poll::MODULE, wasio_abi::poll::FUNCTIONS),
            (wasio_abi::signal::MODULE, wasio_abi::signal::FUNCTIONS),
        ] {
            module_matches(module, table);
        }
    }

    fn module_matches(module: &str, table: &[wasio_abi::Function]) {
        let engine = Engine::default();
        let mut linker = Linker::<H>::new(&engine);
        super::add_to_linker(&mut linker).unwrap();
        let mut store = Store::new(&engine, H(WasiCtx::builder().build().unwrap(), None));
        for f in table {
            let ext = linker
                .get(&mut store, module, f.name)
                .unwrap_or_else(|_| panic!("host lacks {}", f.name));
            let ty = ext.into_func().unwrap().ty(&store);
            let params: Vec<_> = ty.params().collect();
            assert_eq!(params.len(), f.params.len(), "{}", f.name);
            for (p, want) in params.iter().zip(f.params) {
                let ok = match want {
                    wasio_abi::ValType::I32 => matches!(p, ValType::I32),
                    wasio_abi::ValType::I64 => matches!(p, ValType::I64),
                };
                assert!(ok, "{}: parameter types differ", f.name);
            }
            let results: Vec<_> = ty.results().collect();
            assert!(matches!(results[..], [ValType::I32]), "{}", f.name);
        }
        let host_count = linker
            .iter(&mut store)
            .filter(|(m, _, _)| *m == module)
            .count();
        assert_eq!(host_count, table.len());
    }
}
