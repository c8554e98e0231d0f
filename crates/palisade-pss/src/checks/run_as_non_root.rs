//! `runAsNonRoot` (restricted; v1.0, v1.35 relaxes user-namespaced pods).

use super::{Forbidden, containers_phrase, setters};
use palisade_model::workload::Container;

use crate::pod::{PodView, container_sc_field};

pub(crate) fn check(pod: &PodView<'_>, rev: u32) -> Option<Forbidden> {
    if rev >= 35 && pod.in_user_namespace() {
        return None;
    }
    let pod_value = pod
        .pod_security_context()
        .and_then(|sc| sc.get("runAsNonRoot"))
        .and_then(|n| n.as_bool());
    let pod_bad = pod_value == Some(false);
    let pod_non_root = pod_value == Some(true);
    let mut explicit = Vec::new();
    let mut explicit_fields = Vec::new();
    let mut implicit = Vec::new();
    let mut implicit_fields = Vec::new();
    let path = |c: &Container<'_>| {
        pod.container_path(c)
            .key("securityContext")
            .key("runAsNonRoot")
    };
    for c in pod.containers() {
        match container_sc_field(&c, "runAsNonRoot").and_then(|n| n.as_bool()) {
            Some(false) => {
                explicit.push(c.name());
                explicit_fields.push(path(&c));
            }
            Some(true) => {}
            None if !pod_non_root => {
                implicit.push(c.name());
                implicit_fields.push(path(&c));
            }
            None => {}
        }
    }
    if pod_bad || !explicit.is_empty() {
        let mut fields = Vec::new();
        if pod_bad {
            fields.push(pod.spec_path().key("securityContext").key("runAsNonRoot"));
        }
        fields.extend(explicit_fields);
        return Some(Forbidden::new(
            "runAsNonRoot != true",
            format!(
                "{} must not set securityContext.runAsNonRoot=false",
                setters(pod_bad, &explicit)
            ),
            fields,
        ));
    }
    if implicit.is_empty() {
        return None;
    }
    Some(Forbidden::new(
        "runAsNonRoot != true",
        format!(
            "pod or {} must set securityContext.runAsNonRoot=true",
            containers_phrase(&implicit)
        ),
        implicit_fields,
    ))
}
