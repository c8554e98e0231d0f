//! NET005-NET007: what one NetworkPolicy allows or selects.
//!
//! NET005 (egress to any address) and NET006 (ingress from all namespaces) look at the
//! rules that take effect (a rule of a direction missing from the effective `policyTypes`
//! is ignored by Kubernetes and here), in regulated namespaces only: `kube-system` needs
//! ingress from every namespace for DNS, and a finding there would be noise.
//!
//! NET005 reports an `ipBlock` of a whole address family (`0.0.0.0/0`, `::/0`) without
//! `except`, whatever its ports (the author wrote "the internet"), and a rule with neither
//! `to` nor `ports` (all destinations, all ports). A rule with no `to` but with `ports` is
//! the usual "DNS anywhere" allowance and is not reported.
//!
//! NET006 reports a peer selecting every pod of every namespace (`namespaceSelector: {}`
//! without a narrowing `podSelector`), an `ipBlock` of a whole address family without
//! `except`, and a rule without `from` (every source), whatever the ports.
//!
//! NET007 reports a policy whose `podSelector` matches none of the workloads of its
//! namespace, when the input has workloads there (otherwise the input does not show what
//! the policy is for).

use palisade_model::FieldPath;

use super::{NETPOL_API, NETPOL_DOC};
use crate::context::ObjectCtx;
use crate::models::network_policy::{
    self as policy, Direction, NetworkPolicy, Peer, PolicyRule, pods_in,
};
use crate::rule::{Area, Check, Input, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

pub(super) const RULES: [Rule; 3] = [
    Rule {
        meta: RuleMeta {
            id: "NET005",
            name: "egress-to-any-address",
            title: "NetworkPolicy allows egress to every IP address",
            area: Area::Network,
            severity: Severity::Medium,
            scope: Scope::Kinds(policy::KINDS),
            reads: &[Input::kind("", "Namespace")],
            rationale: "An egress rule to `0.0.0.0/0` or `::/0` without `except`, or an egress rule with neither `to` nor `ports`, lets the selected pods reach any address: the internet for exfiltration, the cloud metadata endpoint (169.254.169.254) for node credentials, every service of the cluster. It defeats the egress allowlist that a default deny is meant to establish.",
            remediation: "Allow only the destinations the workload needs (CIDRs of its external services, selected namespaces and pods), or at least exclude the metadata endpoint and private ranges with `except`.",
            example_fail: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-egress\n  namespace: payments\nspec:\n  podSelector:\n    matchLabels: {app: api}\n  policyTypes: [Egress]\n  egress:\n    - to:\n        - ipBlock:\n            cidr: 0.0.0.0/0\n      ports:\n        - {port: 443, protocol: TCP}\n",
            example_pass: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-egress\n  namespace: payments\nspec:\n  podSelector:\n    matchLabels: {app: api}\n  policyTypes: [Egress]\n  egress:\n    - to:\n        - ipBlock:\n            cidr: 0.0.0.0/0\n            except: [169.254.169.254/32, 10.0.0.0/8]\n      ports:\n        - {port: 443, protocol: TCP}\n",
            evidence: &["net.default_deny_egress"],
            no_controls_reason: None,
            references: &[NETPOL_DOC, NETPOL_API],
            pss: None,
        },
        check: Check::Object(check_egress_any),
    },
    Rule {
        meta: RuleMeta {
            id: "NET006",
            name: "ingress-from-all-namespaces",
            title: "NetworkPolicy allows ingress from every namespace",
            area: Area::Network,
            severity: Severity::Medium,
            scope: Scope::Kinds(policy::KINDS),
            reads: &[Input::kind("", "Namespace")],
            rationale: "An ingress rule without `from`, with a `namespaceSelector: {}` peer that does not narrow pods, or with an `ipBlock` of `0.0.0.0/0` or `::/0`, lets every pod of every namespace (and for the last two, any address) reach the selected pods. In a regulated namespace this removes the tenancy boundary: a compromise anywhere in the cluster reaches the regulated workload.",
            remediation: "Name the namespaces (`namespaceSelector` with `kubernetes.io/metadata.name`) and pods (`podSelector`) that must reach the workload, for example the ingress controller's.",
            example_fail: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-ingress\n  namespace: payments\nspec:\n  podSelector:\n    matchLabels: {app: api}\n  ingress:\n    - from:\n        - namespaceSelector: {}\n",
            example_pass: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-ingress\n  namespace: payments\nspec:\n  podSelector:\n    matchLabels: {app: api}\n  ingress:\n    - from:\n        - namespaceSelector:\n            matchLabels: {kubernetes.io/metadata.name: ingress-nginx}\n          podSelector:\n            matchLabels: {app.kubernetes.io/name: ingress-nginx}\n",
            evidence: &["net.namespace_isolation", "net.default_deny_ingress"],
            no_controls_reason: None,
            references: &[NETPOL_DOC, NETPOL_API],
            pss: None,
        },
        check: Check::Object(check_ingress_all_namespaces),
    },
    Rule {
        meta: RuleMeta {
            id: "NET007",
            name: "network-policy-selects-nothing",
            title: "NetworkPolicy selects none of its namespace's workloads",
            area: Area::Network,
            severity: Severity::Low,
            scope: Scope::Kinds(policy::KINDS),
            reads: &[Input::Workloads],
            rationale: "A policy whose `podSelector` matches no pod protects nothing: a label was renamed, the selector has a typo, or the workload moved. The workload it was written for is usually left unisolated, while reviewers believe it is covered.",
            remediation: "Fix the `podSelector` to match the pod template labels of the workload it is meant for, or delete the stale policy.",
            example_fail: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-ingress\n  namespace: payments\nspec:\n  podSelector:\n    matchLabels: {app: apl}\n  policyTypes: [Ingress]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: payments\n  labels: {app: api}\nspec:\n  containers:\n    - name: api\n      image: registry.example.com/api:1.0\n",
            example_pass: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-ingress\n  namespace: payments\nspec:\n  podSelector:\n    matchLabels: {app: api}\n  policyTypes: [Ingress]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: payments\n  labels: {app: api}\nspec:\n  containers:\n    - name: api\n      image: registry.example.com/api:1.0\n",
            evidence: &["net.namespace_isolation"],
            no_controls_reason: None,
            references: &[NETPOL_DOC],
            pss: None,
        },
        check: Check::Object(check_selects_nothing),
    },
];

/// The policy, when valid and in a regulated namespace.
fn regulated_policy<'a>(ctx: &ObjectCtx<'a>) -> Option<NetworkPolicy<'a>> {
    let policy = NetworkPolicy::parse(ctx.object).ok()?;
    ctx.is_regulated().then_some(policy)
}

