//! Exact RBAC evaluation: what the API server's RBAC authorizer would decide, from the Roles,
//! ClusterRoles, RoleBindings and ClusterRoleBindings of the input.
//!
//! Transcribed from upstream (k8s.io/kubernetes):
//! - `pkg/apis/rbac/v1/evaluation_helpers.go`: `VerbMatches`, `APIGroupMatches`,
//!   `ResourceMatches` (the combined `resource/subresource` form and `*/subresource`),
//!   `ResourceNameMatches`, `NonResourceURLMatches` (a trailing `*` is a prefix match);
//! - `plugin/pkg/auth/authorizer/rbac/rbac.go`: `RuleAllows` (resource requests match
//!   verbs, groups, resources and names; non-resource requests match verbs and URLs);
//! - `pkg/registry/rbac/validation/rule.go`: `VisitRulesFor` (every ClusterRoleBinding,
//!   then the RoleBindings of the request's namespace when it has one),
//!   `GetRoleReferenceRules` (a `Role` reference resolves in the binding's namespace, a
//!   `ClusterRole` reference cluster-wide, any other kind is an error) and `appliesToUser`
//!   (User by name, Group by membership, ServiceAccount by the username
//!   `system:serviceaccount:<ns>:<name>`, its namespace defaulting to the binding's);
//! - `pkg/controller/clusterroleaggregation`: a ClusterRole with an `aggregationRule` has as
//!   rules the union (first occurrence kept, by deep equality) of the rules of every *other*
//!   ClusterRole that one of its selectors matches, selectors in order, matches sorted by
//!   name; the role's own `rules` are replaced. A selector that does not parse makes the
//!   controller fail for that role, which then keeps the rules it has.
//!
//! Not RBAC but part of what a SubjectAccessReview answers: the API server allows every
//! request of a member of `system:masters` before any authorizer runs
//! ([`Policy::authorize_apiserver`]). Other authorizers (Node, webhooks) are out of scope.

use std::collections::HashMap;

use palisade_model::{Inventory, LabelSelector, Node, Object};

/// `*` in verbs, apiGroups, resources and nonResourceURLs.
pub const ALL: &str = "*";
/// The group every authenticated identity belongs to.
pub const AUTHENTICATED: &str = "system:authenticated";
/// The group of unauthenticated requests.
pub const UNAUTHENTICATED: &str = "system:unauthenticated";
/// The user name of unauthenticated requests.
pub const ANONYMOUS: &str = "system:anonymous";
/// The group whose members bypass authorization entirely.
pub const MASTERS: &str = "system:masters";
/// The group of every service account.
pub const SERVICE_ACCOUNTS: &str = "system:serviceaccounts";

/// One entry of a role's `rules`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyRule {
    pub verbs: Vec<String>,
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub resource_names: Vec<String>,
    pub non_resource_urls: Vec<String>,
}

fn strings(node: Option<Node<'_>>) -> Vec<String> {
    node.map(|n| {
        n.items()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect()
    })
    .unwrap_or_default()
}

impl PolicyRule {
    /// Reads a `rules[]` entry. Absent and null lists are empty (Go's nil slice); a
    /// non-map entry reads as a rule that grants nothing.
    pub fn from_node(node: Node<'_>) -> PolicyRule {
        PolicyRule {
            verbs: strings(node.get("verbs")),
            api_groups: strings(node.get("apiGroups")),
            resources: strings(node.get("resources")),
            resource_names: strings(node.get("resourceNames")),
            non_resource_urls: strings(node.get("nonResourceURLs")),
        }
    }

    /// A rule from string lists (tests, built-in definitions).
    pub fn new(verbs: &[&str], groups: &[&str], resources: &[&str]) -> PolicyRule {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect();
        PolicyRule {
            verbs: v(verbs),
            api_groups: v(groups),
            resources: v(resources),
            ..PolicyRule::default()
        }
    }

    /// Upstream `VerbMatches`.
    pub fn verb_matches(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == ALL || v == verb)
    }

    /// Upstream `APIGroupMatches`.
    pub fn api_group_matches(&self, group: &str) -> bool {
        self.api_groups.iter().any(|g| g == ALL || g == group)
    }

    /// Upstream `ResourceMatches`: `combined` is `resource` or `resource/subresource`.
    pub fn resource_matches(&self, combined: &str, subresource: &str) -> bool {
        self.resources.iter().any(|r| {
            r == ALL
                || r == combined
                || (!subresource.is_empty()
                    && r.len() == subresource.len() + 2
                    && r.starts_with("*/")
                    && r.ends_with(subresource))
        })
    }

    /// Upstream `ResourceNameMatches`: no names means every name.
    pub fn resource_name_matches(&self, name: &str) -> bool {
        self.resource_names.is_empty() || self.resource_names.iter().any(|n| n == name)
    }

    /// Upstream `NonResourceURLMatches`: `*`, exact, or a prefix ending in `*` (every
    /// trailing `*` trimmed, as `strings.TrimRight` does).
    pub fn non_resource_url_matches(&self, path: &str) -> bool {
        self.non_resource_urls.iter().any(|u| {
            u == ALL || u == path || (u.ends_with('*') && path.starts_with(u.trim_end_matches('*')))
        })
    }

    /// Upstream `RuleAllows`.
    pub fn allows(&self, request: &Request) -> bool {
        if !self.verb_matches(&request.verb) {
            return false;
        }
        match &request.target {
            Target::Resource {
                group,
                resource,
                subresource,
                name,
                ..
            } => {
                let combined = if subresource.is_empty() {
                    resource.clone()
                } else {
                    format!("{resource}/{subresource}")
                };
                self.api_group_matches(group)
                    && self.resource_matches(&combined, subresource)
                    && self.resource_name_matches(name)
            }
            Target::NonResource { path } => self.non_resource_url_matches(path),
        }
    }

    /// Whether the rule allows `verb` on `group`/`resource[/subresource]` for every object
    /// name (it has no `resourceNames`).
    pub fn allows_any_name(&self, verb: &str, group: &str, resource: &str) -> bool {
        let (resource, subresource) = resource.split_once('/').unwrap_or((resource, ""));
        self.resource_names.is_empty()
            && self.allows(&Request::resource(verb, group, resource).subresource(subresource))
    }

    /// Whether this one rule grants every verb on every resource of every group (what
    /// `cluster-admin` grants on resources).
    pub fn is_full_wildcard(&self) -> bool {
        self.resource_names.is_empty()
            && self.verbs.iter().any(|v| v == ALL)
            && self.api_groups.iter().any(|g| g == ALL)
            && self.resources.iter().any(|r| r == ALL)
    }
}

