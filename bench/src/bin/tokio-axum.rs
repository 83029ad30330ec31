//! The route `make bench` loads in the `axum-json` example (`GET /`: a
//! JSON object, a request counter shared by the handlers behind a
//! mutex), served by `axum::serve` on stock tokio (current-thread).

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Json, Router};

async fn root(State(requests): State<Arc<Mutex<u64>>>) -> Json<serde_json::Value> {
    *requests.lock().unwrap() += 1;
    Json(serde_json::json!({ "service": "axum-json", "runtime": "wasio" }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let app = Router::new()
        .route("/", get(root))
        .with_state(Arc::new(Mutex::new(0u64)));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    // As wasio::http::serve does.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await
}
