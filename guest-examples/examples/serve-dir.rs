//! `serve-dir ADDR DIR`: the files under DIR over HTTP, with
//! `wasio::http::ServeDir` (GET and HEAD, content types, byte ranges,
//! `If-Modified-Since`, `index.html`; nothing above DIR).
//!
//! `wasio run --allow-listen 127.0.0.1 --dir-ro ./site::/site
//! serve-dir.wasm 127.0.0.1:8080 /site`

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".into());
    let dir = args.next().unwrap_or_else(|| ".".into());
    let listener = wasio::net::TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    wasio::http::serve(listener, wasio::http::ServeDir::new(dir)).await
}
