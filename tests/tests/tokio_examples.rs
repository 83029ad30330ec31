//! tokio's nine examples, as wasio examples (`guest-examples/examples/`,
//! the same programs with `tokio::` renamed to `wasio::`), each run under
//! `wasio run` with the grants it needs and natively, and driven from here.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use wasio_tests::*;

const LIMIT: Duration = Duration::from_secs(60);
const NET: &[&str] = &[
    "--allow-listen",
    "127.0.0.1",
    "--allow-connect",
    "127.0.0.1",
    "--allow-udp-bind",
    "127.0.0.1",
    "--allow-udp-send",
    "127.0.0.1",
];

/// Example `name` as wasm under wasio (with the network grants), or
/// native.
fn example(name: &str, wasm_build: bool) -> Command {
    if wasm_build {
        let p = target_dir()
            .join("wasm32-wasip1")
            .join(profile())
            .join("examples")
            .join(format!("{name}.wasm"));
        assert!(p.is_file(), "{} is missing: run `make test`", p.display());
        let mut c = wasio_run();
        c.args(NET).arg(p);
        c
    } else {
        let p = target_dir().join(profile()).join("examples").join(name);
        assert!(p.is_file(), "{} is missing: run `make test`", p.display());
        Command::new(p)
    }
}

/// A running example and its stdout, line by line.
struct Running {
    child: Child,
    out: BufReader<ChildStdout>,
}

impl Running {
    fn start(mut c: Command) -> Running {
        let mut child = c
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn");
        let out = BufReader::new(child.stdout.take().unwrap());
        Running { child, out }
    }

    /// Reads lines until one starts with `prefix`; returns the rest.
    fn line_after(&mut self, prefix: &str) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.out.read_line(&mut line).unwrap();
            assert!(n > 0, "the example ended before printing `{prefix}`");
            if let Some(rest) = line.strip_prefix(prefix) {
                return rest.trim().to_string();
            }
        }
    }

    fn addr_after(&mut self, prefix: &str) -> SocketAddr {
        self.line_after(prefix).parse().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn timed(s: TcpStream) -> TcpStream {
    s.set_read_timeout(Some(LIMIT)).unwrap();
    s
}

fn both(f: impl Fn(bool)) {
    for wasm_build in [true, false] {
        f(wasm_build);
    }
}

#[test]
fn echo() {
    both(|wasm| {
        let mut srv = Running::start({
            let mut c = example("echo", wasm);
            c.arg("127.0.0.1:0");
            c
        });
        let addr = srv.addr_after("Listening on: ");
        let clients: Vec<_> = (0..5u8)
            .map(|i| {
                std::thread::spawn(move || {
                    let mut s = timed(TcpStream::connect(addr).unwrap());
                    let msg = vec![i; 10_000];
                    s.write_all(&msg).unwrap();
                    let mut back = vec![0; msg.len()];
                    s.read_exact(&mut back).unwrap();
                    assert_eq!(back, msg);
                })
            })
            .collect();
        for c in clients {
            c.join().unwrap();
        }
    });
}

#[test]
fn hello_world() {
    both(|wasm| {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let mut c = example("hello_world", wasm);
        c.arg(addr.to_string());
        let accept = std::thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            let mut line = String::new();
            BufReader::new(timed(s)).read_line(&mut line).unwrap();
            line
        });
        let out = run(&mut c, LIMIT);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(accept.join().unwrap(), "hello world\n");
        assert_eq!(
            stdout(&out),
            "created stream\nwrote to stream; success=true\n"
        );
    });
}

#[test]
fn echo_udp() {
    both(|wasm| {
        let mut srv = Running::start({
            let mut c = example("echo-udp", wasm);
            c.arg("127.0.0.1:0");
            c
        });
        let addr = srv.addr_after("Listening on: ");
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_read_timeout(Some(LIMIT)).unwrap();
        let me = s.local_addr().unwrap();
        for i in 0..5 {
            let msg = format!("datagram {i}");
            s.send_to(msg.as_bytes(), addr).unwrap();
            let mut buf = [0u8; 64];
            let (n, from) = s.recv_from(&mut buf).unwrap();
            assert_eq!((&buf[..n], from), (msg.as_bytes(), addr));
            assert_eq!(
                srv.line_after("Echoed "),
                format!("{}/{} bytes to {me}", msg.len(), msg.len())
            );
        }
    });
}

#[test]
fn udp_client() {
    both(|wasm| {
        let echo = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = echo.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            echo.set_read_timeout(Some(LIMIT)).unwrap();
            let mut buf = [0u8; 1024];
            let (n, from) = echo.recv_from(&mut buf).unwrap();
            echo.send_to(&buf[..n], from).unwrap();
        });
        let mut c = example("udp-client", wasm);
        c.arg(addr.to_string());
        let out = run_with_input(&mut c, b"ping over udp", LIMIT);
        server.join().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out), "Received 13 bytes:\nping over udp\n");
    });
}

#[test]
fn print_each_packet() {
    both(|wasm| {
        let mut srv = Running::start({
            let mut c = example("print_each_packet", wasm);
            c.arg("127.0.0.1:0");
            c
        });
        let addr = srv.addr_after("Listening on: ");
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"first packet").unwrap();
        assert_eq!(srv.line_after("bytes: "), "b\"first packet\"");
        s.write_all(b"second").unwrap();
        assert_eq!(srv.line_after("bytes: "), "b\"second\"");
        drop(s);
        srv.line_after("Socket received FIN packet and closed connection");
    });
}

