//! NET001-NET004: is every namespace default-deny, and is every workload isolated?
//!
//! NET001/NET002 report a namespace without a default-deny policy for ingress/egress (see
//! `NetworkPolicy::is_default_deny`: a namespace-wide policy of that type none of whose
//! rules lets all traffic through, so "deny all egress but DNS" counts).
//!
//! NET003/NET004 report workloads no policy of that type selects, so their pods accept
//! (send) any traffic. Double reporting with NET001/NET002 is avoided by construction:
//! they only look at namespaces that have at least one policy of that type. A namespace
//! with none is wholly open and NET001/NET002 say so once, on the namespace; listing each
//! of its workloads again would add nothing. A namespace with a default deny selects every
//! pod, so NET003/NET004 report nothing there. What remains is the partly covered
//! namespace: NET001/NET002 name the missing baseline, NET003/NET004 the workloads that
//! are actually open. Pods with `hostNetwork: true` are skipped: NetworkPolicy does not
//! apply to them reliably (the behaviour is implementation-defined), so selecting them
//! would not help.

use palisade_model::FieldPath;

use super::{NETPOL_API, NETPOL_DOC, NOTHING_TO_EVALUATE, nothing_to_evaluate, scoped_namespaces};
use crate::context::InventoryCtx;
use crate::models::network_policy::{Direction, NetworkPolicy, PodRef, is_isolated};
use crate::rule::{Area, Check, Input, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

const DEPLOYMENT: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: payments
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: payments
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0
";

/// What the isolation rules read: the NetworkPolicies (in both groups they were served
/// from), the Namespaces (regulated by label; the objects findings are reported on) and the
/// workloads whose pods the policies select.
const ISOLATION_READS: &[Input] = &[
    Input::kind("networking.k8s.io", "NetworkPolicy"),
    Input::kind("extensions", "NetworkPolicy"),
    Input::kind("", "Namespace"),
    Input::Workloads,
];

pub(super) const RULES: [Rule; 4] = [
    Rule {
        meta: RuleMeta {
            id: "NET001",
            name: "missing-default-deny-ingress",
            title: "Namespace has no default-deny ingress NetworkPolicy",
            area: Area::Network,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: ISOLATION_READS,
            rationale: "Pods accept traffic from anywhere until a NetworkPolicy with the Ingress type selects them. A namespace-wide default deny (`podSelector: {}`, `policyTypes: [Ingress]`, no rule that allows everything) makes every pod, including ones added later, reachable only through explicit allow rules. Without it, any compromised pod in the cluster can reach every service of the namespace, which is the lateral movement that network segmentation requirements (PCI DSS 1.3, CIS 5.3.2) are meant to stop.",
            remediation: "Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress]` to the namespace, then allow the traffic each workload needs with further policies.",
            example_fail: DEPLOYMENT,
            example_pass: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-ingress\n  namespace: payments\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n",
            evidence: &["net.default_deny_ingress"],
            no_controls_reason: None,
            references: &[NETPOL_DOC, NETPOL_API],
            pss: None,
        },
        check: Check::Inventory(check_default_deny_ingress),
    },
    Rule {
        meta: RuleMeta {
            id: "NET002",
            name: "missing-default-deny-egress",
            title: "Namespace has no default-deny egress NetworkPolicy",
            area: Area::Network,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: ISOLATION_READS,
            rationale: "Pods may connect anywhere until a NetworkPolicy with the Egress type selects them: to other namespaces, to the cloud metadata endpoint and its credentials, to the internet for exfiltration or command and control. A namespace-wide default deny for egress (`podSelector: {}`, `policyTypes: [Egress]`, typically allowing DNS only) turns outbound traffic into an allowlist.",
            remediation: "Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Egress]` to the namespace (allowing DNS to kube-system if needed), then allow each workload's destinations explicitly.",
            example_fail: DEPLOYMENT,
            example_pass: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-egress\n  namespace: payments\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n    - to:\n        - namespaceSelector:\n            matchLabels: {kubernetes.io/metadata.name: kube-system}\n      ports:\n        - {port: 53, protocol: UDP}\n",
            evidence: &["net.default_deny_egress"],
            no_controls_reason: None,
            references: &[NETPOL_DOC, NETPOL_API],
            pss: None,
        },
        check: Check::Inventory(check_default_deny_egress),
    },
    Rule {
        meta: RuleMeta {
            id: "NET003",
            name: "workload-not-isolated-for-ingress",
            title: "Workload is selected by no ingress NetworkPolicy",
            area: Area::Network,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: ISOLATION_READS,
            rationale: "In a namespace that uses NetworkPolicies but has no default deny, a workload that no Ingress policy selects accepts connections from every pod in the cluster and from outside it. Usually its labels do not match the selector its authors meant to cover it, or it was added after the policies were written.",
            remediation: "Select the workload with an Ingress NetworkPolicy that allows only its clients, or add a namespace-wide default-deny ingress policy.",
            example_fail: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web\n  namespace: payments\nspec:\n  podSelector:\n    matchLabels: {app: web}\n  ingress:\n    - from:\n        - podSelector: {}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: payments\nspec:\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers:\n        - name: api\n          image: registry.example.com/api:1.0\n",
            example_pass: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api\n  namespace: payments\nspec:\n  podSelector:\n    matchLabels: {app: api}\n  ingress:\n    - from:\n        - podSelector:\n            matchLabels: {app: web}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: payments\nspec:\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers:\n        - name: api\n          image: registry.example.com/api:1.0\n",
            evidence: &["net.default_deny_ingress", "net.namespace_isolation"],
            no_controls_reason: None,
            references: &[NETPOL_DOC, NETPOL_API],
            pss: None,
        },
        check: Check::Inventory(check_isolated_ingress),
    },
    Rule {
        meta: RuleMeta {
            id: "NET004",
            name: "workload-not-isolated-for-egress",
            title: "Workload is selected by no egress NetworkPolicy",
            area: Area::Network,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: ISOLATION_READS,
            rationale: "In a namespace that restricts egress for some workloads but has no default deny, a workload that no Egress policy selects may connect anywhere: other namespaces, the cloud metadata endpoint, the internet. The gap is easy to miss because the namespace looks covered.",
            remediation: "Select the workload with an Egress NetworkPolicy that allows only its destinations, or add a namespace-wide default-deny egress policy.",
            example_fail: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web-egress\n  namespace: payments\nspec:\n  podSelector:\n    matchLabels: {app: web}\n  policyTypes: [Egress]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: payments\n  labels: {app: api}\nspec:\n  containers:\n    - name: api\n      image: registry.example.com/api:1.0\n",
            example_pass: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-egress\n  namespace: payments\nspec:\n  podSelector:\n    matchLabels: {app: api}\n  policyTypes: [Egress]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: payments\n  labels: {app: api}\nspec:\n  containers:\n    - name: api\n      image: registry.example.com/api:1.0\n",
            evidence: &["net.default_deny_egress", "net.namespace_isolation"],
            no_controls_reason: None,
            references: &[NETPOL_DOC, NETPOL_API],
            pss: None,
        },
        check: Check::Inventory(check_isolated_egress),
    },
];

fn check_default_deny_ingress(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    check_default_deny(ctx, sink, Direction::Ingress);
}

fn check_default_deny_egress(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    check_default_deny(ctx, sink, Direction::Egress);
}

fn check_isolated_ingress(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    check_isolated(ctx, sink, Direction::Ingress);
}

fn check_isolated_egress(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    check_isolated(ctx, sink, Direction::Egress);
}

fn verb(direction: Direction) -> &'static str {
    match direction {
        Direction::Ingress => "accept connections from",
        Direction::Egress => "connect to",
    }
}

