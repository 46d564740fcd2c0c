//! The command line (a contract: scripts and tests call it; see README "Command line").
//!
//! In: `std::env::args`. Out: one command run on the main thread; errors come back as one line
//! naming the file or device and the problem (main prints it and exits non-zero).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::perception::runtime::ExecutionChoice;
use crate::source::SourceSpec;

#[derive(Debug, Parser)]
#[command(name = "webtoonme", version, about = "People in front of a camera become webtoon characters, live.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `live` when no command is given.
    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the live pipeline (default). With no camera, `--source demo` is used.
    Live(LiveArgs),
    /// Find faces in an image: boxes, scores, landmarks, person-mask coverage.
    Detect(DetectArgs),
    /// Turn a photo into a webtoon picture. `--overlay` draws what perception sees instead.
    Photo(PhotoArgs),
    /// Turn a video file into a webtoon MP4 (same frames and frame rate, audio kept).
    Video(VideoArgs),
    /// Record a stylized clip from a live source to MP4 (crash-safe fragmented MP4; never overwrites).
    Record(RecordArgs),
    /// Measure the pipeline: fps, latency, per-stage and model time, drops, memory.
    Bench(BenchArgs),
    /// Cameras and execution providers on this machine, and which provider a session really uses.
    Devices(DevicesArgs),
    /// Install what the app needs: system packages, ONNX Runtime, the perception models.
    Setup(SetupArgs),
    /// Installed character packs: provenance, model files and checksums; skipped packs on stderr.
    Characters(crate::characters_cmd::CharactersArgs),
}

#[derive(Debug, Clone, Args, Default)]
pub struct LiveArgs {
    /// camera[:N] | video:PATH | image:PATH | demo. Default: camera 0 if present, else demo.
    #[arg(long)]
    pub source: Option<SourceSpec>,
    /// Stop after this many processed frames.
    #[arg(long)]
    pub exit_after_frames: Option<u64>,
    /// Execution provider: auto tries TensorRT, then CUDA, then CPU.
    #[arg(long, value_enum, default_value_t = ExecutionChoice::Auto)]
    pub ep: ExecutionChoice,
    /// Start the window fullscreen (F11 toggles; Esc twice leaves).
    #[arg(long)]
    pub fullscreen: bool,
    /// Save a PNG of the window when `--exit-after-frames` is reached, then close.
    #[arg(long, requires = "exit_after_frames")]
    pub screenshot: Option<PathBuf>,
    /// Character everyone wears at the start (default: the first installed).
    #[arg(long)]
    pub character: Option<String>,
    /// No window: report in the terminal once a second.
    #[arg(long)]
    pub headless_terminal: bool,
    /// Print the window's repaints and frames per second once a second.
    #[arg(long)]
    pub report_repaints: bool,
    /// Switch to the next character every N frames and print when each switch is on screen
    /// (a demo loop, and the window test).
    #[arg(long, value_name = "N")]
    pub auto_switch_frames: Option<u64>,
    /// How the window presents: vsync (default: no tearing), or auto-no-vsync / mailbox /
    /// immediate (never wait for the display; measured no faster under Xvfb).
    #[arg(long, value_enum, default_value_t = PresentChoice::Vsync)]
    pub present_mode: PresentChoice,
    /// Start with parts of the screen open (screenshots, demos): comma-separated list of
    /// settings, side-by-side, status, labels.
    #[arg(long, hide = true, value_delimiter = ',', value_name = "PART")]
    pub show: Vec<String>,
    /// Test hook: the source fails after N frames and the next two reopen attempts fail too.
    #[arg(long, hide = true, value_name = "N")]
    pub simulate_source_loss: Option<u64>,
    /// Test hook: press keys when the feed has delivered so many frames, e.g. `30:R,200:R,210:P`
    /// (egui key names; the same path as a real key press).
    #[arg(long, hide = true, value_delimiter = ',', value_name = "FRAME:KEY", value_parser = parse_press)]
    pub press: Vec<(u64, String)>,
}

fn parse_press(s: &str) -> Result<(u64, String), String> {
    let (frame, key) = s.split_once(':').ok_or_else(|| format!("'{s}': expected FRAME:KEY"))?;
    let frame = frame.trim().parse().map_err(|_| format!("'{frame}' is not a frame count"))?;
    if eframe::egui::Key::from_name(key.trim()).is_none() {
        return Err(format!("'{key}' is not a key name (e.g. R, P, T, F11)"));
    }
    Ok((frame, key.trim().to_string()))
}

/// `--present-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PresentChoice {
    #[default]
    Vsync,
    AutoNoVsync,
    Mailbox,
    Immediate,
}

