//! Load: turns paths, folders, globs and standard input into [`Object`]s.
//!
//! Files are read and their documents parsed in parallel (rayon); results come back in input
//! order so output is deterministic. Bad input never stops the load: each unreadable file or
//! broken document becomes a [`LoadError`] with file:line:column, and everything else is
//! still returned. `kind: List` (and `*List`) documents are unpacked into their items.

mod discover;
mod error;
mod fast;
mod limits;
pub mod resolve;
mod split;
mod words;
mod yaml;

use std::io::Read;
use std::sync::Arc;

use palisade_model::{Document, Object, Origin, Pos};
use rayon::prelude::*;

pub use discover::{InputFile, discover};
pub use error::{ErrorKind, LoadError, LoadWarning};
pub use limits::Limits;
pub use split::{Chunk, Split, SplitIssue, split_documents};

/// The text of one input, named as it will appear in findings.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: Arc<str>,
    pub text: String,
}

/// Counts that go into the report summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadStats {
    /// Files (and standard input) read.
    pub files: usize,
    /// Non-empty YAML/JSON documents parsed.
    pub documents: usize,
    /// Kubernetes objects produced (list items count one each).
    pub objects: usize,
    /// Documents (or list items) skipped because they name no `apiVersion` and `kind`.
    pub skipped: usize,
}

/// Everything a load produced.
#[derive(Debug, Default)]
pub struct LoadOutcome {
    pub objects: Vec<Object>,
    pub errors: Vec<LoadError>,
    pub warnings: Vec<LoadWarning>,
    pub stats: LoadStats,
}

/// Loads every input. `-` reads standard input (through `stdin`, so callers and tests can
/// supply it).
pub fn load_inputs(inputs: &[String], limits: &Limits, stdin: &mut dyn Read) -> LoadOutcome {
    let (files, discover_errors) = discover(inputs);
    // Standard input is read once, on this thread; files in parallel.
    let stdin_source = files
        .iter()
        .any(|f| matches!(f, InputFile::Stdin))
        .then(|| read_stdin(stdin, limits));
    let mut outcome = LoadOutcome::default();
    let mut read_errors = Vec::new();
    let mut load_errors = Vec::new();
    // Files are read and parsed a batch at a time, so only one batch's text is held next
    // to the documents built so far (a 126 MB tree would otherwise sit in memory whole
    // until the last document is parsed).
    for batch in batches(&files) {
        let read: Vec<Result<Source, LoadError>> = batch
            .par_iter()
            .map(|f| match f {
                InputFile::Stdin => stdin_source
                    .clone()
                    .unwrap_or_else(|| read_stdin(&mut std::io::empty(), limits)),
                InputFile::Path(p) => read_file(p, limits),
            })
            .collect();
        let mut sources = Vec::with_capacity(read.len());
        for r in read {
            match r {
                Ok(s) => sources.push(s),
                Err(e) => read_errors.push(e),
            }
        }
        let files_read = sources.len();
        let mut part = load_sources(sources, limits);
        outcome.stats.files += files_read;
        outcome.stats.documents += part.stats.documents;
        outcome.stats.objects += part.stats.objects;
        outcome.stats.skipped += part.stats.skipped;
        outcome.objects.append(&mut part.objects);
        outcome.warnings.append(&mut part.warnings);
        load_errors.append(&mut part.errors);
    }
    outcome.errors = discover_errors;
    outcome.errors.append(&mut read_errors);
    outcome.errors.append(&mut load_errors);
    outcome
}

