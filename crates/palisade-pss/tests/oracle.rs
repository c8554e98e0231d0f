//! Differential test: Palisade's PSA against upstream k8s.io/pod-security-admission v0.37.2.
//!
//! Thousands of generated pods (every field the checks read, with good, bad and odd values)
//! are evaluated at every level and a spread of versions by both implementations; the
//! ordered (reason, detail) lists must be identical. The upstream side is the Go oracle in
//! tools/oracle, built on demand. PALISADE_ORACLE_PODS raises the pod count, and
//! PALISADE_ORACLE_SEED changes the seed, for longer local runs.

use palisade_model::workload::PodSpecLocator;
use palisade_model::{Object, Origin};
use palisade_pss::{
    Level, LevelVersion, NamespacePolicy, PodView, Version, evaluate, policy_from_labels,
};
use palisade_testkit::{Rng, env_count, oracle, run_oracle};
use serde_json::{Value, json};

const NAMES: [&str; 5] = ["app", "sidecar", "init", "", "app"];

fn bools() -> [Value; 2] {
    [json!(true), json!(false)]
}

fn profile(rng: &mut Rng, types: &[&str]) -> Value {
    if rng.chance(10) {
        return json!({});
    }
    json!({"type": rng.pick(types)})
}

fn security_context(rng: &mut Rng, pod_level: bool) -> Value {
    let mut sc = serde_json::Map::new();
    let mut set = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            sc.insert(k.to_string(), v);
        }
    };
    set("runAsNonRoot", rng.maybe(50, &bools()));
    set(
        "runAsUser",
        rng.maybe(30, &[json!(0), json!(1000), json!(65534)]),
    );
    let seccomp = ["RuntimeDefault", "Localhost", "Unconfined", "", "weird"];
    if rng.chance(50) {
        set("seccompProfile", Some(profile(rng, &seccomp)));
    }
    let apparmor = ["RuntimeDefault", "Localhost", "Unconfined", "", "x"];
    if rng.chance(20) {
        set("appArmorProfile", Some(profile(rng, &apparmor)));
    }
    if rng.chance(20) {
        let mut o = serde_json::Map::new();
        let types = [
            "",
            "container_t",
            "container_init_t",
            "container_kvm_t",
            "container_engine_t",
            "spc_t",
        ];
        if rng.chance(70) {
            o.insert("type".into(), json!(rng.pick(&types)));
        }
        if rng.chance(20) {
            o.insert("user".into(), json!(rng.pick(&["", "system_u"])));
        }
        if rng.chance(20) {
            o.insert("role".into(), json!(rng.pick(&["", "system_r"])));
        }
        if rng.chance(30) {
            o.insert("level".into(), json!("s0:c123,c456"));
        }
        set("seLinuxOptions", Some(Value::Object(o)));
    }
    if rng.chance(10) {
        set(
            "windowsOptions",
            Some(json!({"hostProcess": rng.pick(&bools())})),
        );
    }
    if pod_level {
        if rng.chance(30) {
            let names = [
                "kernel.shm_rmid_forced",
                "net.ipv4.ip_local_port_range",
                "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time",
                "net.ipv4.tcp_rmem",
                "net.ipv4.tcp_notsent_lowat",
                "net.ipv4.tcp_slow_start_after_idle",
                "kernel.msgmax",
                "net/ipv4/tcp_syncookies",
                "",
            ];
            let n = rng.below(4);
            let list: Vec<Value> = (0..n)
                .map(|_| json!({"name": rng.pick(&names), "value": "1"}))
                .collect();
            set("sysctls", Some(Value::Array(list)));
        }
    } else {
        set("privileged", rng.maybe(20, &bools()));
        set("allowPrivilegeEscalation", rng.maybe(60, &bools()));
        set(
            "procMount",
            rng.maybe(15, &[json!("Default"), json!("Unmasked"), json!("")]),
        );
        if rng.chance(60) {
            let caps = [
                "ALL",
                "NET_BIND_SERVICE",
                "CHOWN",
                "SYS_ADMIN",
                "NET_RAW",
                "chown",
                "CAP_CHOWN",
            ];
            let mut c = serde_json::Map::new();
            if rng.chance(70) {
                let n = rng.below(3);
                c.insert(
                    "drop".into(),
                    Value::Array((0..n).map(|_| json!(rng.pick(&caps))).collect()),
                );
            }
            if rng.chance(40) {
                let n = rng.below(3);
                c.insert(
                    "add".into(),
                    Value::Array((0..n).map(|_| json!(rng.pick(&caps))).collect()),
                );
            }
            set("capabilities", Some(Value::Object(c)));
        }
    }
    if rng.chance(5) {
        return Value::Null;
    }
    Value::Object(sc)
}

