//! The share server: phones on the booth's network fetch their keepsake's page and files by the
//! token in the QR code.
//!
//! In: a [`SharedStore`] and [`ServerOptions`] (the address to bind: only where the operator
//! says). Out: HTTP answers: the page, the preview, the files (streamed in 256 KiB chunks, with
//! `Content-Length` and single `Range` requests for phones' video players), or the same bare 404
//! for anything unknown, expired or malformed. Threads: "share-server" runs one tokio
//! current-thread runtime that accepts and drives every connection; index look-ups and file
//! reads (256 KiB at a time, handed to hyper without another copy) run on at most
//! [`ServerOptions::file_threads`] blocking threads ("share-files"). All of them run at the
//! lowest priority ([`SHARE_NICE`]): a download takes the CPU the booth leaves. Nothing here ever
//! waits on the booth's UI or pipeline, and they never wait on it: the only thing shared is the
//! store's mutex, held for a look-up.
//!
//! Why hyper: a well-kept HTTP/1.1 implementation that parses requests for us (request line,
//! headers, limits answered with 431/400 by hyper itself), and that runs on a current-thread tokio
//! runtime, so hundreds of slow phones cost one thread and a few kilobytes each instead of one
//! thread each (tiny_http, the simpler choice, grows a thread per busy connection and has no
//! header time-out). tokio was already in the build.
//!
//! Limits, so that a slow or hostile client never stalls the booth or fills its disk: GET and
//! HEAD only (405 otherwise; request bodies are never read); at most
//! [`ServerOptions::max_connections`] connections (more are closed at once); request line and
//! headers within [`MAX_HEADER_BYTES`] (431) and a URL within [`MAX_URL_BYTES`] (414), read within
//! [`ServerOptions::header_timeout`]; a connection where nothing moves either way for
//! [`ServerOptions::idle_timeout`] is closed, and none lives longer than
//! [`ServerOptions::max_connection_time`]. Nothing is written to disk for a request.

use std::convert::Infallible;
use std::future::Future as _;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use hyper::body::{Body as _, Frame, Incoming, SizeHint};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::page::{self, PageFile, Route};
use super::store::{Kind, SharedStore};

/// Request line and headers together, bytes (hyper answers 431 above).
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
/// A request's path and query, bytes (414 above).
pub const MAX_URL_BYTES: usize = 1024;
/// Headers in one request (hyper answers 431 above).
const MAX_HEADERS: usize = 48;
/// Bytes read from a file per chunk sent (one read, no copy after it).
const CHUNK: usize = 256 * 1024;
/// Niceness of the server's threads: a download takes the CPU the booth leaves (the window's
/// inference threads run at [`crate::priority::INFERENCE_NICE`] too).
pub const SHARE_NICE: i32 = 19;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The address to bind (port 0: any free port; [`ShareServer::local_addr`] says which).
    pub listen: SocketAddr,
    pub max_connections: usize,
    /// Time to send the request line and headers.
    pub header_timeout: Duration,
    /// A connection where no byte moves either way for this long is closed.
    pub idle_timeout: Duration,
    /// No connection lives longer (a client reading a byte a second).
    pub max_connection_time: Duration,
    /// Threads that look up tokens and read files.
    pub file_threads: usize,
    /// Sweep the store this often with this retention time (`webtoonme serve`; the window
    /// sweeps on its keeper thread).
    pub sweep: Option<(Duration, Option<Duration>)>,
}

impl ServerOptions {
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            max_connections: 64,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_connection_time: Duration::from_secs(15 * 60),
            file_threads: 4,
            sweep: None,
        }
    }
}

/// Counts for the status overlay and the tests.
#[derive(Debug, Default)]
pub struct ServerStats {
    pub accepted: AtomicU64,
    /// Connections closed at once because [`ServerOptions::max_connections`] were open.
    pub refused: AtomicU64,
    pub open: AtomicUsize,
    pub requests: AtomicU64,
    /// Answers with a file or page (2xx).
    pub served: AtomicU64,
}

