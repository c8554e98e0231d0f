//! Rules of the `rbac` area: least privilege in Roles, ClusterRoles and their bindings.
//!
//! - [`palisade_rbac::authz`]: exact RBAC evaluation (upstream's matching, binding
//!   resolution, subjects, ClusterRole aggregation), shared with `palisade rbac who-can/can-i`.
//! - [`model`]: the RBAC objects of an inventory as a policy, with the way back to fields.
//! - [`permissions`]: what a role's rules grant (RBAC001, RBAC003-RBAC010), reported on the
//!   rule entry, with the bindings that grant the role as related locations.
//! - [`bindings`]: what bindings grant and to whom, dangling references, unused roles
//!   (RBAC002, RBAC011-RBAC015), reported on the subject or `roleRef`.
//!
//! Every rule here is an inventory rule (roles, aggregation and bindings are read
//! together); a rule is not evaluated when the input lacks the objects it needs.

mod bindings;
mod model;
mod permissions;

use crate::rule::{Area, Check, Rule, RuleMeta, Scope, Severity};

const RBAC_DOC: &str = "https://kubernetes.io/docs/reference/access-authn-authz/rbac/";
const GOOD_PRACTICES: &str = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/";
const ESCALATION_DOC: &str = "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping";

/// A ClusterRole `name` with one rule, bound cluster-wide to User `alice`.
macro_rules! bound_cluster_role {
    ($rule:literal) => {
        concat!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ops\nrules:\n",
            $rule,
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: ops\nsubjects:\n  - kind: User\n    name: alice\n    apiGroup: rbac.authorization.k8s.io\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: ops\n"
        )
    };
}

/// A namespaced Role `app` in `shop` with one rule, bound to ServiceAccount `app`.
macro_rules! bound_role {
    ($rule:literal) => {
        concat!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: app\n  namespace: shop\nrules:\n",
            $rule,
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: app\n  namespace: shop\nsubjects:\n  - kind: ServiceAccount\n    name: app\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: app\n"
        )
    };
}

/// A ClusterRoleBinding `b` of ClusterRole `$role` to `$subject` (a YAML flow map).
macro_rules! cluster_binding {
    ($role:literal, $subject:literal) => {
        concat!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: b\nsubjects:\n  - ",
            $subject,
            "\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: ",
            $role,
            "\n"
        )
    };
}

/// What every rule here reads: roles, aggregation and bindings, read together.
const RBAC_OBJECTS: &[crate::rule::Input] = &[
    crate::rule::Input::kind("rbac.authorization.k8s.io", "Role"),
    crate::rule::Input::kind("rbac.authorization.k8s.io", "ClusterRole"),
    crate::rule::Input::kind("rbac.authorization.k8s.io", "RoleBinding"),
    crate::rule::Input::kind("rbac.authorization.k8s.io", "ClusterRoleBinding"),
];

