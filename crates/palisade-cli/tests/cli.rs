//! The palisade command as users run it: exit codes, formats, selection, bad input.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn palisade() -> Command {
    let mut cmd = Command::cargo_bin("palisade").unwrap();
    cmd.current_dir(root()).env("NO_COLOR", "1");
    cmd
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("palisade-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A pod that passes every rule (on partial input: it is an application's manifest).
const CLEAN_POD: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: clean, namespace: shop}
spec:
  serviceAccountName: clean
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: app
      image: registry.example.com/app@sha256:0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b
      resources:
        limits: {cpu: 500m, memory: 256Mi}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
";

fn json_of(output: &[u8]) -> Value {
    serde_json::from_slice(output).expect("JSON output")
}

#[test]
fn scanning_the_example_reports_findings_and_exits_1() {
    palisade()
        .args(["scan", "examples/clinic/"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("CronJob/clinic/db-backup"))
        .stdout(predicate::str::contains("PSS007"))
        .stdout(predicate::str::contains("PSA001"))
        .stdout(predicate::str::is_match(r"\d+ findings \(.*\) in \d+ of \d+ objects").unwrap());
}

#[test]
fn a_clean_manifest_exits_0() {
    palisade()
        .args(["scan", "-"])
        .write_stdin(CLEAN_POD)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("No findings in 1 object"));
}

#[test]
fn bad_input_is_reported_with_its_position_exits_2_and_the_rest_is_scanned() {
    let dir = tempdir("bad");
    std::fs::write(
        dir.join("broken.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [oops\n",
    )
    .unwrap();
    std::fs::write(dir.join("good.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: [{name: c, image: c}]\n").unwrap();
    let out = palisade()
        .args(["scan", "-f", "json"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicate::str::is_match(r"broken\.yaml:\d+:\d+: .*expected").unwrap())
        .get_output()
        .stdout
        .clone();
    let v = json_of(&out);
    assert_eq!(v["errors"].as_array().unwrap().len(), 1);
    assert!(v["errors"][0]["line"].as_u64().unwrap() >= 4);
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "PSS003")
    );
}

#[test]
fn hostile_input_fails_cleanly() {
    let dir = tempdir("hostile");
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..15 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    std::fs::write(dir.join("bomb.yaml"), bomb).unwrap();
    std::fs::write(
        dir.join("deep.yaml"),
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .unwrap();
    palisade()
        .args(["scan"])
        .arg(&dir)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("--max-nodes"))
        .stdout(predicate::str::contains("--max-depth"));
    palisade()
        .args(["scan", "--max-file-size", "10", "-"])
        .write_stdin(CLEAN_POD)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("--max-file-size"));
}

#[test]
fn missing_paths_and_bad_flags_exit_2() {
    palisade().args(["scan", "no/such/dir"]).assert().code(2);
    let empty = tempdir("empty");
    std::fs::write(empty.join("notes.txt"), "not a manifest").unwrap();
    palisade()
        .args(["scan"])
        .arg(&empty)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("no .yaml, .yml or .json files"));
    palisade()
        .args(["scan", "--pss-version", "1.30", "-"])
        .write_stdin(CLEAN_POD)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("v1.x"));
    palisade()
        .args(["scan", "--rules", "NOPE", "-"])
        .write_stdin(CLEAN_POD)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("NOPE"));
    palisade().args(["explain", "NOPE"]).assert().code(2);
    palisade().args(["scan"]).assert().code(2);
}

#[test]
fn json_and_sarif_and_junit_go_to_files() {
    let dir = tempdir("formats");
    for (format, file) in [("json", "r.json"), ("sarif", "r.sarif"), ("junit", "r.xml")] {
        let path = dir.join(file);
        palisade()
            .args(["scan", "-f", format, "-o"])
            .arg(&path)
            .arg("examples/clinic")
            .assert()
            .code(1)
            .stdout(predicate::str::is_empty());
        let text = std::fs::read_to_string(&path).unwrap();
        match format {
            "json" => assert!(
                json_of(text.as_bytes())["findings"]
                    .as_array()
                    .unwrap()
                    .len()
                    > 5
            ),
            "sarif" => assert_eq!(json_of(text.as_bytes())["version"], "2.1.0"),
            _ => assert!(text.starts_with("<?xml") && text.contains("<testsuites")),
        }
    }
}