pub struct ShareServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    stats: Arc<ServerStats>,
}

impl std::fmt::Debug for ShareServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareServer").field("addr", &self.addr).finish_non_exhaustive()
    }
}

/// What every connection's requests share.
struct Shared {
    store: SharedStore,
    stats: Arc<ServerStats>,
}

impl ShareServer {
    /// Binds `options.listen` (an error names the address: in use, not this machine's, no
    /// permission) and starts serving `store` on the "share-server" thread.
    pub fn start(store: SharedStore, options: ServerOptions) -> Result<ShareServer, String> {
        let listen = options.listen;
        let listener =
            std::net::TcpListener::bind(listen).map_err(|e| format!("cannot serve links on {listen}: {e}"))?;
        listener.set_nonblocking(true).map_err(|e| format!("{listen}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| format!("{listen}: {e}"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .thread_name("share-files")
            .max_blocking_threads(options.file_threads.max(1))
            .on_thread_start(|| {
                crate::priority::set_current_thread_nice(SHARE_NICE);
            })
            .build()
            .map_err(|e| format!("cannot start the share server: {e}"))?;
        let stats = Arc::new(ServerStats::default());
        let shared = Arc::new(Shared { store, stats: stats.clone() });
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("share-server".into())
            .spawn(move || {
                crate::priority::set_current_thread_nice(SHARE_NICE);
                runtime.block_on(serve(listener, shared, options, stopped));
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(|e| format!("cannot start the share server thread: {e}"))?;
        Ok(ShareServer { addr, stop: Some(stop), thread: Some(thread), stats })
    }

    /// The address it listens on (the port chosen when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn stats(&self) -> &ServerStats {
        &self.stats
    }

    /// Stops accepting, closes every connection and waits (up to 2 s) for the thread.
    pub fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let started = Instant::now();
            while !thread.is_finished() && started.elapsed() < Duration::from_secs(2) {
                std::thread::sleep(Duration::from_millis(5));
            }
            if thread.is_finished() {
                let _ = thread.join();
            }
        }
    }

    /// Runs until the thread ends (`webtoonme serve`: until the process is stopped).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ShareServer {
    fn drop(&mut self) {
        // never blocks: the thread closes its connections and ends by itself
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    options: ServerOptions,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            log::error!("share server: {e}");
            return;
        }
    };
    let limit = Arc::new(tokio::sync::Semaphore::new(options.max_connections.max(1)));
    let mut sweep = options.sweep.map(|(every, retention)| (tokio::time::interval(every), retention));
    loop {
        let tick = async {
            match &mut sweep {
                Some((interval, _)) => {
                    interval.tick().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // out of file descriptors and the like: breathe, then go on
                        log::warn!("share server: accept: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                shared.stats.accepted.fetch_add(1, Ordering::Relaxed);
                let Ok(permit) = limit.clone().try_acquire_owned() else {
                    shared.stats.refused.fetch_add(1, Ordering::Relaxed);
                    continue; // dropped: closed at once
                };
                let _ = stream.set_nodelay(true);
                tokio::spawn(connection(stream, permit, shared.clone(), options.clone()));
            }
            _ = tick => {
                let retention = sweep.as_ref().and_then(|(_, r)| *r);
                let store = shared.store.clone();
                tokio::task::spawn_blocking(move || {
                    let Ok(mut store) = store.lock() else { return };
                    match store.sweep(retention, SystemTime::now()) {
                        Ok(s) if !s.deleted.is_empty() || s.links_ended > 0 => {
                            println!("share: {} links ended, {} old files deleted", s.links_ended, s.deleted.len());
                        }
                        Ok(_) => {}
                        Err(e) => eprintln!("webtoonme: {e}"),
                    }
                });
            }
        }
    }
}

async fn connection(
    stream: tokio::net::TcpStream,
    permit: tokio::sync::OwnedSemaphorePermit,
    shared: Arc<Shared>,
    options: ServerOptions,
) {
    shared.stats.open.fetch_add(1, Ordering::Relaxed);
    let io = TokioIo::new(Idle::new(stream, options.idle_timeout));
    let for_requests = shared.clone();
    let service = hyper::service::service_fn(move |req| {
        let shared = for_requests.clone();
        async move { Ok::<_, Infallible>(respond(req, &shared).await) }
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        .max_header_size(MAX_HEADER_BYTES)
        .max_headers(MAX_HEADERS)
        .keep_alive(true);
    let conn = http.serve_connection(io, service);
    // errors are the client's business (closed, timed out, sent garbage: hyper answered it)
    let _ = tokio::time::timeout(options.max_connection_time, conn).await;
    shared.stats.open.fetch_sub(1, Ordering::Relaxed);
    drop(permit);
}

/// A file being sent: read a chunk at a time on a "share-files" thread, each chunk handed to
/// hyper as it was read (no further copy).
pub struct FileStream {
    /// The file between reads (None while a read runs).
    file: Option<std::fs::File>,
    /// Bytes still to send.
    left: u64,
    reading: Option<tokio::task::JoinHandle<(std::fs::File, std::io::Result<Vec<u8>>)>>,
}

/// A body: a page (or nothing), or a file streamed in chunks.
pub enum ShareBody {
    Bytes(Option<Bytes>),
    File(FileStream),
}

/// Reads up to `n` bytes of `file` (fewer only at its end).
fn read_chunk(mut file: std::fs::File, n: usize) -> (std::fs::File, std::io::Result<Vec<u8>>) {
    use std::io::Read as _;
    let mut buf = vec![0u8; n];
    let mut got = 0;
    let result = loop {
        match file.read(&mut buf[got..]) {
            Ok(0) => break Ok(()),
            Ok(k) => {
                got += k;
                if got == n {
                    break Ok(());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    buf.truncate(got);
    (file, result.map(|()| buf))
}

impl hyper::body::Body for ShareBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let stream = match self.get_mut() {
            ShareBody::Bytes(b) => return Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            ShareBody::File(stream) => stream,
        };
        loop {
            if let Some(task) = &mut stream.reading {
                let (file, result) = match Pin::new(task).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(done)) => done,
                    Poll::Ready(Err(e)) => {
                        stream.reading = None;
                        return Poll::Ready(Some(Err(std::io::Error::other(e))));
                    }
                };
                stream.reading = None;
                stream.file = Some(file);
                return Poll::Ready(Some(match result {
                    Ok(buf) if buf.is_empty() => {
                        Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the file got shorter"))
                    }
                    Ok(buf) => {
                        stream.left = stream.left.saturating_sub(buf.len() as u64);
                        Ok(Frame::data(Bytes::from(buf)))
                    }
                    Err(e) => Err(e),
                }));
            }
            if stream.left == 0 {
                return Poll::Ready(None);
            }
            let Some(file) = stream.file.take() else { return Poll::Ready(None) };
            let n = stream.left.min(CHUNK as u64) as usize;
            stream.reading = Some(tokio::task::spawn_blocking(move || read_chunk(file, n)));
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ShareBody::Bytes(b) => b.is_none(),
            ShareBody::File(s) => s.left == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ShareBody::Bytes(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            ShareBody::File(s) => SizeHint::with_exact(s.left),
        }
    }
}

fn bytes(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response<ShareBody> {
    let mut r = Response::new(ShareBody::Bytes(Some(body.into())));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn not_found() -> Response<ShareBody> {
    bytes(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", page::NOT_FOUND)
}

/// Headers every answer carries.
fn harden(mut r: Response<ShareBody>) -> Response<ShareBody> {
    let h = r.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    r
}

async fn respond(req: Request<Incoming>, shared: &Shared) -> Response<ShareBody> {
    shared.stats.requests.fetch_add(1, Ordering::Relaxed);
    let head = req.method() == Method::HEAD;
    let response = if req.method() != Method::GET && !head {
        let mut r = bytes(StatusCode::METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "Only GET and HEAD\n");
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        r
    } else if req.uri().path_and_query().map_or(0, |p| p.as_str().len()) > MAX_URL_BYTES {
        bytes(StatusCode::URI_TOO_LONG, "text/plain; charset=utf-8", "URL too long\n")
    } else {
        let range = req.headers().get(header::RANGE).and_then(|v| v.to_str().ok()).map(String::from);
        match page::route(req.uri().path()) {
            Some((token, route)) => answer(shared, token.to_string(), route, range.as_deref()).await,
            None => not_found(),
        }
    };
    let mut response = harden(response);
    if response.status().is_success() {
        shared.stats.served.fetch_add(1, Ordering::Relaxed);
    }
    if head {
        // the same headers, no body (hyper keeps a Content-Length set here for HEAD)
        let length = response.body().size_hint().exact().unwrap_or(0);
        response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        *response.body_mut() = ShareBody::Bytes(None);
    }
    response
}

/// Looks the token up (on a file thread) and answers `route`.
async fn answer(shared: &Shared, token: String, route: Route, range: Option<&str>) -> Response<ShareBody> {
    let store = shared.store.clone();
    let looked_up = tokio::task::spawn_blocking(move || {
        let found = store.lock().ok()?.find(&token, SystemTime::now())?;
        let sizes: Vec<u64> = found.files.iter().map(|f| std::fs::metadata(f).map_or(0, |m| m.len())).collect();
        Some((token, found, sizes))
    })
    .await;
    let Ok(Some((token, found, sizes))) = looked_up else { return not_found() };
    match route {
        Route::Page => {
            let files: Vec<PageFile> =
                found.files.iter().zip(&sizes).map(|(f, &bytes)| PageFile { name: file_name(f), bytes }).collect();
            let html = page::page(&token, found.kind, &files, found.preview.is_some(), found.expires);
            let mut r = bytes(StatusCode::OK, "text/html; charset=utf-8", html);
            r.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; \
                     base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                ),
            );
            r
        }
        Route::Preview => {
            let preview = match (&found.preview, found.kind) {
                (Some(p), _) => Some(p.clone()),
                (None, Kind::Boomerang) => found.files.first().cloned(),
                (None, _) => None,
            };
            match preview {
                Some(p) => file_response(&p, None, range).await,
                None => not_found(),
            }
        }
        Route::File(n) => match found.files.get(n) {
            Some(p) => file_response(p, None, range).await,
            None => not_found(),
        },
        Route::Download(n) => match found.files.get(n) {
            Some(p) => file_response(p, Some(&file_name(p)), range).await,
            None => not_found(),
        },
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| "webtoonme".into(), |n| n.to_string_lossy().into_owned())
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("mp4") => "video/mp4",
        _ => "application/octet-stream",
    }
}

/// A byte range of a `len`-byte file asked for in a `Range` header: Some(Ok((start, end)))
/// inclusive, Some(Err(())) when it cannot be satisfied, None when there is no usable single
/// range (the whole file is sent, as RFC 9110 allows).
pub fn byte_range(header: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let digits = |s: &str| !s.is_empty() && s.len() <= 19 && s.bytes().all(|c| c.is_ascii_digit());
    if a.is_empty() {
        // the last b bytes
        if !digits(b) {
            return None;
        }
        let n: u64 = b.parse().ok()?;
        if n == 0 || len == 0 {
            return Some(Err(()));
        }
        return Some(Ok((len.saturating_sub(n), len - 1)));
    }
    if !digits(a) || !(b.is_empty() || digits(b)) {
        return None;
    }
    let start: u64 = a.parse().ok()?;
    let end: u64 = if b.is_empty() { u64::MAX } else { b.parse().ok()? };
    if end < start {
        return None;
    }
    if start >= len {
        return Some(Err(()));
    }
    Some(Ok((start, end.min(len - 1))))
}

/// A file's answer: 200 with all of it, 206 with the asked range, 416 when the range is outside.
async fn file_response(path: &Path, download: Option<&str>, range: Option<&str>) -> Response<ShareBody> {
    let opening = path.to_path_buf();
    let opened = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&opening)?;
        let meta = file.metadata()?;
        Ok::<_, std::io::Error>((file, meta))
    })
    .await;
    let Ok(Ok((mut file, meta))) = opened else { return not_found() };
    if !meta.is_file() {
        return not_found();
    }
    let len = meta.len();
    let (status, start, end) = match range.and_then(|r| byte_range(r, len)) {
        None => (StatusCode::OK, 0, len.saturating_sub(1)),
        Some(Ok((s, e))) => (StatusCode::PARTIAL_CONTENT, s, e),
        Some(Err(())) => {
            let mut r = bytes(StatusCode::RANGE_NOT_SATISFIABLE, "text/plain; charset=utf-8", "");
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return r;
        }
    };
    // a seek only moves the file's offset: no disk is touched
    if start > 0 && std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(start)).is_err() {
        return not_found();
    }
    let count = if len == 0 { 0 } else { end - start + 1 };
    let mut r = Response::new(ShareBody::File(FileStream { file: Some(file), left: count, reading: None }));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}"))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    if let Some(name) = download {
        // a quoted ASCII name: anything else becomes '_'
        let safe: String = name
            .chars()
            .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
            .collect();
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    r
}

