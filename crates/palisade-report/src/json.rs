//! JSON output: the stable, documented format (docs/json-output.md) for scripts and CI.
//! Field names and meanings only change with `schema_version`. Pretty-printed for people
//! (a terminal), compact otherwise; the content is the same.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::compliance::{self, ControlStatus, FrameworkView, RuleResult};
use crate::{InputProblem, Report, TOOL_NAME, TOOL_VERSION, rule_help_uri};
use palisade_model::{FieldPath, ObjectRef};
use palisade_pss::LevelVersion;
use palisade_rules::{
    Coverage, Finding, Location, Rule, Severity, Status, WaiverNote, WaiverSource,
};

pub const SCHEMA_VERSION: u32 = 1;

/// The fields before `findings`; findings, errors and warnings are written after it.
#[derive(Serialize)]
struct Head {
    schema_version: u32,
    tool: Tool,
    settings: Settings,
    summary: SummaryOut,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Settings {
    pss_policy: String,
}

#[derive(Serialize)]
struct SummaryOut {
    findings: usize,
    open: usize,
    by_severity: BySeverity,
    objects_scanned: usize,
    objects_with_findings: usize,
    files: usize,
    documents: usize,
    skipped_documents: usize,
    errors: usize,
    warnings: usize,
    rules_evaluated: usize,
    rules_not_evaluated: usize,
    waived: usize,
    baselined: usize,
}

#[derive(Serialize)]
struct BySeverity {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    info: usize,
}

#[derive(Serialize)]
pub(crate) struct ObjectOut<'a> {
    #[serde(rename = "apiVersion")]
    pub api_version: &'a str,
    pub kind: &'a str,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
}

#[derive(Serialize)]
struct ControlOut {
    framework: &'static str,
    id: String,
    relation: &'static str,
}

#[derive(Serialize)]
struct RelatedOut<'a> {
    file: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
    path: Shown<&'a FieldPath>,
    message: &'a str,
}

#[derive(Serialize)]
struct AdmissionOut<'a> {
    mode: &'a str,
    namespace: &'a str,
    response: &'a str,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    rule_id: &'static str,
    rule_name: &'static str,
    title: &'static str,
    area: &'static str,
    #[serde(flatten)]
    var: FindingVar<'a>,
    controls: &'a [ControlOut],
    remediation: &'static str,
    help_uri: &'a str,
}

/// The fields that differ from finding to finding. Compact output writes them after the
/// rule's constant fields, which are rendered once per rule ([`RuleData::constant`]).
#[derive(Serialize)]
struct FindingVar<'a> {
    severity: &'static str,
    message: &'a str,
    object: ObjectOut<'a>,
    file: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
    path: Shown<&'a FieldPath>,
    related: Vec<RelatedOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pss_check: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pss_level: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pss_policy: Option<Shown<LevelVersion>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    admission: Option<AdmissionOut<'a>>,
    status: &'static str,
    /// `status == "waived"`, for consumers that only ask that.
    waived: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    waiver: Option<WaiverOut<'a>>,
}

#[derive(Serialize)]
pub(crate) struct WaiverOut<'a> {
    /// `config` or `annotation`.
    source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotation: Option<&'a str>,
    justification: &'a str,
    owner: Option<&'a str>,
    ticket: Option<&'a str>,
    expires: Option<&'a str>,
    expired: bool,
}

pub(crate) fn waiver_out(w: &WaiverNote) -> WaiverOut<'_> {
    let (source, file, line, annotation) = match &w.source {
        WaiverSource::Config { file, line } => ("config", Some(&**file), Some(*line), None),
        WaiverSource::Annotation { key } => ("annotation", None, None, Some(key.as_str())),
    };
    WaiverOut {
        source,
        file,
        line,
        annotation,
        justification: &w.justification,
        owner: w.owner.as_deref(),
        ticket: w.ticket.as_deref(),
        expires: w.expires.as_deref(),
        expired: w.expired,
    }
}

#[derive(Serialize)]
struct CoverageOut<'a> {
    rule_id: &'static str,
    /// `checked` or `not-evaluated`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    objects: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct UnknownKindOut<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    objects: usize,
}

#[derive(Serialize)]
struct UnlistedOut<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    resource: &'a str,
    namespace: Option<&'a str>,
    reason: &'a str,
}

