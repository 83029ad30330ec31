//! [`ServeDir`]: static files from a directory, as tower-http's
//! `ServeDir` serves them, on wasio's own file system calls.

use std::convert::Infallible;
use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};

/// Largest piece of a file a response body reads at once.
const CHUNK: usize = 64 * 1024;

/// A tower `Service` that answers `GET` and `HEAD` with the files under a
/// directory, as tower-http's `ServeDir` does: a `Content-Type` from the
/// extension, `Last-Modified` and `If-Modified-Since` (`304`), single byte
/// ranges (`206`, `416` when unsatisfiable), `index.html` for a directory,
/// `404` for what is not there, `405` for other methods.
///
/// The request path is percent-decoded and taken apart into names before
/// anything is opened: a `..` name (in any encoding: `..`, `%2e%2e`,
/// `.%2E`, with `%2f` or `\` around it) is `404`, and no name can hold a
/// separator, so no request reaches above the root. Under `wasio run` the
/// root is a preopened directory, and the host refuses anything leading
/// out of it (symlinks included) whatever the path.
///
/// ```no_run
/// # #[cfg(any())] mod doc {
/// #[wasio::main]
/// async fn main() -> std::io::Result<()> {
///     // `wasio run --allow-listen 127.0.0.1 --dir-ro ./site::/site app.wasm`
///     let listener = wasio::net::TcpListener::bind("127.0.0.1:8080").await?;
///     wasio::http::serve(listener, wasio::http::ServeDir::new("/site")).await
/// }
/// # }
/// ```
///
/// In an axum app: `Router::new().fallback_service(ServeDir::new("/site"))`
/// (or `nest_service`).
#[derive(Debug, Clone)]
pub struct ServeDir {
    root: PathBuf,
    index: Option<String>,
}

impl ServeDir {
    /// Serves the files under `root` (under wasio, a path inside a
    /// preopened directory), with `index.html` for directories.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            index: Some("index.html".into()),
        }
    }

    /// The file served for a directory (`None`: a directory is `404`).
    pub fn index_file(mut self, name: Option<&str>) -> Self {
        self.index = name.map(str::to_string);
        self
    }

    /// Answers one request.
    pub async fn answer<B>(&self, req: &Request<B>) -> Response<FileBody> {
        crate::fs::proceed().await;
        match self.respond(req) {
            Ok(r) => r,
            Err(e) => {
                let status = match e.kind() {
                    io::ErrorKind::NotFound
                    | io::ErrorKind::NotADirectory
                    | io::ErrorKind::IsADirectory
                    | io::ErrorKind::InvalidInput
                    | io::ErrorKind::PermissionDenied => StatusCode::NOT_FOUND,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                };
                empty(status)
            }
        }
    }

    fn respond<B>(&self, req: &Request<B>) -> io::Result<Response<FileBody>> {
        let head = match *req.method() {
            Method::GET => false,
            Method::HEAD => true,
            _ => {
                let mut r = empty(StatusCode::METHOD_NOT_ALLOWED);
                r.headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
                return Ok(r);
            }
        };
        let Some(rel) = relative_path(req.uri().path()) else {
            return Ok(empty(StatusCode::NOT_FOUND));
        };
        let mut path = self.root.join(&rel);
        let mut meta = std::fs::metadata(&path)?;
        if meta.is_dir() {
            let Some(index) = &self.index else {
                return Ok(empty(StatusCode::NOT_FOUND));
            };
            path.push(index);
            meta = std::fs::metadata(&path)?;
        }
        if !meta.is_file() {
            return Ok(empty(StatusCode::NOT_FOUND));
        }
        let len = meta.len();
        let modified = meta.modified().ok().map(whole_seconds);
        let mut builder = Response::builder()
            .header(header::ACCEPT_RANGES, "bytes")
            .header(header::CONTENT_TYPE, content_type(&path));
        if let Some(m) = modified {
            builder = builder.header(header::LAST_MODIFIED, http_date(m));
            let since = req
                .headers()
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_http_date);
            if since.is_some_and(|s| m <= s) {
                return Ok(builder
                    .status(StatusCode::NOT_MODIFIED)
                    .body(FileBody::empty())
                    .expect("valid response"));
            }
        }
        let range = req
            .headers()
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok())
            .map(|r| parse_range(r, len));
        let (status, start, count) = match range {
            None | Some(Range::Ignored) => (StatusCode::OK, 0, len),
            Some(Range::Bytes(a, b)) => {
                builder = builder.header(header::CONTENT_RANGE, format!("bytes {a}-{b}/{len}"));
                (StatusCode::PARTIAL_CONTENT, a, b - a + 1)
            }
            Some(Range::Unsatisfiable) => {
                return Ok(builder
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                    .body(FileBody::empty())
                    .expect("valid response"));
            }
        };
        let body = if head {
            FileBody::empty()
        } else {
            let mut file = std::fs::File::open(&path)?;
            file.seek(SeekFrom::Start(start))?;
            FileBody::file(file, count)
        };
        Ok(builder
            .status(status)
            .header(header::CONTENT_LENGTH, count)
            .body(body)
            .expect("valid response"))
    }
}

