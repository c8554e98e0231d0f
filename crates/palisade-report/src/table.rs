//! The human-readable report: findings grouped by file and object, then input problems and a
//! one-line summary. Coloured when writing to a terminal.

use std::collections::BTreeMap;
use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};

use crate::{EmitOptions, Report};
use palisade_rules::{Finding, Severity};

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
    for f in &report.findings {
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
    line.push_str(&format!(
        "; {}, {}",
        plural(report.stats.files, "file", "files"),
        plural(report.stats.documents, "document", "documents")
    ));
    if report.stats.skipped_documents > 0 {
        line.push_str(&format!(
            " ({} without apiVersion/kind skipped)",
            report.stats.skipped_documents
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
