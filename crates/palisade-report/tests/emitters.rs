//! Every emitter over one canned report: snapshots, plus format validity (the SARIF schema,
//! a JUnit parser, JSON fields the documentation promises).

use palisade_config::{Baseline, Config, Date, apply_waivers};
use palisade_loader::{Limits, load_str};
use palisade_model::Inventory;
use palisade_report::{EmitOptions, Format, InputProblem, Report, ScanStats, emit};
use palisade_rules::{evaluate, registry};
use serde_json::Value;

const MANIFESTS: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: payments
  labels:
    pod-security.kubernetes.io/enforce: restricted
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: payments
spec:
  template:
    spec:
      hostNetwork: true
      containers:
        - name: api
          image: api
          securityContext:
            privileged: true
---
apiVersion: v1
kind: ConfigMap
metadata: {name: clean, namespace: payments}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: gadget, namespace: payments}
---
apiVersion: v1
kind: Pod
metadata: {name: broken
";

/// Waives one finding, keeps an expired waiver on another, leaves one waiver unused.
const CONFIG: &str = "\
frameworks: [pci-dss]
waivers:
  - rule: PSS003
    objects: {kind: Deployment, namespace: payments, name: api}
    justification: the API terminates node-local traffic (reviewed)
    owner: platform-team
    ticket: SEC-42
    expires: 2999-12-31
  - rule: PSS007
    objects: {name: api}
    justification: legacy driver
    owner: platform-team
    expires: 2001-01-01
  - rule: PSS011
    objects: {name: nothing-matches}
    justification: stale
    owner: platform-team
    expires: 2999-12-31
";

/// A loader error in the report's terms (as palisade-pipeline converts it).
fn problem(e: palisade_loader::LoadError) -> InputProblem {
    InputProblem {
        source: e.file,
        pos: e.pos,
        kind: e.kind.as_str(),
        message: e.message,
    }
}

fn canned_report() -> Report {
    let loaded = load_str("manifests/app.yaml", MANIFESTS, &Limits::default());
    let objects = loaded
        .objects
        .iter()
        .map(|o| (o.id.clone(), o.file_arc().cloned()))
        .collect();
    let inventory = Inventory::new(loaded.objects);
    let config = Config::parse(&".palisade.yaml".into(), CONFIG).expect("valid config");
    let settings = config.settings();
    // The Pod Security rules only: the canned output must not change as other areas grow.
    let rules = registry::select(&["pod-security".to_string()]).unwrap();
    let evaluation = evaluate(&inventory, &rules, &settings);
    let mut findings = evaluation.findings;
    let outcome = apply_waivers(
        &mut findings,
        &inventory,
        &config.waivers,
        true,
        Date::parse("2026-11-27").unwrap(),
    );
    // One finding accepted by a baseline.
    let known = findings.iter().position(|f| f.rule.id == "PSS019").unwrap();
    let baseline = Baseline::of(&findings[known..=known]);
    baseline.apply(&mut findings);
    Report {
        runs: evaluation.runs,
        notices: outcome.notices(&config.waivers),
        frameworks: config.frameworks.clone(),
        unknown_kinds: evaluation.unknown_kinds,
        unlisted: Vec::new(),
        findings,
        errors: loaded.errors.into_iter().map(problem).collect(),
        warnings: loaded
            .warnings
            .into_iter()
            .map(|w| InputProblem {
                source: w.file,
                pos: Some(w.pos),
                kind: "warning",
                message: w.message,
            })
            .collect(),
        stats: ScanStats {
            files: 1,
            documents: loaded.stats.documents,
            objects: loaded.stats.objects,
            skipped_documents: loaded.stats.skipped,
        },
        rules,
        objects,
        pss_policy: settings.pss,
    }
}

fn render(format: Format, color: bool) -> String {
    render_with(
        format,
        EmitOptions {
            color,
            pretty: true,
        },
    )
}

fn render_with(format: Format, options: EmitOptions) -> String {
    let mut out = Vec::new();
    emit(&canned_report(), format, options, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn table() {
    let plain = render(Format::Table, false);
    assert!(!plain.contains('\u{1b}'));
    assert!(plain.contains("Input errors"));
    assert!(plain.lines().last().unwrap().contains("1 input error"));
    snapshot("table", &plain);
    assert!(render(Format::Table, true).contains("\u{1b}["));
}

#[test]
fn json_has_the_documented_fields() {
    let text = render(Format::Json, false);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["summary"]["waived"], 1);
    assert_eq!(v["summary"]["baselined"], 1);
    let statuses: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == "open").count(), 6);
    assert_eq!(v["compliance"][0]["framework"], "pci-dss");
    assert_eq!(v["notices"].as_array().unwrap().len(), 2);
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        for key in [
            "rule_id", "severity", "message", "object", "file", "line", "column", "path",
            "controls",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
        }
        for key in ["apiVersion", "kind", "namespace", "name"] {
            assert!(f["object"].get(key).is_some(), "object lacks {key}");
        }
        assert!(
            f["controls"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["framework"].is_string() && c["id"].is_string())
        );
    }
    let privileged = findings.iter().find(|f| f["rule_id"] == "PSS007").unwrap();
    assert_eq!(privileged["pss_check"], "privileged");
    assert_eq!(privileged["pss_level"], "baseline");
    assert_eq!(privileged["line"], 21);
    assert_eq!(
        privileged["path"],
        "spec.template.spec.containers[0].securityContext.privileged"
    );
    let rejected = findings.iter().find(|f| f["rule_id"] == "PSA001").unwrap();
    assert_eq!(rejected["admission"]["mode"], "enforce");
    assert!(
        rejected["admission"]["response"]
            .as_str()
            .unwrap()
            .contains("violates PodSecurity \"restricted:latest\"")
    );
    assert_eq!(v["summary"]["objects_scanned"], 4);
    assert_eq!(v["unknown_kinds"][0]["kind"], "Widget");
    assert_eq!(v["summary"]["errors"], 1);
    assert_eq!(v["errors"][0]["kind"], "syntax");
    snapshot("json", &text);
    // Compact output (for machines) holds the same document on one line.
    let compact = render_with(
        Format::Json,
        EmitOptions {
            color: false,
            pretty: false,
        },
    );
    assert_eq!(compact.lines().count(), 1);
    assert_eq!(serde_json::from_str::<Value>(&compact).unwrap(), v);
}

