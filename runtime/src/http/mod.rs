//! hyper and axum on wasio (the `http` and `http2` cargo features).
//!
//! - [`serve`]: serve any tower `Service` — an axum `Router` as it is — on
//!   a wasio [`TcpListener`](crate::net::TcpListener): a task per
//!   connection, HTTP/1.1 keep-alive, HTTP/2 cleartext too with `http2`,
//!   graceful shutdown; HTTPS with [`Serve::with_tls`] (feature `tls`).
//! - [`ServeDir`]: static files from a directory (GET/HEAD, content types,
//!   byte ranges, `If-Modified-Since`), a tower service like tower-http's.
//! - [`client`]: open an HTTP/1.1 (or, with `http2`, HTTP/2) connection
//!   over any stream and get hyper's `SendRequest`.
//! - The glue hyper asks a runtime for, for using hyper directly:
//!   [`WasioIo`] (hyper's I/O traits over tokio's, reading into hyper's
//!   uninitialised buffer), [`WasioExecutor`] (no `Send` bound) and
//!   [`WasioTimer`].
//!
//! ```no_run
//! # #[cfg(any())] mod doc {
//! use axum::{routing::get, Router};
//!
//! #[wasio::main]
//! async fn main() -> std::io::Result<()> {
//!     let app = Router::new().route("/", get(|| async { "Hello from wasm" }));
//!     let listener = wasio::net::TcpListener::bind("127.0.0.1:8080").await?;
//!     wasio::http::serve(listener, app).await
//! }
//! # }
//! ```

pub mod client;
mod io;
mod rt;
mod serve;
mod serve_dir;

pub use io::WasioIo;
pub use rt::{WasioExecutor, WasioTimer};
pub use serve::{serve, Serve, WithGracefulShutdown};
pub use serve_dir::{FileBody, ServeDir};
