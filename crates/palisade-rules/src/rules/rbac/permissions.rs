//! RBAC001, RBAC003-RBAC010: what the rules of a Role or ClusterRole grant.
//!
//! Each finding points at the rule entry that grants the permission (the verb in
//! `rules[i].verbs` that matches, `*` included) of the role where the rule is written, and
//! lists as related locations the bindings that grant the role (directly, or through a
//! ClusterRole that aggregates it). Reporting on the role rather than on each binding gives
//! one finding per permission to fix, whoever holds it; a role nobody binds still reports,
//! since binding it later is one command away. Matching uses [`palisade_rbac::authz`], so
//! `*`, `*/subresource` and `resourceNames` mean exactly what they mean to the API server.
//! Kubernetes' own default roles and aggregated ClusterRoles (whose `rules` the controller
//! replaces) are not checked here.

use palisade_model::FieldPath;
use palisade_rbac::authz::{ALL, PolicyRule};

use super::model::{Rbac, resource_display, rule_path};
use crate::context::InventoryCtx;
use crate::sink::Sink;

/// One permission a check looks for: a verb on a resource (`resource/subresource`).
#[derive(Clone, Copy)]
pub struct Perm {
    pub verb: &'static str,
    pub group: &'static str,
    pub resource: &'static str,
}

const fn p(verb: &'static str, group: &'static str, resource: &'static str) -> Perm {
    Perm {
        verb,
        group,
        resource,
    }
}

/// How `resourceNames` counts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Names {
    /// Only a rule that allows every name counts (naming the objects is the least-privilege
    /// form: one Secret, one webhook configuration).
    Every,
    /// A rule counts whatever names it lists (impersonating one named group, exec into one
    /// named pod, or proxying to one node is already the whole risk).
    Any,
}

fn grants(rule: &PolicyRule, perm: &Perm, names: Names) -> bool {
    match names {
        Names::Every => rule.allows_any_name(perm.verb, perm.group, perm.resource),
        Names::Any => {
            let mut unnamed = rule.clone();
            unnamed.resource_names.clear();
            unnamed.allows_any_name(perm.verb, perm.group, perm.resource)
        }
    }
}

/// The index of the verb entry that grants `verb` (`*` or the verb itself).
fn verb_index(rule: &PolicyRule, verbs: &[&str]) -> usize {
    rule.verbs
        .iter()
        .position(|v| v == ALL || verbs.contains(&v.as_str()))
        .unwrap_or(0)
}

/// What one rule entry grants of `perms`: the verbs and resources, in `perms` order.
fn granted(rule: &PolicyRule, perms: &[Perm], names: Names) -> (Vec<&'static str>, Vec<String>) {
    let mut verbs = Vec::new();
    let mut resources = Vec::new();
    for perm in perms.iter().filter(|perm| grants(rule, perm, names)) {
        if !verbs.contains(&perm.verb) {
            verbs.push(perm.verb);
        }
        let r = resource_display(perm.group, perm.resource);
        if !resources.contains(&r) {
            resources.push(r);
        }
    }
    (verbs, resources)
}

/// Reports every rule entry of a checked role that grants any of `perms`; `explain` adds
/// the rule's reason to the message.
fn report_grants(
    ctx: &InventoryCtx<'_>,
    sink: &mut Sink,
    perms: &[Perm],
    names: Names,
    explain: impl Fn(&[&str], &[String]) -> String,
) {
    let rbac = Rbac::new(ctx.inventory);
    if !rbac.has_roles() {
        sink.not_evaluated("the input has no Role or ClusterRole objects");
        return;
    }
    for (i, role) in rbac.checked_roles() {
        for (r, rule) in role.rules.iter().enumerate() {
            let (verbs, resources) = granted(rule, perms, names);
            if verbs.is_empty() {
                continue;
            }
            let path = rule_path(r).key("verbs").index(verb_index(rule, &verbs));
            let message = format!(
                "{} rules[{r}] grants {} on {}{}",
                role.describe(),
                verbs.join(", "),
                resources.join(", "),
                explain(&verbs, &resources)
            );
            let finding = sink.report(rbac.role_object(role), path, message);
            rbac.relate_bindings(finding, i);
        }
    }
}

