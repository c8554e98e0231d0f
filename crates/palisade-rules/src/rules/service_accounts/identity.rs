//! SA001 (workloads on the default ServiceAccount) and SA006 (one ServiceAccount shared by
//! unrelated apps).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;

use palisade_model::Object;
use palisade_model::workload::PodTemplate;

use super::{SaSource, ServiceAccountUse, is_static_pod, service_account_of};
use crate::context::{InventoryCtx, ObjectCtx};
use crate::finding::{Location, Related};
use crate::rule::{Area, Check, Input, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

const SA_DOC: &str =
    "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/";
const SA_CONCEPT_DOC: &str = "https://kubernetes.io/docs/concepts/security/service-accounts/";
const RBAC_GOOD_PRACTICES_DOC: &str =
    "https://kubernetes.io/docs/concepts/security/rbac-good-practices/";

pub(super) const SA001: Rule = Rule {
    meta: RuleMeta {
        id: "SA001",
        name: "default-service-account",
        title: "Workload runs as its namespace's default ServiceAccount",
        area: Area::ServiceAccounts,
        severity: Severity::Medium,
        scope: Scope::Workloads,
        reads: &[],
        rationale: "Every pod that names no ServiceAccount runs as the namespace's `default` one, so all of them share one identity: any permission granted to `default` for one workload (a RoleBinding added to fix one app) silently extends to every other pod in the namespace, and audit logs cannot tell them apart. CIS 5.1.5 asks that default ServiceAccounts not be actively used. `serviceAccountName` is read first, then the deprecated `serviceAccount` field the API server falls back to.",
        remediation: "Create a dedicated ServiceAccount for the workload and set `spec.serviceAccountName` in its pod template (with `automountServiceAccountToken: false` if it does not call the API).",
        example_fail: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: registry.example.com/web:1.0\n",
        example_pass: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      serviceAccountName: web\n      automountServiceAccountToken: false\n      containers:\n        - name: web\n          image: registry.example.com/web:1.0\n",
        evidence: &["sa.dedicated_per_app"],
        no_controls_reason: None,
        references: &[SA_DOC, SA_CONCEPT_DOC],
        pss: None,
    },
    check: Check::Object(check_default_service_account),
};

pub(super) const SA006: Rule = Rule {
    meta: RuleMeta {
        id: "SA006",
        name: "shared-service-account",
        title: "One ServiceAccount is shared by workloads of different apps",
        area: Area::ServiceAccounts,
        severity: Severity::Medium,
        scope: Scope::Inventory,
        reads: &[Input::Workloads],
        rationale: "A ServiceAccount is an identity: every permission bound to it is held by every pod that runs as it. When unrelated apps share one, each gets the union of what all of them need, a compromise of one hands over the others' access, and the API audit log cannot attribute a request to an app. Apps are told apart by the pod template's `app.kubernetes.io/name` label, then its `app` label, then the workload's name; objects owned by a controller (a Deployment's ReplicaSets, their Pods) are counted through their owner, and the `default` ServiceAccount is left to SA001.",
        remediation: "Give each app its own ServiceAccount (set `serviceAccountName` in each pod template) and bind to each only the permissions that app needs.",
        example_fail: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      serviceAccountName: shop\n      containers:\n        - name: web\n          image: registry.example.com/web:1.0\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: billing\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {app: billing}\n  template:\n    metadata:\n      labels: {app: billing}\n    spec:\n      serviceAccountName: shop\n      containers:\n        - name: billing\n          image: registry.example.com/billing:1.0\n",
        example_pass: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      serviceAccountName: web\n      containers:\n        - name: web\n          image: registry.example.com/web:1.0\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: billing\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {app: billing}\n  template:\n    metadata:\n      labels: {app: billing}\n    spec:\n      serviceAccountName: billing\n      containers:\n        - name: billing\n          image: registry.example.com/billing:1.0\n",
        evidence: &["sa.dedicated_per_app"],
        no_controls_reason: None,
        references: &[SA_CONCEPT_DOC, RBAC_GOOD_PRACTICES_DOC],
        pss: None,
    },
    check: Check::Inventory(check_shared_service_account),
};

fn check_default_service_account(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    if is_static_pod(ctx.object) {
        return;
    }
    let Some(template) = ctx.pod_template() else {
        return;
    };
    let sa = service_account_of(&template);
    if sa.name != "default" {
        return;
    }
    let ns = ctx.namespace().unwrap_or("default");
    let how = match sa.source {
        SaSource::Name => "serviceAccountName is \"default\"",
        SaSource::Deprecated => "the deprecated serviceAccount field is \"default\"",
        SaSource::Absent => "neither serviceAccountName nor serviceAccount is set",
    };
    sink.report(
        ctx.object,
        sa.path,
        format!("{how}: the pods run as the default ServiceAccount of namespace {ns:?}, shared with every other pod there that names none"),
    );
}

/// The app a workload belongs to: the pod template's `app.kubernetes.io/name` label, then
/// its `app` label, then the workload's name.
fn app_of<'a>(object: &'a Object, template: &PodTemplate<'a>) -> &'a str {
    let labels = template.metadata.and_then(|m| m.get("labels"));
    ["app.kubernetes.io/name", "app"]
        .iter()
        .find_map(|k| labels.and_then(|l| l.str_at(k)).filter(|v| !v.is_empty()))
        .unwrap_or(&object.id.name)
}

/// Objects created by a controller (`ownerReferences` with `controller: true`): their
/// owner's template is the source and is counted instead.
fn is_controlled(object: &Object) -> bool {
    object
        .root()
        .get_in(&["metadata", "ownerReferences"])
        .into_iter()
        .flat_map(|r| r.items())
        .any(|r| r.bool_at("controller") == Some(true))
}

struct Member<'a> {
    object: &'a Object,
    app: &'a str,
    sa: ServiceAccountUse<'a>,
}

