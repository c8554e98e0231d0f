//! Which objects the rules understand. An object of a kind no rule reads (a custom
//! resource of an operator Palisade does not know) is not evaluated; the report says so,
//! so a Rollout whose pod template nobody configured cannot pass unnoticed.

use palisade_model::Object;

use crate::settings::Settings;

/// API groups of Kubernetes itself and of the configuration files the rules read.
const BUILTIN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "rbac.authorization.k8s.io",
    "networking.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "node.k8s.io",
    "scheduling.k8s.io",
    "resource.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "apiserver.config.k8s.io",
    "audit.k8s.io",
];

/// Groups of the security tools whose resources rules read (mesh, policy engines, image
/// verification, secret managers).
const TOOL_GROUPS: &[&str] = &[
    "security.istio.io",
    "networking.istio.io",
    "install.istio.io",
    "linkerd.io",
    "policy.linkerd.io",
    "kyverno.io",
    "wgpolicyk8s.io",
    "policy.sigstore.dev",
    "templates.gatekeeper.sh",
    "constraints.gatekeeper.sh",
    "config.gatekeeper.sh",
    "mutations.gatekeeper.sh",
    "externaldata.gatekeeper.sh",
    "config.ratify.deislabs.io",
    "external-secrets.io",
    "generators.external-secrets.io",
    "secrets-store.csi.x-k8s.io",
    "secrets.hashicorp.com",
    "bitnami.com",
    "falco.org",
];

/// Whether some rule reads objects like this one: a workload (built-in or configured
/// custom kind), a Kubernetes kind, or a resource of a known security tool.
pub fn understood(object: &Object, settings: &Settings) -> bool {
    let group = object.id.group();
    settings.locator.is_workload(object) || BUILTIN_GROUPS.contains(&group) || is_tool_group(group)
}

/// Whether `group` is an API group of a security tool some rule reads (the cluster scan
/// lists every resource of these groups the API server serves).
pub fn is_tool_group(group: &str) -> bool {
    TOOL_GROUPS.contains(&group)
        || group.ends_with(".istio.io")
        || group.ends_with(".linkerd.io")
        || group.ends_with(".gatekeeper.sh")
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_model::Origin;

    fn object(api_version: &str, kind: &str) -> Object {
        Object::from_json(
            &serde_json::json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"},
                                "spec": {"template": {"spec": {"containers": []}}}}),
            Origin::Cluster,
        )
        .unwrap()
    }

    #[test]
    fn custom_workloads_are_understood_once_configured() {
        let mut settings = Settings::default();
        let rollout = object("argoproj.io/v1alpha1", "Rollout");
        assert!(!understood(&rollout, &settings));
        settings.locator =
            settings
                .locator
                .clone()
                .with_kind("argoproj.io", "Rollout", "spec.template");
        assert!(understood(&rollout, &settings));
        assert!(understood(
            &object("security.istio.io/v1", "PeerAuthentication"),
            &settings
        ));
        assert!(understood(&object("v1", "ConfigMap"), &settings));
        assert!(!understood(&object("example.com/v1", "Widget"), &settings));
    }
}
