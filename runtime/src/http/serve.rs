//! [`serve`]: an HTTP server for any tower `Service` (an axum `Router`)
//! or hyper service, on a wasio listener.

use std::error::Error as StdError;
use std::future::{Future, IntoFuture};
use std::io;
use std::pin::Pin;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};

#[cfg(feature = "http2")]
use super::WasioExecutor;
use super::{WasioIo, WasioTimer};
use crate::net::TcpListener;

/// Boxed error, as hyper and tower speak them.
type BoxError = Box<dyn StdError + Send + Sync>;

/// Longest wait for in-flight requests after a graceful shutdown begins.
const DEFAULT_DRAIN: Duration = Duration::from_secs(30);

/// Longest TLS handshake [`Serve::with_tls`] waits for.
#[cfg(feature = "tls")]
const TLS_HANDSHAKE: Duration = Duration::from_secs(10);

/// Serves `service` on `listener`: one task per connection, HTTP/1.1 with
/// keep-alive (and, with the `http2` feature, HTTP/2 over cleartext too,
/// chosen per connection from the client's preface), until the returned
/// future is dropped or, with [`Serve::with_graceful_shutdown`], until a
/// signal. `service` is any `tower::Service<Request<Incoming>>` that is
/// `Clone` — an axum `Router` as it is — and gets a clone per connection.
///
/// ```no_run
/// use std::convert::Infallible;
/// use http::{Request, Response};
///
/// #[wasio::main]
/// async fn main() -> std::io::Result<()> {
///     let listener = wasio::net::TcpListener::bind("127.0.0.1:8080").await?;
///     let hello = tower::service_fn(|_req: Request<hyper::body::Incoming>| async {
///         Ok::<_, Infallible>(Response::new("hello".to_string()))
///     });
///     let (stop, stopped) = wasio::sync::oneshot::channel::<()>();
///     # drop(stop);
///     wasio::http::serve(listener, hello)
///         .with_graceful_shutdown(async move {
///             let _ = stopped.await;
///         })
///         .await
/// }
/// ```
///
/// Accept errors (such as `EMFILE` at the fd limit) are logged to stderr
/// and retried after a short pause; a failing connection ends only itself.
pub fn serve<S, B>(listener: TcpListener, service: S) -> Serve<S>
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>> + Clone + 'static,
    S::Future: 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + 'static,
    B::Error: Into<BoxError>,
{
    Serve {
        listener,
        service,
        drain: DEFAULT_DRAIN,
        #[cfg(feature = "tls")]
        tls: None,
    }
}

/// The server [`serve`] returns; `.await` it to run.
#[must_use = "a server does nothing until awaited"]
pub struct Serve<S> {
    listener: TcpListener,
    service: S,
    drain: Duration,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::TlsAcceptor>,
}

impl<S> Serve<S> {
    /// Stops accepting when `signal` completes, lets the requests in flight
    /// finish (connections are told to close after their current
    /// request), and returns once all are done or the drain timeout (30 s,
    /// see [`WithGracefulShutdown::drain_timeout`]) has passed.
    pub fn with_graceful_shutdown<F>(self, signal: F) -> WithGracefulShutdown<S, F>
    where
        F: Future<Output = ()> + 'static,
    {
        WithGracefulShutdown {
            serve: self,
            signal,
        }
    }

    /// Serves HTTPS: every connection is a TLS handshake with `acceptor`
    /// first, in the connection's own task (a slow or failed handshake
    /// holds up no other client) and bounded by 10 s. With the `http2`
    /// feature, put `b"h2"` and `b"http/1.1"` in the configuration's
    /// `alpn_protocols` for clients that choose HTTP/2 by ALPN.
    ///
    /// ```no_run
    /// use std::convert::Infallible;
    /// use http::{Request, Response};
    ///
    /// #[wasio::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let acceptor = wasio::tls::acceptor("/certs/cert.pem", "/certs/key.pem")?;
    ///     let listener = wasio::net::TcpListener::bind("127.0.0.1:8443").await?;
    ///     let hello = tower::service_fn(|_req: Request<hyper::body::Incoming>| async {
    ///         Ok::<_, Infallible>(Response::new("hello over TLS".to_string()))
    ///     });
    ///     wasio::http::serve(listener, hello).with_tls(acceptor).await
    /// }
    /// ```
    #[cfg(feature = "tls")]
    pub fn with_tls(mut self, acceptor: crate::tls::TlsAcceptor) -> Self {
        self.tls = Some(acceptor);
        self
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }
}

