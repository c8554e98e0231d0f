//! The human-readable report: findings grouped by file and object, then input problems and a
//! one-line summary. Coloured when writing to a terminal.

use std::collections::BTreeMap;
use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};

use crate::compliance::{self, ControlStatus, FrameworkView, RuleResult};
use crate::{EmitOptions, Report};
use palisade_rules::{Coverage, Finding, Severity, Status, WaiverNote, WaiverSource};

struct Paint {
    color: bool,
}

impl Paint {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    fn severity(&self, s: Severity) -> String {
        let style = match s {
            Severity::Critical => Style::new()
                .fg_color(Some(AnsiColor::Red.into()))
                .effects(Effects::BOLD),
            Severity::High => Style::new().fg_color(Some(AnsiColor::Red.into())),
            Severity::Medium => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
            Severity::Low => Style::new().fg_color(Some(AnsiColor::Cyan.into())),
            Severity::Info => Style::new().effects(Effects::DIMMED),
        };
        self.paint(style, &format!("{:<8}", s.as_str()))
    }

    fn bold(&self, text: &str) -> String {
        self.paint(Style::new().effects(Effects::BOLD), text)
    }

    fn dim(&self, text: &str) -> String {
        self.paint(Style::new().effects(Effects::DIMMED), text)
    }
}

