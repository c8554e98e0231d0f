//! Rules of the `mesh` area: Istio (MESH001-MESH007) and Linkerd (MESH008-MESH009).
//!
//! A mesh rule is evaluated only when the input shows that mesh in use (see
//! `istio_in_use`, `linkerd_in_use`); otherwise it is "not evaluated", never passed. An
//! opt-out alone (`istio-injection: disabled`, `linkerd.io/inject: disabled`) is not taken
//! as a sign of use.
//!
//! Namespaces considered: regulated namespaces with workloads in the input or whose
//! Namespace object is in the input (a namespace only implied by a manifest without
//! `metadata.namespace` is not), excluding Istio's root namespace, which holds the mesh
//! control plane and the mesh-wide policies (MESH001 covers it).

mod istio;
mod linkerd;

use std::collections::BTreeSet;

use palisade_model::{FieldPath, Object};

use crate::context::InventoryCtx;
use crate::models::mesh::MeshPod;
use crate::rule::Rule;

/// This area's rules, in ID order.
pub static RULES: &[Rule] = &{
    let [m1, m2, m3, m4, m5, m6, m7] = istio::RULES;
    let [m8, m9] = linkerd::RULES;
    [m1, m2, m3, m4, m5, m6, m7, m8, m9]
};

/// Regulated namespaces with workloads or a Namespace object in the input, except the
/// Istio root namespace.
pub(crate) fn regulated_namespaces<'a>(
    ctx: &InventoryCtx<'a>,
    pods: &[MeshPod<'a>],
) -> BTreeSet<&'a str> {
    let mut names: BTreeSet<&'a str> = pods.iter().map(|p| p.namespace).collect();
    names.extend(
        ctx.inventory
            .of_kind("Namespace")
            .filter(|o| o.id.api_version == "v1")
            .map(|o| o.id.name.as_str()),
    );
    names.retain(|n| ctx.is_regulated(n) && *n != ctx.settings.istio_root_namespace);
    names
}

/// Path of a label of a Namespace (or any object's own metadata).
pub(crate) fn label_path(key: &str) -> FieldPath {
    FieldPath::parse("metadata.labels").owned_key(key)
}

pub(crate) fn annotation_path(key: &str) -> FieldPath {
    FieldPath::parse("metadata.annotations").owned_key(key)
}

pub(crate) fn namespace_label<'a>(ns: &'a Object, key: &str) -> Option<&'a str> {
    ns.root().get_in(&["metadata", "labels"])?.str_at(key)
}