/// A server that stops on a signal; see [`Serve::with_graceful_shutdown`].
#[must_use = "a server does nothing until awaited"]
pub struct WithGracefulShutdown<S, F> {
    serve: Serve<S>,
    signal: F,
}

impl<S, F> WithGracefulShutdown<S, F> {
    /// How long to wait for in-flight requests once the signal came.
    pub fn drain_timeout(mut self, d: Duration) -> Self {
        self.serve.drain = d;
        self
    }
}

impl<S, B> IntoFuture for Serve<S>
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>> + Clone + 'static,
    S::Future: 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + 'static,
    B::Error: Into<BoxError>,
{
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(run(self, std::future::pending()))
    }
}

impl<S, B, F> IntoFuture for WithGracefulShutdown<S, F>
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>> + Clone + 'static,
    S::Future: 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + 'static,
    B::Error: Into<BoxError>,
    F: Future<Output = ()> + 'static,
{
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(run(self.serve, self.signal))
    }
}

/// The connection builder: HTTP/1.1 with keep-alive and a header-read
/// timeout on wasio's timer; HTTP/2 beside it with the `http2` feature.
#[cfg(feature = "http2")]
fn builder() -> hyper_util::server::conn::auto::Builder<WasioExecutor> {
    let mut b = hyper_util::server::conn::auto::Builder::new(WasioExecutor);
    b.http1().timer(WasioTimer).keep_alive(true);
    b.http2().timer(WasioTimer);
    b
}

#[cfg(not(feature = "http2"))]
fn builder() -> hyper::server::conn::http1::Builder {
    let mut b = hyper::server::conn::http1::Builder::new();
    b.timer(WasioTimer).keep_alive(true);
    b
}

#[cfg(feature = "http2")]
fn connection<S, B, T>(
    b: &hyper_util::server::conn::auto::Builder<WasioExecutor>,
    io: WasioIo<T>,
    svc: TowerToHyperService<S>,
) -> impl hyper_util::server::graceful::GracefulConnection
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: tower_service::Service<Request<Incoming>, Response = Response<B>> + Clone + 'static,
    S::Future: 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + 'static,
    B::Error: Into<BoxError>,
{
    b.serve_connection_with_upgrades(io, svc).into_owned()
}

#[cfg(not(feature = "http2"))]
fn connection<S, B, T>(
    b: &hyper::server::conn::http1::Builder,
    io: WasioIo<T>,
    svc: TowerToHyperService<S>,
) -> impl hyper_util::server::graceful::GracefulConnection
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: tower_service::Service<Request<Incoming>, Response = Response<B>> + Clone + 'static,
    S::Future: 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + 'static,
    B::Error: Into<BoxError>,
{
    b.serve_connection(io, svc)
}

async fn run<S, B, F>(serve: Serve<S>, signal: F) -> io::Result<()>
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>> + Clone + 'static,
    S::Future: 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + 'static,
    B::Error: Into<BoxError>,
    F: Future<Output = ()> + 'static,
{
    let Serve {
        listener,
        service,
        drain,
        #[cfg(feature = "tls")]
        tls,
    } = serve;
    let builder = builder();
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut signal = std::pin::pin!(signal);
    let mut pause = Duration::from_millis(5);
    loop {
        let accepted = crate::select! {
            r = listener.accept() => r,
            () = &mut signal => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => {
                pause = Duration::from_millis(5);
                stream
            }
            Err(e) => {
                eprintln!("wasio::http::serve: accept: {e}; retrying in {pause:?}");
                crate::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let svc = TowerToHyperService::new(service.clone());
        #[cfg(feature = "tls")]
        if let Some(acceptor) = &tls {
            let (acceptor, builder) = (acceptor.clone(), builder.clone());
            let watcher = graceful.watcher();
            drop(crate::spawn(async move {
                let handshake = crate::time::timeout(TLS_HANDSHAKE, acceptor.accept(stream));
                if let Ok(Ok(tls)) = handshake.await {
                    let _ = watcher
                        .watch(connection(&builder, WasioIo::new(tls), svc))
                        .await;
                }
            }));
            continue;
        }
        let conn = graceful.watch(connection(&builder, WasioIo::new(stream), svc));
        drop(crate::spawn(async move {
            // A connection's failure (a reset, a bad request) ends it alone.
            let _ = conn.await;
        }));
    }
    drop(listener);
    // Stop accepting (done), then let in-flight requests finish.
    let _ = crate::time::timeout(drain, graceful.shutdown()).await;
    Ok(())
}
