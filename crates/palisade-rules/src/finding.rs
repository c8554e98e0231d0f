//! Findings: what a rule found, where, and what it evidences.

use std::borrow::Cow;
use std::sync::Arc;

use palisade_model::{FieldPath, Object, ObjectRef, Origin, Pos};
use palisade_pss::{CheckId, Level, LevelVersion};

use crate::rule::{RuleMeta, Severity};

/// Where a finding points: the file (if any), the line and column (0:0 when unknown, as for
/// objects from a cluster), and the field path within the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: Option<Arc<str>>,
    pub pos: Pos,
    pub path: FieldPath,
}

impl Location {
    pub fn of(object: &Object, path: FieldPath) -> Self {
        let file = match &object.origin {
            Origin::File { path, .. } => Some(path.clone()),
            Origin::Cluster => None,
        };
        Location {
            file,
            pos: object.locate(&path),
            path,
        }
    }
}

/// A secondary location of the same finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub location: Location,
    pub message: Cow<'static, str>,
}

/// For Pod Security rules: the upstream check and the policy it was evaluated against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PssFinding {
    pub check: CheckId,
    /// The check's own level: `baseline` checks fail both levels, `restricted` ones only
    /// restricted.
    pub level: Level,
    /// The level and version evaluated.
    pub policy: LevelVersion,
}

/// For findings about a namespace's Pod Security Admission labels: which mode, which
/// namespace, and what the API server would answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdmissionDetail {
    /// `enforce`, `warn` or `audit`.
    pub mode: &'static str,
    pub namespace: String,
    /// The API server's words: the Forbidden error, the warning, or the audit annotation.
    pub response: String,
}

/// One finding.
#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    pub message: String,
    pub object: Arc<ObjectRef>,
    pub location: Location,
    pub related: Vec<Related>,
    pub pss: Option<PssFinding>,
    pub admission: Option<AdmissionDetail>,
}
