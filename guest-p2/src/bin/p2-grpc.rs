//! A gRPC server and client written for stock tokio with tonic 0.14 and
//! prost, unmodified crate code: the service is written out by hand (what
//! tonic's code generator would write from the `.proto` below; the build
//! then needs no `protoc`).
//!
//! ```proto
//! package greeter;
//! service Greeter { rpc SayHello (HelloRequest) returns (HelloReply); }
//! message HelloRequest { string name = 1; }
//! message HelloReply { string message = 1; uint32 calls = 2; }
//! ```
//!
//! `p2-grpc serve ADDR` serves it with tonic's server (prints
//! `listening on ADDR`); `p2-grpc call IP:PORT NAME...` calls it once per
//! name with tonic's client over one HTTP/2 connection (hyper's: tonic's
//! `Channel` does not build for WASI) and prints each reply.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::codegen::http;
use tonic::server::{NamedService, UnaryService};
use tonic_prost::ProstCodec;

/// `greeter.HelloRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    /// Who to greet.
    #[prost(string, tag = "1")]
    pub name: String,
}

/// `greeter.HelloReply`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloReply {
    /// The greeting.
    #[prost(string, tag = "1")]
    pub message: String,
    /// Calls the server has answered, this one included.
    #[prost(uint32, tag = "2")]
    pub calls: u32,
}

const SAY_HELLO: &str = "/greeter.Greeter/SayHello";

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

/// The service: counts its calls.
#[derive(Clone, Default)]
struct Greeter {
    calls: Arc<AtomicU32>,
}

impl NamedService for Greeter {
    const NAME: &'static str = "greeter.Greeter";
}

impl UnaryService<HelloRequest> for Greeter {
    type Response = HelloReply;
    type Future = BoxFuture<tonic::Response<HelloReply>, tonic::Status>;

    fn call(&mut self, request: tonic::Request<HelloRequest>) -> Self::Future {
        let calls = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        Box::pin(async move {
            let name = request.into_inner().name;
            if name.is_empty() {
                return Err(tonic::Status::invalid_argument("a name is needed"));
            }
            Ok(tonic::Response::new(HelloReply {
                message: format!("Hello, {name}!"),
                calls,
            }))
        })
    }
}

impl<B> tower_service::Service<http::Request<B>> for Greeter
where
    B: tonic::codegen::Body + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let svc = self.clone();
        Box::pin(async move {
            if req.uri().path() == SAY_HELLO {
                let mut grpc = tonic::server::Grpc::new(ProstCodec::default());
                return Ok(grpc.unary(svc, req).await);
            }
            Ok(tonic::Status::unimplemented(req.uri().path().to_string()).into_http())
        })
    }
}

async fn serve(addr: &str) -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    tonic::transport::Server::builder()
        .add_service(Greeter::default())
        .serve_with_incoming(incoming)
        .await?;
    Ok(())
}

/// One HTTP/2 connection as the tower service tonic's client wants.
#[derive(Clone)]
struct Connection(hyper::client::conn::http2::SendRequest<tonic::body::Body>);

impl tower_service::Service<http::Request<tonic::body::Body>> for Connection {
    type Response = http::Response<hyper::body::Incoming>;
    type Error = hyper::Error;
    type Future = BoxFuture<Self::Response, hyper::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), hyper::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        Box::pin(self.0.send_request(req))
    }
}

async fn call(addr: String, names: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
    let tcp = tokio::net::TcpStream::connect(&addr).await?;
    let (send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tcp),
    )
    .await?;
    tokio::spawn(conn);
    let origin: http::Uri = format!("http://{addr}").parse()?;
    let mut grpc = tonic::client::Grpc::with_origin(Connection(send), origin);
    for name in names {
        grpc.ready().await?;
        let path = http::uri::PathAndQuery::from_static(SAY_HELLO);
        let request = tonic::Request::new(HelloRequest { name });
        match grpc
            .unary::<_, HelloReply, _>(request, path, ProstCodec::default())
            .await
        {
            Ok(reply) => {
                let reply = reply.into_inner();
                println!("{} ({})", reply.message, reply.calls);
            }
            Err(status) => println!("status {:?}: {}", status.code(), status.message()),
        }
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        (Some("serve"), Some(addr)) => serve(&addr).await,
        (Some("call"), Some(addr)) => call(addr, args.collect()).await,
        _ => Err("usage: p2-grpc serve ADDR | p2-grpc call IP:PORT NAME...".into()),
    }
}
