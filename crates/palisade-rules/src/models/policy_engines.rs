//! Admission policy engines and how their policies select namespaces: Kyverno
//! `ClusterPolicy`/`Policy`, Gatekeeper constraints and `Config`, sigstore policy-controller
//! `ClusterImagePolicy`. The supply-chain rules read them (which verifier covers a
//! namespace); the namespaces' labels come from [`super::namespace`].

use palisade_model::{Inventory, LabelSelector, Node, Object};

use crate::models::glob::glob_match;

/// Whether the optional selector under `node[key]` selects the namespace. An absent or null
/// selector selects everything; an invalid one selects nothing (the API server rejects it).
pub fn selector_selects(node: Node<'_>, key: &str, labels: &[(&str, &str)]) -> bool {
    match node.get(key) {
        None => true,
        Some(sel) => LabelSelector::from_node(sel).is_ok_and(|s| s.matches(labels)),
    }
}

pub(crate) fn strings<'a>(node: Option<Node<'a>>) -> impl Iterator<Item = &'a str> + 'a {
    node.into_iter()
        .flat_map(|n| n.items())
        .filter_map(|n| n.as_str())
}

/// Whether a policy object is Kyverno's (`kyverno.io`, any version).
pub fn is_kyverno_policy(o: &Object) -> bool {
    o.id.group() == "kyverno.io" && matches!(o.kind(), "ClusterPolicy" | "Policy")
}

/// Kyverno's failure action for a rule kind: `Enforce` or `Audit` (case-insensitive, as
/// Kyverno accepts both spellings). `rule_action` is the rule-level `failureAction` (Kyverno
/// 1.13+), which wins; then `spec.validationFailureActionOverrides` for the namespace; then
/// `spec.validationFailureAction`, which defaults to `Audit`.
pub fn kyverno_enforces(policy: &Object, rule_action: Option<&str>, namespace: &str) -> bool {
    let spec = policy.root().get("spec");
    if let Some(action) = rule_action {
        return action.eq_ignore_ascii_case("enforce");
    }
    if let Some(spec) = spec {
        for o in spec
            .get("validationFailureActionOverrides")
            .into_iter()
            .flat_map(|n| n.items())
        {
            if strings(o.get("namespaces")).any(|g| glob_match(g, namespace)) {
                return o
                    .str_at("action")
                    .is_some_and(|a| a.eq_ignore_ascii_case("enforce"));
            }
        }
    }
    spec.and_then(|s| s.str_at("validationFailureAction"))
        .is_some_and(|a| a.eq_ignore_ascii_case("enforce"))
}

/// Whether a Kyverno resource filter (`match.resources`, an item of `match.any`) applies to
/// Pods in `namespace`: kinds absent or naming Pod (or `*`), namespaces absent or matching
/// (Kyverno wildcards), namespaceSelector absent or matching.
fn kyverno_filter_matches(filter: Node<'_>, namespace: &str, labels: &[(&str, &str)]) -> bool {
    let Some(resources) = filter.get("resources") else {
        // A filter on subjects/roles/clusterRoles only: applies to the users it names.
        return false;
    };
    let kinds_ok = match resources.get("kinds") {
        None => true,
        Some(k) => strings(Some(k)).any(|k| k == "*" || k == "Pod" || k.ends_with("/Pod")),
    };
    let namespaces_ok = match resources.get("namespaces") {
        None => true,
        Some(n) => strings(Some(n)).any(|g| glob_match(g, namespace)),
    };
    kinds_ok && namespaces_ok && selector_selects(resources, "namespaceSelector", labels)
}

