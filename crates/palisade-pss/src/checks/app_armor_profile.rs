//! `appArmorProfile` (baseline, v1.0): profile fields and the beta annotations, with the
//! annotations a Pod's creation copies into container fields (`crate::defaults`).

use std::collections::BTreeSet;

use palisade_model::Node;
use palisade_model::defaults::{APP_ARMOR_ANNOTATION_PREFIX, app_armor_from_annotation};

use super::{Forbidden, containers_phrase};
use crate::message::{go_quote, join_quote, pluralize};
use crate::pod::{PodView, container_sc_field};

fn allowed_type(t: &str) -> bool {
    matches!(t, "RuntimeDefault" | "Localhost")
}

fn allowed_annotation(v: &str) -> bool {
    v.is_empty() || v == "runtime/default" || v.starts_with("localhost/")
}

/// The profile type of a present `appArmorProfile` object ("" when `type` is unset).
fn profile_type(profile: Node<'_>) -> &str {
    profile.str_at("type").unwrap_or("")
}

pub(crate) fn check(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut setters = Vec::new();
    let mut bad_values = BTreeSet::new();
    let mut fields = Vec::new();
    if let Some(profile) = pod
        .pod_security_context()
        .and_then(|sc| sc.get("appArmorProfile"))
    {
        let t = profile_type(profile);
        if !allowed_type(t) {
            setters.push("pod".to_string());
            bad_values.insert(t.to_string());
            fields.push(
                pod.spec_path()
                    .key("securityContext")
                    .key("appArmorProfile")
                    .key("type"),
            );
        }
    }
    let mut bad_containers = Vec::new();
    for c in pod.containers() {
        if let Some(profile) = container_sc_field(&c, "appArmorProfile") {
            let t = profile_type(profile);
            if !allowed_type(t) {
                bad_containers.push(c.name());
                bad_values.insert(t.to_string());
                fields.push(
                    pod.container_path(&c)
                        .key("securityContext")
                        .key("appArmorProfile")
                        .key("type"),
                );
            }
        } else if let Some(synced) = app_armor_from_annotation(pod.template(), &c) {
            // The API server copies the annotation into the field before admission; only
            // `unconfined` can be forbidden, and its annotation is reported below.
            if !allowed_type(synced.profile_type) {
                bad_containers.push(c.name());
                bad_values.insert(synced.profile_type.to_string());
            }
        }
    }
    if !bad_containers.is_empty() {
        setters.push(containers_phrase(&bad_containers));
    }
    let mut bad_annotations: Vec<(String, &str)> = pod
        .annotations()
        .filter(|(k, v)| k.starts_with(APP_ARMOR_ANNOTATION_PREFIX) && !allowed_annotation(v))
        .map(|(k, v)| (format!("{k}={}", go_quote(v)), k))
        .collect();
    bad_annotations.sort();
    let mut bad_value_list: Vec<String> = bad_values.into_iter().collect();
    if !bad_annotations.is_empty() {
        setters.push(pluralize("annotation", "annotations", bad_annotations.len()).to_string());
        for (text, key) in bad_annotations {
            fields.push(pod.annotation_path(key));
            bad_value_list.push(text);
        }
    }
    if setters.is_empty() {
        return None;
    }
    Some(Forbidden::new(
        pluralize(
            "forbidden AppArmor profile",
            "forbidden AppArmor profiles",
            bad_value_list.len(),
        ),
        format!(
            "{} must not set AppArmor profile type to {}",
            setters.join(" and "),
            join_quote(&bad_value_list)
        ),
        fields,
    ))
}