#[derive(Serialize)]
struct NoticeOut<'a> {
    kind: &'static str,
    file: Option<&'a str>,
    line: Option<u32>,
    message: &'a str,
}

#[derive(Serialize)]
struct FrameworkOut<'a> {
    framework: &'static str,
    name: &'a str,
    edition: &'a str,
    /// Passing controls per 100 fully assessed (pass, waived, fail) controls.
    score: Option<f64>,
    controls_by_status: BTreeMap<&'static str, usize>,
    controls: Vec<ControlViewOut<'a>>,
}

#[derive(Serialize)]
struct ControlViewOut<'a> {
    id: &'a str,
    citation: &'a str,
    title: &'a str,
    status: &'static str,
    pass: usize,
    fail: usize,
    waived: usize,
    not_evaluated: usize,
    rules: Vec<ControlRuleOut<'a>>,
    manual_evidence: &'a [String],
}

#[derive(Serialize)]
struct ControlRuleOut<'a> {
    rule_id: &'static str,
    relation: &'static str,
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    open_findings: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    accepted_findings: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

fn framework_out(v: &FrameworkView) -> FrameworkOut<'_> {
    FrameworkOut {
        framework: v.framework.id(),
        name: &v.name,
        edition: &v.edition,
        score: v.score().map(|s| (s * 10.0).round() / 10.0),
        controls_by_status: ControlStatus::ALL
            .into_iter()
            .map(|s| (s.as_str(), v.count(s)))
            .collect(),
        controls: v
            .controls
            .iter()
            .map(|c| {
                let [pass, fail, waived, not_evaluated] = c.counts();
                ControlViewOut {
                    id: &c.id,
                    citation: &c.citation,
                    title: &c.title,
                    status: c.status.as_str(),
                    pass,
                    fail,
                    waived,
                    not_evaluated,
                    rules: c
                        .rules
                        .iter()
                        .map(|r| ControlRuleOut {
                            rule_id: r.rule.meta.id,
                            relation: r.relation.as_str(),
                            result: r.result.as_str(),
                            open_findings: match r.result {
                                RuleResult::Fail { open } => Some(open),
                                _ => None,
                            },
                            accepted_findings: match r.result {
                                RuleResult::Waived { accepted } => Some(accepted),
                                _ => None,
                            },
                            reason: match &r.result {
                                RuleResult::NotEvaluated { reason } => Some(reason),
                                RuleResult::NotRun => Some("not selected for this scan"),
                                _ => None,
                            },
                        })
                        .collect(),
                    manual_evidence: &c.manual_evidence,
                }
            })
            .collect(),
    }
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    file: &'a str,
    line: Option<u32>,
    column: Option<u32>,
    kind: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
struct WarningOut<'a> {
    file: &'a str,
    line: Option<u32>,
    column: Option<u32>,
    message: &'a str,
}

/// Serialises anything printable as a JSON string, without an intermediate `String`.
struct Shown<T>(T);

impl<T: std::fmt::Display> Serialize for Shown<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// `None` for positions that are unknown (objects from a cluster).
fn known(n: u32) -> Option<u32> {
    (n != 0).then_some(n)
}

/// What every finding of one rule shares, computed once per rule rather than per finding.
/// The controls list is also kept serialised: it is the bulk of every finding.
struct RuleData {
    controls: Vec<ControlOut>,
    help_uri: String,
    /// `"rule_id":...,"controls":[...],"remediation":...,"help_uri":...` without braces:
    /// what every finding of the rule repeats, serialised once.
    constant: Vec<u8>,
}

