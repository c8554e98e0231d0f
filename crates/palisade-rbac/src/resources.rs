//! The built-in resource types of Kubernetes 1.37: Palisade's one table of them.
//!
//! For each resource as the API server's discovery lists it: its API group, plural name
//! (what URLs, RBAC rules and audit events name), kind (what manifests name), scope and
//! kubectl short names. Subresources (`pods/exec`, `deployments/scale`) are not rows.
//! Lookups go both ways: from a name as kubectl takes it ([`by_name`]: `deploy`,
//! `deployments`, with or without a group) and from an object's group and kind
//! ([`by_kind`]: `apps` + `Deployment` is `deployments`, namespaced).

/// The API group of Roles, ClusterRoles, RoleBindings and ClusterRoleBindings.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// One built-in resource type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resource {
    /// The API group, empty for the core group.
    pub group: &'static str,
    /// The plural resource name, lowercase (`deployments`): what request URLs, RBAC rules
    /// and audit events name.
    pub plural: &'static str,
    /// The kind of its objects (`Deployment`): what manifests name.
    pub kind: &'static str,
    /// Whether its objects live in a namespace (false: cluster-scoped).
    pub namespaced: bool,
    /// kubectl's short names (`deploy`), lowercase.
    pub short_names: &'static [&'static str],
}

const fn row(
    group: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
) -> Resource {
    Resource {
        group,
        plural,
        kind,
        namespaced,
        short_names,
    }
}

