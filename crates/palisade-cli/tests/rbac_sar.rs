//! Differential test of the RBAC evaluator against the real API server: a seeded random
//! policy (namespaces, Roles, ClusterRoles with aggregation rules, wildcards, resource
//! names, subresources and non-resource URLs, RoleBindings to Roles and ClusterRoles,
//! ClusterRoleBindings, User / Group / ServiceAccount subjects, references to roles that do
//! not exist) is created in a `scripts/testcluster` kube-apiserver, read back with
//! `palisade_cluster::collect` (so the server's bootstrap roles and bindings take part, e.g.
//! `system:discovery` bound to `system:authenticated`), and thousands of generated requests
//! are put both to a SubjectAccessReview and to `Policy::authorize_apiserver`. Every
//! disagreement fails the test with the request printed. Then `palisade rbac can-i` and
//! `who-can --cluster` are checked on the same cluster (can-i against an impersonated
//! SelfSubjectAccessReview, which checks how `--as`/`--as-group` become groups too).
//!
//! ClusterRole aggregation, honestly: the test control plane has no kube-controller-manager,
//! so nothing runs the clusterrole-aggregation controller, and the server's RBAC authorizer
//! evaluates the rules *stored* in an aggregated ClusterRole. The evaluator ignores those
//! and computes the aggregation itself (as the controller would write it). So the test
//! stores in each generated aggregated ClusterRole the rules the controller would write,
//! computed here by the test's own small model of the controller (label matching for the
//! `matchLabels` / `In` / `Exists` selectors it generates, nested aggregation, no cycles),
//! independently of the evaluator. The SubjectAccessReviews then check RBAC evaluation
//! against upstream, and aggregation is checked against this model (and directly: every
//! aggregated ClusterRole a binding refers to must have the same rules in the evaluator as
//! stored in the server), not against the controller's own code. The bootstrap aggregated
//! roles (`admin`, `edit`, `view`) are stored empty here; no binding refers to them.
//!
//! Needs Go (the control plane is built from the Go module proxy, ~14 min the first time,
//! cached afterwards). Without `go` the test is skipped with a message, unless `CI` is set,
//! where it fails. `RBAC_SAR_SEED` and `RBAC_SAR_QUERIES` change the seed and the number of
//! requests; `RBAC_SAR_DUMP=1` prints the generated objects.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use k8s_openapi::api::authorization::v1::{SelfSubjectAccessReview, SubjectAccessReview};
use kube::api::{Api, ApiResource, DynamicObject, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use palisade_model::Inventory;
use palisade_rbac::authz::{Policy, PolicyRule, Request, Target, UserInfo};
use palisade_testkit::{Rng, env_count};
use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

// ------------------------------------------------------------------ the cluster

/// A running test control plane, stopped when dropped (also when the test panics).
struct Cluster {
    run_dir: String,
    kubeconfig: PathBuf,
}

impl Cluster {
    /// `None` (skipped) when Go is missing outside CI.
    fn start() -> Option<Cluster> {
        let go = Command::new("go").arg("version").output();
        if !go.as_ref().is_ok_and(|o| o.status.success()) {
            assert!(
                std::env::var_os("CI").is_none(),
                "the test control plane needs Go in CI: {go:?}"
            );
            eprintln!(
                "SKIPPED: rbac_sar needs Go to build the test control plane (scripts/testcluster)"
            );
            return None;
        }
        let out = Command::new(root().join("scripts/testcluster"))
            .arg("up")
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("scripts/testcluster runs");
        assert!(out.status.success(), "scripts/testcluster up failed");
        let stdout = String::from_utf8(out.stdout).expect("UTF-8");
        let line = stdout.lines().last().expect("up prints a line");
        let field = |key: &str| {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(key))
                .unwrap_or_else(|| panic!("no {key} in {line:?}"))
                .to_string()
        };
        Some(Cluster {
            run_dir: field("RUN_DIR="),
            kubeconfig: PathBuf::from(field("KUBECONFIG_ADMIN=")),
        })
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let status = Command::new(root().join("scripts/testcluster"))
            .args(["down", &self.run_dir])
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("scripts/testcluster down {} failed", self.run_dir);
        }
    }
}

async fn client(kubeconfig: &Path, impersonate: Option<(&str, &[String])>) -> Client {
    let kc = Kubeconfig::read_from(kubeconfig).expect("kubeconfig");
    let mut config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("config");
    if let Some((user, groups)) = impersonate {
        config.auth_info.impersonate = Some(user.to_string());
        config.auth_info.impersonate_groups = (!groups.is_empty()).then(|| groups.to_vec());
    }
    Client::try_from(config).expect("client")
}

// ------------------------------------------------------------------ the generated policy

const NAMESPACES: &[&str] = &["alpha", "beta", "gamma"];
/// Namespaces requests are made in: the generated ones, one without bindings, and one of
/// the bootstrap policy's.
const REQUEST_NAMESPACES: &[&str] = &["alpha", "beta", "gamma", "delta", "kube-system"];
const USERS: &[&str] = &["ann", "ben", "cat", "dan", "eve"];
const GROUPS: &[&str] = &["dev", "ops", "audit", "qa"];
const SERVICE_ACCOUNTS: &[(&str, &str)] = &[
    ("alpha", "build"),
    ("alpha", "web"),
    ("beta", "build"),
    ("gamma", "job"),
    ("delta", "x"),
];
const VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "escalate",
    "bind",
    "impersonate",
    "use",
];
/// (group, resource, subresources).
const RESOURCES: &[(&str, &str, &[&str])] = &[
    ("", "pods", &["exec", "log", "status"]),
    ("", "secrets", &[]),
    ("", "configmaps", &[]),
    ("", "services", &["proxy"]),
    ("", "nodes", &["status", "proxy"]),
    ("", "serviceaccounts", &["token"]),
    ("apps", "deployments", &["scale", "status"]),
    ("batch", "jobs", &["status"]),
    ("rbac.authorization.k8s.io", "roles", &[]),
    ("example.com", "widgets", &["status"]),
];
const NAMES: &[&str] = &["a", "b", "c"];
/// URLs in rules (exact, `*`, prefix patterns) and in requests.
const URL_RULES: &[&str] = &[
    "/healthz",
    "/healthz/*",
    "/metrics",
    "/apis/*",
    "/api*",
    "/logs/*",
    "/version",
    "/api/*/x", // a star not at the end is literal
    "*",
];
const URLS: &[&str] = &[
    "/healthz",
    "/healthz/etcd",
    "/metrics",
    "/apis",
    "/apis/apps",
    "/api",
    "/api/v1",
    "/logs",
    "/logs/kube.log",
    "/version",
    "/openapi/v2",
    "/livez",
    "/api/*/x",
    "/api/v1/x",
];
const URL_VERBS: &[&str] = &["get", "post", "put", "delete", "head"];
/// Label keys aggregation selects on: level-1 aggregated roles select basic roles by
/// `agg-0`, `agg-1` or `tier`; level-2 ones by `agg-2`, `agg-3`, which basic and level-1
/// roles carry (nesting without cycles).
const AGG: &str = "palisade.test/agg-";
const TIER: &str = "palisade.test/tier";
const TIERS: &[&str] = &["gold", "silver", "bronze"];
/// Bootstrap ClusterRoles bindings may refer to (not aggregated).
const BOOTSTRAP_ROLES: &[&str] = &[
    "system:basic-user",
    "system:public-info-viewer",
    "system:controller:job-controller",
    "system:node-proxier",
];

