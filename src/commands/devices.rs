//! `webtoonme devices`: cameras, execution providers, the provider a session really uses, and
//! where the app finds its files (the home folder and how it was found: a bundle, the source
//! tree, `WEBTOONME_HOME`; the ONNX Runtime library, the models, the character folders, the
//! TensorRT engine cache, the settings file).
//!
//! In: nothing. Out: a table or JSON on stdout. Main thread.

use serde::Serialize;

use crate::paths;
use crate::perception::runtime::{self, ExecutionChoice, ModelSession, SessionOptions};
use crate::source::camera::{CameraDescription, list_cameras};
use clap::Args;

#[derive(Debug, Args)]
pub struct DevicesArgs {
    #[arg(long)]
    pub json: bool,
    #[arg(long, value_enum, default_value_t = ExecutionChoice::Auto)]
    pub ep: ExecutionChoice,
}

#[derive(Debug, Serialize)]
pub struct DevicesReport {
    pub cameras: Vec<CameraDescription>,
    pub onnxruntime: RuntimeReport,
    pub paths: PathsReport,
}

/// Where the app finds its files ([`crate::paths`]).
#[derive(Debug, Serialize)]
pub struct PathsReport {
    /// The folder holding `runtime/`, `models/` and `assets/`.
    pub home: String,
    /// How it was found: `WEBTOONME_HOME`, `bundle`, `source tree` or `current folder`.
    pub home_from: &'static str,
    /// The model cache, and whether the three perception models are in it.
    pub models: String,
    pub models_found: bool,
    /// Character pack folders, built-in first.
    pub characters: Vec<String>,
    pub trt_cache: String,
    /// The settings file (None: no config folder).
    pub config: Option<String>,
}

impl PathsReport {
    pub fn gather() -> Self {
        let home = paths::home_info();
        let models = paths::models_dir();
        let models_found = [paths::FACE_DETECTOR_FILE, paths::FACE_MESH_FILE, paths::PERSON_SEGMENTER_FILE]
            .iter()
            .all(|f| models.join(f).is_file());
        let shown = |p: &std::path::Path| p.display().to_string();
        Self {
            home: shown(&home.dir),
            home_from: home.source.name(),
            models: shown(&models),
            models_found,
            characters: paths::characters_dirs().iter().map(|p| shown(p)).collect(),
            trt_cache: shown(&paths::trt_cache_dir()),
            config: crate::config::config_path().map(|p| shown(&p)),
        }
    }
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
    let report = DevicesReport { cameras: list_cameras(), onnxruntime: rt, paths: PathsReport::gather() };
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
    let p = &report.paths;
    println!("files: {} ({})", p.home, p.home_from);
    println!(
        "  models: {} ({})",
        p.models,
        if p.models_found { "found" } else { "missing: setup has not run, or the bundle is incomplete" }
    );
    println!("  characters: {}", p.characters.join(", "));
    println!("  TensorRT engine cache: {}", p.trt_cache);
    println!("  settings: {}", p.config.as_deref().unwrap_or("none (no config folder)"));
    Ok(())
}
