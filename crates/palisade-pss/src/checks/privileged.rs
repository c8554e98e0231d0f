//! `privileged` (baseline, v1.0): no container may set `privileged: true`.

use super::{Forbidden, containers_phrase};
use crate::pod::{PodView, container_sc_field};

pub(crate) fn check(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut names = Vec::new();
    let mut fields = Vec::new();
    for c in pod.containers() {
        if container_sc_field(&c, "privileged").and_then(|n| n.as_bool()) == Some(true) {
            names.push(c.name());
            fields.push(
                pod.container_path(&c)
                    .key("securityContext")
                    .key("privileged"),
            );
        }
    }
    if names.is_empty() {
        return None;
    }
    Some(Forbidden::new(
        "privileged",
        format!(
            "{} must not set securityContext.privileged=true",
            containers_phrase(&names)
        ),
        fields,
    ))
}