fn distinct(rng: &mut Rng, from: &[&str], max: usize) -> Vec<String> {
    let n = 1 + rng.below(max);
    let mut out: Vec<String> = Vec::new();
    for _ in 0..n {
        let v = rng.pick(from).to_string();
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// A rule as the manifest holds it; equality is the controller's deep equality.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Rule {
    verbs: Vec<String>,
    groups: Vec<String>,
    resources: Vec<String>,
    names: Vec<String>,
    urls: Vec<String>,
}

impl Rule {
    fn json(&self) -> Value {
        let mut v = json!({"verbs": self.verbs});
        let mut put = |k: &str, list: &Vec<String>| {
            if !list.is_empty() {
                v[k] = json!(list);
            }
        };
        put("apiGroups", &self.groups);
        put("resources", &self.resources);
        put("resourceNames", &self.names);
        put("nonResourceURLs", &self.urls);
        v
    }

    fn of(rule: &PolicyRule) -> Rule {
        Rule {
            verbs: rule.verbs.clone(),
            groups: rule.api_groups.clone(),
            resources: rule.resources.clone(),
            names: rule.resource_names.clone(),
            urls: rule.non_resource_urls.clone(),
        }
    }
}

fn resource_rule(rng: &mut Rng) -> Rule {
    let verbs = if rng.chance(4) {
        vec!["*".to_string()]
    } else if rng.chance(3) {
        vec!["Get".to_string()] // case matters
    } else {
        distinct(rng, VERBS, 3)
    };
    let groups_all: Vec<&str> = RESOURCES.iter().map(|r| r.0).collect();
    let groups = if rng.chance(5) {
        vec!["*".to_string()]
    } else {
        distinct(rng, &groups_all, 2)
    };
    let mut resources = Vec::new();
    for _ in 0..1 + rng.below(2) {
        // A resource of one of the rule's groups, mostly.
        let candidates: Vec<&(&str, &str, &[&str])> = RESOURCES
            .iter()
            .filter(|r| groups.iter().any(|g| g == "*" || g == r.0))
            .collect();
        let (_, res, subs) = if candidates.is_empty() || rng.chance(10) {
            *rng.pick(&RESOURCES.iter().collect::<Vec<_>>())
        } else {
            *rng.pick(&candidates)
        };
        let r = match rng.below(100) {
            0..4 => "*".to_string(),
            4..12 => format!("*/{}", rng.pick(&["status", "scale", "exec", "log"])),
            12..15 => format!("{res}/*"), // not a pattern upstream
            15..17 => res.to_uppercase(), // case matters
            19..45 if !subs.is_empty() => format!("{res}/{}", rng.pick(subs)),
            _ => res.to_string(),
        };
        if !resources.contains(&r) {
            resources.push(r);
        }
    }
    let names = if rng.chance(20) {
        distinct(rng, NAMES, 2)
    } else {
        Vec::new()
    };
    Rule {
        verbs,
        groups,
        resources,
        names,
        urls: Vec::new(),
    }
}

fn url_rule(rng: &mut Rng) -> Rule {
    Rule {
        verbs: if rng.chance(10) {
            vec!["*".to_string()]
        } else {
            distinct(rng, URL_VERBS, 2)
        },
        urls: distinct(rng, URL_RULES, 2),
        ..Rule::default()
    }
}

/// One selector of an aggregation rule: `matchLabels` (key → value) and `In` / `Exists`
/// expressions.
#[derive(Clone, Debug)]
struct Selector {
    labels: Vec<(String, String)>,
    /// (key, values); empty values = Exists.
    expressions: Vec<(String, Vec<String>)>,
}

impl Selector {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.expressions.iter().all(|(k, values)| {
                labels
                    .get(k)
                    .is_some_and(|v| values.is_empty() || values.contains(v))
            })
    }

    fn json(&self) -> Value {
        let mut v = json!({});
        if !self.labels.is_empty() {
            v["matchLabels"] = self
                .labels
                .iter()
                .map(|(k, val)| (k.clone(), Value::from(val.as_str())))
                .collect::<serde_json::Map<_, _>>()
                .into();
        }
        if !self.expressions.is_empty() {
            v["matchExpressions"] = self
                .expressions
                .iter()
                .map(|(k, values)| {
                    if values.is_empty() {
                        json!({"key": k, "operator": "Exists"})
                    } else {
                        json!({"key": k, "operator": "In", "values": values})
                    }
                })
                .collect();
        }
        v
    }
}

#[derive(Clone, Debug)]
struct ClusterRole {
    name: String,
    labels: BTreeMap<String, String>,
    rules: Vec<Rule>,
    /// `Some` for aggregated roles, with their level (1 or 2).
    aggregation: Option<(u8, Vec<Selector>)>,
}

