//! TLS on wasio (`wasio::tls`, the `tls` feature): the `tls-echo` and
//! `https-hello` examples under `wasio run` and natively, against a test
//! CA made here, with a rustls client on ring (the servers use the
//! RustCrypto provider), Python's `ssl` (OpenSSL) and wasio's own
//! HTTP/1.1 and HTTP/2 clients over TLS.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use wasio_tests::*;

const LIMIT: Duration = Duration::from_secs(60);

/// A CA, a certificate for `localhost` and `127.0.0.1` signed by it, its
/// key, and a second CA that signed nothing of ours.
struct Certs {
    dir: tempfile::TempDir,
}

impl Certs {
    fn new() -> Certs {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
        let dir = tempfile::tempdir().unwrap();
        let ca = |name: &str| {
            let key = KeyPair::generate().unwrap();
            let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.distinguished_name.push(DnType::CommonName, name);
            p.key_usages = vec![
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::DigitalSignature,
            ];
            (p.self_signed(&key).unwrap(), key)
        };
        let (ca_cert, ca_key) = ca("wasio test CA");
        let (other_ca, _) = ca("some other CA");
        let leaf_key = KeyPair::generate().unwrap();
        let mut p =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        p.distinguished_name.push(DnType::CommonName, "localhost");
        let leaf = p.signed_by(&leaf_key, &ca_cert, &ca_key).unwrap();
        let d = dir.path();
        std::fs::write(d.join("ca.pem"), ca_cert.pem()).unwrap();
        std::fs::write(d.join("other-ca.pem"), other_ca.pem()).unwrap();
        std::fs::write(d.join("cert.pem"), leaf.pem()).unwrap();
        std::fs::write(d.join("key.pem"), leaf_key.serialize_pem()).unwrap();
        Certs { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `name` as the server sees it: under `/certs` in the sandbox.
    fn server_path(&self, wasm_build: bool, name: &str) -> String {
        if wasm_build {
            format!("/certs/{name}")
        } else {
            self.path(name).display().to_string()
        }
    }

    fn grants(&self) -> Vec<String> {
        vec![
            "--allow-listen".into(),
            "127.0.0.1".into(),
            "--dir-ro".into(),
            format!("{}::/certs", self.dir.path().display()),
        ]
    }
}

/// Starts example `name` with `cert` and `key` (names in the cert dir).
fn tls_server(name: &str, wasm_build: bool, certs: &Certs, cert: &str, key: &str) -> Command {
    let mut c = if wasm_build {
        let mut c = wasio_run();
        c.args(certs.grants())
            .arg(wasm(&format!("examples/{name}")));
        c
    } else {
        Command::new(native(&format!("examples/{name}")))
    };
    c.arg("127.0.0.1:0")
        .arg(certs.server_path(wasm_build, cert))
        .arg(certs.server_path(wasm_build, key));
    c
}

fn roots(ca: &Path) -> RootCertStore {
    use rustls::pki_types::pem::PemObject;
    let mut r = RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_file_iter(ca).unwrap() {
        r.add(c.unwrap()).unwrap();
    }
    r
}

/// A rustls client configuration on ring trusting `ca`, offering
/// `versions`.
fn client_config(
    ca: &Path,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(roots(ca))
            .with_no_client_auth(),
    )
}

/// Connects and completes the handshake (or says why not).
fn handshake(
    config: Arc<ClientConfig>,
    addr: &str,
) -> std::io::Result<StreamOwned<ClientConnection, TcpStream>> {
    let tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(20)))?;
    let name = ServerName::try_from("localhost").unwrap();
    let conn = ClientConnection::new(config, name).map_err(std::io::Error::other)?;
    let mut s = StreamOwned::new(conn, tcp);
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock)?;
    }
    Ok(s)
}

