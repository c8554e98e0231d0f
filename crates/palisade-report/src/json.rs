//! JSON output: the stable, documented format (docs/json-output.md) for scripts and CI.
//! Field names and meanings only change with `schema_version`.

use std::io::{self, Write};

use serde::Serialize;

use crate::{Report, TOOL_NAME, TOOL_VERSION, rule_help_uri};
use palisade_loader::{LoadError, LoadWarning};
use palisade_rules::{Finding, Severity};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Output<'a> {
    schema_version: u32,
    tool: Tool,
    settings: Settings,
    summary: SummaryOut,
    findings: Vec<FindingOut<'a>>,
    errors: Vec<ErrorOut<'a>>,
    warnings: Vec<WarningOut<'a>>,
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
    by_severity: BySeverity,
    objects_scanned: usize,
    objects_with_findings: usize,
    files: usize,
    documents: usize,
    skipped_documents: usize,
    errors: usize,
    warnings: usize,
    rules_evaluated: usize,
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
    path: String,
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
    severity: &'static str,
    message: &'a str,
    object: ObjectOut<'a>,
    file: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
    path: String,
    related: Vec<RelatedOut<'a>>,
    controls: Vec<ControlOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pss_check: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pss_level: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pss_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    admission: Option<AdmissionOut<'a>>,
    remediation: &'static str,
    help_uri: String,
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
    line: u32,
    column: u32,
    message: &'a str,
}

/// `None` for positions that are unknown (objects from a cluster).
fn known(n: u32) -> Option<u32> {
    (n != 0).then_some(n)
}

fn finding_out(f: &Finding) -> FindingOut<'_> {
    FindingOut {
        rule_id: f.rule.id,
        rule_name: f.rule.name,
        title: f.rule.title,
        area: f.rule.area.as_str(),
        severity: f.severity.as_str(),
        message: &f.message,
        object: ObjectOut {
            api_version: &f.object.api_version,
            kind: &f.object.kind,
            namespace: f.object.namespace.as_deref(),
            name: &f.object.name,
        },
        file: f.location.file.as_deref(),
        line: known(f.location.pos.line),
        column: known(f.location.pos.column),
        path: f.location.path.to_string(),
        related: f
            .related
            .iter()
            .map(|r| RelatedOut {
                file: r.location.file.as_deref(),
                line: known(r.location.pos.line),
                column: known(r.location.pos.column),
                path: r.location.path.to_string(),
                message: &r.message,
            })
            .collect(),
        controls: f
            .rule
            .controls()
            .into_iter()
            .map(|c| ControlOut {
                framework: c.framework.id(),
                id: c.id,
                relation: c.relation.as_str(),
            })
            .collect(),
        pss_check: f.pss.map(|p| p.check.as_str()),
        pss_level: f.pss.map(|p| p.level.as_str()),
        pss_policy: f.pss.map(|p| p.policy.to_string()),
        admission: f.admission.as_ref().map(|a| AdmissionOut {
            mode: a.mode,
            namespace: &a.namespace,
            response: &a.response,
        }),
        remediation: f.rule.remediation,
        help_uri: rule_help_uri(f.rule.id),
    }
}

fn error_out(e: &LoadError) -> ErrorOut<'_> {
    ErrorOut {
        file: &e.file,
        line: e.pos.map(|p| p.line),
        column: e.pos.map(|p| p.column),
        kind: e.kind.as_str(),
        message: &e.message,
    }
}

fn warning_out(w: &LoadWarning) -> WarningOut<'_> {
    WarningOut {
        file: &w.file,
        line: w.pos.line,
        column: w.pos.column,
        message: &w.message,
    }
}

pub fn emit(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let summary = report.summary();
    let output = Output {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: TOOL_NAME,
            version: TOOL_VERSION,
        },
        settings: Settings {
            pss_policy: report.pss_policy.to_string(),
        },
        summary: SummaryOut {
            findings: summary.findings,
            by_severity: {
                let n = |s| summary.by_severity.get(&s).copied().unwrap_or(0);
                BySeverity {
                    critical: n(Severity::Critical),
                    high: n(Severity::High),
                    medium: n(Severity::Medium),
                    low: n(Severity::Low),
                    info: n(Severity::Info),
                }
            },
            objects_scanned: report.stats.objects,
            objects_with_findings: summary.objects_with_findings,
            files: report.stats.files,
            documents: report.stats.documents,
            skipped_documents: report.stats.skipped_documents,
            errors: report.errors.len(),
            warnings: report.warnings.len(),
            rules_evaluated: report.rules.len(),
        },
        findings: report.findings.iter().map(finding_out).collect(),
        errors: report.errors.iter().map(error_out).collect(),
        warnings: report.warnings.iter().map(warning_out).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &output)?;
    out.write_all(b"\n")
}
