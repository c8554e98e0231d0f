//! JUnit XML for CI systems that show test reports (GitLab, Jenkins, Azure DevOps).
//! One suite per input file, one test case per object: it fails when the object has
//! findings (all of them listed in the failure), passes otherwise. Input errors are an
//! extra suite of erroring test cases, so a broken file is never a silent pass.

use std::collections::HashMap;
use std::io::{self, Write};

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use crate::{Report, TOOL_NAME};
use palisade_model::ObjectRef;
use palisade_rules::{Finding, Status};

/// A finding's subject and its file.
type SubjectKey<'a> = (&'a ObjectRef, Option<&'a str>);

pub fn emit(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut junit = JunitReport::new(TOOL_NAME);
    let mut suites: Vec<TestSuite> = Vec::new();
    let suite_for = |suites: &mut Vec<TestSuite>, name: &str| -> usize {
        suites
            .iter()
            .position(|s| s.name.as_str() == name)
            .unwrap_or_else(|| {
                suites.push(TestSuite::new(name));
                suites.len() - 1
            })
    };
    let mut by_object: HashMap<(&ObjectRef, Option<&str>), Vec<&Finding>> = HashMap::new();
    // Waived and baselined findings are accepted: they do not fail the object's case.
    for f in report
        .findings
        .iter()
        .filter(|f| f.status() == Status::Open)
    {
        by_object
            .entry((&*f.object, f.location.file.as_deref()))
            .or_default()
            .push(f);
    }
    for (object, file) in &report.objects {
        let findings = by_object
            .remove(&(&**object, file.as_deref()))
            .unwrap_or_default();
        let file = file.as_deref().unwrap_or("(cluster)");
        let idx = suite_for(&mut suites, file);
        suites[idx].add_test_case(test_case(&object.to_string(), file, &findings));
    }
    // Findings about what the input lacks (a namespace without a default-deny policy, no
    // runtime agent) name subjects that are not objects of the input: they fail cases of
    // their own, never silently disappear.
    let mut rest: Vec<(SubjectKey<'_>, Vec<&Finding>)> = by_object.into_iter().collect();
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    for ((object, file), findings) in rest {
        let file = file.unwrap_or("(input as a whole)");
        let idx = suite_for(&mut suites, file);
        suites[idx].add_test_case(test_case(&object.to_string(), file, &findings));
    }
    if !report.errors.is_empty() {
        let idx = suite_for(&mut suites, "palisade input errors");
        for e in &report.errors {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(e.message.clone());
            status.set_type(e.kind);
            let mut case = TestCase::new(e.to_string(), status);
            case.set_classname(e.source.to_string());
            suites[idx].add_test_case(case);
        }
    }
    junit.add_test_suites(suites);
    junit
        .serialize(&mut *out)
        .map_err(|e| io::Error::other(e.to_string()))?;
    out.write_all(b"\n")
}

/// One object's test case: passing without findings, failing with all of them listed.
fn test_case(object: &str, file: &str, findings: &[&Finding]) -> TestCase {
    let status = if findings.is_empty() {
        TestCaseStatus::success()
    } else {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        let mut ids: Vec<&str> = Vec::new();
        for f in findings {
            if !ids.contains(&f.rule.id) {
                ids.push(f.rule.id);
            }
        }
        status.set_message(format!(
            "{} finding{}: {}",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" },
            ids.join(", ")
        ));
        status.set_type(
            findings
                .iter()
                .map(|f| f.severity)
                .max()
                .map_or("", |s| s.as_str()),
        );
        let description: Vec<String> = findings
            .iter()
            .map(|f| {
                format!(
                    "{}:{}:{} {} [{}] {} ({})",
                    file,
                    f.location.pos.line,
                    f.location.pos.column,
                    f.rule.id,
                    f.severity,
                    f.message,
                    f.location.path
                )
            })
            .collect();
        status.set_description(description.join("\n"));
        status
    };
    let mut case = TestCase::new(object.to_string(), status);
    case.set_classname(file);
    case
}
