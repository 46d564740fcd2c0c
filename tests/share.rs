//! The share server for real, on 127.0.0.1 (a free port each), and the `share` / `serve`
//! commands:
//! - a link's page, preview, inline file, download (same bytes as the kept file), HEAD and byte
//!   ranges, fetched with curl as a phone would;
//! - guessed and expired tokens, `..`, encoded slashes, the store's own files, long URLs and
//!   headers, POST/PUT/DELETE: each refused, the same bare 404 for every missing thing, nothing
//!   written;
//! - many slow connections: at most the configured number held, the rest closed at once, slow
//!   ones closed after the header time-out, and a phone is served again right after; a client
//!   that stops reading a large file is dropped after the idle time;
//! - after the retention time the file and its link are gone;
//! - `webtoonme share FILE --json --qr` then `webtoonme serve`: the QR code (zbarimg, when
//!   installed) and the link give the file's bytes, and a file shared while `serve` runs is
//!   served too.
//!
//! curl is installed by scripts/setup.sh; the tests that need it say so and stop when it is not.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use webtoonme::share::publish;
use webtoonme::share::server::{ServerOptions, ShareServer};
use webtoonme::share::store::{Kind, SharedStore, Store};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("webtoonme-share-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn has(program: &str) -> bool {
    let found = Command::new(program).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if !found {
        eprintln!("skipped: {program} is not installed (scripts/setup.sh installs it)");
    }
    found
}

/// A picture like a strip: 672 x 2754, stripes so that the PNG is not tiny.
fn strip_png(path: &Path) -> Vec<u8> {
    let img = image::RgbImage::from_fn(672, 2754, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 7 * 30) as u8])
    });
    img.save(path).unwrap();
    std::fs::read(path).unwrap()
}

fn server(store: SharedStore, tweak: impl FnOnce(&mut ServerOptions)) -> ShareServer {
    let mut options = ServerOptions::new("127.0.0.1:0".parse().unwrap());
    tweak(&mut options);
    ShareServer::start(store, options).unwrap()
}

/// One raw request (`Connection: close`); the status code and the whole answer's bytes.
fn raw_bytes(addr: SocketAddr, request: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let head = String::from_utf8_lossy(&out[..out.len().min(64)]).into_owned();
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, out)
}

/// [`raw_bytes`] as text.
fn raw(addr: SocketAddr, request: &str) -> (u16, String) {
    let (status, out) = raw_bytes(addr, request);
    (status, String::from_utf8_lossy(&out).into_owned())
}

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    raw(addr, &format!("GET {path} HTTP/1.1\r\nHost: booth\r\nConnection: close\r\n\r\n"))
}