fn selector(rng: &mut Rng, level: u8) -> Selector {
    let keys: &[usize] = if level == 1 { &[0, 1] } else { &[2, 3] };
    let key = format!("{AGG}{}", rng.pick(keys));
    match rng.below(4) {
        0 if level == 1 => Selector {
            labels: vec![],
            expressions: vec![(TIER.into(), distinct(rng, TIERS, 2))],
        },
        1 => Selector {
            labels: vec![],
            expressions: vec![(key, vec![])],
        },
        _ => Selector {
            labels: vec![(key, "true".into())],
            expressions: vec![],
        },
    }
}

fn cluster_roles(rng: &mut Rng) -> Vec<ClusterRole> {
    let mut roles = Vec::new();
    for i in 0..24 {
        let mut labels = BTreeMap::new();
        for k in 0..4 {
            if rng.chance(12) {
                labels.insert(format!("{AGG}{k}"), "true".to_string());
            }
        }
        if rng.chance(40) {
            labels.insert(TIER.to_string(), rng.pick(TIERS).to_string());
        }
        let mut rules: Vec<Rule> = (0..1 + rng.below(3)).map(|_| resource_rule(rng)).collect();
        if rng.chance(30) {
            rules.push(url_rule(rng));
        }
        roles.push(ClusterRole {
            name: format!("cr-{i}"),
            labels,
            rules,
            aggregation: None,
        });
    }
    for (i, level) in [1, 1, 1, 2, 2, 2].into_iter().enumerate() {
        let mut labels = BTreeMap::new();
        if level == 1 && rng.chance(60) {
            labels.insert(format!("{AGG}{}", 2 + rng.below(2)), "true".to_string());
        }
        let selectors = (0..1 + rng.below(2))
            .map(|_| selector(rng, level))
            .collect();
        roles.push(ClusterRole {
            name: format!("agg-{i}"),
            labels,
            rules: Vec::new(),
            aggregation: Some((level, selectors)),
        });
    }
    // The rules the aggregation controller would write: level 1 first (it reads basic roles
    // only), then level 2 (basic and level-1 roles). Union by deep equality, matches by
    // name, self excluded.
    for level in [1, 2] {
        let snapshot = roles.clone();
        for role in roles.iter_mut() {
            let Some((l, selectors)) = &role.aggregation else {
                continue;
            };
            if *l != level {
                continue;
            }
            let mut sources: Vec<&ClusterRole> = snapshot
                .iter()
                .filter(|c| c.name != role.name && selectors.iter().any(|s| s.matches(&c.labels)))
                .collect();
            sources.sort_by(|a, b| a.name.cmp(&b.name));
            let mut rules: Vec<Rule> = Vec::new();
            for c in sources {
                for r in &c.rules {
                    if !rules.contains(r) {
                        rules.push(r.clone());
                    }
                }
            }
            role.rules = rules;
        }
    }
    roles
}

fn subject(rng: &mut Rng, cluster_binding: bool) -> Value {
    let rbac = "rbac.authorization.k8s.io";
    match rng.below(100) {
        0..30 => json!({"kind": "User", "name": rng.pick(USERS), "apiGroup": rbac}),
        30..34 => {
            let (ns, sa) = rng.pick(SERVICE_ACCOUNTS);
            json!({"kind": "User", "name": format!("system:serviceaccount:{ns}:{sa}"), "apiGroup": rbac})
        }
        34..60 => json!({"kind": "Group", "name": rng.pick(GROUPS), "apiGroup": rbac}),
        60..63 => {
            let name = match rng.below(5) {
                0 => "system:serviceaccounts".to_string(),
                // Everyone, cluster-wide, would drown every other answer.
                1 if !cluster_binding => "system:authenticated".to_string(),
                2 => "system:unauthenticated".to_string(),
                _ => format!("system:serviceaccounts:{}", rng.pick(NAMESPACES)),
            };
            json!({"kind": "Group", "name": name, "apiGroup": rbac})
        }
        _ => {
            let (ns, sa) = rng.pick(SERVICE_ACCOUNTS);
            if cluster_binding || rng.chance(50) {
                json!({"kind": "ServiceAccount", "name": sa, "namespace": ns})
            } else {
                // The binding's namespace.
                json!({"kind": "ServiceAccount", "name": sa})
            }
        }
    }
}

fn subjects(rng: &mut Rng, cluster_binding: bool) -> Vec<Value> {
    (0..1 + rng.below(3))
        .map(|_| subject(rng, cluster_binding))
        .collect()
}

/// The generated objects (manifests, in creation order) and the model's aggregated roles.
struct Generated {
    objects: Vec<Value>,
    aggregated: BTreeMap<String, Vec<Rule>>,
    roles: usize,
    cluster_roles: usize,
    role_bindings: usize,
    cluster_role_bindings: usize,
}

