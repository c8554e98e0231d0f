//! Per-rule fixtures: `tests/fixtures/<area>/<RULE-ID>.yaml`.
//!
//! A fixture is a stream of documents mixing failing and passing cases. A line that should
//! carry a finding ends with `# expect: <RULE-ID>`; every other line must carry none. A
//! document may start with `# pss: <level>:<version>` to evaluate it at another Pod Security
//! policy (default `restricted:latest`). `# settings: key=value; ...` lines anywhere set the
//! configuration the whole fixture assumes (see `Settings::with_directives`). A fixture is
//! taken as a complete inventory (`Inventory::complete`), so absence-based rules run. The harness requires the findings of the rule to
//! match the expectations exactly, then snapshots them (insta) so message changes are
//! reviewed. Workload documents are also evaluated by upstream Pod Security Admission (the
//! Go oracle), so a fixture's expectations cannot drift from what Kubernetes does.

mod support;

use std::collections::BTreeSet;

use palisade_model::Inventory;
use palisade_pss::{PodView, evaluate as pss_evaluate};
use palisade_rules::{Finding, Settings, evaluate, registry};
use serde_json::json;
use support::{
    Fixture, distinct_policies, document_of, fixture_path, fixture_settings, read_fixture,
};

/// Runs `rule` over the fixture, each document at its own policy.
fn run_rule(rule: &'static palisade_rules::Rule, fixture: &Fixture) -> Vec<Finding> {
    // A fixture is a whole world: absence-based rules may conclude from it.
    let inventory = Inventory::new(fixture.objects.clone()).complete(true);
    let mut findings = Vec::new();
    for policy in distinct_policies(fixture) {
        let settings = fixture_settings(fixture, policy);
        for f in evaluate(&inventory, &[rule], &settings).findings {
            let object = inventory
                .objects()
                .iter()
                .find(|o| o.id == f.object)
                .expect("finding's object is in the inventory");
            if fixture.policies[document_of(object)] == policy {
                findings.push(f);
            }
        }
    }
    findings.sort_by_key(|f| (f.location.pos, f.message.clone()));
    findings
}

fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!(
            "{}:{} {} {} {}\n    {}\n",
            f.location.pos.line,
            f.location.pos.column,
            f.rule.id,
            f.object,
            f.location.path,
            f.message
        ));
        if let Some(pss) = &f.pss {
            out.push_str(&format!(
                "    pss: {} ({}) at {}\n",
                pss.check, pss.level, pss.policy
            ));
        }
        for r in &f.related {
            out.push_str(&format!(
                "    related {}:{} {}\n",
                r.location.pos.line, r.location.pos.column, r.location.path
            ));
        }
    }
    out
}

#[test]
fn every_rule_has_a_fixture_with_failing_and_passing_cases() {
    let mut missing = Vec::new();
    for rule in registry::all() {
        let path = fixture_path(rule);
        if !path.exists() {
            missing.push(path.display().to_string());
            continue;
        }
        let fixture = read_fixture(&path);
        assert!(
            fixture.expected.iter().any(|(_, id)| id == rule.meta.id),
            "{}: no `# expect: {}` line",
            path.display(),
            rule.meta.id
        );
        let findings = run_rule(rule, &fixture);
        let docs_with_findings: BTreeSet<usize> = findings
            .iter()
            .filter_map(|f| {
                fixture
                    .objects
                    .iter()
                    .find(|o| o.id == f.object)
                    .map(document_of)
            })
            .collect();
        assert!(
            docs_with_findings.len() < fixture.policies.len(),
            "{}: every document fails; add passing cases",
            path.display()
        );
    }
    assert!(missing.is_empty(), "rules without fixtures: {missing:?}");
}

#[test]
fn fixtures_match_expectations_and_snapshots() {
    let mut failures = Vec::new();
    for rule in registry::all() {
        let path = fixture_path(rule);
        if !path.exists() {
            continue;
        }
        let fixture = read_fixture(&path);
        let findings = run_rule(rule, &fixture);
        let got: BTreeSet<(u32, String)> = findings
            .iter()
            .map(|f| (f.location.pos.line, f.rule.id.to_string()))
            .collect();
        let expected: BTreeSet<(u32, String)> = fixture
            .expected
            .iter()
            .filter(|(_, id)| id == rule.meta.id)
            .cloned()
            .collect();
        if got != expected {
            let lines: Vec<&str> = fixture.text.lines().collect();
            let show = |set: &BTreeSet<(u32, String)>| {
                set.iter()
                    .map(|(l, id)| {
                        format!(
                            "  {l}: {id}  | {}",
                            lines.get(*l as usize - 1).unwrap_or(&"")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            failures.push(format!(
                "{}\n missing:\n{}\n unexpected:\n{}\n{}",
                path.display(),
                show(&expected.difference(&got).cloned().collect()),
                show(&got.difference(&expected).cloned().collect()),
                render(&findings)
            ));
            continue;
        }
        insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!(rule.meta.id, render(&findings));
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn pod_security_fixtures_agree_with_upstream_admission() {
    let Some(bin) = palisade_testkit::oracle() else {
        return;
    };
    let locator = Settings::default().locator;
    let mut requests = String::new();
    let mut ours = Vec::new();
    for rule in registry::all()
        .iter()
        .filter(|r| r.meta.area.as_str() == "pod-security")
    {
        let fixture = read_fixture(&fixture_path(rule));
        for object in &fixture.objects {
            let Some(template) = locator.pod_template(object) else {
                continue;
            };
            let policy = fixture.policies[document_of(object)];
            let pod = json!({
                "metadata": template.metadata.map(|m| m.to_json()).unwrap_or(json!({})),
                "spec": template.spec.to_json(),
            });
            requests.push_str(&json!({"level": policy.level.as_str(), "version": policy.version.to_string(), "pod": pod, "defaults": template.defaulting.as_str()}).to_string());
            requests.push('\n');
            let results: Vec<serde_json::Value> = pss_evaluate(policy, &PodView::new(template))
                .into_iter()
                .map(|f| json!({"reason": f.reason, "detail": f.detail}))
                .collect();
            ours.push((
                format!("{} {} at {policy}", rule.meta.id, object.id),
                results,
            ));
        }
    }
    let upstream = palisade_testkit::run_oracle(&bin, "psa", &requests);
    assert_eq!(upstream.len(), ours.len());
    let mut compared = 0;
    for ((what, ours), theirs) in ours.iter().zip(&upstream) {
        // A document the API server cannot decode (a string where a bool belongs) never
        // reaches admission; there is nothing to compare.
        if theirs.get("error").is_some() {
            continue;
        }
        compared += 1;
        assert_eq!(&json!(ours), &theirs["results"], "{what}");
    }
    assert!(compared >= 90, "only {compared} fixture pods compared");
}
