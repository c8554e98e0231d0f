//! `capabilities_baseline` (baseline, v1.0): only the default capability set may be added.

use std::collections::BTreeSet;

use super::{Forbidden, containers_phrase};
use crate::message::join_quote;
use crate::pod::{PodView, container_sc_field};

const ALLOWED: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

pub(crate) fn check(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut names = Vec::new();
    let mut caps = BTreeSet::new();
    let mut fields = Vec::new();
    for c in pod.containers() {
        let Some(capabilities) = container_sc_field(&c, "capabilities") else {
            continue;
        };
        let mut valid = true;
        for (i, cap) in capabilities
            .get("add")
            .into_iter()
            .flat_map(|a| a.items())
            .enumerate()
        {
            let Some(cap) = cap.as_str() else { continue };
            if !ALLOWED.contains(&cap) {
                if valid {
                    fields.push(
                        pod.container_path(&c)
                            .key("securityContext")
                            .key("capabilities")
                            .key("add")
                            .index(i),
                    );
                }
                valid = false;
                caps.insert(cap);
            }
        }
        if !valid {
            names.push(c.name());
        }
    }
    if names.is_empty() {
        return None;
    }
    let caps: Vec<&str> = caps.into_iter().collect();
    Some(Forbidden::new(
        "non-default capabilities",
        format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&names),
            join_quote(&caps)
        ),
        fields,
    ))
}
