//! `webtoonme devices`: cameras, execution providers, and the provider a session really uses.
//!
//! In: nothing. Out: a table or JSON on stdout. Main thread.

use serde::Serialize;

use crate::cli::DevicesArgs;
use crate::paths;
use crate::perception::runtime::{self, ModelSession, SessionOptions};
use crate::source::camera::{CameraDescription, list_cameras};

#[derive(Debug, Serialize)]
pub struct DevicesReport {
    pub cameras: Vec<CameraDescription>,
    pub onnxruntime: RuntimeReport,
}

#[derive(Debug, Serialize)]
pub struct RuntimeReport {
    pub library: String,
    pub loaded: bool,
    pub error: Option<String>,
    /// Providers compiled into the library.
    pub compiled_providers: Vec<&'static str>,
    /// What `--ep` asked for.
    pub requested: String,
    /// The provider a real session (the face detector) runs on, after any fallback.
    pub active_provider: Option<String>,
}

pub fn run(args: &DevicesArgs) -> anyhow::Result<()> {
    let library = paths::onnxruntime_library();
    let mut rt = RuntimeReport {
        library: library.display().to_string(),
        loaded: false,
        error: None,
        compiled_providers: Vec::new(),
        requested: format!("{:?}", args.ep).to_lowercase(),
        active_provider: None,
    };
    match runtime::init(&library) {
        Ok(env) => {
            rt.loaded = true;
            rt.compiled_providers = runtime::compiled_providers();
            let opts = SessionOptions {
                provider: args.ep,
                trt_cache: Some(paths::trt_cache_dir()),
                ..SessionOptions::default()
            };
            let model = paths::models_dir().join(paths::FACE_DETECTOR_FILE);
            match ModelSession::load(&env, "face_detector", &model, &opts) {
                Ok(s) => rt.active_provider = Some(s.provider.to_string()),
                Err(e) => rt.error = Some(e.to_string()),
            }
        }
        Err(e) => rt.error = Some(e.to_string()),
    }
    let report = DevicesReport { cameras: list_cameras(), onnxruntime: rt };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("cameras: {}", if report.cameras.is_empty() { "none found".to_string() } else { String::new() });
    for c in &report.cameras {
        println!("  [{}] {} {}", c.index, c.name, c.description);
    }
    let r = &report.onnxruntime;
    println!("ONNX Runtime: {} ({})", r.library, if r.loaded { "loaded" } else { "not loaded" });
    println!("  compiled providers: {}", r.compiled_providers.join(", "));
    println!("  requested: {}, a session really runs on: {}", r.requested, r.active_provider.as_deref().unwrap_or("-"));
    if let Some(e) = &r.error {
        println!("  error: {e}");
    }
    Ok(())
}
