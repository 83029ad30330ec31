//! hyper and axum on wasio: the `axum-json` example (an axum `Router`
//! served with one call to `wasio::http::serve`) under `wasio run` and
//! natively, over HTTP/1.1 keep-alive and HTTP/2 cleartext, with graceful
//! shutdown and data persisted to a preopened dir.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use wasio_tests::*;

const LIMIT: Duration = Duration::from_secs(60);

/// The server process, killed when dropped (so a failing test leaves
/// nothing running).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn axum_json(
    wasm_build: bool,
    data: &Path,
) -> (Killed, BufReader<std::process::ChildStdout>, String) {
    axum_json_with(wasm_build, data, &[])
}

fn axum_json_with(
    wasm_build: bool,
    data: &Path,
    env: &[(&str, &str)],
) -> (Killed, BufReader<std::process::ChildStdout>, String) {
    let mut c = if wasm_build {
        let p = target_dir()
            .join("wasm32-wasip1")
            .join(profile())
            .join("examples/axum-json.wasm");
        let mut c = wasio_run();
        for (k, v) in env {
            c.arg("--env").arg(format!("{k}={v}"));
        }
        c.args(["--allow-listen", "127.0.0.1", "--dir"])
            .arg(format!("{}::/data", data.display()))
            .arg(p)
            .args(["127.0.0.1:0", "/data"]);
        c
    } else {
        let mut c = Command::new(target_dir().join(profile()).join("examples/axum-json"));
        c.envs(env.iter().copied()).arg("127.0.0.1:0").arg(data);
        c
    };
    let mut child = c.stdout(Stdio::piped()).spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let addr = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected {line:?}"))
        .trim()
        .to_string();
    (Killed(child), out, addr)
}

/// One HTTP/1.1 request on `s` (kept alive); returns status and body.
fn request(s: &mut BufReader<TcpStream>, method: &str, path: &str, body: &str) -> (u16, String) {
    let extra = if body.is_empty() {
        String::new()
    } else {
        format!(
            "content-type: application/json\r\ncontent-length: {}\r\n",
            body.len()
        )
    };
    let req = format!("{method} {path} HTTP/1.1\r\nhost: test\r\n{extra}\r\n{body}");
    s.get_mut().write_all(req.as_bytes()).unwrap();
    let mut status = String::new();
    s.read_line(&mut status).unwrap();
    let code: u16 = status
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status:?}"));
    let mut len = 0;
    loop {
        let mut h = String::new();
        s.read_line(&mut h).unwrap();
        if h == "\r\n" {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
    }
    let mut b = vec![0; len];
    s.read_exact(&mut b).unwrap();
    (code, String::from_utf8(b).unwrap())
}

fn connect(addr: &str) -> BufReader<TcpStream> {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    BufReader::new(s)
}

