//! `allowPrivilegeEscalation` (restricted; v1.8, v1.25 exempts Windows pods).

use super::{Forbidden, containers_phrase};
use crate::pod::{PodView, container_sc_field};

pub(crate) fn check(pod: &PodView<'_>, rev: u32) -> Option<Forbidden> {
    if rev >= 25 && pod.is_windows() {
        return None;
    }
    let mut names = Vec::new();
    let mut fields = Vec::new();
    for c in pod.containers() {
        if container_sc_field(&c, "allowPrivilegeEscalation").and_then(|n| n.as_bool())
            != Some(false)
        {
            names.push(c.name());
            fields.push(
                pod.container_path(&c)
                    .key("securityContext")
                    .key("allowPrivilegeEscalation"),
            );
        }
    }
    if names.is_empty() {
        return None;
    }
    Some(Forbidden::new(
        "allowPrivilegeEscalation != false",
        format!(
            "{} must set securityContext.allowPrivilegeEscalation=false",
            containers_phrase(&names)
        ),
        fields,
    ))
}
