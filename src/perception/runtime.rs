//! ONNX Runtime: loading the library, choosing an execution provider, and `ModelSession`, the one
//! wrapper every model (perception and stylizers) runs through.
//!
//! In: the library path and model files found by [`crate::paths`]. Out: sessions that record how
//! long each run took and which execution provider really runs them. A session is owned by one
//! worker thread (ort's `Session::run` takes `&mut self`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ort::ep::{self, ExecutionProvider};
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;

/// Errors of the runtime and of model files. Each names the file and the problem.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RuntimeError {
    #[error("ONNX Runtime library {path}: {reason} (run `webtoonme setup`, or set ORT_DYLIB_PATH)")]
    Library { path: PathBuf, reason: String },
    #[error("model {path}: {reason}")]
    Model { path: PathBuf, reason: String },
    #[error("execution provider {requested}: {reason}")]
    Provider { requested: String, reason: String },
    #[error("{model}: inference failed: {reason}")]
    Inference { model: String, reason: String },
}

/// Which execution provider to ask for (`--ep`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionChoice {
    /// TensorRT, then CUDA, then CPU: the first that registers.
    #[default]
    Auto,
    Cpu,
    Cuda,
    Tensorrt,
}

/// The execution provider a session really runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ActiveProvider {
    #[serde(rename = "cpu")]
    Cpu,
    #[serde(rename = "cuda")]
    Cuda,
    #[serde(rename = "tensorrt")]
    TensorRt,
}

impl ActiveProvider {
    pub fn name(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Cuda => "cuda",
            Self::TensorRt => "tensorrt",
        }
    }
}

impl std::fmt::Display for ActiveProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

static ENVIRONMENT: OnceLock<Result<ort::environment::Environment, RuntimeError>> = OnceLock::new();

/// Load ONNX Runtime from `library` once per process. Later calls return the first result.
pub fn init(library: &Path) -> Result<ort::environment::Environment, RuntimeError> {
    ENVIRONMENT
        .get_or_init(|| {
            let lib_err = |reason: String| RuntimeError::Library { path: library.to_path_buf(), reason };
            if !library.is_file() {
                return Err(lib_err("not found".into()));
            }
            let builder = ort::init_from(library).map_err(|e| lib_err(format!("cannot load: {e}")))?;
            builder
                .with_name("webtoonme")
                .with_telemetry(false)
                .with_logger(std::sync::Arc::new(ort_log))
                .build()
                .map_err(|e| lib_err(e.to_string()))
        })
        .clone()
}

/// ONNX Runtime's own log lines go to the `log` crate (`RUST_LOG=info` shows them): an error it
/// logs also comes back from the call that failed, and the app reports that once, as one line
/// naming the model, instead of ONNX Runtime's coloured line beside it.
fn ort_log(level: ort::logging::LogLevel, category: &str, _id: &str, location: &str, message: &str) {
    use ort::logging::LogLevel;
    let level = match level {
        LogLevel::Fatal => log::Level::Error,
        LogLevel::Error | LogLevel::Warning => log::Level::Info,
        LogLevel::Info | LogLevel::Verbose => log::Level::Debug,
    };
    log::log!(target: "onnxruntime", level, "{category} {location}: {message}");
}

/// Providers compiled into the loaded ONNX Runtime library (not a promise that they work here).
pub fn compiled_providers() -> Vec<&'static str> {
    let mut out = vec!["cpu"];
    if ep::CUDA::is_available().unwrap_or(false) {
        out.push("cuda");
    }
    if ep::TensorRT::is_available().unwrap_or(false) {
        out.push("tensorrt");
    }
    out
}

/// Options every session of the app shares.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    pub provider: ExecutionChoice,
    /// Intra-op threads per session. One keeps the workers from fighting over 2 cores; the
    /// pipeline gets its parallelism from running stages on different threads.
    pub intra_threads: usize,
    /// Where TensorRT keeps built engines, so a restart does not rebuild them.
    pub trt_cache: Option<PathBuf>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self { provider: ExecutionChoice::Auto, intra_threads: 1, trt_cache: None }
    }
}

/// A model input or output as the model file declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    pub name: String,
    /// Holds f32 values.
    pub f32: bool,
    /// -1 for a dynamic dimension; `None`: not a tensor.
    pub shape: Option<Vec<i64>>,
}

/// A model session with its run-time statistics.
pub struct ModelSession {
    session: Session,
    /// Short model name for messages and timing tables ("face_detector").
    pub name: &'static str,
    pub path: PathBuf,
    pub provider: ActiveProvider,
    last_run: Duration,
    total_run: Duration,
    runs: u64,
}

impl std::fmt::Debug for ModelSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelSession").field("name", &self.name).field("provider", &self.provider).finish()
    }
}

impl ModelSession {
    /// Load `path` on the provider `opts` asks for. With `auto` the first provider that registers
    /// wins; an explicit provider that cannot register is an error, not a silent CPU fallback.
    pub fn load(
        env: &ort::environment::Environment,
        name: &'static str,
        path: &Path,
        opts: &SessionOptions,
    ) -> Result<Self, RuntimeError> {
        let model_err = |reason: String| RuntimeError::Model { path: path.to_path_buf(), reason };
        let bytes = std::fs::read(path).map_err(|e| {
            model_err(if e.kind() == std::io::ErrorKind::NotFound {
                "not found (run `webtoonme setup` to build the models)".into()
            } else {
                e.to_string()
            })
        })?;
        Self::load_bytes(env, name, path, &bytes, opts)
    }