fn generate(rng: &mut Rng) -> Generated {
    let rbac = "rbac.authorization.k8s.io/v1";
    let mut objects = Vec::new();
    for ns in NAMESPACES {
        objects.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}));
    }
    let crs = cluster_roles(rng);
    let aggregated = crs
        .iter()
        .filter(|c| c.aggregation.is_some())
        .map(|c| (c.name.clone(), c.rules.clone()))
        .collect();
    for c in &crs {
        let mut v = json!({
            "apiVersion": rbac, "kind": "ClusterRole",
            "metadata": {"name": c.name, "labels": c.labels},
            "rules": c.rules.iter().map(Rule::json).collect::<Vec<_>>(),
        });
        if let Some((_, selectors)) = &c.aggregation {
            v["aggregationRule"] = json!({
                "clusterRoleSelectors": selectors.iter().map(Selector::json).collect::<Vec<_>>()
            });
        }
        objects.push(v);
    }
    let mut roles = 0;
    for ns in NAMESPACES {
        for i in 0..5 {
            let rules: Vec<Value> = (0..1 + rng.below(3))
                .map(|_| resource_rule(rng).json())
                .collect();
            objects.push(json!({
                "apiVersion": rbac, "kind": "Role",
                "metadata": {"name": format!("role-{i}"), "namespace": ns},
                "rules": rules,
            }));
            roles += 1;
        }
    }
    let cluster_role_ref = |rng: &mut Rng| -> String {
        match rng.below(100) {
            0..8 => "missing-cluster-role".to_string(),
            8..14 => rng.pick(BOOTSTRAP_ROLES).to_string(),
            _ => rng.pick(&crs).name,
        }
    };
    let mut role_bindings = 0;
    for ns in NAMESPACES {
        for i in 0..8 {
            let role_ref = if rng.chance(45) {
                // role-5 and role-6 do not exist.
                json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": format!("role-{}", rng.below(7))})
            } else {
                json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_role_ref(rng)})
            };
            objects.push(json!({
                "apiVersion": rbac, "kind": "RoleBinding",
                "metadata": {"name": format!("rb-{i}"), "namespace": ns},
                "roleRef": role_ref,
                "subjects": subjects(rng, false),
            }));
            role_bindings += 1;
        }
    }
    // Every aggregated role bound at least once, in a namespace or cluster-wide.
    for (i, c) in crs.iter().filter(|c| c.aggregation.is_some()).enumerate() {
        let role_ref =
            json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": c.name});
        if i % 2 == 0 {
            objects.push(json!({
                "apiVersion": rbac, "kind": "RoleBinding",
                "metadata": {"name": format!("rb-{}", c.name), "namespace": rng.pick(NAMESPACES)},
                "roleRef": role_ref,
                "subjects": subjects(rng, false),
            }));
            role_bindings += 1;
        } else {
            objects.push(json!({
                "apiVersion": rbac, "kind": "ClusterRoleBinding",
                "metadata": {"name": format!("crb-{}", c.name)},
                "roleRef": role_ref,
                "subjects": subjects(rng, true),
            }));
        }
    }
    let mut cluster_role_bindings = crs.iter().filter(|c| c.aggregation.is_some()).count() / 2;
    for i in 0..14 {
        objects.push(json!({
            "apiVersion": rbac, "kind": "ClusterRoleBinding",
            "metadata": {"name": format!("crb-{i}")},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_role_ref(rng)},
            "subjects": subjects(rng, true),
        }));
        cluster_role_bindings += 1;
    }
    Generated {
        objects,
        aggregated,
        roles,
        cluster_roles: crs.len(),
        role_bindings,
        cluster_role_bindings,
    }
}

/// Created after everything else, one per RBAC kind: once a request they grant is allowed,
/// the authorizer's caches (one watch per kind, delivered in order) hold every earlier
/// object too.
fn sentinels() -> Vec<Value> {
    let rbac = "rbac.authorization.k8s.io/v1";
    let rule =
        json!([{"apiGroups": ["palisade.test"], "resources": ["sentinels"], "verbs": ["get"]}]);
    vec![
        json!({"apiVersion": rbac, "kind": "ClusterRole", "metadata": {"name": "sentinel"}, "rules": rule}),
        json!({"apiVersion": rbac, "kind": "Role", "metadata": {"name": "sentinel", "namespace": "alpha"}, "rules": rule}),
        json!({"apiVersion": rbac, "kind": "ClusterRoleBinding", "metadata": {"name": "sentinel"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "sentinel"},
            "subjects": [{"kind": "User", "name": "sentinel-crb", "apiGroup": "rbac.authorization.k8s.io"}]}),
        json!({"apiVersion": rbac, "kind": "RoleBinding", "metadata": {"name": "sentinel", "namespace": "alpha"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "sentinel"},
            "subjects": [{"kind": "User", "name": "sentinel-rb", "apiGroup": "rbac.authorization.k8s.io"}]}),
    ]
}

fn api_for(client: &Client, object: &Value) -> Api<DynamicObject> {
    let api_version = object["apiVersion"].as_str().unwrap();
    let kind = object["kind"].as_str().unwrap();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let plural = match kind {
        "Namespace" => "namespaces",
        "ClusterRole" => "clusterroles",
        "Role" => "roles",
        "ClusterRoleBinding" => "clusterrolebindings",
        "RoleBinding" => "rolebindings",
        other => panic!("unexpected kind {other}"),
    };
    let gvk = kube::api::GroupVersionKind::gvk(group, version, kind);
    let ar = ApiResource::from_gvk_with_plural(&gvk, plural);
    match object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
    {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    }
}

async fn create_all(client: &Client, objects: &[Value]) {
    // Namespaces first (the RBAC objects live in them), then the rest, 8 at a time.
    let (namespaces, rest): (Vec<&Value>, Vec<&Value>) =
        objects.iter().partition(|o| o["kind"] == "Namespace");
    for batch in [namespaces, rest] {
        let results: Vec<_> = stream::iter(batch.into_iter().map(|o| async move {
            let object: DynamicObject = serde_json::from_value(o.clone()).expect("object");
            (
                o,
                api_for(client, o)
                    .create(&PostParams::default(), &object)
                    .await,
            )
        }))
        .buffer_unordered(8)
        .collect()
        .await;
        for (o, r) in results {
            if let Err(e) = r {
                panic!("cannot create {o}: {e}");
            }
        }
    }
}

// ------------------------------------------------------------------ the requests

#[derive(Clone, Debug)]
struct Query {
    user: UserInfo,
    request: Request,
}

fn identity(rng: &mut Rng) -> UserInfo {
    let mut groups: Vec<&str> = Vec::new();
    match rng.below(100) {
        0..40 => {
            for &g in GROUPS {
                if rng.chance(25) {
                    groups.push(g);
                }
            }
            if rng.chance(90) {
                groups.push("system:authenticated");
            }
            UserInfo::new(rng.pick(USERS), &groups)
        }
        40..65 => {
            let (ns, sa) = rng.pick(SERVICE_ACCOUNTS);
            UserInfo::service_account(ns, sa)
        }
        65..72 => {
            // A service account's name with other groups (as a SubjectAccessReview may ask).
            let (ns, sa) = rng.pick(SERVICE_ACCOUNTS);
            let g = rng.pick(GROUPS);
            UserInfo::new(&format!("system:serviceaccount:{ns}:{sa}"), &[g])
        }
        72..80 => {
            // Nobody the generated policy names, in some groups.
            let g: Vec<&str> = (0..rng.below(3)).map(|_| rng.pick(GROUPS)).collect();
            UserInfo::authenticated("zed", &g)
        }
        80..88 => {
            // Identities of the bootstrap policy.
            match rng.below(5) {
                0 => UserInfo::authenticated("system:kube-scheduler", &[]),
                1 => UserInfo::authenticated("system:kube-proxy", &[]),
                2 => UserInfo::service_account("kube-system", "job-controller"),
                3 => UserInfo::service_account("kube-system", "namespace-controller"),
                _ => UserInfo::authenticated("prom", &["system:monitoring"]),
            }
        }
        88..95 => UserInfo::anonymous(),
        95..97 => UserInfo::new("root", &["system:masters"]),
        _ => UserInfo::new(rng.pick(USERS), &[]),
    }
}

