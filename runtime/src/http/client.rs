//! HTTP client connections over any wasio stream.

use std::error::Error as StdError;
use std::io;

use hyper::client::conn::http1;

use super::WasioIo;

type BoxError = Box<dyn StdError + Send + Sync>;

fn other(e: hyper::Error) -> io::Error {
    io::Error::other(e)
}

/// Opens an HTTP/1.1 connection over `stream` (a wasio `TcpStream`, a TLS
/// stream, …), drives it on a wasio task, and returns hyper's
/// `SendRequest` for sending requests on it (one at a time; keep-alive
/// reuses the connection).
///
/// ```no_run
/// use http_body_util::{BodyExt, Empty};
/// use bytes::Bytes;
///
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let stream = wasio::net::TcpStream::connect("127.0.0.1:8080").await?;
/// let mut send = wasio::http::client::http1::<Empty<Bytes>, _>(stream).await?;
/// let req = http::Request::get("/").header("host", "localhost").body(Empty::new())?;
/// let resp = send.send_request(req).await?;
/// let body = resp.into_body().collect().await?.to_bytes();
/// # Ok(()) }
/// ```
pub async fn http1<B, T>(stream: T) -> io::Result<http1::SendRequest<B>>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + 'static,
    B: http_body::Body + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let (send, conn) = http1::handshake(WasioIo::new(stream))
        .await
        .map_err(other)?;
    drop(crate::spawn(async move {
        let _ = conn.await;
    }));
    Ok(send)
}

/// Opens an HTTP/2 connection (prior knowledge, or over TLS after ALPN
/// said `h2`) over `stream`, drives it on wasio tasks, and returns hyper's
/// `SendRequest` (requests may run concurrently on it).
#[cfg(feature = "http2")]
pub async fn http2<B, T>(stream: T) -> io::Result<hyper::client::conn::http2::SendRequest<B>>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + 'static,
    B: http_body::Body + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let (send, conn) = hyper::client::conn::http2::Builder::new(super::WasioExecutor)
        .timer(super::WasioTimer)
        .handshake(WasioIo::new(stream))
        .await
        .map_err(other)?;
    drop(crate::spawn(async move {
        let _ = conn.await;
    }));
    Ok(send)
}