pub fn check_wildcards(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let rbac = Rbac::new(ctx.inventory);
    if !rbac.has_roles() {
        sink.not_evaluated("the input has no Role or ClusterRole objects");
        return;
    }
    for (i, role) in rbac.checked_roles() {
        let object = rbac.role_object(role);
        for (r, rule) in role.rules.iter().enumerate() {
            let mut hits: Vec<(FieldPath, String)> = Vec::new();
            let mut scan = |field: &str, values: &[String]| {
                for (j, v) in values.iter().enumerate() {
                    let meaning = match (field, v.as_str()) {
                        ("verbs", ALL) => "every verb, escalate, bind and impersonate included",
                        ("apiGroups", ALL) => "every API group",
                        ("resources", ALL) => "every resource, Secrets included",
                        ("resources", x) if x.starts_with("*/") => {
                            "this subresource of every resource"
                        }
                        ("nonResourceURLs", ALL) => "every non-resource URL",
                        _ => continue,
                    };
                    hits.push((
                        rule_path(r).key(field).index(j),
                        format!("{field} {v:?} ({meaning})"),
                    ));
                }
            };
            scan("verbs", &rule.verbs);
            scan("apiGroups", &rule.api_groups);
            scan("resources", &rule.resources);
            scan("nonResourceURLs", &rule.non_resource_urls);
            let Some((first, _)) = hits.first().cloned() else {
                continue;
            };
            let what: Vec<&str> = hits.iter().map(|(_, w)| w.as_str()).collect();
            let message = format!(
                "{} rules[{r}] uses {}: {}; a wildcard also covers whatever is added to the API later",
                role.describe(),
                if hits.len() == 1 {
                    "a wildcard"
                } else {
                    "wildcards"
                },
                what.join(", ")
            );
            let finding = sink.report(object, first, message);
            finding.with_related(
                object,
                hits.iter().skip(1).map(|(path, _)| path.clone()),
                "another wildcard of the same rule",
            );
            rbac.relate_bindings(finding, i);
        }
    }
}

const RBAC: &str = "rbac.authorization.k8s.io";
const AUTHN: &str = "authentication.k8s.io";

pub fn check_escalate_bind_impersonate(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    // escalate and bind are checked against the role being written or bound: naming the
    // roles (`resourceNames`) is upstream's way to delegate them safely.
    const ROLE_VERBS: &[Perm] = &[
        p("escalate", RBAC, "roles"),
        p("escalate", RBAC, "clusterroles"),
        p("bind", RBAC, "roles"),
        p("bind", RBAC, "clusterroles"),
    ];
    // Impersonation (k8s.io/apiserver filters/impersonation.go): users and groups in the
    // core group, serviceaccounts in the SA's namespace, uids and userextras/<key> in
    // authentication.k8s.io. Naming one group (`system:masters`) is already everything.
    const IMPERSONATE: &[Perm] = &[
        p("impersonate", "", "users"),
        p("impersonate", "", "groups"),
        p("impersonate", "", "serviceaccounts"),
        p("impersonate", AUTHN, "uids"),
    ];
    let explain = |verbs: &[&str], _: &[String]| {
        let mut why = Vec::new();
        if verbs.contains(&"escalate") {
            why.push("escalate lets the holder write roles with permissions it does not have");
        }
        if verbs.contains(&"bind") {
            why.push("bind lets it bind roles with permissions it does not have");
        }
        if verbs.contains(&"impersonate") {
            why.push("impersonate lets it act as other identities");
        }
        format!(": {}", why.join("; "))
    };
    let rbac = Rbac::new(ctx.inventory);
    if !rbac.has_roles() {
        sink.not_evaluated("the input has no Role or ClusterRole objects");
        return;
    }
    for (i, role) in rbac.checked_roles() {
        for (r, rule) in role.rules.iter().enumerate() {
            let (mut verbs, mut resources) = granted(rule, ROLE_VERBS, Names::Every);
            let (iv, ir) = granted(rule, IMPERSONATE, Names::Any);
            verbs.extend(iv);
            resources.extend(ir);
            // userextras/<key>: any extra key, so any rule entry naming userextras/... or
            // matching every subresource.
            let mut unnamed = rule.clone();
            unnamed.resource_names.clear();
            if unnamed.verb_matches("impersonate")
                && unnamed.api_group_matches(AUTHN)
                && unnamed
                    .resources
                    .iter()
                    .any(|x| x == ALL || x.starts_with("userextras/") || x.starts_with("*/"))
            {
                if !verbs.contains(&"impersonate") {
                    verbs.push("impersonate");
                }
                resources.push(resource_display(AUTHN, "userextras"));
            }
            if verbs.is_empty() {
                continue;
            }
            let path = rule_path(r).key("verbs").index(verb_index(rule, &verbs));
            let message = format!(
                "{} rules[{r}] grants {} on {}{}",
                role.describe(),
                verbs.join(", "),
                resources.join(", "),
                explain(&verbs, &resources)
            );
            let finding = sink.report(rbac.role_object(role), path, message);
            rbac.relate_bindings(finding, i);
        }
    }
}

