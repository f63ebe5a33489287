//! `oxbox`: the command-line front end.

mod cli;
mod config;
mod headless;
#[allow(dead_code)]
mod keymap;
mod png;
mod suite;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .format_timestamp(None)
        .init();
    let args = cli::Args::parse();
    match headless::run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("oxbox: {e}");
            ExitCode::from(cli::EXIT_HOST_ERROR)
        }
    }
}