fn rule_data(rules: &[&Rule]) -> HashMap<&'static str, RuleData> {
    rules
        .iter()
        .map(|r| {
            let controls: Vec<ControlOut> = r
                .meta
                .controls()
                .into_iter()
                .map(|c| ControlOut {
                    framework: c.framework.id(),
                    id: c.id,
                    relation: c.relation.as_str(),
                })
                .collect();
            let help_uri = rule_help_uri(r.meta.id);
            #[derive(Serialize)]
            struct Constant<'a> {
                rule_id: &'static str,
                rule_name: &'static str,
                title: &'static str,
                area: &'static str,
                controls: &'a [ControlOut],
                remediation: &'static str,
                help_uri: &'a str,
            }
            let mut constant = serde_json::to_vec(&Constant {
                rule_id: r.meta.id,
                rule_name: r.meta.name,
                title: r.meta.title,
                area: r.meta.area.as_str(),
                controls: &controls,
                remediation: r.meta.remediation,
                help_uri: &help_uri,
            })
            .unwrap_or_else(|_| b"{}".to_vec());
            // Without the braces, to splice into each finding's object.
            constant.pop();
            constant.remove(0);
            (
                r.meta.id,
                RuleData {
                    controls,
                    help_uri,
                    constant,
                },
            )
        })
        .collect()
}

fn finding_out<'a>(f: &'a Finding, data: Option<&'a RuleData>) -> FindingOut<'a> {
    FindingOut {
        rule_id: f.rule.id,
        rule_name: f.rule.name,
        title: f.rule.title,
        area: f.rule.area.as_str(),
        var: finding_var(f),
        controls: data.map_or(&[], |d| &d.controls),
        remediation: f.rule.remediation,
        help_uri: data.map_or("", |d| &d.help_uri),
    }
}

fn finding_var(f: &Finding) -> FindingVar<'_> {
    FindingVar {
        severity: f.severity.as_str(),
        message: &f.message,
        object: object_out(&f.object),
        file: f.location.file.as_deref(),
        line: known(f.location.pos.line),
        column: known(f.location.pos.column),
        path: Shown(&f.location.path),
        related: f
            .related
            .iter()
            .map(|r| RelatedOut {
                file: r.location.file.as_deref(),
                line: known(r.location.pos.line),
                column: known(r.location.pos.column),
                path: Shown(&r.location.path),
                message: &r.message,
            })
            .collect(),
        pss_check: f.pss.map(|p| p.check.as_str()),
        pss_level: f.pss.map(|p| p.level.as_str()),
        pss_policy: f.pss.map(|p| Shown(p.policy)),
        admission: f.admission.as_ref().map(|a| AdmissionOut {
            mode: a.mode,
            namespace: &a.namespace,
            response: &a.response,
        }),
        status: f.status().as_str(),
        waived: f.status() == Status::Waived,
        waiver: f.waiver.as_deref().map(waiver_out),
    }
}

/// Writes [`FindingVar`] as compact JSON, byte for byte what serde would write (a test
/// holds it to that), but several times faster: most strings need no escaping, and
/// consecutive findings usually share their object and file, whose JSON is reused.
#[derive(Default)]
struct CompactWriter {
    path: String,
    /// Paths rendered as JSON strings, by their encoding: findings of one rule repeat the
    /// same few paths across objects, and rendering one costs more than looking it up.
    /// One writer serves one chunk of findings, which bounds this. Fx hashing: the keys
    /// are our own paths, not attacker-chosen in bulk, and SipHash was a visible cost.
    paths: FxHashMap<FieldPath, Vec<u8>>,
    object: Option<(*const ObjectRef, Vec<u8>)>,
    file: Option<(*const u8, usize, Vec<u8>)>,
}

