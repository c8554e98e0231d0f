//! `palisade scan --cluster` against a real kube-apiserver (scripts/testcluster): the
//! clinic example and adversarial objects are created through the API, scanned live, and
//! must give the findings the file scan of the same manifests gives, apart from the
//! differences listed (and explained) here. A restricted user gets "not evaluated", never
//! a pass.

mod live;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use assert_cmd::Command;
use kube::Client;
use kube::api::{Api, DynamicObject, PostParams};
use kube::discovery::{ApiResource, Scope};
use live::{client, unlisted};
use palisade_loader::{Limits, load_inputs};
use palisade_testkit::TestCluster;
use serde_json::{Value, json};

const CLINIC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/clinic");
const ADVERSARIAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/cluster/adversarial.yaml"
);
const CLINIC_CONFIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/clinic/.palisade.yaml"
);

/// Kinds of the example that are configuration files of the control plane, not API
/// objects: they cannot be created, so their findings exist only in the file scan.
const NOT_API_OBJECTS: &[&str] = &["EncryptionConfiguration", "Policy"];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The manifests' objects as JSON, in file order.
fn manifests(paths: &[&str]) -> Vec<Value> {
    let inputs: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    let loaded = load_inputs(&inputs, &Limits::default(), &mut std::io::empty());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    loaded.objects.iter().map(|o| o.root().to_json()).collect()
}

fn group_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

fn plural(kind: &str) -> String {
    let lower = kind.to_lowercase();
    match lower.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{lower}s"),
    }
}

