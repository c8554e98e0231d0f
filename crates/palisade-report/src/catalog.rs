//! The rule catalogue, rendered: Markdown pages for docs/rules (generated, never edited),
//! the terminal text of `palisade explain`, and the JSON of `palisade rules --format json`.
//! All three read the same registry metadata and control catalogue.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::rule_help_uri;
use palisade_controls::{Framework, catalogue};
use palisade_rules::{Area, Rule, Scope};

const GENERATED: &str =
    "<!-- Generated from the rule registry by `cargo run -p xtask -- docs`. Do not edit. -->";

fn applies_to(rule: &Rule) -> String {
    match rule.meta.scope {
        Scope::Workloads => "Pods and pod templates (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, ReplicationController, PodTemplate, configured custom kinds)".to_string(),
        Scope::Kinds(_) => rule.meta.scope.kind_names().join(", "),
        Scope::Inventory => "The whole input (cross-object)".to_string(),
    }
}

fn control_title(framework: Framework, id: &str) -> String {
    catalogue()
        .control(framework, id)
        .map_or_else(String::new, |c| c.title.clone())
}

/// One rule's documentation page.
pub fn rule_markdown(rule: &Rule) -> String {
    let m = &rule.meta;
    let mut out = String::new();
    let _ = writeln!(out, "# {} · {}\n", m.id, m.name);
    let _ = writeln!(out, "**{}**\n", m.title);
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| Area | `{}` ({}) |", m.area, m.area.title());
    let _ = writeln!(out, "| Severity | {} |", m.severity);
    if let Some((check, level)) = m.pss_check() {
        let _ = writeln!(
            out,
            "| Pod Security Admission check | `{check}` ({level}) |"
        );
    }
    let _ = writeln!(out, "| Applies to | {} |\n", applies_to(rule));
    let _ = writeln!(out, "## Why it matters\n\n{}\n", m.rationale);
    let _ = writeln!(out, "## How to fix\n\n{}\n", m.remediation);
    let (fail, config) = example_and_config(m.example_fail);
    let (pass, _) = example_and_config(m.example_pass);
    let _ = writeln!(out, "## Example\n");
    if let Some(config) = &config {
        let _ = writeln!(
            out,
            "With this in `.palisade.yaml`:\n\n```yaml\n{config}```\n"
        );
    }
    let _ = writeln!(out, "Reported:\n\n```yaml\n{fail}```\n");
    let _ = writeln!(out, "Not reported:\n\n```yaml\n{pass}```\n");
    let _ = writeln!(out, "## Controls\n");
    let controls = m.controls();
    if controls.is_empty() {
        let _ = writeln!(out, "None: {}\n", m.no_controls_reason.unwrap_or(""));
    } else {
        let _ = writeln!(
            out,
            "| Framework | Control | Title | Relation |\n|---|---|---|---|"
        );
        for c in &controls {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                c.framework.id(),
                c.id,
                control_title(c.framework, &c.id).replace('|', "\\|"),
                c.relation.as_str()
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "## References\n");
    for r in m.references {
        let _ = writeln!(out, "- <{r}>");
    }
    let _ = writeln!(out, "\n{GENERATED}");
    out
}

/// docs/rules/README.md: every rule, grouped by checklist area.
pub fn index_markdown(rules: &[&Rule]) -> String {
    let mut out = String::from(
        "# Rules\n\nEvery rule Palisade has, grouped by checklist area. `palisade explain <ID>` prints the same pages in the terminal.\n",
    );
    for area in Area::ALL {
        let in_area: Vec<&&Rule> = rules.iter().filter(|r| r.meta.area == area).collect();
        if in_area.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n## {} (`{}`)\n", area.title(), area);
        let _ = writeln!(out, "| ID | Name | Severity | Title |\n|---|---|---|---|");
        for r in in_area {
            let m = &r.meta;
            let _ = writeln!(
                out,
                "| [{id}]({id}.md) | {} | {} | {} |",
                m.name,
                m.severity,
                m.title,
                id = m.id
            );
        }
    }
    let _ = writeln!(out, "\n{GENERATED}");
    out
}

/// Every generated documentation file: `(path under docs/rules, contents)`.
pub fn generated_docs(rules: &[&Rule]) -> Vec<(String, String)> {
    let mut files = vec![("README.md".to_string(), index_markdown(rules))];
    files.extend(
        rules
            .iter()
            .map(|r| (format!("{}.md", r.meta.id), rule_markdown(r))),
    );
    files
}

/// The `palisade explain` text.
pub fn rule_text(rule: &Rule) -> String {
    let m = &rule.meta;
    let mut out = String::new();
    let _ = writeln!(out, "{} {} ({} · {})", m.id, m.name, m.area, m.severity);
    let _ = writeln!(out, "{}\n", m.title);
    if let Some((check, level)) = m.pss_check() {
        let _ = writeln!(out, "Pod Security Admission check: {check} ({level})\n");
    }
    let _ = writeln!(out, "Why it matters\n  {}\n", m.rationale);
    let _ = writeln!(out, "How to fix\n  {}\n", m.remediation);
    let (fail, config) = example_and_config(m.example_fail);
    let (pass, _) = example_and_config(m.example_pass);
    if let Some(config) = &config {
        let _ = writeln!(out, "With this in .palisade.yaml:\n{}", indent(config));
    }
    let _ = writeln!(out, "Reported:\n{}", indent(&fail));
    let _ = writeln!(out, "Not reported:\n{}", indent(&pass));
    let controls = m.controls();
    let _ = writeln!(out, "Controls");
    if controls.is_empty() {
        let _ = writeln!(out, "  none: {}", m.no_controls_reason.unwrap_or(""));
    }
    for c in &controls {
        let _ = writeln!(
            out,
            "  {:<34} {} ({})",
            c.framework.cite(&c.id),
            control_title(c.framework, &c.id),
            c.relation.as_str()
        );
    }
    let _ = writeln!(out, "\nMore: {}", rule_help_uri(m.id));
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

/// The `palisade rules --format json` entry of one rule.
pub fn rule_json(rule: &Rule) -> Value {
    let m = &rule.meta;
    let mut v = json!({
        "id": m.id,
        "name": m.name,
        "title": m.title,
        "area": m.area.as_str(),
        "severity": m.severity.as_str(),
        "controls": m.controls().into_iter().map(|c| json!({
            "framework": c.framework.id(), "id": c.id, "relation": c.relation.as_str(),
        })).collect::<Vec<_>>(),
        "rationale": m.rationale,
        "remediation": m.remediation,
        "help_uri": rule_help_uri(m.id),
    });
    if let Some((check, level)) = m.pss_check() {
        v["pss_check"] = json!(check.as_str());
        v["pss_level"] = json!(level.as_str());
    }
    if let Some(reason) = m.no_controls_reason {
        v["no_controls_reason"] = json!(reason);
    }
    v
}

/// Splits an example into the manifest and, when it carries `# settings:` lines (the
/// test-suite's shorthand), the `.palisade.yaml` those settings stand for.
pub fn example_and_config(example: &str) -> (String, Option<String>) {
    let mut manifest = String::new();
    let mut config = String::new();
    for line in example.lines() {
        let Some(settings) = line.trim().strip_prefix("# settings:") else {
            manifest.push_str(line);
            manifest.push('\n');
            continue;
        };
        for pair in settings.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let list = || {
                let items: Vec<&str> = value.split(',').map(str::trim).collect();
                format!("[{}]", items.join(", "))
            };
            let yaml = match key.trim() {
                "regulated" => format!("regulatedNamespaces:\n  names: {}\n", list()),
                "regulated-pss-level" => {
                    format!("regulatedNamespaces:\n  podSecurityLevel: {value}\n")
                }
                "registries" => format!("registries: {}\n", list()),
                "log-retention-days" => format!("auditLog:\n  retentionDays: {value}\n"),
                "runtime-agents" => format!("runtimeAgents: {}\n", list()),
                "istio-root-namespace" => format!("istioRootNamespace: {value}\n"),
                "workload-kind" => {
                    let (kind, template) = value.split_once('=').unwrap_or((value, ""));
                    let (group, kind) = kind.rsplit_once('/').unwrap_or(("", kind));
                    // The example's own apiVersion for that group (only the group matters).
                    let api_version = example
                        .lines()
                        .filter_map(|l| l.trim().strip_prefix("apiVersion:"))
                        .map(str::trim)
                        .find(|v| v.starts_with(&format!("{group}/")))
                        .map_or_else(|| format!("{group}/v1"), str::to_string);
                    format!(
                        "workloadKinds:\n  - {{apiVersion: {api_version}, kind: {kind}, podTemplate: {template}}}\n"
                    )
                }
                other => format!("# {other}: {value}\n"),
            };
            config.push_str(&yaml);
        }
    }
    (manifest, (!config.is_empty()).then_some(config))
}