pub fn check_secrets_read(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    const PERMS: &[Perm] = &[
        p("get", "", "secrets"),
        p("list", "", "secrets"),
        p("watch", "", "secrets"),
    ];
    report_grants(ctx, sink, PERMS, Names::Every, |verbs, _| {
        if verbs.contains(&"list") || verbs.contains(&"watch") {
            " (list and watch return every Secret's data, not just names)".to_string()
        } else {
            " for every Secret in scope".to_string()
        }
    });
}

pub fn check_pod_exec(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    // SPDY requests (POST) are authorized as `create`; WebSocket upgrades (GET) as `get`,
    // and since Kubernetes 1.35 (AuthorizePodWebsocketUpgradeCreatePermission, beta, on by
    // default) additionally as `create`. Either verb is a way in on some version.
    const PERMS: &[Perm] = &[
        p("create", "", "pods/exec"),
        p("create", "", "pods/attach"),
        p("create", "", "pods/portforward"),
        p("get", "", "pods/exec"),
        p("get", "", "pods/attach"),
        p("get", "", "pods/portforward"),
    ];
    report_grants(ctx, sink, PERMS, Names::Any, |_, _| {
        ": a shell or a tunnel into running pods, with their service account tokens and mounted Secrets".to_string()
    });
}

pub fn check_workload_create(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    const PERMS: &[Perm] = &[
        p("create", "", "pods"),
        p("create", "", "replicationcontrollers"),
        p("create", "apps", "deployments"),
        p("create", "apps", "daemonsets"),
        p("create", "apps", "statefulsets"),
        p("create", "apps", "replicasets"),
        p("create", "batch", "jobs"),
        p("create", "batch", "cronjobs"),
    ];
    report_grants(ctx, sink, PERMS, Names::Every, |_, _| {
        ": whoever can create pods can run them as any service account of the namespace and mount its Secrets".to_string()
    });
}

pub fn check_nodes_proxy(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    // The kubelet maps HTTP methods to verbs (GET get, POST create, PUT update, PATCH
    // patch, DELETE delete) on nodes/proxy for its whole API.
    const PERMS: &[Perm] = &[
        p("get", "", "nodes/proxy"),
        p("create", "", "nodes/proxy"),
        p("update", "", "nodes/proxy"),
        p("patch", "", "nodes/proxy"),
        p("delete", "", "nodes/proxy"),
    ];
    report_grants(ctx, sink, PERMS, Names::Any, |_, _| {
        ": direct access to the kubelet API, which runs commands in any pod of the node without the API server's audit or admission".to_string()
    });
}

pub fn check_token_create(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    const PERMS: &[Perm] = &[p("create", "", "serviceaccounts/token")];
    report_grants(ctx, sink, PERMS, Names::Every, |_, _| {
        ": the holder can mint tokens for every service account in scope and act as any of them"
            .to_string()
    });
}