fn handler(rng: &mut Rng) -> Value {
    let hosts = ["", "localhost", "10.0.0.1", "example.com"];
    match rng.below(4) {
        0 => json!({"httpGet": {"port": 80, "host": rng.pick(&hosts)}}),
        1 => json!({"tcpSocket": {"port": 80, "host": rng.pick(&hosts)}}),
        2 => json!({"httpGet": {"port": 80}}),
        _ => json!({"exec": {"command": ["true"]}}),
    }
}

fn container(rng: &mut Rng) -> Value {
    let mut c = serde_json::Map::new();
    c.insert("name".into(), json!(rng.pick(&NAMES)));
    c.insert("image".into(), json!("registry.example/app:1"));
    if rng.chance(85) {
        let sc = security_context(rng, false);
        c.insert("securityContext".into(), sc);
    }
    if rng.chance(30) {
        let n = 1 + rng.below(2);
        let ports: Vec<Value> = (0..n)
            .map(|_| {
                // Unset and zero ports too: hostNetwork Pods get hostPort = containerPort.
                let mut port = serde_json::Map::new();
                if let Some(cp) = rng.maybe(90, &[json!(80), json!(53), json!(0)]) {
                    port.insert("containerPort".into(), cp);
                }
                if let Some(hp) = rng.maybe(
                    60,
                    &[json!(0), json!(80), json!(8080), json!(10000), json!(-1)],
                ) {
                    port.insert("hostPort".into(), hp);
                }
                Value::Object(port)
            })
            .collect();
        c.insert("ports".into(), Value::Array(ports));
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if rng.chance(15) {
            c.insert(probe.into(), handler(rng));
        }
    }
    if rng.chance(15) {
        let mut l = serde_json::Map::new();
        for h in ["postStart", "preStop"] {
            if rng.chance(60) {
                l.insert(h.into(), handler(rng));
            }
        }
        c.insert("lifecycle".into(), Value::Object(l));
    }
    Value::Object(c)
}

fn volume(rng: &mut Rng, i: usize) -> Value {
    let sources = [
        ("configMap", json!({"name": "c"})),
        ("emptyDir", json!({})),
        ("secret", json!({"secretName": "s"})),
        ("projected", json!({"sources": []})),
        ("persistentVolumeClaim", json!({"claimName": "p"})),
        ("image", json!({"reference": "r"})),
        ("hostPath", json!({"path": "/"})),
        ("nfs", json!({"server": "s", "path": "/"})),
        ("gitRepo", json!({"repository": "r"})),
        ("iscsi", json!({"targetPortal": "t", "iqn": "i", "lun": 0})),
        ("cephfs", json!({"monitors": ["m"]})),
        ("none", Value::Null),
        ("hostPath", Value::Null),
        ("notASource", json!({})),
    ];
    let (k, v) = rng.pick(&sources);
    let mut o = serde_json::Map::new();
    o.insert("name".into(), json!(format!("v{i}")));
    // `none` writes no source; an explicit null or an unknown key is also no source to the
    // API server, which defaults all three to emptyDir.
    if k != "none" {
        o.insert(k.into(), v);
    }
    Value::Object(o)
}

fn pod(rng: &mut Rng) -> Value {
    let mut spec = serde_json::Map::new();
    for f in ["hostNetwork", "hostPID", "hostIPC"] {
        if let Some(v) = rng.maybe(15, &bools()) {
            spec.insert(f.into(), v);
        }
    }
    if let Some(v) = rng.maybe(25, &bools()) {
        spec.insert("hostUsers".into(), v);
    }
    if rng.chance(20) {
        spec.insert(
            "os".into(),
            json!({"name": rng.pick(&["windows", "linux", "Windows"])}),
        );
    }
    if rng.chance(70) {
        spec.insert("securityContext".into(), security_context(rng, true));
    }
    for (list, max) in [
        ("initContainers", 2),
        ("containers", 3),
        ("ephemeralContainers", 2),
    ] {
        let n = if list == "containers" || rng.chance(25) {
            1 + rng.below(max)
        } else {
            0
        };
        if n > 0 {
            spec.insert(
                list.into(),
                Value::Array((0..n).map(|_| container(rng)).collect()),
            );
        }
    }
    if rng.chance(40) {
        let n = 1 + rng.below(3);
        spec.insert(
            "volumes".into(),
            Value::Array((0..n).map(|i| volume(rng, i)).collect()),
        );
    }
    let mut annotations = serde_json::Map::new();
    let values = [
        "",
        "runtime/default",
        "docker/default",
        "localhost/prof",
        "localhost/",
        "unconfined",
        "we\"ird\n\u{a0}",
    ];
    if rng.chance(20) {
        annotations.insert(
            "seccomp.security.alpha.kubernetes.io/pod".into(),
            json!(rng.pick(&values)),
        );
    }
    for name in ["app", "sidecar", "ghost"] {
        if rng.chance(10) {
            annotations.insert(
                format!("container.seccomp.security.alpha.kubernetes.io/{name}"),
                json!(rng.pick(&values)),
            );
        }
        if rng.chance(10) {
            annotations.insert(
                format!("container.apparmor.security.beta.kubernetes.io/{name}"),
                json!(rng.pick(&values)),
            );
        }
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "annotations": annotations}, "spec": spec})
}

