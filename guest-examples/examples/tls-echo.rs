//! `tls-echo ADDR CERT KEY`: a TLS 1.3 echo server. The certificate chain
//! and key are PEM files — under `wasio run`, in a preopened directory.
//!
//! `wasio run --allow-listen 127.0.0.1 --dir-ro ./certs::/certs tls-echo.wasm
//! 127.0.0.1:8443 /certs/cert.pem /certs/key.pem`, then
//! `openssl s_client -connect 127.0.0.1:8443 -tls1_3`.
//!
//! Prints `listening on ADDR`; every connection is a handshake and an
//! echo, in its own task, until the client closes. A failed handshake (a
//! plain-text client, an older TLS version) is logged and ends only that
//! connection.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use wasio::io::{AsyncReadExt, AsyncWriteExt};
use wasio::net::{TcpListener, TcpStream};
use wasio::tls::{rustls, TlsAcceptor};
use wasio_examples::server::accept_retrying;

/// Longest a client may take over its handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

async fn echo(acceptor: TlsAcceptor, tcp: TcpStream) -> std::io::Result<u64> {
    // The server's post-handshake tickets and the first echo are small
    // writes in a row: without this, Nagle holds the echo for the
    // client's delayed ACK (40 ms).
    tcp.set_nodelay(true)?;
    let mut tls = wasio::time::timeout(HANDSHAKE, acceptor.accept(tcp)).await??;
    let mut buf = vec![0u8; 16 * 1024];
    let mut total = 0u64;
    loop {
        let n = tls.read(&mut buf).await?;
        if n == 0 {
            tls.shutdown().await?;
            return Ok(total);
        }
        tls.write_all(&buf[..n]).await?;
        total += n as u64;
    }
}

#[wasio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, addr, cert, key] = &args[..] else {
        return Err("usage: tls-echo ADDR CERT KEY".into());
    };
    // TLS 1.3 only: rustls configured by hand, with wasio's loaders and
    // crypto provider.
    let config = rustls::ServerConfig::builder_with_provider(wasio::tls::provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(
            wasio::tls::load_certs(cert)?,
            wasio::tls::load_private_key(key)?,
        )?;
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (tcp, peer) = accept_retrying(|| listener.accept()).await;
        let acceptor = acceptor.clone();
        wasio::spawn(async move {
            if let Err(e) = echo(acceptor, tcp).await {
                eprintln!("tls-echo: {peer}: {e}");
            }
        });
    }
}