/// An object's name and its findings.
type ObjectGroup<'a> = (String, Vec<&'a Finding>);

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn emit(report: &Report, options: EmitOptions, out: &mut dyn Write) -> io::Result<()> {
    let p = Paint {
        color: options.color,
    };
    // Group by file (in input order of first appearance), then by object.
    let mut files: Vec<(String, Vec<ObjectGroup<'_>>)> = Vec::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.status() == Status::Open)
    {
        let file = f
            .location
            .file
            .as_deref()
            .unwrap_or("(cluster)")
            .to_string();
        let idx = files
            .iter()
            .position(|(name, _)| *name == file)
            .unwrap_or_else(|| {
                files.push((file.clone(), Vec::new()));
                files.len() - 1
            });
        let objects = &mut files[idx].1;
        let object = f.object.to_string();
        match objects.iter_mut().find(|(o, _)| *o == object) {
            Some((_, list)) => list.push(f),
            None => objects.push((object, vec![f])),
        }
    }
    for (file, objects) in &files {
        writeln!(out, "{}", p.bold(file))?;
        for (object, findings) in objects {
            writeln!(out, "  {object}")?;
            for f in findings {
                let pos = if f.location.pos.is_known() {
                    format!("{}:{}", f.location.pos.line, f.location.pos.column)
                } else {
                    "-".to_string()
                };
                writeln!(
                    out,
                    "    {:>7}  {} {}  {}",
                    pos,
                    p.severity(f.severity),
                    p.bold(f.rule.id),
                    f.message
                )?;
                writeln!(
                    out,
                    "    {:>7}  {}",
                    "",
                    p.dim(&format!("{} · {}", f.rule.name, f.location.path))
                )?;
                if let Some(w) = f.waiver.as_deref().filter(|w| w.expired) {
                    writeln!(
                        out,
                        "    {:>7}  {}",
                        "",
                        p.paint(
                            Style::new().fg_color(Some(AnsiColor::Yellow.into())),
                            &format!(
                                "waiver expired on {} ({})",
                                w.expires.as_deref().unwrap_or("?"),
                                waiver_source(w)
                            )
                        )
                    )?;
                }
            }
        }
        writeln!(out)?;
    }
    if !report.errors.is_empty() {
        writeln!(out, "{}", p.bold("Input errors"))?;
        for e in &report.errors {
            writeln!(
                out,
                "  {} {e}",
                p.paint(Style::new().fg_color(Some(AnsiColor::Red.into())), "error:")
            )?;
        }
        writeln!(out)?;
    }
    if !report.warnings.is_empty() {
        writeln!(out, "{}", p.bold("Input warnings"))?;
        for w in &report.warnings {
            writeln!(
                out,
                "  {} {w}",
                p.paint(
                    Style::new().fg_color(Some(AnsiColor::Yellow.into())),
                    "warning:"
                )
            )?;
        }
        writeln!(out)?;
    }
    let waived: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status() == Status::Waived)
        .collect();
    if !waived.is_empty() {
        // One entry per waiver and object: the rules it waives there, then why and who.
        let mut groups: Vec<(&WaiverNote, String, Vec<&str>)> = Vec::new();
        for f in &waived {
            let w = f
                .waiver
                .as_deref()
                .expect("waived findings carry their waiver");
            let object = f.object.to_string();
            match groups
                .iter_mut()
                .find(|(gw, go, _)| std::ptr::eq(*gw, w) && *go == object)
            {
                Some((_, _, ids)) => {
                    if !ids.contains(&f.rule.id) {
                        ids.push(f.rule.id);
                    }
                }
                None => groups.push((w, object, vec![f.rule.id])),
            }
        }
        writeln!(out, "{}", p.bold(&format!("Waived ({})", waived.len())))?;
        for (w, object, ids) in groups {
            let mut who = Vec::new();
            if let Some(o) = &w.owner {
                who.push(format!("owner {o}"));
            }
            if let Some(t) = &w.ticket {
                who.push(t.clone());
            }
            if let Some(e) = &w.expires {
                who.push(format!("until {e}"));
            }
            who.push(waiver_source(w));
            writeln!(out, "  {object}  {}", p.bold(&ids.join(", ")))?;
            writeln!(out, "    {}", w.justification)?;
            writeln!(out, "    {}", p.dim(&who.join(" · ")))?;
        }
        writeln!(out)?;
    }
    if !report.notices.is_empty() {
        writeln!(out, "{}", p.bold("Waivers"))?;
        for n in &report.notices {
            writeln!(
                out,
                "  {} {n}",
                p.paint(
                    Style::new().fg_color(Some(AnsiColor::Yellow.into())),
                    &format!("{}:", n.kind)
                )
            )?;
        }
        writeln!(out)?;
    }
    if !report.unlisted.is_empty() {
        writeln!(
            out,
            "{}",
            p.bold("Not evaluated: resource types the cluster scan could not list")
        )?;
        for u in &report.unlisted {
            writeln!(
                out,
                "  {} {} {}",
                u.kind,
                u.api_version,
                p.dim(&u.describe())
            )?;
        }
        writeln!(
            out,
            "  {}",
            p.dim(
                "rules that read them are not evaluated, and nothing is concluded from an absence"
            )
        )?;
        writeln!(out)?;
    }
    if !report.unknown_kinds.is_empty() {
        writeln!(out, "{}", p.bold("Not evaluated: kinds no rule reads"))?;
        for k in &report.unknown_kinds {
            writeln!(
                out,
                "  {} {} ({})",
                k.kind,
                k.api_version,
                plural(k.objects, "object", "objects")
            )?;
        }
        writeln!(
            out,
            "  {}",
            p.dim("a custom workload kind with a pod template is checked once listed under workloadKinds in .palisade.yaml")
        )?;
        writeln!(out)?;
    }
    for view in compliance::views(report) {
        compliance_table(&p, &view, out)?;
    }
    let summary = report.summary();
    let counts: BTreeMap<Severity, usize> = summary.by_severity.clone();
    let by_severity: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|s| {
            counts
                .get(s)
                .filter(|n| **n > 0)
                .map(|n| format!("{n} {s}"))
        })
        .collect();
    let mut line = if summary.findings == 0 {
        "No findings".to_string()
    } else {
        format!(
            "{} ({}) in {} of {}",
            plural(summary.findings, "finding", "findings"),
            by_severity.join(", "),
            summary.objects_with_findings,
            plural(report.stats.objects, "object", "objects"),
        )
    };
    if summary.findings == 0 {
        line.push_str(&format!(
            " in {}",
            plural(report.stats.objects, "object", "objects")
        ));
    }
    if report.stats.files == 0 && report.stats.objects > 0 {
        // Only a cluster scan reads objects without files.
        line.push_str("; read from the cluster");
    } else {
        line.push_str(&format!(
            "; {}, {}",
            plural(report.stats.files, "file", "files"),
            plural(report.stats.documents, "document", "documents")
        ));
    }
    if report.stats.skipped_documents > 0 {
        line.push_str(&format!(
            " ({} without apiVersion/kind skipped)",
            report.stats.skipped_documents
        ));
    }
    if summary.waived + summary.baselined > 0 {
        line.push_str(&format!(
            "; {} waived, {} baselined",
            summary.waived, summary.baselined
        ));
    }
    let not_evaluated = report
        .runs
        .iter()
        .filter(|r| matches!(r.coverage, Coverage::NotEvaluated { .. }))
        .count();
    if not_evaluated > 0 {
        line.push_str(&format!(
            "; {} not evaluated on this input",
            plural(not_evaluated, "rule", "rules")
        ));
    }
    let unknown: usize = report.unknown_kinds.iter().map(|k| k.objects).sum();
    if unknown > 0 {
        line.push_str(&format!(
            "; {} of kinds no rule reads",
            plural(unknown, "object", "objects")
        ));
    }
    if !report.errors.is_empty() {
        line.push_str(&format!(
            "; {}",
            plural(report.errors.len(), "input error", "input errors")
        ));
    }
    line.push_str(&format!("; Pod Security policy {}", report.pss_policy));
    writeln!(out, "{}", p.bold(&line))
}