/// Whether a Kyverno exclude filter removes every Pod of `namespace`: it names the namespace
/// (or selects it) and nothing narrower (kinds other than Pod, names, selectors, subjects).
fn kyverno_filter_excludes(filter: Node<'_>, namespace: &str, labels: &[(&str, &str)]) -> bool {
    let Some(resources) = filter.get("resources") else {
        return false;
    };
    let narrower = ["names", "name", "selector", "annotations", "operations"]
        .iter()
        .any(|k| resources.get(k).is_some())
        || ["subjects", "roles", "clusterRoles"]
            .iter()
            .any(|k| filter.get(k).is_some());
    if narrower
        || (resources.get("namespaces").is_none() && resources.get("namespaceSelector").is_none())
    {
        return false;
    }
    kyverno_filter_matches(filter, namespace, labels)
}

/// Whether a Kyverno rule's `match` selects Pods of the namespace and its `exclude` does not
/// remove them all. `match.any`: one filter suffices; `match.all`: every filter must hold;
/// the legacy form puts `resources` directly under `match`.
pub fn kyverno_rule_applies(rule: Node<'_>, namespace: &str, labels: &[(&str, &str)]) -> bool {
    let Some(m) = rule.get("match") else {
        return false;
    };
    let matched = if let Some(any) = m.get("any") {
        any.items()
            .any(|f| kyverno_filter_matches(f, namespace, labels))
    } else if let Some(all) = m.get("all") {
        all.items().len() > 0
            && all
                .items()
                .all(|f| kyverno_filter_matches(f, namespace, labels))
    } else {
        kyverno_filter_matches(m, namespace, labels)
    };
    if !matched {
        return false;
    }
    let Some(x) = rule.get("exclude") else {
        return true;
    };
    let excluded = if let Some(any) = x.get("any") {
        any.items()
            .any(|f| kyverno_filter_excludes(f, namespace, labels))
    } else if let Some(all) = x.get("all") {
        all.items().len() > 0
            && all
                .items()
                .all(|f| kyverno_filter_excludes(f, namespace, labels))
    } else {
        kyverno_filter_excludes(x, namespace, labels)
    };
    !excluded
}

/// Whether a namespaced Kyverno `Policy` (or a `ClusterPolicy`) can apply in `namespace`.
pub fn kyverno_policy_scope(policy: &Object, namespace: &str) -> bool {
    policy.kind() == "ClusterPolicy" || policy.id.effective_namespace() == Some(namespace)
}

/// Gatekeeper's namespace globs: a trailing or leading `*` (prefix/suffix match), otherwise
/// exact.
fn gatekeeper_glob(pattern: &str, namespace: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix('*') {
        namespace.starts_with(prefix)
    } else if let Some(suffix) = pattern.strip_prefix('*') {
        namespace.ends_with(suffix)
    } else {
        pattern == namespace
    }
}

/// Whether a Gatekeeper constraint's `spec.match` selects Pods in the namespace.
pub fn gatekeeper_constraint_applies(
    constraint: &Object,
    namespace: &str,
    labels: &[(&str, &str)],
) -> bool {
    let Some(m) = constraint.root().get_in(&["spec", "match"]) else {
        return true;
    };
    let kinds_ok = match m.get("kinds") {
        None => true,
        Some(list) => list.items().any(|k| {
            let groups_ok = match k.get("apiGroups") {
                None => true,
                Some(g) => strings(Some(g)).any(|g| g.is_empty() || g == "*"),
            };
            groups_ok && strings(k.get("kinds")).any(|k| k == "Pod" || k == "*")
        }),
    };
    let ns_ok = match m.get("namespaces") {
        None => true,
        Some(n) => strings(Some(n)).any(|g| gatekeeper_glob(g, namespace)),
    };
    let not_excluded = !strings(m.get("excludedNamespaces")).any(|g| gatekeeper_glob(g, namespace));
    let scope_ok = !matches!(m.str_at("scope"), Some("Cluster"));
    kinds_ok
        && ns_ok
        && not_excluded
        && scope_ok
        && selector_selects(m, "namespaceSelector", labels)
}

