//! What the rules declare they read against what a cluster scan lists: every kind a rule
//! reads is listed when the API server serves it, and Kubernetes' own kinds a rule names
//! are kinds the API server actually serves.

use k8s_openapi::Resource;
use k8s_openapi::api::{
    admissionregistration, apps, autoscaling, batch, certificates, coordination, core, discovery,
    events, flowcontrol, networking, node, policy, rbac, resource, scheduling, storage,
    storagemigration,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration;
use palisade_cluster::is_listed;
use palisade_model::workload::PodSpecLocator;
use palisade_rules::{Input, registry};

/// (group, plural, kind) of a resource the API server serves.
type Served = (&'static str, &'static str, &'static str);

fn served<T: Resource>() -> Served {
    (T::GROUP, T::URL_PATH_SEGMENT, T::KIND)
}

/// The resources kube-apiserver v1.37 serves (k8s-openapi's list types, GA versions), as
/// discovery reports them to a cluster scan.
fn kubernetes() -> Vec<Served> {
    use admissionregistration::v1 as adm;
    vec![
        served::<adm::MutatingAdmissionPolicy>(),
        served::<adm::MutatingAdmissionPolicyBinding>(),
        served::<adm::MutatingWebhookConfiguration>(),
        served::<adm::ValidatingAdmissionPolicy>(),
        served::<adm::ValidatingAdmissionPolicyBinding>(),
        served::<adm::ValidatingWebhookConfiguration>(),
        served::<apiextensions::v1::CustomResourceDefinition>(),
        served::<apiregistration::v1::APIService>(),
        served::<apps::v1::ControllerRevision>(),
        served::<apps::v1::DaemonSet>(),
        served::<apps::v1::Deployment>(),
        served::<apps::v1::ReplicaSet>(),
        served::<apps::v1::StatefulSet>(),
        served::<autoscaling::v2::HorizontalPodAutoscaler>(),
        served::<batch::v1::CronJob>(),
        served::<batch::v1::Job>(),
        served::<certificates::v1::CertificateSigningRequest>(),
        served::<certificates::v1::ClusterTrustBundle>(),
        served::<certificates::v1::PodCertificateRequest>(),
        served::<coordination::v1::Lease>(),
        served::<core::v1::ComponentStatus>(),
        served::<core::v1::ConfigMap>(),
        served::<core::v1::Endpoints>(),
        served::<core::v1::Event>(),
        served::<core::v1::LimitRange>(),
        served::<core::v1::Namespace>(),
        served::<core::v1::Node>(),
        served::<core::v1::PersistentVolume>(),
        served::<core::v1::PersistentVolumeClaim>(),
        served::<core::v1::Pod>(),
        served::<core::v1::PodTemplate>(),
        served::<core::v1::ReplicationController>(),
        served::<core::v1::ResourceQuota>(),
        served::<core::v1::Secret>(),
        served::<core::v1::Service>(),
        served::<core::v1::ServiceAccount>(),
        served::<discovery::v1::EndpointSlice>(),
        served::<events::v1::Event>(),
        served::<flowcontrol::v1::FlowSchema>(),
        served::<flowcontrol::v1::PriorityLevelConfiguration>(),
        served::<networking::v1::IPAddress>(),
        served::<networking::v1::Ingress>(),
        served::<networking::v1::IngressClass>(),
        served::<networking::v1::NetworkPolicy>(),
        served::<networking::v1::ServiceCIDR>(),
        served::<node::v1::RuntimeClass>(),
        served::<policy::v1::PodDisruptionBudget>(),
        served::<rbac::v1::ClusterRole>(),
        served::<rbac::v1::ClusterRoleBinding>(),
        served::<rbac::v1::Role>(),
        served::<rbac::v1::RoleBinding>(),
        served::<resource::v1::DeviceClass>(),
        served::<resource::v1::DeviceTaintRule>(),
        served::<resource::v1::ResourceClaim>(),
        served::<resource::v1::ResourceClaimTemplate>(),
        served::<resource::v1::ResourceSlice>(),
        served::<scheduling::v1::PriorityClass>(),
        served::<storage::v1::CSIDriver>(),
        served::<storage::v1::CSINode>(),
        served::<storage::v1::CSIStorageCapacity>(),
        served::<storage::v1::StorageClass>(),
        served::<storage::v1::VolumeAttachment>(),
        served::<storage::v1::VolumeAttributesClass>(),
        served::<storagemigration::v1::StorageVersionMigration>(),
    ]
}

/// Kubernetes kinds rules read that no API server serves: they are files or legacy forms,
/// found in manifests only.
const NOT_SERVED: &[(&str, &str, &str)] = &[
    (
        "apiserver.config.k8s.io",
        "EncryptionConfiguration",
        "the file --encryption-provider-config names",
    ),
    (
        "audit.k8s.io",
        "Policy",
        "the file --audit-policy-file names",
    ),
    (
        "extensions",
        "NetworkPolicy",
        "served until Kubernetes 1.16; old manifests",
    ),
];

/// Whether `group` is one of Kubernetes' own API groups.
fn is_kubernetes_group(group: &str, kubernetes: &[Served]) -> bool {
    group.ends_with(".k8s.io")
        || group == "extensions"
        || kubernetes.iter().any(|(g, _, _)| *g == group)
}

#[test]
fn every_kind_a_rule_reads_is_listed_where_it_is_served() {
    let locator = PodSpecLocator::builtin();
    let kubernetes = kubernetes();
    let mut failures = Vec::new();
    for rule in registry::all() {
        for input in rule.meta.inputs() {
            match input {
                Input::Kind(k) => {
                    let served = kubernetes.iter().find(|(g, _, kind)| k.is(g, kind));
                    if is_kubernetes_group(k.group, &kubernetes)
                        && served.is_none()
                        && !NOT_SERVED.iter().any(|(g, kind, _)| k.is(g, kind))
                    {
                        failures.push(format!(
                            "{}: reads {k:?}, which Kubernetes does not serve",
                            rule.meta.id
                        ));
                    }
                    // Served by Kubernetes, or a custom resource of a tool's CRD.
                    if !is_listed(k.group, k.kind, locator) {
                        failures.push(format!(
                            "{}: reads {k:?}, which a cluster scan does not list{}",
                            rule.meta.id,
                            served.map_or(String::new(), |(_, plural, _)| format!(" ({plural})"))
                        ));
                    }
                }
                Input::Workloads => {
                    for (group, plural, kind) in &kubernetes {
                        if locator.knows(group, kind) && !is_listed(group, kind, locator) {
                            failures.push(format!(
                                "{}: reads the workloads, but {plural} are not listed",
                                rule.meta.id
                            ));
                        }
                    }
                }
                // Any kind of the group (one a tool's CRD defines).
                Input::Group(group) => {
                    if !is_listed(group, "AnyKind", locator) {
                        failures.push(format!(
                            "{}: reads group {group:?}, not listed",
                            rule.meta.id
                        ));
                    }
                }
                Input::GroupsUnder(domain) => {
                    let group = format!("security.{domain}");
                    if !is_listed(&group, "AnyKind", locator) {
                        failures.push(format!(
                            "{}: reads the groups under {domain:?}, but {group} is not listed",
                            rule.meta.id
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What no rule reads is left alone, above all the large and ever-changing kinds.
#[test]
fn kinds_no_rule_reads_are_not_listed() {
    let locator = PodSpecLocator::builtin();
    let listed: Vec<&str> = kubernetes()
        .into_iter()
        .filter(|(group, _, kind)| is_listed(group, kind, locator))
        .map(|(_, plural, _)| plural)
        .collect();
    for volatile in ["events", "leases", "endpoints", "endpointslices", "nodes"] {
        assert!(!listed.contains(&volatile), "{volatile} listed: {listed:?}");
    }
    // Each listed resource is one a rule reads by name or as a workload (no rule reads a
    // whole Kubernetes group).
    for (group, plural, kind) in kubernetes() {
        let named = registry::all()
            .iter()
            .flat_map(|r| r.meta.inputs())
            .any(|i| match i {
                Input::Kind(k) => k.is(group, kind),
                Input::Workloads => locator.knows(group, kind),
                Input::Group(_) | Input::GroupsUnder(_) => false,
            });
        assert_eq!(
            is_listed(group, kind, locator),
            named,
            "{plural}.{group}: listed only if a rule reads {kind}"
        );
    }
}