fn check_default_deny(ctx: &InventoryCtx<'_>, sink: &mut Sink, direction: Direction) {
    let pods = ctx.network_pods();
    if nothing_to_evaluate(ctx, pods) {
        sink.not_evaluated(NOTHING_TO_EVALUATE);
        return;
    }
    let policies = ctx.network_policies();
    let mut scoped = scoped_namespaces(ctx, pods, policies);
    if !ctx.inventory.facts().complete {
        // On partial input, only namespaces whose network configuration the input owns:
        // it defines the Namespace or has NetworkPolicies in it.
        scoped.retain(|ns| {
            ctx.inventory.namespace(ns).is_some() || policies.iter().any(|p| p.namespace == *ns)
        });
        if scoped.is_empty() {
            sink.not_evaluated(crate::context::PARTIAL_INPUT);
            return;
        }
    }
    for ns in scoped {
        let here: Vec<&NetworkPolicy<'_>> = policies.iter().filter(|p| p.namespace == ns).collect();
        if here.iter().any(|p| p.is_default_deny(direction)) {
            continue;
        }
        let d = direction.as_str();
        let mut message = format!(
            "namespace {ns:?} has no default-deny {d} NetworkPolicy (podSelector: {{}} with policyTypes including {d} and no rule that allows all traffic)"
        );
        let in_ns: Vec<&PodRef<'_>> = pods.iter().filter(|p| p.namespace == ns).collect();
        let open = in_ns
            .iter()
            .filter(|p| !is_isolated(policies, p, direction))
            .count();
        if !in_ns.is_empty() {
            message.push_str(&format!(
                "; {open} of its {} workload(s) in the input can {} any address",
                in_ns.len(),
                verb(direction)
            ));
        }
        // Namespace-wide policies that would be the default deny but for an allow-all rule.
        let allow_all: Vec<(&NetworkPolicy<'_>, FieldPath)> = here
            .iter()
            .filter(|p| p.pod_selector.is_empty())
            .flat_map(|p| {
                p.rules(direction)
                    .iter()
                    .filter(|r| r.allows_everything())
                    .map(move |r| (*p, NetworkPolicy::rule_path(direction, r)))
            })
            .collect();
        let finding = ctx.report_namespace(sink, ns, message);
        for (p, path) in allow_all {
            finding.with_related(
                p.object,
                [path],
                "this namespace-wide rule allows all traffic, so the policy is no default deny",
            );
        }
    }
}

fn check_isolated(ctx: &InventoryCtx<'_>, sink: &mut Sink, direction: Direction) {
    let pods = ctx.network_pods();
    if pods.is_empty() {
        sink.not_evaluated("the input has no workloads");
        return;
    }
    let policies = ctx.network_policies();
    let d = direction.as_str();
    for pod in pods.iter().filter(|p| !p.host_network) {
        let typed = policies
            .iter()
            .filter(|p| p.namespace == pod.namespace && p.has_type(direction))
            .count();
        // No policy of this type in the namespace: NET001/NET002 report it once.
        if typed == 0 || is_isolated(policies, pod, direction) {
            continue;
        }
        let id = &pod.object.id;
        sink.report(
            pod.object,
            pod.labels_path.clone(),
            format!(
                "{} {:?} is selected by none of the {typed} NetworkPolicies with policyTypes {d} in namespace {:?}, and the namespace has no default deny: its pods can {} any address",
                id.kind,
                id.name,
                pod.namespace,
                verb(direction)
            ),
        );
    }
}