fn waiver_source(w: &WaiverNote) -> String {
    match &w.source {
        WaiverSource::Config { file, line } => format!("{file}:{line}"),
        WaiverSource::Annotation { key } => format!("annotation {key}"),
    }
}

/// The per-control view: one line per control with a result, then the controls that need
/// manual evidence and the rules that could not be evaluated, so coverage gaps are visible.
fn compliance_table(p: &Paint, view: &FrameworkView, out: &mut dyn Write) -> io::Result<()> {
    let score = view.score().map_or("no automated result".to_string(), |s| {
        format!("score {s:.0}%")
    });
    let counts: Vec<String> = ControlStatus::ALL
        .into_iter()
        .map(|s| format!("{} {}", view.count(s), s.as_str()))
        .collect();
    writeln!(
        out,
        "{}",
        p.bold(&format!("{}, {}: {score}", view.name, view.edition))
    )?;
    writeln!(
        out,
        "  {}",
        p.dim(&format!("controls: {}", counts.join(", ")))
    )?;
    let status_style = |s: ControlStatus| match s {
        ControlStatus::Fail => Style::new().fg_color(Some(AnsiColor::Red.into())),
        ControlStatus::Pass => Style::new().fg_color(Some(AnsiColor::Green.into())),
        ControlStatus::Waived | ControlStatus::Partial => {
            Style::new().fg_color(Some(AnsiColor::Yellow.into()))
        }
        ControlStatus::NotEvaluated | ControlStatus::Manual => {
            Style::new().effects(Effects::DIMMED)
        }
    };
    let mut not_evaluated: BTreeMap<&str, &str> = BTreeMap::new();
    for c in view
        .controls
        .iter()
        .filter(|c| c.status != ControlStatus::Manual)
    {
        let rules: Vec<String> = c
            .rules
            .iter()
            .map(|r| {
                let mark = match &r.result {
                    RuleResult::Pass => "pass".to_string(),
                    RuleResult::Fail { open } => format!("fail {open}"),
                    RuleResult::Waived { accepted } => format!("waived {accepted}"),
                    RuleResult::NotEvaluated { reason } => {
                        not_evaluated.insert(r.rule.meta.id, reason);
                        "n/e".to_string()
                    }
                    RuleResult::NotRun => "off".to_string(),
                };
                format!("{} {mark}", r.rule.meta.id)
            })
            .collect();
        writeln!(
            out,
            "  {} {:<12} {}",
            p.paint(
                status_style(c.status),
                &format!("{:<13}", c.status.as_str())
            ),
            c.id,
            c.title
        )?;
        writeln!(out, "  {:<13} {:<12} {}", "", "", p.dim(&rules.join(", ")))?;
        for m in &c.manual_evidence {
            writeln!(
                out,
                "  {:<13} {:<12} {}",
                "",
                "",
                p.dim(&format!("manual evidence: {m}"))
            )?;
        }
    }
    let manual: Vec<&compliance::ControlView> = view
        .controls
        .iter()
        .filter(|c| c.status == ControlStatus::Manual)
        .collect();
    if !manual.is_empty() {
        // Listed by ID only: the titles are in the JSON report and the catalogue.
        writeln!(
            out,
            "  {}",
            p.bold(&format!(
                "Needs manual evidence, no automated check ({}):",
                manual.len()
            ))
        )?;
        let mut line = String::new();
        for c in manual {
            if line.len() + c.id.len() + 2 > 86 {
                writeln!(out, "    {}", line.trim_end())?;
                line.clear();
            }
            line.push_str(&c.id);
            line.push_str(", ");
        }
        writeln!(out, "    {}", line.trim_end_matches([',', ' ']))?;
    }
    if !not_evaluated.is_empty() {
        writeln!(out, "  {}", p.bold("Not evaluated on this input"))?;
        for (id, reason) in not_evaluated {
            writeln!(out, "  {:<13} {:<12} {reason}", "", id)?;
        }
    }
    writeln!(out)
}
