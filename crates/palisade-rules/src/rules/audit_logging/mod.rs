//! Rules of the `audit-logging` area: the API server's audit Policy (`audit.k8s.io/v1`,
//! kind `Policy`), the file `--audit-policy-file` points at.
//!
//! Matching follows k8s.io/apiserver `pkg/audit/policy/checker.go`: rules are evaluated in
//! order and the first rule that matches decides the level (no match: level `None`). A rule
//! matches when every selector it sets matches: `users` (the user name), `userGroups` (any of
//! the user's groups), `verbs`; then, if it sets `namespaces` or `resources`, only resource
//! requests match (`namespaces` holds `""` for cluster-scoped ones; a `resources` entry
//! matches its `group` exactly, every resource of the group when its `resources` list is
//! empty, else `res`, `*`, `*/sub` or `res/*`, narrowed by `resourceNames`); otherwise, if it
//! sets `nonResourceURLs`, only non-resource requests match. Policy-level `omitStages` are
//! added to every rule's.
//!
//! A manifest cannot say who will send requests, so "can a request reach rule N" is answered
//! over every possible user, namespace and object name: a rule narrowed by `users`,
//! `userGroups`, `namespaces` or `resourceNames` leaves some requests to later rules; a rule
//! narrowed only by `verbs` takes exactly those verbs.

use palisade_model::{FieldPath, Node, Object};