pub fn check_webhook_edit(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    const ADM: &str = "admissionregistration.k8s.io";
    const PERMS: &[Perm] = &[
        p("create", ADM, "validatingwebhookconfigurations"),
        p("create", ADM, "mutatingwebhookconfigurations"),
        p("create", ADM, "validatingadmissionpolicies"),
        p("create", ADM, "validatingadmissionpolicybindings"),
        p("create", ADM, "mutatingadmissionpolicies"),
        p("create", ADM, "mutatingadmissionpolicybindings"),
        p("update", ADM, "validatingwebhookconfigurations"),
        p("update", ADM, "mutatingwebhookconfigurations"),
        p("update", ADM, "validatingadmissionpolicies"),
        p("update", ADM, "validatingadmissionpolicybindings"),
        p("update", ADM, "mutatingadmissionpolicies"),
        p("update", ADM, "mutatingadmissionpolicybindings"),
        p("patch", ADM, "validatingwebhookconfigurations"),
        p("patch", ADM, "mutatingwebhookconfigurations"),
        p("patch", ADM, "validatingadmissionpolicies"),
        p("patch", ADM, "validatingadmissionpolicybindings"),
        p("patch", ADM, "mutatingadmissionpolicies"),
        p("patch", ADM, "mutatingadmissionpolicybindings"),
        p("delete", ADM, "validatingwebhookconfigurations"),
        p("delete", ADM, "mutatingwebhookconfigurations"),
        p("delete", ADM, "validatingadmissionpolicies"),
        p("delete", ADM, "validatingadmissionpolicybindings"),
        p("delete", ADM, "mutatingadmissionpolicies"),
        p("delete", ADM, "mutatingadmissionpolicybindings"),
        p("deletecollection", ADM, "validatingwebhookconfigurations"),
        p("deletecollection", ADM, "mutatingwebhookconfigurations"),
        p("deletecollection", ADM, "validatingadmissionpolicies"),
        p("deletecollection", ADM, "validatingadmissionpolicybindings"),
        p("deletecollection", ADM, "mutatingadmissionpolicies"),
        p("deletecollection", ADM, "mutatingadmissionpolicybindings"),
    ];
    report_grants(ctx, sink, PERMS, Names::Every, |_, _| {
        ": the holder can switch off admission control or intercept and rewrite every object sent to the API".to_string()
    });
}

/// The signers the API server itself signs for: approving a CSR for one of them yields a
/// certificate the cluster trusts (`kube-apiserver-client` for any user, `system:masters`
/// included). Approval is checked for the signer name and for `<domain>/*`.
const BUILTIN_SIGNERS: &[&str] = &[
    "kubernetes.io/kube-apiserver-client",
    "kubernetes.io/kube-apiserver-client-kubelet",
    "kubernetes.io/kubelet-serving",
    "kubernetes.io/legacy-unknown",
    "kubernetes.io/*",
];

/// The group of CertificateSigningRequests and signers.
const CERTIFICATES: &str = "certificates.k8s.io";

/// One half of approving a CSR: update on `certificatesigningrequests/approval`.
fn updates_csr_approval(rule: &PolicyRule) -> bool {
    grants(
        rule,
        &p(
            "update",
            CERTIFICATES,
            "certificatesigningrequests/approval",
        ),
        Names::Any,
    )
}

/// The other half: the built-in signers the rule allows approve on.
fn approvable_signers(rule: &PolicyRule) -> Vec<&'static str> {
    use palisade_rbac::authz::Request;
    BUILTIN_SIGNERS
        .iter()
        .copied()
        .filter(|s| rule.allows(&Request::resource("approve", CERTIFICATES, "signers").name(s)))
        .collect()
}

pub fn check_csr_approval(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let rbac = Rbac::new(ctx.inventory);
    if !rbac.has_roles() {
        sink.not_evaluated("the input has no Role or ClusterRole objects");
        return;
    }
    for (i, role) in rbac.checked_roles() {
        // Approving takes both (upstream certificates/approval admission and the
        // registry's approval strategy): update on certificatesigningrequests/approval,
        // and approve on the signer.
        let Some(approval) = role.rules.iter().position(updates_csr_approval) else {
            continue;
        };
        for (r, rule) in role.rules.iter().enumerate() {
            let signers = approvable_signers(rule);
            if signers.is_empty() {
                continue;
            }
            let path = rule_path(r)
                .key("verbs")
                .index(verb_index(rule, &["approve"]));
            let message = format!(
                "{} can approve certificate signing requests: rules[{r}] grants approve on signers ({}) and rules[{approval}] grants update on certificatesigningrequests/approval; an approved kube-apiserver-client CSR is a client certificate for any user or group, system:masters included",
                role.describe(),
                signers.join(", ")
            );
            let object = rbac.role_object(role);
            let finding = sink.report(object, path, message);
            let approval_rule = &role.rules[approval];
            finding.with_related(
                object,
                [rule_path(approval)
                    .key("verbs")
                    .index(verb_index(approval_rule, &["update"]))],
                "update on certificatesigningrequests/approval",
            );
            rbac.relate_bindings(finding, i);
        }
    }
    report_combined_csr_approval(&rbac, sink);
}