#[derive(Debug, Args)]
pub struct DetectArgs {
    pub input: PathBuf,
    /// Print JSON (the stable format documented in the README).
    #[arg(long)]
    pub json: bool,
    #[arg(long, value_enum, default_value_t = ExecutionChoice::Auto)]
    pub ep: ExecutionChoice,
}

#[derive(Debug, Args)]
pub struct PhotoArgs {
    pub input: PathBuf,
    #[arg(short, long)]
    pub output: PathBuf,
    /// Draw boxes, mesh, person mask and skin mask over the photo instead of stylizing it.
    #[arg(long)]
    pub overlay: bool,
    /// Character everyone wears (default: the first installed, see `webtoonme characters`).
    #[arg(long)]
    pub character: Option<String>,
    /// Give each person a different character.
    #[arg(long)]
    pub everyone_different: bool,
    #[arg(long, value_enum, default_value_t = ExecutionChoice::Auto)]
    pub ep: ExecutionChoice,
}

#[derive(Debug, Args)]
pub struct VideoArgs {
    pub input: PathBuf,
    #[arg(short, long)]
    pub output: PathBuf,
    /// Character everyone wears (default: the first installed).
    #[arg(long)]
    pub character: Option<String>,
    /// Give each person a different character.
    #[arg(long)]
    pub everyone_different: bool,
    #[arg(long, value_enum, default_value_t = ExecutionChoice::Auto)]
    pub ep: ExecutionChoice,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// camera[:N] | video:PATH | image:PATH | demo (played live, in real time).
    #[arg(long)]
    pub source: SourceSpec,
    /// Output MP4; an existing file is never overwritten: " (2)", " (3)", ... is added.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Length of the clip in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Character everyone wears (default: the first installed).
    #[arg(long)]
    pub character: Option<String>,
    /// Give each person a different character.
    #[arg(long)]
    pub everyone_different: bool,
    #[arg(long, value_enum, default_value_t = ExecutionChoice::Auto)]
    pub ep: ExecutionChoice,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// demo | video:PATH | image:PATH (an image repeats one frame).
    #[arg(long, default_value = "demo")]
    pub source: SourceSpec,
    #[arg(long, default_value_t = 300)]
    pub frames: u64,
    /// Frame size for the demo source, WxH.
    #[arg(long, value_parser = parse_size)]
    pub size: Option<(u32, u32)>,
    /// Print JSON (stable, documented in the README).
    #[arg(long)]
    pub json: bool,
    /// Measure perception alone (no stylization, no compositing).
    #[arg(long)]
    pub perception_only: bool,
    /// Character everyone wears (default: the first installed).
    #[arg(long)]
    pub character: Option<String>,
    #[arg(long, value_enum, default_value_t = ExecutionChoice::Auto)]
    pub ep: ExecutionChoice,
    /// Camera-like noise on the demo source (standard deviation, 0-255 units; 0 = off).
    #[arg(long, default_value_t = 3.0)]
    pub noise: f32,
    /// Also record the stylized output to this MP4, as the window's record button does (encoder
    /// on its own thread; frames it cannot take are dropped and counted). Replaces the file.
    #[arg(long, value_name = "OUT.mp4")]
    pub record: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct DevicesArgs {
    #[arg(long)]
    pub json: bool,
    #[arg(long, value_enum, default_value_t = ExecutionChoice::Auto)]
    pub ep: ExecutionChoice,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Rebuild the models even if they are present.
    #[arg(long)]
    pub force: bool,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s.split_once(['x', 'X']).ok_or("expected WxH, e.g. 1280x720")?;
    let w: u32 = w.parse().map_err(|_| format!("bad width '{w}'"))?;
    let h: u32 = h.parse().map_err(|_| format!("bad height '{h}'"))?;
    if !(16..=7680).contains(&w) || !(16..=4320).contains(&h) {
        return Err(format!("size {w}x{h} outside 16x16..7680x4320"));
    }
    Ok((w, h))
}

/// Run the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => crate::live::run(&cli.live),
        Some(Command::Live(a)) => crate::live::run(&a),
        Some(Command::Detect(a)) => crate::detect::run(&a),
        Some(Command::Photo(a)) => crate::media::photo(&a),
        Some(Command::Video(a)) => crate::media::video(&a),
        Some(Command::Record(a)) => crate::media::record(&a),
        Some(Command::Bench(a)) => crate::bench::run(&a),
        Some(Command::Devices(a)) => crate::devices::run(&a),
        Some(Command::Setup(a)) => crate::setup::run(&a),
        Some(Command::Characters(a)) => crate::characters_cmd::run(&a),
    }
}