#[test]
fn axum_app_serves_json_keeps_alive_persists_and_drains() {
    for wasm_build in [true, false] {
        let data = tempfile::tempdir().unwrap();
        let (mut child, mut out, addr) = axum_json(wasm_build, data.path());
        let mut c = connect(&addr);
        // Every request on one kept-alive connection.
        assert_eq!(
            request(&mut c, "GET", "/", ""),
            (200, r#"{"runtime":"wasio","service":"axum-json"}"#.into())
        );
        assert_eq!(
            request(&mut c, "POST", "/notes", r#"{"text":"first"}"#),
            (201, r#"{"id":1,"text":"first"}"#.into())
        );
        assert_eq!(
            request(&mut c, "POST", "/notes", r#"{"text":"second"}"#),
            (201, r#"{"id":2,"text":"second"}"#.into())
        );
        assert_eq!(
            request(&mut c, "GET", "/notes/2", ""),
            (200, r#"{"id":2,"text":"second"}"#.into())
        );
        assert_eq!(
            request(&mut c, "GET", "/notes/9", ""),
            (404, r#"{"error":"no note 9"}"#.into())
        );
        assert_eq!(
            request(&mut c, "GET", "/no/such/thing", ""),
            (404, r#"{"error":"no such route"}"#.into())
        );
        // Not JSON: axum's rejection (its wording is axum's business).
        assert_eq!(request(&mut c, "POST", "/notes", "not json").0, 400);
        assert_eq!(
            request(&mut c, "GET", "/slow/30", ""),
            (200, r#"{"slept_ms":30}"#.into())
        );
        assert_eq!(
            request(&mut c, "GET", "/stats", ""),
            (200, r#"{"notes":2,"requests":7}"#.into())
        );
        // The notes were written to the preopened dir.
        let saved = std::fs::read_to_string(data.path().join("notes.json")).unwrap();
        assert!(saved.contains("\"second\""), "{saved}");

        // Graceful shutdown: a slow request in flight finishes, then the
        // server exits 0 and refuses new connections.
        let slow_addr = addr.clone();
        let slow =
            std::thread::spawn(move || request(&mut connect(&slow_addr), "GET", "/slow/700", ""));
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(request(&mut c, "POST", "/shutdown", "").0, 202);
        assert_eq!(slow.join().unwrap(), (200, r#"{"slept_ms":700}"#.into()));
        let mut rest = String::new();
        out.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "shut down cleanly\n");
        assert!(child.0.wait().unwrap().success());
        assert!(
            TcpStream::connect(&addr).is_err(),
            "still accepting after shutdown"
        );

        // A new server on the same dir has the notes.
        let (child, _out, addr) = axum_json(wasm_build, data.path());
        let mut c = connect(&addr);
        assert_eq!(
            request(&mut c, "GET", "/notes", ""),
            (
                200,
                r#"[{"id":1,"text":"first"},{"id":2,"text":"second"}]"#.into()
            )
        );
        drop(child);
    }
}

/// HTTP/2 cleartext (prior knowledge) with a Rust h2 client: hyper's, on
/// wasio natively (`wasio::http::client::http2`), several requests at
/// once on one connection.
#[test]
fn axum_app_speaks_h2c() {
    use http_body_util::{BodyExt, Empty};
    for wasm_build in [true, false] {
        let data = tempfile::tempdir().unwrap();
        let (child, _out, addr) = axum_json(wasm_build, data.path());
        let bodies = wasio::block_on(async move {
            let s = wasio::net::TcpStream::connect(addr.as_str()).await.unwrap();
            let send = wasio::http::client::http2::<Empty<bytes::Bytes>, _>(s)
                .await
                .unwrap();
            let reqs = (0..4).map(|i| {
                let mut send = send.clone();
                wasio::spawn(async move {
                    let req = http::Request::get(format!("http://test/slow/{}", 10 * i))
                        .body(Empty::new())
                        .unwrap();
                    let resp = send.send_request(req).await.unwrap();
                    assert_eq!(resp.version(), http::Version::HTTP_2);
                    assert_eq!(resp.status(), 200);
                    let b = resp.into_body().collect().await.unwrap().to_bytes();
                    String::from_utf8(b.to_vec()).unwrap()
                })
            });
            let mut out = Vec::new();
            for r in reqs.collect::<Vec<_>>() {
                out.push(r.await.unwrap());
            }
            out
        });
        assert_eq!(
            bodies,
            (0..4)
                .map(|i| format!(r#"{{"slept_ms":{}}}"#, 10 * i))
                .collect::<Vec<_>>()
        );
        drop(child);
    }
}

/// `wasio::http::client::http1`: requests one after another on one
/// kept-alive connection to the wasm server (and the native one).
#[test]
fn http1_client_reuses_its_connection() {
    use http_body_util::{BodyExt, Full};
    for wasm_build in [true, false] {
        let data = tempfile::tempdir().unwrap();
        let (child, _out, addr) = axum_json(wasm_build, data.path());
        let (bodies, stats) = wasio::block_on(async move {
            let s = wasio::net::TcpStream::connect(addr.as_str()).await.unwrap();
            let mut send = wasio::http::client::http1::<Full<bytes::Bytes>, _>(s)
                .await
                .unwrap();
            let mut bodies = Vec::new();
            for text in ["a", "b", "c"] {
                send.ready().await.unwrap();
                let req = http::Request::post("/notes")
                    .header("host", "test")
                    .header("content-type", "application/json")
                    .body(Full::from(format!(r#"{{"text":"{text}"}}"#)))
                    .unwrap();
                let resp = send.send_request(req).await.unwrap();
                assert_eq!(resp.status(), 201);
                let b = resp.into_body().collect().await.unwrap().to_bytes();
                bodies.push(String::from_utf8(b.to_vec()).unwrap());
            }
            send.ready().await.unwrap();
            let req = http::Request::get("/stats")
                .header("host", "test")
                .body(Full::default())
                .unwrap();
            let b = send
                .send_request(req)
                .await
                .unwrap()
                .into_body()
                .collect()
                .await;
            (
                bodies,
                String::from_utf8(b.unwrap().to_bytes().to_vec()).unwrap(),
            )
        });
        assert_eq!(
            bodies,
            [
                r#"{"id":1,"text":"a"}"#,
                r#"{"id":2,"text":"b"}"#,
                r#"{"id":3,"text":"c"}"#
            ]
        );
        assert_eq!(stats, r#"{"notes":3,"requests":4}"#);
        drop(child);
    }
}

/// A std HTTP/1.1 server for the client example: counts connections,
/// answers `/slow` after 1 s, everything else at once with the path.
fn counting_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let conns = std::sync::Arc::new(AtomicUsize::new(0));
    let c2 = conns.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { break };
            c2.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut w = s.try_clone().unwrap();
                let mut r = BufReader::new(s);
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split(' ').nth(1).unwrap_or("").to_string();
                    loop {
                        let mut h = String::new();
                        if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                    }
                    if path == "/slow" {
                        std::thread::sleep(Duration::from_secs(1));
                    }
                    let body = format!("you asked for {path}");
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if w.write_all(resp.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, conns)
}

/// The `http-client` example: three GETs on one kept-alive connection,
/// a request that outlives its 300 ms timeout, and one more on a new
/// connection.
#[test]
fn http_client_example_keeps_alive_and_times_out() {
    for wasm_build in [true, false] {
        let (addr, conns) = counting_server();
        let mut c = if wasm_build {
            let mut c = wasio_run();
            c.args(["--allow-connect", "127.0.0.1"]).arg(
                target_dir()
                    .join("wasm32-wasip1")
                    .join(profile())
                    .join("examples/http-client.wasm"),
            );
            c
        } else {
            Command::new(target_dir().join(profile()).join("examples/http-client"))
        };
        c.args([addr.as_str(), "300", "/a", "/b", "/c", "/slow", "/d"]);
        let out = run(&mut c, LIMIT);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            stdout(&out),
            "/a 200 you asked for /a\n/b 200 you asked for /b\n/c 200 you asked for /c\n\
             /slow timeout\n/d 200 you asked for /d\nconnections 2\n"
        );
        assert_eq!(
            conns.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "wasm={wasm_build}"
        );
    }
}

/// The `hyper-h2` example (hyper's own HTTP/2 server on wasio's glue):
/// three concurrent streams on one connection, counted by the server.
#[test]
fn hyper_h2_example_serves_concurrent_streams() {
    use http_body_util::{BodyExt, Empty};
    for wasm_build in [true, false] {
        let mut c = if wasm_build {
            let mut c = wasio_run();
            c.args(["--allow-listen", "127.0.0.1"]).arg(
                target_dir()
                    .join("wasm32-wasip1")
                    .join(profile())
                    .join("examples/hyper-h2.wasm"),
            );
            c
        } else {
            Command::new(target_dir().join(profile()).join("examples/hyper-h2"))
        };
        let srv = Server::spawn("hyper-h2", {
            c.arg("127.0.0.1:0");
            c
        });
        let addr = srv.addr.clone();
        let mut bodies = wasio::block_on(async move {
            let s = wasio::net::TcpStream::connect(addr.as_str()).await.unwrap();
            let send = wasio::http::client::http2::<Empty<bytes::Bytes>, _>(s)
                .await
                .unwrap();
            let tasks: Vec<_> = ["/x", "/y", "/z"]
                .into_iter()
                .map(|p| {
                    let mut send = send.clone();
                    wasio::spawn(async move {
                        let req = http::Request::get(format!("http://test{p}"))
                            .body(Empty::new())
                            .unwrap();
                        let resp = send.send_request(req).await.unwrap();
                        assert_eq!(resp.version(), http::Version::HTTP_2);
                        let b = resp.into_body().collect().await.unwrap().to_bytes();
                        String::from_utf8(b.to_vec()).unwrap()
                    })
                })
                .collect();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        });
        // Each path once, and the server counted three requests.
        bodies.sort();
        let paths: Vec<_> = bodies
            .iter()
            .map(|b| b.split(' ').next().unwrap())
            .collect();
        assert_eq!(paths, ["/x", "/y", "/z"], "{bodies:?}");
        let mut counts: Vec<_> = bodies
            .iter()
            .map(|b| {
                b.split("request ")
                    .nth(1)
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        counts.sort();
        assert_eq!(counts, ["1", "2", "3"], "{bodies:?}");
    }
}

/// What a client can make the axum app hold is capped: a 1.9 MB body is
/// refused (`413`) before it is read, a note over 4 KiB is `413`, and
/// past `MAX_NOTES` notes a new one is `507`; the app serves on. (It used
/// to keep every note, rewriting all of them on each POST: 1.3 GB in 30 s
/// under four clients.) Both builds.
#[test]
fn axum_app_caps_what_a_client_can_post() {
    for wasm_build in [true, false] {
        let data = tempfile::tempdir().unwrap();
        let (_child, _out, addr) = axum_json_with(wasm_build, data.path(), &[("MAX_NOTES", "20")]);
        // A huge body: the status comes back whatever the client still
        // writes (the rest is never read).
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(LIMIT)).unwrap();
        let body = format!(r#"{{"text":"{}"}}"#, "n".repeat(1_900_000));
        let head = format!(
            "POST /notes HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        let mut w = s.try_clone().unwrap();
        let writer = std::thread::spawn(move || {
            let _ = w.write_all(head.as_bytes());
            let _ = w.write_all(body.as_bytes());
        });
        let mut status = String::new();
        BufReader::new(&mut s).read_line(&mut status).unwrap();
        assert!(
            status.starts_with("HTTP/1.1 413"),
            "wasm={wasm_build}: {status:?}"
        );
        drop(s);
        writer.join().unwrap();

        let mut c = connect(&addr);
        let long = format!(r#"{{"text":"{}"}}"#, "n".repeat(4097));
        let (code, _) = request(&mut c, "POST", "/notes", &long);
        assert_eq!(code, 413, "wasm={wasm_build}");
        for i in 0..20 {
            let (code, _) = request(&mut c, "POST", "/notes", &format!(r#"{{"text":"{i}"}}"#));
            assert_eq!(code, 201, "wasm={wasm_build}");
        }
        let (code, body) = request(&mut c, "POST", "/notes", r#"{"text":"one too many"}"#);
        assert_eq!(code, 507, "wasm={wasm_build}: {body}");
        let (code, body) = request(&mut c, "GET", "/stats", "");
        assert_eq!(code, 200);
        assert!(body.contains(r#""notes":20"#), "{body}");
    }
}

/// `curl` against `url` with `args`: (status code, body).
fn curl(url: &str, args: &[&str]) -> (u16, Vec<u8>) {
    let out = Command::new("curl")
        .args(["-s", "--path-as-is", "-m", "20", "-w", "\n%{http_code}"])
        .args(args)
        .arg(url)
        .output()
        .expect("curl");
    let text = out.stdout;
    let cut = text.iter().rposition(|&b| b == b'\n').expect("status");
    let code = std::str::from_utf8(&text[cut + 1..])
        .unwrap()
        .parse()
        .unwrap();
    (code, text[..cut].to_vec())
}

/// `wasio::http::ServeDir` serves a preopened directory to curl under
/// `wasio run`, and the same directory natively: files with their content
/// types, `index.html`, byte ranges, `If-Modified-Since`, `HEAD`, and `404`
/// for every encoding of `..` (the secret beside the directory is never
/// served).
#[test]
fn serve_dir_serves_a_directory_to_curl() {
    if Command::new("curl").arg("--version").output().is_err() {
        skipped(
            "serve_dir_serves_a_directory_to_curl",
            "curl is not installed",
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    std::fs::create_dir_all(site.join("sub")).unwrap();
    std::fs::write(tmp.path().join("secret.txt"), "top secret").unwrap();
    std::fs::write(site.join("index.html"), "<h1>home</h1>").unwrap();
    std::fs::write(site.join("sub/note.txt"), "a note").unwrap();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(site.join("data.bin"), &data).unwrap();
    for wasm_build in [true, false] {
        let mut c = if wasm_build {
            let mut c = wasio_run();
            c.args(["--allow-listen", "127.0.0.1", "--dir-ro"])
                .arg(format!("{}::/site", site.display()))
                .arg(wasm("examples/serve-dir"))
                .args(["127.0.0.1:0", "/site"]);
            c
        } else {
            let mut c = Command::new(target_dir().join(profile()).join("examples/serve-dir"));
            c.arg("127.0.0.1:0").arg(&site);
            c
        };
        let srv = Server::spawn("serve-dir", {
            c.stderr(Stdio::null());
            c
        });
        let base = format!("http://{}", srv.sock());
        let what = if wasm_build { "wasm" } else { "native" };

        let (code, body) = curl(&format!("{base}/"), &[]);
        assert_eq!(
            (code, body.as_slice()),
            (200, &b"<h1>home</h1>"[..]),
            "{what}"
        );
        let (code, body) = curl(&format!("{base}/sub/note.txt"), &["-H", "X: y"]);
        assert_eq!((code, body.as_slice()), (200, &b"a note"[..]), "{what}");
        let (_, head) = curl(&format!("{base}/sub/note.txt"), &["-I"]);
        let head = String::from_utf8_lossy(&head).into_owned();
        let modified = head
            .lines()
            .find_map(|l| l.strip_prefix("last-modified: "))
            .expect("last-modified")
            .trim()
            .to_string();
        let head = head.to_ascii_lowercase();
        assert!(
            head.contains("content-type: text/plain; charset=utf-8"),
            "{what}: {head}"
        );
        assert!(head.contains("content-length: 6"), "{what}: {head}");
        assert!(head.contains("accept-ranges: bytes"), "{what}: {head}");

        // The whole file, then ranges.
        let (code, body) = curl(&format!("{base}/data.bin"), &[]);
        assert_eq!((code, body.len()), (200, data.len()), "{what}");
        assert_eq!(body, data, "{what}");
        let (code, body) = curl(&format!("{base}/data.bin"), &["-r", "1000-1999"]);
        assert_eq!((code, body.as_slice()), (206, &data[1000..2000]), "{what}");
        let (code, body) = curl(&format!("{base}/data.bin"), &["-r", "-10"]);
        assert_eq!(
            (code, body.as_slice()),
            (206, &data[data.len() - 10..]),
            "{what}"
        );
        let (code, _) = curl(&format!("{base}/data.bin"), &["-r", "300000-"]);
        assert_eq!(code, 416, "{what}");

        // Conditional requests.
        let since = format!("If-Modified-Since: {modified}");
        let (code, body) = curl(&format!("{base}/sub/note.txt"), &["-H", &since]);
        assert_eq!((code, body.len()), (304, 0), "{what}");
        let old = "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT";
        let (code, _) = curl(&format!("{base}/sub/note.txt"), &["-H", old]);
        assert_eq!(code, 200, "{what}");

        // Nothing above the directory, however `..` is spelt.
        for path in [
            "/../secret.txt",
            "/sub/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/.%2E/secret.txt",
            "/%2E%2e%2fsecret.txt",
            "/sub/..%2f..%2fsecret.txt",
            "/..%5csecret.txt",
            "/sub/%2e%2e/%2e%2e/secret.txt",
        ] {
            let (code, body) = curl(&format!("{base}{path}"), &[]);
            assert_eq!(code, 404, "{what} {path}");
            assert!(
                !String::from_utf8_lossy(&body).contains("secret"),
                "{what} {path}"
            );
        }
        let (code, _) = curl(&format!("{base}/missing.txt"), &[]);
        assert_eq!(code, 404, "{what}");
        let (code, _) = curl(&format!("{base}/sub/note.txt"), &["-X", "POST"]);
        assert_eq!(code, 405, "{what}");
    }
}
