//! `deploy/`, the manifests that run Palisade in a cluster, pass Palisade's own checks, and
//! its ClusterRole stays read-only and away from Secrets. Applied to a real API server,
//! they are admitted (the scanner's pod under Pod Security `restricted`), and a cluster scan
//! with the scanner's own token can list everything it reads except Secrets and finds
//! nothing to say about its own objects.

mod live;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams};
use live::{client, unlisted};
use palisade_testkit::TestCluster;
use serde_json::{Value, json};

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
    // Only groups the scan lists: groups of which some rule reads a kind (its workloads'
    // included), or the whole group.
    let locator = palisade_model::workload::PodSpecLocator::builtin();
    let read = |group: &str| {
        palisade_rules::registry::all()
            .iter()
            .flat_map(|r| r.meta.inputs())
            .any(|input| match input {
                palisade_rules::Input::Kind(k) => k.group == group,
                palisade_rules::Input::Workloads => ["Pod", "Deployment", "Job"]
                    .iter()
                    .any(|k| locator.knows(group, k)),
                other => other.matches(group, "", locator),
            })
    };
    for (group, resource) in &granted {
        assert!(
            read(group),
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

/// Where the kinds of deploy/ are served: (group, version, plural, namespaced).
fn resource(kind: &str) -> (&'static str, &'static str, &'static str, bool) {
    match kind {
        "Namespace" => ("", "v1", "namespaces", false),
        "ServiceAccount" => ("", "v1", "serviceaccounts", true),
        "PersistentVolumeClaim" => ("", "v1", "persistentvolumeclaims", true),
        "ConfigMap" => ("", "v1", "configmaps", true),
        "Pod" => ("", "v1", "pods", true),
        "ClusterRole" => ("rbac.authorization.k8s.io", "v1", "clusterroles", false),
        "ClusterRoleBinding" => (
            "rbac.authorization.k8s.io",
            "v1",
            "clusterrolebindings",
            false,
        ),
        "NetworkPolicy" => ("networking.k8s.io", "v1", "networkpolicies", true),
        "CronJob" => ("batch", "v1", "cronjobs", true),
        other => panic!("deploy/ has a {other}: add where it is served"),
    }
}

fn api_for(client: &Client, kind: &str, namespace: Option<&str>) -> Api<DynamicObject> {
    let (group, version, plural, namespaced) = resource(kind);
    let ar =
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
    match (namespaced, namespace) {
        (true, Some(ns)) => Api::namespaced_with(client.clone(), ns, &ar),
        (true, None) => panic!("namespaced {kind} without a namespace"),
        (false, _) => Api::all_with(client.clone(), &ar),
    }
}

/// Applies deploy/ in file order (as `kubectl apply -f deploy/` does), checks that a pod of
/// the CronJob's template is admitted under `restricted`, and returns a token of the
/// scanner's ServiceAccount.
async fn install(admin: &str) -> String {
    let client = client(admin).await;
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("deploy"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("yaml"))
        .collect();
    files.sort();
    let mut template = None;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let loaded = palisade_loader::load_str(
            &path.display().to_string(),
            &text,
            &palisade_loader::Limits::default(),
        );
        for object in &loaded.objects {
            let json = object.root().to_json();
            let kind = object.kind();
            let api = api_for(&client, kind, json["metadata"]["namespace"].as_str());
            let dynamic: DynamicObject = serde_json::from_value(json.clone()).unwrap();
            if let Err(e) = api.create(&PostParams::default(), &dynamic).await {
                panic!("{} refused {kind} {}: {e}", path.display(), object.id.name);
            }
            if kind == "CronJob" {
                template = Some(json["spec"]["jobTemplate"]["spec"]["template"].clone());
            }
        }
    }
    // Pod Security Admission enforces `restricted` in the namespace: the scanner's pod must
    // pass it (a dry run: nothing would run it here anyway).
    let template = template.expect("deploy/ has a CronJob");
    let mut metadata = template["metadata"].clone();
    metadata["name"] = json!("palisade-scan-probe");
    let pod =
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template["spec"]});
    api_for(&client, "Pod", Some("palisade"))
        .create(
            &PostParams {
                dry_run: true,
                ..Default::default()
            },
            &serde_json::from_value(pod).unwrap(),
        )
        .await
        .expect("Pod Security Admission (restricted) admits the scanner's pod");
    // What the kubelet would project into the pod: a token of the ServiceAccount.
    let request = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
        "spec": {"expirationSeconds": 3600}});
    let answer: Value = api_for(&client, "ServiceAccount", Some("palisade"))
        .create_subresource(
            "token",
            "palisade-scanner",
            &PostParams::default(),
            &request,
        )
        .await
        .unwrap();
    answer["status"]["token"].as_str().unwrap().to_string()
}

#[test]
fn scanner_service_account_can_scan_everything_but_secrets() {
    let Some(cluster) = TestCluster::start() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let token = runtime.block_on(install(cluster.var("KUBECONFIG_ADMIN")));
    let kubeconfig =
        std::env::temp_dir().join(format!("palisade-deploy-{}.kubeconfig", std::process::id()));
    let config = json!({
        "apiVersion": "v1", "kind": "Config", "current-context": "scanner",
        "clusters": [{"name": "test", "cluster": {
            "server": cluster.var("APISERVER_URL"),
            "certificate-authority": cluster.var("CA_CERT")}}],
        "users": [{"name": "palisade-scanner", "user": {"token": token}}],
        "contexts": [{"name": "scanner", "context": {"cluster": "test", "user": "palisade-scanner"}}],
    });
    std::fs::write(&kubeconfig, config.to_string()).unwrap();
    let output = Command::cargo_bin("palisade")
        .unwrap()
        .args([
            "scan",
            "--cluster",
            "--no-config",
            "-f",
            "json",
            "--kubeconfig",
        ])
        .arg(&kubeconfig)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&kubeconfig);
    assert!(
        output.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    // Everything the scan lists on this server is granted, except Secrets.
    let unlisted = unlisted(&report);
    assert_eq!(unlisted, ["secrets forbidden"]);
    // The scanner's own objects, as the server stored them, have nothing to report.
    let own: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["object"]["namespace"] == "palisade"
                || f["object"]["name"] == "palisade"
                || f["object"]["name"] == "palisade-scanner"
        })
        .collect();
    assert!(own.is_empty(), "{own:#?}");
    assert!(report["summary"]["objects_scanned"].as_u64().unwrap() > 0);
}
