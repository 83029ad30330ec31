//! An axum app written for stock tokio, served by `axum::serve` itself,
//! with tower-http's `TimeoutLayer` (what panics under wasio's own runtime
//! on wasm32-wasip1, where nothing drives tokio's timers): `GET /` says
//! hello, `POST /sum` adds a JSON list of numbers, and `GET /sleep/MS`
//! answers after MS milliseconds, unless the 500 ms timeout answers 408
//! first. `p2-axum [ADDR]`; prints `listening on ADDR` once bound.

use std::time::Duration;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tower_http::timeout::TimeoutLayer;

/// `POST /sum`'s body.
#[derive(Deserialize)]
struct Numbers {
    values: Vec<i64>,
}

/// `POST /sum`'s answer.
#[derive(Serialize)]
struct Sum {
    count: usize,
    sum: i64,
}

async fn sum(Json(n): Json<Numbers>) -> Json<Sum> {
    Json(Sum {
        count: n.values.len(),
        sum: n.values.iter().sum(),
    })
}

async fn sleep(Path(ms): Path<u64>) -> String {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    format!("slept {ms} ms\n")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let app = Router::new()
        .route("/", get(|| async { "Hello from axum::serve\n" }))
        .route("/sum", post(sum))
        .route("/sleep/{ms}", get(sleep))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_millis(500),
        ));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    axum::serve(listener, app).await
}
