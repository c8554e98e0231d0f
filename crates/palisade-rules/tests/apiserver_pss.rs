//! The real API server is the Pod Security oracle: Palisade's verdict on a file must be the
//! one `kubectl apply` would get.
//!
//! Pod Security Admission judges an object after the API server has decoded, defaulted and
//! validated it, so comparing with the PSA library alone cannot see differences of
//! defaulting (a volume with no source is an `emptyDir` by then). This test starts the test
//! control plane (`scripts/testcluster`: kube-apiserver v1.37.2 with PodSecurity admission)
//! and does what upstream's `k8s.io/pod-security-admission/test` `Run` does with its own
//! fixtures (`test/testdata/<level>/<version>/{pass,fail}/*.yaml`, every level, v1.0 to
//! v1.37): a namespace per level and version with the enforce and warn labels, each fixture
//! created there with server-side dry-run as a Pod and as a Deployment's template (labels
//! `test: "true"`). Then the same for every Pod Security rule fixture
//! (`tests/fixtures/pod-security/*.yaml`), each workload at the policy its document declares.
//!
//! For each request Palisade reads the same file (its own loader and model, its own
//! defaulting) and evaluates the policy: a Pod must be admitted exactly when Palisade finds
//! nothing, and otherwise rejected with Palisade's message word for word (`violates
//! PodSecurity "L:V": <reasons and details>`); a workload must get the `would violate
//! PodSecurity` warning exactly when Palisade finds something, with the same text. The
//! server sees the fixture converted to JSON by the upstream YAML reader (the Go oracle's
//! `yaml2json`, as kubectl does), not by Palisade. Objects the server cannot decode or
//! refuses as invalid (both happen before admission) are counted and left out; kinds the server does not
//! serve (custom workloads, retired API versions) too.
//!
//! Needs Go (the control plane and the oracle are built from the Go module proxy); skipped
//! with a message without it, except under `CI`, where it fails.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use futures::{StreamExt, stream};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use palisade_loader::{Limits, load_str};
use palisade_model::workload::PodSpecLocator;
use palisade_model::{Object, Origin};
use palisade_pss::{Level, LevelVersion, PodView, Version, aggregate_detail, evaluate};
use palisade_testkit::{TestCluster, oracle, run_oracle};
use serde_json::{Value, json};
use support::{document_of, fixture_dir, read_fixture};

/// One create request and the verdict Palisade gives on the same object.
struct Case {
    what: String,
    namespace: String,
    /// API path of the collection (`/api/v1/namespaces/{ns}/pods`), without the namespace.
    collection: (&'static str, &'static str),
    body: Value,
    is_pod: bool,
    policy: LevelVersion,
    /// Palisade's message (`reasons and details`), empty when it finds nothing.
    ours: String,
}

/// What the server answered.
enum Answer {
    Admitted { pss_warning: Option<String> },
    Forbidden(String),
    Invalid(String),
}

fn namespace_for(policy: LevelVersion) -> String {
    format!("pss-{}-{}", policy.level, policy.version).replace(['.', ':'], "-")
}

fn labels_for(policy: LevelVersion) -> Value {
    json!({
        "pod-security.kubernetes.io/enforce": policy.level.as_str(),
        "pod-security.kubernetes.io/enforce-version": policy.version.to_string(),
        "pod-security.kubernetes.io/warn": policy.level.as_str(),
        "pod-security.kubernetes.io/warn-version": policy.version.to_string(),
    })
}

/// Where the built-in kinds with a pod template are served (what the server does not serve,
/// it cannot admit).
fn collection(api_version: &str, kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match (api_version, kind) {
        ("v1", "Pod") => ("/api/v1", "pods"),
        ("v1", "PodTemplate") => ("/api/v1", "podtemplates"),
        ("v1", "ReplicationController") => ("/api/v1", "replicationcontrollers"),
        ("apps/v1", "Deployment") => ("/apis/apps/v1", "deployments"),
        ("apps/v1", "ReplicaSet") => ("/apis/apps/v1", "replicasets"),
        ("apps/v1", "DaemonSet") => ("/apis/apps/v1", "daemonsets"),
        ("apps/v1", "StatefulSet") => ("/apis/apps/v1", "statefulsets"),
        ("batch/v1", "Job") => ("/apis/batch/v1", "jobs"),
        ("batch/v1", "CronJob") => ("/apis/batch/v1", "cronjobs"),
        _ => return None,
    })
}