impl<B> tower_service::Service<Request<B>> for ServeDir
where
    B: 'static,
{
    type Response = Response<FileBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<FileBody>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let this = self.clone();
        // Only what the answer needs crosses into the future: the request's
        // head (its body is never read).
        let (parts, _body) = req.into_parts();
        let req = Request::from_parts(parts, ());
        Box::pin(async move { Ok(this.answer(&req).await) })
    }
}

/// The body of a [`ServeDir`] response: nothing, or `len` bytes of a file
/// read [`CHUNK`] at a time as the connection takes them.
#[derive(Debug)]
pub struct FileBody {
    file: Option<std::fs::File>,
    left: u64,
}

impl FileBody {
    fn empty() -> Self {
        Self {
            file: None,
            left: 0,
        }
    }

    fn file(file: std::fs::File, len: u64) -> Self {
        Self {
            file: Some(file),
            left: len,
        }
    }
}

impl http_body::Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, io::Error>>> {
        let left = self.left;
        let Some(file) = self.file.as_mut().filter(|_| left > 0) else {
            return Poll::Ready(None);
        };
        // A regular file never blocks: read the next piece now.
        let mut buf = vec![0u8; CHUNK.min(left as usize)];
        let n = match file.read(&mut buf) {
            Ok(0) => {
                return Poll::Ready(Some(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file shrank while it was being sent",
                ))))
            }
            Ok(n) => n,
            Err(e) => return Poll::Ready(Some(Err(e))),
        };
        buf.truncate(n);
        self.left -= n as u64;
        Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from(buf)))))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.left)
    }
}

fn empty(status: StatusCode) -> Response<FileBody> {
    let mut r = Response::new(FileBody::empty());
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    r
}

/// The request path as names under the root: percent-decoded, split on
/// `/`, empty and `.` names dropped. `None` (a `404`) for a `..` name, a
/// name holding NUL or `\`, or bad percent-encoding or UTF-8.
fn relative_path(path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(path)?;
    let mut rel = PathBuf::new();
    for name in decoded.split('/') {
        match name {
            "" | "." => {}
            ".." => return None,
            n if n.contains(['\0', '\\']) => return None,
            n => rel.push(n),
        }
    }
    Some(rel)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The `Content-Type` for a file name's extension.
fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        Some("csv") => "text/csv; charset=utf-8",
        Some("xml") => "application/xml",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("wasm") => "application/wasm",
        Some("pdf") => "application/pdf",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("mp4") => "video/mp4",
        Some("webm") => "video/webm",
        Some("mp3") => "audio/mpeg",
        Some("zip") => "application/zip",
        Some("gz") => "application/gzip",
        _ => "application/octet-stream",
    }
}

