//! `seccompProfile_baseline` (baseline; v1.0 reads the alpha annotations, v1.19 the fields):
//! `Unconfined` (or anything but RuntimeDefault/Localhost) is forbidden; unset is allowed.

use std::collections::BTreeSet;

use palisade_model::Node;

use super::{Forbidden, setters};
use crate::message::{go_quote, join_quote, pluralize};
use crate::pod::{PodView, container_sc_field};

const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

pub(crate) fn valid_type(t: &str) -> bool {
    matches!(t, "RuntimeDefault" | "Localhost")
}

fn valid_annotation(v: &str) -> bool {
    v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/")
}

/// The type of a present `seccompProfile` object ("" when `type` is unset).
pub(crate) fn profile_type(profile: Node<'_>) -> &str {
    profile.str_at("type").unwrap_or("")
}

pub(crate) fn check(pod: &PodView<'_>, rev: u32) -> Option<Forbidden> {
    if rev < 19 {
        check_annotations(pod)
    } else {
        check_fields(pod)
    }
}

fn check_annotations(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut forbidden = BTreeSet::new();
    let mut fields = Vec::new();
    let mut inspect = |key: String| {
        if let Some(value) = pod.annotation(&key)
            && !valid_annotation(value)
        {
            forbidden.insert(format!("{key}={}", go_quote(value)));
            fields.push(pod.annotation_path(&key));
        }
    };
    inspect(POD_ANNOTATION.to_string());
    for c in pod.containers() {
        inspect(format!("{CONTAINER_ANNOTATION_PREFIX}{}", c.name()));
    }
    if forbidden.is_empty() {
        return None;
    }
    let list: Vec<String> = forbidden.into_iter().collect();
    Some(Forbidden::new(
        "seccompProfile",
        format!(
            "forbidden {} {}",
            pluralize("annotation", "annotations", list.len()),
            list.join(", ")
        ),
        fields,
    ))
}

fn check_fields(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut bad_values = BTreeSet::new();
    let mut fields = Vec::new();
    let mut pod_bad = false;
    if let Some(profile) = pod
        .pod_security_context()
        .and_then(|sc| sc.get("seccompProfile"))
    {
        let t = profile_type(profile);
        if !valid_type(t) {
            pod_bad = true;
            bad_values.insert(t);
            fields.push(
                pod.spec_path()
                    .key("securityContext")
                    .key("seccompProfile")
                    .key("type"),
            );
        }
    }
    let mut names = Vec::new();
    for c in pod.containers() {
        if let Some(profile) = container_sc_field(&c, "seccompProfile") {
            let t = profile_type(profile);
            if !valid_type(t) {
                names.push(c.name());
                bad_values.insert(t);
                fields.push(
                    pod.container_path(&c)
                        .key("securityContext")
                        .key("seccompProfile")
                        .key("type"),
                );
            }
        }
    }
    if !pod_bad && names.is_empty() {
        return None;
    }
    let values: Vec<&str> = bad_values.into_iter().collect();
    Some(Forbidden::new(
        "seccompProfile",
        format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            setters(pod_bad, &names),
            join_quote(&values)
        ),
        fields,
    ))
}
