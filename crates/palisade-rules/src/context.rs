//! What a check sees: one object ([`ObjectCtx`]) or the whole inventory
//! ([`InventoryCtx`]), with the settings and the things derived from them once.

use palisade_model::workload::PodTemplate;
use palisade_model::{FieldPath, Inventory, Object, ObjectRef, Unlisted};
use palisade_pss::PodView;

use crate::finding::Finding;
use crate::models::apiserver::{self, ApiServer};
use crate::models::image::{ContainerImage, images};
use crate::models::mesh::{self, MeshPod};
use crate::models::network_policy::{self, NetworkPolicy, PodRef};
use crate::settings::Settings;
use crate::sink::Sink;
use crate::views::Views;

/// What an object rule sees.
pub struct ObjectCtx<'a> {
    pub object: &'a Object,
    pub inventory: &'a Inventory,
    pub settings: &'a Settings,
    /// The pod template, found once per object however many rules ask.
    template: std::cell::OnceCell<Option<PodTemplate<'a>>>,
    pod: std::cell::OnceCell<Option<PodView<'a>>>,
    images: std::cell::OnceCell<Vec<ContainerImage<'a>>>,
}

impl<'a> ObjectCtx<'a> {
    pub fn new(object: &'a Object, inventory: &'a Inventory, settings: &'a Settings) -> Self {
        ObjectCtx {
            object,
            inventory,
            settings,
            template: std::cell::OnceCell::new(),
            pod: std::cell::OnceCell::new(),
            images: std::cell::OnceCell::new(),
        }
    }

    /// The pod template as the Pod Security checks read it, built once per object.
    pub fn pod_view(&self) -> Option<&PodView<'a>> {
        self.pod
            .get_or_init(|| self.pod_template().map(PodView::new))
            .as_ref()
    }

    /// The namespace the object lives in (`default` when a namespaced manifest names
    /// none; `None` for cluster-scoped kinds).
    pub fn namespace(&self) -> Option<&'a str> {
        self.object.id.effective_namespace()
    }

    /// Whether the object lives in a regulated namespace.
    pub fn is_regulated(&self) -> bool {
        self.namespace()
            .is_some_and(|ns| self.settings.regulated.contains(ns, self.inventory))
    }

    /// The pod template's container images, parsed once for all the rules that read them
    /// (empty when the object is not a workload).
    pub(crate) fn images(&self) -> &[ContainerImage<'a>] {
        self.images
            .get_or_init(|| self.pod_template().map(images).unwrap_or_default())
    }

    /// The object's pod template, if it is a workload.
    pub fn pod_template(&self) -> Option<PodTemplate<'a>> {
        *self
            .template
            .get_or_init(|| self.settings.locator.pod_template(self.object))
    }
}

/// What an inventory rule sees.
pub struct InventoryCtx<'a> {
    pub inventory: &'a Inventory,
    pub settings: &'a Settings,
    pub(crate) views: &'a Views<'a>,
}

impl<'a> InventoryCtx<'a> {
    /// A context over `inventory` with its own (empty) views.
    pub(crate) fn new(
        inventory: &'a Inventory,
        settings: &'a Settings,
        views: &'a Views<'a>,
    ) -> Self {
        InventoryCtx {
            inventory,
            settings,
            views,
        }
    }