fn query(rng: &mut Rng) -> Query {
    let user = identity(rng);
    if rng.chance(15) {
        return Query {
            user,
            request: Request::non_resource(rng.pick(URL_VERBS), rng.pick(URLS)),
        };
    }
    let verb = if rng.chance(3) {
        "*".to_string()
    } else {
        rng.pick(VERBS).to_string()
    };
    let (mut group, resource, subs) = rng.pick(RESOURCES);
    if rng.chance(5) {
        group = rng.pick(&["", "apps", "extensions", "batch", "*"]);
    }
    let resource = if rng.chance(3) { "*" } else { resource };
    let mut request = Request::resource(&verb, group, resource);
    if rng.chance(30) {
        let sub = if !subs.is_empty() && rng.chance(80) {
            rng.pick(subs)
        } else {
            rng.pick(&["status", "scale", "exec", "other"])
        };
        request = request.subresource(sub);
    }
    if rng.chance(40) {
        let name = if rng.chance(90) {
            rng.pick(NAMES)
        } else {
            "zzz"
        };
        request = request.name(name);
    }
    if rng.chance(70) {
        request = request.namespace(rng.pick(REQUEST_NAMESPACES));
    }
    Query { user, request }
}

/// A request aimed at the generated policy: a subject of some binding (or a near miss), and
/// a request built from a rule of the role it refers to, then sometimes one attribute
/// changed. Random requests alone rarely land on the edges (a ServiceAccount subject
/// without a namespace, a resource name, a `*/subresource`).
fn targeted_query(rng: &mut Rng, objects: &[Value]) -> Query {
    let bindings: Vec<&Value> = objects
        .iter()
        .filter(|o| o["kind"] == "RoleBinding" || o["kind"] == "ClusterRoleBinding")
        .collect();
    let binding = rng.pick(&bindings);
    let binding_ns = binding
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    let subjects = binding["subjects"].as_array().unwrap();
    let subject = &subjects[rng.below(subjects.len())];
    let name = subject["name"].as_str().unwrap();
    let extra: Vec<&str> = GROUPS.iter().copied().filter(|_| rng.chance(20)).collect();
    let user = match subject["kind"].as_str().unwrap() {
        "User" => UserInfo::authenticated(name, &extra),
        "Group" if name == "system:unauthenticated" => UserInfo::anonymous(),
        "Group" => {
            let mut groups = extra.clone();
            groups.push(name);
            UserInfo::authenticated("zed", &groups)
        }
        _ => {
            let ns = subject["namespace"].as_str().unwrap_or(binding_ns);
            let ns = if rng.chance(15) {
                rng.pick(NAMESPACES)
            } else {
                ns
            };
            UserInfo::service_account(ns, name)
        }
    };
    // The rules of the role it refers to (none if it does not exist).
    let role_ref = &binding["roleRef"];
    let role_ns = if role_ref["kind"] == "Role" {
        binding_ns
    } else {
        ""
    };
    let rules: Vec<&Value> = objects
        .iter()
        .filter(|o| {
            o["kind"] == role_ref["kind"]
                && o["metadata"]["name"] == role_ref["name"]
                && o.pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    == role_ns
        })
        .flat_map(|o| o["rules"].as_array().into_iter().flatten())
        .collect();
    let strings = |rule: &Value, key: &str| -> Vec<String> {
        rule[key]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let namespace = if binding_ns.is_empty() || rng.chance(20) {
        if rng.chance(50) {
            ""
        } else {
            rng.pick(REQUEST_NAMESPACES)
        }
    } else {
        binding_ns
    };
    if rules.is_empty() {
        let mut q = query(rng);
        q.user = user;
        return q;
    }
    let rule = rng.pick(&rules);
    let pick_or = |rng: &mut Rng, list: Vec<String>, any: &[&str]| -> String {
        let v = rng.pick(&list);
        if v == "*" {
            rng.pick(any).to_string()
        } else {
            v
        }
    };
    let verb = pick_or(rng, strings(rule, "verbs"), VERBS);
    let urls = strings(rule, "nonResourceURLs");
    if !urls.is_empty() {
        let verb = if rng.chance(80) {
            verb
        } else {
            rng.pick(URL_VERBS).to_string()
        };
        let url = rng.pick(&urls);
        let path = match url.strip_suffix('*') {
            _ if url == "*" => rng.pick(URLS).to_string(),
            Some(prefix) => format!("{prefix}{}", rng.pick(&["", "x", "/y", "etcd"])),
            None => url,
        };
        return Query {
            user,
            request: Request::non_resource(&verb, &path),
        };
    }
    let groups_all: Vec<&str> = RESOURCES.iter().map(|r| r.0).collect();
    let group = pick_or(rng, strings(rule, "apiGroups"), &groups_all);
    let resource = rng.pick(&strings(rule, "resources"));
    let (resource, subresource) = match resource.split_once('/') {
        Some(("*", sub)) => (rng.pick(RESOURCES).1.to_string(), sub.to_string()),
        Some((res, "*")) => (res.to_string(), rng.pick(&["status", "exec"]).to_string()),
        Some((res, sub)) => (res.to_string(), sub.to_string()),
        None if resource == "*" => (rng.pick(RESOURCES).1.to_string(), String::new()),
        None => (resource, String::new()),
    };
    let names = strings(rule, "resourceNames");
    let name = if !names.is_empty() && rng.chance(80) {
        rng.pick(&names)
    } else if rng.chance(30) {
        rng.pick(NAMES).to_string()
    } else {
        String::new()
    };
    let mut request = Request::resource(&verb, &group, &resource)
        .subresource(&subresource)
        .name(&name)
        .namespace(namespace);
    // A near miss, sometimes.
    match rng.below(10) {
        0 => request.verb = rng.pick(VERBS).to_string(),
        1 => request = request.subresource(""),
        2 => request = request.subresource(rng.pick(&["status", "scale", "log"])),
        3 => request = request.name(""),
        4 => request = request.namespace(rng.pick(REQUEST_NAMESPACES)),
        5 => {
            if let Target::Resource { group, .. } = &mut request.target {
                *group = rng.pick(&["", "apps", "example.com"]).to_string();
            }
        }
        _ => {}
    }
    Query { user, request }
}

fn sar(q: &Query) -> SubjectAccessReview {
    let mut spec = json!({"user": q.user.name, "groups": q.user.groups});
    match &q.request.target {
        Target::Resource {
            group,
            resource,
            subresource,
            name,
            namespace,
        } => {
            spec["resourceAttributes"] = json!({
                "verb": q.request.verb, "group": group, "resource": resource,
                "subresource": subresource, "name": name, "namespace": namespace,
            });
        }
        Target::NonResource { path } => {
            spec["nonResourceAttributes"] = json!({"verb": q.request.verb, "path": path});
        }
    }
    serde_json::from_value(json!({
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec,
    }))
    .expect("SubjectAccessReview")
}

/// (allowed, reason) from the server.
async fn review(api: &Api<SubjectAccessReview>, q: &Query) -> (bool, String) {
    let reviewed = api
        .create(&PostParams::default(), &sar(q))
        .await
        .unwrap_or_else(|e| panic!("SubjectAccessReview for {q:?}: {e}"));
    let status = reviewed.status.expect("status");
    (status.allowed, status.reason.unwrap_or_default())
}

/// The reason the API server would give for each binding that allows the query (it names
/// whichever it meets first, in its cache's order; the evaluator, the first in input order).
fn allowing_reasons(policy: &Policy, q: &Query) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    policy.visit_rules_for(
        &q.user,
        q.request.request_namespace(),
        |binding, subject, rule| {
            if rule.allows(&q.request) {
                out.insert(format!(
                    "RBAC: allowed by {}",
                    binding.describe(&binding.subjects[subject])
                ));
            }
            true
        },
        |_, _| {},
    );
    out
}

