//! `hostNamespaces` (baseline, v1.0): no hostNetwork, hostPID or hostIPC.

use super::Forbidden;
use crate::pod::PodView;

pub(crate) fn check(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut set = Vec::new();
    let mut fields = Vec::new();
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if pod.spec().bool_at(field) == Some(true) {
            set.push(format!("{field}=true"));
            fields.push(pod.spec_path().key(field));
        }
    }
    if set.is_empty() {
        return None;
    }
    Some(Forbidden::new("host namespaces", set.join(", "), fields))
}