fn versions() -> Vec<Version> {
    let mut v: Vec<Version> = [
        0, 7, 8, 18, 19, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38,
    ]
    .into_iter()
    .map(Version::V1)
    .collect();
    v.push(Version::Latest);
    v
}

/// Even pods are evaluated as Pods, odd ones as a Deployment's template: the API server
/// defaults the two differently (hostNetwork ports are filled in Pods only).
fn as_kind(i: usize, pod: &Value) -> Value {
    if i.is_multiple_of(2) {
        return pod.clone();
    }
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"template": {"metadata": pod["metadata"], "spec": pod["spec"]}}})
}

#[test]
fn pod_security_matches_upstream_admission() {
    let Some(bin) = oracle() else { return };
    let count = env_count("PALISADE_ORACLE_PODS", 1500);
    let mut rng = Rng::from_env("PALISADE_ORACLE_SEED", 0x5eed_1234);
    let pods: Vec<Value> = (0..count).map(|_| pod(&mut rng)).collect();
    let mut cases = Vec::new();
    let mut input = String::new();
    for (i, p) in pods.iter().enumerate() {
        // Every pod at latest for both levels, plus a rotating version so all are covered.
        let vs = versions();
        for version in [
            Version::Latest,
            vs[i % vs.len()],
            vs[(i * 7 + 3) % vs.len()],
        ] {
            for level in [Level::Baseline, Level::Restricted] {
                let lv = LevelVersion::new(level, version);
                // The oracle applies upstream's own defaulting for the same kind.
                let defaults = if i % 2 == 0 { "pod" } else { "template" };
                input.push_str(
                    &json!({"level": level.as_str(), "version": version.to_string(), "pod": p, "defaults": defaults})
                        .to_string(),
                );
                input.push('\n');
                cases.push((i, lv));
            }
        }
    }
    let upstream = run_oracle(&bin, "psa", &input);
    assert_eq!(upstream.len(), cases.len());
    let locator = PodSpecLocator::builtin();
    let objects: Vec<Object> = pods
        .iter()
        .enumerate()
        .map(|(i, p)| Object::from_json(&as_kind(i, p), Origin::Cluster).unwrap())
        .collect();
    let mut failing_checks = std::collections::BTreeSet::new();
    for ((i, lv), expected) in cases.iter().zip(&upstream) {
        let view = PodView::new(locator.pod_template(&objects[*i]).unwrap());
        let ours: Vec<Value> = evaluate(*lv, &view)
            .into_iter()
            .map(|f| {
                failing_checks.insert(f.check.as_str());
                json!({"reason": f.reason, "detail": f.detail})
            })
            .collect();
        assert_eq!(
            &Value::Array(ours),
            expected.get("results").unwrap_or(expected),
            "pod {i} at {lv}: {}",
            serde_json::to_string_pretty(&pods[*i]).unwrap()
        );
    }
    // The generator must actually exercise every check, or the comparison proves little.
    assert_eq!(
        failing_checks.len(),
        19,
        "checks that fired: {failing_checks:?}"
    );
}

#[test]
fn namespace_policy_matches_upstream() {
    let Some(bin) = oracle() else { return };
    let values = [
        "privileged",
        "baseline",
        "restricted",
        "Restricted",
        "",
        "latest",
        "v1.22",
        "v1.025",
        "v2.0",
        "v1.35",
    ];
    let modes = [
        "enforce",
        "enforce-version",
        "audit",
        "audit-version",
        "warn",
        "warn-version",
    ];
    let mut rng = Rng::new(0xfeed);
    let mut label_sets = vec![serde_json::Map::new()];
    for _ in 0..600 {
        let mut labels = serde_json::Map::new();
        for m in modes {
            if rng.chance(40) {
                labels.insert(
                    format!("pod-security.kubernetes.io/{m}"),
                    json!(rng.pick(&values)),
                );
            }
        }
        if rng.chance(20) {
            labels.insert("team".into(), json!("a"));
        }
        label_sets.push(labels);
    }
    let input: String = label_sets
        .iter()
        .map(|l| json!({"labels": l}).to_string() + "\n")
        .collect();
    let upstream = run_oracle(&bin, "policy", &input);
    for (labels, expected) in label_sets.iter().zip(&upstream) {
        let p = policy_from_labels(
            labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap())),
            &NamespacePolicy::privileged(),
        );
        let ours = json!({
            "enforce": p.enforce.to_string(), "audit": p.audit.to_string(), "warn": p.warn.to_string(),
            "errors": p.errors.len(),
        });
        let theirs = json!({
            "enforce": expected["enforce"], "audit": expected["audit"], "warn": expected["warn"],
            "errors": expected["errors"].as_array().map_or(0, Vec::len),
        });
        assert_eq!(ours, theirs, "labels {labels:?}");
    }
}
