//! RBAC002, RBAC011-RBAC015: what RoleBindings and ClusterRoleBindings grant, to whom,
//! and whether what they refer to exists; roles nobody binds.
//!
//! Findings about a binding point at the subject concerned (`subjects[i].name`) or at
//! `roleRef.name`; roles are resolved as the authorizer resolves them (a `Role` reference
//! in the binding's namespace, aggregation applied, see [`palisade_rbac::authz`]).

use std::collections::{BTreeMap, BTreeSet};

use palisade_model::FieldPath;
use palisade_rbac::authz::{ANONYMOUS, AUTHENTICATED, Binding, ResolveError, UNAUTHENTICATED};

use super::model::{
    Rbac, is_bootstrap_default, is_builtin_cluster_role, is_builtin_role, is_system_component,
    subject_path,
};
use crate::context::InventoryCtx;
use crate::sink::Sink;

fn role_ref_name() -> FieldPath {
    FieldPath::root().key("roleRef").key("name")
}

/// `ClusterRoleBinding "x"` / `RoleBinding "ns/x"`.
fn describe_binding(binding: &Binding) -> String {
    if binding.is_cluster_binding() {
        format!("ClusterRoleBinding {:?}", binding.name)
    } else {
        format!("RoleBinding \"{}/{}\"", binding.namespace, binding.name)
    }
}

fn scope(binding: &Binding) -> String {
    if binding.is_cluster_binding() {
        "cluster-wide".to_string()
    } else {
        format!("in namespace {:?}", binding.namespace)
    }
}

fn need_bindings(rbac: &Rbac<'_>, sink: &mut Sink) -> bool {
    if !rbac.has_bindings() {
        sink.not_evaluated("the input has no RoleBinding or ClusterRoleBinding objects");
        return false;
    }
    true
}

/// Whether the binding grants every verb on every resource: it refers to `cluster-admin`
/// (the input's definition when it has one, else the built-in), or to a role with a rule
/// `verbs: ["*"], apiGroups: ["*"], resources: ["*"]` and no `resourceNames`.
fn grants_everything(rbac: &Rbac<'_>, binding: &Binding) -> Option<String> {
    match rbac.resolve(binding) {
        Ok(role) => {
            let policy = &rbac.policy;
            let full = policy
                .effective_rules(role)
                .iter()
                .any(|&o| policy.rule(o).is_full_wildcard());
            full.then(|| policy.roles[role].describe())
        }
        Err(ResolveError::NotFound { kind, name, .. })
            if kind == "ClusterRole" && name == "cluster-admin" =>
        {
            Some("ClusterRole \"cluster-admin\" (built-in)".to_string())
        }
        Err(_) => None,
    }
}

pub fn check_cluster_admin(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let rbac = Rbac::new(ctx.inventory);
    if !need_bindings(&rbac, sink) {
        return;
    }
    for binding in &rbac.policy.bindings {
        let Some(role) = grants_everything(&rbac, binding) else {
            continue;
        };
        for (s, subject) in binding.subjects.iter().enumerate() {
            if is_system_component(subject) {
                continue;
            }
            let message = format!(
                "{} grants {role}, every verb on every resource, {} to {}",
                describe_binding(binding),
                scope(binding),
                subject.describe(&binding.namespace)
            );
            rbac.report_binding(sink, binding, subject_path(s).key("name"), message)
                .with_related(
                    rbac.binding_object(binding),
                    [role_ref_name()],
                    "the role granting everything",
                );
        }
    }
}

/// Default ClusterRoles Kubernetes itself binds to everyone (`system:public-info-viewer`,
/// `system:discovery`, `system:basic-user`), and the Role kubeadm binds to anonymous
/// users in kube-public for `kubeadm join` discovery.
fn is_default_public_grant(rbac: &Rbac<'_>, binding: &Binding) -> bool {
    let r = &binding.role_ref;
    let default_name = match r.kind.as_str() {
        "ClusterRole" => matches!(
            r.name.as_str(),
            "system:public-info-viewer" | "system:discovery" | "system:basic-user"
        ),
        "Role" => {
            binding.namespace == "kube-public" && r.name == "kubeadm:bootstrap-signer-clusterinfo"
        }
        _ => false,
    };
    // A role of that name in the input must still be the default one.
    default_name
        && match rbac.resolve(binding) {
            Ok(role) => {
                let role = &rbac.policy.roles[role];
                is_bootstrap_default(role) || r.name.starts_with("kubeadm:")
            }
            Err(_) => true,
        }
}