fn family(peer: &Peer) -> &'static str {
    match peer {
        Peer::IpBlock { cidr, .. } if cidr.addr.is_ipv4() => "every IPv4 address",
        _ => "every IPv6 address",
    }
}

fn ports(rule: &PolicyRule) -> &'static str {
    if rule.ports_restricted {
        "on the listed ports"
    } else {
        "on every port"
    }
}

fn check_egress_any(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Some(policy) = regulated_policy(ctx) else {
        return;
    };
    let d = Direction::Egress;
    for rule in policy.rules(d) {
        if rule.any_peer() && !rule.ports_restricted {
            sink.report(
                ctx.object,
                NetworkPolicy::rule_path(d, rule),
                format!(
                    "egress rule {} has no `to` and no `ports`: the selected pods may connect to every address on every port",
                    rule.index
                ),
            );
        }
        for (i, peer) in &rule.peers {
            if let Peer::IpBlock { cidr_text, .. } = peer
                && peer.is_any_address()
            {
                sink.report(
                    ctx.object,
                    NetworkPolicy::peer_path(d, rule, *i)
                        .key("ipBlock")
                        .key("cidr"),
                    format!(
                        "egress rule {} allows {} (ipBlock.cidr {cidr_text:?} without except) {}",
                        rule.index,
                        family(peer),
                        ports(rule)
                    ),
                );
            }
        }
    }
}

fn check_ingress_all_namespaces(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Some(policy) = regulated_policy(ctx) else {
        return;
    };
    let d = Direction::Ingress;
    for rule in policy.rules(d) {
        if rule.any_peer() {
            let path = NetworkPolicy::rule_path(d, rule);
            let (path, what) = if rule.peers_written {
                (path.key("from"), "an empty `from`")
            } else {
                (path, "no `from`")
            };
            sink.report(
                ctx.object,
                path,
                format!(
                    "ingress rule {} has {what}: the selected pods accept connections from every namespace and every address {}",
                    rule.index,
                    ports(rule)
                ),
            );
        }
        for (i, peer) in &rule.peers {
            let peer_path = NetworkPolicy::peer_path(d, rule, *i);
            if peer.is_all_namespaces() {
                sink.report(
                    ctx.object,
                    peer_path.key("namespaceSelector"),
                    format!(
                        "ingress rule {} allows every pod of every namespace (namespaceSelector: {{}} without a narrowing podSelector) {}",
                        rule.index,
                        ports(rule)
                    ),
                );
            } else if let Peer::IpBlock { cidr_text, .. } = peer
                && peer.is_any_address()
            {
                sink.report(
                    ctx.object,
                    peer_path.key("ipBlock").key("cidr"),
                    format!(
                        "ingress rule {} allows {} (ipBlock.cidr {cidr_text:?} without except) {}",
                        rule.index,
                        family(peer),
                        ports(rule)
                    ),
                );
            }
        }
    }
}

fn check_selects_nothing(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Ok(policy) = NetworkPolicy::parse(ctx.object) else {
        return;
    };
    if policy.pod_selector.is_empty() {
        return;
    }
    // Only this namespace's workloads: building every workload of the input for each
    // policy made the rule quadratic (30 s for 2,000 policies among 38,000 objects).
    let here = pods_in(ctx.inventory, &ctx.settings.locator, policy.namespace);
    if here.is_empty() || here.iter().any(|p| policy.selects(p.namespace, &p.labels)) {
        return;
    }
    let count = here.len();
    sink.report(
        ctx.object,
        FieldPath::parse("spec.podSelector"),
        format!(
            "podSelector {} matches none of the {count} workload(s) of namespace {:?} in the input",
            policy.pod_selector, policy.namespace
        ),
    );
}