    /// Every object with a pod template, in input order, with the template: found once per
    /// evaluation (in parallel) for every inventory rule that walks the workloads.
    pub fn workloads(&self) -> &'a [(&'a Object, PodTemplate<'a>)] {
        let (inventory, locator) = (self.inventory, &self.settings.locator);
        self.views.workloads.get_or_init(|| {
            use rayon::prelude::*;
            inventory
                .objects()
                .par_iter()
                .filter_map(|o| Some((o, locator.pod_template(o)?)))
                .collect()
        })
    }

    /// Every kube-apiserver container among the workloads (static Pods and, should a hosted
    /// control plane run it so, any workload), in input order: found once per evaluation.
    pub(crate) fn apiservers(&self) -> &'a [ApiServer<'a>] {
        self.views
            .apiservers
            .get_or_init(|| apiserver::find(self.workloads()))
    }

    /// The input's pods as NetworkPolicies see them, found once per evaluation.
    pub(crate) fn network_pods(&self) -> &'a [PodRef<'a>] {
        self.views.network_pods.get_or_init(|| {
            self.workloads()
                .iter()
                .filter_map(|&(o, template)| network_policy::pod_ref_with(o, template))
                .collect()
        })
    }

    /// The input's valid NetworkPolicies, parsed once per evaluation.
    pub(crate) fn network_policies(&self) -> &'a [NetworkPolicy<'a>] {
        self.views
            .network_policies
            .get_or_init(|| network_policy::policies(self.inventory))
    }

    /// The workloads that run pods, with the pod metadata a service mesh reads, found once
    /// per evaluation.
    pub(crate) fn mesh_pods(&self) -> &'a [MeshPod<'a>] {
        self.views
            .mesh_pods
            .get_or_init(|| mesh::pods(self.workloads()))
    }

    /// Every namespace the input mentions: Namespace objects and the namespaces of
    /// namespaced objects (`default` for those that name none), sorted. (A rule that reads
    /// them declares `Input::kind("", "Namespace")`: in a cluster, every namespace an
    /// object names is a Namespace object.)
    pub fn namespaces(&self) -> Vec<&'a str> {
        let mut names: Vec<&'a str> = self
            .inventory
            .objects()
            .iter()
            .filter_map(|o| {
                if o.kind() == "Namespace" && o.id.api_version == "v1" {
                    Some(o.id.name.as_str())
                } else {
                    o.id.effective_namespace()
                }
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Whether namespace `name` is regulated.
    pub fn is_regulated(&self, name: &str) -> bool {
        self.settings.regulated.contains(name, self.inventory)
    }

    /// Reports about namespace `name`: on its Namespace object when the input has it, else
    /// as an absent subject.
    pub fn report_namespace<'s>(
        &self,
        sink: &'s mut Sink,
        name: &str,
        message: String,
    ) -> &'s mut Finding {
        match self.inventory.namespace(name) {
            Some(ns) => sink.report(ns, FieldPath::parse("metadata.name"), message),
            None => sink.report_absent(ObjectRef::namespace_named(name), message),
        }
    }

    /// Reports that something every cluster should run (a runtime agent, a policy engine)
    /// is missing, when the input allows that conclusion: it holds workloads (it looks like
    /// a cluster's manifests) and is the whole configuration. Otherwise records why the
    /// rule is not evaluated.
    pub fn report_missing_from_cluster(&self, sink: &mut Sink, message: &str) {
        let has_workloads = self
            .inventory
            .objects()
            .iter()
            .any(|o| self.settings.locator.is_workload(o));
        if !has_workloads {
            sink.not_evaluated(
                "the input has no workloads, so it does not look like a cluster's manifests",
            );
        } else if self.absence_provable(sink) {
            sink.report_absent(ObjectRef::cluster(), message);
        }
    }

    /// For rules that conclude something is absent: true when the input is the whole
    /// configuration; otherwise records the rule as not evaluated and returns false.
    pub fn absence_provable(&self, sink: &mut Sink) -> bool {
        let facts = self.inventory.facts();
        if !facts.complete {
            sink.not_evaluated(PARTIAL_INPUT);
            return false;
        }
        if !facts.unlisted.is_empty() {
            let what: Vec<String> = facts.unlisted.iter().map(Unlisted::describe).collect();
            sink.not_evaluated(format!(
                "the cluster scan could not list {}, so an absence proves nothing",
                what.join(", ")
            ));
            return false;
        }
        true
    }
}

/// Why absence-based rules are not evaluated on partial input.
pub const PARTIAL_INPUT: &str = "the input may be only part of the cluster's configuration, so an absence proves nothing; set `completeInventory: true` when the scanned paths hold all of it";
