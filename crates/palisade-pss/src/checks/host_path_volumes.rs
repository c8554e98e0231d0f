//! `hostPathVolumes` (baseline, v1.0): no hostPath volumes. Replaced by
//! `restrictedVolumes` at restricted.

use super::Forbidden;
use crate::message::{join_quote, pluralize};
use crate::pod::PodView;

pub(crate) fn check(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut names = Vec::new();
    let mut fields = Vec::new();
    for (i, volume) in pod.volumes().enumerate() {
        if volume.get("hostPath").is_some() {
            names.push(volume.str_at("name").unwrap_or(""));
            fields.push(pod.spec_path().key("volumes").index(i).key("hostPath"));
        }
    }
    if names.is_empty() {
        return None;
    }
    Some(Forbidden::new(
        "hostPath volumes",
        format!(
            "{} {}",
            pluralize("volume", "volumes", names.len()),
            join_quote(&names)
        ),
        fields,
    ))
}
