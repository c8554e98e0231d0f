//! `sysctls` (baseline; v1.0, v1.27, v1.29, v1.32, v1.37): only the namespaced, safe set.
//! Names keep spec order and duplicates in the message, unquoted.

use super::Forbidden;
use crate::pod::PodView;

const V1_0: [&str; 5] = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
];
const V1_27: [&str; 1] = ["net.ipv4.ip_local_reserved_ports"];
const V1_29: [&str; 4] = [
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const V1_32: [&str; 2] = ["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];
const V1_37: [&str; 2] = [
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

fn allowed(name: &str, rev: u32) -> bool {
    V1_0.contains(&name)
        || (rev >= 27 && V1_27.contains(&name))
        || (rev >= 29 && V1_29.contains(&name))
        || (rev >= 32 && V1_32.contains(&name))
        || (rev >= 37 && V1_37.contains(&name))
}

pub(crate) fn check(pod: &PodView<'_>, rev: u32) -> Option<Forbidden> {
    let sysctls = pod
        .pod_security_context()
        .and_then(|sc| sc.get("sysctls"))
        .into_iter()
        .flat_map(|s| s.items());
    let mut bad = Vec::new();
    let mut fields = Vec::new();
    for (i, sysctl) in sysctls.enumerate() {
        let name = sysctl.str_at("name").unwrap_or("");
        if !allowed(name, rev) {
            bad.push(name);
            fields.push(
                pod.spec_path()
                    .key("securityContext")
                    .key("sysctls")
                    .index(i)
                    .key("name"),
            );
        }
    }
    if bad.is_empty() {
        return None;
    }
    Some(Forbidden::new("forbidden sysctls", bad.join(", "), fields))
}
