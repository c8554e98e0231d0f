//! The decisions a team records: `.palisade.yaml` (found upward or given), waivers with
//! expiry, baselines, severity overrides and the per-framework compliance view.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn palisade(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("palisade").unwrap();
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

fn tempdir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("palisade-decisions-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("deploy")).unwrap();
    dir
}

/// Two host-network pods; PSS003 is the only rule the tests run.
const PODS: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  hostNetwork: true
  containers: [{name: app, image: app:1}]
---
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: ops}
spec:
  hostNetwork: true
  containers: [{name: app, image: agent:1}]
";

fn json(output: &[u8]) -> Value {
    serde_json::from_slice(output).expect("JSON output")
}

fn statuses(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["object"]["name"].as_str().unwrap(),
                f["status"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn config_is_found_upward_and_waivers_apply() {
    let dir = tempdir("upward");
    std::fs::write(dir.join("deploy/pods.yaml"), PODS).unwrap();
    std::fs::write(
        dir.join(".palisade.yaml"),
        "rules: {select: [PSS003]}
waivers:
  - rule: PSS003
    objects: {namespace: ops, name: 'ag*'}
    justification: node agent
    owner: sre
    expires: 2999-01-01
",
    )
    .unwrap();
    let out = palisade(&dir)
        .args(["scan", "deploy/pods.yaml", "-f", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "web is still open");
    let v = json(&out.stdout);
    assert_eq!(statuses(&v), ["web open", "agent waived"]);
    assert_eq!(v["findings"][1]["waiver"]["owner"], "sre");
    assert_eq!(v["findings"][1]["waiver"]["line"], 3);

    // Waive the other one too: nothing open, exit 0, and the table still shows both.
    std::fs::write(
        dir.join("custom.yaml"),
        "rules: {select: [PSS003]}
waivers:
  - {rule: PSS003, objects: {}, justification: lab cluster, owner: sre, expires: 2999-01-01}
",
    )
    .unwrap();
    palisade(&dir)
        .args(["scan", "deploy/", "--config", "custom.yaml"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Waived"))
        .stdout(predicate::str::contains(
            "Pod/ops/agent  PSS003\n    lab cluster",
        ))
        .stdout(predicate::str::contains("2 waived, 0 baselined"));
    // --no-config ignores the file: both fail.
    palisade(&dir)
        .args([
            "scan",
            "deploy/",
            "--no-config",
            "--rules",
            "PSS003",
            "-f",
            "json",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\"waived\":0"));
}

#[test]
fn expired_and_unused_waivers_are_reported() {
    let dir = tempdir("expired");
    std::fs::write(dir.join("deploy/pods.yaml"), PODS).unwrap();
    std::fs::write(
        dir.join(".palisade.yaml"),
        "rules: {select: [PSS003]}
waivers:
  - {rule: PSS003, objects: {name: web}, justification: old, owner: sre, expires: 2020-01-01}
  - {rule: PSS003, objects: {name: agent}, justification: ok, owner: sre, expires: 2999-01-01}
  - {rule: PSS003, objects: {name: gone}, justification: stale, owner: sre, expires: 2999-01-01}
",
    )
    .unwrap();
    let out = palisade(&dir)
        .args(["scan", "deploy/", "-f", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the expired waiver no longer waives"
    );
    let v = json(&out.stdout);
    assert_eq!(statuses(&v), ["web open", "agent waived"]);
    assert_eq!(v["findings"][0]["waiver"]["expired"], true);
    let kinds: Vec<&str> = v["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["expired-waiver", "unused-waiver"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(".palisade.yaml:3: waiver for PSS003 expired on 2020-01-01"),
        "{stderr}"
    );
    assert!(
        stderr.contains(".palisade.yaml:5: waiver for PSS003 matched no finding"),
        "{stderr}"
    );
}

#[test]
fn inline_annotation_waives_one_rule_on_one_object() {
    let dir = tempdir("inline");
    std::fs::write(
        dir.join("deploy/pods.yaml"),
        PODS.replace(
            "metadata: {name: agent, namespace: ops}",
            "metadata: {name: agent, namespace: ops, annotations: {palisade.dev/waive.PSS003: 'node agent (SEC-9)'}}",
        ),
    )
    .unwrap();
    let out = palisade(&dir)
        .args(["scan", "deploy/", "--rules", "PSS003", "-f", "json"])
        .output()
        .unwrap();
    let v = json(&out.stdout);
    assert_eq!(statuses(&v), ["web open", "agent waived"]);
    assert_eq!(
        v["findings"][1]["waiver"]["annotation"],
        "palisade.dev/waive.PSS003"
    );
    // Teams that forbid inline waivers turn them off.
    std::fs::write(dir.join(".palisade.yaml"), "inlineWaivers: false\n").unwrap();
    let out = palisade(&dir)
        .args(["scan", "deploy/", "--rules", "PSS003", "-f", "json"])
        .output()
        .unwrap();
    assert_eq!(statuses(&json(&out.stdout)), ["web open", "agent open"]);
}

#[test]
fn config_errors_point_at_the_line_and_exit_2() {
    let dir = tempdir("errors");
    std::fs::write(dir.join("deploy/pods.yaml"), PODS).unwrap();
    std::fs::write(dir.join(".palisade.yaml"), "rules:\n  selct: [PSS003]\n").unwrap();
    palisade(&dir)
        .args(["scan", "deploy/"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            ".palisade.yaml:2:3: unknown key \"selct\" in rules",
        ));
}

#[test]
fn a_baseline_lets_only_new_findings_fail() {
    let dir = tempdir("baseline");
    std::fs::write(dir.join("deploy/pods.yaml"), PODS).unwrap();
    palisade(&dir)
        .args([
            "scan",
            "deploy/",
            "--rules",
            "PSS003",
            "--write-baseline",
            "baseline.json",
        ])
        .assert()
        .code(0);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("baseline.json")).unwrap()).unwrap();
    assert_eq!(written["findings"].as_array().unwrap().len(), 2);
    palisade(&dir)
        .args([
            "scan",
            "deploy/",
            "--rules",
            "PSS003",
            "--baseline",
            "baseline.json",
        ])
        .assert()
        .code(0);
    // A new offending pod fails; the known ones stay accepted.
    let more = format!(
        "{PODS}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: new, namespace: shop}}\nspec:\n  hostPID: true\n  containers: [{{name: app, image: x:1}}]\n"
    );
    std::fs::write(dir.join("deploy/pods.yaml"), more).unwrap();
    let out = palisade(&dir)
        .args([
            "scan",
            "deploy/",
            "--rules",
            "PSS003",
            "--baseline",
            "baseline.json",
            "-f",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        statuses(&json(&out.stdout)),
        ["web baselined", "agent baselined", "new open"]
    );
}

#[test]
fn severity_overrides_and_framework_view() {
    let dir = tempdir("framework");
    std::fs::write(dir.join("deploy/pods.yaml"), PODS).unwrap();
    std::fs::write(
        dir.join(".palisade.yaml"),
        "rules: {severity: {PSS003: low}}\n",
    )
    .unwrap();
    let out = palisade(&dir)
        .args([
            "scan",
            "deploy/",
            "--rules",
            "pod-security",
            "--framework",
            "pci-dss",
            "-f",
            "json",
        ])
        .output()
        .unwrap();
    let v = json(&out.stdout);
    assert_eq!(v["findings"][0]["severity"], "low");
    let view = &v["compliance"][0];
    assert_eq!(view["framework"], "pci-dss");
    let control = view["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "2.2.3")
        .expect("PCI DSS 2.2.3 is evidenced by the host namespace rule");
    assert_eq!(control["status"], "fail");
    // Rules that were not run never count as passes.
    let manual_or_unchecked = view["controls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "pass")
        .all(|c| {
            c["rules"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["result"] == "pass" || r["result"] == "waived")
        });
    assert!(manual_or_unchecked);
    palisade(&dir)
        .args(["scan", "deploy/", "--framework", "iso"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown framework \"iso\""));
    palisade(&dir)
        .args([
            "scan",
            "deploy/",
            "--framework",
            "hipaa",
            "--rules",
            "pod-security",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("HIPAA Security Rule"))
        .stdout(predicate::str::contains(
            "Needs manual evidence, no automated check",
        ));
}
