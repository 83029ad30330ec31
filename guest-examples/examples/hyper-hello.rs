//! `hyper-hello ADDR`: hyper's hello-world server (HTTP/1.1, keep-alive)
//! written with hyper directly on wasio's glue — the same program as
//! hyper's own example on tokio, with `TokioIo` and `tokio::spawn`
//! replaced by `WasioIo` and `wasio::spawn`. `make bench` runs it against
//! that tokio program.
//!
//! `wasio run --allow-listen 127.0.0.1 hyper-hello.wasm 127.0.0.1:3000`,
//! then `curl http://127.0.0.1:3000/`.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use wasio::http::{WasioIo, WasioTimer};
use wasio::net::TcpListener;
use wasio_examples::server::accept_retrying;

async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from("Hello, World!"))))
}

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (stream, _) = accept_retrying(|| listener.accept()).await;
        stream.set_nodelay(true)?;
        wasio::spawn(async move {
            let conn = http1::Builder::new()
                .timer(WasioTimer)
                .serve_connection(WasioIo::new(stream), service_fn(hello));
            if let Err(e) = conn.await {
                eprintln!("hyper-hello: connection ended: {e}");
            }
        });
    }
}