/// Serves the custom kinds of `objects` with schemaless CRDs (as the real operators'
/// CRDs would, minus validation), so the manifests can be created.
async fn serve_custom_kinds(client: &Client, objects: &[Value]) {
    let mut kinds: BTreeMap<(String, String), (String, bool)> = BTreeMap::new();
    for o in objects {
        let (group, version) = group_version(o["apiVersion"].as_str().unwrap());
        let builtin = group.is_empty()
            || group.ends_with(".k8s.io")
            || ["apps", "batch", "policy"].contains(&group);
        if builtin {
            continue;
        }
        let kind = o["kind"].as_str().unwrap().to_string();
        let cluster_scoped = o["metadata"].get("namespace").is_none()
            && (kind.starts_with("Cluster") || kind == "ClusterPolicy");
        kinds.insert(
            (group.to_string(), kind),
            (version.to_string(), cluster_scoped),
        );
    }
    let crds: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(
            &kube::api::GroupVersionKind::gvk(
                "apiextensions.k8s.io",
                "v1",
                "CustomResourceDefinition",
            ),
            "customresourcedefinitions",
        ),
    );
    for ((group, kind), (version, cluster_scoped)) in &kinds {
        let crd = json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": format!("{}.{group}", plural(kind))},
            "spec": {
                "group": group,
                "names": {"kind": kind, "plural": plural(kind), "singular": kind.to_lowercase(), "listKind": format!("{kind}List")},
                "scope": if *cluster_scoped { "Cluster" } else { "Namespaced" },
                "versions": [{"name": version, "served": true, "storage": true,
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]
            }
        });
        crds.create(
            &PostParams::default(),
            &serde_json::from_value(crd).unwrap(),
        )
        .await
        .unwrap();
    }
    // Wait until every CRD is served.
    for _ in 0..100 {
        // A group whose CRD is still being registered can fail discovery for a moment.
        let Ok(discovery) = kube::discovery::Discovery::new(client.clone()).run().await else {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            continue;
        };
        let served = kinds.keys().all(|(group, kind)| {
            discovery.groups().any(|g| {
                g.name() == group
                    && g.recommended_resources()
                        .iter()
                        .any(|(ar, _)| &ar.kind == kind)
            })
        });
        if served {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("custom resource definitions were not served in time");
}

/// Creates `objects` (namespaces first, webhook configurations last, as they would
/// intercept later requests). Returns the objects the server refused, with its answer.
async fn create_all(client: &Client, objects: &[Value]) -> Vec<(String, String)> {
    let rank = |o: &Value| match o["kind"].as_str().unwrap() {
        "Namespace" => 0,
        "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" => 2,
        _ => 1,
    };
    let mut ordered: Vec<&Value> = objects.iter().collect();
    ordered.sort_by_key(|o| rank(o));
    // Namespaces the objects live in but the manifests do not define exist in any
    // cluster they are applied to (istio-system, falco...).
    let defined: BTreeSet<&str> = objects
        .iter()
        .filter(|o| o["kind"] == "Namespace")
        .filter_map(|o| o["metadata"]["name"].as_str())
        .collect();
    let referenced: BTreeSet<&str> = objects
        .iter()
        .filter_map(|o| o["metadata"]["namespace"].as_str())
        .filter(|ns| !defined.contains(ns))
        .collect();
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    for ns in referenced {
        let namespace = serde_json::from_value(json!({"metadata": {"name": ns}})).unwrap();
        // Already there (default, kube-system) is fine.
        let _ = namespaces.create(&PostParams::default(), &namespace).await;
    }
    let discovery = kube::discovery::Discovery::new(client.clone())
        .run()
        .await
        .unwrap();
    let mut refused = Vec::new();
    for o in ordered {
        let (group, version) = group_version(o["apiVersion"].as_str().unwrap());
        let kind = o["kind"].as_str().unwrap();
        let (ar, caps) = discovery
            .groups()
            .filter(|g| g.name() == group)
            .flat_map(|g| g.versioned_resources(version))
            .find(|(ar, _)| ar.kind == kind)
            .unwrap_or_else(|| panic!("{group}/{version} {kind} is not served"));
        let api: Api<DynamicObject> = match (caps.scope, o["metadata"]["namespace"].as_str()) {
            (Scope::Namespaced, Some(ns)) => Api::namespaced_with(client.clone(), ns, &ar),
            (Scope::Namespaced, None) => Api::namespaced_with(client.clone(), "default", &ar),
            (Scope::Cluster, _) => Api::all_with(client.clone(), &ar),
        };
        let object: DynamicObject = serde_json::from_value(o.clone()).unwrap();
        if let Err(e) = api.create(&PostParams::default(), &object).await {
            refused.push((subject(o), e.to_string()));
        }
    }
    refused
}

fn subject(o: &Value) -> String {
    format!(
        "{}/{}/{}",
        o["kind"].as_str().unwrap_or(""),
        o["metadata"]["namespace"].as_str().unwrap_or("-"),
        o["metadata"]["name"].as_str().unwrap_or("")
    )
}

fn scan(args: &[&str]) -> Value {
    let out = Command::cargo_bin("palisade")
        .unwrap()
        .args(["scan", "-f", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "palisade {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (rule, kind/namespace/name, path) of every finding, by subject.
fn findings(report: &Value) -> BTreeSet<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let o = &f["object"];
            (
                f["rule_id"].as_str().unwrap().to_string(),
                format!(
                    "{}/{}/{}",
                    o["kind"].as_str().unwrap_or(""),
                    o["namespace"].as_str().unwrap_or("-"),
                    o["name"].as_str().unwrap_or("")
                ),
                f["path"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn live_scan_finds_what_the_file_scan_finds() {
    let Some(cluster) = TestCluster::start() else {
        return;
    };
    let admin = cluster.var("KUBECONFIG_ADMIN").to_string();
    let objects = manifests(&[CLINIC, ADVERSARIAL]);
    let api_objects: Vec<Value> = objects
        .iter()
        .filter(|o| !NOT_API_OBJECTS.contains(&o["kind"].as_str().unwrap()))
        .cloned()
        .collect();
    let refused = runtime().block_on(async {
        let client = client(&admin).await;
        serve_custom_kinds(&client, &api_objects).await;
        let is_webhook = |o: &&Value| {
            o["kind"]
                .as_str()
                .unwrap()
                .ends_with("WebhookConfiguration")
        };
        let (webhooks, rest): (Vec<Value>, Vec<Value>) =
            api_objects.iter().cloned().partition(|o| is_webhook(&o));
        let mut refused = create_all(&client, &rest).await;
        // What a Deployment's controllers would create (none run here): a ReplicaSet it
        // controls and a Pod that ReplicaSet controls. They repeat the template, so the
        // live scan must leave them to the Deployment.
        let owner = |api_version: &str, kind: &str, name: &str| {
            json!([{"apiVersion": api_version, "kind": kind, "name": name,
                "uid": "00000000-0000-0000-0000-000000000001", "controller": true}])
        };
        let template = api_objects
            .iter()
            .find(|o| subject(o) == "Deployment/legacy/web")
            .unwrap()["spec"]["template"]
            .clone();
        let replica_set = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "web-5d9f", "namespace": "legacy",
                "ownerReferences": owner("apps/v1", "Deployment", "web")},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template.clone()}});
        let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-5d9f-x7k2p", "namespace": "legacy", "labels": {"app": "web"},
                "ownerReferences": owner("apps/v1", "ReplicaSet", "web-5d9f")}});
        pod["spec"] = template["spec"].clone();
        let refused_owned = create_all(&client, &[replica_set, pod]).await;
        assert!(refused_owned.is_empty(), "{refused_owned:?}");
        // Last: a webhook with failurePolicy Fail and no backend refuses what follows.
        refused.extend(create_all(&client, &webhooks).await);
        refused
    });
    // The server may only refuse what Pod Security Admission forbids, and Palisade must
    // have predicted each refusal (PSA001: "would be rejected").
    let file_report = scan(&["--config", CLINIC_CONFIG, CLINIC, ADVERSARIAL]);
    let file = findings(&file_report);
    for (who, answer) in &refused {
        assert!(
            answer.contains("violates PodSecurity"),
            "{who} refused: {answer}"
        );
        assert!(
            file.iter()
                .any(|(rule, s, _)| rule.starts_with("PSA") && s == who),
            "the server refused {who} ({answer}) but Palisade did not predict it"
        );
    }
    let live_report = scan(&[
        "--config",
        CLINIC_CONFIG,
        "--cluster",
        "--kubeconfig",
        &admin,
    ]);
    let live = findings(&live_report);
    assert!(
        live_report["unlisted_resources"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Compare the findings about objects the manifests hold and the server accepted.
    let created: BTreeSet<String> = api_objects
        .iter()
        .map(subject)
        .filter(|s| !refused.iter().any(|(r, _)| r == s))
        .collect();
    let about_created =
        |set: &BTreeSet<(String, String, String)>| -> BTreeSet<(String, String, String)> {
            set.iter()
                .filter(|(rule, s, _)| created.contains(s) && !live_only_by_design(rule))
                .filter(|(rule, _, _)| !file_only_by_design(rule))
                .cloned()
                .collect()
        };
    let (file_side, live_side) = (about_created(&file), about_created(&live));
    // Server defaulting: a field the manifest leaves out is set in the live object, so
    // the finding points at the defaulted field instead of its parent.
    let defaulted = |(rule, who, _): &&(String, String, String),
                     other: &BTreeSet<(String, String, String)>| {
        DEFAULTED_PATHS.contains(&rule.as_str())
            && other.iter().any(|(r, w, _)| r == rule && w == who)
    };
    let missing: Vec<_> = file_side
        .difference(&live_side)
        .filter(|f| !defaulted(f, &live_side))
        .collect();
    let extra: Vec<_> = live_side
        .difference(&file_side)
        .filter(|f| !defaulted(f, &file_side))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "live scan differs from the file scan\n  only in the file scan: {missing:#?}\n  only in the live scan: {extra:#?}"
    );
    assert!(
        file_side.len() > 30,
        "too few findings compared: {}",
        file_side.len()
    );
    assert!(
        !live.iter().any(|(_, s, _)| s.contains("web-5d9f")),
        "objects a Deployment controls were reported on their own: {live:#?}"
    );
    assert!(live_report["summary"]["objects_scanned"].as_u64().unwrap() > 40);
    // Adversarial objects are reported live.
    for (rule, who) in [
        ("PSS007", "Pod/legacy/root-shell"),
        ("RBAC002", "ClusterRoleBinding/-/everyone-is-admin"),
        ("SA004", "Secret/legacy/builder-token"),
    ] {
        assert!(
            live.iter().any(|(r, s, _)| r == rule && s == who),
            "{rule} not reported on {who} live: {live:#?}"
        );
    }
}

