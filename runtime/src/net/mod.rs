//! Networking: TCP over sockets the host hands the guest.
//!
//! Under `wasio run --tcplisten ADDR` (or any preview1 host that preopens
//! sockets) a guest finds its listeners with
//! [`TcpListener::from_preopened`]. Natively the same call reads systemd
//! socket activation (`LISTEN_FDS`), and [`TcpListener::bind`] /
//! [`TcpStream::connect`] work as usual; on wasm32-wasip1 those two need
//! the wasio socket extension and report `Unsupported` until it exists.

mod tcp;

pub use tcp::{TcpListener, TcpStream};
