//! `windowsHostProcess` (baseline, v1.0): no `windowsOptions.hostProcess: true`.

use palisade_model::Node;

use super::{Forbidden, setters};
use crate::pod::{PodView, container_sc_field};

fn host_process(sc_windows_options: Option<Node<'_>>) -> bool {
    sc_windows_options.and_then(|w| w.bool_at("hostProcess")) == Some(true)
}

pub(crate) fn check(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut fields = Vec::new();
    let mut names = Vec::new();
    for c in pod.containers() {
        if host_process(container_sc_field(&c, "windowsOptions")) {
            names.push(c.name());
            fields.push(
                pod.container_path(&c)
                    .key("securityContext")
                    .key("windowsOptions")
                    .key("hostProcess"),
            );
        }
    }
    let pod_bad = host_process(
        pod.pod_security_context()
            .and_then(|sc| sc.get("windowsOptions")),
    );
    if pod_bad {
        fields.insert(
            0,
            pod.spec_path()
                .key("securityContext")
                .key("windowsOptions")
                .key("hostProcess"),
        );
    }
    if !pod_bad && names.is_empty() {
        return None;
    }
    Some(Forbidden::new(
        "hostProcess",
        format!(
            "{} must not set securityContext.windowsOptions.hostProcess=true",
            setters(pod_bad, &names)
        ),
        fields,
    ))
}
