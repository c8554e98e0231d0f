//! `deploy/`, the manifests that run Palisade in a cluster, pass Palisade's own checks, and
//! its ClusterRole stays read-only and away from Secrets.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn deploy_manifests_have_no_findings() {
    let output = Command::cargo_bin("palisade")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(["scan", "-f", "json", "deploy/"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let findings: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}: {}", f["rule_id"], f["object"], f["message"]))
        .collect();
    assert_eq!(
        output.status.code(),
        Some(0),
        "findings: {findings:#?}\nerrors: {}",
        report["errors"]
    );
    assert_eq!(report["summary"]["findings"], 0, "{findings:#?}");
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["warnings"], 0);
    assert_eq!(report["summary"]["waived"], 0, "no waivers either");
    // Everything in deploy/ is something the rules read.
    assert_eq!(report["unknown_kinds"], Value::Array(vec![]));
    for kind in [
        "Namespace",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "NetworkPolicy",
        "CronJob",
    ] {
        assert!(
            objects(kind).next().is_some(),
            "deploy/ has no {kind}, so its scan proves nothing about one"
        );
    }
}

/// The objects of `kind` in deploy/, as JSON.
fn objects(kind: &str) -> impl Iterator<Item = Value> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root().join("deploy")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let loaded = palisade_loader::load_str(
            &path.display().to_string(),
            &text,
            &palisade_loader::Limits::default(),
        );
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        found.extend(
            loaded
                .objects
                .iter()
                .filter(|o| o.kind() == kind)
                .map(|o| o.root().to_json()),
        );
    }
    found.into_iter()
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn cluster_role_is_read_only_and_never_touches_secrets() {
    let roles: Vec<Value> = objects("ClusterRole").collect();
    assert_eq!(roles.len(), 1);
    let role = &roles[0];
    assert_eq!(role["metadata"]["name"], "palisade-scanner");
    assert!(
        role.get("aggregationRule").is_none(),
        "an aggregated role's rules come from elsewhere"
    );
    let rules = role["rules"].as_array().expect("rules");
    assert!(!rules.is_empty());
    let mut granted = Vec::new();
    for rule in rules {
        let verbs = strings(&rule["verbs"]);
        let groups = strings(&rule["apiGroups"]);
        let resources = strings(&rule["resources"]);
        assert!(!verbs.is_empty() && !groups.is_empty() && !resources.is_empty());
        for verb in &verbs {
            assert!(matches!(*verb, "get" | "list"), "verb {verb:?} in {rule}");
        }
        for name in groups.iter().chain(&resources) {
            assert!(!name.contains('*'), "wildcard {name:?} in {rule}");
        }
        for resource in &resources {
            assert!(
                !resource.contains('/'),
                "subresource {resource:?} in {rule}"
            );
            assert_ne!(*resource, "secrets", "{rule}");
        }
        for key in ["resourceNames", "nonResourceURLs"] {
            assert!(rule.get(key).is_none(), "{key} in {rule}");
        }
        for group in &groups {
            for resource in &resources {
                granted.push((group.to_string(), resource.to_string()));
            }
        }
    }
    // Only groups the scan lists: Kubernetes' own, or a security tool's.
    const BUILTIN: &[&str] = &[
        "",
        "apps",
        "batch",
        "rbac.authorization.k8s.io",
        "networking.k8s.io",
        "admissionregistration.k8s.io",
        "storage.k8s.io",
        "node.k8s.io",
    ];
    for (group, resource) in &granted {
        assert!(
            BUILTIN.contains(&group.as_str()) || palisade_rules::is_tool_group(group),
            "{resource} in group {group:?}, which a cluster scan does not list"
        );
    }
    // What the rules need most is there.
    for needed in [
        ("", "pods"),
        ("", "namespaces"),
        ("", "serviceaccounts"),
        ("apps", "deployments"),
        ("rbac.authorization.k8s.io", "clusterrolebindings"),
        ("networking.k8s.io", "networkpolicies"),
    ] {
        assert!(
            granted.contains(&(needed.0.to_string(), needed.1.to_string())),
            "{needed:?} is not granted"
        );
    }

    // Bound to the scanner's ServiceAccount only.
    let bindings: Vec<Value> = objects("ClusterRoleBinding").collect();
    assert_eq!(bindings.len(), 1);
    assert_eq!(bindings[0]["roleRef"]["name"], "palisade-scanner");
    let subjects = bindings[0]["subjects"].as_array().unwrap();
    assert_eq!(subjects.len(), 1);
    assert_eq!(subjects[0]["kind"], "ServiceAccount");
    assert_eq!(subjects[0]["name"], "palisade-scanner");
    assert_eq!(subjects[0]["namespace"], "palisade");
}
