//! Which files an argument list names: files as given, folders walked recursively for
//! `.yaml`/`.yml`/`.json`, glob patterns expanded, `-` for standard input.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{ErrorKind, LoadError};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum InputFile {
    Stdin,
    Path(PathBuf),
}

const MANIFEST_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

fn is_manifest(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        MANIFEST_EXTENSIONS
            .iter()
            .any(|m| m.eq_ignore_ascii_case(e))
    })
}

fn io_error(name: &str, message: String) -> LoadError {
    LoadError {
        file: Arc::from(name),
        pos: None,
        kind: ErrorKind::Io,
        message,
    }
}

/// Expands `inputs` in order. A file named explicitly is read whatever its extension;
/// folders contribute only manifest files, sorted, skipping hidden folders (`.git`, ...).
pub fn discover(inputs: &[String]) -> (Vec<InputFile>, Vec<LoadError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        if input == "-" {
            files.push(InputFile::Stdin);
            continue;
        }
        let path = Path::new(input);
        if path.is_dir() {
            let before = files.len();
            walk(path, &mut files, &mut errors);
            // A CI gate pointed at the wrong folder must not pass for having read nothing.
            if files.len() == before {
                errors.push(io_error(
                    input,
                    "no .yaml, .yml or .json files in this folder".into(),
                ));
            }
        } else if path.exists() {
            files.push(InputFile::Path(path.to_path_buf()));
        } else if input.contains(['*', '?', '[']) {
            match glob::glob(input) {
                Ok(paths) => {
                    let mut matched = false;
                    for entry in paths {
                        match entry {
                            Ok(p) if p.is_dir() => {
                                matched = true;
                                walk(&p, &mut files, &mut errors);
                            }
                            Ok(p) => {
                                matched = true;
                                files.push(InputFile::Path(p));
                            }
                            Err(e) => errors.push(io_error(
                                &e.path().to_string_lossy(),
                                format!("cannot read: {}", e.error()),
                            )),
                        }
                    }
                    if !matched {
                        errors.push(io_error(input, "no files match this pattern".into()));
                    }
                }
                Err(e) => errors.push(io_error(input, format!("invalid glob pattern: {e}"))),
            }
        } else {
            errors.push(io_error(input, "no such file or directory".into()));
        }
    }
    (files, errors)
}

fn walk(dir: &Path, files: &mut Vec<InputFile>, errors: &mut Vec<LoadError>) {
    let walker = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0 || !e.file_name().to_str().is_some_and(|n| n.starts_with('.'))
        });
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() && is_manifest(e.path()) => {
                files.push(InputFile::Path(e.into_path()));
            }
            Ok(_) => {}
            Err(e) => {
                let name = e
                    .path()
                    .map_or_else(|| dir.to_string_lossy(), |p| p.to_string_lossy())
                    .to_string();
                errors.push(io_error(&name, format!("cannot read: {e}")));
            }
        }
    }
}