/// Sends `rounds` chunks of 16 KiB and checks each comes back intact.
fn echo_rounds(s: &mut StreamOwned<ClientConnection, TcpStream>, seed: u8, rounds: usize) {
    let mut back = vec![0u8; 16 * 1024];
    for r in 0..rounds {
        let chunk: Vec<u8> = (0..16 * 1024)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed ^ r as u8)
            .collect();
        s.write_all(&chunk).unwrap();
        s.flush().unwrap();
        s.read_exact(&mut back).unwrap();
        assert!(back == chunk, "echo differs in round {r}");
    }
}

/// TLS 1.3 echo to rustls clients (four at once, 256 KiB each), to
/// Python's `ssl`; a TLS 1.2-only client, a client that trusts another
/// CA and a plain-text client are all refused, and the server goes on.
#[test]
fn tls_echo_speaks_tls13_and_refuses_what_it_should() {
    let certs = Certs::new();
    let ca = certs.path("ca.pem");
    for wasm_build in [true, false] {
        let srv = Server::spawn(
            "tls-echo",
            tls_server("tls-echo", wasm_build, &certs, "cert.pem", "key.pem"),
        );
        let addr = srv.addr.clone();
        let both = client_config(&ca, &[&rustls::version::TLS13, &rustls::version::TLS12]);
        let clients: Vec<_> = (0..4u8)
            .map(|seed| {
                let (both, addr) = (both.clone(), addr.clone());
                std::thread::spawn(move || {
                    let mut s = handshake(both, &addr).unwrap();
                    assert_eq!(
                        s.conn.protocol_version(),
                        Some(rustls::ProtocolVersion::TLSv1_3)
                    );
                    echo_rounds(&mut s, seed, 16);
                    s.conn.send_close_notify();
                    let _ = s.flush();
                })
            })
            .collect();
        for c in clients {
            c.join().unwrap();
        }

        // TLS 1.2 only: the server is TLS 1.3 only.
        let tls12 = client_config(&ca, &[&rustls::version::TLS12]);
        let e = handshake(tls12, &addr).expect_err("a TLS 1.2 handshake");
        assert!(
            e.to_string().contains("ProtocolVersion") || e.to_string().contains("protocol"),
            "{e}"
        );
        // A client that trusts another CA does not accept our certificate.
        let stranger = client_config(&certs.path("other-ca.pem"), &[&rustls::version::TLS13]);
        let e = handshake(stranger, &addr).expect_err("an untrusted certificate");
        assert!(e.to_string().contains("UnknownIssuer"), "{e}");
        // Plain text: the server ends that connection, nothing else.
        let mut plain = TcpStream::connect(&addr).unwrap();
        plain
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        plain
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            .unwrap();
        let mut junk = Vec::new();
        let _ = plain.read_to_end(&mut junk);
        assert!(
            !String::from_utf8_lossy(&junk).contains("HTTP/1.1"),
            "{junk:?}"
        );

        // Still serving, to OpenSSL through Python's ssl module.
        if Command::new("python3").arg("--version").output().is_ok() {
            let port = srv.sock().port();
            let script = format!(
                "import socket, ssl\n\
                 ctx = ssl.create_default_context(cafile={ca:?})\n\
                 with socket.create_connection(('127.0.0.1', {port}), timeout=20) as raw:\n\
                 \x20   with ctx.wrap_socket(raw, server_hostname='localhost') as s:\n\
                 \x20       s.sendall(b'hello from python')\n\
                 \x20       got = b''\n\
                 \x20       while len(got) < 17:\n\
                 \x20           got += s.recv(64)\n\
                 \x20       print(s.version(), got.decode())\n",
                ca = ca.display().to_string()
            );
            let o = run(Command::new("python3").arg("-c").arg(script), LIMIT);
            assert!(o.status.success(), "python: {}", stderr(&o));
            assert_eq!(stdout(&o).trim(), "TLSv1.3 hello from python");
        } else {
            eprintln!("python3 not found: the OpenSSL client part was not run");
        }
        let mut s = handshake(both, &addr).unwrap();
        echo_rounds(&mut s, 9, 1);
        drop(srv);
    }
}