/// The body of an answer from [`raw`].
fn body(answer: &str) -> &str {
    answer.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

/// The body of an answer from [`raw_bytes`].
fn body_bytes(answer: &[u8]) -> &[u8] {
    answer.windows(4).position(|w| w == b"\r\n\r\n").map_or(&[], |at| &answer[at + 4..])
}

/// curl's status code, headers and body for `url` (extra arguments before it).
fn curl(url: &str, extra: &[&str], dir: &Path) -> (u16, String, Vec<u8>) {
    let (headers, out) = (dir.join("headers.txt"), dir.join("body.bin"));
    let _ = std::fs::remove_file(&out);
    let o = Command::new("curl")
        .args(["-s", "--max-time", "20", "-D"])
        .arg(&headers)
        .arg("-o")
        .arg(&out)
        .args(["-w", "%{http_code}"])
        .args(extra)
        .arg(url)
        .output()
        .expect("run curl");
    let code = String::from_utf8_lossy(&o.stdout).trim().parse().unwrap_or(0);
    (
        code,
        std::fs::read_to_string(&headers).unwrap_or_default().to_lowercase(),
        std::fs::read(&out).unwrap_or_default(),
    )
}

fn publish_strip(dir: &Path, store: &SharedStore, base: &str) -> (String, Vec<u8>, PathBuf) {
    let path = dir.join("webtoonme_2026-12-04_10-00-00_haru_strip.png");
    let bytes = strip_png(&path);
    let link = publish::publish(
        store,
        std::slice::from_ref(&path),
        Kind::Strip,
        None,
        Some(Duration::from_secs(3600)),
        Some(base),
    )
    .unwrap();
    (link.url.unwrap(), bytes, path)
}

#[test]
fn a_link_serves_its_page_preview_and_the_kept_bytes() {
    if !has("curl") {
        return;
    }
    let dir = temp("link");
    let store = Store::open_shared(&dir).unwrap();
    let srv = server(store.clone(), |_| {});
    let base = format!("http://{}", srv.local_addr());
    let (url, bytes, _) = publish_strip(&dir, &store, &base);
    let token = url.rsplit('/').next().unwrap().to_string();

    let (code, headers, page) = curl(&url, &[], &dir);
    let page = String::from_utf8(page).unwrap();
    assert_eq!(code, 200, "{headers}");
    assert!(headers.contains("content-type: text/html"), "{headers}");
    assert!(headers.contains("content-security-policy: default-src 'none'"), "{headers}");
    assert!(headers.contains("referrer-policy: no-referrer"), "{headers}");
    assert!(page.contains(&format!("/k/{token}/p")) && page.contains(&format!("/k/{token}/d/0")), "{page}");
    assert!(page.contains("Save the strip"), "{page}");
    println!("page: {} bytes", page.len());

    let (code, headers, preview) = curl(&format!("{url}/p"), &[], &dir);
    assert_eq!(code, 200);
    assert!(headers.contains("content-type: image/jpeg"), "{headers}");
    let shown = image::load_from_memory(&preview).unwrap();
    assert!(shown.width() <= 1080 && shown.height() <= 2400, "{}x{}", shown.width(), shown.height());
    assert!(
        preview.len() * 3 < bytes.len(),
        "the preview ({}) is much smaller than the original ({})",
        preview.len(),
        bytes.len()
    );
    println!("preview: {} bytes for a {}-byte strip", preview.len(), bytes.len());

    let (code, headers, got) = curl(&format!("{url}/d/0"), &[], &dir);
    assert_eq!(code, 200);
    assert_eq!(got, bytes, "the download is the kept file, byte for byte");
    assert!(
        headers.contains("content-disposition: attachment; filename=\"webtoonme_2026-12-04_10-00-00_haru_strip.png\""),
        "{headers}"
    );
    let (code, _, got) = curl(&format!("{url}/f/0"), &[], &dir);
    assert_eq!((code, got == bytes), (200, true));

    // HEAD: the same headers, no body
    let (code, headers, _) = curl(&format!("{url}/f/0"), &["-I"], &dir);
    assert_eq!(code, 200);
    assert!(headers.contains(&format!("content-length: {}", bytes.len())), "{headers}");
    let addr = srv.local_addr();
    let path = url.split_once(&addr.to_string()).unwrap().1.to_string();
    let (code, answer) = raw_bytes(addr, &format!("HEAD {path}/f/0 HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n"));
    assert_eq!(code, 200);
    assert!(body_bytes(&answer).is_empty(), "HEAD sends no body");

    // ranges, as a phone's video player asks
    let (code, headers, got) = curl(&format!("{url}/f/0"), &["-r", "100-199"], &dir);
    assert_eq!(code, 206);
    assert_eq!(got, bytes[100..200]);
    assert!(headers.contains(&format!("content-range: bytes 100-199/{}", bytes.len())), "{headers}");
    let (code, _, got) = curl(&format!("{url}/f/0"), &["-r", "-10"], &dir);
    assert_eq!((code, got.as_slice()), (206, &bytes[bytes.len() - 10..]));
    let (code, headers, _) = curl(&format!("{url}/f/0"), &["-r", &format!("{}-", bytes.len())], &dir);
    assert_eq!(code, 416);
    assert!(headers.contains(&format!("content-range: bytes */{}", bytes.len())), "{headers}");
    // there is no second file
    assert_eq!(curl(&format!("{url}/f/1"), &[], &dir).0, 404);
    srv.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn guesses_expired_links_and_crafted_paths_all_get_the_same_bare_404() {
    let dir = temp("404");
    let store = Store::open_shared(&dir).unwrap();
    let srv = server(store.clone(), |_| {});
    let addr = srv.local_addr();
    let (url, _, path) = publish_strip(&dir, &store, &format!("http://{addr}"));
    let token = url.rsplit('/').next().unwrap().to_string();
    // a link that ended an hour ago
    let old = dir.join("old_photo.png");
    std::fs::write(&old, b"old").unwrap();
    let expired = store
        .lock()
        .unwrap()
        .publish(
            &[old],
            Kind::Photo,
            None,
            Some(Duration::from_secs(3600)),
            SystemTime::now() - Duration::from_secs(7200),
        )
        .unwrap()
        .token
        .to_string();
    std::fs::write(dir.join("secret.txt"), b"secret").unwrap();

    let (ok, _) = get(addr, &format!("/k/{token}"));
    assert_eq!(ok, 200);
    let mut flipped = token.clone().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let missing = [
        "/".to_string(),
        "/k".into(),
        "/k/".into(),
        "/index.html".into(),
        "/secret.txt".into(),
        "/webtoonme_2026-12-04_10-00-00_haru_strip.png".into(),
        "/.webtoonme-share/index.json".into(),
        "/k/AAAAAAAAAAAAAAAAAAAAAA".into(),
        format!("/k/{flipped}"),
        format!("/k/{expired}"),
        format!("/k/{expired}/d/0"),
        format!("/k/{token}/../../secret.txt"),
        format!("/k/{token}/d/../../../secret.txt"),
        format!("/k/{token}%2Fd%2F0"),
        format!("/k/{token}/d%2F0"),
        "/k/..%2F..%2Fsecret.txt".into(),
        "/k/%2e%2e/%2e%2e/secret.txt".into(),
        format!("/k/{token}/d/2"),
        format!("/k/{token}/d/-1"),
        format!("/k/{token}/f/0/"),
        format!("/k/{token}/p/../d/0"),
        format!("//k/{token}"),
        format!("/k//{token}"),
        format!("/k/{token}%00"),
        format!("/k/{}", &token[..21]),
        format!("/k/{token}A"),
    ];
    for p in &missing {
        let (code, answer) = get(addr, p);
        assert_eq!(code, 404, "{p}: {answer}");
        assert_eq!(body(&answer), "Not found\n", "{p}: the same few bytes, no hint");
        assert!(!answer.contains("secret") && !answer.contains(".png"), "{p}: {answer}");
    }
    // a request line that is not HTTP at all: hyper answers 400 and closes
    let (code, _) = raw(addr, "GET /k/../../etc/passwd\r\n\r\n");
    assert!(code == 400 || code == 0, "{code}");
    assert!(path.is_file());
    srv.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The names and sizes of every file under `dir`.
fn listing(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(listing(&p));
        } else {
            out.push((p.clone(), e.metadata().unwrap().len()));
        }
    }
    out.sort();
    out
}

#[test]
fn only_get_and_head_and_no_request_writes_anything() {
    let dir = temp("methods");
    let store = Store::open_shared(&dir).unwrap();
    let srv = server(store.clone(), |_| {});
    let addr = srv.local_addr();
    let (url, _, _) = publish_strip(&dir, &store, &format!("http://{addr}"));
    let path = url.split_once(&addr.to_string()).unwrap().1.to_string();
    let before = listing(&dir);
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"] {
        let payload = "x".repeat(100_000);
        let (code, answer) = raw(
            addr,
            &format!(
                "{method} {path}/d/0 HTTP/1.1\r\nHost: booth\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
                payload.len()
            ),
        );
        assert_eq!(code, 405, "{method}: {answer}");
        assert!(answer.to_lowercase().contains("allow: get, head"), "{method}: {answer}");
    }
    // a body announced as a gigabyte and never sent: refused, nothing waits for it
    let (code, _) = raw(
        addr,
        &format!("PUT {path} HTTP/1.1\r\nHost: b\r\nContent-Length: 1000000000\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(code, 405);
    assert_eq!(listing(&dir), before, "nothing was written");
    srv.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn long_urls_and_headers_are_refused_and_the_server_goes_on() {
    let dir = temp("long");
    let store = Store::open_shared(&dir).unwrap();
    let srv = server(store.clone(), |_| {});
    let addr = srv.local_addr();
    let (url, _, _) = publish_strip(&dir, &store, &format!("http://{addr}"));
    let path = url.split_once(&addr.to_string()).unwrap().1.to_string();
    let (code, _) = get(addr, &format!("/k/{}", "A".repeat(2000)));
    assert_eq!(code, 414, "a 2 KB URL");
    let (code, _) = get(addr, &format!("{path}?{}", "a".repeat(3000)));
    assert_eq!(code, 414, "a 3 KB query");
    let (code, _) = get(addr, &format!("/k/{}", "A".repeat(100_000)));
    assert!(code == 431 || code == 414, "a 100 KB URL: {code}");
    let (code, _) = raw(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: b\r\nX-Junk: {}\r\nConnection: close\r\n\r\n", "j".repeat(20_000)),
    );
    assert_eq!(code, 431, "a 20 KB header");
    let many: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    let (code, _) = raw(addr, &format!("GET {path} HTTP/1.1\r\nHost: b\r\n{many}Connection: close\r\n\r\n"));
    assert_eq!(code, 431, "200 headers");
    assert_eq!(get(addr, &path).0, 200, "and a phone is still served");
    srv.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn many_slow_connections_are_bounded_timed_out_and_never_stall_it() {
    const LIMIT: usize = 8;
    const SLOW: usize = 40;
    let dir = temp("slow");
    let store = Store::open_shared(&dir).unwrap();
    let srv = server(store.clone(), |o| {
        o.max_connections = LIMIT;
        o.header_timeout = Duration::from_secs(1);
        o.idle_timeout = Duration::from_secs(2);
    });
    let addr = srv.local_addr();
    let (url, bytes, _) = publish_strip(&dir, &store, &format!("http://{addr}"));
    let path = url.split_once(&addr.to_string()).unwrap().1.to_string();

    // 40 clients that connect and send half a request line, then nothing
    let started = Instant::now();
    let mut slow: Vec<TcpStream> = (0..SLOW)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            let _ = s.write_all(b"GET /k/");
            s
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(5);
    while srv.stats().accepted.load(Ordering::Relaxed) < SLOW as u64 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let stats = srv.stats();
    assert!(stats.open.load(Ordering::Relaxed) <= LIMIT, "{} open", stats.open.load(Ordering::Relaxed));
    assert!(stats.refused.load(Ordering::Relaxed) >= (SLOW - LIMIT) as u64, "{stats:?}");
    // every slow client is closed by the server: at once (over the limit) or after the header
    // time-out
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(6))).unwrap();
        let mut buf = [0u8; 256];
        let n = s.read(&mut buf).unwrap_or(0);
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "a slow client got: {text}");
    }
    let closed_after = started.elapsed();
    assert!(closed_after < Duration::from_secs(6), "slow clients held for {closed_after:?}");
    assert!(stats.open.load(Ordering::Relaxed) <= 1, "{stats:?}");
    // a phone right after: served, whole
    let (code, answer) = raw_bytes(addr, &format!("GET {path}/d/0 HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n"));
    assert_eq!(code, 200);
    assert_eq!(body_bytes(&answer), bytes.as_slice(), "the whole file");

    // a client trickling its headers a byte at a time is cut off by the header time-out
    let mut trickle = TcpStream::connect(addr).unwrap();
    let t0 = Instant::now();
    let mut cut = false;
    for b in b"GET /k/AAAAAAAAAAAAAAAAAAAAAA HTTP/1.1\r\nHost: b\r\nX-Slow: ".iter().cycle().take(200) {
        if trickle.write_all(&[*b]).is_err() {
            cut = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(cut, "still writing after {:?}", t0.elapsed());
    assert!(t0.elapsed() < Duration::from_secs(5), "cut after {:?}", t0.elapsed());
    srv.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_client_that_stops_reading_is_dropped_after_the_idle_time() {
    let dir = temp("stalled");
    let big = dir.join("webtoonme_2026-12-04_10-00-00_haru.mp4");
    let size = 64 << 20;
    std::fs::write(&big, vec![7u8; size]).unwrap();
    let store = Store::open_shared(&dir).unwrap();
    let srv = server(store.clone(), |o| o.idle_timeout = Duration::from_secs(1));
    let addr = srv.local_addr();
    let link =
        publish::publish(&store, &[big], Kind::Clip, None, Some(Duration::from_secs(600)), Some("http://b")).unwrap();
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET /k/{}/f/0 HTTP/1.1\r\nHost: b\r\n\r\n", link.token).unwrap();
    // read nothing for a while: the server's writes stall, then it gives up
    std::thread::sleep(Duration::from_secs(4));
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut got = 0usize;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    assert!(got < size, "the stalled download was not cut: {got} bytes of {size}");
    assert_eq!(srv.stats().open.load(Ordering::Relaxed), 0);
    srv.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn after_the_retention_time_the_file_and_its_link_are_gone() {
    let dir = temp("retention");
    let store = Store::open_shared(&dir).unwrap();
    let srv = server(store.clone(), |_| {});
    let addr = srv.local_addr();
    let photo = dir.join("webtoonme_2026-12-02_10-00-00_haru_photo.png");
    std::fs::write(&photo, b"png").unwrap();
    // kept 50 hours ago, with a link for 100 hours
    let token = store
        .lock()
        .unwrap()
        .publish(
            std::slice::from_ref(&photo),
            Kind::Photo,
            None,
            Some(Duration::from_secs(100 * 3600)),
            SystemTime::now() - Duration::from_secs(50 * 3600),
        )
        .unwrap()
        .token;
    assert_eq!(get(addr, &format!("/k/{token}/d/0")).0, 200);
    let swept = store.lock().unwrap().sweep(Some(Duration::from_secs(48 * 3600)), SystemTime::now()).unwrap();
    assert_eq!(swept.deleted, vec![photo.clone()]);
    assert!(!photo.exists());
    assert_eq!(get(addr, &format!("/k/{token}")).0, 404);
    assert_eq!(get(addr, &format!("/k/{token}/d/0")).0, 404);
    assert!(Store::open(&dir).unwrap().entries().is_empty(), "the index forgot it too");
    srv.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A port free now on 127.0.0.1.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn webtoonme(args: &[&str], config: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_webtoonme")).args(args).env("WEBTOONME_CONFIG", config).output().unwrap()
}

#[test]
fn share_prints_a_link_and_serve_answers_it() {
    if !has("curl") {
        return;
    }
    let dir = temp("cli");
    let folder = dir.join("kept");
    let config = dir.join("config.toml");
    let outside = dir.join("my strip.png");
    let bytes = strip_png(&outside);
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let qr = dir.join("qr.png");
    let out = webtoonme(
        &[
            "share",
            outside.to_str().unwrap(),
            "--folder",
            folder.to_str().unwrap(),
            "--address",
            &address,
            "--qr",
            qr.to_str().unwrap(),
            "--json",
        ],
        &config,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let url = report["url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("http://{address}/k/")), "{url}");
    let expires = chrono::DateTime::parse_from_rfc3339(report["expires"].as_str().unwrap()).unwrap();
    let hours = (expires.timestamp() - chrono::Utc::now().timestamp()) as f64 / 3600.0;
    assert!((hours - 24.0).abs() < 0.1, "the default link works 24 h: {hours}");
    assert_eq!(report["qr"].as_str(), qr.to_str());
    let copied = PathBuf::from(report["file"].as_str().unwrap());
    assert_eq!(copied.parent(), Some(folder.as_path()), "a file from elsewhere is copied into the folder");
    assert_eq!(std::fs::read(&copied).unwrap(), bytes);
    if Command::new("zbarimg").arg("--version").output().is_ok() {
        let z = Command::new("zbarimg").args(["-q", "--raw"]).arg(&qr).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&z.stdout).trim(), url, "the QR code holds the link");
    }

    let mut serve = Command::new(env!("CARGO_BIN_EXE_webtoonme"))
        .args(["serve", "--folder", folder.to_str().unwrap(), "--listen", &address])
        .env("WEBTOONME_CONFIG", &config)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut reader = std::io::BufReader::new(serve.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
    assert!(line.starts_with("serve:") && line.contains(&address), "{line}");
    let (code, _, got) = curl(&format!("{url}/d/0"), &[], &dir);
    assert_eq!((code, got == bytes), (200, true), "the link gives the file's bytes");

    // shared while serve runs: found too
    let clip = folder.join("webtoonme_2026-12-04_10-00-00_kang.mp4");
    std::fs::write(&clip, vec![3u8; 300_000]).unwrap();
    let out = webtoonme(
        &["share", clip.to_str().unwrap(), "--folder", folder.to_str().unwrap(), "--address", &address],
        &config,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let second = String::from_utf8_lossy(&out.stdout).lines().next().unwrap().to_string();
    let (code, headers, got) = curl(&format!("{second}/f/0"), &[], &dir);
    assert_eq!((code, got.len()), (200, 300_000), "{headers}");
    assert!(headers.contains("content-type: video/mp4"), "{headers}");
    let (code, _, page) = curl(&second, &[], &dir);
    assert_eq!(code, 200);
    assert!(String::from_utf8_lossy(&page).contains("<video"), "a clip's page plays it");
    let _ = serve.kill();
    let _ = serve.wait();

    // errors name the file
    let out = webtoonme(
        &["share", dir.join("nope.png").to_str().unwrap(), "--folder", folder.to_str().unwrap(), "--address", &address],
        &config,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.png"));
    let _ = std::fs::remove_dir_all(&dir);
}