/// Palisade's verdict on `object` at `policy`: upstream's aggregated message, or empty.
fn palisade_verdict(object: &Object, policy: LevelVersion) -> String {
    let template = PodSpecLocator::builtin()
        .pod_template(object)
        .expect("a workload with a pod template");
    let failures = evaluate(policy, &PodView::new(template));
    aggregate_detail(
        failures
            .iter()
            .map(|f| (f.reason.as_str(), f.detail.as_str())),
    )
}

/// Upstream's `createController`: the pod's metadata and spec as a Deployment's template,
/// labelled `test: "true"` and selected by it.
fn as_deployment(pod: &Value) -> Value {
    let mut metadata = pod.get("metadata").cloned().unwrap_or_else(|| json!({}));
    metadata["labels"]["test"] = json!("true");
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "test"},
        "spec": {
            "selector": {"matchLabels": {"test": "true"}},
            "template": {"metadata": metadata, "spec": pod.get("spec").cloned().unwrap_or_else(|| json!({}))},
        },
    })
}

/// The upstream fixtures, from the Go module cache (the oracle's build fetched the module).
fn upstream_testdata() -> PathBuf {
    let out = Command::new("go")
        .args(["env", "GOMODCACHE"])
        .output()
        .expect("go env runs");
    let cache = String::from_utf8(out.stdout).expect("UTF-8");
    let dir = Path::new(cache.trim()).join("k8s.io/pod-security-admission@v0.37.2/test/testdata");
    assert!(dir.is_dir(), "{} is missing", dir.display());
    dir
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    out.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
    out.sort();
    out
}

/// Every upstream fixture as a Pod and as a Deployment, at its level and version.
fn upstream_cases(oracle_bin: &str) -> Vec<Case> {
    let testdata = upstream_testdata();
    let mut files = Vec::new();
    for level in [Level::Baseline, Level::Restricted] {
        for minor in 0..=palisade_pss::MAX_MINOR {
            let policy = LevelVersion::new(level, Version::V1(minor));
            let dir = testdata.join(level.as_str()).join(format!("v1.{minor}"));
            assert!(dir.is_dir(), "{} is missing", dir.display());
            for outcome in ["pass", "fail"] {
                for file in yaml_files(&dir.join(outcome)) {
                    files.push((policy, outcome, file));
                }
            }
        }
    }
    // One upstream YAML-to-JSON pass over all of them (each file is one document).
    let mut stream_text = String::new();
    let mut texts = Vec::new();
    for (_, _, file) in &files {
        let text = std::fs::read_to_string(file).expect("fixture reads");
        stream_text.push_str("---\n");
        stream_text.push_str(&text);
        stream_text.push('\n');
        texts.push(text);
    }
    let converted = run_oracle(oracle_bin, "yaml2json", &stream_text);
    assert_eq!(
        converted.len(),
        files.len(),
        "one JSON document per fixture"
    );
    let mut cases = Vec::new();
    for (((policy, outcome, file), text), pod) in files.iter().zip(&texts).zip(converted) {
        assert!(pod.get("error").is_none(), "{}: {pod}", file.display());
        let mut pod = pod["ok"].clone();
        // As upstream's createPod does: fixture names (`capabilities_baseline0`) are not
        // valid object names, and neither affects a Pod Security verdict.
        pod["metadata"]["name"] = json!("test");
        pod["spec"]["serviceAccountName"] = json!("default");
        let name = format!(
            "{}/v1.{}/{outcome}/{}",
            policy.level,
            match policy.version {
                Version::V1(m) => m,
                Version::Latest => palisade_pss::MAX_MINOR,
            },
            file.file_name().unwrap().to_string_lossy()
        );
        let loaded = load_str(&name, text, &Limits::default());
        assert!(loaded.errors.is_empty(), "{name}: {:?}", loaded.errors);
        assert_eq!(loaded.objects.len(), 1, "{name}");
        let ours = palisade_verdict(&loaded.objects[0], *policy);
        let deployment = as_deployment(&pod);
        let deployment_object =
            Object::from_json(&deployment, Origin::Cluster).expect("a Deployment object");
        cases.push(Case {
            what: format!("{name} as a Pod"),
            namespace: namespace_for(*policy),
            collection: ("/api/v1", "pods"),
            body: pod,
            is_pod: true,
            policy: *policy,
            ours,
        });
        cases.push(Case {
            what: format!("{name} as a Deployment"),
            namespace: namespace_for(*policy),
            collection: ("/apis/apps/v1", "deployments"),
            body: deployment,
            is_pod: false,
            policy: *policy,
            ours: palisade_verdict(&deployment_object, *policy),
        });
    }
    cases
}