/// What a request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Resource {
        group: String,
        resource: String,
        subresource: String,
        /// Empty for collections (list, create without a name).
        name: String,
        /// Empty for cluster-wide requests.
        namespace: String,
    },
    NonResource {
        path: String,
    },
}

/// The attributes of one request, as the authorizer sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub verb: String,
    pub target: Target,
}

impl Request {
    /// A cluster-wide request on a resource; add a namespace, subresource or name.
    pub fn resource(verb: &str, group: &str, resource: &str) -> Request {
        Request {
            verb: verb.to_string(),
            target: Target::Resource {
                group: group.to_string(),
                resource: resource.to_string(),
                subresource: String::new(),
                name: String::new(),
                namespace: String::new(),
            },
        }
    }

    /// A request on a non-resource URL (`/healthz`, `/metrics`).
    pub fn non_resource(verb: &str, path: &str) -> Request {
        Request {
            verb: verb.to_string(),
            target: Target::NonResource {
                path: path.to_string(),
            },
        }
    }

    fn with(mut self, f: impl FnOnce(&mut String, &mut String, &mut String)) -> Request {
        if let Target::Resource {
            subresource,
            name,
            namespace,
            ..
        } = &mut self.target
        {
            f(subresource, name, namespace);
        }
        self
    }

    #[must_use]
    pub fn subresource(self, value: &str) -> Request {
        self.with(|s, _, _| *s = value.to_string())
    }

    #[must_use]
    pub fn name(self, value: &str) -> Request {
        self.with(|_, n, _| *n = value.to_string())
    }

    #[must_use]
    pub fn namespace(self, value: &str) -> Request {
        self.with(|_, _, ns| *ns = value.to_string())
    }

    /// The request's namespace (empty when cluster-wide or non-resource).
    pub fn request_namespace(&self) -> &str {
        match &self.target {
            Target::Resource { namespace, .. } => namespace,
            Target::NonResource { .. } => "",
        }
    }
}

/// Who is asking: a user name and groups, exactly as authentication produced them (a
/// SubjectAccessReview takes them as given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub groups: Vec<String>,
}

impl UserInfo {
    pub fn new(name: &str, groups: &[&str]) -> UserInfo {
        UserInfo {
            name: name.to_string(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    /// An authenticated user: `groups` plus `system:authenticated`, as the API server's
    /// authentication adds it.
    pub fn authenticated(name: &str, groups: &[&str]) -> UserInfo {
        let mut user = UserInfo::new(name, groups);
        if !user.groups.iter().any(|g| g == AUTHENTICATED) {
            user.groups.push(AUTHENTICATED.to_string());
        }
        user
    }

    /// A service account's token: `system:serviceaccount:<ns>:<name>` in
    /// `system:serviceaccounts`, `system:serviceaccounts:<ns>` and `system:authenticated`.
    pub fn service_account(namespace: &str, name: &str) -> UserInfo {
        UserInfo {
            name: service_account_username(namespace, name),
            groups: vec![
                SERVICE_ACCOUNTS.to_string(),
                format!("{SERVICE_ACCOUNTS}:{namespace}"),
                AUTHENTICATED.to_string(),
            ],
        }
    }

    /// An unauthenticated request (anonymous auth enabled).
    pub fn anonymous() -> UserInfo {
        UserInfo::new(ANONYMOUS, &[UNAUTHENTICATED])
    }
}

/// `system:serviceaccount:<ns>:<name>`.
pub fn service_account_username(namespace: &str, name: &str) -> String {
    format!("system:serviceaccount:{namespace}:{name}")
}

/// One subject of a binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// `User`, `Group` or `ServiceAccount` (anything else never applies).
    pub kind: String,
    pub name: String,
    /// Empty when the manifest names none.
    pub namespace: String,
}

impl Subject {
    pub fn from_node(node: Node<'_>) -> Subject {
        let s = |k| node.str_at(k).unwrap_or_default().to_string();
        Subject {
            kind: s("kind"),
            name: s("name"),
            namespace: s("namespace"),
        }
    }

    /// Upstream `appliesToUser`; `binding_namespace` is empty for ClusterRoleBindings.
    pub fn applies_to(&self, user: &UserInfo, binding_namespace: &str) -> bool {
        match self.kind.as_str() {
            "User" => user.name == self.name,
            "Group" => user.groups.contains(&self.name),
            "ServiceAccount" => {
                let namespace = self.service_account_namespace(binding_namespace);
                !namespace.is_empty()
                    && user.name == service_account_username(namespace, &self.name)
            }
            _ => false,
        }
    }

    /// The namespace of a ServiceAccount subject: its own, else the binding's.
    pub fn service_account_namespace<'a>(&'a self, binding_namespace: &'a str) -> &'a str {
        if self.namespace.is_empty() {
            binding_namespace
        } else {
            &self.namespace
        }
    }

    /// `User "alice"`, `ServiceAccount "ns/name"`, for findings (upstream's reason text
    /// writes `name/ns`: [`Binding::describe`] does, this reads the usual way round).
    pub fn describe(&self, binding_namespace: &str) -> String {
        match self.kind.as_str() {
            "ServiceAccount" => format!(
                "ServiceAccount \"{}/{}\"",
                self.service_account_namespace(binding_namespace),
                self.name
            ),
            kind => format!("{kind} {:?}", self.name),
        }
    }
}

/// A binding's `roleRef`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleRef {
    pub api_group: String,
    pub kind: String,
    pub name: String,
}

impl RoleRef {
    pub fn from_node(node: Option<Node<'_>>) -> RoleRef {
        let s = |k| {
            node.and_then(|n| n.str_at(k))
                .unwrap_or_default()
                .to_string()
        };
        RoleRef {
            api_group: s("apiGroup"),
            kind: s("kind"),
            name: s("name"),
        }
    }
}

/// A Role (`namespace` set) or ClusterRole (`namespace` empty).
#[derive(Clone, Debug, Default)]
pub struct Role {
    pub namespace: String,
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub rules: Vec<PolicyRule>,
    /// ClusterRoles only: the `aggregationRule.clusterRoleSelectors`, each parsed or the
    /// conversion error.
    pub aggregation: Option<Vec<Result<LabelSelector, String>>>,
    /// The caller's handle on where the role came from (an index into its objects).
    pub source: usize,
}

impl Role {
    pub fn is_cluster_role(&self) -> bool {
        self.namespace.is_empty()
    }

