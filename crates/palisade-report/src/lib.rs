//! The report and its emitters.
//!
//! A [`Report`] is everything one scan produced: findings, input errors and warnings, counts,
//! and the rules that ran. Emitters render it (one module per format) and know nothing about
//! how findings were made; rules know nothing about emitters. The rule catalogue renderers
//! ([`catalog`]) serve `palisade rules`, `palisade explain` and the generated docs/rules.

pub mod catalog;
pub mod compliance;
mod json;
mod junit;
mod sarif;
mod table;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

pub use palisade_config::Notice;
use palisade_controls::Framework;
use palisade_model::{ObjectRef, Pos};
use palisade_pss::LevelVersion;
use palisade_rules::{Finding, Rule, RuleRun, Severity, Status, UnknownKind, Unlisted};

pub use sarif::uri_of;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Sarif,
    Junit,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Table, Format::Json, Format::Sarif, Format::Junit];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
        }
    }
}

/// A problem with the input, wherever it came from: a file that is not valid YAML, a
/// resource a cluster scan could not read, an admission request, an audit log line. Input
/// stages turn their own errors into these; the emitters know nothing of those stages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputProblem {
    /// Where the input came from: a file's path, or the name of another source.
    pub source: Arc<str>,
    /// Where in it, when known; `None` for a problem with the source as a whole.
    pub pos: Option<Pos>,
    /// What went wrong, as a stable word (`io`, `syntax`, `limit`...; `warning` for
    /// warnings).
    pub kind: &'static str,
    pub message: String,
}

impl std::fmt::Display for InputProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pos {
            Some(pos) => write!(f, "{}:{}: {}", self.source, pos, self.message),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

/// Counts about the input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanStats {
    pub files: usize,
    pub documents: usize,
    pub objects: usize,
    pub skipped_documents: usize,
}

/// Everything one scan produced.
#[derive(Debug)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// Input that could not be read: the scan is incomplete (exit code 2).
    pub errors: Vec<InputProblem>,
    /// Input that was read but looks wrong (a duplicated key: the later value wins).
    pub warnings: Vec<InputProblem>,
    pub stats: ScanStats,
    /// The rules that were evaluated (SARIF lists them; JUnit counts passes against them).
    pub rules: Vec<&'static Rule>,
    /// Every object scanned and its file, for formats that list passing objects too (JUnit).
    pub objects: Vec<(Arc<ObjectRef>, Option<Arc<str>>)>,
    pub pss_policy: LevelVersion,
    /// What each rule covered (checked, or not evaluated and why).
    pub runs: Vec<RuleRun>,
    /// About the team's own decisions: unused, expired or invalid waivers.
    pub notices: Vec<Notice>,
    /// Frameworks whose per-control view the report includes.
    pub frameworks: Vec<Framework>,
    /// Kinds of the input no rule reads: their objects were not evaluated.
    pub unknown_kinds: Vec<UnknownKind>,
    /// Resource types a cluster scan could not list (forbidden, or an error).
    pub unlisted: Vec<Unlisted>,
}

impl Report {
    /// A report of findings alone (tests, simple front ends).
    pub fn new(
        findings: Vec<Finding>,
        rules: Vec<&'static Rule>,
        pss_policy: LevelVersion,
    ) -> Report {
        Report {
            findings,
            errors: Vec::new(),
            warnings: Vec::new(),
            stats: ScanStats::default(),
            rules,
            objects: Vec::new(),
            pss_policy,
            runs: Vec::new(),
            notices: Vec::new(),
            frameworks: Vec::new(),
            unknown_kinds: Vec::new(),
            unlisted: Vec::new(),
        }
    }
}

/// Derived counts shared by the emitters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Open findings: the ones that fail the scan.
    pub findings: usize,
    /// Open findings by severity.
    pub by_severity: BTreeMap<Severity, usize>,
    pub objects_with_findings: usize,
    pub waived: usize,
    pub baselined: usize,
    /// Every finding in the report, whatever its status, by severity.
    pub all_by_severity: BTreeMap<Severity, usize>,
}