impl CompactWriter {
    fn finding_var(&mut self, buf: &mut Vec<u8>, f: &Finding) {
        buf.extend_from_slice(b"\"severity\":");
        json_str(buf, f.severity.as_str());
        buf.extend_from_slice(b",\"message\":");
        json_str(buf, &f.message);
        buf.extend_from_slice(b",\"object\":");
        let object: &ObjectRef = &f.object;
        let ptr = object as *const ObjectRef;
        if self.object.as_ref().is_none_or(|(p, _)| *p != ptr) {
            let rendered = serde_json::to_vec(&object_out(object)).unwrap_or_default();
            self.object = Some((ptr, rendered));
        }
        if let Some((_, rendered)) = &self.object {
            buf.extend_from_slice(rendered);
        }
        buf.extend_from_slice(b",\"file\":");
        self.file_json(buf, f.location.file.as_deref());
        self.position(buf, &f.location);
        buf.extend_from_slice(b",\"related\":[");
        for (i, r) in f.related.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(b"{\"file\":");
            self.file_json(buf, r.location.file.as_deref());
            self.position(buf, &r.location);
            buf.extend_from_slice(b",\"message\":");
            json_str(buf, &r.message);
            buf.push(b'}');
        }
        buf.push(b']');
        if let Some(p) = f.pss {
            buf.extend_from_slice(b",\"pss_check\":");
            json_str(buf, p.check.as_str());
            buf.extend_from_slice(b",\"pss_level\":");
            json_str(buf, p.level.as_str());
            buf.extend_from_slice(b",\"pss_policy\":");
            json_str(buf, &p.policy.to_string());
        }
        if let Some(a) = &f.admission {
            buf.extend_from_slice(b",\"admission\":");
            let _ = serde_json::to_writer(
                &mut *buf,
                &AdmissionOut {
                    mode: a.mode,
                    namespace: &a.namespace,
                    response: &a.response,
                },
            );
        }
        buf.extend_from_slice(b",\"status\":");
        json_str(buf, f.status().as_str());
        buf.extend_from_slice(if f.status() == Status::Waived {
            b",\"waived\":true"
        } else {
            b",\"waived\":false"
        });
        if let Some(w) = f.waiver.as_deref() {
            buf.extend_from_slice(b",\"waiver\":");
            let _ = serde_json::to_writer(&mut *buf, &waiver_out(w));
        }
        buf.push(b'}');
    }

    /// `,"line":N,"column":N,"path":"..."` (null for unknown positions).
    fn position(&mut self, buf: &mut Vec<u8>, location: &Location) {
        buf.extend_from_slice(b",\"line\":");
        json_known(buf, location.pos.line);
        buf.extend_from_slice(b",\"column\":");
        json_known(buf, location.pos.column);
        buf.extend_from_slice(b",\"path\":");
        if let Some(rendered) = self.paths.get(&location.path) {
            buf.extend_from_slice(rendered);
            return;
        }
        self.path.clear();
        location.path.render_into(&mut self.path);
        let mut rendered = Vec::with_capacity(self.path.len() + 2);
        json_str(&mut rendered, &self.path);
        buf.extend_from_slice(&rendered);
        self.paths.insert(location.path.clone(), rendered);
    }

    fn file_json(&mut self, buf: &mut Vec<u8>, file: Option<&str>) {
        let Some(file) = file else {
            buf.extend_from_slice(b"null");
            return;
        };
        let key = (file.as_ptr(), file.len());
        if self.file.as_ref().is_none_or(|(p, n, _)| (*p, *n) != key) {
            let mut rendered = Vec::with_capacity(file.len() + 2);
            json_str(&mut rendered, file);
            self.file = Some((key.0, key.1, rendered));
        }
        if let Some((_, _, rendered)) = &self.file {
            buf.extend_from_slice(rendered);
        }
    }
}

/// A JSON string, escaped exactly as serde_json escapes (`\"`, `\\`, the short forms
/// `\b \t \n \f \r`, `\u00XX` for other control characters), copying unescaped runs whole.
fn json_str(buf: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut rest = s.as_bytes();
    buf.reserve(rest.len() + 2);
    buf.push(b'"');
    while let Some(i) = first_to_escape(rest) {
        buf.extend_from_slice(&rest[..i]);
        match rest[i] {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            0x08 => buf.extend_from_slice(b"\\b"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            0x0c => buf.extend_from_slice(b"\\f"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            c => buf.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 0xf)],
            ]),
        }
        rest = &rest[i + 1..];
    }
    buf.extend_from_slice(rest);
    buf.push(b'"');
}

/// The index of the first byte JSON must escape. Scans 16 bytes at a time without
/// branching per byte, which the compiler turns into vector compares.
fn first_to_escape(bytes: &[u8]) -> Option<usize> {
    let needs = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    let mut chunks = bytes.chunks_exact(16);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        if chunk.iter().fold(false, |any, &b| any | needs(b)) {
            return chunk.iter().position(|&b| needs(b)).map(|i| offset + i);
        }
        offset += 16;
    }
    let tail = chunks.remainder();
    tail.iter().position(|&b| needs(b)).map(|i| offset + i)
}

fn json_known(buf: &mut Vec<u8>, n: u32) {
    if n == 0 {
        buf.extend_from_slice(b"null");
    } else {
        buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }
}

