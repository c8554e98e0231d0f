//! `palisade rbac who-can` and `palisade rbac can-i` on manifests: subjects, bindings,
//! aggregation, resource names, subresources, exit codes.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn palisade() -> Command {
    let mut cmd = Command::cargo_bin("palisade").unwrap();
    cmd.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env("NO_COLOR", "1");
    cmd
}

/// The policy every test asks about.
const POLICY: &str = "\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-reader}
rules:
  - apiGroups: ['']
    resources: [pods, pods/log]
    verbs: [get, list, watch]
---
# A ClusterRole granted in one namespace only.
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
subjects:
  - {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
  - {kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}
  - {kind: ServiceAccount, name: builder}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-exec}
rules:
  - apiGroups: ['']
    resources: [pods/exec]
    verbs: [create]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops-exec}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-exec}
subjects:
  - {kind: Group, name: ops, apiGroup: rbac.authorization.k8s.io}
  - {kind: ServiceAccount, name: deployer, namespace: ci}
---
# Aggregated: its own rules are replaced by those of the ClusterRoles it selects.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
    - matchLabels: {example.com/aggregate-to-monitoring: 'true'}
rules:
  - apiGroups: ['']
    resources: [configmaps]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: metrics-reader
  labels: {example.com/aggregate-to-monitoring: 'true'}
rules:
  - apiGroups: ['']
    resources: [services, endpoints]
    verbs: [get, list]
  - nonResourceURLs: [/metrics]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: monitoring}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}
subjects:
  - {kind: Group, name: monitors, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: db-password, namespace: shop}
rules:
  - apiGroups: ['']
    resources: [secrets]
    resourceNames: [db-password]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: db-password, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: db-password}
subjects:
  - {kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}
  - {kind: ServiceAccount, name: api, namespace: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: scaler, namespace: shop}
rules:
  - apiGroups: [apps]
    resources: [deployments/scale]
    verbs: [update, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: scaler, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: scaler}
subjects:
  - {kind: Group, name: 'system:serviceaccounts:autoscale'}
---
# Every authenticated user may read namespaces.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ns-reader}
rules:
  - apiGroups: ['']
    resources: [namespaces]
    verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ns-reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ns-reader}
subjects:
  - {kind: Group, name: 'system:authenticated'}
";

fn policy_file() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("palisade-rbac-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rbac.yaml");
    if !path.exists() {
        let tmp = dir.join(format!("rbac.yaml.{:?}", std::thread::current().id()));
        std::fs::write(&tmp, POLICY).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
    }
    path
}