use crate::context::InventoryCtx;
use crate::rule::{Area, Check, Input, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

const AUDIT_DOC: &str = "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/";
const AUDIT_REF: &str = "https://kubernetes.io/docs/reference/config-api/apiserver-audit.v1/";
const CIS: &str = "https://www.cisecurity.org/benchmark/kubernetes";

/// An audit Policy with the given rules (rule examples).
macro_rules! audit_policy {
    ($($line:literal),* $(,)?) => {
        concat!(
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n",
            $($line, "\n",)*
        )
    };
}

/// This area's rules, in ID order.
pub static RULES: &[Rule] = &[
    Rule {
        meta: RuleMeta {
            id: "AUD001",
            name: "audit-policy-without-catch-all",
            title: "Audit policy has no catch-all rule that logs every other request",
            area: Area::AuditLogging,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: &[Input::kind("audit.k8s.io", "Policy")],
            rationale: "A request that matches no rule of the audit policy is not logged at all (level `None`). A policy made only of specific rules therefore leaves every request type its author did not think of (new resources, CRDs, exec, RBAC changes) out of the audit trail. The usual shape ends with a rule without selectors at level `Metadata`, so everything is logged at least with who, what and when. CIS 3.2.1 and 3.2.2 expect a policy that covers the key security concerns.",
            remediation: "End the rules with `- level: Metadata` (no selectors), after the rules that lower or raise the level for specific requests.",
            example_fail: audit_policy![
                "  - level: Metadata",
                "    resources: [{group: \"\", resources: [secrets]}]"
            ],
            example_pass: audit_policy![
                "  - level: Metadata",
                "    resources: [{group: \"\", resources: [secrets]}]",
                "  - level: Metadata"
            ],
            evidence: &["log.audit_policy"],
            no_controls_reason: None,
            references: &[AUDIT_DOC, AUDIT_REF, CIS],
            pss: None,
        },
        check: Check::Inventory(check_catch_all),
    },
    Rule {
        meta: RuleMeta {
            id: "AUD002",
            name: "audit-logs-secret-payloads",
            title: "Audit policy records Secret, ConfigMap or token payloads",
            area: Area::AuditLogging,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: &[Input::kind("audit.k8s.io", "Policy")],
            rationale: "At level `Request` the audit event carries the request body, at `RequestResponse` the response body as well. For Secrets that is the secret data itself (in writes at `Request`, in reads and writes at `RequestResponse`); for TokenReviews the bearer token under review; for `serviceaccounts/token` the issued token; ConfigMaps often hold credentials too. The audit log is then a second, usually less protected, copy of every credential, shipped to log stores and SIEMs with broad read access. Upstream's example policy logs these resources at `Metadata` only. The first rule that matches such a request decides, so a `Metadata` rule for Secrets must come before any broader `Request`/`RequestResponse` rule.",
            remediation: "Add `- level: Metadata` for `secrets`, `configmaps`, `tokenreviews` (group `authentication.k8s.io`) and `serviceaccounts/token` before any rule that logs at `Request` or `RequestResponse`.",
            example_fail: audit_policy!["  - level: RequestResponse"],
            example_pass: audit_policy![
                "  - level: Metadata",
                "    resources:",
                "      - {group: \"\", resources: [secrets, configmaps, serviceaccounts/token]}",
                "      - {group: authentication.k8s.io, resources: [tokenreviews]}",
                "  - level: RequestResponse"
            ],
            evidence: &["log.audit_policy"],
            no_controls_reason: None,
            references: &[AUDIT_DOC, AUDIT_REF, CIS],
            pss: None,
        },
        check: Check::Inventory(check_payloads),
    },
    Rule {
        meta: RuleMeta {
            id: "AUD003",
            name: "blanket-none-audit-rule",
            title: "Broad level-None audit rule hides the rules after it",
            area: Area::AuditLogging,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: &[Input::kind("audit.k8s.io", "Policy")],
            rationale: "Rules are evaluated in order and the first match wins. A `level: None` rule that matches every user and namespace (no selectors, only `verbs`, `userGroups: [system:authenticated]`, or a whole API group) stops evaluation for all those requests, so later rules that were meant to log them (Secrets access, RBAC changes, exec) never apply. This is a common result of moving a noise-reduction rule to the top of the policy.",
            remediation: "Narrow the `None` rule to the noisy requests it is meant to drop (specific users, resources or non-resource URLs), or move it after the rules it shadows.",
            example_fail: audit_policy![
                "  - level: None",
                "    verbs: [get, list, watch]",
                "  - level: Metadata",
                "    resources: [{group: \"\", resources: [secrets]}]",
                "  - level: Metadata"
            ],
            example_pass: audit_policy![
                "  - level: None",
                "    users: [system:kube-proxy]",
                "    verbs: [watch]",
                "  - level: Metadata",
                "    resources: [{group: \"\", resources: [secrets]}]",
                "  - level: Metadata"
            ],
            evidence: &["log.audit_policy"],
            no_controls_reason: None,
            references: &[AUDIT_DOC, AUDIT_REF, CIS],
            pss: None,
        },
        check: Check::Inventory(check_blanket_none),
    },
    Rule {
        meta: RuleMeta {
            id: "AUD004",
            name: "audit-request-received-stage-logged",
            title: "Audit policy logs the RequestReceived stage",
            area: Area::AuditLogging,
            severity: Severity::Low,
            scope: Scope::Inventory,
            reads: &[Input::kind("audit.k8s.io", "Policy")],
            rationale: "Every request produces an event at `RequestReceived` (as soon as it arrives) and again at `ResponseComplete` (or `ResponseStarted` for long-running requests) with the same information plus the outcome. Logging `RequestReceived` roughly doubles the volume of the audit log, its storage cost and the load on the API server and log pipeline, without adding information; when logs are dropped under pressure, it is the useful events that get lost. Upstream's example policy omits it.",
            remediation: "Add `omitStages: [RequestReceived]` at the top level of the policy.",
            example_fail: "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n",
            example_pass: audit_policy!["  - level: Metadata"],
            evidence: &["log.audit_policy"],
            no_controls_reason: None,
            references: &[AUDIT_DOC, AUDIT_REF, CIS],
            pss: None,
        },
        check: Check::Inventory(check_request_received),
    },
];

/// The reason the rules give when the input has no audit Policy.
const NO_POLICY: &str = "the input has no audit Policy (apiVersion audit.k8s.io/v1, kind Policy), the file --audit-policy-file points at; on managed clusters the provider sets it";

const LEVELS: [&str; 4] = ["None", "Metadata", "Request", "RequestResponse"];

/// One `resources` entry of a rule.
struct GroupResources<'a> {
    group: &'a str,
    resources: Vec<&'a str>,
    names: Vec<&'a str>,
}