impl Report {
    pub fn summary(&self) -> Summary {
        use rayon::prelude::*;
        // Counted over chunks in parallel (the report can hold half a million findings),
        // then merged.
        let parts: Vec<Counts<'_>> = self
            .findings
            .par_chunks(16 * 1024)
            .map(Counts::of)
            .collect();
        let mut by_severity = BTreeMap::new();
        for s in Severity::ALL {
            by_severity.insert(s, 0);
        }
        let mut all_by_severity = by_severity.clone();
        let (mut open, mut waived, mut baselined) = (0, 0, 0);
        let mut objects: std::collections::HashSet<&ObjectRef> = Default::default();
        for part in parts {
            for (i, s) in Severity::ALL.into_iter().enumerate() {
                *all_by_severity.entry(s).or_insert(0) += part.all[i];
                *by_severity.entry(s).or_insert(0) += part.open[i];
            }
            open += part.open.iter().sum::<usize>();
            waived += part.waived;
            baselined += part.baselined;
            objects.extend(part.objects.into_values());
        }
        Summary {
            findings: open,
            by_severity,
            objects_with_findings: objects.len(),
            waived,
            baselined,
            all_by_severity,
        }
    }
}

/// A chunk's share of a [`Summary`].
struct Counts<'a> {
    /// By the index of the severity in [`Severity::ALL`].
    all: [usize; Severity::ALL.len()],
    open: [usize; Severity::ALL.len()],
    waived: usize,
    baselined: usize,
    /// Objects with open findings, by the address of their shared `Arc` (Fx hashing:
    /// an address needs no flooding defence).
    objects: rustc_hash::FxHashMap<usize, &'a ObjectRef>,
}

impl<'a> Counts<'a> {
    fn of(findings: &'a [Finding]) -> Self {
        let mut counts = Counts {
            all: [0; Severity::ALL.len()],
            open: [0; Severity::ALL.len()],
            waived: 0,
            baselined: 0,
            objects: Default::default(),
        };
        // Findings share their object's `Arc`: telling objects apart by address first
        // (consecutive findings are mostly about the same one) hashes each object's names
        // once rather than once per finding; equal objects behind different `Arc`s (the
        // subjects of findings about something absent) are merged by value afterwards.
        let mut last = None;
        for f in findings {
            let severity = Severity::ALL
                .iter()
                .position(|&s| s == f.severity)
                .unwrap_or(0);
            counts.all[severity] += 1;
            match f.status() {
                Status::Open => {
                    counts.open[severity] += 1;
                    let address = Arc::as_ptr(&f.object) as usize;
                    if last != Some(address) {
                        last = Some(address);
                        counts.objects.entry(address).or_insert(&*f.object);
                    }
                }
                Status::Waived => counts.waived += 1,
                Status::Baselined => counts.baselined += 1,
            }
        }
        counts
    }
}

/// Options that affect rendering but not content.
#[derive(Clone, Copy, Debug, Default)]
pub struct EmitOptions {
    /// ANSI colours (table only).
    pub color: bool,
    /// Indented JSON (JSON only; SARIF is always indented).
    pub pretty: bool,
}

/// Writes `report` in `format`.
pub fn emit(
    report: &Report,
    format: Format,
    options: EmitOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Table => table::emit(report, options, out),
        Format::Json => json::emit(report, options.pretty, out),
        Format::Sarif => sarif::emit(report, out),
        Format::Junit => junit::emit(report, out),
    }
}

pub const TOOL_NAME: &str = "palisade";
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
pub const INFORMATION_URI: &str = "https://github.com/palisade-dev/palisade";

/// Where a rule's documentation page lives.
pub fn rule_help_uri(rule_id: &str) -> String {
    format!("{INFORMATION_URI}/blob/main/docs/rules/{rule_id}.md")
}