/// Consecutive runs of files of about `BATCH_BYTES` together (by their size on disk).
fn batches(files: &[InputFile]) -> Vec<&[InputFile]> {
    const BATCH_BYTES: u64 = 16 << 20;
    let sizes: Vec<u64> = files
        .par_iter()
        .map(|f| match f {
            InputFile::Path(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
            InputFile::Stdin => 0,
        })
        .collect();
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, size) in sizes.into_iter().enumerate() {
        if i > start && bytes + size > BATCH_BYTES {
            out.push(&files[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < files.len() {
        out.push(&files[start..]);
    }
    out
}

/// Loads one in-memory text (tests, the fuzzer, the webhook's raw input).
pub fn load_str(name: &str, text: &str, limits: &Limits) -> LoadOutcome {
    load_sources(
        vec![Source {
            name: name.into(),
            text: text.to_string(),
        }],
        limits,
    )
}

/// The document roots of one text, without turning them into objects: the YAML-to-JSON
/// layer alone, for tests that compare it with Kubernetes' own conversion.
pub fn parse_str(name: &str, text: &str, limits: &Limits) -> Vec<Result<Document, LoadError>> {
    let file: Arc<str> = name.into();
    let split = split_documents(text);
    let mut out: Vec<Result<Document, LoadError>> = split
        .errors
        .into_iter()
        .map(|issue| Err(split_error(&file, issue)))
        .collect();
    out.extend(
        split
            .chunks
            .iter()
            .flat_map(|c| yaml::parse_documents(c, &file, limits))
            .map(|d| d.map(|d| d.doc)),
    );
    out
}

/// Hooks for the fast path's differential tests and fuzz target.
#[doc(hidden)]
pub mod testing {
    use std::sync::Arc;

    use palisade_model::{Document, Node, Value};

    use crate::{Limits, LoadWarning, split_documents};

    /// One chunk's reading by both parsers: the fast path's (`None` when it declined) and
    /// the general parser's (its error message on an error).
    pub type Readings = (
        Option<(Document, Vec<LoadWarning>)>,
        Result<(Document, Vec<LoadWarning>), String>,
    );

    /// Errors of the general parser (saphyr-parser 0.3.4) on YAML that Kubernetes
    /// (sigs.k8s.io/yaml) reads: where the fast path accepts such a document it is right and
    /// the general parser is not, so the differential checks do not count it as a
    /// disagreement. Each entry is pinned by a test in tests/fast_path.rs that fails once
    /// the parser is fixed.
    pub fn known_general_parser_defect(message: &str) -> bool {
        // `[k -]`, `{m: k -}`: saphyr checks "`-` before a flow indicator" at every
        // character of a plain scalar, not only at its start (YAML 1.2 ns-plain-first).
        message.contains("plain scalar cannot start with '-' followed by ,[]{}")
    }

    pub fn both_parsers(text: &str, limits: &Limits) -> Vec<Readings> {
        let file: Arc<str> = "t.yaml".into();
        split_documents(text)
            .chunks
            .iter()
            .map(|c| {
                let fast = crate::fast::parse(c, &file, limits)
                    .ok()
                    .flatten()
                    .map(|d| (d.doc, d.warnings));
                let mut general = crate::yaml::parse_general(c, &file, limits);
                let general = match (general.len(), general.pop()) {
                    (1, Some(Ok(d))) => Ok((d.doc, d.warnings)),
                    (1, Some(Err(e))) => Err(e.to_string()),
                    (n, _) => Err(format!("{n} documents in one chunk")),
                };
                (fast, general)
            })
            .collect()
    }

    /// The first difference between two trees (values, keys, positions), if any.
    pub fn difference(a: Node<'_>, b: Node<'_>, path: &str) -> Option<String> {
        if a.pos() != b.pos() || a.key() != b.key() {
            return Some(format!(
                "{path}: position/key {:?}@{} vs {:?}@{}",
                a.key(),
                a.pos(),
                b.key(),
                b.pos()
            ));
        }
        match (a.value(), b.value()) {
            (Value::Seq(x), Value::Seq(y)) => {
                if x.len() != y.len() {
                    return Some(format!("{path}: {} vs {} items", x.len(), y.len()));
                }
                x.zip(y)
                    .enumerate()
                    .find_map(|(i, (p, q))| difference(p, q, &format!("{path}[{i}]")))
            }
            (Value::Map(x), Value::Map(y)) => {
                if x.len() != y.len() {
                    return Some(format!("{path}: {} vs {} entries", x.len(), y.len()));
                }
                x.zip(y)
                    .find_map(|((k, p), (_, q))| difference(p, q, &format!("{path}.{k}")))
            }
            (Value::Float(x), Value::Float(y)) if x.to_bits() == y.to_bits() => None,
            (x, y) => {
                let same = match (x, y) {
                    (Value::Null, Value::Null) => true,
                    (Value::Bool(p), Value::Bool(q)) => p == q,
                    (Value::Int(p), Value::Int(q)) => p == q,
                    (Value::UInt(p), Value::UInt(q)) => p == q,
                    (Value::Str(p), Value::Str(q)) => p == q,
                    _ => false,
                };
                (!same).then(|| format!("{path}: {x:?} vs {y:?}"))
            }
        }
    }
}

/// Parses already-read sources.
pub fn load_sources(sources: Vec<Source>, limits: &Limits) -> LoadOutcome {
    // Cut every source into documents, then parse all documents of all files in parallel.
    let splits: Vec<Split<'_>> = sources
        .par_iter()
        .map(|s| split_documents(&s.text))
        .collect();
    let mut outcome = LoadOutcome::default();
    let mut chunks: Vec<(usize, Chunk<'_>)> = Vec::new();
    for (i, split) in splits.into_iter().enumerate() {
        let file = &sources[i].name;
        outcome
            .errors
            .extend(split.errors.into_iter().map(|e| split_error(file, e)));
        outcome
            .warnings
            .extend(split.warnings.into_iter().map(|w| LoadWarning {
                file: file.clone(),
                pos: w.pos,
                message: w.message,
            }));
        chunks.extend(split.chunks.into_iter().map(|c| (i, c)));
    }
    let parsed: Vec<(usize, Vec<Result<yaml::ParsedDocument, LoadError>>)> = chunks
        .par_iter()
        .map(|&(i, chunk)| {
            let file = &sources[i].name;
            if chunk.text.len() > limits.max_document_bytes {
                let err = LoadError {
                    file: file.clone(),
                    pos: Some(Pos::new(chunk.first_line, 1)),
                    kind: ErrorKind::Limit,
                    message: format!(
                        "document of {} bytes is larger than the limit of {} bytes (--max-document-size)",
                        chunk.text.len(),
                        limits.max_document_bytes
                    ),
                };
                return (i, vec![Err(err)]);
            }
            (i, yaml::parse_documents(&chunk, file, limits))
        })
        .collect();

    // Number the documents per file, in order, and build objects.
    let mut doc_index = vec![0u32; sources.len()];
    let mut roots = Vec::new();
    for (i, docs) in parsed {
        for doc in docs {
            match doc {
                Ok(d) => {
                    outcome.warnings.extend(d.warnings);
                    let origin = Origin::File {
                        path: sources[i].name.clone(),
                        document: doc_index[i],
                    };
                    doc_index[i] += 1;
                    roots.push((d.doc, origin));
                }
                Err(e) => {
                    doc_index[i] += 1;
                    outcome.errors.push(e);
                }
            }
        }
    }
    drop(sources);
    outcome.stats.documents = roots.len();
    let built: Vec<(Vec<Object>, usize)> = roots
        .into_par_iter()
        .map(|(root, origin)| objects_of_document(root, origin))
        .collect();
    for (objects, skipped) in built {
        outcome.stats.skipped += skipped;
        outcome.objects.extend(objects);
    }
    outcome.stats.objects = outcome.objects.len();
    outcome
}

/// The objects in one document: itself, or a list's items. Also returns how many documents
/// or items were skipped for naming no `apiVersion`/`kind`.
fn objects_of_document(doc: Document, origin: Origin) -> (Vec<Object>, usize) {
    let root = doc.root();
    let kind = root.str_at("kind").unwrap_or("");
    let items = root.get("items").filter(|i| i.is_seq());
    let (Some(items), true) = (items, kind.ends_with("List")) else {
        return match Object::from_document(Arc::new(doc), origin) {
            Some(o) => (vec![o], 0),
            None => (Vec::new(), 1),
        };
    };
    // Items of a typed list (`PodList`) may omit their kind, as API server list responses
    // do; they take it, and the apiVersion, from the list.
    let item_kind = kind
        .strip_suffix("List")
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    let api_version = root.str_at("apiVersion").unwrap_or("").to_string();
    let ids: Vec<u32> = items.items().map(|i| i.id()).collect();
    let doc = Arc::new(doc);
    let mut objects = Vec::with_capacity(ids.len());
    let mut skipped = 0;
    for id in ids {
        let defaults = item_kind.as_deref().map(|k| (api_version.as_str(), k));
        match Object::from_node(doc.clone(), id, defaults, origin.clone()) {
            Some(o) => objects.push(o),
            None => skipped += 1,
        }
    }
    (objects, skipped)
}

fn split_error(file: &Arc<str>, issue: SplitIssue) -> LoadError {
    LoadError {
        file: file.clone(),
        pos: Some(issue.pos),
        kind: ErrorKind::Syntax,
        message: issue.message,
    }
}

fn read_file(path: &std::path::Path, limits: &Limits) -> Result<Source, LoadError> {
    let name: Arc<str> = path.to_string_lossy().into();
    let io_err = |e: std::io::Error| LoadError {
        file: name.clone(),
        pos: None,
        kind: ErrorKind::Io,
        message: format!("cannot read: {e}"),
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let size = file.metadata().map_err(io_err)?.len();
    if size > limits.max_file_bytes {
        return Err(too_large(&name, size, limits));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limits.max_file_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(too_large(&name, bytes.len() as u64, limits));
    }
    decode_text(name, bytes)
}

fn read_stdin(stdin: &mut dyn Read, limits: &Limits) -> Result<Source, LoadError> {
    let name: Arc<str> = "-".into();
    let mut bytes = Vec::new();
    stdin
        .take(limits.max_file_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| LoadError {
            file: name.clone(),
            pos: None,
            kind: ErrorKind::Io,
            message: format!("cannot read standard input: {e}"),
        })?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(too_large(&name, bytes.len() as u64, limits));
    }
    decode_text(name, bytes)
}

fn too_large(name: &Arc<str>, size: u64, limits: &Limits) -> LoadError {
    LoadError {
        file: name.clone(),
        pos: None,
        kind: ErrorKind::Limit,
        message: format!(
            "input of {size} bytes or more is larger than the limit of {} bytes (--max-file-size)",
            limits.max_file_bytes
        ),
    }
}

/// UTF-8 text without a byte-order mark; invalid bytes are an error at their line:column.
fn decode_text(name: Arc<str>, mut bytes: Vec<u8>) -> Result<Source, LoadError> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Source { name, text }),
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let valid = std::str::from_utf8(valid).unwrap_or_default();
            let line = valid.matches('\n').count() + 1;
            let column = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Err(LoadError {
                file: name,
                pos: Some(Pos::new(
                    u32::try_from(line).unwrap_or(u32::MAX),
                    u32::try_from(column).unwrap_or(u32::MAX),
                )),
                kind: ErrorKind::Encoding,
                message: "expected UTF-8 text, found an invalid byte sequence".into(),
            })
        }
    }
}
