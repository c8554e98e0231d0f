//! `seLinuxOptions` (baseline; v1.0, v1.31 also allows `container_engine_t`): only the
//! container types, and no user or role.

use std::collections::BTreeSet;

use palisade_model::Node;

use super::{Forbidden, setters};
use crate::message::{join_quote, pluralize};
use crate::pod::{PodView, container_sc_field};

#[derive(Default)]
struct Findings<'a> {
    bad_types: BTreeSet<&'a str>,
    set_user: bool,
    set_role: bool,
}

impl<'a> Findings<'a> {
    /// Records what is wrong with one options object; true when it is valid. Every rule is
    /// evaluated (no short-circuit), as upstream does.
    fn valid(&mut self, opts: Node<'a>, rev: u32) -> bool {
        let mut valid = true;
        let t = opts.str_at("type").unwrap_or("");
        let allowed = matches!(
            t,
            "" | "container_t" | "container_init_t" | "container_kvm_t"
        ) || (rev >= 31 && t == "container_engine_t");
        if !allowed {
            valid = false;
            self.bad_types.insert(t);
        }
        if !opts.str_at("user").unwrap_or("").is_empty() {
            valid = false;
            self.set_user = true;
        }
        if !opts.str_at("role").unwrap_or("").is_empty() {
            valid = false;
            self.set_role = true;
        }
        valid
    }
}

pub(crate) fn check(pod: &PodView<'_>, rev: u32) -> Option<Forbidden> {
    let mut found = Findings::default();
    let mut fields = Vec::new();
    let mut pod_bad = false;
    if let Some(opts) = pod
        .pod_security_context()
        .and_then(|sc| sc.get("seLinuxOptions"))
        && !found.valid(opts, rev)
    {
        pod_bad = true;
        fields.push(pod.spec_path().key("securityContext").key("seLinuxOptions"));
    }
    let mut names = Vec::new();
    for c in pod.containers() {
        if let Some(opts) = container_sc_field(&c, "seLinuxOptions")
            && !found.valid(opts, rev)
        {
            names.push(c.name());
            fields.push(
                pod.container_path(&c)
                    .key("securityContext")
                    .key("seLinuxOptions"),
            );
        }
    }
    if !pod_bad && names.is_empty() {
        return None;
    }
    let mut data = Vec::new();
    if !found.bad_types.is_empty() {
        let types: Vec<&str> = found.bad_types.iter().copied().collect();
        data.push(format!(
            "{} {}",
            pluralize("type", "types", types.len()),
            join_quote(&types)
        ));
    }
    if found.set_user {
        data.push("user may not be set".to_string());
    }
    if found.set_role {
        data.push("role may not be set".to_string());
    }
    Some(Forbidden::new(
        "seLinuxOptions",
        format!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            setters(pod_bad, &names),
            data.join("; ")
        ),
        fields,
    ))
}
