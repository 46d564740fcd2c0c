//! Where the app finds what setup installed: the ONNX Runtime library and the model cache.
//!
//! In: environment variables and the project folder. Out: paths. `WEBTOONME_HOME` names the
//! project folder (default: the folder this binary was built from, then the current folder);
//! `WEBTOONME_MODELS` and `ORT_DYLIB_PATH` override single paths. Any thread.

use std::path::PathBuf;

/// ONNX Runtime version the `ort` crate targets; setup installs this one.
pub const ORT_VERSION: &str = "1.31.1";

pub const FACE_DETECTOR_FILE: &str = "face_detection_full_range.onnx";
pub const FACE_MESH_FILE: &str = "face_landmark_with_attention.onnx";
pub const PERSON_SEGMENTER_FILE: &str = "selfie_segmentation_landscape.onnx";

/// The project folder holding `models/` and `runtime/`.
pub fn home() -> PathBuf {
    if let Some(h) = std::env::var_os("WEBTOONME_HOME") {
        return h.into();
    }
    let built_from = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if built_from.join("models").is_dir() {
        return built_from;
    }
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

/// Folder of the converted ONNX models.
pub fn models_dir() -> PathBuf {
    std::env::var_os("WEBTOONME_MODELS").map(PathBuf::from).unwrap_or_else(|| home().join("models").join("cache"))
}

/// The ONNX Runtime shared library.
pub fn onnxruntime_library() -> PathBuf {
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
        return p.into();
    }
    let dir = home().join("runtime").join("onnxruntime").join(ORT_VERSION);
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
/// list separated like `PATH`). A pack id found twice is taken from the first folder.
pub fn characters_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![home().join("assets").join("characters")];
    if let Some(user) = std::env::var_os("WEBTOONME_CHARACTERS") {
        dirs.extend(std::env::split_paths(&user).filter(|p| !p.as_os_str().is_empty()));
    }
    dirs
}

/// The four-cut strip's style folder (`strip.toml` and its pictures): `WEBTOONME_STRIP`, else
/// `<home>/assets/strip`.
pub fn strip_dir() -> PathBuf {
    std::env::var_os("WEBTOONME_STRIP").map(PathBuf::from).unwrap_or_else(|| home().join("assets").join("strip"))
}

/// Where TensorRT keeps engines between runs.
pub fn trt_cache_dir() -> PathBuf {
    home().join("runtime").join("trt-cache")
}
