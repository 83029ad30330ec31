//! `http-client ADDR TIMEOUT_MS PATH...`: GETs each PATH from the HTTP/1.1
//! server at ADDR over one kept-alive connection (hyper's client, through
//! `wasio::http::client::http1`), giving each request TIMEOUT_MS; prints
//! `PATH STATUS BODY` per request, or `PATH timeout` (after which the
//! connection is dropped and a new one opened for the next path).
//!
//! `wasio run --allow-connect 127.0.0.1 http-client.wasm 127.0.0.1:8080 500 / /a`

use std::error::Error;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use wasio::net::TcpStream;

async fn connect(addr: &str) -> Result<SendRequest<Empty<Bytes>>, Box<dyn Error>> {
    let stream = TcpStream::connect(addr).await?;
    Ok(wasio::http::client::http1(stream).await?)
}

#[wasio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(ms)) = (args.next(), args.next()) else {
        eprintln!("usage: http-client ADDR TIMEOUT_MS PATH...");
        std::process::exit(2);
    };
    let limit = Duration::from_millis(ms.parse()?);
    let mut send = connect(&addr).await?;
    let mut connections = 1;
    for path in args {
        let req = http::Request::get(path.as_str())
            .header("host", addr.as_str())
            .body(Empty::new())?;
        let exchange = async {
            send.ready().await?;
            let resp = send.send_request(req).await?;
            let status = resp.status();
            let body = resp.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, body))
        };
        match wasio::time::timeout(limit, exchange).await {
            Ok(Ok((status, body))) => {
                println!(
                    "{path} {} {}",
                    status.as_u16(),
                    String::from_utf8_lossy(&body)
                );
            }
            Ok(Err(e)) => println!("{path} error {e}"),
            Err(_) => {
                println!("{path} timeout");
                // The late answer would arrive on this connection: start over.
                send = connect(&addr).await?;
                connections += 1;
            }
        }
    }
    println!("connections {connections}");
    Ok(())
}