/// A connection that fails when no byte moves either way for `idle` (a phone gone out of
/// range, a client that connects and waits).
struct Idle {
    stream: tokio::net::TcpStream,
    timer: Pin<Box<tokio::time::Sleep>>,
    idle: Duration,
}

impl Idle {
    fn new(stream: tokio::net::TcpStream, idle: Duration) -> Self {
        Self { stream, timer: Box::pin(tokio::time::sleep(idle)), idle }
    }

    fn moved(&mut self) {
        self.timer.as_mut().reset(tokio::time::Instant::now() + self.idle);
    }

    /// Pending I/O: an error once the connection has been idle too long.
    fn waiting<T>(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<T>> {
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "idle connection"))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for Idle {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.moved();
                Poll::Ready(r)
            }
            Poll::Pending => this.waiting(cx),
        }
    }
}

impl AsyncWrite for Idle {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_write(cx, data) {
            Poll::Ready(r) => {
                this.moved();
                Poll::Ready(r)
            }
            Poll::Pending => this.waiting(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_write_vectored(cx, data) {
            Poll::Ready(r) => {
                this.moved();
                Poll::Ready(r)
            }
            Poll::Pending => this.waiting(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_flush(cx) {
            Poll::Ready(r) => Poll::Ready(r),
            Poll::Pending => this.waiting(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges_as_phones_ask_for_them() {
        assert_eq!(byte_range("bytes=0-1", 100), Some(Ok((0, 1))));
        assert_eq!(byte_range("bytes=0-", 100), Some(Ok((0, 99))));
        assert_eq!(byte_range("bytes=90-500", 100), Some(Ok((90, 99))));
        assert_eq!(byte_range("bytes=-10", 100), Some(Ok((90, 99))));
        assert_eq!(byte_range("bytes=-1000", 100), Some(Ok((0, 99))));
        assert_eq!(byte_range("bytes=100-", 100), Some(Err(())));
        assert_eq!(byte_range("bytes=-0", 100), Some(Err(())));
        for ignored in
            ["bytes=0-1,5-6", "bytes=5-1", "items=0-1", "bytes=a-b", "bytes=-", "bytes=99999999999999999999-"]
        {
            assert_eq!(byte_range(ignored, 100), None, "{ignored}");
        }
    }
}
