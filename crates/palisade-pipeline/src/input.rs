//! What a run reads: objects, the facts their source knows about them, and the problems met
//! reading them, in the report's terms (the loader's errors become [`InputProblem`]s here).

use std::sync::Arc;

use palisade_loader::{LoadError, LoadOutcome, LoadWarning};
use palisade_model::{InputFacts, Object};
use palisade_report::{InputProblem, ScanStats};

/// The input of one run.
#[derive(Debug, Default)]
pub struct Input {
    pub objects: Vec<Object>,
    /// Whether the source is the whole configuration, what it could not include.
    pub facts: InputFacts,
    pub errors: Vec<InputProblem>,
    pub warnings: Vec<InputProblem>,
    pub stats: ScanStats,
}

impl Input {
    /// Objects from a source other than files (a live cluster, an admission request's
    /// cache): counted as documents and objects, no files.
    pub fn from_objects(objects: Vec<Object>, facts: InputFacts) -> Input {
        let n = objects.len();
        Input {
            objects,
            facts,
            stats: ScanStats {
                files: 0,
                documents: n,
                objects: n,
                skipped_documents: 0,
            },
            ..Default::default()
        }
    }

    /// What the loader read from files and standard input.
    pub fn from_load(loaded: LoadOutcome) -> Input {
        Input {
            stats: ScanStats {
                files: loaded.stats.files,
                documents: loaded.stats.documents,
                objects: loaded.stats.objects,
                skipped_documents: loaded.stats.skipped,
            },
            objects: loaded.objects,
            facts: InputFacts::default(),
            errors: loaded.errors.into_iter().map(load_error).collect(),
            warnings: loaded.warnings.into_iter().map(load_warning).collect(),
        }
    }
}

fn load_error(e: LoadError) -> InputProblem {
    InputProblem {
        source: e.file,
        pos: e.pos,
        kind: e.kind.as_str(),
        message: e.message,
    }
}

fn load_warning(w: LoadWarning) -> InputProblem {
    InputProblem {
        source: Arc::clone(&w.file),
        pos: Some(w.pos),
        kind: "warning",
        message: w.message,
    }
}
