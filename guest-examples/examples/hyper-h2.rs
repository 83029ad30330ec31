//! `hyper-h2 ADDR`: an HTTP/2 cleartext (prior knowledge) server written
//! with hyper directly — `hyper::server::conn::http2` on wasio's glue
//! (`WasioIo`, `WasioExecutor`, `WasioTimer`) — answering every request
//! with its path and how many requests this connection has served.
//!
//! `wasio run --allow-listen 127.0.0.1 hyper-h2.wasm 127.0.0.1:8443`, then
//! `curl --http2-prior-knowledge http://127.0.0.1:8443/hi`.

use std::cell::Cell;
use std::convert::Infallible;
use std::rc::Rc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper::{Request, Response};
use wasio::http::{WasioExecutor, WasioIo, WasioTimer};
use wasio::net::TcpListener;

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8443".into());
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        // Per-connection state: no `Send` needed, wasio runs one thread.
        let served = Rc::new(Cell::new(0u64));
        let service = service_fn(move |req: Request<Incoming>| {
            let served = served.clone();
            async move {
                served.set(served.get() + 1);
                let text = format!(
                    "{} (request {} on this connection)",
                    req.uri().path(),
                    served.get()
                );
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(text))))
            }
        });
        wasio::spawn(async move {
            let conn = http2::Builder::new(WasioExecutor)
                .timer(WasioTimer)
                .serve_connection(WasioIo::new(stream), service);
            if let Err(e) = conn.await {
                eprintln!("hyper-h2: connection ended: {e}");
            }
        });
    }
}
