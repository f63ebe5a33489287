//! `oxbox`: the command-line front end.

mod cli;
mod config;
mod headless;
mod keymap;
mod pacing;
mod png;
mod signals;
mod suite;
mod window;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .format_timestamp(None)
        .init();
    let args = cli::Args::parse();
    signals::install();
    let result = if args.runs_headless() {
        headless::run(&args)
    } else {
        run_window(&args)
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("oxbox: {e}");
            ExitCode::from(cli::EXIT_HOST_ERROR)
        }
    }
}

/// A guest to look at (a disk image, a kernel, firmware) opens a window
/// unless --headless; a bare --rom test run and the built-in suite do not.
fn run_window(args: &cli::Args) -> Result<u8, Box<dyn std::error::Error>> {
    window::check_display()?;
    let Some(config) = config::build(args)? else {
        return headless::run(args);
    };
    window::run(args, config, config::guest_name(args))
}
