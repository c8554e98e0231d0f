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
    /// Boxed: rare, and findings are many (it would add a third to every one).
    pub admission: Option<Box<AdmissionDetail>>,
    /// The waiver that matched, set by the waiver stage (never by rules). An expired
    /// waiver is kept here so the report can say so, but does not waive.
    pub waiver: Option<Arc<WaiverNote>>,
    /// Accepted by `--baseline`: known before, not failing.
    pub baselined: bool,
}

/// Whether a finding counts against the scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Fails the scan (including findings whose waiver has expired).
    Open,
    /// Accepted by an unexpired waiver.
    Waived,
    /// Present in the baseline.
    Baselined,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Waived => "waived",
            Status::Baselined => "baselined",
        }
    }
}

impl Finding {
    pub fn status(&self) -> Status {
        if self.waiver.as_ref().is_some_and(|w| !w.expired) {
            Status::Waived
        } else if self.baselined {
            Status::Baselined
        } else {
            Status::Open
        }
    }
}

/// Where a waiver was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaiverSource {
    /// An entry of the configuration file's `waivers:` list.
    Config { file: Arc<str>, line: u32 },
    /// An annotation on the object itself.
    Annotation { key: String },
}

/// A waiver as a finding carries it: who accepted the risk, why, until when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaiverNote {
    pub source: WaiverSource,
    pub justification: String,
    pub owner: Option<String>,
    pub ticket: Option<String>,
    /// `YYYY-MM-DD`, the last day the waiver holds.
    pub expires: Option<String>,
    pub expired: bool,
}
