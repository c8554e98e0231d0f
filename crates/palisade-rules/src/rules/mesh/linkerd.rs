//! MESH008-MESH009: Linkerd proxy injection and default inbound policy.
//!
//! Linkerd injects its proxy into pods whose template or namespace carries
//! `linkerd.io/inject: enabled` (or `ingress`); `disabled` on the pod template opts out,
//! and on a namespace keeps its pods out. `config.linkerd.io/default-inbound-policy` on a
//! namespace or pod template overrides the cluster default (`proxy.defaultInboundPolicy`,
//! itself `all-unauthenticated` unless set at install): `all-unauthenticated`,
//! `cluster-unauthenticated` and `audit` (allows everything, flagged in metrics) admit
//! clients without a mesh identity; `all-authenticated`, `cluster-authenticated` and `deny`
//! do not. The install-time default is not in manifests and is not judged.
//!
//! "Linkerd in use" means an object of a `linkerd.io` group, an enabling `linkerd.io/inject`
//! annotation, or any `config.linkerd.io/` annotation on a namespace or pod template.

use palisade_model::Object;

use super::{annotation_path, regulated_namespaces};
use crate::context::InventoryCtx;
use crate::models::mesh::MeshPod;
use crate::rule::{Area, Check, Input, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

const INJECT: &str = "linkerd.io/inject";
const INBOUND: &str = "config.linkerd.io/default-inbound-policy";
const POLICY_DOC: &str = "https://linkerd.io/2/reference/authorization-policy/";
const INJECT_DOC: &str = "https://linkerd.io/2/features/proxy-injection/";
const NO_LINKERD: &str = "the input shows no sign of Linkerd (no linkerd.io resources, linkerd.io/inject or config.linkerd.io annotations)";

/// What the Linkerd rules read: every resource of a Linkerd group (any says Linkerd is in
/// use), the Namespaces and the workloads (their injection and policy annotations).
const LINKERD_READS: &[Input] = &[
    Input::Group("linkerd.io"),
    Input::GroupsUnder("linkerd.io"),
    Input::kind("", "Namespace"),
    Input::Workloads,
];

pub(super) const RULES: [Rule; 2] = [
    Rule {
        meta: RuleMeta {
            id: "MESH008",
            name: "linkerd-injection-disabled",
            title: "Linkerd proxy injection is disabled in a regulated namespace",
            area: Area::Mesh,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: LINKERD_READS,
            rationale: "Pods without the Linkerd proxy get no mutual TLS and no Linkerd authorization policy: their traffic is plaintext and any client can reach them. `linkerd.io/inject: disabled` on a regulated namespace or workload silently removes the encryption in transit the mesh is relied on for.",
            remediation: "Remove `linkerd.io/inject: disabled` (set `enabled` on the namespace) so the pods are injected; move workloads that cannot run the proxy out of the regulated namespace.",
            example_fail: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  annotations:\n    linkerd.io/inject: enabled\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: payments\nspec:\n  template:\n    metadata:\n      annotations:\n        linkerd.io/inject: disabled\n    spec:\n      containers:\n        - name: api\n          image: registry.example.com/api:1.0\n",
            example_pass: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  annotations:\n    linkerd.io/inject: enabled\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: payments\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: registry.example.com/api:1.0\n",
            evidence: &["net.mesh_mtls_strict"],
            no_controls_reason: None,
            references: &[INJECT_DOC],
            pss: None,
        },
        check: Check::Inventory(check_injection_disabled),
    },
    Rule {
        meta: RuleMeta {
            id: "MESH009",
            name: "linkerd-inbound-policy-unauthenticated",
            title: "Linkerd default inbound policy admits unauthenticated clients",
            area: Area::Mesh,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: LINKERD_READS,
            rationale: "`config.linkerd.io/default-inbound-policy` decides what meshed pods accept when no Server or AuthorizationPolicy covers a port. `all-unauthenticated`, `cluster-unauthenticated` and `audit` accept plaintext connections from clients without a mesh identity, so the mesh neither encrypts nor authenticates that traffic. Regulated namespaces should use `deny` and allow callers explicitly.",
            remediation: "Set `config.linkerd.io/default-inbound-policy: deny` (at least `cluster-authenticated`) and allow each caller with Server and AuthorizationPolicy resources.",
            example_fail: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  annotations:\n    linkerd.io/inject: enabled\n    config.linkerd.io/default-inbound-policy: all-unauthenticated\n",
            example_pass: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  annotations:\n    linkerd.io/inject: enabled\n    config.linkerd.io/default-inbound-policy: deny\n",
            evidence: &["net.mesh_authorization_policies", "net.mesh_mtls_strict"],
            no_controls_reason: None,
            references: &[POLICY_DOC],
            pss: None,
        },
        check: Check::Inventory(check_inbound_policy),
    },
];

fn namespace_annotation<'a>(ns: &'a Object, key: &str) -> Option<&'a str> {
    ns.annotation(key)
}

