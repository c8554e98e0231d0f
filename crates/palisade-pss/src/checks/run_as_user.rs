//! `runAsUser` (restricted; v1.23, v1.35 relaxes user-namespaced pods): no explicit UID 0.

use super::{Forbidden, setters};
use crate::pod::{PodView, container_sc_field};

pub(crate) fn check(pod: &PodView<'_>, rev: u32) -> Option<Forbidden> {
    if rev >= 35 && pod.in_user_namespace() {
        return None;
    }
    let mut fields = Vec::new();
    let pod_bad = pod
        .pod_security_context()
        .and_then(|sc| sc.get("runAsUser"))
        .and_then(|n| n.as_i64())
        == Some(0);
    if pod_bad {
        fields.push(pod.spec_path().key("securityContext").key("runAsUser"));
    }
    let mut names = Vec::new();
    for c in pod.containers() {
        if container_sc_field(&c, "runAsUser").and_then(|n| n.as_i64()) == Some(0) {
            names.push(c.name());
            fields.push(
                pod.container_path(&c)
                    .key("securityContext")
                    .key("runAsUser"),
            );
        }
    }
    if !pod_bad && names.is_empty() {
        return None;
    }
    Some(Forbidden::new(
        "runAsUser=0",
        format!("{} must not set runAsUser=0", setters(pod_bad, &names)),
        fields,
    ))
}
