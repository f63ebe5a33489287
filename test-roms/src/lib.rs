//! oxbox's conformance runners.
//!
//! `singlestep`: the SingleStepTests suites (8086, 80286 real mode) in their
//! MOO and JSON forms, run instruction by instruction against `oxbox-cpu`.
//! See docs/conformance.md for the rules and the skip list.

pub mod json;
pub mod meta;
pub mod model;
pub mod moo;
pub mod runner;
pub mod skip;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

pub use runner::{FileReport, Options, Runner};

/// The test files a list of paths names: files as given, directories
/// expanded to the test files in them, sorted by name.
pub fn collect_files(paths: &[PathBuf], filter: Option<&str>) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            let rd = std::fs::read_dir(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let mut files: Vec<PathBuf> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|f| runner::classify(f).is_some())
                .collect();
            if files.is_empty() {
                return Err(format!(
                    "{}: no test files (*.MOO.gz, *.json.gz) in this directory",
                    p.display()
                ));
            }
            files.sort();
            out.extend(files);
        } else if runner::classify(p).is_some() {
            out.push(p.clone());
        } else {
            return Err(format!(
                "{}: not a test file (*.MOO.gz, *.json.gz)",
                p.display()
            ));
        }
    }
    if let Some(f) = filter {
        out.retain(|p| runner::classify(p).is_some_and(|(_, stem)| skip::file_matches(f, &stem)));
    }
    Ok(out)
}

/// Runs the files on `jobs` threads and hands each report to `sink` in
/// file order as soon as it and all before it are done.
pub fn run_files(
    files: &[PathBuf],
    opts: &Options,
    jobs: usize,
    mut sink: impl FnMut(&Path, FileReport),
) {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, FileReport)>();
    let tx = Mutex::new(tx);
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            let tx = match tx.lock() {
                Ok(t) => t.clone(),
                Err(_) => return,
            };
            let next = &next;
            s.spawn(move || {
                let mut runner = Runner::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(f) = files.get(i) else { break };
                    if tx.send((i, runner.run_file(f, opts))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: Vec<Option<FileReport>> = (0..files.len()).map(|_| None).collect();
        let mut done = 0;
        for (i, r) in rx.iter() {
            pending[i] = Some(r);
            while done < files.len() {
                match pending[done].take() {
                    Some(r) => {
                        sink(&files[done], r);
                        done += 1;
                    }
                    None => break,
                }
            }
        }
    });
}
