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

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use palisade_loader::{Limits, load_str, split_documents};
use palisade_model::{Inventory, Object, Origin};
use palisade_pss::{LevelVersion, PodView, Version, evaluate as pss_evaluate};
use palisade_rules::{Finding, Settings, evaluate, registry};
use serde_json::json;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture_path(rule: &palisade_rules::Rule) -> PathBuf {
    fixture_dir()
        .join(rule.meta.area.as_str())
        .join(format!("{}.yaml", rule.meta.id))
}

fn parse_policy(s: &str) -> LevelVersion {
    let (level, version) = s.split_once(':').expect("pss directive is level:version");
    LevelVersion::new(
        palisade_pss::Level::parse(level).expect("valid level"),
        Version::parse(version).expect("valid version"),
    )
}

struct Fixture {
    text: String,
    objects: Vec<Object>,
    /// Policy per document index.
    policies: Vec<LevelVersion>,
    /// Expected (line, rule id).
    expected: BTreeSet<(u32, String)>,
}

fn read_fixture(path: &Path) -> Fixture {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let default = LevelVersion::new(palisade_pss::Level::Restricted, Version::Latest);
    let policies = split_documents(&text)
        .chunks
        .iter()
        .map(|c| {
            c.text
                .lines()
                .find_map(|l| l.trim().strip_prefix("# pss:"))
                .map_or(default, |p| parse_policy(p.trim()))
        })
        .collect();
    let mut expected = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((_, ids)) = line.split_once("# expect:") {
            for id in ids.split(',') {
                expected.insert((i as u32 + 1, id.trim().to_string()));
            }
        }
    }
    let loaded = load_str(
        &path.file_name().unwrap().to_string_lossy(),
        &text,
        &Limits::default(),
    );
    assert!(
        loaded.errors.is_empty(),
        "{}: {:?}",
        path.display(),
        loaded.errors
    );
    let mut ids = BTreeSet::new();
    for o in &loaded.objects {
        assert!(
            ids.insert(o.id.clone()),
            "{}: object {} appears twice; names must be unique",
            path.display(),
            o.id
        );
    }
    Fixture {
        text,
        objects: loaded.objects,
        policies,
        expected,
    }
}

fn document_of(object: &Object) -> usize {
    match object.origin {
        Origin::File { document, .. } => document as usize,
        Origin::Cluster => 0,
    }
}

/// Runs `rule` over the fixture, each document at its own policy.
fn run_rule(rule: &'static palisade_rules::Rule, fixture: &Fixture) -> Vec<Finding> {
    // A fixture is a whole world: absence-based rules may conclude from it.
    let inventory = Inventory::new(fixture.objects.clone()).complete(true);
    let mut by_policy: BTreeMap<String, LevelVersion> = BTreeMap::new();
    for p in &fixture.policies {
        by_policy.insert(p.to_string(), *p);
    }
    let mut findings = Vec::new();
    for policy in by_policy.values() {
        let settings = Settings {
            pss: *policy,
            ..Settings::default()
        }
        .with_directives(&fixture.text)
        .expect("valid # settings: lines");
        for f in evaluate(&inventory, &[rule], &settings).findings {
            let object = inventory
                .objects()
                .iter()
                .find(|o| o.id == f.object)
                .expect("finding's object is in the inventory");
            if fixture.policies[document_of(object)] == *policy {
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
            requests.push_str(&json!({"level": policy.level.as_str(), "version": policy.version.to_string(), "pod": pod}).to_string());
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
