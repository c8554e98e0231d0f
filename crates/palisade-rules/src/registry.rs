//! The registry: every rule, in one table. IDs are stable and never reused; a retired rule
//! keeps its ID reserved here in a comment.

use std::sync::LazyLock;

use palisade_model::workload::PodSpecLocator;

use crate::rule::{Area, Rule};
use crate::rules::{
    admission, audit_logging, control_plane, encryption, mesh, network, pod_security, rbac,
    runtime, secrets, service_accounts, supply_chain, workload,
};

static ALL: LazyLock<Vec<&'static Rule>> = LazyLock::new(|| {
    let mut rules: Vec<&'static Rule> = Vec::new();
    // Pod Security Standards: PSS001-PSS019 (one per upstream check), PSA001-PSA004.
    rules.extend(pod_security::PSS_RULES.iter());
    rules.extend(pod_security::NAMESPACE_RULES.iter());
    // One table per checklist area, in checklist order; IDs are prefixed by area.
    rules.extend(workload::RULES.iter()); // WL
    rules.extend(rbac::RULES.iter()); // RBAC
    rules.extend(service_accounts::RULES.iter()); // SA
    rules.extend(network::RULES.iter()); // NET
    rules.extend(mesh::RULES.iter()); // MESH
    rules.extend(supply_chain::RULES.iter()); // SC
    rules.extend(runtime::RULES.iter()); // RT
    rules.extend(admission::RULES.iter()); // ADM
    rules.extend(secrets::RULES.iter()); // SEC
    rules.extend(encryption::RULES.iter()); // ENC
    rules.extend(audit_logging::RULES.iter()); // AUD
    rules.extend(control_plane::RULES.iter()); // CP
    rules
});

/// Every rule, in ID order within each area.
pub fn all() -> &'static [&'static Rule] {
    &ALL
}

/// A rule by ID (`PSS007`) or name (`privileged-container`).
pub fn find(key: &str) -> Option<&'static Rule> {
    all()
        .iter()
        .copied()
        .find(|r| r.meta.id.eq_ignore_ascii_case(key) || r.meta.name == key)
}

/// Rules selected by a list of keys, each a rule ID, a rule name or an area
/// (`pod-security`). Unknown keys are returned as errors.
pub fn select(keys: &[String]) -> Result<Vec<&'static Rule>, Vec<String>> {
    let mut selected: Vec<&'static Rule> = Vec::new();
    let mut unknown = Vec::new();
    for key in keys {
        if let Some(area) = Area::ALL.into_iter().find(|a| a.as_str() == key) {
            selected.extend(all().iter().filter(|r| r.meta.area == area));
        } else if let Some(rule) = find(key) {
            selected.push(rule);
        } else {
            unknown.push(key.clone());
        }
    }
    if !unknown.is_empty() {
        return Err(unknown);
    }
    selected.sort_by_key(|r| r.meta.id);
    selected.dedup_by_key(|r| r.meta.id);
    Ok(selected)
}

/// Whether some rule of the registry reads objects of `kind` in API group `group` (`""` for
/// the core group), by its scope or its declared [`reads`](crate::RuleMeta::reads);
/// `locator` says which kinds are workloads. A cluster scan lists exactly the served
/// resources this holds for.
pub fn is_read(group: &str, kind: &str, locator: &PodSpecLocator) -> bool {
    all()
        .iter()
        .any(|r| r.meta.inputs().any(|i| i.matches(group, kind, locator)))
}