/// Every workload of every Pod Security rule fixture, at its document's policy.
fn rule_fixture_cases(oracle_bin: &str) -> Vec<Case> {
    let dir = fixture_dir().join("pod-security");
    let mut cases = Vec::new();
    for path in yaml_files(&dir) {
        let fixture = read_fixture(&path);
        // The server's reading of each document, found by kind, namespace and name (unique
        // per file).
        let mut by_name = BTreeMap::new();
        for doc in run_oracle(oracle_bin, "yaml2json", &fixture.text) {
            let doc = doc["ok"].clone();
            let (Some(kind), Some(name)) = (
                doc["kind"].as_str().map(str::to_string),
                doc["metadata"]["name"].as_str().map(str::to_string),
            ) else {
                continue;
            };
            let namespace = doc["metadata"]["namespace"].as_str().map(str::to_string);
            by_name.insert((kind, namespace, name), doc);
        }
        for object in &fixture.objects {
            if PodSpecLocator::builtin().pod_template(object).is_none() {
                continue;
            }
            let Some(collection) = collection(&object.id.api_version, &object.id.kind) else {
                continue;
            };
            let mut body = by_name
                .get(&(
                    object.id.kind.clone(),
                    object.id.namespace.clone(),
                    object.id.name.clone(),
                ))
                .unwrap_or_else(|| {
                    panic!(
                        "{}: {} not in yaml2json's output",
                        path.display(),
                        object.id
                    )
                })
                .clone();
            let policy = fixture.policies[document_of(object)];
            body["metadata"]
                .as_object_mut()
                .expect("metadata")
                .remove("namespace");
            cases.push(Case {
                what: format!(
                    "{} {}",
                    path.file_name().unwrap().to_string_lossy(),
                    object.id
                ),
                namespace: namespace_for(policy),
                collection,
                body,
                is_pod: object.id.kind == "Pod",
                policy,
                ours: palisade_verdict(object, policy),
            });
        }
    }
    cases
}

async fn client(kubeconfig: &str) -> Client {
    let kc = Kubeconfig::read_from(kubeconfig).expect("kubeconfig");
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("config");
    Client::try_from(config).expect("client")
}

/// `299 - "text"` -> text (the apiserver escapes `"` and `\` in warnings).
fn warning_text(header: &str) -> Option<String> {
    let quoted = header.split_once(" - ")?.1.trim();
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    Some(out)
}

async fn create(client: &Client, case: &Case) -> Answer {
    let (prefix, resource) = case.collection;
    let uri = format!(
        "{prefix}/namespaces/{}/{resource}?dryRun=All",
        case.namespace
    );
    let request = http::Request::post(uri)
        .header("content-type", "application/json")
        .body(kube::client::Body::from(
            serde_json::to_vec(&case.body).expect("JSON"),
        ))
        .expect("request");
    let response = client.send(request).await.expect("the API server answers");
    let status = response.status();
    let warnings: Vec<String> = response
        .headers()
        .get_all("warning")
        .iter()
        .filter_map(|v| warning_text(v.to_str().ok()?))
        .collect();
    let body = response.into_body().collect_bytes().await.expect("body");
    let message = || {
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned())
    };
    match status.as_u16() {
        200 | 201 => Answer::Admitted {
            pss_warning: warnings
                .into_iter()
                .find(|w| w.starts_with("would violate PodSecurity")),
        },
        403 => Answer::Forbidden(message()),
        // 400: not decodable (a string where a bool belongs); 422: invalid. Both before
        // admission, so there is no Pod Security verdict.
        400 | 422 => Answer::Invalid(message()),
        other => panic!("{}: unexpected status {other}: {}", case.what, message()),
    }
}

