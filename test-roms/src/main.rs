//! `oxbox-conformance`: runs external CPU test suites against oxbox.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use oxbox_tests::{collect_files, run_files, Options};

#[derive(Parser)]
#[command(
    name = "oxbox-conformance",
    about = "Runs CPU conformance suites against oxbox"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// SingleStepTests (8086, 80286 real mode): MOO or JSON files or directories of them.
    Singlestep {
        /// Test files (*.MOO.gz, *.json.gz) or directories holding them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print every failing test with its differences.
        #[arg(short, long)]
        verbose: bool,
        /// Run at most N tests per file.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Only files for this opcode (`F6` also selects F6.0-F6.7; `F6.6` one file).
        #[arg(long, value_name = "OPCODE")]
        filter: Option<String>,
        /// Run only the test with this index in each file.
        #[arg(long, value_name = "N")]
        index: Option<usize>,
        /// Worker threads (default: available cores).
        #[arg(short, long, value_name = "N")]
        jobs: Option<usize>,
        /// metadata.json to use instead of the one found next to the files.
        #[arg(long, value_name = "PATH")]
        metadata: Option<PathBuf>,
    },
}

/// Writes to stdout; a closed pipe (`| head`) ends the program quietly.
fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .is_err()
    {
        std::process::exit(141);
    }
}

macro_rules! say {
    ($($t:tt)*) => { emit(&format!("{}\n", format_args!($($t)*))) };
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Command::Singlestep {
        paths,
        verbose,
        limit,
        filter,
        index,
        jobs,
        metadata,
    } = cli.command;
    let files = match collect_files(&paths, filter.as_deref()) {
        Ok(f) if f.is_empty() => {
            eprintln!("error: no test files match");
            return ExitCode::from(2);
        }
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let opts = Options {
        verbose,
        limit,
        index,
        metadata,
    };
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let (mut passed, mut failed, mut errors) = (0usize, 0usize, 0usize);
    let mut skipped_files: BTreeMap<&'static str, (usize, usize)> = BTreeMap::new();
    let mut skipped_tests: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut notes: BTreeMap<&'static str, usize> = BTreeMap::new();
    run_files(&files, &opts, jobs, |_, r| {
        emit(&r.log);
        if let Some(e) = &r.error {
            eprintln!("error: {}: {e}", r.label);
            errors += 1;
        } else {
            say!("{}", r.line());
        }
        passed += r.passed;
        failed += r.failed;
        if let Some((why, n)) = r.file_skip {
            let e = skipped_files.entry(why).or_default();
            e.0 += 1;
            e.1 += n;
        }
        for (why, n) in &r.skipped {
            *skipped_tests.entry(why).or_default() += n;
        }
        for (why, n) in &r.notes {
            *notes.entry(why).or_default() += n;
        }
    });
    let (nf, nt): (usize, usize) = skipped_files
        .values()
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    if nf > 0 {
        say!("skipped {nf} files ({nt} tests):");
        for (why, (f, t)) in &skipped_files {
            say!("    {f} files ({t} tests): {why}");
        }
    }
    let k: usize = skipped_tests.values().sum();
    if k > 0 {
        say!("skipped {k} tests in files that ran:");
        for (why, n) in &skipped_tests {
            say!("    {n}: {why}");
        }
    }
    for (why, n) in &notes {
        say!("note: {n} passed tests were compared under this convention: {why}");
    }
    if errors > 0 {
        say!("{errors} files could not be read");
    }
    say!("{passed} passed, {failed} failed");
    if errors > 0 {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
