//! # wasio-abi
//!
//! The one definition of the wasio socket extension: the import module
//! name, its functions' signatures, the constants and the memory layout of
//! a socket address. The guest runtime (`wasio`) imports these functions;
//! the host (`wasio-host`) implements them. `docs/abi.md` is the normative
//! text; this crate is its code form (`no_std`, no dependencies).
//!
//! Everything preview1 can already express is used as is: `sock_accept`,
//! `sock_recv`, `sock_send`, `sock_shutdown`, `fd_read`, `fd_write`,
//! `fd_close`, `fd_fdstat_set_flags`, `poll_oneoff` all work on extension
//! sockets, which are ordinary preview1 fds.
//!
//! ```
//! use core::net::{Ipv4Addr, SocketAddr};
//! use wasio_abi::SockAddr;
//!
//! let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 8080));
//! let bytes = SockAddr::from(addr).to_bytes();
//! assert_eq!(bytes.len(), wasio_abi::SOCKADDR_SIZE);
//! assert_eq!(SockAddr::from_bytes(&bytes).to_socket_addr(), Some(addr));
//! ```

#![no_std]

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// The import module of the extension. A guest that uses no sockets
/// imports nothing from it and runs on any preview1 host.
pub const MODULE: &str = "wasio_sock_v1";

/// Address family: IPv4.
pub const AF_INET4: u16 = 1;
/// Address family: IPv6.
pub const AF_INET6: u16 = 2;
/// Address family: Unix domain (paths under a preopened directory).
pub const AF_UNIX: u16 = 3;

/// Socket type: a byte stream (TCP, Unix stream).
pub const SOCK_STREAM: u32 = 1;
/// Socket type: datagrams (UDP, Unix datagram).
pub const SOCK_DGRAM: u32 = 2;

/// `recv_from` flag: look at the data without consuming it (the value of
/// preview1 `riflags.recv_peek`).
pub const RECV_PEEK: u32 = 1;
/// `recv_from` result flag: the datagram was longer than the buffers and
/// the rest was discarded (preview1 `roflags.recv_data_truncated`).
pub const RECV_TRUNCATED: u16 = 1;

/// Socket options for `set_opt` / `get_opt`. Values are `u64`.
pub mod opt {
    /// `SO_REUSEADDR` (0 or 1).
    pub const REUSEADDR: u32 = 1;
    /// `TCP_NODELAY` (0 or 1).
    pub const NODELAY: u32 = 2;
    /// `SO_KEEPALIVE` (0 or 1).
    pub const KEEPALIVE: u32 = 3;
    /// `IP_TTL` / `IPV6_UNICAST_HOPS` (1..=255).
    pub const TTL: u32 = 4;
    /// `SO_BROADCAST` (0 or 1).
    pub const BROADCAST: u32 = 5;
    /// `SO_RCVBUF` in bytes.
    pub const RECV_BUFFER_SIZE: u32 = 6;
    /// `SO_SNDBUF` in bytes.
    pub const SEND_BUFFER_SIZE: u32 = 7;
    /// `SO_LINGER` in seconds; [`LINGER_OFF`] disables it.
    pub const LINGER: u32 = 8;
    /// `IPV6_V6ONLY` (0 or 1).
    pub const ONLY_V6: u32 = 9;
    /// `SO_ERROR`, read-only: the pending error as a preview1 errno (0:
    /// none), cleared by reading. How a non-blocking `connect` reports.
    pub const ERROR: u32 = 10;
    /// `IP_MULTICAST_TTL` (0..=255).
    pub const MULTICAST_TTL_V4: u32 = 11;
    /// `IP_MULTICAST_LOOP` (0 or 1).
    pub const MULTICAST_LOOP_V4: u32 = 12;
    /// `IPV6_MULTICAST_LOOP` (0 or 1).
    pub const MULTICAST_LOOP_V6: u32 = 13;
    /// `SO_REUSEPORT` (0 or 1). Added in `wasio_sock_v1` minor 1: a host
    /// without it answers `NOPROTOOPT`.
    pub const REUSEPORT: u32 = 14;
    /// The `LINGER` value meaning "off".
    pub const LINGER_OFF: u64 = u64::MAX;
}

