//! `net-probe LISTEN CONNECT UDP UNIX [UNIX_CONNECT]`: tries one operation
//! of each kind and reports whether the host allowed it, then keeps going.
//! Used to test the sandbox policy (`wasio run --allow-*`).

use std::time::Duration;

use wasio::net::{lookup_host, TcpListener, TcpStream, UdpSocket, UnixListener};

fn report<T>(what: &str, r: std::io::Result<T>) {
    match r {
        Ok(_) => println!("{what}: ok"),
        Err(e) => println!("{what}: {}", wasio_examples::errno_name(&e)),
    }
}

#[wasio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (listen, connect, udp, unix, unix_connect) = match &args[..] {
        [l, c, u, x] => (l, c, u, x, None),
        [l, c, u, x, y] => (l, c, u, x, Some(y)),
        _ => {
            eprintln!("usage: net-probe LISTEN CONNECT UDP UNIX [UNIX_CONNECT]");
            std::process::exit(2);
        }
    };
    report("listen", TcpListener::bind(listen.as_str()).await);
    let c =
        wasio::time::timeout(Duration::from_secs(5), TcpStream::connect(connect.as_str())).await;
    report("connect", c.unwrap_or_else(|e| Err(e.into())));
    match UdpSocket::bind("127.0.0.1:0").await {
        Ok(s) => report("udp send", s.send_to(b"x", udp.as_str()).await),
        Err(e) => report("udp bind", Err::<(), _>(e)),
    }
    report("dns", lookup_host(("localhost", 80)).await);
    report("unix", UnixListener::bind(unix).await);
    if let Some(path) = unix_connect {
        report("unix connect", wasio::net::UnixStream::connect(path).await);
    }
    println!("still running");
}
