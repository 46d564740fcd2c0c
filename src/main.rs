//! `webtoonme` binary: parse the command line, run it, print an error as one line.

use clap::Parser;

fn main() -> std::process::ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).format_timestamp(None).init();
    let cli = webtoonme::cli::Cli::parse();
    match webtoonme::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // one line: the chain of causes, outermost first
            let msg: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("webtoonme: error: {}", msg.join(": "));
            std::process::ExitCode::FAILURE
        }
    }
}
