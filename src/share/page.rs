//! The page a phone opens from the QR code: one keepsake, sized for a phone, with a big save
//! button. Plain HTML with inline CSS: no script, no fonts, no external resources (the booth is
//! often offline, and the page must load at once on a weak network): pictures are shown from
//! their phone-sized preview, the original comes with "Save"; a clip plays in a `<video>`; a
//! boomerang is its GIF, with its MP4 as a second download.
//!
//! In: the keepsake's kind, token, file names and sizes, and when its link ends. Out: the HTML
//! text, and the paths the server answers under `/k/TOKEN` ([`Route`]). Any thread (the share
//! server's).

use std::fmt::Write as _;
use std::time::SystemTime;

use super::store::Kind;

/// What a path under a token asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/k/TOKEN`: the page.
    Page,
    /// `/k/TOKEN/p`: the preview (a picture's JPEG, a boomerang's GIF).
    Preview,
    /// `/k/TOKEN/f/N`: file N shown in the page (the video plays from it).
    File(usize),
    /// `/k/TOKEN/d/N`: file N as a download, under its own name.
    Download(usize),
}

/// Most files one keepsake has (a boomerang: GIF and MP4).
pub const MAX_FILES: usize = 2;

/// The token and the route of a request path; None for anything else (no listing, no paths:
/// the path is compared piece by piece, never decoded or joined to a folder).
pub fn route(path: &str) -> Option<(&str, Route)> {
    let rest = path.strip_prefix("/k/")?;
    let mut parts = rest.split('/');
    let token = parts.next()?;
    let route = match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) => Route::Page,
        (Some("p"), None, _) => Route::Preview,
        (Some(kind @ ("f" | "d")), Some(n), None) => {
            let n = match n {
                "0" => 0,
                "1" => 1,
                _ => return None,
            };
            if kind == "f" { Route::File(n) } else { Route::Download(n) }
        }
        _ => return None,
    };
    Some((token, route))
}

/// The path of `route` for `token`.
pub fn path(token: &str, route: Route) -> String {
    match route {
        Route::Page => format!("/k/{token}"),
        Route::Preview => format!("/k/{token}/p"),
        Route::File(n) => format!("/k/{token}/f/{n}"),
        Route::Download(n) => format!("/k/{token}/d/{n}"),
    }
}

/// `text` safe inside HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// "2.4 MB", "380 KB".
pub fn size_text(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1e6)
    } else {
        format!("{} KB", bytes.div_ceil(1000).max(1))
    }
}

/// When a link ends, in the booth's local time: "16:20 on 5 Dec".
pub fn until_text(at: SystemTime) -> String {
    let local: chrono::DateTime<chrono::Local> = at.into();
    // a no-break space keeps "5 Dec" on one line
    local.format("%H:%M on %-d\u{a0}%b").to_string()
}

/// One file of the keepsake as the page offers it.
#[derive(Debug, Clone)]
pub struct PageFile {
    pub name: String,
    pub bytes: u64,
}

const STYLE: &str = "\
*{box-sizing:border-box}\
html{-webkit-text-size-adjust:100%}\
body{margin:0;background:#101016;color:#f0f0f5;font:16px/1.4 -apple-system,system-ui,sans-serif;text-align:center}\
header{padding:18px 16px 6px}\
h1{margin:0;font-size:22px;color:#ff5c8a;letter-spacing:.5px}\
p{margin:6px 16px;color:#9696a5;font-size:14px}\
main{padding:10px 12px 0}\
img,video{display:block;margin:0 auto;max-width:100%;height:auto;border-radius:12px;background:#22222c}\
.strip img{width:78%}\
.bar{position:sticky;bottom:0;padding:12px;background:linear-gradient(transparent,#101016 30%)}\
a.save{display:block;margin:8px auto 0;max-width:420px;padding:15px;border-radius:14px;background:#ff5c8a;color:#fff;\
font-weight:600;font-size:18px;text-decoration:none}\
a.second{background:#2c2c38}\
small{display:block;margin:10px 0 14px;color:#77778a;font-size:13px}";