/// Ordered by group (the core group first, then by name), then by plural name: the core
/// group comes first so that `events` is the core group's, as kubectl prefers. Kinds,
/// scopes and short names are those of a kube-apiserver v1.37.2's discovery.
const BUILTIN: &[Resource] = &[
    row("", "bindings", "Binding", true, &[]),
    row("", "componentstatuses", "ComponentStatus", false, &["cs"]),
    row("", "configmaps", "ConfigMap", true, &["cm"]),
    row("", "endpoints", "Endpoints", true, &["ep"]),
    row("", "events", "Event", true, &["ev"]),
    row("", "limitranges", "LimitRange", true, &["limits"]),
    row("", "namespaces", "Namespace", false, &["ns"]),
    row("", "nodes", "Node", false, &["no"]),
    row(
        "",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        true,
        &["pvc"],
    ),
    row("", "persistentvolumes", "PersistentVolume", false, &["pv"]),
    row("", "pods", "Pod", true, &["po"]),
    row("", "podtemplates", "PodTemplate", true, &[]),
    row(
        "",
        "replicationcontrollers",
        "ReplicationController",
        true,
        &["rc"],
    ),
    row("", "resourcequotas", "ResourceQuota", true, &["quota"]),
    row("", "secrets", "Secret", true, &[]),
    row("", "serviceaccounts", "ServiceAccount", true, &["sa"]),
    row("", "services", "Service", true, &["svc"]),
    row(
        "admissionregistration.k8s.io",
        "mutatingadmissionpolicies",
        "MutatingAdmissionPolicy",
        false,
        &[],
    ),
    row(
        "admissionregistration.k8s.io",
        "mutatingadmissionpolicybindings",
        "MutatingAdmissionPolicyBinding",
        false,
        &[],
    ),
    row(
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        false,
        &[],
    ),
    row(
        "admissionregistration.k8s.io",
        "validatingadmissionpolicies",
        "ValidatingAdmissionPolicy",
        false,
        &[],
    ),
    row(
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybindings",
        "ValidatingAdmissionPolicyBinding",
        false,
        &[],
    ),
    row(
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        false,
        &[],
    ),
    row(
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        false,
        &["crd", "crds"],
    ),
    row(
        "apiregistration.k8s.io",
        "apiservices",
        "APIService",
        false,
        &[],
    ),
    row(
        "apps",
        "controllerrevisions",
        "ControllerRevision",
        true,
        &[],
    ),
    row("apps", "daemonsets", "DaemonSet", true, &["ds"]),
    row("apps", "deployments", "Deployment", true, &["deploy"]),
    row("apps", "replicasets", "ReplicaSet", true, &["rs"]),
    row("apps", "statefulsets", "StatefulSet", true, &["sts"]),
    row(
        "authentication.k8s.io",
        "selfsubjectreviews",
        "SelfSubjectReview",
        false,
        &[],
    ),
    row(
        "authentication.k8s.io",
        "tokenreviews",
        "TokenReview",
        false,
        &[],
    ),
    row(
        "authorization.k8s.io",
        "localsubjectaccessreviews",
        "LocalSubjectAccessReview",
        true,
        &[],
    ),
    row(
        "authorization.k8s.io",
        "selfsubjectaccessreviews",
        "SelfSubjectAccessReview",
        false,
        &[],
    ),
    row(
        "authorization.k8s.io",
        "selfsubjectrulesreviews",
        "SelfSubjectRulesReview",
        false,
        &[],
    ),
    row(
        "authorization.k8s.io",
        "subjectaccessreviews",
        "SubjectAccessReview",
        false,
        &[],
    ),
    row(
        "autoscaling",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        true,
        &["hpa"],
    ),
    row("batch", "cronjobs", "CronJob", true, &["cj"]),
    row("batch", "jobs", "Job", true, &[]),
    row(
        "certificates.k8s.io",
        "certificatesigningrequests",
        "CertificateSigningRequest",
        false,
        &["csr"],
    ),
    row(
        "certificates.k8s.io",
        "clustertrustbundles",
        "ClusterTrustBundle",
        false,
        &[],
    ),
    row(
        "certificates.k8s.io",
        "podcertificaterequests",
        "PodCertificateRequest",
        true,
        &[],
    ),
    row("coordination.k8s.io", "leases", "Lease", true, &[]),
    row(
        "discovery.k8s.io",
        "endpointslices",
        "EndpointSlice",
        true,
        &[],
    ),
    row("events.k8s.io", "events", "Event", true, &["ev"]),
    row(
        "flowcontrol.apiserver.k8s.io",
        "flowschemas",
        "FlowSchema",
        false,
        &[],
    ),
    row(
        "flowcontrol.apiserver.k8s.io",
        "prioritylevelconfigurations",
        "PriorityLevelConfiguration",
        false,
        &[],
    ),
    row(
        "networking.k8s.io",
        "ingressclasses",
        "IngressClass",
        false,
        &[],
    ),
    row("networking.k8s.io", "ingresses", "Ingress", true, &["ing"]),
    row(
        "networking.k8s.io",
        "ipaddresses",
        "IPAddress",
        false,
        &["ip"],
    ),
    row(
        "networking.k8s.io",
        "networkpolicies",
        "NetworkPolicy",
        true,
        &["netpol"],
    ),
    row(
        "networking.k8s.io",
        "servicecidrs",
        "ServiceCIDR",
        false,
        &[],
    ),
    row("node.k8s.io", "runtimeclasses", "RuntimeClass", false, &[]),
    row(
        "policy",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        true,
        &["pdb"],
    ),
    row(
        RBAC_GROUP,
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
        &[],
    ),
    row(RBAC_GROUP, "clusterroles", "ClusterRole", false, &[]),
    row(RBAC_GROUP, "rolebindings", "RoleBinding", true, &[]),
    row(RBAC_GROUP, "roles", "Role", true, &[]),
    row(
        "resource.k8s.io",
        "deviceclasses",
        "DeviceClass",
        false,
        &[],
    ),
    row(
        "resource.k8s.io",
        "devicetaintrules",
        "DeviceTaintRule",
        false,
        &[],
    ),
    row(
        "resource.k8s.io",
        "resourceclaims",
        "ResourceClaim",
        true,
        &[],
    ),
    row(
        "resource.k8s.io",
        "resourceclaimtemplates",
        "ResourceClaimTemplate",
        true,
        &[],
    ),
    row(
        "resource.k8s.io",
        "resourceslices",
        "ResourceSlice",
        false,
        &[],
    ),
    row(
        "scheduling.k8s.io",
        "priorityclasses",
        "PriorityClass",
        false,
        &["pc"],
    ),
    row("storage.k8s.io", "csidrivers", "CSIDriver", false, &[]),
    row("storage.k8s.io", "csinodes", "CSINode", false, &[]),
    row(
        "storage.k8s.io",
        "csistoragecapacities",
        "CSIStorageCapacity",
        true,
        &[],
    ),
    row(
        "storage.k8s.io",
        "storageclasses",
        "StorageClass",
        false,
        &["sc"],
    ),
    row(
        "storage.k8s.io",
        "volumeattachments",
        "VolumeAttachment",
        false,
        &[],
    ),
    row(
        "storage.k8s.io",
        "volumeattributesclasses",
        "VolumeAttributesClass",
        false,
        &["vac"],
    ),
    row(
        "storagemigration.k8s.io",
        "storageversionmigrations",
        "StorageVersionMigration",
        false,
        &[],
    ),
];

/// Every built-in resource type of Kubernetes 1.37, the core group first.
pub fn builtin() -> &'static [Resource] {
    BUILTIN
}