#[test]
fn selection_and_gating_flags() {
    let scan = |args: &[&str]| -> (i32, Value) {
        let out = palisade()
            .args(["scan", "-f", "json"])
            .args(args)
            .arg("examples/clinic")
            .output()
            .unwrap();
        (out.status.code().unwrap(), json_of(&out.stdout))
    };
    let ids = |v: &Value| -> BTreeSet<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, all) = scan(&[]);
    assert!(ids(&all).contains("PSA001") && ids(&all).contains("PSS007"));

    let (_, only) = scan(&["--rules", "PSS007,host-namespaces"]);
    assert_eq!(
        ids(&only),
        BTreeSet::from(["PSS003".to_string(), "PSS007".to_string()])
    );

    let (_, skipped) = scan(&["--skip-rules", "PSA001,PSA002,PSA003"]);
    assert!(!ids(&skipped).iter().any(|id| id.starts_with("PSA")));

    let (_, high) = scan(&["--min-severity", "high"]);
    assert!(
        high["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| ["high", "critical"].contains(&f["severity"].as_str().unwrap()))
    );

    let (code, _) = scan(&["--fail-on", "critical", "--rules", "PSS013"]);
    assert_eq!(
        code, 0,
        "medium findings do not fail a --fail-on critical scan"
    );
    let (code, _) = scan(&["--fail-on", "critical"]);
    assert_eq!(code, 1);

    let (_, baseline) = scan(&["--pss-level", "baseline"]);
    let b = ids(&baseline);
    assert!(
        b.contains("PSS007") && !b.contains("PSS013") && !b.iter().any(|id| id.starts_with("PSA"))
    );
    assert_eq!(baseline["settings"]["pss_policy"], "baseline:latest");
}

#[test]
fn rules_catalogue_and_explain() {
    let out = palisade()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let rules = json_of(&out.stdout);
    let rules = rules.as_array().unwrap();
    assert!(rules.len() >= 23);
    for r in rules {
        for key in ["id", "name", "area", "severity", "controls"] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
        assert!(
            !r["controls"].as_array().unwrap().is_empty() || r.get("no_controls_reason").is_some()
        );
    }
    palisade()
        .args(["rules"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Pod Security Standards (pod-security)",
        ));
    palisade()
        .args(["rules", "-f", "markdown"])
        .assert()
        .success()
        .stdout(predicate::str::contains("| [PSS007](PSS007.md) |"));
    palisade()
        .args(["explain", "privileged-container"])
        .assert()
        .success()
        .stdout(predicate::str::contains("PSS007 privileged-container"))
        .stdout(predicate::str::contains("45 CFR 164.312(a)(1)"))
        .stdout(predicate::str::contains("PCI DSS 2.2.6"));
}

/// `--pss-level L --pss-version V` must report exactly what upstream Pod Security Admission
/// says about each workload: same checks, same messages.
#[test]
fn pss_level_scans_equal_upstream_admission() {
    let Some(oracle) = palisade_testkit::oracle() else {
        return;
    };
    let fixtures = root().join("crates/palisade-rules/tests/fixtures/pod-security");
    let loaded = palisade_loader::load_inputs(
        &[fixtures.to_string_lossy().to_string()],
        &palisade_loader::Limits::default(),
        &mut std::io::empty(),
    );
    let locator = palisade_model::workload::PodSpecLocator::builtin();
    for level in ["baseline", "restricted"] {
        for version in [
            "v1.0", "v1.18", "v1.22", "v1.25", "v1.33", "v1.35", "latest",
        ] {
            let out = palisade()
                .args([
                    "scan",
                    "-f",
                    "json",
                    "--pss-level",
                    level,
                    "--pss-version",
                    version,
                ])
                .arg(&fixtures)
                .output()
                .unwrap();
            let report = json_of(&out.stdout);
            let mut ours: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for f in report["findings"].as_array().unwrap() {
                let o = &f["object"];
                let key = format!(
                    "{} {}/{}/{}",
                    f["file"].as_str().unwrap(),
                    o["kind"].as_str().unwrap(),
                    o["namespace"].as_str().unwrap_or(""),
                    o["name"].as_str().unwrap()
                );
                ours.entry(key)
                    .or_default()
                    .push(f["message"].as_str().unwrap().to_string());
            }
            let mut requests = String::new();
            let mut keys = Vec::new();
            for object in &loaded.objects {
                let Some(t) = locator.pod_template(object) else {
                    continue;
                };
                let pod = json!({"metadata": t.metadata.map(|m| m.to_json()).unwrap_or(json!({})), "spec": t.spec.to_json()});
                requests
                    .push_str(&json!({"level": level, "version": version, "pod": pod, "defaults": t.defaulting.as_str()}).to_string());
                requests.push('\n');
                keys.push(format!(
                    "{} {}/{}/{}",
                    object.file().unwrap(),
                    object.id.kind,
                    object.id.namespace.as_deref().unwrap_or(""),
                    object.id.name
                ));
            }
            let upstream = palisade_testkit::run_oracle(&oracle, "psa", &requests);
            for (key, theirs) in keys.iter().zip(upstream) {
                if theirs.get("error").is_some() {
                    continue; // not decodable by the API server
                }
                let mut expected: Vec<String> = theirs["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        palisade_pss::aggregate_detail([(
                            r["reason"].as_str().unwrap(),
                            r["detail"].as_str().unwrap(),
                        )])
                    })
                    .collect();
                let mut got = ours.get(key).cloned().unwrap_or_default();
                expected.sort();
                got.sort();
                assert_eq!(got, expected, "{key} at {level}:{version}");
            }
        }
    }
}
