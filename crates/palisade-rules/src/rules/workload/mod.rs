//! Rules of the `workload` area: workload hardening beyond the Pod Security Standards.
//!
//! These rules apply whatever Pod Security level is configured (`Settings::pss` does not
//! change them) and never repeat a PSS check's exact semantics: PSS001-PSS019 say what
//! Pod Security Admission would reject; these say what a hardened workload should also do.
//!
//! - `containers`: per-container settings (read-only root filesystem, root group, resource
//!   limits, image pull policy).
//! - `pod`: pod-level settings (hostAliases, shared process namespace, writable hostPath
//!   mounts, health probes of long-running workloads).
//!
//! Custom kinds that embed a pod template (Argo Rollouts' `argoproj.io/Rollout` at
//! `spec.template`, for instance) are workloads once configured with the `workload-kind`
//! setting; the built-in locator keeps exactly the kinds Pod Security Admission evaluates.

mod containers;
mod pod;

use palisade_model::Node;
use palisade_model::workload::PodTemplate;

use crate::rule::Rule;

/// This area's rules, in ID order.
pub static RULES: &[Rule] = &[
    containers::WL001,
    containers::WL002,
    containers::WL003,
    containers::WL004,
    containers::WL005,
    pod::WL006,
    pod::WL007,
    pod::WL008,
    pod::WL009,
    pod::WL010,
];

/// Whether the pod declares itself a Windows pod (`spec.os.name: windows`). The API server
/// forbids the Linux-only security fields (`readOnlyRootFilesystem`, `runAsGroup`,
/// `fsGroup`, `supplementalGroups`, ...) on such pods, so rules about them do not apply.
fn is_windows(template: &PodTemplate<'_>) -> bool {
    template
        .spec
        .get("os")
        .and_then(|os| os.str_at("name"))
        .is_some_and(|name| name == "windows")
}

/// A container's display name for messages.
fn container_label(list: &str, node: Node<'_>) -> String {
    let name = node.str_at("name").unwrap_or("");
    match list {
        "initContainers" => format!("init container {name:?}"),
        "ephemeralContainers" => format!("ephemeral container {name:?}"),
        _ => format!("container {name:?}"),
    }
}
