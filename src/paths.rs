//! Where the app finds what setup installed (the ONNX Runtime library, the model cache, the
//! built-in characters, the strip style) and where it keeps what it makes at run time.
//!
//! In: environment variables, the running executable's path, the folder this binary was built
//! from. Out: paths. Any thread.
//!
//! The home folder (holding `runtime/`, `models/` and `assets/`) is, in order:
//! 1. `WEBTOONME_HOME` when set;
//! 2. the folder of the running executable (symlinks resolved, so `/usr/bin/webtoonme` ->
//!    `../lib/webtoonme/webtoonme` gives `/usr/lib/webtoonme`) when it is a bundle made by
//!    `scripts/dist.sh`, marked by a [`BUNDLE_MARKER`] file next to the executable;
//! 3. the source tree this binary was built from, when it still has `models/`;
//! 4. the current folder.
//!
//! A bundle has the source tree's layout (`runtime/onnxruntime/<version>/`, `models/cache/`,
//! `assets/characters/`, `assets/strip/`); the demo source's pictures are compiled into the
//! binary. `WEBTOONME_MODELS`, `ORT_DYLIB_PATH` and `WEBTOONME_STRIP` override single paths.
//! User character packs come from `WEBTOONME_CHARACTERS` and from the platform data folder
//! (`$XDG_DATA_HOME/webtoonme/characters`, else `~/.local/share/webtoonme/characters`) when it
//! exists. The TensorRT engine cache is `runtime/trt-cache/` in the source tree, and the user
//! cache folder (`$XDG_CACHE_HOME/webtoonme/trt`, else `~/.cache/webtoonme/trt`) when running
//! from a bundle, which may be read-only (`/usr/lib/webtoonme`). Settings and kept files are
//! [`crate::config`]'s.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// ONNX Runtime version the `ort` crate targets; setup installs this one.
pub const ORT_VERSION: &str = "1.31.1";

pub const FACE_DETECTOR_FILE: &str = "face_detection_full_range.onnx";
pub const FACE_MESH_FILE: &str = "face_landmark_with_attention.onnx";
pub const PERSON_SEGMENTER_FILE: &str = "selfie_segmentation_landscape.onnx";
/// The likeness meter's face descriptor (`webtoonme likeness`).
pub const FACE_EMBEDDING_FILE: &str = "faceres.onnx";

/// The file `scripts/dist.sh` writes next to the executable of a bundle: a folder holding it is
/// the home folder of the executable next to it.
pub const BUNDLE_MARKER: &str = "webtoonme.bundle";

/// How the home folder was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeSource {
    /// `WEBTOONME_HOME`.
    Env,
    /// The folder of the running executable, a bundle.
    Bundle,
    /// The source tree the binary was built from.
    SourceTree,
    /// The current folder (nothing else fitted).
    CurrentDir,
}

impl HomeSource {
    /// For reports (`devices`).
    pub fn name(self) -> &'static str {
        match self {
            HomeSource::Env => "WEBTOONME_HOME",
            HomeSource::Bundle => "bundle",
            HomeSource::SourceTree => "source tree",
            HomeSource::CurrentDir => "current folder",
        }
    }
}

/// The home folder and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    pub dir: PathBuf,
    pub source: HomeSource,
}

impl Home {
    /// Whether the folder is a bundle made by `scripts/dist.sh` (however it was found).
    pub fn is_bundle(&self) -> bool {
        is_bundle(&self.dir)
    }
}

/// Whether `dir` holds a bundle's [`BUNDLE_MARKER`].
pub fn is_bundle(dir: &Path) -> bool {
    dir.join(BUNDLE_MARKER).is_file()
}