    /// [`Self::load`] for a model already in memory (a generated one); `path` names it in
    /// messages.
    pub fn load_bytes(
        env: &ort::environment::Environment,
        name: &'static str,
        path: &Path,
        bytes: &[u8],
        opts: &SessionOptions,
    ) -> Result<Self, RuntimeError> {
        let model_err = |reason: String| RuntimeError::Model { path: path.to_path_buf(), reason };
        let candidates: &[ActiveProvider] = match opts.provider {
            ExecutionChoice::Auto => &[ActiveProvider::TensorRt, ActiveProvider::Cuda, ActiveProvider::Cpu],
            ExecutionChoice::Cpu => &[ActiveProvider::Cpu],
            ExecutionChoice::Cuda => &[ActiveProvider::Cuda],
            ExecutionChoice::Tensorrt => &[ActiveProvider::TensorRt],
        };
        let mut last_provider_error = None;
        for &provider in candidates {
            let mut builder = Session::builder(env)
                .and_then(|b| b.with_optimization_level(GraphOptimizationLevel::Level3).map_err(Into::into))
                .and_then(|b| b.with_intra_threads(opts.intra_threads).map_err(Into::into))
                .and_then(|b| b.with_inter_threads(1).map_err(Into::into))
                .map_err(|e: ort::Error| model_err(e.to_string()))?;
            let registered = match provider {
                ActiveProvider::Cpu => Ok(()),
                ActiveProvider::Cuda => register(&mut builder, ep::CUDA::default().build().error_on_failure()),
                ActiveProvider::TensorRt => {
                    let mut trt = ep::TensorRT::default().with_fp16(true);
                    if let Some(dir) = &opts.trt_cache {
                        trt = trt.with_engine_cache(true).with_engine_cache_path(dir.display().to_string());
                    }
                    register(&mut builder, trt.build().error_on_failure())
                }
            };
            if let Err(reason) = registered {
                log::info!("{name}: {provider} unavailable: {reason}");
                last_provider_error = Some((provider, reason));
                continue;
            }
            let session =
                builder.commit_from_memory(bytes).map_err(|e| model_err(format!("not a usable ONNX model: {e}")))?;
            return Ok(Self {
                session,
                name,
                path: path.to_path_buf(),
                provider,
                last_run: Duration::ZERO,
                total_run: Duration::ZERO,
                runs: 0,
            });
        }
        let (provider, reason) = last_provider_error.expect("at least one candidate");
        Err(RuntimeError::Provider { requested: provider.name().into(), reason })
    }

    /// Run with one f32 input tensor; `read` gets the outputs while they are borrowed.
    pub fn run_f32<R>(
        &mut self,
        input_shape: &[usize],
        input: &[f32],
        read: impl FnOnce(&ort::session::SessionOutputs<'_>) -> Result<R, String>,
    ) -> Result<R, RuntimeError> {
        let fail = |reason: String| RuntimeError::Inference { model: self.name.to_string(), reason };
        let tensor = ort::value::TensorRef::from_array_view((input_shape, input)).map_err(|e| fail(e.to_string()))?;
        let t0 = Instant::now();
        let outputs = self
            .session
            .run(ort::inputs![tensor])
            .map_err(|e| RuntimeError::Inference { model: self.name.to_string(), reason: e.to_string() })?;
        let dt = t0.elapsed();
        let result = read(&outputs).map_err(|reason| RuntimeError::Inference { model: self.name.to_string(), reason });
        drop(outputs);
        self.last_run = dt;
        self.total_run += dt;
        self.runs += 1;
        result
    }

    /// Names of the model's inputs and outputs (for descriptor checks).
    /// Each input's and output's name, whether it holds f32 values, and its shape (-1 where a
    /// dimension is dynamic; `None` for a value that is not a tensor).
    pub fn io_tensors(&self) -> (Vec<TensorInfo>, Vec<TensorInfo>) {
        let info = |o: &ort::value::Outlet| TensorInfo {
            name: o.name().to_string(),
            f32: o.dtype().tensor_type() == Some(ort::value::TensorElementType::Float32),
            shape: o.dtype().tensor_shape().map(|s| s.to_vec()),
        };
        (self.session.inputs().iter().map(info).collect(), self.session.outputs().iter().map(info).collect())
    }

    pub fn io_names(&self) -> (Vec<String>, Vec<String>) {
        (
            self.session.inputs().iter().map(|o| o.name().to_string()).collect(),
            self.session.outputs().iter().map(|o| o.name().to_string()).collect(),
        )
    }

    /// Time spent inside ONNX Runtime in the last `run_f32`.
    pub fn last_run(&self) -> Duration {
        self.last_run
    }

    pub fn runs(&self) -> u64 {
        self.runs
    }

    pub fn total_run(&self) -> Duration {
        self.total_run
    }
}

fn register(
    builder: &mut ort::session::builder::SessionBuilder,
    ep: ort::ep::ExecutionProviderDispatch,
) -> Result<(), String> {
    ep.register(builder).map_err(|e| e.to_string())
}

/// Read a named f32 output as a flat slice.
pub fn output<'a>(outputs: &'a ort::session::SessionOutputs<'_>, name: &str) -> Result<&'a [f32], String> {
    let value = outputs.get(name).ok_or_else(|| format!("model has no output '{name}'"))?;
    value.try_extract_tensor::<f32>().map(|(_, data)| data).map_err(|e| format!("output '{name}': {e}"))
}