fn has_linkerd_annotations<'a>(
    mut annotations: impl Iterator<Item = (&'a str, Option<&'a str>)>,
) -> bool {
    annotations.any(|(k, v)| {
        k.starts_with("config.linkerd.io/")
            || (k == INJECT && matches!(v, Some("enabled" | "ingress")))
    })
}

fn object_annotations(o: &Object) -> impl Iterator<Item = (&str, Option<&str>)> {
    o.root()
        .get_in(&["metadata", "annotations"])
        .and_then(|a| a.as_map())
        .into_iter()
        .flatten()
        .map(|(k, v)| (k, v.as_str()))
}

fn pod_annotations<'a>(pod: &MeshPod<'a>) -> impl Iterator<Item = (&'a str, Option<&'a str>)> {
    pod.metadata
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.as_map())
        .into_iter()
        .flatten()
        .map(|(k, v)| (k, v.as_str()))
}

/// The mesh's pods when Linkerd is in use (decided once per evaluation); otherwise
/// records the rule as not evaluated.
fn linkerd_pods<'a>(ctx: &InventoryCtx<'a>, sink: &mut Sink) -> Option<&'a [MeshPod<'a>]> {
    let pods = ctx.mesh_pods();
    if *ctx
        .views
        .linkerd_in_use
        .get_or_init(|| linkerd_in_use(ctx, pods))
    {
        Some(pods)
    } else {
        sink.not_evaluated(NO_LINKERD);
        None
    }
}

pub(crate) fn linkerd_in_use(ctx: &InventoryCtx<'_>, pods: &[MeshPod<'_>]) -> bool {
    let group = |o: &Object| {
        let g = o.id.group();
        g == "linkerd.io" || g.ends_with(".linkerd.io")
    };
    ctx.inventory.objects().iter().any(group)
        || ctx
            .inventory
            .of_kind("Namespace")
            .any(|ns| has_linkerd_annotations(object_annotations(ns)))
        || pods
            .iter()
            .any(|p| has_linkerd_annotations(pod_annotations(p)))
}

fn check_injection_disabled(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let Some(pods) = linkerd_pods(ctx, sink) else {
        return;
    };
    let regulated = regulated_namespaces(ctx, pods);
    for ns in regulated.iter().filter_map(|n| ctx.inventory.namespace(n)) {
        if namespace_annotation(ns, INJECT) == Some("disabled") {
            sink.report(
                ns,
                annotation_path(INJECT),
                format!(
                    "regulated namespace {:?} has linkerd.io/inject: disabled: its pods run without the Linkerd proxy, so their traffic gets no mutual TLS or authorization policy",
                    ns.id.name
                ),
            );
        }
    }
    for pod in pods.iter().filter(|p| regulated.contains(p.namespace)) {
        if pod.annotation(INJECT) == Some("disabled") {
            let id = &pod.object.id;
            sink.report(
                pod.object,
                pod.annotation_path(INJECT),
                format!(
                    "{} {:?} in regulated namespace {:?} sets linkerd.io/inject: disabled: its pods run without the Linkerd proxy, so their traffic gets no mutual TLS or authorization policy",
                    id.kind, id.name, pod.namespace
                ),
            );
        }
    }
}

/// The values that admit clients without a mesh identity.
fn unauthenticated(value: &str) -> bool {
    matches!(
        value,
        "all-unauthenticated" | "cluster-unauthenticated" | "audit"
    )
}

fn advice(regulated: bool) -> &'static str {
    if regulated {
        "a regulated namespace should use deny and allow callers explicitly"
    } else {
        "use deny, or at least cluster-authenticated"
    }
}

fn check_inbound_policy(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let Some(pods) = linkerd_pods(ctx, sink) else {
        return;
    };
    for ns in ctx
        .inventory
        .of_kind("Namespace")
        .filter(|o| o.id.api_version == "v1")
    {
        if let Some(value) = namespace_annotation(ns, INBOUND).filter(|v| unauthenticated(v)) {
            sink.report(
                ns,
                annotation_path(INBOUND),
                format!(
                    "namespace {:?} sets {INBOUND}: {value}: its meshed pods accept clients without a mesh identity, in plaintext; {}",
                    ns.id.name,
                    advice(ctx.is_regulated(&ns.id.name))
                ),
            );
        }
    }
    for pod in pods {
        if let Some(value) = pod.annotation(INBOUND).filter(|v| unauthenticated(v)) {
            let id = &pod.object.id;
            sink.report(
                pod.object,
                pod.annotation_path(INBOUND),
                format!(
                    "{} {:?} sets {INBOUND}: {value}: its pods accept clients without a mesh identity, in plaintext; {}",
                    id.kind,
                    id.name,
                    advice(ctx.is_regulated(pod.namespace))
                ),
            );
        }
    }
}