/// `who-can ARGS... -f json`: the subjects as `Kind name via binding`.
fn who_can(args: &[&str]) -> Vec<String> {
    let policy = policy_file();
    let out = palisade()
        .args(["rbac", "who-can"])
        .args(args)
        .args(["-f", "json"])
        .arg(&policy)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).expect("JSON");
    assert_eq!(v["alwaysAllowed"][0]["name"], "system:masters");
    v["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let name = match s["namespace"].as_str() {
                Some(ns) => format!("{ns}/{}", s["name"].as_str().unwrap()),
                None => s["name"].as_str().unwrap().to_string(),
            };
            let b = &s["binding"];
            let binding = match b["namespace"].as_str() {
                Some(ns) => format!("{ns}/{}", b["name"].as_str().unwrap()),
                None => b["name"].as_str().unwrap().to_string(),
            };
            format!(
                "{} {name} via {} {binding} of {} {}",
                s["kind"].as_str().unwrap(),
                b["kind"].as_str().unwrap(),
                s["role"]["kind"].as_str().unwrap(),
                s["role"]["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn who_can_through_a_role_binding_of_a_cluster_role() {
    assert_eq!(
        who_can(&["get", "pods", "-n", "shop"]),
        [
            "User alice via RoleBinding shop/read-pods of ClusterRole pod-reader",
            "Group devs via RoleBinding shop/read-pods of ClusterRole pod-reader",
            // No namespace on the subject: the RoleBinding's.
            "ServiceAccount shop/builder via RoleBinding shop/read-pods of ClusterRole pod-reader",
        ]
    );
    // Only in the binding's namespace; not cluster-wide.
    assert!(who_can(&["get", "pods", "-n", "other"]).is_empty());
    assert!(who_can(&["list", "pods"]).is_empty());
    // A subresource the role lists, and one it does not.
    assert_eq!(who_can(&["get", "pods/log", "-n", "shop"]).len(), 3);
    assert!(who_can(&["get", "pods/exec", "-n", "shop"]).is_empty());
    // -A: in some namespace.
    assert_eq!(who_can(&["list", "pods", "-A"]).len(), 3);
}

#[test]
fn who_can_through_a_cluster_role_binding_with_subresources() {
    let expected = [
        "Group ops via ClusterRoleBinding ops-exec of ClusterRole pod-exec",
        "ServiceAccount ci/deployer via ClusterRoleBinding ops-exec of ClusterRole pod-exec",
    ];
    assert_eq!(who_can(&["create", "pods/exec", "-n", "shop"]), expected);
    assert_eq!(
        who_can(&["create", "pods", "--subresource", "exec", "-n", "prod"]),
        expected
    );
    assert_eq!(who_can(&["create", "pods/exec"]), expected);
    // The pods themselves are not granted, nor another subresource.
    assert!(who_can(&["create", "pods", "-n", "shop"]).is_empty());
    assert!(who_can(&["create", "pods/attach", "-n", "shop"]).is_empty());
    assert_eq!(
        who_can(&["update", "deployments.apps/scale", "-n", "shop"]),
        ["Group system:serviceaccounts:autoscale via RoleBinding shop/scaler of Role scaler"]
    );
    // `deployments` is the apps group's, as kubectl resolves it.
    assert_eq!(who_can(&["patch", "deploy/scale", "-n", "shop"]).len(), 1);
    assert!(who_can(&["update", "deployments.apps", "-n", "shop"]).is_empty());
}

#[test]
fn who_can_through_an_aggregated_cluster_role() {
    let monitors = ["Group monitors via ClusterRoleBinding monitoring of ClusterRole monitoring"];
    assert_eq!(who_can(&["list", "services", "-n", "x"]), monitors);
    assert_eq!(who_can(&["get", "endpoints"]), monitors);
    assert_eq!(who_can(&["get", "/metrics"]), monitors);
    // The aggregated role's own rule is replaced by the controller.
    assert!(who_can(&["get", "configmaps", "-n", "x"]).is_empty());
}

#[test]
fn who_can_with_resource_names() {
    let named = who_can(&["get", "secrets", "-n", "shop", "--name", "db-password"]);
    assert_eq!(
        named,
        [
            "User bob via RoleBinding shop/db-password of Role db-password",
            "ServiceAccount shop/api via RoleBinding shop/db-password of Role db-password",
        ]
    );
    assert!(who_can(&["get", "secrets", "-n", "shop", "--name", "other"]).is_empty());
    // A list has no name: resourceNames never grant it.
    assert!(who_can(&["list", "secrets", "-n", "shop"]).is_empty());
}

#[test]
fn who_can_group_subjects_include_system_groups() {
    assert_eq!(
        who_can(&["list", "namespaces"]),
        ["Group system:authenticated via ClusterRoleBinding ns-reader of ClusterRole ns-reader"]
    );
}

#[test]
fn who_can_table_names_subjects_bindings_roles_and_system_masters() {
    palisade()
        .args(["rbac", "who-can", "get", "pods", "-n", "shop"])
        .arg(policy_file())
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "Who can get pods in namespace shop (7 roles, 6 bindings from 1 file):",
        ))
        .stdout(predicate::str::is_match(r"Group\s+system:masters\s+\(no binding").unwrap())
        .stdout(
            predicate::str::is_match(
                r"ServiceAccount\s+shop/builder\s+RoleBinding shop/read-pods\s+ClusterRole pod-reader",
            )
            .unwrap(),
        )
        .stdout(predicate::str::contains(
            "3 subjects through 1 binding; members of system:masters can do everything",
        ));
}

fn can_i(args: &[&str]) -> assert_cmd::assert::Assert {
    palisade()
        .args(["rbac", "can-i"])
        .args(args)
        .arg(policy_file())
        .assert()
}

