//! The RBAC objects of an inventory as a [`Policy`], with the way back to the
//! objects and fields the rules report on, and the conventions the rules share (built-in
//! roles, system subjects).

use palisade_model::{FieldPath, Inventory, Object};
use palisade_rbac::authz::{Binding, Policy, ResolveError, Role, Subject};

use crate::finding::Finding;
use crate::sink::Sink;

/// The Roles, ClusterRoles and bindings of an inventory.
pub struct Rbac<'a> {
    pub policy: Policy,
    objects: &'a [Object],
    /// Per role: the bindings that grant its rules, directly or through a ClusterRole that
    /// aggregates it.
    granted_by: Vec<Vec<usize>>,
}

impl<'a> Rbac<'a> {
    pub fn new(inventory: &'a Inventory) -> Rbac<'a> {
        let objects = inventory.objects();
        let policy = Policy::from_inventory(inventory);
        let mut granted_by = vec![Vec::new(); policy.roles.len()];
        for (b, binding) in policy.bindings.iter().enumerate() {
            if let Ok(role) = policy.resolve(&binding.role_ref, &binding.namespace) {
                granted_by[role].push(b);
                for &(origin, _) in policy.effective_rules(role) {
                    if origin != role && granted_by[origin].last() != Some(&b) {
                        granted_by[origin].push(b);
                    }
                }
            }
        }
        Rbac {
            policy,
            objects,
            granted_by,
        }
    }

    pub fn has_roles(&self) -> bool {
        !self.policy.roles.is_empty()
    }

    pub fn has_bindings(&self) -> bool {
        !self.policy.bindings.is_empty()
    }

    pub fn role_object(&self, role: &Role) -> &'a Object {
        &self.objects[role.source]
    }

    pub fn binding_object(&self, binding: &Binding) -> &'a Object {
        &self.objects[binding.source]
    }

    /// The bindings that grant role `i`'s rules.
    pub fn granted_by(&self, i: usize) -> impl Iterator<Item = &Binding> {
        self.granted_by[i].iter().map(|&b| &self.policy.bindings[b])
    }

    /// Roles whose own `rules` the rules check: the live ones, except Kubernetes' own
    /// defaults and aggregated ClusterRoles (the controller replaces their rules with those
    /// of the roles they select, which are checked where they are written).
    pub fn checked_roles(&self) -> impl Iterator<Item = (usize, &Role)> {
        self.policy.roles.iter().enumerate().filter(|(i, r)| {
            self.policy.is_live_role(*i) && !r.is_aggregated() && !is_bootstrap_default(r)
        })
    }

    /// Adds, as related locations, the bindings that grant role `i` (their subjects).
    pub fn relate_bindings(&self, finding: &mut Finding, i: usize) {
        let role = &self.policy.roles[i];
        for binding in self.granted_by(i) {
            let subjects: Vec<String> = binding
                .subjects
                .iter()
                .map(|s| s.describe(&binding.namespace))
                .collect();
            let via = if binding.role_ref.name == role.name
                && (binding.role_ref.kind == "ClusterRole") == role.is_cluster_role()
            {
                String::new()
            } else {
                format!(
                    " through aggregated ClusterRole {:?}",
                    binding.role_ref.name
                )
            };
            let scope = if binding.is_cluster_binding() {
                "cluster-wide".to_string()
            } else {
                format!("in namespace {:?}", binding.namespace)
            };
            let object = self.binding_object(binding);
            finding.with_related(
                object,
                [FieldPath::root().key("subjects")],
                format!(
                    "granted {scope}{via} by {} {:?} to {}",
                    object.kind(),
                    binding.name,
                    if subjects.is_empty() {
                        "no subjects".to_string()
                    } else {
                        subjects.join(", ")
                    }
                ),
            );
        }
    }

    /// Reports on a binding at `path`.
    pub fn report_binding<'s>(
        &self,
        sink: &'s mut Sink,
        binding: &Binding,
        path: FieldPath,
        message: String,
    ) -> &'s mut Finding {
        sink.report(self.binding_object(binding), path, message)
    }

    /// The role a binding grants, resolved as the authorizer does.
    pub fn resolve(&self, binding: &Binding) -> Result<usize, ResolveError> {
        self.policy.resolve(&binding.role_ref, &binding.namespace)
    }
}

/// `rules[i]`.
pub fn rule_path(i: usize) -> FieldPath {
    FieldPath::root().key("rules").index(i)
}

/// `subjects[i]`.
pub fn subject_path(i: usize) -> FieldPath {
    FieldPath::root().key("subjects").index(i)
}

/// ClusterRoles every cluster has (the API server creates them); a binding may refer to
/// them without the input defining them.
pub fn is_builtin_cluster_role(name: &str) -> bool {
    matches!(name, "cluster-admin" | "admin" | "edit" | "view") || name.starts_with("system:")
}

/// Roles the API server creates in kube-system and kube-public (`system:` ones, and
/// `extension-apiserver-authentication-reader`, which aggregated API servers bind to).
pub fn is_builtin_role(namespace: &str, name: &str) -> bool {
    name.starts_with("system:")
        || (namespace == "kube-system" && name == "extension-apiserver-authentication-reader")
}

/// Kubernetes' own default roles as a cluster dump contains them: a built-in name and the
/// `kubernetes.io/bootstrapping: rbac-defaults` label the API server puts on them.
pub fn is_bootstrap_default(role: &Role) -> bool {
    let builtin = if role.is_cluster_role() {
        is_builtin_cluster_role(&role.name)
    } else {
        is_builtin_role(&role.namespace, &role.name)
    };
    builtin
        && role
            .labels
            .iter()
            .any(|(k, v)| k == "kubernetes.io/bootstrapping" && v == "rbac-defaults")
}

/// Subjects that are Kubernetes components, not people or workloads: the `system:masters`
/// group (which bypasses authorization anyway) and `system:` users other than
/// `system:anonymous` and service-account usernames.
pub fn is_system_component(subject: &Subject) -> bool {
    match subject.kind.as_str() {
        "Group" => subject.name == palisade_rbac::authz::MASTERS,
        "User" => {
            subject.name.starts_with("system:")
                && subject.name != palisade_rbac::authz::ANONYMOUS
                && !subject.name.starts_with("system:serviceaccount:")
        }
        _ => false,
    }
}

/// `deployments.apps`, `secrets`, `pods/exec` (kubectl's resource.group form).
pub fn resource_display(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}