/// Size in bytes of the [`SockAddr`] layout.
pub const SOCKADDR_SIZE: usize = 32;
/// Alignment of the [`SockAddr`] layout.
pub const SOCKADDR_ALIGN: usize = 4;

/// A socket address as it lies in guest memory: 32 bytes, little-endian
/// integers, the address bytes in network order.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 2 | `family`: [`AF_INET4`], [`AF_INET6`] or [`AF_UNIX`] (0: none) |
/// | 2 | 2 | `port` |
/// | 4 | 4 | `flowinfo` (IPv6) |
/// | 8 | 16 | `addr`: IPv4 in bytes 0..4, IPv6 in 0..16 |
/// | 24 | 4 | `scope_id` (IPv6) |
/// | 28 | 4 | reserved, written as 0, ignored on input |
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SockAddr {
    /// Address family.
    pub family: u16,
    /// Port.
    pub port: u16,
    /// IPv6 flow information.
    pub flowinfo: u32,
    /// Address octets.
    pub addr: [u8; 16],
    /// IPv6 scope id.
    pub scope_id: u32,
    /// Reserved.
    pub reserved: u32,
}

impl SockAddr {
    /// Encodes to the little-endian memory layout.
    pub fn to_bytes(&self) -> [u8; SOCKADDR_SIZE] {
        let mut b = [0u8; SOCKADDR_SIZE];
        b[0..2].copy_from_slice(&self.family.to_le_bytes());
        b[2..4].copy_from_slice(&self.port.to_le_bytes());
        b[4..8].copy_from_slice(&self.flowinfo.to_le_bytes());
        b[8..24].copy_from_slice(&self.addr);
        b[24..28].copy_from_slice(&self.scope_id.to_le_bytes());
        b
    }

    /// Decodes the memory layout (the reserved word is ignored).
    pub fn from_bytes(b: &[u8; SOCKADDR_SIZE]) -> Self {
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut addr = [0u8; 16];
        addr.copy_from_slice(&b[8..24]);
        Self {
            family: u16_at(0),
            port: u16_at(2),
            flowinfo: u32_at(4),
            addr,
            scope_id: u32_at(24),
            reserved: 0,
        }
    }

    /// The IP socket address, or `None` for another family.
    pub fn to_socket_addr(&self) -> Option<SocketAddr> {
        match self.family {
            AF_INET4 => {
                let ip = Ipv4Addr::new(self.addr[0], self.addr[1], self.addr[2], self.addr[3]);
                Some(SocketAddr::V4(SocketAddrV4::new(ip, self.port)))
            }
            AF_INET6 => Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(self.addr),
                self.port,
                self.flowinfo,
                self.scope_id,
            ))),
            _ => None,
        }
    }

    /// An `AF_UNIX` address (the path itself is not carried).
    pub fn unix() -> Self {
        Self {
            family: AF_UNIX,
            ..Self::default()
        }
    }
}

impl From<SocketAddr> for SockAddr {
    fn from(a: SocketAddr) -> Self {
        match a {
            SocketAddr::V4(v4) => {
                let mut addr = [0u8; 16];
                addr[..4].copy_from_slice(&v4.ip().octets());
                Self {
                    family: AF_INET4,
                    port: v4.port(),
                    addr,
                    ..Self::default()
                }
            }
            SocketAddr::V6(v6) => Self {
                family: AF_INET6,
                port: v6.port(),
                flowinfo: v6.flowinfo(),
                addr: v6.ip().octets(),
                scope_id: v6.scope_id(),
                reserved: 0,
            },
        }
    }
}

/// A wasm value type in a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValType {
    /// `i32` (pointers, lengths, fds, small enums).
    I32,
    /// `i64`.
    I64,
}

/// One function of the extension: its name and parameter types. Every
/// function returns an `i32` preview1 errno (0 on success).
#[derive(Debug, Clone, Copy)]
pub struct Function {
    /// Import name.
    pub name: &'static str,
    /// Parameter types, in order.
    pub params: &'static [ValType],
}

use ValType::{I32, I64};