/// Whether a Gatekeeper constraint denies (rather than `dryrun` or `warn`). `deny` is the
/// default; `scoped` denies when one of its scoped actions is `deny` at the webhook.
pub fn gatekeeper_denies(constraint: &Object) -> bool {
    let spec = constraint.root().get("spec");
    match spec
        .and_then(|s| s.str_at("enforcementAction"))
        .unwrap_or("deny")
    {
        "deny" => true,
        "scoped" => spec
            .and_then(|s| s.get("scopedEnforcementActions"))
            .into_iter()
            .flat_map(|n| n.items())
            .any(|a| {
                a.str_at("action") == Some("deny")
                    && a.get("enforcementPoints").is_none_or(|points| {
                        points.items().any(|p| {
                            matches!(p.str_at("name"), Some("validation.gatekeeper.sh" | "*"))
                        })
                    })
            }),
        _ => false,
    }
}

/// Whether Gatekeeper's `Config` exempts the namespace from the admission webhook
/// (`spec.match[].excludedNamespaces` with process `*` or `webhook`).
pub fn gatekeeper_config_exempts(inventory: &Inventory, namespace: &str) -> bool {
    inventory
        .of_kind("Config")
        .filter(|o| o.id.group() == "config.gatekeeper.sh")
        .flat_map(|o| {
            o.root()
                .get_in(&["spec", "match"])
                .into_iter()
                .flat_map(|m| m.items())
        })
        .any(|entry| {
            strings(entry.get("processes")).any(|p| p == "*" || p == "webhook")
                && strings(entry.get("excludedNamespaces")).any(|g| gatekeeper_glob(g, namespace))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_model::Origin;
    use serde_json::json;

    fn obj(v: serde_json::Value) -> Object {
        Object::from_json(&v, Origin::Cluster).unwrap()
    }

    #[test]
    fn kyverno_failure_action_precedence() {
        let p = obj(
            json!({"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy",
            "metadata": {"name": "p"},
            "spec": {"validationFailureAction": "enforce",
                     "validationFailureActionOverrides": [{"action": "Audit", "namespaces": ["dev-*"]}]}}),
        );
        assert!(kyverno_enforces(&p, None, "pay"));
        assert!(!kyverno_enforces(&p, None, "dev-1"));
        assert!(!kyverno_enforces(&p, Some("Audit"), "pay"));
        let d = obj(
            json!({"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "d"}, "spec": {}}),
        );
        assert!(!kyverno_enforces(&d, None, "pay"), "Audit is the default");
    }

    #[test]
    fn kyverno_match_and_exclude() {
        let p = obj(
            json!({"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "p"},
            "spec": {"rules": [{"name": "r",
                "match": {"any": [{"resources": {"kinds": ["Pod"], "namespaceSelector": {"matchLabels": {"tier": "pci"}}}}]},
                "exclude": {"any": [{"resources": {"namespaces": ["pci-sandbox"]}}]}}]}}),
        );
        let rule = p
            .root()
            .get_in(&["spec", "rules"])
            .unwrap()
            .items()
            .next()
            .unwrap();
        assert!(kyverno_rule_applies(rule, "pci-a", &[("tier", "pci")]));
        assert!(!kyverno_rule_applies(
            rule,
            "pci-sandbox",
            &[("tier", "pci")]
        ));
        assert!(!kyverno_rule_applies(rule, "web", &[("tier", "web")]));
    }

    #[test]
    fn gatekeeper_match() {
        let c = obj(
            json!({"apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": "RatifyVerification",
            "metadata": {"name": "c"},
            "spec": {"enforcementAction": "deny", "match": {"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}],
                     "excludedNamespaces": ["kube-*"], "namespaces": ["pay*"]}}}),
        );
        assert!(gatekeeper_constraint_applies(&c, "payments", &[]));
        assert!(!gatekeeper_constraint_applies(&c, "web", &[]));
        assert!(!gatekeeper_constraint_applies(&c, "kube-system", &[]));
        assert!(gatekeeper_denies(&c));
        let w = obj(
            json!({"apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": "K", "metadata": {"name": "w"},
            "spec": {"enforcementAction": "warn"}}),
        );
        assert!(!gatekeeper_denies(&w));
    }
}
