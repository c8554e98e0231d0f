//! ADM003-ADM005: the admission webhooks of security engines (Kyverno, Gatekeeper, sigstore
//! policy-controller, Ratify, Palisade) fail closed and see every regulated namespace, and a
//! policy engine is deployed at all.
//!
//! Upstream semantics (admissionregistration.k8s.io): `failurePolicy` defaults to `Fail` in
//! `v1` and to `Ignore` in the removed `v1beta1`; a webhook's `namespaceSelector` is matched
//! against the labels of the request's namespace, which always include
//! `kubernetes.io/metadata.name`; its `objectSelector` against the object's labels (for
//! Pods created by a controller, the pod template's labels). An absent selector selects
//! everything.

use palisade_model::{FieldPath, LabelSelector, Node, Object};

use crate::context::{InventoryCtx, ObjectCtx};
use crate::models::namespace::namespace_labels;
use crate::rule::{Area, Check, GroupKind, Input, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

const WEBHOOK_DOC: &str =
    "https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/";
const WEBHOOK_KINDS: &[GroupKind] = &[
    GroupKind::new(
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    GroupKind::new(
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
];

/// Words that identify a security engine's webhook in configuration, webhook, service or
/// service-namespace names.
const SECURITY_ENGINES: &[(&str, &str)] = &[
    ("kyverno", "Kyverno"),
    ("gatekeeper", "Gatekeeper"),
    ("sigstore", "sigstore policy-controller"),
    ("policy-controller", "sigstore policy-controller"),
    ("cosign", "sigstore policy-controller"),
    ("ratify", "Ratify"),
    ("palisade", "Palisade"),
];

const WEBHOOK_FAIL: &str = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: gatekeeper-validating-webhook-configuration\nwebhooks:\n  - name: validation.gatekeeper.sh\n    failurePolicy: Ignore\n    sideEffects: None\n    admissionReviewVersions: [v1]\n    clientConfig:\n      service: {name: gatekeeper-webhook-service, namespace: gatekeeper-system}\n    rules:\n      - {apiGroups: [\"*\"], apiVersions: [\"*\"], operations: [CREATE, UPDATE], resources: [\"*\"]}\n";

pub static RULES: [Rule; 3] = [
    Rule {
        meta: RuleMeta {
            id: "ADM003",
            name: "security-webhook-fails-open",
            title: "Security admission webhook fails open",
            area: Area::Admission,
            severity: Severity::High,
            scope: Scope::Kinds(WEBHOOK_KINDS),
            reads: &[],
            rationale: "With `failurePolicy: Ignore` the API server admits the request whenever the webhook cannot answer: the policy engine crashing, being scaled down, timing out under load or being made unreachable by a network policy switches every policy off without anyone noticing. For the webhooks that enforce security policy (Kyverno, Gatekeeper, sigstore policy-controller, Ratify, Palisade) that turns an outage or a deliberate denial of service into a bypass. `admissionregistration.k8s.io/v1` defaults to `Fail`; the old `v1beta1` defaulted to `Ignore`.",
            remediation: "Set `failurePolicy: Fail` on the security engine's webhooks, run the engine with several replicas and a PodDisruptionBudget, and exempt only the engine's own namespace with a namespaceSelector.",
            example_fail: WEBHOOK_FAIL,
            example_pass: "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: gatekeeper-validating-webhook-configuration\nwebhooks:\n  - name: validation.gatekeeper.sh\n    failurePolicy: Fail\n    sideEffects: None\n    admissionReviewVersions: [v1]\n    clientConfig:\n      service: {name: gatekeeper-webhook-service, namespace: gatekeeper-system}\n    rules:\n      - {apiGroups: [\"*\"], apiVersions: [\"*\"], operations: [CREATE, UPDATE], resources: [\"*\"]}\n",
            evidence: &["adm.policy_engine_enforcing"],
            no_controls_reason: None,
            references: &[WEBHOOK_DOC],
            pss: None,
        },
        check: Check::Object(check_fails_open),
    },
    Rule {
        meta: RuleMeta {
            id: "ADM004",
            name: "security-webhook-skips-regulated-namespace",
            title: "Security admission webhook's selectors leave out a regulated namespace",
            area: Area::Admission,
            severity: Severity::High,
            scope: Scope::Kinds(WEBHOOK_KINDS),
            reads: &[Input::kind("", "Namespace"), Input::Workloads],
            rationale: "A webhook only sees requests its `namespaceSelector` and `objectSelector` select. A selector that leaves out a regulated namespace (an opt-in label the namespace lacks, an exclusion list that names it) or a regulated workload (an objectSelector its pod labels do not satisfy) means none of the engine's policies apply there, while the policies themselves look complete. Namespaces are evaluated with their labels from the input plus the automatic `kubernetes.io/metadata.name`; only namespaces whose Namespace object is in the input are judged. `matchConditions` (CEL) must all hold for the webhook to be called: conditions on `request.namespace` alone (`==`, `!=`, `in [...]`, `startsWith`, negated or not) are evaluated, and any other condition that mentions the namespace is reported as unproven, since Palisade does not evaluate CEL. Conditions on the requesting user alone (`request.userInfo.username` with `==`, `!=` or `startsWith`, `\"group\" in request.userInfo.groups`) are evaluated for the identity controllers create Pods with (`system:serviceaccount:kube-system:<controller>`): a webhook that skips it never sees the Pods of Deployments, StatefulSets, DaemonSets or Jobs.",
            remediation: "Change the webhook's namespaceSelector and objectSelector so they select every regulated namespace and workload (exclude only the engine's own namespace and kube-system), or add the opt-in label to the namespace.",
            example_fail: "# settings: regulated=payments\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: kyverno-resource-validating-webhook-cfg\nwebhooks:\n  - name: validate.kyverno.svc-fail\n    sideEffects: None\n    admissionReviewVersions: [v1]\n    clientConfig:\n      service: {name: kyverno-svc, namespace: kyverno}\n    namespaceSelector:\n      matchLabels:\n        policy.example.com/enforced: \"true\"\n    rules:\n      - {apiGroups: [\"\"], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}\n",
            example_pass: "# settings: regulated=payments\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    policy.example.com/enforced: \"true\"\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: kyverno-resource-validating-webhook-cfg\nwebhooks:\n  - name: validate.kyverno.svc-fail\n    sideEffects: None\n    admissionReviewVersions: [v1]\n    clientConfig:\n      service: {name: kyverno-svc, namespace: kyverno}\n    namespaceSelector:\n      matchLabels:\n        policy.example.com/enforced: \"true\"\n    rules:\n      - {apiGroups: [\"\"], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}\n",
            evidence: &[
                "adm.policy_engine_enforcing",
                "adm.image_verification_enforced",
            ],
            no_controls_reason: None,
            references: &[
                WEBHOOK_DOC,
                "https://kubernetes.io/docs/reference/labels-annotations-taints/#kubernetes-io-metadata-name",
            ],
            pss: None,
        },
        check: Check::Object(check_selectors),
    },
    Rule {
        meta: RuleMeta {
            id: "ADM005",
            name: "policy-engine-missing",
            title: "No admission policy engine (Gatekeeper or Kyverno) is running",
            area: Area::Admission,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: &[
                Input::Workloads,
                Input::kind(
                    "admissionregistration.k8s.io",
                    "ValidatingWebhookConfiguration",
                ),
                Input::kind(
                    "admissionregistration.k8s.io",
                    "MutatingWebhookConfiguration",
                ),
            ],
            rationale: "Pod Security Admission covers only the pod fields of the Pod Security Standards. Everything else a regulated cluster must enforce at the door (image provenance, registries, labels, resource limits, forbidden Service types) needs a policy engine such as Gatekeeper or Kyverno. An engine counts when its Deployment (with at least one replica) or its webhook configuration is in the input; a Deployment scaled to zero replicas enforces nothing. The rule is not evaluated on input without any workload.",
            remediation: "Install Gatekeeper or Kyverno with several replicas and enforcing policies, and keep its manifests with the cluster's configuration.",
            example_fail: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kyverno-admission-controller\n  namespace: kyverno\nspec:\n  replicas: 0\n  template:\n    spec:\n      containers:\n        - name: kyverno\n          image: ghcr.io/kyverno/kyverno:v1.13.4\n",
            example_pass: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kyverno-admission-controller\n  namespace: kyverno\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: kyverno\n          image: ghcr.io/kyverno/kyverno:v1.13.4\n",
            evidence: &["adm.policy_engine_enforcing"],
            no_controls_reason: None,
            references: &[
                "https://open-policy-agent.github.io/gatekeeper/website/docs/",
                "https://kyverno.io/docs/introduction/",
            ],
            pss: None,
        },
        check: Check::Inventory(check_engine_present),
    },
];

/// The security engine a webhook configuration belongs to, by its configuration, webhook,
/// service or service-namespace names.
pub fn security_engine(config: &Object) -> Option<&'static str> {
    let root = config.root();
    let mut names: Vec<&str> = vec![config.id.name.as_str()];
    for w in root.get("webhooks").into_iter().flat_map(|w| w.items()) {
        names.extend(w.str_at("name"));
        if let Some(svc) = w.get_in(&["clientConfig", "service"]) {
            names.extend(svc.str_at("name"));
            names.extend(svc.str_at("namespace"));
        }
    }
    engine_named(&names)
}

fn engine_named(names: &[&str]) -> Option<&'static str> {
    SECURITY_ENGINES.iter().find_map(|(word, engine)| {
        names
            .iter()
            .any(|n| n.to_ascii_lowercase().contains(word))
            .then_some(*engine)
    })
}

fn is_webhook_config(object: &Object) -> bool {
    let (group, kind) = (object.id.group(), object.kind());
    WEBHOOK_KINDS.iter().any(|k| k.is(group, kind))
}

fn webhooks<'a>(object: &'a Object) -> impl Iterator<Item = (usize, Node<'a>)> + 'a {
    object
        .root()
        .get("webhooks")
        .into_iter()
        .flat_map(|w| w.items())
        .enumerate()
}

fn webhook_path(i: usize) -> FieldPath {
    FieldPath::root().key("webhooks").index(i)
}

fn check_fails_open(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let object = ctx.object;
    if !is_webhook_config(object) {
        return;
    }
    let Some(engine) = security_engine(object) else {
        return;
    };
    let v1beta1 = object.id.api_version.ends_with("/v1beta1");
    for (i, w) in webhooks(object) {
        let name = w.str_at("name").unwrap_or_default();
        match w.str_at("failurePolicy") {
            Some("Ignore") => {
                sink.report(
                    object,
                    webhook_path(i).key("failurePolicy"),
                    format!(
                        "{engine} webhook {name:?} has failurePolicy Ignore: requests are admitted unchecked whenever the webhook is unavailable"
                    ),
                );
            }
            None if v1beta1 => {
                sink.report(
                    object,
                    webhook_path(i),
                    format!(
                        "{engine} webhook {name:?} sets no failurePolicy, which defaults to Ignore in admissionregistration.k8s.io/v1beta1: requests are admitted unchecked whenever the webhook is unavailable"
                    ),
                );
            }
            _ => {}
        }
    }
}

/// Whether a webhook's rules intercept Pods (resources `pods`, `*` or `*/*`, core group or
/// `*`).
fn intercepts_pods(w: Node<'_>) -> bool {
    w.get("rules")
        .into_iter()
        .flat_map(|r| r.items())
        .any(|rule| {
            let strings = |key: &str| -> Vec<&str> {
                rule.get(key)
                    .into_iter()
                    .flat_map(|n| n.items())
                    .filter_map(|n| n.as_str())
                    .collect()
            };
            strings("apiGroups")
                .iter()
                .any(|g| g.is_empty() || *g == "*")
                && strings("resources")
                    .iter()
                    .any(|r| matches!(*r, "pods" | "*" | "*/*"))
        })
}

fn check_selectors(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let object = ctx.object;
    if !is_webhook_config(object) {
        return;
    }
    let Some(engine) = security_engine(object) else {
        return;
    };
    // Regulated namespaces whose Namespace object is in the input (labels known).
    let regulated: Vec<&str> = ctx
        .inventory
        .of_kind("Namespace")
        .filter(|n| n.id.api_version == "v1")
        .map(|n| n.id.name.as_str())
        .filter(|n| ctx.settings.regulated.contains(n, ctx.inventory))
        .collect();
    if regulated.is_empty() {
        return;
    }
    for (i, w) in webhooks(object) {
        if !intercepts_pods(w) {
            continue;
        }
        let name = w.str_at("name").unwrap_or_default();
        if let Some(selector) = w.get("namespaceSelector") {
            let parsed = LabelSelector::from_node(selector);
            let skipped: Vec<&str> = regulated
                .iter()
                .copied()
                .filter(|ns| {
                    parsed
                        .as_ref()
                        .map_or(true, |s| !s.matches(&namespace_labels(ctx.inventory, ns)))
                })
                .collect();
            if !skipped.is_empty() {
                let shown = match &parsed {
                    Ok(s) => format!("{s}"),
                    Err(e) => format!("invalid: {e}"),
                };
                sink.report(
                    object,
                    webhook_path(i).key("namespaceSelector"),
                    format!(
                        "{engine} webhook {name:?} never sees requests from regulated namespace{} {} (namespaceSelector {shown})",
                        if skipped.len() == 1 { "" } else { "s" },
                        quoted(&skipped)
                    ),
                );
            }
        }
        report_match_conditions(ctx, engine, name, i, w, &regulated, sink);
        if let Some(selector) = w.get("objectSelector") {
            let Ok(parsed) = LabelSelector::from_node(selector) else {
                continue;
            };
            let skipped = unselected_workloads(ctx, &parsed, &regulated);
            if !skipped.is_empty() {
                sink.report(
                    object,
                    webhook_path(i).key("objectSelector"),
                    format!(
                        "{engine} webhook {name:?} never sees the pods of {} workload{} in regulated namespaces ({}): objectSelector {parsed} does not match their labels",
                        skipped.len(),
                        if skipped.len() == 1 { "" } else { "s" },
                        skipped.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
    }
}

/// A webhook is called only when every `matchConditions` CEL expression is true. The forms
/// that decide by namespace alone are evaluated (`request.namespace` compared with `==`/`!=`,
/// tested with `in [...]` or `startsWith(...)`, optionally negated with `!`); any other
/// expression that mentions the namespace is reported as unproven, since Palisade does not
/// evaluate CEL. The forms that decide by user alone ([`UserCondition`]) are evaluated for
/// the controllers' identity, when a regulated namespace has a controller-managed workload.
/// Other expressions are not judged.
fn report_match_conditions(
    ctx: &ObjectCtx<'_>,
    engine: &str,
    name: &str,
    i: usize,
    w: Node<'_>,
    regulated: &[&str],
    sink: &mut Sink,
) {
    for (j, condition) in w
        .get("matchConditions")
        .into_iter()
        .flat_map(|c| c.items())
        .enumerate()
    {
        let Some(expression) = condition.str_at("expression") else {
            continue;
        };
        let path = webhook_path(i)
            .key("matchConditions")
            .index(j)
            .key("expression");
        if let Some(user) = UserCondition::parse(expression) {
            if user.holds(CONTROLLER_USER, &CONTROLLER_GROUPS) {
                continue;
            }
            let Some(example) = controller_workload(ctx, regulated) else {
                continue;
            };
            sink.report(
                ctx.object,
                path,
                format!(
                    "{engine} webhook {name:?} never sees the Pods that controllers create (for Deployments, StatefulSets, DaemonSets and Jobs, such as {example}): its matchCondition {expression:?} is false for the controllers' identity ({CONTROLLER_USER}, in system:serviceaccounts:kube-system)"
                ),
            );
            continue;
        }
        if !expression.contains("namespace") {
            continue;
        }
        let message = match NamespaceCondition::parse(expression) {
            Some(condition) => {
                let skipped: Vec<&str> = regulated
                    .iter()
                    .copied()
                    .filter(|ns| !condition.holds(ns))
                    .collect();
                if skipped.is_empty() {
                    continue;
                }
                format!(
                    "{engine} webhook {name:?} never sees requests from regulated namespace{} {}: its matchCondition {expression:?} is false there",
                    if skipped.len() == 1 { "" } else { "s" },
                    quoted(&skipped)
                )
            }
            None => format!(
                "{engine} webhook {name:?} is called only when matchCondition {expression:?} holds, which depends on the namespace in a way Palisade does not evaluate (CEL): that it covers regulated namespace{} {} is not proven",
                if regulated.len() == 1 { "" } else { "s" },
                quoted(regulated)
            ),
        };
        sink.report(ctx.object, path, message);
    }
}

/// A CEL matchCondition that decides by `request.namespace` alone.
#[derive(Debug, PartialEq, Eq)]
struct NamespaceCondition {
    negated: bool,
    test: NamespaceTest,
}

#[derive(Debug, PartialEq, Eq)]
enum NamespaceTest {
    Equals(String),
    In(Vec<String>),
    StartsWith(String),
}

impl NamespaceCondition {
    fn holds(&self, namespace: &str) -> bool {
        let t = match &self.test {
            NamespaceTest::Equals(v) => namespace == v,
            NamespaceTest::In(vs) => vs.iter().any(|v| v == namespace),
            NamespaceTest::StartsWith(p) => namespace.starts_with(p.as_str()),
        };
        t != self.negated
    }

    fn parse(expression: &str) -> Option<Self> {
        let (mut negated, e) = strip_negations(expression);
        let rest = e.strip_prefix("request.namespace")?.trim_start();
        let test = if let Some(v) = rest.strip_prefix("==") {
            NamespaceTest::Equals(string_literal(v.trim())?)
        } else if let Some(v) = rest.strip_prefix("!=") {
            negated = !negated;
            NamespaceTest::Equals(string_literal(v.trim())?)
        } else if let Some(v) = rest.strip_prefix("in ") {
            let list = v.trim().strip_prefix('[')?.strip_suffix(']')?;
            let items = list
                .split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(string_literal)
                .collect::<Option<Vec<_>>>()?;
            NamespaceTest::In(items)
        } else if let Some(v) = rest.strip_prefix(".startsWith(") {
            NamespaceTest::StartsWith(string_literal(v.strip_suffix(')')?.trim())?)
        } else {
            return None;
        };
        Some(NamespaceCondition { negated, test })
    }
}

/// `!(...)` and `!expr`, any number of times, and plain parentheses: whether the rest is
/// negated, and the rest.
fn strip_negations(expression: &str) -> (bool, &str) {
    let mut e = expression.trim();
    let mut negated = false;
    loop {
        if let Some(rest) = e.strip_prefix('!') {
            negated = !negated;
            e = rest.trim_start();
        } else if let Some(inner) = e.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            e = inner.trim();
        } else {
            return (negated, e);
        }
    }
}

/// The identity kube-controller-manager creates the pods of Deployments, StatefulSets,
/// DaemonSets, Jobs and CronJobs with (`--use-service-account-credentials`, as kubeadm sets
/// it): one service account per controller in `kube-system`.
const CONTROLLER_USER: &str = "system:serviceaccount:kube-system:replicaset-controller";
const CONTROLLER_GROUPS: [&str; 3] = [
    "system:serviceaccounts",
    "system:serviceaccounts:kube-system",
    "system:authenticated",
];

/// A CEL matchCondition that decides by the requesting user alone:
/// `request.userInfo.username` compared with `==`/`!=` or tested with `startsWith(...)`, or
/// `"group" in request.userInfo.groups`, optionally negated.
#[derive(Debug, PartialEq, Eq)]
struct UserCondition {
    negated: bool,
    test: UserTest,
}

#[derive(Debug, PartialEq, Eq)]
enum UserTest {
    NameEquals(String),
    NameStartsWith(String),
    InGroup(String),
}

impl UserCondition {
    fn holds(&self, user: &str, groups: &[&str]) -> bool {
        let t = match &self.test {
            UserTest::NameEquals(v) => user == v,
            UserTest::NameStartsWith(p) => user.starts_with(p.as_str()),
            UserTest::InGroup(g) => groups.contains(&g.as_str()),
        };
        t != self.negated
    }

    fn parse(expression: &str) -> Option<Self> {
        let (mut negated, e) = strip_negations(expression);
        let test = if let Some(rest) = e.strip_prefix("request.userInfo.username") {
            let rest = rest.trim_start();
            if let Some(v) = rest.strip_prefix("==") {
                UserTest::NameEquals(string_literal(v.trim())?)
            } else if let Some(v) = rest.strip_prefix("!=") {
                negated = !negated;
                UserTest::NameEquals(string_literal(v.trim())?)
            } else {
                let v = rest.strip_prefix(".startsWith(")?.strip_suffix(')')?;
                UserTest::NameStartsWith(string_literal(v.trim())?)
            }
        } else {
            let (group, list) = e.split_once(" in ")?;
            if list.trim() != "request.userInfo.groups" {
                return None;
            }
            UserTest::InGroup(string_literal(group.trim())?)
        };
        Some(UserCondition { negated, test })
    }
}

/// A CEL string literal without escapes, single- or double-quoted.
fn string_literal(s: &str) -> Option<String> {
    let inner = s
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))?;
    (!inner.contains(['\\', '"', '\''])).then(|| inner.to_string())
}

/// A workload in one of `namespaces` whose pods a controller creates (any workload kind but
/// a bare Pod), named for a finding.
fn controller_workload(ctx: &ObjectCtx<'_>, namespaces: &[&str]) -> Option<String> {
    ctx.inventory.objects().iter().find_map(|o| {
        let ns = o.id.effective_namespace()?;
        (namespaces.contains(&ns)
            && o.kind() != "Pod"
            && palisade_model::workload::PodSpecLocator::runs_pods(o)
            && ctx.settings.locator.is_workload(o))
        .then(|| o.id.to_string())
    })
}

/// Workloads in the given namespaces whose pod labels the selector does not match.
fn unselected_workloads(
    ctx: &ObjectCtx<'_>,
    selector: &LabelSelector,
    namespaces: &[&str],
) -> Vec<String> {
    let mut out = Vec::new();
    for o in ctx.inventory.objects() {
        let Some(ns) = o.id.effective_namespace() else {
            continue;
        };
        if !namespaces.contains(&ns) {
            continue;
        }
        let Some(template) = ctx.settings.locator.pod_template(o) else {
            continue;
        };
        let labels: Vec<(&str, &str)> = template.labels().collect();
        if !selector.matches(&labels) {
            out.push(format!("{}", o.id));
        }
    }
    out
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Gatekeeper or Kyverno, recognised in a Deployment's name, labels or images.
fn engine_of_deployment(ctx: &InventoryCtx<'_>, o: &Object) -> Option<&'static str> {
    let mut names: Vec<&str> = vec![o.id.name.as_str()];
    names.extend(o.labels().map(|(_, v)| v));
    if let Some(t) = ctx.settings.locator.pod_template(o) {
        names.extend(t.containers().filter_map(|c| c.node.str_at("image")));
    }
    let lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    if lower.iter().any(|n| n.contains("gatekeeper")) {
        Some("Gatekeeper")
    } else if lower.iter().any(|n| n.contains("kyverno")) {
        Some("Kyverno")
    } else {
        None
    }
}

fn check_engine_present(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let inventory = ctx.inventory;
    let deployments: Vec<(&Object, &str)> = inventory
        .of_kind("Deployment")
        .filter(|o| o.id.group() == "apps")
        .filter_map(|o| Some((o, engine_of_deployment(ctx, o)?)))
        .collect();
    // `spec.replicas` defaults to 1.
    let replicas = |o: &Object| {
        o.root()
            .get_in(&["spec", "replicas"])
            .and_then(|r| r.as_i64())
            .unwrap_or(1)
    };
    if !deployments.is_empty() {
        if deployments.iter().any(|(o, _)| replicas(o) != 0) {
            return;
        }
        for (o, engine) in deployments {
            sink.report(
                o,
                FieldPath::parse("spec.replicas"),
                format!(
                    "{engine} Deployment {:?} is scaled to 0 replicas: no policy engine is running, so its webhooks either block every request or (failing open) enforce nothing",
                    o.id.name
                ),
            );
        }
        return;
    }
    let webhook = inventory.objects().iter().any(|o| {
        is_webhook_config(o) && matches!(security_engine(o), Some("Gatekeeper" | "Kyverno"))
    });
    if webhook {
        return;
    }
    ctx.report_missing_from_cluster(
        sink,
        "no Gatekeeper or Kyverno Deployment or webhook configuration is in the input: nothing enforces admission policy beyond Pod Security Admission",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_words() {
        assert_eq!(engine_named(&["validate.kyverno.svc"]), Some("Kyverno"));
        assert_eq!(
            engine_named(&["policy.sigstore.dev"]),
            Some("sigstore policy-controller")
        );
        assert_eq!(engine_named(&["cert-manager-webhook"]), None);
    }
}

#[cfg(test)]
mod match_condition_tests {
    use super::*;

    fn holds(expression: &str, namespace: &str) -> Option<bool> {
        NamespaceCondition::parse(expression).map(|c| c.holds(namespace))
    }

    #[test]
    fn namespace_conditions_are_evaluated_and_others_are_not() {
        assert_eq!(
            holds("request.namespace != 'kube-system'", "pay"),
            Some(true)
        );
        assert_eq!(holds("request.namespace != \"pay\"", "pay"), Some(false));
        assert_eq!(holds("request.namespace == 'pay'", "pay"), Some(true));
        assert_eq!(holds("!(request.namespace == 'pay')", "pay"), Some(false));
        assert_eq!(
            holds("request.namespace in ['a', 'pay']", "pay"),
            Some(true)
        );
        assert_eq!(
            holds("!(request.namespace in ['a', 'pay'])", "pay"),
            Some(false)
        );
        assert_eq!(
            holds("!request.namespace.startsWith('pa')", "pay"),
            Some(false)
        );
        assert_eq!(
            holds("request.namespace.startsWith(\"x\")", "pay"),
            Some(false)
        );
        // Not decidable here: compound, regex, escapes.
        assert_eq!(
            holds("request.namespace == 'a' || request.namespace == 'b'", "a"),
            None
        );
        assert_eq!(holds("request.namespace.matches('^pay')", "pay"), None);
        assert_eq!(holds("request.namespace == 'it\\'s'", "pay"), None);
        assert_eq!(holds("(request.namespace == 'a') && (true)", "a"), None);
    }

    #[test]
    fn user_conditions_are_evaluated_for_the_controllers_identity() {
        let controllers =
            |e: &str| UserCondition::parse(e).map(|c| c.holds(CONTROLLER_USER, &CONTROLLER_GROUPS));
        // Kubernetes' own example: excluding the kubelets leaves controllers in.
        assert_eq!(
            controllers("!(\"system:nodes\" in request.userInfo.groups)"),
            Some(true)
        );
        assert_eq!(
            controllers("!('system:serviceaccounts:kube-system' in request.userInfo.groups)"),
            Some(false)
        );
        assert_eq!(
            controllers("!request.userInfo.username.startsWith('system:')"),
            Some(false)
        );
        assert_eq!(
            controllers(
                "request.userInfo.username != 'system:serviceaccount:kube-system:replicaset-controller'"
            ),
            Some(false)
        );
        assert_eq!(
            controllers("request.userInfo.username == 'alice'"),
            Some(false)
        );
        assert_eq!(controllers("request.userInfo.username.endsWith('x')"), None);
        assert_eq!(controllers("'a' in request.userInfo.extra"), None);
    }
}
