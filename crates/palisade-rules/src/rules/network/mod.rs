//! Rules of the `network` area (NET001-NET007): Kubernetes NetworkPolicies.
//!
//! `policy` holds the exact `networking.k8s.io/v1` selection semantics; `isolation` the
//! per-namespace and per-workload isolation rules (NET001-NET004); `exposure` the rules
//! about what individual policies allow or select (NET005-NET007).
//!
//! Which namespaces are checked for isolation: those with workloads in the input, those
//! with NetworkPolicies in the input, and regulated namespaces whose Namespace object is in
//! the input. A namespace that only appears as the implicit `default` of some other object
//! is not, so a manifest without `metadata.namespace` does not produce findings about
//! `default`.

mod exposure;
mod isolation;
pub(crate) mod policy;

use std::collections::BTreeSet;

use palisade_model::{FieldPath, ObjectRef};

use crate::context::{InventoryCtx, Sink};
use crate::rule::Rule;

/// This area's rules, in ID order.
pub static RULES: &[Rule] = &{
    let [net001, net002, net003, net004] = isolation::RULES;
    let [net005, net006, net007] = exposure::RULES;
    [net001, net002, net003, net004, net005, net006, net007]
};

pub(crate) const NETPOL_DOC: &str =
    "https://kubernetes.io/docs/concepts/services-networking/network-policies/";
pub(crate) const NETPOL_API: &str =
    "https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/";

/// True when the input has neither workloads nor NetworkPolicies: the network rules have
/// nothing to judge (a compliance view must not show them as passed).
pub(crate) fn nothing_to_evaluate(ctx: &InventoryCtx<'_>, pods: &[policy::PodRef<'_>]) -> bool {
    pods.is_empty()
        && !ctx
            .inventory
            .of_kind("NetworkPolicy")
            .any(policy::is_network_policy)
}

pub(crate) const NOTHING_TO_EVALUATE: &str = "the input has no workloads and no NetworkPolicies";

/// The namespaces whose isolation is checked (see the module header).
pub(crate) fn scoped_namespaces<'a>(
    ctx: &InventoryCtx<'a>,
    pods: &[policy::PodRef<'a>],
    policies: &[policy::NetworkPolicy<'a>],
) -> BTreeSet<&'a str> {
    let mut names: BTreeSet<&'a str> = pods.iter().map(|p| p.namespace).collect();
    names.extend(policies.iter().map(|p| p.namespace));
    names.extend(
        ctx.inventory
            .of_kind("Namespace")
            .filter(|o| o.id.api_version == "v1")
            .map(|o| o.id.name.as_str())
            .filter(|n| ctx.is_regulated(n)),
    );
    names
}

/// Reports about namespace `name`: on its Namespace object when the input has it, else as
/// an absent subject.
pub(crate) fn report_namespace<'s>(
    ctx: &InventoryCtx<'_>,
    sink: &'s mut Sink,
    name: &str,
    message: String,
) -> &'s mut crate::finding::Finding {
    match ctx.inventory.namespace(name) {
        Some(ns) => sink.report(ns, FieldPath::parse("metadata.name"), message),
        None => sink.report_absent(ObjectRef::namespace_named(name), message),
    }
}