/// The resolution order of the home folder, as a pure function of its inputs: `env_home`
/// (`WEBTOONME_HOME`, ignored when empty), `exe` (the running executable, symlinks already
/// resolved), `built_from` (the source tree) and `cwd` (asked only when nothing else fits).
pub fn resolve_home(
    env_home: Option<&OsStr>,
    exe: Option<&Path>,
    built_from: &Path,
    cwd: impl FnOnce() -> PathBuf,
) -> Home {
    if let Some(h) = env_home.filter(|h| !h.is_empty()) {
        return Home { dir: h.into(), source: HomeSource::Env };
    }
    if let Some(dir) = exe.and_then(Path::parent).filter(|d| is_bundle(d)) {
        return Home { dir: dir.to_path_buf(), source: HomeSource::Bundle };
    }
    if built_from.join("models").is_dir() {
        return Home { dir: built_from.to_path_buf(), source: HomeSource::SourceTree };
    }
    Home { dir: cwd(), source: HomeSource::CurrentDir }
}

/// The running executable with every symlink resolved.
pub fn current_exe() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.canonicalize().unwrap_or(exe))
}

/// The home folder and how it was found (see the module documentation).
pub fn home_info() -> Home {
    resolve_home(
        std::env::var_os("WEBTOONME_HOME").as_deref(),
        current_exe().as_deref(),
        Path::new(env!("CARGO_MANIFEST_DIR")),
        || std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    )
}

/// The folder holding `models/`, `runtime/` and `assets/`: a bundle or the project folder.
pub fn home() -> PathBuf {
    home_info().dir
}

/// Folder of the converted ONNX models.
pub fn models_dir() -> PathBuf {
    env_path("WEBTOONME_MODELS").unwrap_or_else(|| home().join("models").join("cache"))
}

/// The ONNX Runtime shared library.
pub fn onnxruntime_library() -> PathBuf {
    if let Some(p) = env_path("ORT_DYLIB_PATH") {
        return p;
    }
    onnxruntime_library_in(&home())
}

/// The ONNX Runtime shared library inside the home folder `home`.
pub fn onnxruntime_library_in(home: &Path) -> PathBuf {
    let dir = home.join("runtime").join("onnxruntime").join(ORT_VERSION);
    let name = if cfg!(windows) {
        "onnxruntime.dll".to_string()
    } else if cfg!(target_os = "macos") {
        format!("libonnxruntime.{ORT_VERSION}.dylib")
    } else {
        format!("libonnxruntime.so.{ORT_VERSION}")
    };
    dir.join(name)
}

/// Where character packs are searched, in order: the built-in packs (`<home>/assets/characters`,
/// always first), then the user's pack folders named by `WEBTOONME_CHARACTERS` (one folder, or a
/// list separated like `PATH`), then the platform data folder's `webtoonme/characters` when it
/// exists. A pack id found twice is taken from the first folder.
pub fn characters_dirs() -> Vec<PathBuf> {
    characters_dirs_from(&home(), std::env::var_os("WEBTOONME_CHARACTERS").as_deref(), user_data_dir().as_deref())
}

/// [`characters_dirs`] from its inputs: the home folder, `WEBTOONME_CHARACTERS` and the user
/// data folder (`~/.local/share`; its `webtoonme/characters` is taken only when it is a folder).
pub fn characters_dirs_from(home: &Path, user_env: Option<&OsStr>, data_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs = vec![home.join("assets").join("characters")];
    if let Some(user) = user_env {
        dirs.extend(std::env::split_paths(user).filter(|p| !p.as_os_str().is_empty()));
    }
    if let Some(data) = data_dir.map(|d| d.join("webtoonme").join("characters")).filter(|d| d.is_dir())
        && !dirs.contains(&data)
    {
        dirs.push(data);
    }
    dirs
}