/// Validates a SARIF log against the official 2.1.0 schema (panics with the reason).
fn validate_sarif(instance: &Value) {
    let schema: Value =
        serde_json::from_str(include_str!("schemas/sarif-schema-2.1.0.json")).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("sarif-schema-2.1.0.json", schema)
        .unwrap();
    let index = compiler
        .compile("sarif-schema-2.1.0.json", &mut schemas)
        .unwrap();
    if let Err(e) = schemas.validate(instance, index) {
        panic!("SARIF does not validate: {e:#}");
    }
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let text = render(Format::Sarif, false);
    let instance: Value = serde_json::from_str(&text).unwrap();
    validate_sarif(&instance);
    let run = &instance["runs"][0];
    assert_eq!(
        run["tool"]["driver"]["rules"].as_array().unwrap().len(),
        canned_report().rules.len()
    );
    let result = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "PSS007")
        .unwrap();
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        21
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "manifests/app.yaml"
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    snapshot("sarif", &text);
}

#[test]
fn sarif_schema_check_can_fail() {
    // Guard against a validator that accepts anything.
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"results": []}]});
    assert!(std::panic::catch_unwind(|| validate_sarif(&bad)).is_err());
}

#[test]
fn junit_parses_and_counts_objects() {
    let text = render(Format::Junit, false);
    let report = quick_junit::Report::deserialize_from_str(&text).unwrap();
    let suites = &report.test_suites;
    let app = suites
        .iter()
        .find(|s| s.name.as_str() == "manifests/app.yaml")
        .unwrap();
    assert_eq!(app.test_cases.len(), 4);
    assert_eq!(app.failures, 1);
    let errors = suites
        .iter()
        .find(|s| s.name.as_str() == "palisade input errors")
        .unwrap();
    assert_eq!(errors.errors, 1);
    snapshot("junit", &text);
}