/// Who can approve CSRs for a built-in signer only through two roles together: one grants
/// update on `certificatesigningrequests/approval`, another approve on the signer. CSRs are
/// cluster-scoped, so only ClusterRoleBindings count (upstream `VisitRulesFor` consults
/// RoleBindings only for namespaced requests). A subject one of whose roles grants both as
/// written is left to the per-role finding above; an aggregated ClusterRole that combines
/// the halves of two roles is reported here.
fn report_combined_csr_approval(rbac: &Rbac<'_>, sink: &mut Sink) {
    use palisade_rbac::authz::{Binding, UserInfo};
    let policy = &rbac.policy;
    let mut seen: Vec<String> = Vec::new();
    for binding in policy.bindings.iter().filter(|b| b.is_cluster_binding()) {
        for subject in &binding.subjects {
            let who = subject.describe(&binding.namespace);
            if seen.contains(&who) {
                continue;
            }
            seen.push(who.clone());
            let user = match subject.kind.as_str() {
                "ServiceAccount" => UserInfo::service_account(
                    subject.service_account_namespace(&binding.namespace),
                    &subject.name,
                ),
                "Group" => UserInfo::new("", &[subject.name.as_str()]),
                _ => UserInfo::new(&subject.name, &[]),
            };
            // Per role bound to the subject: the first binding granting it, whether it grants
            // each half.
            let mut by_role: Vec<(usize, &Binding, bool, Vec<&'static str>)> = Vec::new();
            policy.visit_rules_for(
                &user,
                "",
                |b, _, rule| {
                    let Ok(role) = policy.resolve(&b.role_ref, &b.namespace) else {
                        return true;
                    };
                    let entry = match by_role.iter().position(|(r, ..)| *r == role) {
                        Some(i) => i,
                        None => {
                            by_role.push((role, b, false, Vec::new()));
                            by_role.len() - 1
                        }
                    };
                    let (_, _, update, signers) = &mut by_role[entry];
                    *update |= updates_csr_approval(rule);
                    for signer in approvable_signers(rule) {
                        if !signers.contains(&signer) {
                            signers.push(signer);
                        }
                    }
                    true
                },
                |_, _| {},
            );
            // The per-role finding covers the subject when one role, as written, grants both.
            // An aggregated ClusterRole's halves can come from two roles, which the per-role
            // check sees apart, so its aggregated rules are judged by where they came from.
            let one_role_grants_both = by_role.iter().any(|&(role, ..)| {
                policy.effective_rules(role).iter().any(|&(origin, _)| {
                    let rules = &policy.roles[origin].rules;
                    rules.iter().any(updates_csr_approval)
                        && rules.iter().any(|r| !approvable_signers(r).is_empty())
                })
            });
            if one_role_grants_both {
                continue;
            }
            let (Some(update), Some(approve)) = (
                by_role.iter().find(|(_, _, u, _)| *u),
                by_role.iter().find(|(_, _, _, s)| !s.is_empty()),
            ) else {
                continue;
            };
            let (_, approve_binding, _, signers) = approve;
            let update_binding = update.1;
            const RISK: &str = "an approved kube-apiserver-client CSR is a client certificate for any user or group, system:masters included";
            let one_binding = std::ptr::eq(*approve_binding, update_binding);
            let message = if one_binding {
                format!(
                    "{who} can approve certificate signing requests through {}: the aggregated role gathers approve on signers ({}) and update on certificatesigningrequests/approval from different roles; {RISK}",
                    approve_binding.describe(subject),
                    signers.join(", "),
                )
            } else {
                format!(
                    "{who} can approve certificate signing requests by combining two roles: {} grants approve on signers ({}) and {} grants update on certificatesigningrequests/approval; {RISK}",
                    approve_binding.describe(subject),
                    signers.join(", "),
                    update_binding.describe(subject),
                )
            };
            let finding = rbac.report_binding(
                sink,
                approve_binding,
                FieldPath::root().key("roleRef"),
                message,
            );
            if !one_binding {
                finding.with_related(
                    rbac.binding_object(update_binding),
                    [FieldPath::root().key("roleRef")],
                    "update on certificatesigningrequests/approval",
                );
            }
        }
    }
}
