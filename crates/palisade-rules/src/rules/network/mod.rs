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

use std::collections::BTreeSet;

use crate::context::InventoryCtx;
use crate::models::network_policy::{self as policy, NetworkPolicy, PodRef};
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
pub(crate) fn nothing_to_evaluate(ctx: &InventoryCtx<'_>, pods: &[PodRef<'_>]) -> bool {
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
    pods: &[PodRef<'a>],
    policies: &[NetworkPolicy<'a>],
) -> BTreeSet<&'a str> {
    // Host-network pods (control-plane static pods, node agents) are outside NetworkPolicy,
    // so a namespace holding only those needs no default deny.
    let mut names: BTreeSet<&'a str> = pods
        .iter()
        .filter(|p| !p.host_network)
        .map(|p| p.namespace)
        .collect();
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

#[cfg(test)]
mod tests {
    use palisade_model::{Inventory, Object, Origin};
    use serde_json::json;

    use crate::engine::{Coverage, evaluate};
    use crate::registry;
    use crate::settings::Settings;

    fn run(ids: &[&str], objects: &[serde_json::Value]) -> crate::engine::Evaluation {
        let inventory = Inventory::new(
            objects
                .iter()
                .map(|v| Object::from_json(v, Origin::Cluster).unwrap())
                .collect(),
        )
        .complete(true);
        let rules: Vec<_> = ids.iter().map(|id| registry::find(id).unwrap()).collect();
        // The unit tests reason about whole inputs.
        let settings = Settings::default();
        evaluate(&inventory, &rules, &settings)
    }

    #[test]
    fn nothing_to_judge_is_not_evaluated_and_missing_namespaces_are_absent_subjects() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "c", "namespace": "a"}});
        let eval = run(&["NET001", "NET002", "NET003", "MESH001", "MESH008"], &[cm]);
        assert!(eval.findings.is_empty());
        for run in &eval.runs {
            assert!(
                matches!(run.coverage, Coverage::NotEvaluated { .. }),
                "{}",
                run.rule.meta.id
            );
        }
        // A workload whose Namespace is not in the input: the finding names the namespace.
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": "p", "namespace": "shop"},
                         "spec": {"containers": [{"name": "c", "image": "i"}]}});
        let eval = run(&["NET001"], &[pod]);
        assert_eq!(eval.findings.len(), 1);
        let f = &eval.findings[0];
        assert_eq!(f.object.kind, "Namespace");
        assert_eq!(f.object.name, "shop");
        assert!(f.location.file.is_none());
        assert!(matches!(eval.runs[0].coverage, Coverage::Checked { .. }));
    }
}
