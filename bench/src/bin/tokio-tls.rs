//! `tokio-tls ADDR CERT KEY [rustcrypto|ring]`: the `tls-echo` example's
//! server (TLS 1.3 only, echo) on stock tokio with tokio-rustls, for
//! `make bench`; with `ring`, on ring's crypto provider instead of
//! RustCrypto's, to show what the switch buys.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (addr, cert, key) = match &args[..] {
        [_, a, c, k] | [_, a, c, k, _] => (a, c, k),
        _ => return Err("usage: tokio-tls ADDR CERT KEY [rustcrypto|ring]".into()),
    };
    let provider: CryptoProvider = match args.get(4).map(String::as_str) {
        None | Some("rustcrypto") => rustls_rustcrypto::provider(),
        Some("ring") => rustls::crypto::ring::default_provider(),
        Some(p) => return Err(format!("unknown provider {p}").into()),
    };
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(
            wasio::tls::load_certs(cert)?,
            wasio::tls::load_private_key(key)?,
        )?;
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let Ok(mut tls) = acceptor.accept(tcp).await else {
                return;
            };
            let mut buf = vec![0u8; 16 * 1024];
            while let Ok(n) = tls.read(&mut buf).await {
                if n == 0 || tls.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
            let _ = tls.shutdown().await;
        });
    }
}