/// The messages of an `RBAC: ...` denial reason (the server's order is its cache's; a
/// SubjectAccessReview prefixes the authorizer's name, `rbac: `, to a denial's reason).
fn denial_messages(reason: &str) -> BTreeSet<String> {
    let reason = reason.strip_prefix("rbac: ").unwrap_or(reason);
    let Some(rest) = reason.strip_prefix("RBAC: ") else {
        return BTreeSet::new();
    };
    match rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        Some(list) => list.split(", ").map(str::to_string).collect(),
        None => BTreeSet::from([rest.to_string()]),
    }
}

/// `ClusterRoleBinding "x"` / `RoleBinding "name/ns"` from an `RBAC: allowed by ...` reason.
fn reason_binding(reason: &str) -> Option<String> {
    let rest = reason.strip_prefix("RBAC: allowed by ")?;
    let (kind, rest) = rest.split_once(' ')?;
    let name = rest.strip_prefix('"')?.split('"').next()?;
    Some(format!("{kind} {name:?}"))
}

// ------------------------------------------------------------------ the test

#[test]
fn rbac_evaluator_agrees_with_subject_access_reviews() {
    let started = Instant::now();
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let up = started.elapsed();
    let seed = std::env::var("RBAC_SAR_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_4bac);
    // ~1.3 ms a review at 8 in flight on 2 cores.
    let mut rng = Rng::new(seed);
    let generated = generate(&mut rng);
    if std::env::var_os("RBAC_SAR_DUMP").is_some() {
        for o in &generated.objects {
            eprintln!("{o}");
        }
    }
    // Half random, half aimed at the generated bindings.
    let queries: Vec<Query> = (0..env_count("RBAC_SAR_QUERIES", 5000))
        .map(|i| {
            if i % 2 == 0 {
                query(&mut rng)
            } else {
                targeted_query(&mut rng, &generated.objects)
            }
        })
        .collect();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let admin = runtime.block_on(client(&cluster.kubeconfig, None));
    runtime.block_on(async {
        create_all(&admin, &generated.objects).await;
        create_all(&admin, &sentinels()).await;
        // Wait until the authorizer's caches hold every object.
        let sars: Api<SubjectAccessReview> = Api::all(admin.clone());
        let probe = |user: &str, ns: &str| Query {
            user: UserInfo::authenticated(user, &[]),
            request: Request::resource("get", "palisade.test", "sentinels").namespace(ns),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let crb = review(&sars, &probe("sentinel-crb", "")).await.0;
            let rb = review(&sars, &probe("sentinel-rb", "alpha")).await.0;
            if crb && rb {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the authorizer never saw the sentinels"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let created = started.elapsed();

    // The policy as the cluster holds it, bootstrap roles and bindings included.
    let collected = palisade_cluster::collect(
        &palisade_cluster::ClusterOptions {
            kubeconfig: Some(cluster.kubeconfig.clone()),
            ..Default::default()
        },
        palisade_model::workload::PodSpecLocator::builtin(),
        &|_| {},
    )
    .expect("collect");
    assert!(
        collected
            .unlisted
            .iter()
            .all(|u| !u.api_version.starts_with("rbac.authorization.k8s.io/")),
        "RBAC kinds unlisted: {:?}",
        collected.unlisted
    );
    let policy = Policy::from_inventory(&Inventory::new(collected.objects));
    eprintln!(
        "policy: {} roles, {} bindings in the cluster ({} ClusterRoles of which {} aggregated, {} Roles, {} RoleBindings, {} ClusterRoleBindings generated)",
        policy.roles.len(),
        policy.bindings.len(),
        generated.cluster_roles,
        generated.aggregated.len(),
        generated.roles,
        generated.role_bindings,
        generated.cluster_role_bindings
    );

    // Aggregation: the evaluator's rules of each generated aggregated role are those the
    // test stored (the controller's, by the test's model). And the comparison is fair only
    // if every aggregated ClusterRole some binding refers to holds in the server the rules
    // the evaluator gives it.
    let as_set = |rules: Vec<Rule>| rules.into_iter().collect::<BTreeSet<Rule>>();
    for (name, model) in &generated.aggregated {
        let i = policy.find_role("", name).expect("aggregated role listed");
        let ours: Vec<Rule> = policy
            .effective_rules(i)
            .iter()
            .map(|&o| Rule::of(policy.rule(o)))
            .collect();
        assert_eq!(
            as_set(ours),
            as_set(model.clone()),
            "aggregated ClusterRole {name}: the evaluator's rules differ from the controller model's"
        );
    }
    let referenced: BTreeSet<&str> = policy
        .bindings
        .iter()
        .filter(|b| b.role_ref.kind == "ClusterRole")
        .map(|b| b.role_ref.name.as_str())
        .collect();
    for (i, role) in policy.roles.iter().enumerate() {
        if role.is_cluster_role() && role.is_aggregated() && referenced.contains(role.name.as_str())
        {
            let stored = as_set(role.rules.iter().map(Rule::of).collect());
            let ours = as_set(
                policy
                    .effective_rules(i)
                    .iter()
                    .map(|&o| Rule::of(policy.rule(o)))
                    .collect(),
            );
            assert_eq!(
                stored, ours,
                "aggregated ClusterRole {} is bound, and the server holds other rules than the evaluator computes: the comparison would not be fair",
                role.name
            );
        }
    }

    // The requests, 8 in flight at once, within a bound (a review takes ~1-2 ms here).
    let bound = Duration::from_secs(60 + queries.len() as u64 / 50);
    let answers: Vec<(bool, String)> = runtime.block_on(async {
        let sars: Api<SubjectAccessReview> = Api::all(admin.clone());
        let all = stream::iter(queries.iter().map(|q| {
            let sars = sars.clone();
            async move { review(&sars, q).await }
        }))
        .buffered(8)
        .collect();
        tokio::time::timeout(bound, all)
            .await
            .unwrap_or_else(|_| panic!("{} reviews took over {bound:?}", queries.len()))
    });
    let mut disagreements = Vec::new();
    let mut allowed = 0;
    // What the allowed answers went through: (masters, ClusterRoleBinding, RoleBinding,
    // an aggregated role, a non-resource URL).
    let mut through = [0; 5];
    let mut by_binding: BTreeMap<String, usize> = BTreeMap::new();
    let mut denied_with_errors = 0;
    for (q, (server, reason)) in queries.iter().zip(&answers) {
        let ours = policy.authorize_apiserver(&q.user, &q.request);
        denied_with_errors += usize::from(!*server && !reason.is_empty());
        if !ours.allowed && !*server && denial_messages(&ours.reason) != denial_messages(reason) {
            disagreements.push(format!(
                "user {:?} groups {:?}: {:?}\n    denied, server: {reason:?}\n    evaluator: {:?}",
                q.user.name, q.user.groups, q.request, ours.reason
            ));
        }
        if ours.allowed != *server {
            disagreements.push(format!(
                "user {:?} groups {:?}: {:?}\n    server: allowed={server} {reason:?}\n    evaluator: allowed={} {:?}",
                q.user.name, q.user.groups, q.request, ours.allowed, ours.reason
            ));
            continue;
        }
        if *server {
            allowed += 1;
            through[0] += usize::from(reason.is_empty());
            through[1] += usize::from(reason.starts_with("RBAC: allowed by ClusterRoleBinding"));
            through[2] += usize::from(reason.starts_with("RBAC: allowed by RoleBinding"));
            through[3] += usize::from(reason.contains("of ClusterRole \"agg-"));
            through[4] += usize::from(matches!(q.request.target, Target::NonResource { .. }));
            if let Some(binding) = reason_binding(reason) {
                *by_binding.entry(binding).or_default() += 1;
            }
            // The server's reason, word for word, must be one the evaluator gives for a
            // binding that allows it.
            if !reason.is_empty() {
                let ours = allowing_reasons(&policy, q);
                if !ours.contains(reason) {
                    disagreements.push(format!(
                        "user {:?} groups {:?}: {:?}\n    server: {reason:?}\n    evaluator: {ours:?}",
                        q.user.name, q.user.groups, q.request
                    ));
                }
            }
        }
    }
    let reviewed = started.elapsed();
    eprintln!(
        "{} SubjectAccessReviews: {allowed} allowed ({} as system:masters, {} by a ClusterRoleBinding, {} by a RoleBinding, {} through an aggregated role, {} non-resource), {} denied ({} with resolution errors in the reason), {} disagreements (seed {seed:#x}); cluster up {:.1} s, objects created {:.1} s, reviews {:.1} s",
        queries.len(),
        through[0],
        through[1],
        through[2],
        through[3],
        through[4],
        queries.len() - allowed,
        denied_with_errors,
        disagreements.len(),
        up.as_secs_f64(),
        (created - up).as_secs_f64(),
        (reviewed - created).as_secs_f64(),
    );
    let mut busiest: Vec<(usize, String)> = by_binding.into_iter().map(|(b, n)| (n, b)).collect();
    busiest.sort_by(|a, b| b.cmp(a));
    eprintln!(
        "bindings named most often by the server: {:?}",
        &busiest[..busiest.len().min(4)]
    );
    assert!(
        disagreements.is_empty(),
        "{} of {} requests answered differently:\n{}",
        disagreements.len(),
        queries.len(),
        disagreements
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Enough of both answers for the comparison to mean something.
    assert!(
        allowed * 20 > queries.len() && allowed * 10 < queries.len() * 9,
        "{allowed} of {} allowed",
        queries.len()
    );

    cli_on_the_live_cluster(&cluster, &runtime, &mut rng);
    eprintln!("total {:.1} s", started.elapsed().as_secs_f64());
}

/// (as, as-groups, verb, resource, namespace)
type CliCase = (String, Vec<String>, String, String, Option<String>);

/// `palisade rbac can-i --cluster` against impersonated SelfSubjectAccessReviews (what
/// `kubectl auth can-i --as` asks), and `who-can --cluster` lists a bound subject.
fn cli_on_the_live_cluster(cluster: &Cluster, runtime: &tokio::runtime::Runtime, rng: &mut Rng) {
    let kubeconfig = cluster.kubeconfig.to_str().unwrap();
    let palisade = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
            .args(["rbac"])
            .args(args)
            .args(["--cluster", "--kubeconfig", kubeconfig, "-f", "json"])
            .output()
            .expect("palisade runs");
        let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "palisade rbac {args:?}: {e}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code(), json)
    };

    let mut cases: Vec<CliCase> = vec![
        (
            "sentinel-rb".into(),
            vec![],
            "get".into(),
            "sentinels.palisade.test".into(),
            Some("alpha".into()),
        ),
        (
            "sentinel-rb".into(),
            vec![],
            "get".into(),
            "sentinels.palisade.test".into(),
            Some("beta".into()),
        ),
        ("anyone".into(), vec![], "get".into(), "/api".into(), None),
        (
            "system:anonymous".into(),
            vec![],
            "get".into(),
            "/api".into(),
            None,
        ),
        (
            "system:anonymous".into(),
            vec![],
            "get".into(),
            "/healthz".into(),
            None,
        ),
        (
            "system:serviceaccount:kube-system:job-controller".into(),
            vec![],
            "create".into(),
            "pods".into(),
            Some("alpha".into()),
        ),
        (
            "system:serviceaccount:kube-system:job-controller".into(),
            vec!["x".into()],
            "create".into(),
            "pods".into(),
            Some("alpha".into()),
        ),
        (
            "root".into(),
            vec!["system:masters".into()],
            "delete".into(),
            "nodes".into(),
            None,
        ),
    ];
    for _ in 0..16 {
        let q = query(rng);
        let (name, groups) = match rng.below(3) {
            0 => {
                let (ns, sa) = rng.pick(SERVICE_ACCOUNTS);
                (format!("system:serviceaccount:{ns}:{sa}"), vec![])
            }
            _ => (
                rng.pick(USERS).to_string(),
                GROUPS
                    .iter()
                    .filter(|_| rng.chance(40))
                    .map(|g| g.to_string())
                    .collect(),
            ),
        };
        match &q.request.target {
            Target::Resource {
                group,
                resource,
                subresource,
                namespace,
                ..
            } => {
                let mut r = resource.clone();
                if !group.is_empty() {
                    r = format!("{r}.{group}");
                }
                if !subresource.is_empty() {
                    r = format!("{r}/{subresource}");
                }
                let ns = (!namespace.is_empty()).then(|| namespace.clone());
                cases.push((name, groups, q.request.verb.clone(), r, ns));
            }
            Target::NonResource { path } => {
                cases.push((name, groups, q.request.verb.clone(), path.clone(), None))
            }
        }
    }
    let mut checked = 0;
    for (name, groups, verb, resource, namespace) in &cases {
        let mut args: Vec<&str> = vec!["can-i", verb, resource, "--as", name];
        for g in groups {
            args.extend(["--as-group", g]);
        }
        if let Some(ns) = namespace {
            args.extend(["-n", ns]);
        }
        let (code, answer) = palisade(&args);
        let allowed = answer["allowed"].as_bool().expect("allowed");
        assert_eq!(code, Some(if allowed { 0 } else { 1 }), "{args:?}");
        // The same question, impersonated, as kubectl auth can-i --as asks it.
        let r = &answer["request"];
        let attributes = if let Some(path) = r["nonResourceURL"].as_str() {
            json!({"nonResourceAttributes": {"verb": verb, "path": path}})
        } else {
            json!({"resourceAttributes": {
                "verb": verb, "group": r["group"], "resource": r["resource"],
                "subresource": r["subresource"], "namespace": r["namespace"],
            }})
        };
        let ssar: SelfSubjectAccessReview = serde_json::from_value(json!({
            "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": attributes,
        }))
        .unwrap();
        let user = &answer["user"];
        let cli_groups: Vec<String> = serde_json::from_value(user["groups"].clone()).unwrap();
        if cli_groups.iter().any(|g| g == "system:unauthenticated") {
            // An unauthenticated identity may not ask a SelfSubjectAccessReview: ask a
            // SubjectAccessReview for the user the CLI says the API server would see.
            assert_eq!(cli_groups, ["system:unauthenticated"], "{args:?}");
            let mut spec = attributes.clone();
            spec["user"] = user["name"].clone();
            spec["groups"] = user["groups"].clone();
            let sar: SubjectAccessReview = serde_json::from_value(json!({
                "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                "spec": spec,
            }))
            .unwrap();
            let server = runtime.block_on(async {
                Api::<SubjectAccessReview>::all(client(&cluster.kubeconfig, None).await)
                    .create(&PostParams::default(), &sar)
                    .await
                    .expect("SubjectAccessReview")
                    .status
                    .expect("status")
                    .allowed
            });
            assert_eq!(allowed, server, "palisade rbac {args:?} says {answer}");
            checked += 1;
            continue;
        }
        let server = runtime.block_on(async {
            let client = client(&cluster.kubeconfig, Some((name, groups))).await;
            Api::<SelfSubjectAccessReview>::all(client)
                .create(&PostParams::default(), &ssar)
                .await
                .unwrap_or_else(|e| panic!("SelfSubjectAccessReview as {name}: {e}"))
                .status
                .expect("status")
                .allowed
        });
        assert_eq!(
            allowed, server,
            "palisade rbac {args:?} says {answer}, the API server (impersonated) allowed={server}"
        );
        checked += 1;
    }
    eprintln!("palisade rbac can-i --cluster: {checked} answers agree with the API server");

    let (code, who) = palisade(&["who-can", "get", "sentinels.palisade.test", "-n", "alpha"]);
    assert_eq!(code, Some(0));
    let subjects: Vec<String> = who["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {} {} {}",
                s["kind"].as_str().unwrap(),
                s["name"].as_str().unwrap(),
                s["binding"]["kind"].as_str().unwrap(),
                s["binding"]["name"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        subjects.contains(&"User sentinel-rb RoleBinding sentinel".to_string())
            && subjects.contains(&"User sentinel-crb ClusterRoleBinding sentinel".to_string()),
        "who-can: {subjects:?}"
    );
}