    /// Whether the controller replaces this role's rules (an aggregation rule whose
    /// selectors all parse).
    pub fn is_aggregated(&self) -> bool {
        self.aggregation
            .as_ref()
            .is_some_and(|sels| sels.iter().all(Result::is_ok))
    }

    fn label_pairs(&self) -> Vec<(&str, &str)> {
        self.labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// `ClusterRole "name"` / `Role "ns/name"`.
    pub fn describe(&self) -> String {
        if self.is_cluster_role() {
            format!("ClusterRole {:?}", self.name)
        } else {
            format!("Role \"{}/{}\"", self.namespace, self.name)
        }
    }
}

/// A RoleBinding (`namespace` set) or ClusterRoleBinding (`namespace` empty).
#[derive(Clone, Debug, Default)]
pub struct Binding {
    pub namespace: String,
    pub name: String,
    pub role_ref: RoleRef,
    pub subjects: Vec<Subject>,
    pub source: usize,
}

impl Binding {
    pub fn is_cluster_binding(&self) -> bool {
        self.namespace.is_empty()
    }

    /// Upstream's source description, exactly as the API server's reason says it:
    /// `ClusterRoleBinding "x" of ClusterRole "y" to User "z"`, `RoleBinding "x/ns" of Role
    /// "y" to ServiceAccount "name/ns"` (upstream `describeSubject`: a ServiceAccount is
    /// `name/namespace`, its namespace defaulting to the binding's, so `name/` in a
    /// ClusterRoleBinding without one).
    pub fn describe(&self, subject: &Subject) -> String {
        let own = if self.is_cluster_binding() {
            format!("ClusterRoleBinding {:?}", self.name)
        } else {
            format!("RoleBinding \"{}/{}\"", self.name, self.namespace)
        };
        let to = match subject.kind.as_str() {
            "ServiceAccount" => format!(
                "ServiceAccount \"{}/{}\"",
                subject.name,
                subject.service_account_namespace(&self.namespace)
            ),
            kind => format!("{kind} {:?}", subject.name),
        };
        format!(
            "{own} of {} {:?} to {to}",
            self.role_ref.kind, self.role_ref.name
        )
    }
}

/// The rule of a role an effective rule was taken from: (role index, rule index).
pub type Origin = (usize, usize);

/// Why a binding's role could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolveError {
    /// `roleRef.kind` is neither `Role` nor `ClusterRole` (or `Role` from a
    /// ClusterRoleBinding, which has no namespace to look in).
    UnsupportedKind(String),
    NotFound {
        kind: String,
        namespace: String,
        name: String,
    },
}

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResolveError::UnsupportedKind(k) => write!(f, "unsupported role reference kind: {k:?}"),
            ResolveError::NotFound {
                kind,
                namespace,
                name,
            } if namespace.is_empty() => write!(f, "{kind} {name:?} not found"),
            ResolveError::NotFound {
                kind,
                namespace,
                name,
            } => write!(f, "{kind} \"{namespace}/{name}\" not found"),
        }
    }
}

/// The API server's text for a binding whose role does not resolve: the RBAC authorizer
/// reads roles through listers, whose not-found error is `role.rbac.authorization.k8s.io
/// "name" not found` (no namespace); a `Role` reference from a ClusterRoleBinding is looked
/// up in no namespace, so it is not found either.
pub fn upstream_error(role_ref: &RoleRef, error: &ResolveError) -> String {
    let not_found = |kind: &str, name: &str| {
        format!(
            "{}.rbac.authorization.k8s.io {name:?} not found",
            kind.to_ascii_lowercase()
        )
    };
    match error {
        ResolveError::NotFound { kind, name, .. } => not_found(kind, name),
        ResolveError::UnsupportedKind(kind) if kind == "Role" => not_found(kind, &role_ref.name),
        ResolveError::UnsupportedKind(kind) => format!("unsupported role reference kind: {kind:?}"),
    }
}

/// The authorizer's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// `RBAC: allowed by ...` when allowed; otherwise the resolution errors met, as the API
    /// server words them (`RBAC: one error` or `RBAC: [first, second]`), or nothing.
    pub reason: String,
}

/// Every role and binding of an input, with aggregation applied.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub roles: Vec<Role>,
    pub bindings: Vec<Binding>,
    /// (namespace, name) → index of the live role (a later duplicate replaces an earlier
    /// one, as a later apply would).
    index: HashMap<(String, String), usize>,
    /// Per role: the rules it grants, as origins.
    effective: Vec<Vec<Origin>>,
}