/// Findings about what the input lacks have no file: every format must still carry them
/// (SARIF through a logical location, and still valid against the schema).
#[test]
fn findings_without_a_file_are_valid_in_every_format() {
    let app = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: web:1}]\n";
    let loaded = load_str("app.yaml", app, &Limits::default());
    let inventory = Inventory::new(loaded.objects).complete(true);
    let rules = registry::select(&["RT001".to_string(), "ADM005".to_string()]).unwrap();
    let settings = palisade_rules::Settings::default();
    let evaluation = evaluate(&inventory, &rules, &settings);
    assert_eq!(evaluation.findings.len(), 2);
    assert!(
        evaluation
            .findings
            .iter()
            .all(|f| f.location.file.is_none())
    );
    let mut report = Report::new(evaluation.findings, rules, settings.pss);
    report.runs = evaluation.runs;
    let mut sarif = Vec::new();
    emit(&report, Format::Sarif, EmitOptions::default(), &mut sarif).unwrap();
    let instance: Value = serde_json::from_slice(&sarif).unwrap();
    validate_sarif(&instance);
    let location = &instance["runs"][0]["results"][0]["locations"][0];
    assert!(location.get("physicalLocation").is_none());
    assert_eq!(
        location["logicalLocations"][0]["fullyQualifiedName"],
        "Cluster/*"
    );
    for format in [Format::Table, Format::Json, Format::Junit] {
        let mut out = Vec::new();
        emit(&report, format, EmitOptions::default(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        match format {
            Format::Json => {
                let v: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(v["findings"][0]["object"]["kind"], "Cluster");
                assert_eq!(v["findings"][0]["file"], Value::Null);
            }
            Format::Junit => assert!(text.contains(r#"failures="1""#), "{text}"),
            _ => assert!(text.contains("Cluster/*"), "{text}"),
        }
    }
}

/// Compact JSON is written by a hand-tuned writer, pretty JSON by serde from the same
/// field definitions: both must say the same thing, over every rule and awkward input
/// (quotes and control characters in messages and keys, file-less findings, related
/// locations, waivers, admission details).
#[test]
fn compact_and_pretty_json_agree() {
    let tricky = "\
apiVersion: v1
kind: Namespace
metadata:
  name: \"we\\\"ird\"
  labels: {pod-security.kubernetes.io/enforce: restricted}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: \"tab\\there\"
  namespace: \"we\\\"ird\"
  annotations:
    \"container.apparmor.security.beta.kubernetes.io/a\\\"b\": unconfined
spec:
  template:
    spec:
      hostNetwork: true
      containers:
        - name: \"c\\u0001\"
          image: \"img:\\\"1\"
          securityContext: {privileged: true, capabilities: {add: [SYS_ADMIN]}}
          env: [{name: DB_PASSWORD, value: hunter2}]
";
    let mut report = canned_report();
    let loaded = load_str("dir/\"odd\"\\name.yaml", tricky, &Limits::default());
    let inventory = Inventory::new(loaded.objects.clone()).complete(true);
    let settings = palisade_rules::Settings::default();
    let rules = registry::all().to_vec();
    let evaluation = evaluate(&inventory, &rules, &settings);
    assert!(evaluation.findings.len() > 20, "{:#?}", loaded.errors);
    assert!(evaluation.findings.iter().any(|f| !f.related.is_empty()));
    assert!(
        evaluation
            .findings
            .iter()
            .any(|f| f.location.file.is_none())
    );
    report.findings.extend(evaluation.findings);
    report.rules = rules;
    let json = |pretty| {
        let mut out = Vec::new();
        emit(
            &report,
            Format::Json,
            EmitOptions {
                color: false,
                pretty,
            },
            &mut out,
        )
        .unwrap();
        serde_json::from_slice::<Value>(&out).unwrap()
    };
    let (compact, pretty) = (json(false), json(true));
    assert!(
        compact["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["waiver"].is_object())
    );
    assert!(
        compact["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["admission"].is_object())
    );
    assert_eq!(compact, pretty);
}