fn object_out(o: &ObjectRef) -> ObjectOut<'_> {
    ObjectOut {
        api_version: &o.api_version,
        kind: &o.kind,
        namespace: o.namespace.as_deref(),
        name: &o.name,
    }
}

fn error_out(e: &InputProblem) -> ErrorOut<'_> {
    ErrorOut {
        file: &e.source,
        line: e.pos.map(|p| p.line),
        column: e.pos.map(|p| p.column),
        kind: e.kind,
        message: &e.message,
    }
}

fn warning_out(w: &InputProblem) -> WarningOut<'_> {
    WarningOut {
        file: &w.source,
        line: w.pos.map(|p| p.line),
        column: w.pos.map(|p| p.column),
        message: &w.message,
    }
}

/// Serialises `value`, pretty-printed with every line after the first indented by
/// `indent` spaces (so it nests inside an enclosing pretty document), or compact.
fn to_json<T: Serialize>(value: &T, pretty: bool, indent: usize) -> Vec<u8> {
    if !pretty {
        return serde_json::to_vec(value).unwrap_or_default();
    }
    let text = serde_json::to_vec_pretty(value).unwrap_or_default();
    if indent == 0 {
        return text;
    }
    let pad = " ".repeat(indent);
    let mut out = Vec::with_capacity(text.len() + text.len() / 8);
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
            out.extend_from_slice(pad.as_bytes());
        }
        out.extend_from_slice(line);
    }
    out
}

