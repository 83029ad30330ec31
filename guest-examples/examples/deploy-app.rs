//! The service docs/deploy.md deploys: the files under `/static` (or the
//! directory given second) over HTTP, on the listener systemd or
//! `--tcplisten` hands over, else on one it binds (the address given
//! first, default 0.0.0.0:8080); SIGTERM drains it. Its `main` holds
//! deploy.md's "What the guest does" snippet line for line
//! (tests/tests/docs.rs checks that, and runs the recipes against it).
//!
//! `wasio run --workers auto --dir-ro ./static::/static deploy-app.wasm`

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "0.0.0.0:8080".into());
    let app = wasio::http::ServeDir::new(args.next().unwrap_or_else(|| "/static".into()));
    // A listener the host hands over (systemd's socket, or `--tcplisten`), else
    // one of our own on the address given (`--allow-listen 0.0.0.0:8080`).
    let listener = match wasio::net::TcpListener::from_preopened()? {
        Some(l) => l,
        None => wasio::net::TcpListener::bind(addr.as_str()).await?,
    };
    println!("listening on {}", listener.local_addr()?);
    wasio::http::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = wasio::signal::terminate().await; // SIGTERM: systemd, Kubernetes, docker stop
        })
        .drain_timeout(std::time::Duration::from_secs(20))
        .await?;
    Ok(())
}
