//! `cargo run -p xtask -- docs [--check]`: writes docs/rules/ from the rule registry (or, with
//! --check, fails when the committed pages differ from what the registry generates).

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("docs") => docs(args.iter().any(|a| a == "--check")),
        _ => {
            eprintln!("usage: cargo run -p xtask -- docs [--check]");
            ExitCode::from(2)
        }
    }
}

fn docs(check: bool) -> ExitCode {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/rules");
    let files = palisade_report::catalog::generated_docs(palisade_rules::registry::all());
    let mut stale = Vec::new();
    for (name, text) in &files {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name.clone());
            if !check
                && let Err(e) =
                    std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, text))
            {
                eprintln!("cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    // Pages of rules that no longer exist.
    let known: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.ends_with(".md") && !known.contains(&name.as_str()) {
                stale.push(name.clone());
                if !check {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }
    if check && !stale.is_empty() {
        eprintln!(
            "docs/rules is stale ({}); run `cargo run -p xtask -- docs`",
            stale.join(", ")
        );
        return ExitCode::FAILURE;
    }
    println!("docs/rules: {} files, {} updated", files.len(), stale.len());
    ExitCode::SUCCESS
}