/// A missing key file or a certificate file with no certificate in it:
/// the server exits non-zero naming the file, under wasio and natively.
#[test]
fn tls_echo_names_the_bad_file() {
    let certs = Certs::new();
    std::fs::copy(certs.path("key.pem"), certs.path("not-a-cert.pem")).unwrap();
    for wasm_build in [true, false] {
        let o = run(
            &mut tls_server("tls-echo", wasm_build, &certs, "cert.pem", "missing.pem"),
            LIMIT,
        );
        assert!(!o.status.success());
        let want = certs.server_path(wasm_build, "missing.pem");
        assert!(
            stderr(&o).contains(&format!("private key file {want}")),
            "{}",
            stderr(&o)
        );
        let o = run(
            &mut tls_server("tls-echo", wasm_build, &certs, "not-a-cert.pem", "key.pem"),
            LIMIT,
        );
        assert!(!o.status.success());
        let want = certs.server_path(wasm_build, "not-a-cert.pem");
        assert!(
            stderr(&o).contains(&format!("{want}: no CERTIFICATE block in it")),
            "{}",
            stderr(&o)
        );
    }
}

/// An axum app over TLS (`serve(..).with_tls(..)`): HTTP/2 chosen by ALPN
/// and HTTP/1.1, with wasio's own clients over `wasio::tls::connect`.
#[test]
fn https_hello_serves_axum_over_tls_with_alpn() {
    use http_body_util::{BodyExt, Empty};
    let certs = Certs::new();
    for wasm_build in [true, false] {
        let srv = Server::spawn(
            "https-hello",
            tls_server("https-hello", wasm_build, &certs, "cert.pem", "key.pem"),
        );
        let addr = srv.addr.clone();
        let ca = certs.path("ca.pem");
        let (h2, h1) = wasio::block_on(async move {
            let connector = |alpn: &[u8]| {
                let mut c = wasio::tls::client_config(&ca).unwrap();
                c.alpn_protocols = vec![alpn.to_vec()];
                wasio::tls::TlsConnector::from(Arc::new(c))
            };
            let tcp = wasio::net::TcpStream::connect(addr.as_str()).await.unwrap();
            let tls = wasio::tls::connect(&connector(b"h2"), "localhost", tcp)
                .await
                .unwrap();
            assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
            let mut send = wasio::http::client::http2::<Empty<bytes::Bytes>, _>(tls)
                .await
                .unwrap();
            let req = http::Request::get("https://localhost/hello/wasm")
                .body(Empty::new())
                .unwrap();
            let resp = send.send_request(req).await.unwrap();
            assert_eq!(resp.version(), http::Version::HTTP_2);
            assert_eq!(resp.status(), 200);
            let h2 = resp.into_body().collect().await.unwrap().to_bytes();

            let tcp = wasio::net::TcpStream::connect(addr.as_str()).await.unwrap();
            let tls = wasio::tls::connect(&connector(b"http/1.1"), "127.0.0.1", tcp)
                .await
                .unwrap();
            let mut send = wasio::http::client::http1::<Empty<bytes::Bytes>, _>(tls)
                .await
                .unwrap();
            let mut h1 = Vec::new();
            for _ in 0..2 {
                let req = http::Request::get("/")
                    .header("host", "localhost")
                    .body(Empty::new())
                    .unwrap();
                let resp = send.send_request(req).await.unwrap();
                assert_eq!(resp.version(), http::Version::HTTP_11);
                h1.push(resp.into_body().collect().await.unwrap().to_bytes());
            }
            (h2, h1)
        });
        let json: serde_json::Value = serde_json::from_slice(&h2).unwrap();
        assert_eq!(json, serde_json::json!({ "hello": "wasm", "tls": true }));
        for b in h1 {
            assert_eq!(&b[..], b"Hello over TLS from wasio\n");
        }
        drop(srv);
    }
}
