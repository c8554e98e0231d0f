//! `hostPorts` (baseline, v1.0): no container port may set a non-zero hostPort (after the
//! API server's hostNetwork defaulting of Pods, see `palisade_model::defaults`).

use std::collections::BTreeSet;

use palisade_model::defaults::host_port;

use super::{Forbidden, containers_phrase};
use crate::message::pluralize;
use crate::pod::PodView;

pub(crate) fn check(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut names = Vec::new();
    // Upstream keeps the ports as decimal strings in a sorted set: they sort as text.
    let mut ports = BTreeSet::new();
    let mut fields = Vec::new();
    for c in pod.containers() {
        let mut valid = true;
        for (j, port) in c
            .node
            .get("ports")
            .into_iter()
            .flat_map(|p| p.items())
            .enumerate()
        {
            // A hostNetwork Pod's ports get hostPort = containerPort before admission.
            let host_port = host_port(pod.template(), &c, port).value();
            if host_port != 0 {
                if valid {
                    fields.push(pod.container_path(&c).key("ports").index(j).key("hostPort"));
                }
                valid = false;
                ports.insert(host_port.to_string());
            }
        }
        if !valid {
            names.push(c.name());
        }
    }
    if names.is_empty() {
        return None;
    }
    let ports: Vec<String> = ports.into_iter().collect();
    Some(Forbidden::new(
        "hostPort",
        format!(
            "{} {} {} {}",
            containers_phrase(&names),
            pluralize("uses", "use", names.len()),
            pluralize("hostPort", "hostPorts", ports.len()),
            ports.join(", ")
        ),
        fields,
    ))
}