/// Every function of [`MODULE`], in the order `docs/abi.md` lists them.
pub const FUNCTIONS: &[Function] = &[
    Function {
        name: "socket",
        params: &[I32, I32, I32, I32],
    },
    Function {
        name: "bind",
        params: &[I32, I32],
    },
    Function {
        name: "bind_unix",
        params: &[I32, I32, I32, I32],
    },
    Function {
        name: "listen",
        params: &[I32, I32],
    },
    Function {
        name: "connect",
        params: &[I32, I32],
    },
    Function {
        name: "connect_unix",
        params: &[I32, I32, I32, I32],
    },
    Function {
        name: "send_to",
        params: &[I32, I32, I32, I32, I32],
    },
    Function {
        name: "recv_from",
        params: &[I32, I32, I32, I32, I32, I32, I32],
    },
    Function {
        name: "local_addr",
        params: &[I32, I32],
    },
    Function {
        name: "peer_addr",
        params: &[I32, I32],
    },
    Function {
        name: "set_opt",
        params: &[I32, I32, I64],
    },
    Function {
        name: "get_opt",
        params: &[I32, I32, I32],
    },
    Function {
        name: "multicast_join",
        params: &[I32, I32, I32],
    },
    Function {
        name: "multicast_leave",
        params: &[I32, I32, I32],
    },
    Function {
        name: "resolve",
        params: &[I32, I32, I32, I32, I32, I32],
    },
];

/// The scalable wait (`wasio_poll_v1`): persistent interest in socket fds
/// and a wait that returns only what became ready, next to one-off
/// preview1 subscriptions (clocks, files, stdio) in the same call.
/// `docs/abi.md` specifies it.
pub mod poll {
    use super::{Function, ValType::I32, ValType::I64};

    /// The import module. A guest that never waits on a socket imports
    /// nothing from it.
    pub const MODULE: &str = "wasio_poll_v1";

    /// `watch` interest: report when the fd becomes readable (data, a
    /// connection to accept, EOF or an error).
    pub const READ: u32 = 1;
    /// `watch` interest: report when the fd becomes writable (room, a
    /// finished connect, a hang-up or an error).
    pub const WRITE: u32 = 2;
    /// `watch` flag: fill `nbytes` of read events (one more system call
    /// per event on the host; 0 without it).
    pub const NBYTES: u32 = 4;

    /// Every function of [`MODULE`], in the order `docs/abi.md` lists them.
    pub const FUNCTIONS: &[Function] = &[
        Function {
            name: "watch",
            params: &[I32, I32, I64],
        },
        Function {
            name: "unwatch",
            params: &[I32],
        },
        Function {
            name: "wait",
            params: &[I32, I32, I32, I32, I32],
        },
    ];

    /// The guest's view of [`MODULE`] (wasm32-wasip1 only). `subs` and
    /// `events` are preview1 `subscription` (48 bytes) and `event` (32
    /// bytes) arrays.
    #[cfg(target_os = "wasi")]
    #[allow(missing_docs)]
    pub mod raw {
        #[link(wasm_import_module = "wasio_poll_v1")]
        extern "C" {
            pub fn watch(fd: u32, interest: u32, userdata: u64) -> u16;
            pub fn unwatch(fd: u32) -> u16;
            pub fn wait(
                subs: *const u8,
                nsubs: usize,
                events: *mut u8,
                nevents: usize,
                out_n: *mut u32,
            ) -> u16;
        }
    }
}

/// Signals as readiness (`wasio_signal_v1`): a guest that asks for a
/// signal's fd takes that signal over from the host's default (stopping
/// the guest), and can stop accepting, drain and exit. `docs/abi.md`
/// specifies it.
pub mod signal {
    use super::{Function, ValType::I32};

    /// The import module. A guest that never asks for a signal imports
    /// nothing from it, and signals stop it as they stop any process.
    pub const MODULE: &str = "wasio_signal_v1";

    /// SIGINT (Ctrl-C).
    pub const INTERRUPT: u32 = 1;
    /// SIGTERM (what service managers send to stop a service).
    pub const TERMINATE: u32 = 2;

    /// Every function of [`MODULE`].
    pub const FUNCTIONS: &[Function] = &[Function {
        name: "signal_fd",
        params: &[I32, I32],
    }];

    /// The guest's view of [`MODULE`] (wasm32-wasip1 only).
    #[cfg(target_os = "wasi")]
    #[allow(missing_docs)]
    pub mod raw {
        #[link(wasm_import_module = "wasio_signal_v1")]
        extern "C" {
            pub fn signal_fd(signal: u32, out_fd: *mut u32) -> u16;
        }
    }
}