/// One policy rule, read as the API server decodes it.
struct PolicyRule<'a> {
    index: usize,
    /// One of [`LEVELS`]; rules with another value (the API server refuses the policy) are
    /// skipped.
    level: &'a str,
    users: Vec<&'a str>,
    user_groups: Vec<&'a str>,
    verbs: Vec<&'a str>,
    namespaces: Vec<&'a str>,
    resources: Vec<GroupResources<'a>>,
    non_resource_urls: Vec<&'a str>,
    omit_stages: Vec<&'a str>,
}

fn strings<'a>(node: Node<'a>, key: &str) -> Vec<&'a str> {
    node.get(key)
        .into_iter()
        .flat_map(|n| n.items())
        .filter_map(|n| n.as_str())
        .collect()
}

impl<'a> PolicyRule<'a> {
    fn read(index: usize, node: Node<'a>) -> Option<PolicyRule<'a>> {
        let level = node.str_at("level").filter(|l| LEVELS.contains(l))?;
        Some(PolicyRule {
            index,
            level,
            users: strings(node, "users"),
            user_groups: strings(node, "userGroups"),
            verbs: strings(node, "verbs"),
            namespaces: strings(node, "namespaces"),
            resources: node
                .get("resources")
                .into_iter()
                .flat_map(|r| r.items())
                .map(|gr| GroupResources {
                    group: gr.str_at("group").unwrap_or(""),
                    resources: strings(gr, "resources"),
                    names: strings(gr, "resourceNames"),
                })
                .collect(),
            non_resource_urls: strings(node, "nonResourceURLs"),
            omit_stages: strings(node, "omitStages"),
        })
    }

    fn level_path(&self) -> FieldPath {
        FieldPath::root()
            .key("rules")
            .index(self.index)
            .key("level")
    }

    fn has_no_selectors(&self) -> bool {
        self.users.is_empty()
            && self.user_groups.is_empty()
            && self.verbs.is_empty()
            && self.namespaces.is_empty()
            && self.resources.is_empty()
            && self.non_resource_urls.is_empty()
    }

    /// Whether the rule is limited to resource requests (upstream: namespaces or resources
    /// set), to non-resource requests (only nonResourceURLs set), or matches both.
    fn is_resource_only(&self) -> bool {
        !self.namespaces.is_empty() || !self.resources.is_empty()
    }

    fn is_non_resource_only(&self) -> bool {
        !self.is_resource_only() && !self.non_resource_urls.is_empty()
    }

    /// API groups the rule matches as a whole: every resource of the group, any name.
    fn whole_groups(&self) -> Vec<&'a str> {
        self.resources
            .iter()
            .filter(|gr| {
                gr.names.is_empty() && (gr.resources.is_empty() || gr.resources.contains(&"*"))
            })
            .map(|gr| gr.group)
            .collect()
    }
}

/// How much of a set of requests a rule matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Match {
    No,
    /// Some of them (narrowed by users, groups, namespaces or object names).
    Some,
    /// All of them (for the verbs the rule allows).
    All,
}

/// A kind of request, over every user, namespace and object name.
#[derive(Clone, Copy, Debug)]
struct Target {
    group: &'static str,
    resource: &'static str,
    subresource: Option<&'static str>,
    namespaced: bool,
    /// What is being asked for, in messages.
    noun: &'static str,
    verbs: &'static [&'static str],
    /// Verbs whose request body carries the sensitive value (logged from level Request).
    request_leaks: &'static [&'static str],
    /// Verbs whose response body carries it (logged at RequestResponse).
    response_leaks: &'static [&'static str],
    carries: &'static str,
}