pub fn check_public_subjects(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let rbac = Rbac::new(ctx.inventory);
    if !need_bindings(&rbac, sink) {
        return;
    }
    for binding in &rbac.policy.bindings {
        if is_default_public_grant(&rbac, binding) {
            continue;
        }
        for (s, subject) in binding.subjects.iter().enumerate() {
            let who = match (subject.kind.as_str(), subject.name.as_str()) {
                ("User", ANONYMOUS) => "every unauthenticated request",
                ("Group", UNAUTHENTICATED) => "every unauthenticated request",
                ("Group", AUTHENTICATED) => {
                    "every authenticated identity, every service account of every namespace included"
                }
                _ => continue,
            };
            let message = format!(
                "{} grants {} {:?} {} to {} {:?}: that is {who}",
                describe_binding(binding),
                binding.role_ref.kind,
                binding.role_ref.name,
                scope(binding),
                subject.kind,
                subject.name
            );
            rbac.report_binding(sink, binding, subject_path(s).key("name"), message);
        }
    }
}

/// Resources known to be namespaced, by API group. A rule naming anything else (a custom
/// resource, `*`) is not known to be namespaced-only.
const NAMESPACED: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "pods",
            "services",
            "endpoints",
            "configmaps",
            "secrets",
            "serviceaccounts",
            "persistentvolumeclaims",
            "replicationcontrollers",
            "events",
            "limitranges",
            "resourcequotas",
            "podtemplates",
            "bindings",
        ],
    ),
    (
        "apps",
        &[
            "deployments",
            "daemonsets",
            "statefulsets",
            "replicasets",
            "controllerrevisions",
        ],
    ),
    ("batch", &["jobs", "cronjobs"]),
    ("autoscaling", &["horizontalpodautoscalers"]),
    ("policy", &["poddisruptionbudgets"]),
    ("networking.k8s.io", &["networkpolicies", "ingresses"]),
    ("rbac.authorization.k8s.io", &["roles", "rolebindings"]),
    ("coordination.k8s.io", &["leases"]),
    ("discovery.k8s.io", &["endpointslices"]),
    ("events.k8s.io", &["events"]),
    ("storage.k8s.io", &["csistoragecapacities"]),
    ("authorization.k8s.io", &["localsubjectaccessreviews"]),
    (
        "resource.k8s.io",
        &["resourceclaims", "resourceclaimtemplates"],
    ),
];

/// Cluster-scoped resources of the built-in API groups (virtual ones included: what
/// impersonation, reviews and CSR signing check).
const CLUSTER_SCOPED: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "nodes",
            "namespaces",
            "persistentvolumes",
            "componentstatuses",
            "users",
            "groups",
        ],
    ),
    (
        "rbac.authorization.k8s.io",
        &["clusterroles", "clusterrolebindings"],
    ),
    (
        "storage.k8s.io",
        &[
            "storageclasses",
            "csidrivers",
            "csinodes",
            "volumeattachments",
            "volumeattributesclasses",
        ],
    ),
    (
        "admissionregistration.k8s.io",
        &[
            "validatingwebhookconfigurations",
            "mutatingwebhookconfigurations",
            "validatingadmissionpolicies",
            "validatingadmissionpolicybindings",
            "mutatingadmissionpolicies",
            "mutatingadmissionpolicybindings",
        ],
    ),
    ("apiextensions.k8s.io", &["customresourcedefinitions"]),
    ("apiregistration.k8s.io", &["apiservices"]),
    (
        "certificates.k8s.io",
        &[
            "certificatesigningrequests",
            "clustertrustbundles",
            "signers",
        ],
    ),
    ("scheduling.k8s.io", &["priorityclasses"]),
    ("node.k8s.io", &["runtimeclasses"]),
    (
        "networking.k8s.io",
        &["ingressclasses", "ipaddresses", "servicecidrs"],
    ),
    (
        "flowcontrol.apiserver.k8s.io",
        &["flowschemas", "prioritylevelconfigurations"],
    ),
    ("policy", &["podsecuritypolicies"]),
    (
        "authentication.k8s.io",
        &["tokenreviews", "selfsubjectreviews", "userextras", "uids"],
    ),
    (
        "authorization.k8s.io",
        &[
            "subjectaccessreviews",
            "selfsubjectaccessreviews",
            "selfsubjectrulesreviews",
        ],
    ),
    ("resource.k8s.io", &["deviceclasses", "resourceslices"]),
];

