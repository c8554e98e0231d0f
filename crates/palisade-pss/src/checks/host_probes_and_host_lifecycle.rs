//! `hostProbesAndHostLifecycle` (baseline, v1.34): probes and lifecycle handlers may not
//! target another host. Unlike the other checks, container names come out sorted.

use std::collections::BTreeSet;

use palisade_model::Node;

use super::Forbidden;
use crate::message::{join_quote, pluralize};
use crate::pod::PodView;

const PROBES: [&str; 3] = ["livenessProbe", "readinessProbe", "startupProbe"];
const HANDLERS: [&str; 2] = ["postStart", "preStop"];

/// Non-empty `httpGet.host` / `tcpSocket.host` of a probe or handler, with their field names.
fn bad_hosts(handler: Node<'_>) -> impl Iterator<Item = (&'static str, &str)> {
    ["httpGet", "tcpSocket"]
        .into_iter()
        .filter_map(move |kind| {
            let host = handler.get(kind)?.str_at("host")?;
            (!host.is_empty()).then_some((kind, host))
        })
}

pub(crate) fn check(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut names = BTreeSet::new();
    let mut hosts = BTreeSet::new();
    let mut fields = Vec::new();
    for c in pod.containers() {
        let base = pod.container_path(&c);
        let mut found = |kind: &'static str, host: &str, path: palisade_model::FieldPath| {
            names.insert(c.name());
            hosts.insert(host.to_string());
            fields.push(path.key(kind).key("host"));
        };
        for probe in PROBES {
            if let Some(p) = c.node.get(probe) {
                for (kind, host) in bad_hosts(p) {
                    found(kind, host, base.clone().key(probe));
                }
            }
        }
        if let Some(lifecycle) = c.node.get("lifecycle") {
            for handler in HANDLERS {
                if let Some(h) = lifecycle.get(handler) {
                    for (kind, host) in bad_hosts(h) {
                        found(kind, host, base.clone().key("lifecycle").key(handler));
                    }
                }
            }
        }
    }
    if names.is_empty() {
        return None;
    }
    let names: Vec<&str> = names.into_iter().collect();
    let hosts: Vec<String> = hosts.into_iter().collect();
    Some(Forbidden::new(
        "probe or lifecycle host",
        format!(
            "{} {} {} {} {}",
            pluralize("container", "containers", names.len()),
            join_quote(&names),
            pluralize("uses", "use", names.len()),
            pluralize(
                "probe or lifecycle host",
                "probe or lifecycle hosts",
                hosts.len()
            ),
            join_quote(&hosts)
        ),
        fields,
    ))
}