const OBJECT_VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];
const WRITES: &[&str] = &["create", "update", "patch"];
/// A watch's events are not recorded as its response body.
const READS_AND_WRITES: &[&str] = &[
    "get",
    "list",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

const SENSITIVE: [Target; 4] = [
    Target {
        group: "",
        resource: "secrets",
        subresource: None,
        namespaced: true,
        noun: "secrets",
        verbs: OBJECT_VERBS,
        request_leaks: WRITES,
        response_leaks: READS_AND_WRITES,
        carries: "Secret values",
    },
    Target {
        group: "",
        resource: "configmaps",
        subresource: None,
        namespaced: true,
        noun: "configmaps",
        verbs: OBJECT_VERBS,
        request_leaks: WRITES,
        response_leaks: READS_AND_WRITES,
        carries: "ConfigMap data (often credentials)",
    },
    Target {
        group: "authentication.k8s.io",
        resource: "tokenreviews",
        subresource: None,
        namespaced: false,
        noun: "tokenreviews.authentication.k8s.io",
        verbs: &["create"],
        request_leaks: &["create"],
        response_leaks: &["create"],
        carries: "the bearer tokens under review",
    },
    Target {
        group: "",
        resource: "serviceaccounts",
        subresource: Some("token"),
        namespaced: true,
        noun: "serviceaccounts/token",
        verbs: &["create"],
        request_leaks: &[],
        response_leaks: &["create"],
        carries: "issued service-account tokens",
    },
];

/// How much of `target`'s requests `rule` matches, verbs aside (upstream `ruleMatches`).
fn matches_target(rule: &PolicyRule<'_>, target: &Target) -> Match {
    let mut best = Match::All;
    if !rule.users.is_empty() || !rule.user_groups.is_empty() {
        best = Match::Some;
    }
    if !rule.is_resource_only() {
        // Non-resource rules never match resource requests; selector-free ones match all.
        return if rule.non_resource_urls.is_empty() {
            best
        } else {
            Match::No
        };
    }
    if !rule.namespaces.is_empty() {
        if target.namespaced {
            best = best.min(Match::Some);
        } else if !rule.namespaces.contains(&"") {
            return Match::No;
        }
    }
    if rule.resources.is_empty() {
        return best;
    }
    let combined = match target.subresource {
        Some(sub) => format!("{}/{sub}", target.resource),
        None => target.resource.to_string(),
    };
    let mut found = Match::No;
    for gr in rule.resources.iter().filter(|gr| gr.group == target.group) {
        if gr.resources.is_empty() {
            found = Match::All;
            break;
        }
        for res in &gr.resources {
            let hit = *res == combined
                || *res == "*"
                || target
                    .subresource
                    .is_some_and(|sub| res.strip_prefix("*/") == Some(sub))
                || res.strip_suffix("/*") == Some(target.resource);
            if hit {
                let m = if gr.names.is_empty() {
                    Match::All
                } else {
                    Match::Some
                };
                found = found.max(m);
            }
        }
    }
    best.min(found)
}

/// Every audit Policy of the input, its object and rules.
fn policies<'a>(ctx: &InventoryCtx<'a>) -> Vec<(&'a Object, Vec<PolicyRule<'a>>)> {
    ctx.inventory
        .of_kind("Policy")
        .filter(|o| o.id.group() == "audit.k8s.io")
        .map(|o| {
            let rules = o
                .root()
                .get("rules")
                .into_iter()
                .flat_map(|r| r.items())
                .enumerate()
                .filter_map(|(i, n)| PolicyRule::read(i, n))
                .collect();
            (o, rules)
        })
        .collect()
}

