//! `axum-json ADDR DATA_DIR`: an axum app served by `wasio::http::serve`,
//! with nothing in it but the app — JSON routes, a path parameter, a JSON
//! 404, a handler that awaits a timer, state shared between handlers, and
//! notes persisted to a file under DATA_DIR (a preopened dir under wasio).
//!
//! `wasio run --allow-listen 127.0.0.1 --dir ./data::/data axum-json.wasm
//! 127.0.0.1:8080 /data`
//!
//! Routes: `GET /`, `GET /notes`, `POST /notes` (`{"text": …}`),
//! `GET /notes/{id}`, `GET /slow/{ms}`, `GET /stats`, `POST /shutdown`
//! (stops accepting, lets requests in flight finish, exits). SIGTERM and
//! Ctrl-C shut it down the same way (`wasio::signal`).
//!
//! What a client can make it hold is capped: a request body over
//! `MAX_BODY` bytes gets `413` (before it is read), a note over
//! `MAX_NOTE` bytes `413`, and past `MAX_NOTES` notes (or the
//! `MAX_NOTES` environment variable) a new one gets `507`: the notes, and
//! the file rewritten on every POST, stay small.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// Largest request body read (axum's own default is 2 MB).
const MAX_BODY: usize = 16 * 1024;
/// Longest note text, in bytes.
const MAX_NOTE: usize = 4 * 1024;
/// Most notes kept, unless `MAX_NOTES` in the environment says otherwise.
const MAX_NOTES: usize = 1000;

#[derive(Clone, Serialize, Deserialize)]
struct Note {
    id: u64,
    text: String,
}

#[derive(Deserialize)]
struct NewNote {
    text: String,
}

/// What the handlers share.
#[derive(Clone)]
struct App {
    notes: Arc<Mutex<BTreeMap<u64, Note>>>,
    requests: Arc<Mutex<u64>>,
    max_notes: usize,
    file: PathBuf,
    shutdown: Arc<Mutex<Option<wasio::sync::oneshot::Sender<()>>>>,
}

impl App {
    fn count(&self) {
        *self.requests.lock().unwrap() += 1;
    }
}

fn error(status: StatusCode, msg: &str) -> (StatusCode, Json<serde_json::Value>) {
    (status, Json(serde_json::json!({ "error": msg })))
}

async fn root(State(app): State<App>) -> Json<serde_json::Value> {
    app.count();
    Json(serde_json::json!({ "service": "axum-json", "runtime": "wasio" }))
}

async fn list(State(app): State<App>) -> Json<Vec<Note>> {
    app.count();
    Json(app.notes.lock().unwrap().values().cloned().collect())
}

async fn create(State(app): State<App>, Json(new): Json<NewNote>) -> impl IntoResponse {
    app.count();
    if new.text.len() > MAX_NOTE {
        let msg = format!("a note holds at most {MAX_NOTE} bytes");
        return error(StatusCode::PAYLOAD_TOO_LARGE, &msg).into_response();
    }
    let (note, all) = {
        let mut notes = app.notes.lock().unwrap();
        if notes.len() >= app.max_notes {
            let msg = format!("the service keeps at most {} notes", app.max_notes);
            return error(StatusCode::INSUFFICIENT_STORAGE, &msg).into_response();
        }
        let id = notes.keys().next_back().map_or(1, |k| k + 1);
        let note = Note { id, text: new.text };
        notes.insert(id, note.clone());
        (note, notes.values().cloned().collect::<Vec<_>>())
    };
    let json = serde_json::to_vec_pretty(&all).expect("notes serialise");
    match wasio::fs::write(&app.file, json).await {
        Ok(()) => (
            StatusCode::CREATED,
            Json(serde_json::to_value(note).unwrap()),
        )
            .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()).into_response(),
    }
}

async fn one(State(app): State<App>, Path(id): Path<u64>) -> impl IntoResponse {
    app.count();
    match app.notes.lock().unwrap().get(&id) {
        Some(n) => Json(serde_json::to_value(n).unwrap()).into_response(),
        None => error(StatusCode::NOT_FOUND, &format!("no note {id}")).into_response(),
    }
}

async fn slow(State(app): State<App>, Path(ms): Path<u64>) -> Json<serde_json::Value> {
    app.count();
    wasio::time::sleep(Duration::from_millis(ms.min(10_000))).await;
    Json(serde_json::json!({ "slept_ms": ms }))
}

async fn stats(State(app): State<App>) -> Json<serde_json::Value> {
    app.count();
    let notes = app.notes.lock().unwrap().len();
    let requests = *app.requests.lock().unwrap();
    Json(serde_json::json!({ "requests": requests, "notes": notes }))
}

async fn shutdown(State(app): State<App>) -> StatusCode {
    if let Some(tx) = app.shutdown.lock().unwrap().take() {
        let _ = tx.send(());
    }
    StatusCode::ACCEPTED
}

async fn not_found() -> impl IntoResponse {
    error(StatusCode::NOT_FOUND, "no such route")
}

/// A signal's name once it came; if it cannot be waited for, never.
async fn signal(r: std::io::Result<()>, name: &'static str) -> &'static str {
    match r {
        Ok(()) => name,
        Err(e) => {
            eprintln!("axum-json: cannot wait for {name}: {e}");
            std::future::pending().await
        }
    }
}

#[wasio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".into());
    let dir = PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let file = dir.join("notes.json");
    let notes: Vec<Note> = match wasio::fs::read(&file).await {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let (tx, rx) = wasio::sync::oneshot::channel();
    let app = App {
        notes: Arc::new(Mutex::new(notes.into_iter().map(|n| (n.id, n)).collect())),
        requests: Arc::default(),
        max_notes: std::env::var("MAX_NOTES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(MAX_NOTES),
        file,
        shutdown: Arc::new(Mutex::new(Some(tx))),
    };
    let router = Router::new()
        .route("/", get(root))
        .route("/notes", get(list).post(create))
        .route("/notes/{id}", get(one))
        .route("/slow/{ms}", get(slow))
        .route("/stats", get(stats))
        .route("/shutdown", post(shutdown))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app);
    let listener = wasio::net::TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    wasio::http::serve(listener, router)
        .with_graceful_shutdown(async {
            // `POST /shutdown`, SIGTERM (a service manager stopping us) or
            // Ctrl-C: stop accepting, let requests in flight finish.
            let why = wasio::select! {
                _ = rx => "POST /shutdown",
                r = wasio::signal::terminate() => signal(r, "SIGTERM").await,
                r = wasio::signal::ctrl_c() => signal(r, "SIGINT").await,
            };
            eprintln!("axum-json: {why}: draining");
        })
        .await?;
    println!("shut down cleanly");
    Ok(())
}