/// The guest's view: raw imports of [`MODULE`] (wasm32-wasip1 only).
/// Pointers are guest addresses; each returns a preview1 errno.
#[cfg(target_os = "wasi")]
#[allow(missing_docs)]
pub mod raw {
    #[link(wasm_import_module = "wasio_sock_v1")]
    extern "C" {
        pub fn socket(domain: u32, ty: u32, fdflags: u32, out_fd: *mut u32) -> u16;
        pub fn bind(fd: u32, addr: *const u8) -> u16;
        pub fn bind_unix(fd: u32, dirfd: u32, path: *const u8, path_len: usize) -> u16;
        pub fn listen(fd: u32, backlog: u32) -> u16;
        pub fn connect(fd: u32, addr: *const u8) -> u16;
        pub fn connect_unix(fd: u32, dirfd: u32, path: *const u8, path_len: usize) -> u16;
        pub fn send_to(
            fd: u32,
            iovs: *const u8,
            iovs_len: usize,
            addr: *const u8,
            out_sent: *mut u32,
        ) -> u16;
        pub fn recv_from(
            fd: u32,
            iovs: *const u8,
            iovs_len: usize,
            riflags: u32,
            out_len: *mut u32,
            out_roflags: *mut u16,
            out_addr: *mut u8,
        ) -> u16;
        pub fn local_addr(fd: u32, out_addr: *mut u8) -> u16;
        pub fn peer_addr(fd: u32, out_addr: *mut u8) -> u16;
        pub fn set_opt(fd: u32, opt: u32, value: u64) -> u16;
        pub fn get_opt(fd: u32, opt: u32, out_value: *mut u64) -> u16;
        pub fn multicast_join(fd: u32, group: *const u8, iface: *const u8) -> u16;
        pub fn multicast_leave(fd: u32, group: *const u8, iface: *const u8) -> u16;
        pub fn resolve(
            host: *const u8,
            host_len: usize,
            port: u32,
            out_addrs: *mut u8,
            max: u32,
            out_count: *mut u32,
        ) -> u16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{align_of, offset_of, size_of};

    #[test]
    fn sockaddr_layout_matches_the_spec() {
        assert_eq!(size_of::<SockAddr>(), SOCKADDR_SIZE);
        assert_eq!(align_of::<SockAddr>(), SOCKADDR_ALIGN);
        assert_eq!(offset_of!(SockAddr, family), 0);
        assert_eq!(offset_of!(SockAddr, port), 2);
        assert_eq!(offset_of!(SockAddr, flowinfo), 4);
        assert_eq!(offset_of!(SockAddr, addr), 8);
        assert_eq!(offset_of!(SockAddr, scope_id), 24);
        assert_eq!(offset_of!(SockAddr, reserved), 28);
    }

    #[test]
    fn encoding_is_little_endian_with_network_order_octets() {
        let a = SocketAddr::from((Ipv4Addr::new(10, 1, 2, 3), 0x1f90));
        let b = SockAddr::from(a).to_bytes();
        assert_eq!(&b[0..2], &[1, 0]);
        assert_eq!(&b[2..4], &[0x90, 0x1f]);
        assert_eq!(&b[8..12], &[10, 1, 2, 3]);
        assert!(b[12..].iter().all(|&x| x == 0));
    }

    #[test]
    fn round_trips() {
        let v6 = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 443, 7, 3));
        for a in [SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)), v6] {
            assert_eq!(
                SockAddr::from_bytes(&SockAddr::from(a).to_bytes()).to_socket_addr(),
                Some(a)
            );
        }
        assert_eq!(SockAddr::unix().to_socket_addr(), None);
        let mut junk = [0xffu8; SOCKADDR_SIZE];
        junk[0] = 9;
        assert_eq!(SockAddr::from_bytes(&junk).to_socket_addr(), None);
    }

    #[test]
    fn function_names_are_unique() {
        for table in [FUNCTIONS, poll::FUNCTIONS, signal::FUNCTIONS] {
            for (i, f) in table.iter().enumerate() {
                assert!(
                    table[i + 1..].iter().all(|g| g.name != f.name),
                    "{}",
                    f.name
                );
            }
        }
    }
}