fn listed(table: &[(&str, &[&str])], group: &str, resource: &str) -> Option<bool> {
    table
        .iter()
        .find(|(g, _)| *g == group)
        .map(|(_, resources)| resources.contains(&resource))
}

/// Whether a rule grants namespaced resources only: no nonResourceURLs, and every
/// (group, resource) pair it names (subresources by their resource) is a known namespaced
/// resource, or a pair that does not exist (`apps` × `pods` in a rule listing both groups),
/// that is a resource of a built-in group known as namespaced in another group of the rule
/// and not known as cluster-scoped in this one. `*` and custom resources are unknown.
fn namespaced_only(rule: &palisade_rbac::authz::PolicyRule) -> bool {
    if !rule.non_resource_urls.is_empty() || rule.resources.is_empty() {
        return false;
    }
    rule.api_groups.iter().all(|g| {
        rule.resources.iter().all(|r| {
            let base = r.split_once('/').map_or(r.as_str(), |(b, _)| b);
            match listed(NAMESPACED, g, base) {
                Some(true) => true,
                known_group => {
                    let builtin =
                        known_group.is_some() || listed(CLUSTER_SCOPED, g, base).is_some();
                    builtin
                        && listed(CLUSTER_SCOPED, g, base) != Some(true)
                        && rule.api_groups.iter().any(|other| {
                            other != g && listed(NAMESPACED, other, base) == Some(true)
                        })
                }
            }
        })
    })
}

pub fn check_cluster_binding_namespaced(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let rbac = Rbac::new(ctx.inventory);
    if !need_bindings(&rbac, sink) {
        return;
    }
    for binding in rbac
        .policy
        .bindings
        .iter()
        .filter(|b| b.is_cluster_binding())
    {
        let Ok(role) = rbac.resolve(binding) else {
            continue;
        };
        let policy = &rbac.policy;
        let rules = policy.effective_rules(role);
        if rules.is_empty()
            || is_bootstrap_default(&policy.roles[role])
            || !rules.iter().all(|&o| namespaced_only(policy.rule(o)))
        {
            continue;
        }
        let message = format!(
            "{} binds {} cluster-wide, but the role grants only namespaced resources: a RoleBinding in each namespace that needs it grants the same with a smaller reach",
            describe_binding(binding),
            policy.roles[role].describe()
        );
        rbac.report_binding(sink, binding, role_ref_name(), message);
    }
}

/// Labels that aggregate a ClusterRole into the built-in `admin`, `edit` and `view` (and
/// other aggregated roles the input may not contain).
fn aggregates_elsewhere(labels: &[(String, String)]) -> bool {
    labels
        .iter()
        .any(|(k, v)| k.starts_with("rbac.authorization.k8s.io/aggregate-to-") && v == "true")
}

pub fn check_unused_roles(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    if !ctx.absence_provable(sink) {
        return;
    }
    let rbac = Rbac::new(ctx.inventory);
    if !rbac.has_roles() {
        sink.not_evaluated("the input has no Role or ClusterRole objects");
        return;
    }
    if !need_bindings(&rbac, sink) {
        return;
    }
    let policy = &rbac.policy;
    // Roles some binding refers to, and ClusterRoles some aggregated ClusterRole selects.
    let mut used = vec![false; policy.roles.len()];
    for binding in &policy.bindings {
        if let Ok(role) = rbac.resolve(binding) {
            used[role] = true;
        }
    }
    for (i, role) in policy.roles.iter().enumerate() {
        if policy.is_live_role(i) && role.is_aggregated() {
            for &(origin, _) in policy.effective_rules(i) {
                used[origin] = true;
            }
            // Selected roles that contribute no rule (empty, or duplicates) are used too.
            for (j, other) in policy.roles.iter().enumerate() {
                let labels: Vec<(&str, &str)> = other
                    .labels
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                if j != i
                    && other.is_cluster_role()
                    && role
                        .aggregation
                        .iter()
                        .flatten()
                        .flatten()
                        .any(|s| s.matches(&labels))
                {
                    used[j] = true;
                }
            }
        }
    }
    for (i, role) in policy.roles.iter().enumerate() {
        let builtin = if role.is_cluster_role() {
            is_builtin_cluster_role(&role.name)
        } else {
            is_builtin_role(&role.namespace, &role.name)
        };
        if used[i] || builtin || !policy.is_live_role(i) || aggregates_elsewhere(&role.labels) {
            continue;
        }
        let message = format!(
            "{} is bound by no RoleBinding or ClusterRoleBinding of the input{}",
            role.describe(),
            if role.is_cluster_role() {
                " and aggregated into no ClusterRole"
            } else {
                ""
            }
        );
        sink.report(
            rbac.role_object(role),
            FieldPath::root().key("metadata").key("name"),
            message,
        );
    }
}

