//! The installable app: `scripts/dist.sh` bundles the already-built test binary (stripped) as the
//! tar.gz and the .deb a booth machine gets, and the bundle runs without the source tree: unpacked
//! into a temporary folder, started with a clean environment (no `WEBTOONME_*`, no
//! `ORT_DYLIB_PATH`, a temporary HOME and XDG folders) from a current folder outside the source
//! tree, it finds ONNX Runtime, the models and the characters inside itself (`characters`,
//! `devices`, `photo`, `video`, `live --headless-terminal`), and the .deb's relative
//! `/usr/bin/webtoonme` symlink finds `/usr/lib/webtoonme`. Skipped (with a message) only when
//! setup has not run; every temporary folder is removed, also when an assertion fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn source_tree() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A folder under the system's temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let dir = std::env::temp_dir().join(format!("webtoonme-dist-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let dir = dir.canonicalize().unwrap();
        assert!(!dir.starts_with(source_tree()), "the temporary folder must be outside the source tree");
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn has_program(name: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {name}")]).output().is_ok_and(|o| o.status.success())
}

/// Runs `exe` as a booth machine would: only PATH, a temporary HOME, XDG_RUNTIME_DIR and XDG
/// folders inside `sandbox`, which is also the current folder.
fn run_clean(exe: &Path, args: &[&str], sandbox: &Path) -> Output {
    let runtime = sandbox.join("xdg-runtime");
    if !runtime.exists() {
        std::fs::create_dir_all(&runtime).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
    }
    Command::new(exe)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()))
        .env("HOME", sandbox.join("home"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("XDG_CONFIG_HOME", sandbox.join("config"))
        .env("XDG_DATA_HOME", sandbox.join("data"))
        .env("XDG_CACHE_HOME", sandbox.join("cache"))
        .current_dir(sandbox)
        .output()
        .unwrap_or_else(|e| panic!("{}: cannot run: {e}", exe.display()))
}

fn run_ok(exe: &Path, args: &[&str], sandbox: &Path) -> String {
    let out = run_clean(exe, args, sandbox);
    assert!(out.status.success(), "webtoonme {}: {}", args.join(" "), text(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// The ids of the built-in packs in the source tree.
fn builtin_ids() -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(source_tree().join("assets/characters"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("character.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    ids.sort();
    ids
}

/// `characters --json` lists every built-in pack from inside `home`, none from the source tree.
fn assert_characters_inside(exe: &Path, home: &Path, sandbox: &Path) {
    let json: serde_json::Value = serde_json::from_str(&run_ok(exe, &["characters", "--json"], sandbox)).unwrap();
    let packs = json["characters"].as_array().expect("characters");
    let mut ids: Vec<String> = packs.iter().map(|p| p["id"].as_str().unwrap().to_string()).collect();
    ids.sort();
    assert_eq!(ids, builtin_ids(), "every built-in character is listed: {json:#}");
    for p in packs {
        assert_eq!(p["builtin"], true, "{p:#}");
        for path in [&p["dir"], &p["thumbnail"], &p["face"]["path"], &p["background"]["path"]] {
            let path = Path::new(path.as_str().unwrap_or_else(|| panic!("a path in {p:#}")));
            assert!(path.starts_with(home), "{} is not inside {}", path.display(), home.display());
            assert!(!path.starts_with(source_tree()), "{} is in the source tree", path.display());
        }
    }
    assert_eq!(json["problems"].as_array().map(Vec::len), Some(0), "{json:#}");
}

/// Frames in the first video stream, counted by decoding (ffprobe).
fn frame_count(video: &Path) -> u64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames"])
        .args(["-of", "default=nokey=1:noprint_wrappers=1"])
        .arg(video)
        .output()
        .unwrap();
    assert!(out.status.success(), "ffprobe {}: {}", video.display(), text(&out));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or_else(|_| panic!("ffprobe: {}", text(&out)))
}

fn size_mib(path: &Path) -> f64 {
    std::fs::metadata(path).unwrap().len() as f64 / 1048576.0
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .unwrap()
        .flatten()
        .map(|e| {
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            if m.is_dir() { dir_size(&e.path()) } else { m.len() }
        })
        .sum()
}

#[test]
fn the_bundle_and_the_deb_run_without_the_source_tree() {
    if !source_tree().join("models/cache").is_dir() {
        eprintln!("SKIPPED: setup has not run (no models/cache); run scripts/setup.sh to test the bundle");
        return;
    }
    let with_deb = has_program("dpkg-deb");
    if !with_deb {
        eprintln!("note: dpkg-deb not found: the .deb is not built or checked here");
    }

    // --- build both from the test binary -----------------------------------------------------
    let out_dir = TempDir::new("out");
    let binary = Path::new(env!("CARGO_BIN_EXE_webtoonme"));
    let mut dist = Command::new("bash");
    dist.arg(source_tree().join("scripts/dist.sh")).arg("--tar");
    if with_deb {
        dist.arg("--deb");
    }
    let built = dist
        .arg("--binary")
        .arg(binary)
        .arg("--out")
        .arg(out_dir.path())
        .env("DEB_COMPRESSION", "gzip") // faster than xz; the layout is the same
        .output()
        .unwrap();
    assert!(built.status.success(), "scripts/dist.sh: {}", text(&built));
    eprint!("{}", String::from_utf8_lossy(&built.stdout));
    let version = env!("CARGO_PKG_VERSION");
    let name = format!("webtoonme-{version}-linux-{}", std::env::consts::ARCH);
    let tarball = out_dir.path().join(format!("{name}.tar.gz"));
    assert!(tarball.is_file(), "{} missing: {}", tarball.display(), text(&built));

    // --- the tar.gz: one top folder, unpacked outside the source tree ------------------------
    let sandbox = TempDir::new("run");
    let untar = Command::new("tar").arg("xzf").arg(&tarball).current_dir(sandbox.path()).output().unwrap();
    assert!(untar.status.success(), "tar: {}", text(&untar));
    let top: Vec<_> = std::fs::read_dir(sandbox.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(top, [std::ffi::OsString::from(&name)], "a single top folder");
    let bundle = sandbox.path().join(&name);
    let exe = bundle.join("webtoonme");
    for f in ["webtoonme.bundle", "README.txt", "LICENSE", "models/manifest.toml", "assets/strip/strip.toml"] {
        assert!(bundle.join(f).is_file(), "{f} is in the bundle");
    }
    let bundled_binary = std::fs::metadata(&exe).unwrap().len();
    let input_binary = std::fs::metadata(binary).unwrap().len();
    assert!(bundled_binary < input_binary, "the bundled binary is stripped: {bundled_binary} >= {input_binary} bytes");
    eprintln!(
        "sizes: test binary {:.1} MiB, bundled {:.1} MiB; tar.gz {:.1} MiB, unpacked {:.1} MiB",
        input_binary as f64 / 1048576.0,
        bundled_binary as f64 / 1048576.0,
        size_mib(&tarball),
        dir_size(&bundle) as f64 / 1048576.0
    );

    assert_characters_inside(&exe, &bundle, sandbox.path());

    let devices: serde_json::Value =
        serde_json::from_str(&run_ok(&exe, &["devices", "--json"], sandbox.path())).unwrap();
    let ort = &devices["onnxruntime"];
    assert_eq!(ort["loaded"], true, "{devices:#}");
    assert!(ort["active_provider"].is_string(), "a session ran: {devices:#}");
    assert!(Path::new(ort["library"].as_str().unwrap()).starts_with(&bundle), "{devices:#}");
    let paths = &devices["paths"];
    assert_eq!(paths["home"].as_str(), Some(bundle.to_str().unwrap()), "{devices:#}");
    assert_eq!(paths["home_from"], "bundle", "{devices:#}");
    assert_eq!(paths["models_found"], true, "{devices:#}");
    assert!(Path::new(paths["models"].as_str().unwrap()).starts_with(&bundle), "{devices:#}");
    assert!(
        Path::new(paths["trt_cache"].as_str().unwrap()).starts_with(sandbox.path().join("cache")),
        "the engine cache is the user's, not the bundle's: {devices:#}"
    );

    let picture = source_tree().join("assets/demo/astronaut.png");
    let photo = sandbox.path().join("photo.png");
    run_ok(&exe, &["photo", picture.to_str().unwrap(), "-o", photo.to_str().unwrap()], sandbox.path());
    let decoded = image::open(&photo).unwrap_or_else(|e| panic!("{}: {e}", photo.display()));
    assert_eq!(
        (decoded.width(), decoded.height()),
        image::image_dimensions(&picture).unwrap(),
        "the photo has the input's size"
    );

    let clip = source_tree().join("tests/data/pan_baseline.mp4");
    let video = sandbox.path().join("video.mp4");
    run_ok(&exe, &["video", clip.to_str().unwrap(), "-o", video.to_str().unwrap()], sandbox.path());
    assert!(std::fs::metadata(&video).unwrap().len() > 1000, "{} is written", video.display());
    if has_program("ffprobe") {
        assert_eq!(frame_count(&video), frame_count(&clip), "same frame count as the input");
    } else {
        eprintln!("note: ffprobe not found: the video's frames are not counted");
    }

    let live =
        run_ok(&exe, &["live", "--headless-terminal", "--source", "demo", "--exit-after-frames", "10"], sandbox.path());
    assert!(live.contains("live: 10 frames processed"), "{live}");

    // nothing was written into the bundle (it may be a read-only /usr/lib install)
    let after = dir_size(&bundle);
    let untouched = Command::new("tar").arg("tzvf").arg(&tarball).output().unwrap();
    let listed: u64 = String::from_utf8_lossy(&untouched.stdout)
        .lines()
        .filter(|l| l.starts_with('-'))
        .map(|l| l.split_whitespace().nth(2).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(after, listed, "the bundle's files are the archive's, nothing added");

    if !with_deb {
        return;
    }
    // --- the .deb: the relative /usr/bin symlink finds /usr/lib/webtoonme ----------------------
    let deb = out_dir.path().join(format!("webtoonme_{version}_{}.deb", deb_arch()));
    assert!(deb.is_file(), "{} missing: {}", deb.display(), text(&built));
    eprintln!("sizes: .deb {:.1} MiB (gzip; make deb uses xz)", size_mib(&deb));
    let field = |name: &str| {
        let o = Command::new("dpkg-deb").arg("--field").arg(&deb).arg(name).output().unwrap();
        assert!(o.status.success(), "dpkg-deb --field: {}", text(&o));
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    assert_eq!(field("Package"), "webtoonme");
    assert_eq!(field("Version"), version);
    let depends = field("Depends");
    for lib in ["libvulkan1", "mesa-vulkan-drivers", "libxkbcommon-x11-0", "libxcursor1", "libxi6", "libxrandr2"] {
        assert!(depends.contains(lib), "Depends lacks {lib}: {depends}");
    }
    assert!(field("Installed-Size").parse::<u64>().unwrap() > 1000);

    let root = TempDir::new("deb");
    let x = Command::new("dpkg-deb").arg("-x").arg(&deb).arg(root.path()).output().unwrap();
    assert!(x.status.success(), "dpkg-deb -x: {}", text(&x));
    let link = root.path().join("usr/bin/webtoonme");
    assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("../lib/webtoonme/webtoonme"), "a relative symlink");
    let desktop = std::fs::read_to_string(root.path().join("usr/share/applications/webtoonme.desktop")).unwrap();
    assert!(desktop.contains("\nExec=webtoonme live\n") && desktop.contains("\nIcon=webtoonme\n"), "{desktop}");
    let icons = root.path().join("usr/share/icons/hicolor");
    let icon =
        std::fs::read_dir(&icons).unwrap().flatten().map(|e| e.path().join("apps/webtoonme.png")).next().unwrap();
    let (w, h) = image::image_dimensions(&icon).unwrap();
    assert_eq!(icon.parent().unwrap().parent().unwrap().file_name().unwrap().to_string_lossy(), format!("{w}x{h}"));
    let copyright = std::fs::read_to_string(root.path().join("usr/share/doc/webtoonme/copyright")).unwrap();
    for needle in ["Apache-2.0", "Microsoft Corporation", "Vladimir Mandic"] {
        assert!(copyright.contains(needle), "copyright lacks {needle}");
    }
    let lib = root.path().join("usr/lib/webtoonme");
    assert_characters_inside(&link, &lib, root.path());
}

fn deb_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// Without setup's outputs the script refuses with one line naming what is missing.
#[test]
fn dist_refuses_clearly_before_setup() {
    let fake = TempDir::new("nosetup");
    for f in ["scripts/dist.sh", "Cargo.toml", "src/paths.rs", "models/manifest.toml"] {
        std::fs::create_dir_all(fake.path().join(f).parent().unwrap()).unwrap();
        std::fs::copy(source_tree().join(f), fake.path().join(f)).unwrap();
    }
    let out = Command::new("bash")
        .arg(fake.path().join("scripts/dist.sh"))
        .args(["--binary", "/bin/true", "--out"])
        .arg(fake.path().join("dist"))
        .env_remove("ORT_WHEEL")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    for needle in [
        "setup has not run",
        "runtime/onnxruntime/",
        "models/cache/face_detection_full_range.onnx",
        "assets/characters",
        "scripts/setup.sh",
    ] {
        assert!(lines[0].contains(needle), "'{needle}' missing from: {}", lines[0]);
    }
    assert!(!fake.path().join("dist").exists(), "nothing is written");
}