impl Policy {
    /// Builds the policy and runs the aggregation controller to a steady state.
    pub fn new(roles: Vec<Role>, bindings: Vec<Binding>) -> Policy {
        let mut index = HashMap::new();
        for (i, r) in roles.iter().enumerate() {
            index.insert((r.namespace.clone(), r.name.clone()), i);
        }
        let mut policy = Policy {
            roles,
            bindings,
            index,
            effective: Vec::new(),
        };
        policy.aggregate();
        policy
    }

    /// The policy of an inventory: its `rbac.authorization.k8s.io` Roles, ClusterRoles,
    /// RoleBindings and ClusterRoleBindings (any version), `source` being the index of each
    /// in `inventory.objects()`. Namespaced objects without a namespace are in `default`.
    pub fn from_inventory(inventory: &Inventory) -> Policy {
        let is_rbac = |object: &Object, kind: &str| {
            object.kind() == kind && object.id.group() == "rbac.authorization.k8s.io"
        };
        let mut roles = Vec::new();
        let mut bindings = Vec::new();
        // Only the four RBAC kinds, in input order (by index, not by walking everything).
        let mut positions: Vec<usize> =
            ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]
                .iter()
                .flat_map(|k| inventory.positions_of_kind(k).iter().copied())
                .collect();
        positions.sort_unstable();
        for source in positions {
            let object = &inventory.objects()[source];
            let root = object.root();
            let cluster = is_rbac(object, "ClusterRole") || is_rbac(object, "ClusterRoleBinding");
            let namespace = if cluster {
                String::new()
            } else {
                object
                    .id
                    .effective_namespace()
                    .unwrap_or("default")
                    .to_string()
            };
            if is_rbac(object, "Role") || is_rbac(object, "ClusterRole") {
                let aggregation =
                    cluster
                        .then(|| root.get("aggregationRule"))
                        .flatten()
                        .map(|agg| {
                            agg.get("clusterRoleSelectors")
                                .map(|s| s.items().map(LabelSelector::from_node).collect())
                                .unwrap_or_default()
                        });
                roles.push(Role {
                    namespace,
                    name: object.id.name.clone(),
                    labels: object
                        .labels()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    rules: root
                        .get("rules")
                        .map(|r| r.items().map(PolicyRule::from_node).collect())
                        .unwrap_or_default(),
                    aggregation,
                    source,
                });
            } else if is_rbac(object, "RoleBinding") || is_rbac(object, "ClusterRoleBinding") {
                bindings.push(Binding {
                    namespace,
                    name: object.id.name.clone(),
                    role_ref: RoleRef::from_node(root.get("roleRef")),
                    subjects: root
                        .get("subjects")
                        .map(|s| s.items().map(Subject::from_node).collect())
                        .unwrap_or_default(),
                    source,
                });
            }
        }
        Policy::new(roles, bindings)
    }

    fn is_live(&self, i: usize) -> bool {
        let r = &self.roles[i];
        self.index.get(&(r.namespace.clone(), r.name.clone())) == Some(&i)
    }

    /// Synchronous rounds of the aggregation controller from the manifests' state until
    /// nothing changes (nested aggregation converges in depth+1 rounds; cycles, which the
    /// real controller resolves in whatever order it syncs, are cut after a bound).
    fn aggregate(&mut self) {
        self.effective = self
            .roles
            .iter()
            .enumerate()
            .map(|(i, r)| (0..r.rules.len()).map(|j| (i, j)).collect())
            .collect();
        let aggregated: Vec<usize> = (0..self.roles.len())
            .filter(|&i| {
                self.is_live(i) && self.roles[i].is_cluster_role() && self.roles[i].is_aggregated()
            })
            .collect();
        if aggregated.is_empty() {
            return;
        }
        let mut cluster_roles: Vec<usize> = (0..self.roles.len())
            .filter(|&i| self.is_live(i) && self.roles[i].is_cluster_role())
            .collect();
        cluster_roles.sort_by(|&a, &b| self.roles[a].name.cmp(&self.roles[b].name));
        for _ in 0..=aggregated.len() {
            let mut next = self.effective.clone();
            let mut changed = false;
            for &a in &aggregated {
                let mut rules: Vec<Origin> = Vec::new();
                let selectors = self.roles[a].aggregation.as_ref().expect("aggregated");
                for selector in selectors.iter().flatten() {
                    for &c in &cluster_roles {
                        if self.roles[c].name == self.roles[a].name
                            || !selector.matches(&self.roles[c].label_pairs())
                        {
                            continue;
                        }
                        for &origin in &self.effective[c] {
                            let rule = self.rule(origin);
                            if !rules.iter().any(|&o| self.rule(o) == rule) {
                                rules.push(origin);
                            }
                        }
                    }
                }
                if next[a] != rules {
                    next[a] = rules;
                    changed = true;
                }
            }
            self.effective = next;
            if !changed {
                break;
            }
        }
    }

    /// The rule at `origin`.
    pub fn rule(&self, origin: Origin) -> &PolicyRule {
        &self.roles[origin.0].rules[origin.1]
    }

    /// The live Role `namespace/name`, or ClusterRole `name` when `namespace` is empty.
    pub fn find_role(&self, namespace: &str, name: &str) -> Option<usize> {
        self.index
            .get(&(namespace.to_string(), name.to_string()))
            .copied()
    }

    /// Whether role `i` is the live one of its name (not replaced by a later duplicate).
    pub fn is_live_role(&self, i: usize) -> bool {
        self.is_live(i)
    }

    /// The rules role `i` grants (after aggregation), with where each came from.
    pub fn effective_rules(&self, i: usize) -> &[Origin] {
        &self.effective[i]
    }

    /// Upstream `GetRoleReferenceRules`: the role a binding in `binding_namespace` (empty
    /// for a ClusterRoleBinding) refers to.
    pub fn resolve(
        &self,
        role_ref: &RoleRef,
        binding_namespace: &str,
    ) -> Result<usize, ResolveError> {
        let not_found = |namespace: &str| ResolveError::NotFound {
            kind: role_ref.kind.clone(),
            namespace: namespace.to_string(),
            name: role_ref.name.clone(),
        };
        match role_ref.kind.as_str() {
            "Role" if binding_namespace.is_empty() => {
                Err(ResolveError::UnsupportedKind(role_ref.kind.clone()))
            }
            "Role" => self
                .find_role(binding_namespace, &role_ref.name)
                .ok_or_else(|| not_found(binding_namespace)),
            "ClusterRole" => self
                .find_role("", &role_ref.name)
                .ok_or_else(|| not_found("")),
            kind => Err(ResolveError::UnsupportedKind(kind.to_string())),
        }
    }

    /// The bindings the authorizer consults for a request in `namespace`: every
    /// ClusterRoleBinding, then (for a namespaced request) that namespace's RoleBindings.
    fn consulted(&self, namespace: &str) -> impl Iterator<Item = &Binding> {
        self.bindings
            .iter()
            .filter(|b| b.is_cluster_binding())
            .chain(
                self.bindings
                    .iter()
                    .filter(move |b| !namespace.is_empty() && b.namespace == namespace),
            )
    }

    /// Upstream `VisitRulesFor`: calls `visitor` with (binding, index of the first subject
    /// that applies, rule) for every rule that applies to `user` in `namespace`, and
    /// `errors` with each binding whose role could not be resolved, and why; stops when
    /// `visitor` returns false.
    pub fn visit_rules_for<'p>(
        &'p self,
        user: &UserInfo,
        namespace: &str,
        mut visitor: impl FnMut(&'p Binding, usize, &'p PolicyRule) -> bool,
        mut errors: impl FnMut(&'p Binding, ResolveError),
    ) {
        for binding in self.consulted(namespace) {
            let Some(subject) = binding
                .subjects
                .iter()
                .position(|s| s.applies_to(user, &binding.namespace))
            else {
                continue;
            };
            match self.resolve(&binding.role_ref, &binding.namespace) {
                Ok(role) => {
                    for &origin in self.effective_rules(role) {
                        if !visitor(binding, subject, self.rule(origin)) {
                            return;
                        }
                    }
                }
                Err(e) => errors(binding, e),
            }
        }
    }

    /// The RBAC authorizer's decision (upstream `RBACAuthorizer.Authorize`).
    pub fn authorize(&self, user: &UserInfo, request: &Request) -> Decision {
        let mut reason = None;
        let mut errors = Vec::new();
        self.visit_rules_for(
            user,
            request.request_namespace(),
            |binding, subject, rule| {
                if rule.allows(request) {
                    reason = Some(format!(
                        "RBAC: allowed by {}",
                        binding.describe(&binding.subjects[subject])
                    ));
                    return false;
                }
                true
            },
            |binding, e| {
                let message = upstream_error(&binding.role_ref, &e);
                // Upstream's aggregate error says each message once.
                if !errors.contains(&message) {
                    errors.push(message);
                }
            },
        );
        match reason {
            Some(reason) => Decision {
                allowed: true,
                reason,
            },
            None => Decision {
                allowed: false,
                reason: match errors.as_slice() {
                    [] => String::new(),
                    [one] => format!("RBAC: {one}"),
                    many => format!("RBAC: [{}]", many.join(", ")),
                },
            },
        }
    }

    /// What a SubjectAccessReview answers when RBAC is the only authorizer that could
    /// allow: members of `system:masters` are allowed before any authorizer runs.
    pub fn authorize_apiserver(&self, user: &UserInfo, request: &Request) -> Decision {
        if user.groups.iter().any(|g| g == MASTERS) {
            return Decision {
                allowed: true,
                reason: String::new(),
            };
        }
        self.authorize(user, request)
    }

    /// Every (binding, subject index) whose subject the binding allows `request` (the
    /// bindings consulted for the request's namespace, whose role has a rule allowing it).
    pub fn who_can(&self, request: &Request) -> Vec<(&Binding, usize)> {
        let mut out = Vec::new();
        for binding in self.consulted(request.request_namespace()) {
            let Ok(role) = self.resolve(&binding.role_ref, &binding.namespace) else {
                continue;
            };
            if self
                .effective_rules(role)
                .iter()
                .any(|&o| self.rule(o).allows(request))
            {
                out.extend((0..binding.subjects.len()).map(|s| (binding, s)));
            }
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> PolicyRule {
        PolicyRule::new(verbs, groups, resources)
    }

    fn urls(verbs: &[&str], urls: &[&str]) -> PolicyRule {
        PolicyRule {
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            non_resource_urls: urls.iter().map(|s| s.to_string()).collect(),
            ..PolicyRule::default()
        }
    }

    pub(crate) fn cluster_role(name: &str, rules: Vec<PolicyRule>) -> Role {
        Role {
            name: name.into(),
            rules,
            ..Role::default()
        }
    }

    pub(crate) fn subject(kind: &str, name: &str, namespace: &str) -> Subject {
        Subject {
            kind: kind.into(),
            name: name.into(),
            namespace: namespace.into(),
        }
    }

    pub(crate) fn binding(
        namespace: &str,
        kind: &str,
        role: &str,
        subjects: Vec<Subject>,
    ) -> Binding {
        Binding {
            namespace: namespace.into(),
            name: format!("{role}-binding"),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: kind.into(),
                name: role.into(),
            },
            subjects,
            source: 0,
        }
    }

    fn get(group: &str, resource: &str) -> Request {
        Request::resource("get", group, resource)
    }

    #[test]
    fn verbs_groups_resources_match_exactly_or_by_star() {
        let r = rule(&["*"], &["group1"], &["resource1"]);
        assert!(r.allows(&Request::resource("verb1", "group1", "resource1")));
        assert!(!r.allows(&Request::resource("verb1", "group2", "resource1")));
        assert!(!r.allows(&Request::resource("verb1", "group1", "resource2")));
        let r = rule(&["verb1"], &["*"], &["resource1"]);
        assert!(r.allows(&Request::resource("verb1", "any", "resource1")));
        assert!(!r.allows(&Request::resource("verb2", "any", "resource1")));
        // Case matters: upstream compares bytes.
        assert!(!rule(&["GET"], &[""], &["pods"]).allows(&get("", "pods")));
        // The empty group is the core group, not a wildcard.
        assert!(!rule(&["get"], &[""], &["deployments"]).allows(&get("apps", "deployments")));
    }

    #[test]
    fn subresources_need_the_combined_form_or_star_slash() {
        let pods = rule(&["*"], &["*"], &["pods"]);
        assert!(pods.allows(&get("", "pods")));
        assert!(!pods.allows(&get("", "pods").subresource("exec")));
        let exec = rule(&["create"], &[""], &["pods/exec"]);
        assert!(exec.allows(&Request::resource("create", "", "pods").subresource("exec")));
        assert!(!exec.allows(&Request::resource("create", "", "pods")));
        assert!(!exec.allows(&Request::resource("create", "", "pods").subresource("attach")));
        let scale = rule(&["update"], &["*"], &["*/scale"]);
        assert!(
            scale.allows(&Request::resource("update", "apps", "deployments").subresource("scale"))
        );
        assert!(!scale.allows(&Request::resource("update", "apps", "deployments")));
        assert!(
            !scale
                .allows(&Request::resource("update", "apps", "deployments").subresource("status"))
        );
        // Same length, other name: the suffix must be the subresource.
        assert!(
            !scale.allows(&Request::resource("update", "apps", "deployments").subresource("xxxxx"))
        );
        // `pods/*` is not a pattern upstream: only `*` and `*/sub` are.
        let pods_star = rule(&["get"], &[""], &["pods/*"]);
        assert!(!pods_star.allows(&get("", "pods").subresource("log")));
        // `*` alone matches subresources too.
        assert!(rule(&["get"], &[""], &["*"]).allows(&get("", "pods").subresource("log")));
    }

    #[test]
    fn resource_names_restrict_and_empty_means_all() {
        let mut r = rule(&["get"], &[""], &["secrets"]);
        assert!(r.allows(&get("", "secrets").name("a")));
        assert!(r.allows_any_name("get", "", "secrets"));
        r.resource_names = vec!["a".into()];
        assert!(r.allows(&get("", "secrets").name("a")));
        assert!(!r.allows(&get("", "secrets").name("b")));
        // A list has no name: a rule with names does not allow it.
        assert!(!r.allows(&Request::resource("list", "", "secrets")));
        assert!(!r.allows_any_name("get", "", "secrets"));
    }

    #[test]
    fn non_resource_urls_match_star_exact_and_trailing_star_prefix() {
        let r = urls(&["get"], &["/apis/*"]);
        assert!(r.allows(&Request::non_resource("get", "/apis/v1")));
        assert!(r.allows(&Request::non_resource("get", "/apis/")));
        assert!(!r.allows(&Request::non_resource("get", "/apis")));
        assert!(!r.allows(&Request::non_resource("get", "/api/v1")));
        assert!(!r.allows(&Request::non_resource("post", "/apis/v1")));
        assert!(urls(&["get"], &["*"]).allows(&Request::non_resource("get", "/anything")));
        assert!(urls(&["get"], &["/healthz"]).allows(&Request::non_resource("get", "/healthz")));
        assert!(
            !urls(&["get"], &["/healthz"]).allows(&Request::non_resource("get", "/healthz/etcd"))
        );
        // Every trailing star is trimmed, as strings.TrimRight does.
        assert!(urls(&["get"], &["/a**"]).allows(&Request::non_resource("get", "/ab")));
        // Resource rules never match non-resource requests and vice versa.
        assert!(!rule(&["*"], &["*"], &["*"]).allows(&Request::non_resource("get", "/healthz")));
        assert!(!urls(&["*"], &["*"]).allows(&get("", "pods")));
    }

    #[test]
    fn role_bindings_grant_only_in_their_namespace() {
        let policy = Policy::new(
            vec![cluster_role("admin", vec![rule(&["*"], &["*"], &["*"])])],
            vec![binding(
                "ns1",
                "ClusterRole",
                "admin",
                vec![subject("User", "admin", ""), subject("Group", "admins", "")],
            )],
        );
        let admin = UserInfo::new("admin", &[]);
        assert!(
            policy
                .authorize(&admin, &get("", "pods").namespace("ns1"))
                .allowed
        );
        assert!(
            !policy
                .authorize(&admin, &get("", "pods").namespace("ns2"))
                .allowed
        );
        assert!(!policy.authorize(&admin, &get("", "nodes")).allowed);
        let joe = UserInfo::new("joe", &["group1", "admins"]);
        let d = policy.authorize(
            &joe,
            &Request::resource("watch", "", "foobar").namespace("ns1"),
        );
        assert!(d.allowed);
        assert_eq!(
            d.reason,
            "RBAC: allowed by RoleBinding \"admin-binding/ns1\" of ClusterRole \"admin\" to Group \"admins\""
        );
    }

    #[test]
    fn role_references_resolve_in_the_binding_namespace() {
        let mut role = cluster_role("reader", vec![rule(&["get"], &[""], &["pods"])]);
        role.namespace = "ns1".into();
        let policy = Policy::new(
            vec![role],
            vec![
                binding("ns1", "Role", "reader", vec![subject("User", "a", "")]),
                // Same name in another namespace: no such Role there.
                binding("ns2", "Role", "reader", vec![subject("User", "b", "")]),
                // A ClusterRoleBinding cannot use a Role.
                binding("", "Role", "reader", vec![subject("User", "c", "")]),
            ],
        );
        assert!(
            policy
                .authorize(&UserInfo::new("a", &[]), &get("", "pods").namespace("ns1"))
                .allowed
        );
        let d = policy.authorize(&UserInfo::new("b", &[]), &get("", "pods").namespace("ns2"));
        assert!(!d.allowed);
        assert_eq!(
            d.reason,
            "RBAC: role.rbac.authorization.k8s.io \"reader\" not found"
        );
        assert!(
            !policy
                .authorize(&UserInfo::new("c", &[]), &get("", "pods").namespace("ns1"))
                .allowed
        );
        assert_eq!(
            policy.resolve(&policy.bindings[2].role_ref, ""),
            Err(ResolveError::UnsupportedKind("Role".into()))
        );
    }

    #[test]
    fn service_account_subjects_and_groups() {
        let policy = Policy::new(
            vec![cluster_role("r", vec![rule(&["get"], &[""], &["pods"])])],
            vec![
                // No namespace: defaults to the RoleBinding's.
                binding(
                    "ns1",
                    "ClusterRole",
                    "r",
                    vec![subject("ServiceAccount", "app", "")],
                ),
                // No namespace on a ClusterRoleBinding: applies to nobody.
                binding(
                    "",
                    "ClusterRole",
                    "r",
                    vec![subject("ServiceAccount", "ghost", "")],
                ),
                binding(
                    "ns2",
                    "ClusterRole",
                    "r",
                    vec![subject("Group", "system:serviceaccounts:ns2", "")],
                ),
                binding(
                    "ns3",
                    "ClusterRole",
                    "r",
                    vec![subject("Group", AUTHENTICATED, "")],
                ),
                binding(
                    "ns4",
                    "ClusterRole",
                    "r",
                    vec![subject("User", "system:serviceaccount:ns9:bot", "")],
                ),
            ],
        );
        let pods = |ns: &str| get("", "pods").namespace(ns);
        let app = UserInfo::service_account("ns1", "app");
        assert!(policy.authorize(&app, &pods("ns1")).allowed);
        assert!(
            !policy
                .authorize(&UserInfo::service_account("other", "app"), &pods("ns1"))
                .allowed
        );
        assert!(
            !policy
                .authorize(&UserInfo::service_account("ns1", "ghost"), &pods("ns5"))
                .allowed
        );
        assert!(
            !policy
                .authorize(&UserInfo::service_account("", "ghost"), &get("", "pods"))
                .allowed
        );
        // Namespace group: every SA of ns2, nobody else.
        assert!(
            policy
                .authorize(&UserInfo::service_account("ns2", "x"), &pods("ns2"))
                .allowed
        );
        assert!(
            !policy
                .authorize(&UserInfo::service_account("ns1", "x"), &pods("ns2"))
                .allowed
        );
        // system:authenticated: any authenticated identity, not anonymous.
        assert!(
            policy
                .authorize(&UserInfo::authenticated("alice", &[]), &pods("ns3"))
                .allowed
        );
        assert!(
            policy
                .authorize(&UserInfo::service_account("zz", "x"), &pods("ns3"))
                .allowed
        );
        assert!(
            !policy
                .authorize(&UserInfo::anonymous(), &pods("ns3"))
                .allowed
        );
        // A User subject with a service account's username is that service account.
        assert!(
            policy
                .authorize(&UserInfo::service_account("ns9", "bot"), &pods("ns4"))
                .allowed
        );
        // system:masters bypasses RBAC only through the API server's shortcut.
        let root = UserInfo::new("root", &[MASTERS]);
        assert!(!policy.authorize(&root, &get("", "nodes")).allowed);
        assert!(policy.authorize_apiserver(&root, &get("", "nodes")).allowed);
        let who: Vec<String> = policy
            .who_can(&pods("ns2"))
            .iter()
            .map(|(b, s)| b.describe(&b.subjects[*s]))
            .collect();
        assert_eq!(
            who,
            [
                "ClusterRoleBinding \"r-binding\" of ClusterRole \"r\" to ServiceAccount \"ghost/\"",
                "RoleBinding \"r-binding/ns2\" of ClusterRole \"r\" to Group \"system:serviceaccounts:ns2\""
            ]
        );
    }

    #[test]
    fn denial_reasons_list_resolution_errors_as_upstream_does() {
        let policy = Policy::new(
            vec![],
            vec![
                binding("", "ClusterRole", "gone", vec![subject("User", "u", "")]),
                binding("", "ClusterRole", "gone", vec![subject("Group", "g", "")]),
                binding("", "Role", "crb-role", vec![subject("User", "u", "")]),
                binding("ns1", "Role", "missing", vec![subject("User", "u", "")]),
                binding("ns1", "Widget", "w", vec![subject("User", "u", "")]),
            ],
        );
        let u = UserInfo::new("u", &["g"]);
        // Cluster-wide: the ClusterRoleBindings only; the same error said once.
        assert_eq!(
            policy.authorize(&u, &get("", "nodes")).reason,
            "RBAC: [clusterrole.rbac.authorization.k8s.io \"gone\" not found, role.rbac.authorization.k8s.io \"crb-role\" not found]"
        );
        assert_eq!(
            policy
                .authorize(&u, &get("", "pods").namespace("ns1"))
                .reason,
            "RBAC: [clusterrole.rbac.authorization.k8s.io \"gone\" not found, role.rbac.authorization.k8s.io \"crb-role\" not found, role.rbac.authorization.k8s.io \"missing\" not found, unsupported role reference kind: \"Widget\"]"
        );
        assert_eq!(
            policy
                .authorize(&UserInfo::new("v", &["g"]), &get("", "nodes"))
                .reason,
            "RBAC: clusterrole.rbac.authorization.k8s.io \"gone\" not found"
        );
        assert_eq!(
            policy
                .authorize(&UserInfo::new("v", &[]), &get("", "nodes"))
                .reason,
            ""
        );
    }

    #[test]
    fn reasons_name_service_accounts_as_upstream_does() {
        // Upstream `describeSubject`: `name/namespace`, the namespace defaulting to the
        // binding's (the API server's reason text, which `can-i` repeats).
        let policy = Policy::new(
            vec![cluster_role("r", vec![rule(&["get"], &[""], &["pods"])])],
            vec![binding(
                "ns1",
                "ClusterRole",
                "r",
                vec![
                    subject("ServiceAccount", "app", ""),
                    subject("ServiceAccount", "bot", "ns2"),
                ],
            )],
        );
        let pods = get("", "pods").namespace("ns1");
        assert_eq!(
            policy
                .authorize(&UserInfo::service_account("ns1", "app"), &pods)
                .reason,
            "RBAC: allowed by RoleBinding \"r-binding/ns1\" of ClusterRole \"r\" to ServiceAccount \"app/ns1\""
        );
        assert_eq!(
            policy
                .authorize(&UserInfo::service_account("ns2", "bot"), &pods)
                .reason,
            "RBAC: allowed by RoleBinding \"r-binding/ns1\" of ClusterRole \"r\" to ServiceAccount \"bot/ns2\""
        );
        // Findings keep the usual `namespace/name`.
        assert_eq!(
            policy.bindings[0].subjects[0].describe("ns1"),
            "ServiceAccount \"ns1/app\""
        );
    }

    fn labelled(name: &str, labels: &[(&str, &str)], rules: Vec<PolicyRule>) -> Role {
        let mut r = cluster_role(name, rules);
        r.labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        r
    }

    #[test]
    fn aggregation_unions_matching_cluster_roles_and_replaces_own_rules() {
        let sel = |k: &str| Ok(LabelSelector::from_labels([(k, "true")]));
        let mut monitoring = labelled(
            "monitoring",
            &[],
            vec![rule(&["delete"], &[""], &["nodes"])],
        );
        monitoring.aggregation = Some(vec![sel("agg-a"), sel("agg-b")]);
        let mut nested = labelled("nested", &[("top", "true")], vec![]);
        nested.aggregation = Some(vec![sel("agg-b")]);
        let mut top = labelled("top-level", &[], vec![]);
        top.aggregation = Some(vec![sel("top")]);
        let mut broken = labelled("broken", &[], vec![rule(&["get"], &[""], &["configmaps"])]);
        broken.aggregation = Some(vec![Err("bad operator".into())]);
        let policy = Policy::new(
            vec![
                monitoring,
                labelled(
                    "z-pods",
                    &[("agg-a", "true")],
                    vec![rule(&["get"], &[""], &["pods"])],
                ),
                labelled(
                    "b-secrets",
                    &[("agg-b", "true"), ("agg-a", "true")],
                    vec![
                        rule(&["get"], &[""], &["secrets"]),
                        rule(&["get"], &[""], &["pods"]),
                    ],
                ),
                labelled(
                    "other",
                    &[("agg-c", "true")],
                    vec![rule(&["*"], &["*"], &["*"])],
                ),
                nested,
                top,
                broken,
            ],
            vec![],
        );
        let rules = |i: usize| -> Vec<&PolicyRule> {
            policy
                .effective_rules(i)
                .iter()
                .map(|&o| policy.rule(o))
                .collect()
        };
        // Selector agg-a: b-secrets then z-pods (by name); z-pods' rule duplicates one
        // already taken; agg-b adds nothing new. Its own `delete nodes` rule is gone.
        assert_eq!(
            rules(0),
            [
                &rule(&["get"], &[""], &["secrets"]),
                &rule(&["get"], &[""], &["pods"])
            ]
        );
        assert_eq!(policy.effective_rules(0), &[(2, 0), (2, 1)]);
        // Nested: top-level aggregates nested, which aggregates b-secrets.
        assert_eq!(rules(5), rules(2));
        // A selector that does not parse: the controller fails, the rules stay.
        assert_eq!(rules(6), [&rule(&["get"], &[""], &["configmaps"])]);
        let binding = binding(
            "",
            "ClusterRole",
            "top-level",
            vec![subject("User", "u", "")],
        );
        let policy = Policy::new(policy.roles.clone(), vec![binding]);
        assert!(
            policy
                .authorize(&UserInfo::new("u", &[]), &get("", "secrets").namespace("x"))
                .allowed
        );
        assert!(
            !policy
                .authorize(
                    &UserInfo::new("u", &[]),
                    &get("", "configmaps").namespace("x")
                )
                .allowed
        );
    }

    #[test]
    fn empty_selector_aggregates_every_other_cluster_role() {
        let mut all = labelled("all", &[], vec![]);
        all.aggregation = Some(vec![Ok(LabelSelector::everything())]);
        let mut none = labelled("none", &[], vec![rule(&["get"], &[""], &["pods"])]);
        none.aggregation = Some(vec![]);
        let policy = Policy::new(
            vec![
                all,
                none,
                labelled("x", &[], vec![rule(&["list"], &[""], &["pods"])]),
            ],
            vec![],
        );
        // `none` has an aggregation rule with no selectors: it grants nothing.
        assert!(policy.effective_rules(1).is_empty());
        assert_eq!(policy.effective_rules(0), &[(2, 0)]);
    }

    #[test]
    fn later_duplicates_replace_earlier_roles() {
        let policy = Policy::new(
            vec![
                cluster_role("r", vec![rule(&["get"], &[""], &["pods"])]),
                cluster_role("r", vec![rule(&["list"], &[""], &["pods"])]),
            ],
            vec![binding(
                "",
                "ClusterRole",
                "r",
                vec![subject("User", "u", "")],
            )],
        );
        let u = UserInfo::new("u", &[]);
        assert!(!policy.authorize(&u, &get("", "pods")).allowed);
        assert!(
            policy
                .authorize(&u, &Request::resource("list", "", "pods"))
                .allowed
        );
        assert!(!policy.is_live_role(0));
    }
}
