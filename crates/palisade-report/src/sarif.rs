//! SARIF 2.1.0 output for code-scanning (GitHub, GitLab, Azure DevOps).
//!
//! Rules go into `tool.driver.rules` with their rationale, remediation, help URI, a
//! `security-severity` GitHub understands and tags for area and controls. Each finding has a
//! physical location (file, line, column) when it came from a file, a logical location (the
//! object and field path) always, related locations for the other offending fields, and a
//! partial fingerprint that survives lines moving. Input errors are tool notifications.
//! Validated against the official schema (tests/schemas/sarif-schema-2.1.0.json).

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::json::waiver_out;
use crate::{INFORMATION_URI, Report, TOOL_NAME, TOOL_VERSION, rule_help_uri};
use palisade_rules::{Finding, Rule, Severity, Status, WaiverSource};

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning maps this number to its critical/high/medium/low labels.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// A relative URI reference for a file name as given on the command line.
pub fn uri_of(file: &str) -> String {
    if file == "-" {
        return "stdin".to_string();
    }
    let path = file.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rule_descriptor(rule: &Rule) -> Value {
    let m = &rule.meta;
    let controls = m.controls();
    let mut tags = vec!["security".to_string(), m.area.as_str().to_string()];
    tags.extend(
        controls
            .iter()
            .map(|c| format!("{}:{}", c.framework.id(), c.id)),
    );
    let mut properties = json!({
        "tags": tags,
        "precision": "very-high",
        "security-severity": security_severity(m.severity),
    });
    if let Some((check, level)) = m.pss_check() {
        properties["pss_check"] = json!(check.as_str());
        properties["pss_level"] = json!(level.as_str());
    }
    json!({
        "id": m.id,
        "name": m.name,
        "shortDescription": {"text": m.title},
        "fullDescription": {"text": m.rationale},
        "help": {
            "text": m.remediation,
            "markdown": format!("{}\n\n[Rule documentation]({})", m.remediation, rule_help_uri(m.id)),
        },
        "helpUri": rule_help_uri(m.id),
        "defaultConfiguration": {"level": level(m.severity)},
        "properties": properties,
    })
}

fn location(file: Option<&str>, line: u32, column: u32, object: &str, path: &str) -> Value {
    let mut loc = json!({
        "logicalLocations": [{
            "fullyQualifiedName": if path.is_empty() { object.to_string() } else { format!("{object}.{path}") },
            "kind": "object",
        }],
    });
    if let Some(file) = file {
        let mut physical = json!({"artifactLocation": {"uri": uri_of(file)}});
        if line > 0 {
            physical["region"] = json!({"startLine": line, "startColumn": column.max(1)});
        }
        loc["physicalLocation"] = physical;
    }
    loc
}

/// FNV-1a: a stable, dependency-free fingerprint of what the finding is about.
fn fingerprint(f: &Finding) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [
        f.rule.id,
        &f.object.to_string(),
        &f.location.path.to_string(),
        &f.message,
    ] {
        for b in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

fn result(f: &Finding, rule_index: usize) -> Value {
    let object = f.object.to_string();
    let mut result = json!({
        "ruleId": f.rule.id,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": {"text": f.message},
        "locations": [location(f.location.file.as_deref(), f.location.pos.line, f.location.pos.column, &object, &f.location.path.to_string())],
        "partialFingerprints": {"palisadeFinding/v1": fingerprint(f)},
        "properties": {"severity": f.severity.as_str(), "object": {
            "apiVersion": f.object.api_version, "kind": f.object.kind,
            "namespace": f.object.namespace, "name": f.object.name,
        }},
    });
    if !f.related.is_empty() {
        result["relatedLocations"] = f
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut loc = location(
                    r.location.file.as_deref(),
                    r.location.pos.line,
                    r.location.pos.column,
                    &object,
                    &r.location.path.to_string(),
                );
                loc["id"] = json!(i + 1);
                loc["message"] = json!({"text": r.message});
                loc
            })
            .collect();
    }
    if let Some(pss) = &f.pss {
        result["properties"]["pss_check"] = json!(pss.check.as_str());
        result["properties"]["pss_level"] = json!(pss.level.as_str());
        result["properties"]["pss_policy"] = json!(pss.policy.to_string());
    }
    if let Some(a) = &f.admission {
        result["properties"]["admission"] =
            json!({"mode": a.mode, "namespace": a.namespace, "response": a.response});
    }
    // Accepted findings stay in the log as suppressed results (code scanning shows them as
    // dismissed); an expired waiver is no suppression, but its details are kept.
    match f.status() {
        Status::Waived => {
            let w = f
                .waiver
                .as_deref()
                .expect("waived findings carry their waiver");
            let kind = match w.source {
                WaiverSource::Config { .. } => "external",
                WaiverSource::Annotation { .. } => "inSource",
            };
            result["suppressions"] = json!([{
                "kind": kind,
                "status": "accepted",
                "justification": w.justification,
                "properties": waiver_out(w),
            }]);
        }
        Status::Baselined => {
            result["baselineState"] = json!("unchanged");
            result["suppressions"] = json!([{
                "kind": "external",
                "status": "accepted",
                "justification": "present in the baseline",
            }]);
        }
        Status::Open => {
            if let Some(w) = f.waiver.as_deref() {
                result["properties"]["expired_waiver"] = json!(waiver_out(w));
            }
        }
    }
    result
}

pub fn emit(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<&Rule> = report.rules.to_vec();
    let index_of = |id: &str| rules.iter().position(|r| r.meta.id == id);
    let mut results = Vec::with_capacity(report.findings.len());
    for f in &report.findings {
        // A finding's rule is always among the evaluated rules; fall back to 0 defensively.
        results.push(result(f, index_of(f.rule.id).unwrap_or(0)));
    }
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let mut n = json!({
                "level": "error",
                "message": {"text": e.message},
                "descriptor": {"id": format!("input-{}", e.kind)},
            });
            let mut physical = json!({"artifactLocation": {"uri": uri_of(&e.source)}});
            if let Some(pos) = e.pos {
                physical["region"] =
                    json!({"startLine": pos.line.max(1), "startColumn": pos.column.max(1)});
            }
            n["locations"] = json!([{"physicalLocation": physical}]);
            n
        })
        .chain(report.notices.iter().map(|n| {
            let mut v = json!({
                "level": "warning",
                "message": {"text": n.message},
                "descriptor": {"id": n.kind},
            });
            if let Some(file) = &n.file {
                let mut physical = json!({"artifactLocation": {"uri": uri_of(file)}});
                if n.line > 0 {
                    physical["region"] = json!({"startLine": n.line});
                }
                v["locations"] = json!([{"physicalLocation": physical}]);
            }
            v
        }))
        .chain(report.warnings.iter().map(|w| {
            let mut physical = json!({"artifactLocation": {"uri": uri_of(&w.source)}});
            if let Some(pos) = w.pos {
                physical["region"] =
                    json!({"startLine": pos.line.max(1), "startColumn": pos.column.max(1)});
            }
            json!({
                "level": "warning",
                "message": {"text": w.message},
                "locations": [{"physicalLocation": physical}],
            })
        }))
        .collect();
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": TOOL_NAME,
                "version": TOOL_VERSION,
                "semanticVersion": TOOL_VERSION,
                "informationUri": INFORMATION_URI,
                "rules": rules.iter().map(|r| rule_descriptor(r)).collect::<Vec<_>>(),
            }},
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {"pss_policy": report.pss_policy.to_string()},
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &sarif)?;
    out.write_all(b"\n")
}
