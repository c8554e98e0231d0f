//! What the rules declare they read against what a cluster scan lists: every kind a rule
//! reads is listed when the API server serves it, and Kubernetes' own kinds a rule names
//! are kinds the API server actually serves.

use palisade_cluster::is_listed;
use palisade_model::workload::PodSpecLocator;
use palisade_rbac::resources::{self, Resource};
use palisade_rules::{Input, registry};

/// The resources kube-apiserver v1.37 serves, as discovery reports them to a cluster scan
/// (Palisade's table of them).
fn kubernetes() -> &'static [Resource] {
    resources::builtin()
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
fn is_kubernetes_group(group: &str) -> bool {
    group.ends_with(".k8s.io")
        || group == "extensions"
        || kubernetes().iter().any(|r| r.group == group)
}

#[test]
fn every_kind_a_rule_reads_is_listed_where_it_is_served() {
    let locator = PodSpecLocator::builtin();
    let mut failures = Vec::new();
    for rule in registry::all() {
        for input in rule.meta.inputs() {
            match input {
                Input::Kind(k) => {
                    let served = resources::by_kind(k.group, k.kind);
                    if is_kubernetes_group(k.group)
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
                            served.map_or(String::new(), |r| format!(" ({})", r.plural))
                        ));
                    }
                }
                Input::Workloads => {
                    for r in kubernetes() {
                        if locator.knows(r.group, r.kind) && !is_listed(r.group, r.kind, locator) {
                            failures.push(format!(
                                "{}: reads the workloads, but {} are not listed",
                                rule.meta.id, r.plural
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
        .iter()
        .filter(|r| is_listed(r.group, r.kind, locator))
        .map(|r| r.plural)
        .collect();
    for volatile in ["events", "leases", "endpoints", "endpointslices", "nodes"] {
        assert!(!listed.contains(&volatile), "{volatile} listed: {listed:?}");
    }
    // Each listed resource is one a rule reads by name or as a workload (no rule reads a
    // whole Kubernetes group).
    for r in kubernetes() {
        let named = registry::all()
            .iter()
            .flat_map(|rule| rule.meta.inputs())
            .any(|i| match i {
                Input::Kind(k) => k.is(r.group, r.kind),
                Input::Workloads => locator.knows(r.group, r.kind),
                Input::Group(_) | Input::GroupsUnder(_) => false,
            });
        assert_eq!(
            is_listed(r.group, r.kind, locator),
            named,
            "{}.{}: listed only if a rule reads {}",
            r.plural,
            r.group,
            r.kind
        );
    }
}