/// The page for one keepsake.
pub fn page(token: &str, kind: Kind, files: &[PageFile], has_preview: bool, expires: SystemTime) -> String {
    let title = match kind {
        Kind::Photo => "Your webtoon photo",
        Kind::Strip => "Your four-cut strip",
        Kind::Clip => "Your webtoon clip",
        Kind::Boomerang => "Your boomerang",
    };
    let mut html = String::with_capacity(3000);
    html.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1,viewport-fit=cover\">");
    html.push_str("<meta name=\"robots\" content=\"noindex\"><meta name=\"referrer\" content=\"no-referrer\">");
    let _ = write!(html, "<title>{title} · webtoonme</title><style>{STYLE}</style></head><body>");
    let _ = write!(html, "<header><h1>webtoonme</h1><p>{title}</p></header>");
    let class = if kind == Kind::Strip { " class=\"strip\"" } else { "" };
    let _ = write!(html, "<main{class}>");
    let shown = if has_preview { path(token, Route::Preview) } else { path(token, Route::File(0)) };
    match kind {
        Kind::Clip => {
            // #t=0.1: phones show the first frame instead of a black box before play
            let _ = write!(
                html,
                "<video src=\"{}#t=0.1\" controls playsinline preload=\"metadata\"></video>",
                path(token, Route::File(0))
            );
        }
        Kind::Photo | Kind::Strip | Kind::Boomerang => {
            let _ = write!(html, "<img src=\"{shown}\" alt=\"{}\">", escape(title));
        }
    }
    html.push_str("</main><div class=\"bar\">");
    for (n, f) in files.iter().enumerate().take(MAX_FILES) {
        let what = match (kind, n) {
            (Kind::Boomerang, 0) => "Save the GIF",
            (Kind::Boomerang, _) => "Save the video",
            (Kind::Clip, _) => "Save the video",
            (Kind::Strip, _) => "Save the strip",
            (Kind::Photo, _) => "Save the photo",
        };
        let class = if n == 0 { "save" } else { "save second" };
        let _ = write!(
            html,
            "<a class=\"{class}\" href=\"{}\" download=\"{}\">{what} ({})</a>",
            path(token, Route::Download(n)),
            escape(&f.name),
            size_text(f.bytes)
        );
    }
    let hint = match kind {
        Kind::Clip => "",
        _ => "On iPhone you can also touch and hold the picture, then Save to Photos. ",
    };
    let _ = write!(html, "<small>{hint}This link works until {}.</small></div></body></html>", until_text(expires));
    html
}

/// The answer to every unknown, expired or malformed link: the same few bytes, no hint.
pub const NOT_FOUND: &str = "Not found\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_exact_and_nothing_else_is_one() {
        let t = "AbCdEfGhIjKlMnOpQrStUv";
        assert_eq!(route(&format!("/k/{t}")), Some((t, Route::Page)));
        assert_eq!(route(&format!("/k/{t}/p")), Some((t, Route::Preview)));
        assert_eq!(route(&format!("/k/{t}/f/1")), Some((t, Route::File(1))));
        assert_eq!(route(&format!("/k/{t}/d/0")), Some((t, Route::Download(0))));
        for p in ["/", "/k", "/k/", "/index.html", "/k/../etc/passwd"] {
            assert!(route(p).is_none_or(|(token, _)| token.is_empty() || token == ".."), "{p}");
        }
        for p in [
            format!("/k/{t}/"),
            format!("/k/{t}/f/2"),
            format!("/k/{t}/f/01"),
            format!("/k/{t}/f/0/x"),
            format!("/k/{t}/x"),
            format!("/k/{t}/p/"),
            format!("/k/{t}/f/..%2f..%2fetc"),
            format!("/K/{t}"),
        ] {
            assert_eq!(route(&p), None, "{p}");
        }
        for r in [Route::Page, Route::Preview, Route::File(1), Route::Download(0)] {
            assert_eq!(route(&path(t, r)), Some((t, r)));
        }
    }

    #[test]
    fn the_page_is_self_contained_and_escapes_names() {
        let files = [
            PageFile { name: "a<b>\"c.gif".into(), bytes: 1_900_000 },
            PageFile { name: "c.mp4".into(), bytes: 420_000 },
        ];
        let t = "AbCdEfGhIjKlMnOpQrStUv";
        let html = page(t, Kind::Boomerang, &files, false, SystemTime::now());
        assert!(html.contains("a&lt;b&gt;&quot;c.gif") && !html.contains("a<b>"), "{html}");
        assert!(html.contains("Save the GIF (1.9 MB)") && html.contains("Save the video (420 KB)"), "{html}");
        assert!(html.contains(&format!("src=\"/k/{t}/f/0\"")));
        assert!(!html.contains("http") && !html.contains("<script") && !html.contains("<link"), "{html}");
        let html = page(t, Kind::Clip, &files[1..], false, SystemTime::now());
        assert!(html.contains("<video") && html.contains("playsinline"), "{html}");
        let html = page(t, Kind::Strip, &files[1..], true, SystemTime::now());
        assert!(html.contains(&format!("src=\"/k/{t}/p\"")) && html.contains("class=\"strip\""), "{html}");
        assert!(html.len() < 4000, "{} bytes", html.len());
    }
}