/// The built-in resource `name` names, as kubectl resolves a resource argument: `name` is a
/// plural or short name, compared case-insensitively (`pods`, `po`, `Deployments`); in
/// `group` when one is given (`deployments` + `apps`), else in whichever group lists it
/// first (`events` is the core group's, not `events.k8s.io`'s). `None` for anything else
/// (custom resources, subresources, `*`).
pub fn by_name(name: &str, group: Option<&str>) -> Option<&'static Resource> {
    BUILTIN.iter().find(|r| {
        group.is_none_or(|want| want == r.group)
            && (r.plural.eq_ignore_ascii_case(name)
                || r.short_names.iter().any(|s| s.eq_ignore_ascii_case(name)))
    })
}

/// The built-in resource whose objects are `kind` in API group `group` (empty for the
/// core group), compared exactly, as `apiVersion` and `kind` are: `("apps", "Deployment")`
/// is `deployments`, namespaced; `("", "Namespace")` is `namespaces`, cluster-scoped.
/// `None` for kinds no built-in resource serves (custom resources, `List`, configuration
/// file kinds).
pub fn by_kind(group: &str, kind: &str) -> Option<&'static Resource> {
    BUILTIN.iter().find(|r| r.kind == kind && r.group == group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_as_kubectl_resolves_them() {
        let plural =
            |name: &str, group: Option<&str>| by_name(name, group).map(|r| (r.group, r.plural));
        assert_eq!(plural("pods", None), Some(("", "pods")));
        assert_eq!(plural("po", None), Some(("", "pods")));
        assert_eq!(plural("PODS", None), Some(("", "pods")));
        assert_eq!(plural("deploy", None), Some(("apps", "deployments")));
        assert_eq!(
            plural("crds", None),
            Some(("apiextensions.k8s.io", "customresourcedefinitions"))
        );
        assert_eq!(
            plural("netpol", None),
            Some(("networking.k8s.io", "networkpolicies"))
        );
        // Unqualified, the core group's events win; qualified, the group decides.
        assert_eq!(plural("events", None), Some(("", "events")));
        assert_eq!(
            plural("ev", Some("events.k8s.io")),
            Some(("events.k8s.io", "events"))
        );
        assert_eq!(
            plural("deployments", Some("apps")),
            Some(("apps", "deployments"))
        );
        assert_eq!(plural("deployments", Some("extensions")), None);
        assert_eq!(plural("deployments", Some("")), None);
        assert_eq!(plural("widgets", None), None);
        assert_eq!(plural("pods/exec", None), None);
        assert_eq!(plural("Pod", None), None);
    }

    #[test]
    fn kinds_resolve_to_their_resource_and_scope() {
        let deployment = by_kind("apps", "Deployment").unwrap();
        assert_eq!(
            (deployment.plural, deployment.namespaced),
            ("deployments", true)
        );
        assert_eq!(deployment.short_names, ["deploy"]);
        let ns = by_kind("", "Namespace").unwrap();
        assert_eq!(
            (ns.plural, ns.namespaced, ns.short_names),
            ("namespaces", false, &["ns"][..])
        );
        let get = |group, kind| by_kind(group, kind).map(|r| (r.plural, r.namespaced));
        assert_eq!(get("", "Endpoints"), Some(("endpoints", true)));
        assert_eq!(
            get("", "ComponentStatus"),
            Some(("componentstatuses", false))
        );
        assert_eq!(
            get("networking.k8s.io", "IngressClass"),
            Some(("ingressclasses", false))
        );
        assert_eq!(
            get(RBAC_GROUP, "ClusterRoleBinding"),
            Some(("clusterrolebindings", false))
        );
        assert_eq!(get(RBAC_GROUP, "RoleBinding"), Some(("rolebindings", true)));
        assert_eq!(get("events.k8s.io", "Event"), Some(("events", true)));
        // Kinds are exact, and belong to their group.
        assert_eq!(get("apps", "deployment"), None);
        assert_eq!(get("", "Deployment"), None);
        assert_eq!(get("example.com", "Widget"), None);
    }

    #[test]
    fn the_table_is_consistent() {
        for (i, r) in BUILTIN.iter().enumerate() {
            // One row per resource and per kind in a group; every name lowercase.
            assert!(
                BUILTIN[..i]
                    .iter()
                    .all(|o| (o.group, o.plural) != (r.group, r.plural)
                        && (o.group, o.kind) != (r.group, r.kind)),
                "{r:?} is listed twice"
            );
            assert_eq!(by_kind(r.group, r.kind), Some(r));
            for name in std::iter::once(&r.plural).chain(r.short_names) {
                assert!(name.bytes().all(|b| b.is_ascii_lowercase()), "{name}");
            }
        }
    }
}
