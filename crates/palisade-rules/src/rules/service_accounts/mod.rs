//! Rules of the `service-accounts` area: which identity workloads run as and how its
//! credentials reach them.
//!
//! - `identity`: the default ServiceAccount in use (SA001), one ServiceAccount shared by
//!   unrelated apps (SA006).
//! - `tokens`: token automount with upstream's precedence (SA002), the namespace default
//!   ServiceAccount not opting out (SA003), legacy token Secrets (SA004), long-lived
//!   projected tokens (SA005).
//!
//! Upstream semantics followed: a pod's ServiceAccount is `serviceAccountName`, or the
//! deprecated `serviceAccount` when that is empty (`Convert_v1_PodSpec_To_core_PodSpec`,
//! pkg/apis/core/v1/conversion.go), or `default` when both are (the ServiceAccount
//! admission plugin). Static pods (kubelet manifests, mirror pods) cannot reference a
//! ServiceAccount at all and get no token, so they are skipped.

mod identity;
mod tokens;

use palisade_model::workload::PodTemplate;
use palisade_model::{FieldPath, Object};

use crate::rule::Rule;

/// This area's rules, in ID order.
pub static RULES: &[Rule] = &[
    identity::SA001,
    tokens::SA002,
    tokens::SA003,
    tokens::SA004,
    tokens::SA005,
    identity::SA006,
];

/// Where a pod's ServiceAccount comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SaSource {
    /// `serviceAccountName`.
    Name,
    /// The deprecated `serviceAccount` (used when `serviceAccountName` is empty).
    Deprecated,
    /// Neither is set: the admission plugin assigns `default`.
    Absent,
}

/// The ServiceAccount a pod template runs as, and the field that says so.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ServiceAccountUse<'a> {
    name: &'a str,
    source: SaSource,
    /// The naming field's path from the object root (`serviceAccountName` when absent).
    path: FieldPath,
}

fn service_account_of<'a>(template: &PodTemplate<'a>) -> ServiceAccountUse<'a> {
    let spec = template.spec;
    let non_empty = |key: &str| spec.str_at(key).filter(|s| !s.is_empty());
    let (name, source, key) = if let Some(name) = non_empty("serviceAccountName") {
        (name, SaSource::Name, "serviceAccountName")
    } else if let Some(name) = non_empty("serviceAccount") {
        (name, SaSource::Deprecated, "serviceAccount")
    } else {
        ("default", SaSource::Absent, "serviceAccountName")
    };
    ServiceAccountUse {
        name,
        source,
        path: template.spec_path().key(key),
    }
}

/// Pods the kubelet runs from its manifest directory (and their mirror pods in the API)
/// cannot use ServiceAccounts. Recognised by the mirror annotation the kubelet sets, or as
/// a kube-system Pod labelled `tier: control-plane` (kubeadm's static pod manifests).
fn is_static_pod(object: &Object) -> bool {
    if object.id.kind != "Pod" || object.id.api_version != "v1" {
        return false;
    }
    object.annotation("kubernetes.io/config.mirror").is_some()
        || (object.id.effective_namespace() == Some("kube-system")
            && object
                .labels()
                .any(|(k, v)| k == "tier" && v == "control-plane"))
}

/// The ServiceAccount object `namespace/name` in the input (the last one wins, as a later
/// `kubectl apply` would).
fn find_service_account<'a>(
    inventory: &'a palisade_model::Inventory,
    namespace: &str,
    name: &str,
) -> Option<&'a Object> {
    inventory
        .of_kind("ServiceAccount")
        .filter(|o| {
            o.id.api_version == "v1"
                && o.id.name == name
                && o.id.effective_namespace() == Some(namespace)
        })
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_model::Origin;
    use palisade_model::workload::PodSpecLocator;

    fn sa_of(spec: serde_json::Value) -> (String, SaSource, String) {
        let pod = Object::from_json(
            &serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}),
            Origin::Cluster,
        )
        .unwrap();
        let t = PodSpecLocator::builtin().pod_template(&pod).unwrap();
        let u = service_account_of(&t);
        (u.name.to_string(), u.source, u.path.to_string())
    }

    #[test]
    fn service_account_name_wins_then_deprecated_field_then_default() {
        assert_eq!(
            sa_of(serde_json::json!({"serviceAccountName": "a", "serviceAccount": "b"})),
            ("a".into(), SaSource::Name, "spec.serviceAccountName".into())
        );
        assert_eq!(
            sa_of(serde_json::json!({"serviceAccountName": "", "serviceAccount": "b"})),
            (
                "b".into(),
                SaSource::Deprecated,
                "spec.serviceAccount".into()
            )
        );
        assert_eq!(
            sa_of(serde_json::json!({"serviceAccount": ""})),
            (
                "default".into(),
                SaSource::Absent,
                "spec.serviceAccountName".into()
            )
        );
    }
}
