//! The pipeline driven as a library, as a front end other than the CLI would: a folder
//! scanned end to end, and single objects judged against a cached inventory.

use std::path::Path;

use palisade_config::{Config, Date};
use palisade_loader::{Limits, load_inputs, load_str};
use palisade_model::InputFacts;
use palisade_pipeline::{Input, Plan, Request};
use palisade_rules::{Status, Views};

const CLINIC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/clinic");

fn clinic_plan(request: Request) -> Plan {
    let config = Config::load(&Path::new(CLINIC).join(".palisade.yaml")).expect("valid config");
    Plan::new(config, request).expect("valid request")
}

fn clinic_input() -> Input {
    let loaded = load_inputs(
        &[CLINIC.to_string()],
        &Limits::default(),
        &mut std::io::empty(),
    );
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    Input::from_load(loaded)
}

#[test]
fn a_folder_is_scanned_through_the_library() {
    let plan = clinic_plan(Request::default());
    assert!(
        plan.declared_complete,
        "the clinic declares completeInventory"
    );
    let outcome = plan.run(clinic_input());
    let report = &outcome.report;
    let summary = report.summary();
    // The clinic's deliberate mistakes fail the scan; its waivers hold.
    assert!(summary.findings > 10, "{summary:?}");
    assert!(summary.waived > 5, "{summary:?}");
    assert!(outcome.failing);
    assert_eq!(outcome.exit_status(), 1);
    assert!(outcome.inventory.facts().complete);
    assert_eq!(
        report.frameworks.len(),
        2,
        "hipaa and pci-dss from the configuration"
    );
    // The waiver of the backup CronJob's hostPath is applied.
    assert!(report.findings.iter().any(|f| f.rule.id == "PSS016"
        && f.object.name == "db-backup"
        && f.status() == Status::Waived));

    // Gating: nothing at or above critical stays open => not failing; min-severity drops.
    let gated = clinic_plan(Request {
        min_severity: Some(palisade_rules::Severity::High),
        fail_on: Some(palisade_rules::Severity::Critical),
        ..Request::default()
    })
    .run(clinic_input());
    assert!(
        gated
            .report
            .findings
            .iter()
            .all(|f| f.severity >= palisade_rules::Severity::High)
    );
    assert_eq!(
        gated.failing,
        gated.report.findings.iter().any(|f| f.status() == Status::Open
            && f.severity == palisade_rules::Severity::Critical)
    );
}

#[test]
fn unknown_rules_and_frameworks_are_refused() {
    let err = Plan::new(
        Config::builtin(),
        Request {
            rules: vec!["NOPE001".into()],
            ..Request::default()
        },
    )
    .unwrap_err();
    assert!(err.contains("NOPE001"), "{err}");
    let err = Plan::new(
        Config::builtin(),
        Request {
            frameworks: vec!["iso27001".into()],
            ..Request::default()
        },
    )
    .unwrap_err();
    assert!(err.contains("iso27001"), "{err}");
}

/// Every object of the clinic, judged alone against the cached inventory, gets exactly the
/// findings the whole run gave it (object rules and inventory rules alike, decided the same
/// way), and the views are derived once for all of them.
#[test]
fn single_objects_agree_with_the_whole_run() {
    let plan = clinic_plan(Request::default());
    let whole = plan.run(clinic_input());
    let inventory = plan.inventory(clinic_input().objects, InputFacts::default());
    let views = Views::default();
    let evaluator = plan.evaluator(&inventory, &views);
    let today = Date::today();
    let mut compared = 0;
    for object in inventory.objects() {
        let alone = plan.evaluate_object(&evaluator, object, today);
        let expected: Vec<_> = whole
            .report
            .findings
            .iter()
            .filter(|f| *f.object == *object.id)
            .collect();
        let got: Vec<_> = alone.findings.iter().collect();
        let key = |f: &&palisade_rules::Finding| {
            (f.rule.id, f.location.pos, f.message.clone(), f.status())
        };
        let (mut e, mut g): (Vec<_>, Vec<_>) = (
            expected.iter().map(key).collect(),
            got.iter().map(key).collect(),
        );
        e.sort();
        g.sort();
        assert_eq!(g, e, "{}", object.id);
        compared += expected.len();
    }
    assert!(compared > 30, "only {compared} findings compared");
}

/// An admission request's object, not in the inventory, is judged with what the inventory
/// holds: the regulated namespace `clinic` comes from the configuration, its Namespace
/// object's labels from the inventory.
#[test]
fn a_new_object_is_judged_against_the_cached_inventory() {
    let plan = clinic_plan(Request::default());
    let inventory = plan.inventory(clinic_input().objects, InputFacts::default());
    let views = Views::default();
    let evaluator = plan.evaluator(&inventory, &views);
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: clinic}\nspec:\n  containers:\n    - name: shell\n      image: registry.example.com/clinic/shell:1\n      securityContext: {privileged: true}\n";
    let object = load_str("request.yaml", pod, &Limits::default())
        .objects
        .remove(0);
    let decided = plan.evaluate_object(&evaluator, &object, Date::today());
    let ids: Vec<&str> = decided.findings.iter().map(|f| f.rule.id).collect();
    assert!(ids.contains(&"PSS007"), "privileged: {ids:?}");
    assert!(decided.failing);
    // A hardened pod in the same namespace passes the Pod Security checks.
    let hardened = "apiVersion: v1\nkind: Pod\nmetadata: {name: ok, namespace: clinic}\nspec:\n  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers:\n    - name: app\n      image: registry.example.com/clinic/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n";
    let object = load_str("request.yaml", hardened, &Limits::default())
        .objects
        .remove(0);
    let decided = plan.evaluate_object(&evaluator, &object, Date::today());
    assert!(
        decided
            .findings
            .iter()
            .all(|f| f.rule.area != palisade_rules::Area::PodSecurity),
        "{:?}",
        decided.findings
    );
}