/// The disagreement between the server's answer and Palisade's verdict, if any.
fn disagreement(case: &Case, answer: &Answer) -> Option<String> {
    let expected_text = format!("PodSecurity \"{}\": {}", case.policy, case.ours);
    let got = match (answer, case.is_pod) {
        (Answer::Invalid(_), _) => return None,
        (Answer::Admitted { pss_warning: None }, _) => None,
        (
            Answer::Admitted {
                pss_warning: Some(w),
            },
            false,
        ) => Some(w.strip_prefix("would violate ").unwrap_or(w).to_string()),
        (
            Answer::Admitted {
                pss_warning: Some(w),
            },
            true,
        ) => {
            return Some(format!("a Pod admitted with a warning: {w}"));
        }
        (Answer::Forbidden(m), true) => Some(
            m.split_once("violates ")
                .map_or(m.as_str(), |(_, rest)| rest)
                .to_string(),
        ),
        (Answer::Forbidden(m), false) => {
            return Some(format!("a workload was forbidden: {m}"));
        }
    };
    let ours = (!case.ours.is_empty()).then_some(expected_text);
    (got != ours).then(|| format!("server: {got:?}\n  palisade: {ours:?}"))
}

#[test]
fn pod_security_verdicts_match_the_api_server() {
    let Some(oracle_bin) = oracle() else { return };
    let mut cases = upstream_cases(&oracle_bin);
    let upstream_count = cases.len();
    cases.extend(rule_fixture_cases(&oracle_bin));
    let Some(cluster) = TestCluster::start() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let answers: Vec<Answer> = runtime.block_on(async {
        let client = client(cluster.var("KUBECONFIG_ADMIN")).await;
        let mut namespaces: BTreeMap<String, LevelVersion> = BTreeMap::new();
        for case in &cases {
            namespaces.insert(case.namespace.clone(), case.policy);
        }
        for (name, policy) in &namespaces {
            let ns = json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "labels": labels_for(*policy)}});
            let request = http::Request::post("/api/v1/namespaces")
                .header("content-type", "application/json")
                .body(kube::client::Body::from(serde_json::to_vec(&ns).unwrap()))
                .unwrap();
            let response = client.send(request).await.expect("namespace create");
            assert!(
                response.status().is_success(),
                "creating namespace {name}: {}",
                response.status()
            );
        }
        // Answers in case order; a few requests in flight keep the server busy, not swamped.
        stream::iter(cases.iter())
            .map(|case| create(&client, case))
            .buffered(8)
            .collect()
            .await
    });
    let mut failures = Vec::new();
    let (mut compared, mut rejected, mut warned, mut invalid) = (0, 0, 0, Vec::new());
    for (case, answer) in cases.iter().zip(&answers) {
        match answer {
            Answer::Invalid(m) => invalid.push(format!("{}: {m}", case.what)),
            Answer::Forbidden(_) => rejected += 1,
            Answer::Admitted {
                pss_warning: Some(_),
            } => warned += 1,
            Answer::Admitted { .. } => {}
        }
        if !matches!(answer, Answer::Invalid(_)) {
            compared += 1;
        }
        if let Some(d) = disagreement(case, answer) {
            failures.push(format!("{} at {}:\n  {d}", case.what, case.policy));
        }
    }
    eprintln!(
        "apiserver_pss: {} requests ({upstream_count} from upstream's fixtures), {compared} compared: {rejected} Pods rejected, {warned} workloads warned; {} invalid and left out",
        cases.len(),
        invalid.len()
    );
    for i in &invalid {
        eprintln!("  invalid: {i}");
    }
    assert!(
        failures.is_empty(),
        "{} disagreements with the API server:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Upstream's fixtures are valid objects, except the v1.35+ `procMount: Unmasked` fail
    // fixtures without `hostUsers: false`, which the v1.37 API server's validation refuses
    // before admission: every other one must have been compared.
    let upstream_invalid: Vec<&String> = invalid
        .iter()
        .filter(|i| {
            i.contains("/v1.") && !i.contains("`hostUsers` must be false to use `Unmasked`")
        })
        .collect();
    assert!(
        upstream_invalid.is_empty(),
        "upstream fixtures refused as invalid: {upstream_invalid:#?}"
    );
    assert!(
        rejected > 1000 && warned > 1000,
        "{rejected} rejected, {warned} warned"
    );
}
