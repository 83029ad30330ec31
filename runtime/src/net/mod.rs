//! Networking: TCP, UDP and Unix sockets, and name resolution.
//!
//! The same code runs on both targets. On wasm32-wasip1 sockets are
//! created, bound, connected and addressed through the wasio socket
//! extension (granted by `wasio run --allow-listen/--allow-connect/...`),
//! and read, written, accepted and waited on with plain preview1 calls;
//! natively the same operations are system calls. A host that preopens a
//! listener (`wasio run --tcplisten`) is served through
//! [`TcpListener::from_preopened`].
//!
//! ```no_run
//! use wasio::io::{AsyncReadExt, AsyncWriteExt};
//! use wasio::net::TcpStream;
//!
//! #[wasio::main]
//! async fn main() -> std::io::Result<()> {
//!     let mut s = TcpStream::connect("127.0.0.1:7000").await?;
//!     s.write_all(b"ping").await?;
//!     let mut buf = [0u8; 4];
//!     s.read_exact(&mut buf).await?;
//!     Ok(())
//! }
//! ```

mod addr;
pub mod halves;
pub(crate) mod socket;
pub mod tcp;
mod tcp_socket;
mod udp;
pub mod unix;

pub use addr::{lookup_host, ToSocketAddrs};
pub use tcp::{TcpListener, TcpStream};
pub use tcp_socket::TcpSocket;
pub use udp::UdpSocket;
pub use unix::{SocketAddr as UnixSocketAddr, UnixDatagram, UnixListener, UnixSocket, UnixStream};
