//! Rules of the `admission` area: what the cluster checks at the door. ADM001-ADM002 read
//! the Pod Security Admission labels of Namespaces ([`namespaces`]); ADM003-ADM005 the
//! webhooks and deployments of policy engines ([`webhooks`]). How Kyverno, Gatekeeper and
//! sigstore policies select namespaces is a shared model (`models::policy_engines`).

mod namespaces;
mod webhooks;

use std::sync::LazyLock;

use crate::rule::Rule;

/// This area's rules, in ID order.
pub static RULES: LazyLock<Vec<&'static Rule>> = LazyLock::new(|| {
    namespaces::RULES
        .iter()
        .chain(webhooks::RULES.iter())
        .collect()
});