pub fn check_missing_roles(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    if !ctx.absence_provable(sink) {
        return;
    }
    let rbac = Rbac::new(ctx.inventory);
    if !need_bindings(&rbac, sink) {
        return;
    }
    if !rbac.has_roles() {
        sink.not_evaluated(
            "the input has no Role or ClusterRole objects, so every roleRef points outside it",
        );
        return;
    }
    for binding in &rbac.policy.bindings {
        let r = &binding.role_ref;
        match rbac.resolve(binding) {
            Ok(_) => {}
            Err(ResolveError::UnsupportedKind(kind)) => {
                let message = format!(
                    "{} has roleRef.kind {kind:?}: the API server accepts only {}",
                    describe_binding(binding),
                    if binding.is_cluster_binding() {
                        "ClusterRole in a ClusterRoleBinding"
                    } else {
                        "Role or ClusterRole"
                    }
                );
                rbac.report_binding(
                    sink,
                    binding,
                    FieldPath::root().key("roleRef").key("kind"),
                    message,
                );
            }
            Err(ResolveError::NotFound { .. }) => {
                let builtin = if r.kind == "ClusterRole" {
                    is_builtin_cluster_role(&r.name)
                } else {
                    is_builtin_role(&binding.namespace, &r.name)
                };
                if builtin {
                    continue;
                }
                let target = if r.kind == "Role" {
                    format!("Role {:?} in namespace {:?}", r.name, binding.namespace)
                } else {
                    format!("ClusterRole {:?}", r.name)
                };
                let message = format!(
                    "{} refers to {target}, which the input does not define: the binding grants nothing now, and whatever a role of that name is later given",
                    describe_binding(binding)
                );
                rbac.report_binding(sink, binding, role_ref_name(), message);
            }
        }
    }
}

pub fn check_missing_service_accounts(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    if !ctx.absence_provable(sink) {
        return;
    }
    let rbac = Rbac::new(ctx.inventory);
    if !need_bindings(&rbac, sink) {
        return;
    }
    // ServiceAccounts of the input, by namespace.
    let mut accounts: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for sa in ctx.inventory.of_kind("ServiceAccount") {
        if sa.id.api_version == "v1" {
            accounts
                .entry(sa.id.effective_namespace().unwrap_or("default"))
                .or_default()
                .insert(sa.id.name.as_str());
        }
    }
    if accounts.is_empty() {
        sink.not_evaluated("the input has no ServiceAccount objects");
        return;
    }
    for binding in &rbac.policy.bindings {
        for (s, subject) in binding.subjects.iter().enumerate() {
            if subject.kind != "ServiceAccount" || subject.name == "default" {
                continue;
            }
            let namespace = subject.service_account_namespace(&binding.namespace);
            // Only namespaces whose service accounts the input manages: it defines at
            // least one there.
            let Some(names) = accounts.get(namespace) else {
                continue;
            };
            if names.contains(subject.name.as_str()) {
                continue;
            }
            let message = format!(
                "{} grants {} {:?} to ServiceAccount \"{namespace}/{}\", which the input does not define although it defines ServiceAccounts in {namespace:?} ({}): whoever creates it gets the binding's permissions",
                describe_binding(binding),
                binding.role_ref.kind,
                binding.role_ref.name,
                subject.name,
                {
                    let mut shown: Vec<&str> = names.iter().copied().take(5).collect();
                    if names.len() > 5 {
                        shown.push("...");
                    }
                    shown.join(", ")
                }
            );
            rbac.report_binding(sink, binding, subject_path(s).key("name"), message);
        }
    }
}
