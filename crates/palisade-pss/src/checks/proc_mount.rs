//! `procMount` (baseline; v1.0, v1.35 relaxes user-namespaced pods) and
//! `procMount_restricted` (restricted, v1.35: the v1.0 logic, no relaxation).

use std::collections::BTreeSet;

use super::{Forbidden, containers_phrase};
use crate::message::join_quote;
use crate::pod::{PodView, container_sc_field};

pub(crate) fn check_baseline(pod: &PodView<'_>, rev: u32) -> Option<Forbidden> {
    if rev >= 35 && pod.in_user_namespace() {
        return None;
    }
    check_restricted(pod)
}

pub(crate) fn check_restricted(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut names = Vec::new();
    let mut values = BTreeSet::new();
    let mut fields = Vec::new();
    for c in pod.containers() {
        let Some(proc_mount) = container_sc_field(&c, "procMount").and_then(|p| p.as_str()) else {
            continue;
        };
        if proc_mount != "Default" {
            names.push(c.name());
            values.insert(proc_mount);
            fields.push(
                pod.container_path(&c)
                    .key("securityContext")
                    .key("procMount"),
            );
        }
    }
    if names.is_empty() {
        return None;
    }
    let values: Vec<&str> = values.into_iter().collect();
    Some(Forbidden::new(
        "procMount",
        format!(
            "{} must not set securityContext.procMount to {}",
            containers_phrase(&names),
            join_quote(&values)
        ),
        fields,
    ))
}