/// A byte range request, resolved against a length.
#[derive(Debug, PartialEq, Eq)]
enum Range {
    /// Bytes `a..=b`.
    Bytes(u64, u64),
    /// No byte of the file is asked for (`416`).
    Unsatisfiable,
    /// Not a single byte range this server answers (several ranges, or
    /// not `bytes=`): the whole file, as RFC 9110 allows.
    Ignored,
}

fn parse_range(header: &str, len: u64) -> Range {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Range::Ignored;
    };
    if spec.contains(',') {
        return Range::Ignored;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Range::Ignored;
    };
    let num = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (a.trim(), b.trim()) {
        ("", n) => match num(n) {
            // The last n bytes.
            Some(0) => Range::Unsatisfiable,
            Some(_) if len == 0 => Range::Unsatisfiable,
            Some(n) => Range::Bytes(len.saturating_sub(n), len - 1),
            None => Range::Ignored,
        },
        (a, "") => match num(a) {
            Some(a) if a < len => Range::Bytes(a, len - 1),
            Some(_) => Range::Unsatisfiable,
            None => Range::Ignored,
        },
        (a, b) => match (num(a), num(b)) {
            (Some(a), Some(b)) if a <= b && a < len => Range::Bytes(a, b.min(len - 1)),
            (Some(a), Some(b)) if a <= b => Range::Unsatisfiable,
            _ => Range::Ignored,
        },
    }
}

fn whole_seconds(t: SystemTime) -> SystemTime {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UNIX_EPOCH + Duration::from_secs(secs)
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 to a proleptic Gregorian (year, month 1-12, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// (year, month 1-12, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn http_date(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[m as usize - 1],
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Parses an HTTP date in its preferred form (`IMF-fixdate`).
fn parse_http_date(s: &str) -> Option<SystemTime> {
    let mut it = s.split_whitespace();
    let _weekday = it.next()?;
    let day: u32 = it.next()?.parse().ok()?;
    let month = it.next()?;
    let month = MONTHS.iter().position(|m| *m == month)? as u32 + 1;
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (h, mi, se) = (hms.next()??, hms.next()??, hms.next()??);
    if it.next()? != "GMT" || !(1..=31).contains(&day) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + mi * 60 + se;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_dot_in_any_encoding_is_refused() {
        for bad in [
            "/../etc/passwd",
            "/a/../../x",
            "/%2e%2e/x",
            "/.%2E/x",
            "/%2E%2e%2fetc",
            "/a/%2e%2e",
            "/a%5c..%5cb",
            "/x%00y",
            "/%zz",
            "/%ff",
        ] {
            assert_eq!(relative_path(bad), None, "{bad}");
        }
        assert_eq!(relative_path("/a/./b//c"), Some(PathBuf::from("a/b/c")));
        assert_eq!(
            relative_path("/hello%20world.txt"),
            Some(PathBuf::from("hello world.txt"))
        );
        assert_eq!(relative_path("/"), Some(PathBuf::new()));
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Range::Bytes(0, 9));
        assert_eq!(parse_range("bytes=90-", 100), Range::Bytes(90, 99));
        assert_eq!(parse_range("bytes=-10", 100), Range::Bytes(90, 99));
        assert_eq!(parse_range("bytes=-500", 100), Range::Bytes(0, 99));
        assert_eq!(parse_range("bytes=50-500", 100), Range::Bytes(50, 99));
        assert_eq!(parse_range("bytes=100-", 100), Range::Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Range::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Range::Ignored);
        assert_eq!(parse_range("items=0-1", 100), Range::Ignored);
        assert_eq!(parse_range("bytes=9-1", 100), Range::Ignored);
        assert_eq!(parse_range("bytes=0-0", 0), Range::Unsatisfiable);
    }

    #[test]
    fn http_dates_round_trip() {
        let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(t));
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(http_date(leap), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(parse_http_date(&http_date(leap)), Some(leap));
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"), None);
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(
            content_type(Path::new("a/index.HTML")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("x.wasm")), "application/wasm");
        assert_eq!(content_type(Path::new("noext")), "application/octet-stream");
    }
}
