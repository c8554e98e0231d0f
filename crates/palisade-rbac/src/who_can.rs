//! Who can make a request: every subject that some binding grants it to, with the binding
//! and the role, found with [`Policy::who_can`] (the bindings the authorizer consults for
//! the request's namespace), optionally in every namespace that has RoleBindings. Subjects
//! that can match nobody are counted, not listed.

use std::collections::BTreeSet;

use crate::authz::{Binding, Policy, Request, RoleRef, Subject, Target};

/// One subject a binding grants the request to.
#[derive(Clone, Copy, Debug)]
pub struct Grant<'p> {
    pub binding: &'p Binding,
    pub subject: &'p Subject,
}

impl<'p> Grant<'p> {
    /// The role the binding refers to (a `Role` in the binding's namespace, or a
    /// `ClusterRole`).
    pub fn role(&self) -> &'p RoleRef {
        &self.binding.role_ref
    }

    /// The subject's name; a ServiceAccount's as `namespace/name`, its namespace
    /// defaulting to the binding's.
    pub fn subject_name(&self) -> String {
        match self.subject.kind.as_str() {
            "ServiceAccount" => format!(
                "{}/{}",
                self.subject
                    .service_account_namespace(&self.binding.namespace),
                self.subject.name
            ),
            _ => self.subject.name.clone(),
        }
    }

    /// `ClusterRoleBinding NAME` or `RoleBinding NAMESPACE/NAME`.
    pub fn binding_name(&self) -> String {
        if self.binding.is_cluster_binding() {
            format!("ClusterRoleBinding {}", self.binding.name)
        } else {
            format!(
                "RoleBinding {}/{}",
                self.binding.namespace, self.binding.name
            )
        }
    }

    /// `Role NAMESPACE/NAME` or `ClusterRole NAME` (a reference of another kind as written).
    pub fn role_name(&self) -> String {
        let r = self.role();
        if r.kind == "Role" {
            format!("Role {}/{}", self.binding.namespace, r.name)
        } else {
            format!("{} {}", r.kind, r.name)
        }
    }

    /// Users, then groups, then service accounts, by name; then ClusterRoleBindings before
    /// RoleBindings, by namespace and name.
    fn sort_key(&self) -> (u8, String, bool, String, String) {
        let kind = match self.subject.kind.as_str() {
            "User" => 0,
            "Group" => 1,
            _ => 2,
        };
        (
            kind,
            self.subject_name(),
            !self.binding.is_cluster_binding(),
            self.binding.namespace.clone(),
            self.binding.name.clone(),
        )
    }
}

/// The answer to who can make a request.
#[derive(Clone, Debug)]
pub struct WhoCan<'p> {
    /// Every (binding, subject) that grants it, in [`Grant`]'s order (users, groups,
    /// service accounts), each once.
    pub grants: Vec<Grant<'p>>,
    /// Subjects of granting bindings that match nobody: ServiceAccounts without a
    /// namespace in ClusterRoleBindings, kinds other than User, Group and ServiceAccount.
    pub ignored: usize,
}

impl WhoCan<'_> {
    /// How many different subjects the grants name (a subject granted by two bindings
    /// counts once; kind and name decide, a ServiceAccount's namespace included).
    pub fn subject_count(&self) -> usize {
        let subjects: BTreeSet<(&str, String)> = self
            .grants
            .iter()
            .map(|g| (g.subject.kind.as_str(), g.subject_name()))
            .collect();
        subjects.len()
    }

    /// How many different bindings the grants come from.
    pub fn binding_count(&self) -> usize {
        let bindings: BTreeSet<*const Binding> = self
            .grants
            .iter()
            .map(|g| g.binding as *const Binding)
            .collect();
        bindings.len()
    }
}

/// Whether a subject can match anyone: a known kind, and a ServiceAccount with a namespace
/// (a ClusterRoleBinding's ServiceAccount subject without one matches nobody).
fn can_apply(subject: &Subject, binding: &Binding) -> bool {
    match subject.kind.as_str() {
        "User" | "Group" => true,
        "ServiceAccount" => !subject
            .service_account_namespace(&binding.namespace)
            .is_empty(),
        _ => false,
    }
}

