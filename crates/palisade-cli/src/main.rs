//! The `palisade` command: a thin front end over the pipeline
//! (load -> model -> rules -> findings -> emitters).
//!
//! Exit codes: 0 clean, 1 findings at or above `--fail-on`, 2 bad input or usage (input
//! errors win over findings: a partial scan must not pass as a clean one).

mod args;
mod commands;
mod rbac;

use std::process::ExitCode;

use clap::Parser;

// A scan allocates a few small strings per finding from every rayon worker. jemalloc
// (as rustc and ruff use) takes about a fifth less CPU time than glibc malloc here and
// keeps peak memory lower; mimalloc was as fast but held 35% more memory, and its
// bundled release had open multi-threading fixes (docs/performance.md).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(message) => {
            anstream::eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
