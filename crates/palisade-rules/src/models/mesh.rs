//! The pods a service mesh sees: each workload that runs pods, with its namespace and the
//! pod template's metadata, where injection labels and annotations live. The Istio and
//! Linkerd rules read them; the shared views hold them (`InventoryCtx::mesh_pods`).

use palisade_model::workload::{PodSpecLocator, PodTemplate};
use palisade_model::{FieldPath, Node, Object};

/// A workload's pod template metadata, where injection labels and annotations live.
pub struct MeshPod<'a> {
    pub object: &'a Object,
    pub namespace: &'a str,
    pub metadata: Option<Node<'a>>,
    pub metadata_path: FieldPath,
}

impl<'a> MeshPod<'a> {
    pub fn label(&self, key: &str) -> Option<&'a str> {
        self.metadata?.get("labels")?.str_at(key)
    }

    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.metadata?.get("annotations")?.str_at(key)
    }

    pub fn label_path(&self, key: &str) -> FieldPath {
        self.metadata_path.clone().key("labels").owned_key(key)
    }

    pub fn annotation_path(&self, key: &str) -> FieldPath {
        self.metadata_path.clone().key("annotations").owned_key(key)
    }
}

/// The workloads that run pods (not core `PodTemplate`), in their order.
pub fn pods<'a>(workloads: &[(&'a Object, PodTemplate<'a>)]) -> Vec<MeshPod<'a>> {
    workloads
        .iter()
        .filter(|(o, _)| PodSpecLocator::runs_pods(o))
        .filter_map(|&(o, template)| {
            Some(MeshPod {
                object: o,
                namespace: o.id.effective_namespace()?,
                metadata: template.metadata,
                metadata_path: template.metadata_path(),
            })
        })
        .collect()
}