/// A std TCP server that reads `n` bytes, sends them back upper-cased and
/// closes the connection.
fn upper_server(n: usize) -> (SocketAddr, std::thread::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        let mut s = timed(s);
        let mut buf = vec![0; n];
        s.read_exact(&mut buf).unwrap();
        s.write_all(&buf.to_ascii_uppercase()).unwrap();
    });
    (addr, t)
}

#[test]
fn connect_tcp() {
    both(|wasm| {
        let input = b"piped through tcp\n".repeat(100);
        let (addr, server) = upper_server(input.len());
        let mut c = example("connect-tcp", wasm);
        c.arg(addr.to_string());
        let out = run_with_input(&mut c, &input, LIMIT);
        server.join().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(out.stdout, input.to_ascii_uppercase());
    });
}

#[test]
fn connect_udp() {
    both(|wasm| {
        let echo = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = echo.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            echo.set_read_timeout(Some(LIMIT)).unwrap();
            let mut buf = [0u8; 1024];
            let (n, from) = echo.recv_from(&mut buf).unwrap();
            echo.send_to(&buf[..n].to_ascii_uppercase(), from).unwrap();
        });
        let mut c = example("connect-udp", wasm);
        c.arg(addr.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut child = c.spawn().unwrap();
        child.stdin.take().unwrap().write_all(b"datagram").unwrap();
        let mut out = child.stdout.take().unwrap();
        // The program runs until killed (as tokio's does): read the reply.
        let mut got = [0u8; 8];
        out.read_exact(&mut got).unwrap();
        let _ = child.kill();
        let _ = child.wait();
        server.join().unwrap();
        assert_eq!(&got, b"DATAGRAM");
    });
}

/// One chat client: sends its name, then lines.
struct ChatClient {
    w: TcpStream,
    r: BufReader<TcpStream>,
}

impl ChatClient {
    fn join(addr: SocketAddr, name: &str) -> ChatClient {
        let s = timed(TcpStream::connect(addr).unwrap());
        let mut c = ChatClient {
            w: s.try_clone().unwrap(),
            r: BufReader::new(s),
        };
        assert_eq!(c.line(), "Please enter your username:");
        c.say(name);
        c
    }

    fn say(&mut self, line: &str) {
        self.w.write_all(format!("{line}\n").as_bytes()).unwrap();
    }

    fn line(&mut self) -> String {
        let mut l = String::new();
        self.r.read_line(&mut l).unwrap();
        l.trim_end().to_string()
    }
}

/// The chat protocol both chat examples speak.
fn chat_session(name: &str) {
    both(|wasm| {
        let mut srv = Running::start({
            let mut c = example(name, wasm);
            c.arg("127.0.0.1:0");
            c
        });
        let addr = srv.addr_after("server running on ");
        let mut alice = ChatClient::join(addr, "alice");
        // Alice is in the room before anyone else joins.
        assert_eq!(srv.line_after("alice "), "has joined the chat");
        let mut bob = ChatClient::join(addr, "bob");
        assert_eq!(alice.line(), "bob has joined the chat");
        let mut carol = ChatClient::join(addr, "carol");
        assert_eq!(alice.line(), "carol has joined the chat");
        assert_eq!(bob.line(), "carol has joined the chat");
        alice.say("hello all");
        assert_eq!(bob.line(), "alice: hello all");
        assert_eq!(carol.line(), "alice: hello all");
        bob.say("hi alice");
        assert_eq!(alice.line(), "bob: hi alice");
        assert_eq!(carol.line(), "bob: hi alice");
        drop(carol);
        assert_eq!(alice.line(), "carol has left the chat");
        assert_eq!(bob.line(), "carol has left the chat");
        // Nobody gets their own lines back.
        alice.say("bye");
        assert_eq!(bob.line(), "alice: bye");
        alice
            .w
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        alice
            .r
            .get_ref()
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut nothing = String::new();
        assert!(
            alice.r.read_line(&mut nothing).is_err(),
            "alice got {nothing:?}"
        );
    });
}

#[test]
fn chat() {
    chat_session("chat");
}

/// `codec-chat` (issue 9's example: `Framed` + `LinesCodec` split into
/// sink and stream, one broadcast channel) speaks the same protocol.
#[test]
fn codec_chat() {
    chat_session("codec-chat");
}

#[test]
fn proxy() {
    both(|wasm| {
        let echo = TcpListener::bind("127.0.0.1:0").unwrap();
        let upstream = echo.local_addr().unwrap();
        std::thread::spawn(move || {
            for s in echo.incoming() {
                let Ok(mut s) = s else { break };
                std::thread::spawn(move || {
                    let mut w = s.try_clone().unwrap();
                    let _ = std::io::copy(&mut s, &mut w);
                });
            }
        });
        let listen = format!("127.0.0.1:{}", free_port());
        let mut srv = Running::start({
            let mut c = example("proxy", wasm);
            c.args([listen.as_str(), &upstream.to_string()]);
            c
        });
        assert_eq!(srv.line_after("Listening on: "), listen);
        assert_eq!(srv.line_after("Proxying to: "), upstream.to_string());
        let deadline = Instant::now() + LIMIT;
        let mut s = loop {
            match TcpStream::connect(&listen) {
                Ok(s) => break timed(s),
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(e) => panic!("proxy never listened: {e}"),
            }
        };
        let msg = vec![42u8; 50_000];
        let mut w = s.try_clone().unwrap();
        let writer = std::thread::spawn(move || {
            w.write_all(&msg).unwrap();
            w.shutdown(std::net::Shutdown::Write).unwrap();
        });
        let mut back = Vec::new();
        s.read_to_end(&mut back).unwrap();
        writer.join().unwrap();
        assert_eq!(back, vec![42u8; 50_000]);
    });
}
