//! The command line (a contract: scripts and tests call it; see README "Command line").
//!
//! Only collects the commands: each lives with its own arguments in [`crate::commands`].
//!
//! In: `std::env::args`. Out: one command run on the main thread; errors come back as one line
//! naming the file or device and the problem (main prints it and exits non-zero).

use clap::{Parser, Subcommand};

use crate::commands::autostart::AutostartArgs;
use crate::commands::bench::BenchArgs;
use crate::commands::character::CharacterArgs;
use crate::commands::characters::CharactersArgs;
use crate::commands::detect::DetectArgs;
use crate::commands::devices::DevicesArgs;
use crate::commands::likeness::LikenessArgs;
use crate::commands::live::LiveArgs;
use crate::commands::media::{PhotoArgs, RecordArgs, VideoArgs};
use crate::commands::serve::ServeArgs;
use crate::commands::setup::SetupArgs;
use crate::commands::share::ShareArgs;

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
    /// How much each face of a photo still looks like the person in its stylized picture.
    Likeness(LikenessArgs),
    /// Cameras and execution providers on this machine, and which provider a session really uses.
    Devices(DevicesArgs),
    /// Install what the app needs: system packages, ONNX Runtime, the perception models.
    Setup(SetupArgs),
    /// Installed character packs: provenance, model files and checksums; skipped packs on stderr.
    Characters(CharactersArgs),
    /// Make a new character: `character new ID --from DIR` measures a webtoon's pictures.
    Character(CharacterArgs),
    /// Start the booth when this user logs in (an XDG autostart entry); `--kiosk`: fullscreen.
    Autostart(AutostartArgs),
    /// Serve the keepsakes kept in a folder to phones (the links the booth's QR codes name).
    Serve(ServeArgs),
    /// Publish a kept file in a folder's store and print its link (and QR code).
    Share(ShareArgs),
}

/// Run the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => crate::commands::live::run(&cli.live),
        Some(Command::Live(a)) => crate::commands::live::run(&a),
        Some(Command::Detect(a)) => crate::commands::detect::run(&a),
        Some(Command::Photo(a)) => crate::commands::media::photo(&a),
        Some(Command::Video(a)) => crate::commands::media::video(&a),
        Some(Command::Record(a)) => crate::commands::media::record(&a),
        Some(Command::Bench(a)) => crate::commands::bench::run(&a),
        Some(Command::Likeness(a)) => crate::commands::likeness::run(&a),
        Some(Command::Devices(a)) => crate::commands::devices::run(&a),
        Some(Command::Setup(a)) => crate::commands::setup::run(&a),
        Some(Command::Characters(a)) => crate::commands::characters::run(&a),
        Some(Command::Character(a)) => crate::commands::character::run(&a),
        Some(Command::Autostart(a)) => crate::commands::autostart::run(&a),
        Some(Command::Serve(a)) => crate::commands::serve::run(&a),
        Some(Command::Share(a)) => crate::commands::share::run(&a),
    }
}