/// Where new characters are written (`webtoonme character new`, the window's "Save as new
/// character"): the first folder of `WEBTOONME_CHARACTERS`, else the user data folder's
/// `webtoonme/characters` (which [`characters_dirs`] then finds once it exists).
pub fn user_characters_dir() -> Option<PathBuf> {
    if let Some(first) = std::env::var_os("WEBTOONME_CHARACTERS")
        .and_then(|v| std::env::split_paths(&v).find(|p| !p.as_os_str().is_empty()))
    {
        return Some(first);
    }
    user_data_dir().map(|d| d.join("webtoonme").join("characters"))
}

/// The four-cut strip's style folder (`strip.toml` and its pictures): `WEBTOONME_STRIP`, else
/// `<home>/assets/strip`.
pub fn strip_dir() -> PathBuf {
    env_path("WEBTOONME_STRIP").unwrap_or_else(|| home().join("assets").join("strip"))
}

/// Where TensorRT keeps engines between runs: `<home>/runtime/trt-cache` in the source tree, the
/// user cache folder's `webtoonme/trt` (made here when missing) when running from a bundle.
pub fn trt_cache_dir() -> PathBuf {
    let home = home_info();
    let dir = trt_cache_dir_from(&home, user_cache_dir().as_deref());
    if home.is_bundle() {
        // ONNX Runtime makes only the last folder of the path
        let _ = std::fs::create_dir_all(&dir);
    }
    dir
}

/// [`trt_cache_dir`] from its inputs: the home folder and the user cache folder (`~/.cache`).
pub fn trt_cache_dir_from(home: &Home, cache_dir: Option<&Path>) -> PathBuf {
    if !home.is_bundle() {
        return home.dir.join("runtime").join("trt-cache");
    }
    match cache_dir {
        Some(cache) => cache.join("webtoonme").join("trt"),
        None => std::env::temp_dir().join("webtoonme-trt"),
    }
}

/// The user's data folder: `$XDG_DATA_HOME`, else `~/.local/share`.
pub fn user_data_dir() -> Option<PathBuf> {
    xdg_dir(std::env::var_os("XDG_DATA_HOME"), std::env::var_os("HOME"), ".local/share")
}