/// Writes the report. Findings are serialised in parallel (reports can hold hundreds of
/// thousands); the result is byte-for-byte what a sequential writer would produce.
pub fn emit(report: &Report, pretty: bool, out: &mut dyn Write) -> io::Result<()> {
    let summary = report.summary();
    let n = |s| summary.all_by_severity.get(&s).copied().unwrap_or(0);
    let head = Head {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: TOOL_NAME,
            version: TOOL_VERSION,
        },
        settings: Settings {
            pss_policy: report.pss_policy.to_string(),
        },
        summary: SummaryOut {
            findings: report.findings.len(),
            open: summary.findings,
            by_severity: BySeverity {
                critical: n(Severity::Critical),
                high: n(Severity::High),
                medium: n(Severity::Medium),
                low: n(Severity::Low),
                info: n(Severity::Info),
            },
            objects_scanned: report.stats.objects,
            objects_with_findings: summary.objects_with_findings,
            files: report.stats.files,
            documents: report.stats.documents,
            skipped_documents: report.stats.skipped_documents,
            errors: report.errors.len(),
            warnings: report.warnings.len(),
            rules_evaluated: report.rules.len(),
            rules_not_evaluated: report
                .runs
                .iter()
                .filter(|r| matches!(r.coverage, Coverage::NotEvaluated { .. }))
                .count(),
            waived: summary.waived,
            baselined: summary.baselined,
        },
    };
    let data = rule_data(&report.rules);
    let render_chunk = |chunk: &[Finding]| {
        let mut buf = Vec::with_capacity(chunk.len() * 1600);
        let mut compact = CompactWriter::default();
        for (i, f) in chunk.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            let rule = data.get(f.rule.id);
            if pretty {
                buf.extend_from_slice(b"\n    ");
                buf.extend_from_slice(&to_json(&finding_out(f, rule), true, 4));
            } else if let Some(rule) = rule {
                // The rule's constant fields, rendered once, then this finding's own.
                buf.push(b'{');
                buf.extend_from_slice(&rule.constant);
                buf.push(b',');
                compact.finding_var(&mut buf, f);
            } else {
                let _ = serde_json::to_writer(&mut buf, &finding_out(f, None));
            }
        }
        buf
    };
    let errors: Vec<ErrorOut<'_>> = report.errors.iter().map(error_out).collect();
    let warnings: Vec<WarningOut<'_>> = report.warnings.iter().map(warning_out).collect();

    // The head's fields, then findings, errors and warnings, as one JSON object.
    let head_json = to_json(&head, pretty, 0);
    let head_body = &head_json[..head_json.len() - 1]; // without the closing brace
    out.write_all(head_body.trim_ascii_end())?;
    out.write_all(if pretty {
        b",\n  \"findings\": ["
    } else {
        b",\"findings\":["
    })?;
    // Rendered in parallel a batch of chunks at a time and written in order: the output
    // is the same as a sequential writer's, and only one batch is ever held in memory.
    const CHUNK: usize = 2048;
    const BATCH: usize = CHUNK * 8;
    let mut first = true;
    for batch in report.findings.chunks(BATCH) {
        let rendered: Vec<Vec<u8>> = batch.par_chunks(CHUNK).map(render_chunk).collect();
        for chunk in rendered.iter().filter(|c| !c.is_empty()) {
            if !first {
                out.write_all(b",")?;
            }
            first = false;
            out.write_all(chunk)?;
        }
    }
    if pretty && !report.findings.is_empty() {
        out.write_all(b"\n  ")?;
    }
    out.write_all(b"]")?;
    let sep: &[u8] = if pretty { b",\n  " } else { b"," };
    out.write_all(sep)?;
    out.write_all(if pretty {
        b"\"errors\": "
    } else {
        b"\"errors\":"
    })?;
    out.write_all(&to_json(&errors, pretty, 2))?;
    out.write_all(sep)?;
    out.write_all(if pretty {
        b"\"warnings\": "
    } else {
        b"\"warnings\":"
    })?;
    out.write_all(&to_json(&warnings, pretty, 2))?;
    let coverage: Vec<CoverageOut<'_>> = report
        .runs
        .iter()
        .map(|r| match &r.coverage {
            Coverage::Checked { objects } => CoverageOut {
                rule_id: r.rule.meta.id,
                status: "checked",
                objects: Some(*objects),
                reason: None,
            },
            Coverage::NotEvaluated { reason } => CoverageOut {
                rule_id: r.rule.meta.id,
                status: "not-evaluated",
                objects: None,
                reason: Some(reason),
            },
        })
        .collect();
    let notices: Vec<NoticeOut<'_>> = report
        .notices
        .iter()
        .map(|n| NoticeOut {
            kind: n.kind,
            file: n.file.as_deref(),
            line: known(n.line),
            message: &n.message,
        })
        .collect();
    let views: Vec<FrameworkView> = compliance::views(report);
    let frameworks: Vec<FrameworkOut<'_>> = views.iter().map(framework_out).collect();
    let unknown: Vec<UnknownKindOut<'_>> = report
        .unknown_kinds
        .iter()
        .map(|k| UnknownKindOut {
            api_version: &k.api_version,
            kind: &k.kind,
            objects: k.objects,
        })
        .collect();
    let unlisted: Vec<UnlistedOut<'_>> = report
        .unlisted
        .iter()
        .map(|u| UnlistedOut {
            api_version: &u.api_version,
            kind: &u.kind,
            resource: &u.resource,
            namespace: u.namespace.as_deref(),
            reason: &u.reason,
        })
        .collect();
    for (key, value) in [
        ("coverage", to_json(&coverage, pretty, 2)),
        ("unknown_kinds", to_json(&unknown, pretty, 2)),
        ("unlisted_resources", to_json(&unlisted, pretty, 2)),
        ("notices", to_json(&notices, pretty, 2)),
        ("compliance", to_json(&frameworks, pretty, 2)),
    ] {
        out.write_all(sep)?;
        out.write_all(format!("\"{key}\":{}", if pretty { " " } else { "" }).as_bytes())?;
        out.write_all(&value)?;
    }
    out.write_all(if pretty { b"\n}\n" } else { b"}\n" })
}

#[cfg(test)]
mod tests {
    use super::json_str;

    #[test]
    fn strings_escape_exactly_as_serde_json_does() {
        let mut cases: Vec<String> = (0u8..=0x7f).map(|b| char::from(b).to_string()).collect();
        cases.extend(
            [
                "",
                "plain",
                r#"ServiceAccount "sa-7" is not "here""#,
                "tab\there\nnew\\line\r\u{0}\u{1f}\u{7f}",
                "ünïcödé ✓ 🦀 \u{2028}\u{2029}",
                "a string longer than sixteen bytes with a \"quote\" in its second chunk",
                "0123456789abcdef0123456789abcdef\n",
            ]
            .map(String::from),
        );
        for s in cases {
            let mut ours = Vec::new();
            json_str(&mut ours, &s);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(&s).unwrap(),
                "{s:?}"
            );
        }
    }
}
