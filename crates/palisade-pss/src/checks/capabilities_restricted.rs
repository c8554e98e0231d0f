//! `capabilities_restricted` (restricted; v1.22, v1.25 exempts Windows pods): drop `ALL`,
//! add nothing but `NET_BIND_SERVICE`. Replaces `capabilities_baseline` at restricted.

use std::collections::BTreeSet;

use super::{Forbidden, containers_phrase};
use crate::message::join_quote;
use crate::pod::{PodView, container_sc_field};

pub(crate) fn check(pod: &PodView<'_>, rev: u32) -> Option<Forbidden> {
    if rev >= 25 && pod.is_windows() {
        return None;
    }
    let mut missing_drop_all = Vec::new();
    let mut adding_forbidden = Vec::new();
    let mut forbidden = BTreeSet::new();
    let mut fields = Vec::new();
    for c in pod.containers() {
        let caps_path = || {
            pod.container_path(&c)
                .key("securityContext")
                .key("capabilities")
        };
        let Some(capabilities) = container_sc_field(&c, "capabilities") else {
            missing_drop_all.push(c.name());
            fields.push(caps_path().key("drop"));
            continue;
        };
        let mut drop = capabilities.get("drop").into_iter().flat_map(|d| d.items());
        if !drop.any(|d| d.as_str() == Some("ALL")) {
            missing_drop_all.push(c.name());
            fields.push(caps_path().key("drop"));
        }
        let add = capabilities.get("add").into_iter().flat_map(|a| a.items());
        let mut added = false;
        for (i, cap) in add.enumerate() {
            let Some(cap) = cap.as_str() else { continue };
            if cap != "NET_BIND_SERVICE" {
                if !added {
                    fields.push(caps_path().key("add").index(i));
                }
                added = true;
                forbidden.insert(cap);
            }
        }
        if added {
            adding_forbidden.push(c.name());
        }
    }
    let mut details = Vec::new();
    if !missing_drop_all.is_empty() {
        details.push(format!(
            r#"{} must set securityContext.capabilities.drop=["ALL"]"#,
            containers_phrase(&missing_drop_all)
        ));
    }
    if !adding_forbidden.is_empty() {
        let caps: Vec<&str> = forbidden.into_iter().collect();
        details.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&adding_forbidden),
            join_quote(&caps)
        ));
    }
    if details.is_empty() {
        return None;
    }
    Some(Forbidden::new(
        "unrestricted capabilities",
        details.join("; "),
        fields,
    ))
}