/// The RBAC objects and the ServiceAccounts bindings name.
const RBAC_OBJECTS_AND_SERVICE_ACCOUNTS: &[crate::rule::Input] = &[
    crate::rule::Input::kind("rbac.authorization.k8s.io", "Role"),
    crate::rule::Input::kind("rbac.authorization.k8s.io", "ClusterRole"),
    crate::rule::Input::kind("rbac.authorization.k8s.io", "RoleBinding"),
    crate::rule::Input::kind("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    crate::rule::Input::kind("", "ServiceAccount"),
];

/// This area's rules, in ID order.
pub static RULES: &[Rule] = &[
    Rule {
        meta: RuleMeta {
            id: "RBAC001",
            name: "rbac-wildcard",
            title: "Role or ClusterRole rule uses a wildcard",
            area: Area::Rbac,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: RBAC_OBJECTS,
            rationale: "A `*` in `verbs`, `apiGroups` or `resources` (or `*/subresource`, or `*` in `nonResourceURLs`) grants more than anyone reviewed: every verb including `escalate`, `bind` and `impersonate`, every resource including Secrets, and every resource type added to the cluster later (each new CRD). One finding per rule entry, at its first wildcard, whichever of the three fields it is in; the others are related locations. Kubernetes' own default roles and aggregated ClusterRoles (whose rules are generated from the roles they select) are not reported.",
            remediation: "List the verbs, API groups and resources the subject needs explicitly instead of using `*`.",
            example_fail: bound_cluster_role!(
                "  - apiGroups: [\"apps\"]\n    resources: [\"*\"]\n    verbs: [\"get\", \"list\"]\n"
            ),
            example_pass: bound_cluster_role!(
                "  - apiGroups: [\"apps\"]\n    resources: [\"deployments\"]\n    verbs: [\"get\", \"list\"]\n"
            ),
            evidence: &["rbac.no_wildcards"],
            no_controls_reason: None,
            references: &[GOOD_PRACTICES, RBAC_DOC],
            pss: None,
        },
        check: Check::Inventory(permissions::check_wildcards),
    },
    Rule {
        meta: RuleMeta {
            id: "RBAC002",
            name: "cluster-admin-binding",
            title: "Binding grants cluster-admin (or every verb on every resource) to a user, group or service account",
            area: Area::Rbac,
            severity: Severity::Critical,
            scope: Scope::Inventory,
            reads: RBAC_OBJECTS,
            rationale: "`cluster-admin`, or any role with a rule granting `*` verbs on `*` resources in `*` API groups, is unrestricted control: read every Secret, run any pod on any node, rewrite RBAC and admission. Bound by a ClusterRoleBinding it covers the whole cluster; by a RoleBinding, the whole namespace including its Secrets, service account tokens and RBAC. Only Kubernetes components need it (the `system:masters` group and `system:` component users are not reported); people and workloads should get narrower roles. One finding per subject.",
            remediation: "Bind a role that grants only what this subject needs (for namespace administration, the built-in `admin` role in a RoleBinding) and remove the binding to cluster-admin.",
            example_fail: cluster_binding!(
                "cluster-admin",
                "{kind: ServiceAccount, name: deployer, namespace: ci}"
            ),
            example_pass: cluster_binding!(
                "cluster-admin",
                "{kind: Group, name: system:masters, apiGroup: rbac.authorization.k8s.io}"
            ),
            evidence: &["rbac.cluster_admin_bindings"],
            no_controls_reason: None,
            references: &[
                "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles",
                GOOD_PRACTICES,
            ],
            pss: None,
        },
        check: Check::Inventory(bindings::check_cluster_admin),
    },
    Rule {
        meta: RuleMeta {
            id: "RBAC003",
            name: "rbac-escalate-bind-impersonate",
            title: "Role grants escalate, bind or impersonate",
            area: Area::Rbac,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: RBAC_OBJECTS,
            rationale: "RBAC stops a subject from granting permissions it does not hold, except through three verbs: `escalate` on roles lets it write any permission into a role, `bind` on roles lets it bind roles it does not hold, and `impersonate` on users, groups, service accounts, uids or user extras lets it act as another identity (impersonating the `system:masters` group is cluster-admin). `escalate` and `bind` restricted with `resourceNames` to named roles are upstream's way to delegate safely and are not reported; `impersonate` is reported even when restricted to names. `*` verbs count.",
            remediation: "Remove escalate, bind and impersonate from the rule; if a controller must bind roles, restrict bind to the named roles it grants with resourceNames.",
            example_fail: bound_cluster_role!(
                "  - apiGroups: [\"\"]\n    resources: [\"users\", \"groups\"]\n    verbs: [\"impersonate\"]\n"
            ),
            example_pass: bound_cluster_role!(
                "  - apiGroups: [\"rbac.authorization.k8s.io\"]\n    resources: [\"clusterroles\"]\n    verbs: [\"bind\"]\n    resourceNames: [\"view\"]\n"
            ),
            evidence: &["rbac.escalate_bind_impersonate"],
            no_controls_reason: None,
            references: &[
                ESCALATION_DOC,
                "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation",
            ],
            pss: None,
        },
        check: Check::Inventory(permissions::check_escalate_bind_impersonate),
    },
    Rule {
        meta: RuleMeta {
            id: "RBAC004",
            name: "rbac-secrets-read",
            title: "Role grants get, list or watch on Secrets",
            area: Area::Rbac,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: RBAC_OBJECTS,
            rationale: "Reading Secrets yields credentials: database passwords, API keys, TLS keys and the tokens of service accounts, some of which are more privileged than the reader. `list` and `watch` return every Secret with its data, not just names. A `get` restricted with `resourceNames` to the Secrets a workload needs is the least-privilege form and is not reported.",
            remediation: "Remove get, list and watch on secrets, or restrict get to the named Secrets the subject needs with resourceNames; mount Secrets into pods instead of reading them through the API.",
            example_fail: bound_role!(
                "  - apiGroups: [\"\"]\n    resources: [\"secrets\"]\n    verbs: [\"list\"]\n"
            ),
            example_pass: bound_role!(
                "  - apiGroups: [\"\"]\n    resources: [\"secrets\"]\n    verbs: [\"get\"]\n    resourceNames: [\"app-db\"]\n"
            ),
            evidence: &["rbac.secrets_read"],
            no_controls_reason: None,
            references: &[GOOD_PRACTICES, RBAC_DOC],
            pss: None,
        },
        check: Check::Inventory(permissions::check_secrets_read),
    },
    Rule {
        meta: RuleMeta {
            id: "RBAC005",
            name: "rbac-pod-exec",
            title: "Role grants exec, attach or port-forward into pods",
            area: Area::Rbac,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: RBAC_OBJECTS,
            rationale: "`pods/exec` and `pods/attach` give a shell in running containers, with their service account tokens, mounted Secrets and network position; `pods/portforward` opens a tunnel to ports that network policies and the mesh meant to keep internal. Requests over SPDY are authorized as `create`; WebSocket upgrades are GET requests, authorized as `get` (and, from Kubernetes 1.35 with AuthorizePodWebsocketUpgradeCreatePermission on by default, also as `create`), so either verb grants access on some version. Reported even when restricted to named pods.",
            remediation: "Remove create and get on pods/exec, pods/attach and pods/portforward; grant them only to break-glass roles, bound when needed.",
            example_fail: bound_role!(
                "  - apiGroups: [\"\"]\n    resources: [\"pods/exec\"]\n    verbs: [\"create\"]\n"
            ),
            example_pass: bound_role!(
                "  - apiGroups: [\"\"]\n    resources: [\"pods\", \"pods/log\"]\n    verbs: [\"get\"]\n"
            ),
            evidence: &["rbac.pod_exec"],
            no_controls_reason: None,
            references: &[
                GOOD_PRACTICES,
                "https://github.com/kubernetes/enhancements/tree/master/keps/sig-api-machinery/4006-transition-spdy-to-websockets",
            ],
            pss: None,
        },
        check: Check::Inventory(permissions::check_pod_exec),
    },
    Rule {
        meta: RuleMeta {
            id: "RBAC006",
            name: "rbac-workload-create",
            title: "Role grants create on pods or workload controllers",
            area: Area::Rbac,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: RBAC_OBJECTS,
            rationale: "Creating a pod, or a Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, CronJob or ReplicationController that creates pods, is privilege escalation by proxy: the pod can run as any service account of the namespace, mount any Secret or ConfigMap there, and (where Pod Security admission allows it) use the host. The subject effectively holds the union of every service account's permissions in scope. Expected for deployment pipelines and controllers; worth reviewing everywhere else.",
            remediation: "Grant create on pods and workload kinds only to the deployment pipeline or controller that needs it, in the namespaces it deploys to, and enforce Pod Security admission there.",
            example_fail: bound_role!(
                "  - apiGroups: [\"apps\"]\n    resources: [\"deployments\"]\n    verbs: [\"create\", \"update\"]\n"
            ),
            example_pass: bound_role!(
                "  - apiGroups: [\"apps\"]\n    resources: [\"deployments\"]\n    verbs: [\"get\", \"list\", \"watch\"]\n"
            ),
            evidence: &["rbac.create_pods"],
            no_controls_reason: None,
            references: &[
                "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation",
            ],
            pss: None,
        },
        check: Check::Inventory(permissions::check_workload_create),
    },
    Rule {
        meta: RuleMeta {
            id: "RBAC007",
            name: "rbac-nodes-proxy",
            title: "Role grants access to nodes/proxy",
            area: Area::Rbac,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: RBAC_OBJECTS,
            rationale: "`nodes/proxy` gives the kubelet API of the node: it lists pods, reads logs and runs commands in any container on the node (`/exec`, `/run`), bypassing the API server's admission and audit. Over WebSocket even `get` is enough to run commands. Monitoring agents usually need only `nodes/metrics` or `nodes/stats`. Reported whatever the verb and even when restricted to named nodes.",
            remediation: "Replace nodes/proxy with nodes/metrics, nodes/stats or nodes/log, whichever the agent actually reads.",
            example_fail: bound_cluster_role!(
                "  - apiGroups: [\"\"]\n    resources: [\"nodes/proxy\"]\n    verbs: [\"get\"]\n"
            ),
            example_pass: bound_cluster_role!(
                "  - apiGroups: [\"\"]\n    resources: [\"nodes/metrics\", \"nodes/stats\"]\n    verbs: [\"get\"]\n"
            ),
            evidence: &["rbac.nodes_proxy"],
            no_controls_reason: None,
            references: &[
                "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/",
                GOOD_PRACTICES,
            ],
            pss: None,
        },
        check: Check::Inventory(permissions::check_nodes_proxy),
    },
    Rule {
        meta: RuleMeta {
            id: "RBAC008",
            name: "rbac-serviceaccount-token-create",
            title: "Role grants create on serviceaccounts/token",
            area: Area::Rbac,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: RBAC_OBJECTS,
            rationale: "The TokenRequest API (`create` on `serviceaccounts/token`) mints a token for a service account: the holder can act as every service account in scope, cluster-wide when bound by a ClusterRoleBinding, which includes the controllers of kube-system. Restricted with `resourceNames` to named service accounts it is not reported.",
            remediation: "Remove create on serviceaccounts/token, or restrict it with resourceNames to the service accounts the subject must mint tokens for.",
            example_fail: bound_cluster_role!(
                "  - apiGroups: [\"\"]\n    resources: [\"serviceaccounts/token\"]\n    verbs: [\"create\"]\n"
            ),
            example_pass: bound_cluster_role!(
                "  - apiGroups: [\"\"]\n    resources: [\"serviceaccounts\"]\n    verbs: [\"get\", \"list\"]\n"
            ),
            evidence: &["rbac.token_create"],
            no_controls_reason: None,
            references: &[
                "https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/",
                GOOD_PRACTICES,
            ],
            pss: None,
        },
        check: Check::Inventory(permissions::check_token_create),
    },
    Rule {
        meta: RuleMeta {
            id: "RBAC009",
            name: "rbac-csr-approval",
            title: "Role can approve certificate signing requests for a built-in signer",
            area: Area::Rbac,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: RBAC_OBJECTS,
            rationale: "Approving a CertificateSigningRequest takes `update` on `certificatesigningrequests/approval` and `approve` on the signer (`signers`, by signer name or `<domain>/*`). For the signers the cluster signs itself (`kubernetes.io/kube-apiserver-client` above all), an approved CSR is a client certificate for any user and any group, `system:masters` included, valid until it expires and impossible to revoke. Reported when one role grants both for a `kubernetes.io/` signer, and when a subject's ClusterRoleBindings grant the two halves through different roles, an aggregated ClusterRole that gathers them from two roles included (reported on the binding that grants approve).",
            remediation: "Leave CSR approval to the controller manager's approvers; if a custom approver is needed, restrict approve to its own signer name with resourceNames.",
            example_fail: bound_cluster_role!(
                "  - apiGroups: [\"certificates.k8s.io\"]\n    resources: [\"certificatesigningrequests/approval\"]\n    verbs: [\"update\"]\n  - apiGroups: [\"certificates.k8s.io\"]\n    resources: [\"signers\"]\n    verbs: [\"approve\"]\n"
            ),
            example_pass: bound_cluster_role!(
                "  - apiGroups: [\"certificates.k8s.io\"]\n    resources: [\"certificatesigningrequests/approval\"]\n    verbs: [\"update\"]\n  - apiGroups: [\"certificates.k8s.io\"]\n    resources: [\"signers\"]\n    verbs: [\"approve\"]\n    resourceNames: [\"example.com/internal\"]\n"
            ),
            evidence: &["rbac.csr_approval"],
            no_controls_reason: None,
            references: &[
                "https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/#authorization",
            ],
            pss: None,
        },
        check: Check::Inventory(permissions::check_csr_approval),
    },
    Rule {
        meta: RuleMeta {
            id: "RBAC010",
            name: "rbac-admission-config-edit",
            title: "Role can create, change or delete admission webhooks or policies",
            area: Area::Rbac,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: RBAC_OBJECTS,
            rationale: "Validating and mutating webhook configurations, and validating and mutating admission policies and their bindings, decide what the API server admits. Whoever can write them can switch off the policy engine, or register a mutating webhook that receives every object sent to the API (Secrets included) and rewrites pods to run anything. Restricted with `resourceNames` to named configurations (an operator patching its own webhook's CA bundle) it is not reported.",
            remediation: "Remove create, update, patch and delete on admission configurations, or restrict them with resourceNames to the configurations the subject owns.",
            example_fail: bound_cluster_role!(
                "  - apiGroups: [\"admissionregistration.k8s.io\"]\n    resources: [\"mutatingwebhookconfigurations\"]\n    verbs: [\"patch\"]\n"
            ),
            example_pass: bound_cluster_role!(
                "  - apiGroups: [\"admissionregistration.k8s.io\"]\n    resources: [\"mutatingwebhookconfigurations\"]\n    verbs: [\"patch\"]\n    resourceNames: [\"ops-webhook\"]\n"
            ),
            evidence: &["rbac.webhook_config"],
            no_controls_reason: None,
            references: &[
                "https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/",
                GOOD_PRACTICES,
            ],
            pss: None,
        },
        check: Check::Inventory(permissions::check_webhook_edit),
    },
    Rule {
        meta: RuleMeta {
            id: "RBAC011",
            name: "binding-to-anonymous-or-all-authenticated",
            title: "Binding grants a role to anonymous users or to every authenticated identity",
            area: Area::Rbac,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: RBAC_OBJECTS,
            rationale: "`system:anonymous` and `system:unauthenticated` are every request without credentials (when anonymous authentication is on); `system:authenticated` is every identity the cluster authenticates, which includes every service account of every namespace and, on some managed clusters, any account of the cloud provider. A role bound to them is granted to everyone who can reach the API server. The default bindings Kubernetes and kubeadm create for discovery (`system:public-info-viewer`, `system:discovery`, `system:basic-user`, kube-public's `kubeadm:bootstrap-signer-clusterinfo`) are not reported.",
            remediation: "Bind the role to the specific users, groups or service accounts that need it instead of system:anonymous, system:unauthenticated or system:authenticated.",
            example_fail: cluster_binding!(
                "view",
                "{kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}"
            ),
            example_pass: cluster_binding!(
                "view",
                "{kind: Group, name: auditors, apiGroup: rbac.authorization.k8s.io}"
            ),
            evidence: &["rbac.apiserver_authz"],
            no_controls_reason: None,
            references: &[
                "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests",
                GOOD_PRACTICES,
            ],
            pss: None,
        },
        check: Check::Inventory(bindings::check_public_subjects),
    },
    Rule {
        meta: RuleMeta {
            id: "RBAC012",
            name: "cluster-binding-of-namespaced-role",
            title: "ClusterRoleBinding grants a role that covers namespaced resources only",
            area: Area::Rbac,
            severity: Severity::Low,
            scope: Scope::Inventory,
            reads: RBAC_OBJECTS,
            rationale: "A ClusterRoleBinding grants its role in every namespace, present and future, including kube-system. When the role names only namespaced resources (pods, deployments, configmaps...), RoleBindings in the namespaces that need it grant the same permissions with a smaller reach. Reported only when every resource of every rule is a known namespaced built-in resource; `*`, non-resource URLs, cluster-scoped kinds and custom resources are never assumed namespaced. A controller that truly works across all namespaces is the legitimate exception.",
            remediation: "Replace the ClusterRoleBinding with RoleBindings (which may still refer to the ClusterRole) in the namespaces the subject works in.",
            example_fail: bound_cluster_role!(
                "  - apiGroups: [\"apps\"]\n    resources: [\"deployments\"]\n    verbs: [\"get\", \"list\"]\n"
            ),
            example_pass: bound_cluster_role!(
                "  - apiGroups: [\"\"]\n    resources: [\"nodes\"]\n    verbs: [\"get\", \"list\"]\n"
            ),
            evidence: &["rbac.namespaced_over_cluster"],
            no_controls_reason: None,
            references: &[RBAC_DOC, GOOD_PRACTICES],
            pss: None,
        },
        check: Check::Inventory(bindings::check_cluster_binding_namespaced),
    },
    Rule {
        meta: RuleMeta {
            id: "RBAC013",
            name: "unused-role",
            title: "Role or ClusterRole is bound by no binding of the input",
            area: Area::Rbac,
            severity: Severity::Low,
            scope: Scope::Inventory,
            reads: RBAC_OBJECTS,
            rationale: "A role that nothing binds grants nothing today, but it is a permission set nobody reviews, ready to be bound by anyone with `bind`, and often the leftover of a removed component. Periodic access review means removing what is unused. A ClusterRole counts as used when an aggregated ClusterRole of the input selects it or when it carries an `rbac.authorization.k8s.io/aggregate-to-*` label; Kubernetes' own roles (`system:*`, cluster-admin, admin, edit, view) are never reported. Evaluated only when the input has bindings: roles defined apart from their bindings cannot be judged.",
            remediation: "Delete the role if nothing uses it, or add the binding that uses it to the same input.",
            example_fail: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: old-reader\n  namespace: shop\nrules:\n  - apiGroups: [\"\"]\n    resources: [\"configmaps\"]\n    verbs: [\"get\"]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: app\n  namespace: shop\nsubjects:\n  - kind: ServiceAccount\n    name: app\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\n",
            example_pass: bound_role!(
                "  - apiGroups: [\"\"]\n    resources: [\"configmaps\"]\n    verbs: [\"get\"]\n"
            ),
            evidence: &["rbac.access_review"],
            no_controls_reason: None,
            references: &[GOOD_PRACTICES],
            pss: None,
        },
        check: Check::Inventory(bindings::check_unused_roles),
    },
    Rule {
        meta: RuleMeta {
            id: "RBAC014",
            name: "binding-to-missing-role",
            title: "Binding refers to a role the input does not define",
            area: Area::Rbac,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: RBAC_OBJECTS,
            rationale: "A binding whose `roleRef` names a role that does not exist grants nothing, which usually means the deployment is broken, and grants whatever that role is given if someone creates it later, without anyone reviewing the binding again. A `Role` reference resolves in the binding's namespace only. Built-in ClusterRoles (cluster-admin, admin, edit, view, `system:*`) and kube-system's built-in Roles are not reported; a `roleRef.kind` other than Role or ClusterRole (or Role in a ClusterRoleBinding) is reported as the API server rejects it. Not evaluated when the input has no roles at all.",
            remediation: "Add the missing Role or ClusterRole to the input, fix the roleRef name and kind, or delete the binding.",
            example_fail: bound_role!(
                "  - apiGroups: [\"\"]\n    resources: [\"configmaps\"]\n    verbs: [\"get\"]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: typo\n  namespace: shop\nsubjects:\n  - kind: ServiceAccount\n    name: app\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: ap\n"
            ),
            example_pass: bound_role!(
                "  - apiGroups: [\"\"]\n    resources: [\"configmaps\"]\n    verbs: [\"get\"]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: viewer\n  namespace: shop\nsubjects:\n  - kind: ServiceAccount\n    name: app\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\n"
            ),
            evidence: &["rbac.access_review"],
            no_controls_reason: None,
            references: &[RBAC_DOC],
            pss: None,
        },
        check: Check::Inventory(bindings::check_missing_roles),
    },
    Rule {
        meta: RuleMeta {
            id: "RBAC015",
            name: "binding-to-missing-serviceaccount",
            title: "Binding grants a role to a ServiceAccount the input does not define",
            area: Area::Rbac,
            severity: Severity::Low,
            scope: Scope::Inventory,
            reads: RBAC_OBJECTS_AND_SERVICE_ACCOUNTS,
            rationale: "A binding to a service account that does not exist is dormant: whoever can create service accounts in that namespace can create one of that name and inherit the binding's permissions. To avoid reporting service accounts that other tools create, a subject is reported only when the input defines ServiceAccounts in the subject's namespace but not this one; the `default` service account, which every namespace has, is never reported. Not evaluated when the input has no ServiceAccounts.",
            remediation: "Add the ServiceAccount to the input next to its binding, fix the subject's name or namespace, or remove the subject.",
            example_fail: "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: shop\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: app\n  namespace: shop\nsubjects:\n  - kind: ServiceAccount\n    name: ap\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\n",
            example_pass: "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: shop\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: app\n  namespace: shop\nsubjects:\n  - kind: ServiceAccount\n    name: app\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\n",
            evidence: &["rbac.access_review"],
            no_controls_reason: None,
            references: &["https://kubernetes.io/docs/concepts/security/service-accounts/"],
            pss: None,
        },
        check: Check::Inventory(bindings::check_missing_service_accounts),
    },
];

#[cfg(test)]
mod tests {
    use palisade_loader::{Limits, load_str};
    use palisade_model::Inventory;

    use crate::engine::{Coverage, evaluate};
    use crate::registry;
    use crate::settings::Settings;

    fn run(id: &str, yaml: &str) -> crate::engine::Evaluation {
        let loaded = load_str("t.yaml", yaml, &Limits::default());
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let inventory = Inventory::new(loaded.objects).complete(true);
        let settings = Settings::default();
        evaluate(&inventory, &[registry::find(id).unwrap()], &settings)
    }

    const AGGREGATED: &str = "\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: piece
  labels: {example.com/agg: \"true\"}
rules:
  - apiGroups: [\"\"]
    resources: [\"secrets\"]
    verbs: [\"list\"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: whole}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {example.com/agg: \"true\"}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: direct, namespace: shop}
subjects: [{kind: ServiceAccount, name: app}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: piece}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: via}
subjects: [{kind: User, name: alice}, {kind: Group, name: ops}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: whole}
";

    #[test]
    fn role_findings_list_the_bindings_that_grant_them_through_aggregation() {
        let eval = run("RBAC004", AGGREGATED);
        assert_eq!(eval.findings.len(), 1, "{:?}", eval.findings);
        let f = &eval.findings[0];
        assert_eq!(f.object.name, "piece");
        assert_eq!(f.location.path.to_string(), "rules[0].verbs[0]");
        let related: Vec<String> = f.related.iter().map(|r| r.message.to_string()).collect();
        assert_eq!(
            related,
            [
                "granted in namespace \"shop\" by RoleBinding \"direct\" to ServiceAccount \"shop/app\"",
                "granted cluster-wide through aggregated ClusterRole \"whole\" by ClusterRoleBinding \"via\" to User \"alice\", Group \"ops\"",
            ]
        );
    }

    #[test]
    fn rules_are_not_evaluated_without_the_objects_they_need() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i}]}\n";
        for rule in super::RULES {
            let eval = run(rule.meta.id, pod);
            assert!(
                matches!(eval.runs[0].coverage, Coverage::NotEvaluated { .. }),
                "{}",
                rule.meta.id
            );
        }
        // Roles without bindings: the unused-role rule cannot judge.
        let only_role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: a}\nrules: []\n";
        let eval = run("RBAC013", only_role);
        assert!(matches!(
            eval.runs[0].coverage,
            Coverage::NotEvaluated { .. }
        ));
        assert!(eval.findings.is_empty());
        // Bindings without roles: missing roles are not judged either.
        let only_binding = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: a}\nsubjects: [{kind: User, name: u}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: nope}\n";
        let eval = run("RBAC014", only_binding);
        assert!(matches!(
            eval.runs[0].coverage,
            Coverage::NotEvaluated { .. }
        ));
        assert!(eval.findings.is_empty());
        // The aggregated role and its piece are both in use.
        let eval = run("RBAC013", AGGREGATED);
        assert!(matches!(eval.runs[0].coverage, Coverage::Checked { .. }));
        assert!(eval.findings.is_empty(), "{:?}", eval.findings);
    }
}
