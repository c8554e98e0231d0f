//! Views of the inventory that several inventory rules derive, computed once per
//! evaluation and shared.

use std::sync::OnceLock;

use palisade_model::Object;
use palisade_model::workload::PodTemplate;

use crate::models::apiserver::ApiServer;
use crate::models::mesh::MeshPod;
use crate::models::network_policy::{NetworkPolicy, PodRef};

/// Views of the inventory that several inventory rules derive (every workload with its pod
/// template, every kube-apiserver and its flags, the pods NetworkPolicies select, the pods
/// a mesh sees): computed once per evaluation on first use and shared by all rules and
/// threads. Walking 100,000 objects costs about as much as a rule's whole check; doing it
/// once instead of per rule is most of the inventory rules' speed. Opaque outside the
/// crate: a front end creates one beside each inventory it evaluates (see
/// [`Evaluator`](crate::Evaluator)).
#[derive(Default)]
pub struct Views<'a> {
    pub(crate) workloads: OnceLock<Vec<(&'a Object, PodTemplate<'a>)>>,
    pub(crate) apiservers: OnceLock<Vec<ApiServer<'a>>>,
    pub(crate) network_pods: OnceLock<Vec<PodRef<'a>>>,
    pub(crate) network_policies: OnceLock<Vec<NetworkPolicy<'a>>>,
    pub(crate) mesh_pods: OnceLock<Vec<MeshPod<'a>>>,
    pub(crate) istio_in_use: OnceLock<bool>,
    pub(crate) linkerd_in_use: OnceLock<bool>,
}
