//! Which objects the rules understand. An object of a kind no rule reads (a custom
//! resource of an operator Palisade does not know) is not evaluated; the report says so,
//! so a Rollout whose pod template nobody configured cannot pass unnoticed.

use palisade_model::Object;

use crate::rule::Input;
use crate::settings::Settings;

/// What counts as understood although no rule reads it, deliberately; everything else
/// understood is what the rules declare they read ([`registry::is_read`]).
///
/// - Every kind of Kubernetes' own API groups (and of the configuration files the API
///   server reads): these are Kubernetes' resources, not a custom resource of an operator
///   nobody told Palisade about, which is what the "not evaluated" list exists to show.
///   Events, Leases, Services or PriorityClasses hold nothing a rule checks today, and
///   listing them would bury the kinds that matter (a Rollout whose pod template nobody
///   configured).
/// - The other resources of the security tools whose resources the rules read (a Kyverno
///   PolicyException beside its ClusterPolicies, an External Secrets SecretStore beside its
///   ExternalSecrets, Gatekeeper's mutators, Sealed Secrets, Falco's rules): they belong to
///   a tool Palisade knows, and reporting them as an unknown operator's would mislead.
///
/// Keeping these is what keeps the report's unknown kinds as they were before the rules
/// declared their inputs; a cluster scan does not list them (nothing reads them).
///
/// [`registry::is_read`]: crate::registry::is_read
const UNDERSTOOD_UNREAD: &[Input] = &[
    // Kubernetes.
    Input::Group(""),
    Input::Group("apps"),
    Input::Group("batch"),
    Input::Group("autoscaling"),
    Input::Group("policy"),
    Input::Group("rbac.authorization.k8s.io"),
    Input::Group("networking.k8s.io"),
    Input::Group("storage.k8s.io"),
    Input::Group("admissionregistration.k8s.io"),
    Input::Group("apiextensions.k8s.io"),
    Input::Group("apiregistration.k8s.io"),
    Input::Group("certificates.k8s.io"),
    Input::Group("coordination.k8s.io"),
    Input::Group("discovery.k8s.io"),
    Input::Group("events.k8s.io"),
    Input::Group("flowcontrol.apiserver.k8s.io"),
    Input::Group("node.k8s.io"),
    Input::Group("scheduling.k8s.io"),
    Input::Group("resource.k8s.io"),
    Input::Group("authentication.k8s.io"),
    Input::Group("authorization.k8s.io"),
    Input::Group("apiserver.config.k8s.io"),
    Input::Group("audit.k8s.io"),
    // Security tools, besides what the rules read of them.
    Input::Group("kyverno.io"),
    Input::Group("wgpolicyk8s.io"),
    Input::Group("policy.sigstore.dev"),
    Input::GroupsUnder("gatekeeper.sh"),
    Input::Group("config.ratify.deislabs.io"),
    Input::Group("external-secrets.io"),
    Input::Group("generators.external-secrets.io"),
    Input::Group("secrets-store.csi.x-k8s.io"),
    Input::Group("secrets.hashicorp.com"),
    Input::Group("bitnami.com"),
    Input::Group("falco.org"),
];

/// Whether objects like this one are understood: some rule reads their kind (a workload,
/// built-in or configured custom kind, included), or they are of a group deliberately
/// counted as understood ([`UNDERSTOOD_UNREAD`]).
pub fn understood(object: &Object, settings: &Settings) -> bool {
    let (group, kind) = (object.id.group(), object.kind());
    let locator = &settings.locator;
    crate::registry::is_read(group, kind, locator)
        || UNDERSTOOD_UNREAD
            .iter()
            .any(|i| i.matches(group, kind, locator))
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
        // The network rules read NetworkPolicies of the old `extensions` group too.
        assert!(understood(
            &object("extensions/v1beta1", "NetworkPolicy"),
            &settings
        ));
        assert!(!understood(
            &object("extensions/v1beta1", "PodSecurityPolicy"),
            &settings
        ));
    }

    #[test]
    fn what_is_understood_unread_is_read_by_no_rule() {
        // An entry some rule declares is understood by the declaration already.
        let declared: Vec<Input> = crate::registry::all()
            .iter()
            .flat_map(|r| r.meta.inputs())
            .collect();
        for entry in UNDERSTOOD_UNREAD {
            assert!(!declared.contains(entry), "{entry:?} is a rule's input");
        }
    }
}