fn check_shared_service_account(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let mut any_workload = false;
    // Hash maps: grouping order does not matter (the engine orders findings).
    let mut by_account: HashMap<(&str, &str), Vec<Member<'_>>> = HashMap::new();
    for &(object, template) in ctx.workloads() {
        any_workload = true;
        if is_controlled(object) || is_static_pod(object) {
            continue;
        }
        let sa = service_account_of(&template);
        if sa.name == "default" {
            continue;
        }
        let ns = object.id.effective_namespace().unwrap_or("default");
        by_account.entry((ns, sa.name)).or_default().push(Member {
            object,
            app: app_of(object, &template),
            sa,
        });
    }
    if !any_workload {
        sink.not_evaluated("the input has no workloads (Pods or objects with a pod template)");
        return;
    }
    for ((ns, name), members) in &by_account {
        let first = members[0].app;
        if members.iter().all(|m| m.app == first) {
            continue;
        }
        // A few other users are named (and located); a namespace-wide SA shared by
        // hundreds of workloads must not make every finding list all the others.
        const SHOWN: usize = 3;
        let mut per_app: HashMap<&str, usize> = HashMap::new();
        for m in members {
            *per_app.entry(m.app).or_default() += 1;
        }
        // The first few members of each app stand for it: enough to name SHOWN others
        // for any member without rescanning the whole group each time. Each stand-in's
        // words and location are made once (a shared ServiceAccount can have thousands of
        // members, each naming the same few others).
        let mut reps: Vec<Rep<'_>> = Vec::new();
        let mut taken: HashMap<&str, usize> = HashMap::new();
        for m in members {
            let n = taken.entry(m.app).or_default();
            if *n < SHOWN {
                *n += 1;
                reps.push(Rep {
                    app: m.app,
                    named: format!("{:?} ({})", m.app, m.object.id),
                    related: Related {
                        location: Location::of(m.object, m.sa.path.clone()),
                        message: Cow::Borrowed("another app using the same ServiceAccount"),
                    },
                });
            }
        }
        for member in members {
            let count = members.len() - per_app[member.app];
            let mut message = format!(
                "ServiceAccount {name:?} in namespace {ns:?} runs app {:?} and is shared with other apps: ",
                member.app
            );
            let others = reps.iter().filter(|r| r.app != member.app).take(SHOWN);
            for (i, other) in others.clone().enumerate() {
                if i > 0 {
                    message.push_str(", ");
                }
                message.push_str(&other.named);
            }
            if count > SHOWN {
                let _ = write!(message, ", and {} more workloads", count - SHOWN);
            }
            let finding = sink.report(member.object, member.sa.path.clone(), message);
            finding
                .related
                .extend(others.map(|other| other.related.clone()));
        }
    }
}

/// A member that stands for its app in the other members' findings.
struct Rep<'a> {
    app: &'a str,
    /// `"app" (Kind ns/name)`.
    named: String,
    related: Related,
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_model::Origin;
    use palisade_model::workload::PodSpecLocator;

    fn object(json: serde_json::Value) -> Object {
        Object::from_json(&json, Origin::Cluster).unwrap()
    }

    fn app(labels: serde_json::Value) -> String {
        let d = object(serde_json::json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"template": {"metadata": {"labels": labels}, "spec": {}}}
        }));
        let t = PodSpecLocator::builtin().pod_template(&d).unwrap();
        app_of(&d, &t).to_string()
    }

    #[test]
    fn app_is_the_name_label_then_app_label_then_workload_name() {
        assert_eq!(
            app(serde_json::json!({"app.kubernetes.io/name": "shop", "app": "x"})),
            "shop"
        );
        assert_eq!(
            app(serde_json::json!({"app.kubernetes.io/name": "", "app": "x"})),
            "x"
        );
        assert_eq!(app(serde_json::json!({"team": "a"})), "web");
    }

    #[test]
    fn static_pods_are_recognised_and_controllers_are_not() {
        let mirror = object(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "m", "namespace": "x", "annotations": {"kubernetes.io/config.mirror": "abc"}}
        }));
        assert!(is_static_pod(&mirror));
        let kubeadm = object(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "etcd", "namespace": "kube-system", "labels": {"tier": "control-plane"}}
        }));
        assert!(is_static_pod(&kubeadm));
        let elsewhere = object(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "etcd", "namespace": "apps", "labels": {"tier": "control-plane"}}
        }));
        assert!(!is_static_pod(&elsewhere));
        let owned = object(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "ownerReferences": [{"kind": "ReplicaSet", "name": "r", "controller": true}]}
        }));
        assert!(is_controlled(&owned));
        assert!(!is_controlled(&kubeadm));
    }
}