/// Runs `check` on each audit Policy, or declares the rule not evaluated.
fn each_policy(
    ctx: &InventoryCtx<'_>,
    sink: &mut Sink,
    mut check: impl FnMut(&Object, &[PolicyRule<'_>], &mut Sink),
) {
    let found = policies(ctx);
    if found.is_empty() {
        sink.not_evaluated(NO_POLICY);
    }
    for (object, rules) in &found {
        check(object, rules, sink);
    }
}

fn rules_path(object: &Object) -> FieldPath {
    let root = FieldPath::root();
    if object.root().get("rules").is_some() {
        root.key("rules")
    } else {
        root
    }
}

fn check_catch_all(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    each_policy(ctx, sink, |object, rules, sink| {
        match rules.iter().find(|r| r.has_no_selectors()) {
            Some(r) if r.level != "None" => {}
            Some(r) => {
                sink.report(
                    object,
                    r.level_path(),
                    format!(
                        "rules[{}] has no selectors and level None: every request not matched by an earlier rule goes unlogged",
                        r.index
                    ),
                );
            }
            None if rules.is_empty() => {
                sink.report(
                    object,
                    rules_path(object),
                    "the policy has no rules: no request is logged (the default level is None)",
                );
            }
            None => {
                sink.report(
                    object,
                    rules_path(object),
                    format!(
                        "no rule without selectors: requests matching none of the {} rules are not logged (the default level is None)",
                        rules.len()
                    ),
                );
            }
        }
    });
}

/// The first rule that would log a `target` request with its sensitive payload, with the
/// verbs for which it would.
/// Every stage an audit event can be emitted in (`audit.k8s.io/v1` `Stage`).
const STAGES: [&str; 4] = [
    "RequestReceived",
    "ResponseStarted",
    "ResponseComplete",
    "Panic",
];

/// The first rule that records the payload of a `target` request, with the verbs it leaks.
/// A rule that omits every stage (its own `omitStages` plus the policy's, `policy_omit`)
/// emits no event, so it decides the request without recording anything.
fn first_leaking_rule<'r, 'a>(
    rules: &'r [PolicyRule<'a>],
    policy_omit: &[&str],
    target: &Target,
) -> Option<(&'r PolicyRule<'a>, Vec<&'static str>)> {
    let mut remaining: Vec<&'static str> = target.verbs.to_vec();
    for rule in rules {
        let m = matches_target(rule, target);
        if m == Match::No {
            continue;
        }
        let verbs: Vec<&'static str> = remaining
            .iter()
            .copied()
            .filter(|v| rule.verbs.is_empty() || rule.verbs.contains(v))
            .collect();
        if verbs.is_empty() {
            continue;
        }
        let silent = STAGES
            .iter()
            .all(|s| rule.omit_stages.contains(s) || policy_omit.contains(s));
        let leaking: &[&str] = match rule.level {
            _ if silent => &[],
            "Request" => target.request_leaks,
            "RequestResponse" => target.response_leaks,
            _ => &[],
        };
        let leaked: Vec<&'static str> = verbs
            .iter()
            .copied()
            .filter(|v| leaking.contains(v))
            .collect();
        if !leaked.is_empty() {
            return Some((rule, leaked));
        }
        if m == Match::All {
            remaining.retain(|v| !verbs.contains(v));
            if remaining.is_empty() {
                return None;
            }
        }
    }
    None
}

fn check_payloads(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    each_policy(ctx, sink, |object, rules, sink| {
        let policy_omit = strings(object.root(), "omitStages");
        for target in &SENSITIVE {
            if let Some((rule, verbs)) = first_leaking_rule(rules, &policy_omit, target) {
                sink.report(
                    object,
                    rule.level_path(),
                    format!(
                        "rules[{}] (level {}) is the first rule matching {} of {}: the audit log would record {}",
                        rule.index,
                        rule.level,
                        verbs.join(", "),
                        target.noun,
                        target.carries
                    ),
                );
            }
        }
    });
}

/// What a broad `None` rule matches, or `None` when it is narrow: it must match every user
/// and namespace and either everything or at least one whole API group.
fn blanket_scope(rule: &PolicyRule<'_>) -> Option<String> {
    if rule.level != "None"
        || !rule.users.is_empty()
        || !rule.namespaces.is_empty()
        || rule.is_non_resource_only()
    {
        return None;
    }
    if !rule.user_groups.is_empty() && !rule.user_groups.contains(&"system:authenticated") {
        return None;
    }
    let whole = rule.whole_groups();
    let what = if rule.resources.is_empty() {
        "every request".to_string()
    } else if whole.is_empty() {
        return None;
    } else {
        let groups: Vec<String> = whole
            .iter()
            .map(|g| {
                if g.is_empty() {
                    "the core group".to_string()
                } else {
                    format!("group {g}")
                }
            })
            .collect();
        format!("every resource of {}", groups.join(", "))
    };
    let verbs = if rule.verbs.is_empty() {
        String::new()
    } else {
        format!(" for verbs {}", rule.verbs.join(", "))
    };
    let users = if rule.user_groups.is_empty() {
        "every user"
    } else {
        "every authenticated user"
    };
    Some(format!("{what}{verbs} for {users} and namespace"))
}

/// Whether a later rule can match a request the blanket rule matches.
fn overlaps(blanket: &PolicyRule<'_>, later: &PolicyRule<'_>) -> bool {
    if !blanket.verbs.is_empty()
        && !later.verbs.is_empty()
        && !later.verbs.iter().any(|v| blanket.verbs.contains(v))
    {
        return false;
    }
    // A group selector of system:authenticated never matches the anonymous user.
    if !blanket.user_groups.is_empty() {
        let anonymous_only = (!later.users.is_empty()
            && later.users.iter().all(|u| *u == "system:anonymous"))
            || (!later.user_groups.is_empty()
                && later
                    .user_groups
                    .iter()
                    .all(|g| *g == "system:unauthenticated"));
        if anonymous_only {
            return false;
        }
    }
    if blanket.resources.is_empty() {
        return true; // everything, resource and non-resource
    }
    if later.is_non_resource_only() {
        return false;
    }
    if later.resources.is_empty() {
        return true;
    }
    let whole_groups = blanket.whole_groups();
    later
        .resources
        .iter()
        .any(|gr| whole_groups.contains(&gr.group))
}

fn check_blanket_none(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    each_policy(ctx, sink, |object, rules, sink| {
        for (i, rule) in rules.iter().enumerate() {
            let Some(scope) = blanket_scope(rule) else {
                continue;
            };
            let shadowed: Vec<String> = rules[i + 1..]
                .iter()
                .filter(|later| later.level != "None" && overlaps(rule, later))
                .map(|later| format!("rules[{}] ({})", later.index, later.level))
                .collect();
            if shadowed.is_empty() {
                continue;
            }
            sink.report(
                object,
                rule.level_path(),
                format!(
                    "rules[{}] (level None) matches {scope}, before {}: the requests it matches are never logged by them",
                    rule.index,
                    shadowed.join(", ")
                ),
            );
        }
    });
}

fn check_request_received(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    each_policy(ctx, sink, |object, rules, sink| {
        let root = object.root();
        if strings(root, "omitStages").contains(&"RequestReceived") {
            return;
        }
        let logging: Vec<String> = rules
            .iter()
            .filter(|r| r.level != "None" && !r.omit_stages.contains(&"RequestReceived"))
            .map(|r| format!("rules[{}]", r.index))
            .collect();
        if logging.is_empty() {
            return;
        }
        let path = if root.get("omitStages").is_some() {
            FieldPath::root().key("omitStages")
        } else {
            rules_path(object)
        };
        sink.report(
            object,
            path,
            format!(
                "RequestReceived is not in the policy's omitStages: requests matched by {} are logged when received as well as when completed",
                logging.join(", ")
            ),
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_model::{Document, Origin};
    use serde_json::json;

    fn with_rules(rules: serde_json::Value, f: impl FnOnce(&[PolicyRule<'_>])) {
        let doc = Document::from_json(&json!({ "rules": rules }));
        let parsed: Vec<PolicyRule<'_>> = doc
            .root()
            .get("rules")
            .unwrap()
            .items()
            .enumerate()
            .filter_map(|(i, n)| PolicyRule::read(i, n))
            .collect();
        f(&parsed);
    }

    fn leak(rules: serde_json::Value, target: usize) -> Option<(usize, Vec<&'static str>)> {
        leak_omitting(rules, &[], target)
    }

    fn leak_omitting(
        rules: serde_json::Value,
        policy_omit: &[&str],
        target: usize,
    ) -> Option<(usize, Vec<&'static str>)> {
        let mut out = None;
        with_rules(rules, |r| {
            out = first_leaking_rule(r, policy_omit, &SENSITIVE[target]).map(|(r, v)| (r.index, v));
        });
        out
    }

    #[test]
    fn a_rule_that_omits_every_stage_records_nothing() {
        let rules = json!([
            {"level": "RequestResponse", "omitStages": ["ResponseStarted", "ResponseComplete", "Panic"],
             "resources": [{"group": "", "resources": ["secrets"]}]},
            {"level": "RequestResponse"},
        ]);
        // With the policy's RequestReceived the first rule emits no event, and it decides.
        assert_eq!(
            leak_omitting(rules.clone(), &["RequestReceived"], SECRETS),
            None
        );
        // Without it, the RequestReceived event carries the request body.
        assert_eq!(leak_omitting(rules, &[], SECRETS).map(|(i, _)| i), Some(0));
    }

    const SECRETS: usize = 0;
    const TOKENREVIEWS: usize = 2;
    const SA_TOKEN: usize = 3;

    #[test]
    fn first_match_wins() {
        let rules = json!([
            {"level": "Metadata", "resources": [{"group": "", "resources": ["secrets"]}]},
            {"level": "RequestResponse"},
        ]);
        assert_eq!(leak(rules, SECRETS), None);
        let rules = json!([
            {"level": "RequestResponse"},
            {"level": "Metadata", "resources": [{"group": "", "resources": ["secrets"]}]},
        ]);
        assert_eq!(leak(rules, SECRETS).map(|l| l.0), Some(0));
    }

    #[test]
    fn narrowed_rules_leave_requests_to_later_rules() {
        for narrowing in [
            json!({"users": ["admin"]}),
            json!({"userGroups": ["system:masters"]}),
            json!({"namespaces": ["kube-system"]}),
        ] {
            let mut first = json!({"level": "Metadata", "resources": [{"group": "", "resources": ["secrets"]}]});
            first
                .as_object_mut()
                .unwrap()
                .extend(narrowing.as_object().unwrap().clone());
            let rules = json!([first, {"level": "Request"}]);
            assert_eq!(
                leak(rules, SECRETS),
                Some((1, vec!["create", "update", "patch"])),
                "{narrowing}"
            );
        }
        let rules = json!([
            {"level": "Metadata", "resources": [{"group": "", "resources": ["secrets"], "resourceNames": ["a"]}]},
            {"level": "RequestResponse"},
        ]);
        assert_eq!(leak(rules, SECRETS).map(|l| l.0), Some(1));
    }

    #[test]
    fn verbs_are_taken_exactly() {
        // Reads at Metadata, writes at Request: writes carry the value.
        let rules = json!([
            {"level": "Metadata", "verbs": ["get", "list", "watch"]},
            {"level": "Request"},
        ]);
        assert_eq!(
            leak(rules, SECRETS),
            Some((1, vec!["create", "update", "patch"]))
        );
        // Request level for reads only: no body to record.
        let rules = json!([{"level": "Request", "verbs": ["get", "list", "watch"]}]);
        assert_eq!(leak(rules, SECRETS), None);
        // Every verb taken by earlier verb-only rules: nothing reaches the last rule.
        let rules = json!([
            {"level": "Metadata", "verbs": ["get", "list", "watch", "delete", "deletecollection"]},
            {"level": "Metadata", "verbs": ["create", "update", "patch"]},
            {"level": "RequestResponse"},
        ]);
        assert_eq!(leak(rules, SECRETS), None);
    }

    #[test]
    fn resource_patterns_follow_upstream() {
        for res in ["secrets", "*", "secrets/*"] {
            let rules = json!([{"level": "RequestResponse", "resources": [{"group": "", "resources": [res]}]}]);
            assert!(leak(rules, SECRETS).is_some(), "{res}");
        }
        for (group, res) in [("apps", "secrets"), ("", "secrets/status"), ("", "*/token")] {
            let rules = json!([{"level": "RequestResponse", "resources": [{"group": group, "resources": [res]}]}]);
            assert!(leak(rules, SECRETS).is_none(), "{group}/{res}");
        }
        // The group matches exactly; an entry without resources takes the whole group.
        let rules = json!([{"level": "RequestResponse", "resources": [{"group": ""}]}]);
        assert!(leak(rules, SECRETS).is_some());
        // Subresources: `*/token` and `serviceaccounts/*` match serviceaccounts/token.
        for res in ["*/token", "serviceaccounts/*", "serviceaccounts/token", "*"] {
            let rules = json!([{"level": "RequestResponse", "resources": [{"group": "", "resources": [res]}]}]);
            assert!(leak(rules, SA_TOKEN).is_some(), "{res}");
        }
        let rules = json!([{"level": "RequestResponse", "resources": [{"group": "", "resources": ["serviceaccounts"]}]}]);
        assert!(leak(rules, SA_TOKEN).is_none());
        // Request level does not record an issued token (it is in the response).
        assert!(leak(json!([{"level": "Request"}]), SA_TOKEN).is_none());
        // TokenReviews are cluster-scoped: a namespaces selector needs "" to match them.
        let rules = json!([{"level": "Request", "namespaces": ["default"]}]);
        assert!(leak(rules, TOKENREVIEWS).is_none());
        let rules = json!([{"level": "Request", "namespaces": [""]}]);
        assert!(leak(rules, TOKENREVIEWS).is_some());
        // Non-resource rules never match resource requests.
        let rules = json!([{"level": "RequestResponse", "nonResourceURLs": ["*"]}]);
        assert!(leak(rules, SECRETS).is_none());
    }

    #[test]
    fn blanket_none_detection() {
        with_rules(
            json!([
                {"level": "None"},
                {"level": "None", "verbs": ["get"]},
                {"level": "None", "userGroups": ["system:authenticated"]},
                {"level": "None", "resources": [{"group": ""}]},
                {"level": "None", "resources": [{"group": "", "resources": ["events"]}]},
                {"level": "None", "users": ["system:kube-proxy"]},
                {"level": "None", "nonResourceURLs": ["/healthz*"]},
                {"level": "None", "userGroups": ["system:nodes"]},
                {"level": "Metadata"},
            ]),
            |rules| {
                let broad: Vec<bool> = rules.iter().map(|r| blanket_scope(r).is_some()).collect();
                assert_eq!(
                    broad,
                    [true, true, true, true, false, false, false, false, false]
                );
                // A core-group None rule does not shadow rules about other groups.
                with_rules(
                    json!([{"level": "Metadata", "resources": [{"group": "rbac.authorization.k8s.io"}]}]),
                    |later| assert!(!overlaps(&rules[3], &later[0])),
                );
                // Disjoint verbs do not overlap.
                with_rules(
                    json!([{"level": "Metadata", "verbs": ["create"]}]),
                    |later| assert!(!overlaps(&rules[1], &later[0])),
                );
            },
        );
    }

    #[test]
    fn no_policy_is_not_evaluated() {
        let objects = vec![
            Object::from_json(
                &json!({"apiVersion": "kyverno.io/v1", "kind": "Policy", "metadata": {"name": "p", "namespace": "a"}}),
                Origin::Cluster,
            )
            .unwrap(),
        ];
        let inventory = palisade_model::Inventory::new(objects);
        let rules: Vec<&'static Rule> = RULES.iter().collect();
        let eval = crate::engine::evaluate(&inventory, &rules, &crate::Settings::default());
        assert!(eval.findings.is_empty());
        for run in eval.runs {
            assert!(
                matches!(run.coverage, crate::Coverage::NotEvaluated { .. }),
                "{}",
                run.rule.meta.id
            );
        }
    }
}