/// Who `policy` allows `request` (members of `system:masters` aside, whom the API server
/// allows everything before authorization). With `all_namespaces`, a resource request is
/// also asked in every namespace that has RoleBindings, and their RoleBindings' grants are
/// added: who can make it in at least one namespace.
pub fn who_can<'p>(policy: &'p Policy, request: &Request, all_namespaces: bool) -> WhoCan<'p> {
    let mut ignored = 0;
    let mut grants: Vec<Grant> = Vec::new();
    let mut all: Vec<(&Binding, usize)> = policy.who_can(request);
    if all_namespaces && let Target::Resource { .. } = request.target {
        let namespaces: BTreeSet<&str> = policy
            .bindings
            .iter()
            .filter(|b| !b.is_cluster_binding())
            .map(|b| b.namespace.as_str())
            .collect();
        for ns in namespaces {
            let in_ns = request.clone().namespace(ns);
            all.extend(
                policy
                    .who_can(&in_ns)
                    .into_iter()
                    .filter(|(b, _)| !b.is_cluster_binding()),
            );
        }
    }
    for (binding, s) in all {
        let subject = &binding.subjects[s];
        if can_apply(subject, binding) {
            grants.push(Grant { binding, subject });
        } else {
            ignored += 1;
        }
    }
    grants.sort_by_key(Grant::sort_key);
    grants.dedup_by(|a, b| std::ptr::eq(a.binding, b.binding) && a.subject == b.subject);
    WhoCan { grants, ignored }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::Role;
    use crate::authz::tests::{binding, cluster_role, rule, subject};

    fn rows(answer: &WhoCan<'_>) -> Vec<String> {
        answer
            .grants
            .iter()
            .map(|g| {
                format!(
                    "{} {} via {} of {}",
                    g.subject.kind,
                    g.subject_name(),
                    g.binding_name(),
                    g.role_name()
                )
            })
            .collect()
    }

    #[test]
    fn grants_are_ordered_listed_once_and_unmatchable_subjects_counted() {
        let policy = Policy::new(
            vec![
                cluster_role("pod-reader", vec![rule(&["get"], &[""], &["pods"])]),
                Role {
                    namespace: "shop".into(),
                    ..cluster_role("shop-reader", vec![rule(&["get"], &[""], &["pods"])])
                },
            ],
            vec![
                binding(
                    "",
                    "ClusterRole",
                    "pod-reader",
                    vec![
                        subject("ServiceAccount", "web", "shop"),
                        subject("Group", "devs", ""),
                        subject("User", "zoe", ""),
                        subject("User", "zoe", ""),
                        // No namespace in a ClusterRoleBinding, unknown kind: nobody.
                        subject("ServiceAccount", "builder", ""),
                        subject("Robot", "r2", ""),
                    ],
                ),
                binding(
                    "shop",
                    "ClusterRole",
                    "pod-reader",
                    vec![subject("User", "amy", "")],
                ),
                // zoe again: a second grant, the same subject.
                binding(
                    "shop",
                    "Role",
                    "shop-reader",
                    vec![subject("User", "zoe", "")],
                ),
                binding(
                    "shop",
                    "ClusterRole",
                    "missing",
                    vec![subject("User", "bob", "")],
                ),
            ],
        );
        let get = Request::resource("get", "", "pods");
        let cluster_wide = who_can(&policy, &get, false);
        assert_eq!(
            rows(&cluster_wide),
            [
                "User zoe via ClusterRoleBinding pod-reader-binding of ClusterRole pod-reader",
                "Group devs via ClusterRoleBinding pod-reader-binding of ClusterRole pod-reader",
                "ServiceAccount shop/web via ClusterRoleBinding pod-reader-binding of ClusterRole pod-reader",
            ]
        );
        assert_eq!(cluster_wide.ignored, 2);
        assert_eq!(
            (cluster_wide.subject_count(), cluster_wide.binding_count()),
            (3, 1)
        );
        // In shop, and in any namespace: the RoleBinding grants too; the binding of a
        // missing role grants nothing.
        let in_shop = who_can(&policy, &get.clone().namespace("shop"), false);
        let anywhere = who_can(&policy, &get, true);
        for answer in [&in_shop, &anywhere] {
            assert_eq!(
                rows(answer)[..3],
                [
                    "User amy via RoleBinding shop/pod-reader-binding of ClusterRole pod-reader",
                    "User zoe via ClusterRoleBinding pod-reader-binding of ClusterRole pod-reader",
                    "User zoe via RoleBinding shop/shop-reader-binding of Role shop/shop-reader",
                ]
            );
            assert_eq!(answer.grants.len(), 5);
            assert_eq!((answer.subject_count(), answer.binding_count()), (4, 3));
        }
        let nobody = who_can(&policy, &Request::resource("delete", "", "pods"), true);
        assert!(nobody.grants.is_empty() && nobody.ignored == 0);
    }
}