#[test]
fn can_i_says_yes_with_the_binding_and_exits_0() {
    can_i(&["get", "pods", "-n", "shop", "--as", "alice"])
        .code(0)
        .stdout(predicate::str::starts_with("yes\n"))
        .stdout(predicate::str::contains(
            "RBAC: allowed by RoleBinding \"read-pods/shop\" of ClusterRole \"pod-reader\" to User \"alice\"",
        ));
    // Groups: given, or a service account's own.
    can_i(&[
        "watch",
        "pods",
        "-n",
        "shop",
        "--as",
        "carol",
        "--as-group",
        "devs",
    ])
    .code(0);
    can_i(&[
        "get",
        "pods",
        "-n",
        "shop",
        "--as",
        "system:serviceaccount:shop:builder",
    ])
    .code(0);
    can_i(&[
        "create",
        "pods/exec",
        "-n",
        "prod",
        "--as",
        "system:serviceaccount:ci:deployer",
    ])
    .code(0);
    can_i(&[
        "patch",
        "deployments/scale",
        "-n",
        "shop",
        "--as",
        "system:serviceaccount:autoscale:hpa",
    ])
    .code(0);
    // Every authenticated user is in system:authenticated.
    can_i(&["list", "namespaces", "--as", "anyone"]).code(0);
    can_i(&["get", "/metrics", "--as", "m", "--as-group", "monitors"]).code(0);
    can_i(&[
        "get",
        "secrets",
        "-n",
        "shop",
        "--name",
        "db-password",
        "--as",
        "bob",
    ])
    .code(0);
    // system:masters: everything.
    can_i(&[
        "delete",
        "nodes",
        "--as",
        "root",
        "--as-group",
        "system:masters",
    ])
    .code(0)
    .stdout(predicate::str::contains("system:masters"));
}

#[test]
fn can_i_says_no_and_exits_1() {
    can_i(&["get", "pods", "-n", "other", "--as", "alice"])
        .code(1)
        .stdout(predicate::str::starts_with("no\n"));
    can_i(&["get", "secrets", "-n", "shop", "--as", "bob"]).code(1);
    can_i(&[
        "get", "secrets", "-n", "shop", "--name", "other", "--as", "bob",
    ])
    .code(1);
    // Another namespace's service account of the same name.
    can_i(&[
        "get",
        "pods",
        "-n",
        "shop",
        "--as",
        "system:serviceaccount:other:builder",
    ])
    .code(1);
    // A service account impersonated with explicit groups loses its own.
    can_i(&[
        "update",
        "deployments/scale",
        "-n",
        "shop",
        "--as",
        "system:serviceaccount:autoscale:hpa",
        "--as-group",
        "x",
    ])
    .code(1);
    // Anonymous is not authenticated.
    can_i(&["list", "namespaces", "--as", "system:anonymous"]).code(1);
    can_i(&[
        "create",
        "pods/attach",
        "-n",
        "x",
        "--as",
        "o",
        "--as-group",
        "ops",
    ])
    .code(1);
    can_i(&[
        "get",
        "configmaps",
        "-n",
        "x",
        "--as",
        "m",
        "--as-group",
        "monitors",
    ])
    .code(1);
    can_i(&["get", "pods", "-n", "other", "--as", "alice", "-q"])
        .code(1)
        .stdout("");
}

#[test]
fn can_i_json() {
    let out = can_i(&[
        "get",
        "pods",
        "-n",
        "shop",
        "--as",
        "dave",
        "--as-group",
        "devs",
        "-f",
        "json",
    ])
    .code(0)
    .get_output()
    .stdout
    .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["allowed"], true);
    assert_eq!(
        v["user"]["groups"],
        serde_json::json!(["devs", "system:authenticated"])
    );
    assert_eq!(v["request"]["namespace"], "shop");
    assert!(v["reason"].as_str().unwrap().contains("Group \"devs\""));
}

#[test]
fn bad_input_exits_2() {
    // Not a service account name.
    can_i(&["get", "pods", "--as", "system:serviceaccount:shop"]).code(2);
    // Two subresources.
    can_i(&["get", "pods/exec", "--subresource", "log", "--as", "a"]).code(2);
    // A namespace on a non-resource URL.
    can_i(&["get", "/metrics", "-n", "x", "--as", "a"]).code(2);
    // --as is required; so is an input.
    palisade()
        .args(["rbac", "can-i", "get", "pods"])
        .arg(policy_file())
        .assert()
        .code(2);
    palisade()
        .args(["rbac", "who-can", "get", "pods"])
        .assert()
        .code(2);
    // A manifest that does not parse: its bindings would be missing from the answer.
    let dir = policy_file().parent().unwrap().join("broken");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.yaml"), "kind: RoleBinding\nmetadata: [oops\n").unwrap();
    palisade()
        .args(["rbac", "who-can", "get", "pods"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("input error"));
    // A cluster that cannot be reached.
    palisade()
        .args([
            "rbac",
            "who-can",
            "get",
            "pods",
            "--cluster",
            "--kubeconfig",
            "/nonexistent/kubeconfig",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("kubeconfig"));
}

#[test]
fn manifests_from_standard_input() {
    palisade()
        .args([
            "rbac", "can-i", "get", "pods", "-n", "shop", "--as", "alice", "-",
        ])
        .write_stdin(POLICY)
        .assert()
        .code(0);
}
