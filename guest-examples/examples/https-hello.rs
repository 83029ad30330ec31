//! `https-hello ADDR CERT KEY`: an axum app over TLS, served with
//! `wasio::http::serve(listener, app).with_tls(acceptor)` — HTTP/1.1 and,
//! chosen by ALPN, HTTP/2.
//!
//! `wasio run --allow-listen 127.0.0.1 --dir-ro ./certs::/certs
//! https-hello.wasm 127.0.0.1:8443 /certs/cert.pem /certs/key.pem`, then
//! `curl --cacert ca.pem https://localhost:8443/`.
//!
//! Routes: `GET /` (text), `GET /hello/{name}` (JSON).

use std::error::Error;
use std::sync::Arc;

use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};

#[wasio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, addr, cert, key] = &args[..] else {
        return Err("usage: https-hello ADDR CERT KEY".into());
    };
    let mut config = wasio::tls::server_config(cert, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = wasio::tls::TlsAcceptor::from(Arc::new(config));

    let app = Router::new()
        .route("/", get(|| async { "Hello over TLS from wasio\n" }))
        .route(
            "/hello/{name}",
            get(|Path(name): Path<String>| async move {
                Json(serde_json::json!({ "hello": name, "tls": true }))
            }),
        );
    let listener = wasio::net::TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    wasio::http::serve(listener, app).with_tls(acceptor).await?;
    Ok(())
}