/// Rules that read a field the API server defaults (WL005: `imagePullPolicy`, which the
/// server sets from the image tag): the same finding, about a different field path.
const DEFAULTED_PATHS: &[&str] = &["WL005"];

/// Rules whose findings come from data a live scan never reads: the values of Secrets
/// (listed as metadata only).
fn file_only_by_design(rule: &str) -> bool {
    ["SEC001"].contains(&rule)
}

/// None yet: a live-only finding about an object of the manifests would be a bug.
fn live_only_by_design(_rule: &str) -> bool {
    false
}

#[test]
fn restricted_user_gets_not_evaluated_instead_of_passes() {
    let Some(cluster) = TestCluster::start() else {
        return;
    };
    let admin = cluster.var("KUBECONFIG_ADMIN").to_string();
    let restricted = cluster.var("KUBECONFIG_RESTRICTED").to_string();
    let group = cluster.var("RESTRICTED_GROUP").to_string();
    // The restricted user may read pods and namespaces, nothing else.
    runtime().block_on(async {
        let client = client(&admin).await;
        for o in [
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": "pods-reader"},
                "rules": [{"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list"]}]}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": {"name": "pods-reader"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "pods-reader"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}]}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"},
                "spec": {"containers": [{"name": "web", "image": "nginx", "securityContext": {"privileged": true}}]}}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": {"name": "too-much"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "mallory"}]}),
        ] {
            create_all(&client, &[o]).await;
        }
    });
    let report = scan(&["--cluster", "--kubeconfig", &restricted, "--no-config"]);
    let unlisted = unlisted(&report);
    assert!(
        unlisted.contains(&"clusterrolebindings forbidden".to_string()),
        "{unlisted:?}"
    );
    assert!(
        unlisted.contains(&"secrets forbidden".to_string()),
        "{unlisted:?}"
    );
    assert!(
        !unlisted.iter().any(|u| u.starts_with("pods ")),
        "{unlisted:?}"
    );
    let coverage = |id: &str| {
        report["coverage"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["rule_id"] == id)
            .cloned()
            .unwrap()
    };
    // What it can read is checked (the privileged pod is found)...
    let live = findings(&report);
    assert!(
        live.iter()
            .any(|(r, s, _)| r == "PSS007" && s == "Pod/shop/web"),
        "{live:#?}"
    );
    // ...what it cannot is not evaluated, never passed: cluster-admin bound to every
    // authenticated user is invisible to it.
    for id in ["RBAC002", "RBAC001", "SA004"] {
        let c = coverage(id);
        assert_eq!(c["status"], "not-evaluated", "{id}: {c}");
        assert!(
            c["reason"].as_str().unwrap().contains("forbidden"),
            "{id}: {c}"
        );
    }
    assert!(!live.iter().any(|(r, _, _)| r.starts_with("RBAC")));
    // Absence is not concluded from a partial read.
    assert_eq!(coverage("RT001")["status"], "not-evaluated");
    assert!(Path::new(&restricted).exists());
}
