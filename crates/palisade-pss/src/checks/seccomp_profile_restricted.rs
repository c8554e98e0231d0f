//! `seccompProfile_restricted` (restricted; v1.19, v1.25 exempts Windows pods): every
//! container must end up with RuntimeDefault or Localhost, set on it or on the pod.

use std::collections::BTreeSet;

use super::seccomp_profile_baseline::{profile_type, valid_type};
use super::{Forbidden, containers_phrase, setters};
use crate::message::join_quote;
use palisade_model::workload::Container;

use crate::pod::{PodView, container_sc_field};

pub(crate) fn check(pod: &PodView<'_>, rev: u32) -> Option<Forbidden> {
    if rev >= 25 && pod.is_windows() {
        return None;
    }
    let mut bad_values = BTreeSet::new();
    let mut explicit_fields = Vec::new();
    let mut pod_bad = false;
    let mut pod_set = false;
    if let Some(profile) = pod
        .pod_security_context()
        .and_then(|sc| sc.get("seccompProfile"))
    {
        let t = profile_type(profile);
        if valid_type(t) {
            pod_set = true;
        } else {
            pod_bad = true;
            bad_values.insert(t);
            explicit_fields.push(
                pod.spec_path()
                    .key("securityContext")
                    .key("seccompProfile")
                    .key("type"),
            );
        }
    }
    let mut explicit = Vec::new();
    let mut implicit = Vec::new();
    let mut implicit_fields = Vec::new();
    let path = |c: &Container<'_>| {
        pod.container_path(c)
            .key("securityContext")
            .key("seccompProfile")
    };
    for c in pod.containers() {
        match container_sc_field(&c, "seccompProfile") {
            Some(profile) => {
                let t = profile_type(profile);
                if !valid_type(t) {
                    explicit.push(c.name());
                    bad_values.insert(t);
                    explicit_fields.push(path(&c).key("type"));
                }
            }
            None if !pod_set => {
                implicit.push(c.name());
                implicit_fields.push(path(&c));
            }
            None => {}
        }
    }
    if pod_bad || !explicit.is_empty() {
        let values: Vec<&str> = bad_values.into_iter().collect();
        return Some(Forbidden::new(
            "seccompProfile",
            format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                setters(pod_bad, &explicit),
                join_quote(&values)
            ),
            explicit_fields,
        ));
    }
    if implicit.is_empty() {
        return None;
    }
    Some(Forbidden::new(
        "seccompProfile",
        format!(
            r#"pod or {} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#,
            containers_phrase(&implicit)
        ),
        implicit_fields,
    ))
}