/// The user's cache folder: `$XDG_CACHE_HOME`, else `~/.cache`.
pub fn user_cache_dir() -> Option<PathBuf> {
    xdg_dir(std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME"), ".cache")
}

/// The user's config folder: `$XDG_CONFIG_HOME`, else `~/.config` (the autostart entry's
/// parent; the settings file is [`crate::config::config_path`]).
pub fn user_config_dir() -> Option<PathBuf> {
    xdg_dir(std::env::var_os("XDG_CONFIG_HOME"), std::env::var_os("HOME"), ".config")
}

/// An XDG base folder: the variable's value when it is an absolute path (the specification
/// ignores relative ones), else `home/fallback`; None without either.
pub fn xdg_dir(var: Option<OsString>, home: Option<OsString>, fallback: &str) -> Option<PathBuf> {
    var.map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| home.filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(fallback)))
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("webtoonme-paths-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn home_is_the_variable_then_the_bundle_then_the_source_tree_then_the_current_folder() {
        let root = temp("order");
        let bundle = root.join("bundle");
        let plain = root.join("plain");
        let tree = root.join("tree");
        for d in [&bundle, &plain, &tree.join("models")] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(bundle.join(BUNDLE_MARKER), "webtoonme 0.1.0\n").unwrap();
        let cwd = || PathBuf::from("/the/current/folder");
        let bundle_exe = bundle.join("webtoonme");
        let plain_exe = plain.join("webtoonme");

        let h = resolve_home(Some(OsStr::new("/from/env")), Some(&bundle_exe), &tree, cwd);
        assert_eq!(h, Home { dir: "/from/env".into(), source: HomeSource::Env });
        // an empty variable counts as unset
        let h = resolve_home(Some(OsStr::new("")), Some(&bundle_exe), &tree, cwd);
        assert_eq!(h, Home { dir: bundle.clone(), source: HomeSource::Bundle });
        assert!(h.is_bundle());
        // an executable outside a bundle (target/debug) falls through to the source tree
        let h = resolve_home(None, Some(&plain_exe), &tree, cwd);
        assert_eq!(h, Home { dir: tree.clone(), source: HomeSource::SourceTree });
        assert!(!h.is_bundle());
        let h = resolve_home(None, None, &tree, cwd);
        assert_eq!(h.source, HomeSource::SourceTree);
        // the source tree is gone (a copied binary): the current folder
        let h = resolve_home(None, Some(&plain_exe), &root.join("deleted"), cwd);
        assert_eq!(h, Home { dir: "/the/current/folder".into(), source: HomeSource::CurrentDir });
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_symlinked_executable_finds_its_bundle() {
        let root = temp("symlink");
        let lib = root.join("usr/lib/webtoonme");
        let bin = root.join("usr/bin");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(lib.join(BUNDLE_MARKER), "").unwrap();
        std::fs::write(lib.join("webtoonme"), "").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("../lib/webtoonme/webtoonme", bin.join("webtoonme")).unwrap();
            let exe = bin.join("webtoonme").canonicalize().unwrap();
            let h = resolve_home(None, Some(&exe), &root.join("no-tree"), || root.clone());
            assert_eq!(h.source, HomeSource::Bundle);
            assert_eq!(h.dir, lib.canonicalize().unwrap());
            assert_eq!(
                onnxruntime_library_in(&h.dir),
                h.dir.join("runtime/onnxruntime").join(ORT_VERSION).join(format!("libonnxruntime.so.{ORT_VERSION}"))
            );
        }
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn the_engine_cache_goes_to_the_user_cache_folder_from_a_bundle() {
        let root = temp("trt");
        std::fs::write(root.join(BUNDLE_MARKER), "").unwrap();
        let bundle = Home { dir: root.clone(), source: HomeSource::Bundle };
        let cache = Path::new("/home/booth/.cache");
        assert_eq!(trt_cache_dir_from(&bundle, Some(cache)), cache.join("webtoonme/trt"));
        assert!(trt_cache_dir_from(&bundle, None).starts_with(std::env::temp_dir()));
        let tree = Home { dir: "/src/webtoonme".into(), source: HomeSource::SourceTree };
        assert_eq!(trt_cache_dir_from(&tree, Some(cache)), Path::new("/src/webtoonme/runtime/trt-cache"));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn user_packs_come_from_the_variable_then_the_data_folder_when_it_exists() {
        let root = temp("packs");
        let home = Path::new("/opt/webtoonme");
        let data = root.join("share");
        let builtin = home.join("assets/characters");
        let env = std::env::join_paths(["/studio/a", "/studio/b"]).unwrap();
        // no data folder yet
        assert_eq!(
            characters_dirs_from(home, Some(&env), Some(&data)),
            vec![builtin.clone(), "/studio/a".into(), "/studio/b".into()]
        );
        std::fs::create_dir_all(data.join("webtoonme/characters")).unwrap();
        assert_eq!(
            characters_dirs_from(home, Some(&env), Some(&data)),
            vec![builtin.clone(), "/studio/a".into(), "/studio/b".into(), data.join("webtoonme/characters")]
        );
        assert_eq!(characters_dirs_from(home, None, None), vec![builtin]);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn xdg_folders_take_absolute_variables_else_the_home_folder() {
        let some = |s: &str| Some(OsString::from(s));
        assert_eq!(xdg_dir(some("/x/data"), some("/home/b"), ".local/share"), Some("/x/data".into()));
        assert_eq!(xdg_dir(some("relative"), some("/home/b"), ".local/share"), Some("/home/b/.local/share".into()));
        assert_eq!(xdg_dir(None, some("/home/b"), ".cache"), Some("/home/b/.cache".into()));
        assert_eq!(xdg_dir(some(""), some(""), ".cache"), None);
        assert_eq!(xdg_dir(None, None, ".cache"), None);
    }
}
