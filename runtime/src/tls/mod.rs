//! TLS on wasio (the `tls` cargo feature): rustls over any wasio stream,
//! through tokio-rustls, with certificates and keys read from files — a
//! preopened directory under `wasio run`.
//!
//! The crypto provider is RustCrypto's, pure Rust, so a guest with TLS
//! builds for `wasm32-wasip1` on a machine without clang. With the
//! `tls-ring` feature [`provider`] is ring's instead: handshakes cost about
//! half as much, but ring compiles C and assembly, which for wasm32 needs
//! clang (see docs/ecosystem.md for the figures).
//!
//! A TLS echo server and a client, the whole of it:
//!
//! ```no_run
//! use wasio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! #[wasio::main]
//! async fn main() -> std::io::Result<()> {
//!     // Under `wasio run --dir ./certs::/certs`.
//!     let acceptor = wasio::tls::acceptor("/certs/cert.pem", "/certs/key.pem")?;
//!     let listener = wasio::net::TcpListener::bind("127.0.0.1:8443").await?;
//!     wasio::spawn(async move {
//!         loop {
//!             let Ok((tcp, _)) = listener.accept().await else { continue };
//!             let acceptor = acceptor.clone();
//!             wasio::spawn(async move {
//!                 let mut tls = acceptor.accept(tcp).await?;
//!                 let mut buf = [0u8; 1024];
//!                 loop {
//!                     let n = tls.read(&mut buf).await?;
//!                     if n == 0 {
//!                         return tls.shutdown().await;
//!                     }
//!                     tls.write_all(&buf[..n]).await?;
//!                 }
//!             });
//!         }
//!     });
//!
//!     let connector = wasio::tls::connector("/certs/ca.pem")?;
//!     let tcp = wasio::net::TcpStream::connect("127.0.0.1:8443").await?;
//!     let mut tls = wasio::tls::connect(&connector, "localhost", tcp).await?;
//!     tls.write_all(b"ping").await?;
//!     let mut back = [0u8; 4];
//!     tls.read_exact(&mut back).await?;
//!     Ok(())
//! }
//! ```

mod pem;

use std::io;
use std::path::Path;
use std::sync::Arc;

pub use pem::{load_certs, load_private_key, load_roots};
/// rustls itself, for building configurations by hand.
pub use rustls;
pub use rustls::pki_types::ServerName;
pub use rustls::{ClientConfig, ServerConfig};
/// The TLS stream types (`client::TlsStream`, `server::TlsStream`).
pub use tokio_rustls::{client, server};
pub use tokio_rustls::{Accept, Connect, TlsAcceptor, TlsConnector, TlsStream};

use rustls::crypto::CryptoProvider;

/// The crypto provider wasio's helpers build configurations with:
/// RustCrypto's (pure Rust), or ring's with the `tls-ring` feature.
pub fn provider() -> Arc<CryptoProvider> {
    #[cfg(feature = "tls-ring")]
    {
        Arc::new(rustls::crypto::ring::default_provider())
    }
    #[cfg(not(feature = "tls-ring"))]
    {
        Arc::new(rustls_rustcrypto::provider())
    }
}

fn tls_error(what: &str, e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("{what}: {e}"))
}

/// A server configuration for the certificate chain in `cert_chain` (PEM,
/// leaf first) and the private key in `key` (PEM: PKCS#8, PKCS#1 or
/// SEC1), with TLS 1.3 and 1.2 and no client authentication. Adjust it
/// before use — `alpn_protocols`, for instance — or pass it to
/// [`TlsAcceptor::from`] wrapped in an `Arc`.
///
/// Errors name the file and what was wrong with it (missing, no
/// certificate in it, a key that does not match the certificate).
pub fn server_config(
    cert_chain: impl AsRef<Path>,
    key: impl AsRef<Path>,
) -> io::Result<ServerConfig> {
    let certs = load_certs(cert_chain.as_ref())?;
    let key_der = load_private_key(key.as_ref())?;
    ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("TLS versions", e))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| {
            tls_error(
                &format!(
                    "certificate {} with key {}",
                    cert_chain.as_ref().display(),
                    key.as_ref().display()
                ),
                e,
            )
        })
}

/// An acceptor for [`server_config`]`(cert_chain, key)`.
pub fn acceptor(cert_chain: impl AsRef<Path>, key: impl AsRef<Path>) -> io::Result<TlsAcceptor> {
    Ok(TlsAcceptor::from(Arc::new(server_config(cert_chain, key)?)))
}

/// A client configuration that trusts the CA certificates in `ca_file`
/// (PEM; the sandbox has no system store), with TLS 1.3 and 1.2 and no
/// client certificate.
pub fn client_config(ca_file: impl AsRef<Path>) -> io::Result<ClientConfig> {
    let roots = load_roots(ca_file.as_ref())?;
    Ok(ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("TLS versions", e))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// A connector for [`client_config`]`(ca_file)`.
pub fn connector(ca_file: impl AsRef<Path>) -> io::Result<TlsConnector> {
    Ok(TlsConnector::from(Arc::new(client_config(ca_file)?)))
}

/// Opens TLS on `stream` as a client of `domain` (a DNS name, or an IP
/// address in text), checking the server's certificate against it.
pub async fn connect<IO>(
    connector: &TlsConnector,
    domain: &str,
    stream: IO,
) -> io::Result<client::TlsStream<IO>>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let name = ServerName::try_from(domain.to_string()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{domain:?} is not a DNS name or IP address"),
        )
    })?;
    connector.connect(name, stream).await
}
