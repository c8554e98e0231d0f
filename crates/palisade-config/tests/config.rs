//! The configuration file, waivers and baselines, end to end over real findings.

use std::sync::Arc;

use palisade_config::{Baseline, Config, Date, apply_waivers};
use palisade_loader::{Limits, load_str};
use palisade_model::Inventory;
use palisade_rules::{Finding, Status, evaluate, registry};

fn parse(text: &str) -> Result<Config, Vec<String>> {
    let name: Arc<str> = ".palisade.yaml".into();
    Config::parse(&name, text).map_err(|errs| errs.iter().map(ToString::to_string).collect())
}

const MANIFESTS: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  hostNetwork: true
  containers:
    - name: app
      image: app:1
---
apiVersion: v1
kind: Pod
metadata:
  name: agent
  namespace: ops
  annotations:
    palisade.dev/waive.PSS003: \"node agent needs the host network (SEC-12)\"
spec:
  hostNetwork: true
  containers:
    - name: app
      image: agent:1
";

fn findings() -> (Inventory, Vec<Finding>) {
    let loaded = load_str("m.yaml", MANIFESTS, &Limits::default());
    assert!(loaded.errors.is_empty());
    let inventory = Inventory::new(loaded.objects);
    let rule = registry::find("PSS003").expect("host namespaces rule");
    let findings = evaluate(&inventory, &[rule], &Default::default()).findings;
    assert_eq!(findings.len(), 2, "{findings:?}");
    (inventory, findings)
}

#[test]
fn a_full_configuration_is_read() {
    let config = parse(
        "version: 1
frameworks: [pci-dss, hipaa]
rules:
  ignore: [PSS001, workload]
  severity: {PSS003: critical}
podSecurity: {level: baseline, version: v1.30}
regulatedNamespaces:
  names: [shop, 'pay-*']
  selector: {matchLabels: {compliance: pci}}
  podSecurityLevel: restricted
registries: [registry.example.com/]
runtimeAgents: ['sysdig-*']
workloadKinds:
  - {apiVersion: argoproj.io/v1alpha1, kind: Rollout, podTemplate: spec.template}
waivers:
  - rule: PSS003
    objects: {kind: Pod, namespace: shop, name: 'we*', labels: {matchLabels: {app: web}}}
    justification: load balancer health checks need it
    owner: platform-team
    ticket: SEC-1
    expires: 2999-12-31
",
    )
    .expect("valid");
    assert_eq!(config.frameworks.len(), 2);
    assert!(config.ignore.iter().any(|r| r.meta.id == "PSS001"));
    assert_eq!(config.severity.len(), 1);
    assert_eq!(config.waivers.len(), 1);
    let settings = config.settings();
    assert_eq!(settings.pss.to_string(), "baseline:v1.30");
    assert_eq!(
        settings.log_retention_days, 90,
        "PCI DSS raises the default retention"
    );
    assert_eq!(settings.registries, ["registry.example.com/"]);
    assert!(settings.regulated.names.contains(&"pay-*".to_string()));
}

#[test]
fn errors_point_at_the_line_and_say_what_was_expected() {
    let errors = parse(
        "frameworks: [pci-dss, iso27001]
rules:
  ignore: [NOPE1]
regulatedNamespace: [a]
auditLog: {retentionDays: -3}
waivers:
  - rule: PSS003
    justification: because
    expires: 2027-02-30
  - rule: PSS003
    owner: me
",
    )
    .expect_err("invalid");
    let text = errors.join("\n");
    insta::assert_snapshot!(text, @r#"
    .palisade.yaml:1:23: unknown framework "iso27001" (expected hipaa, pci-dss, soc2, cis, nsa or all)
    .palisade.yaml:3:12: unknown rule, name or area "NOPE1" (see `palisade rules`)
    .palisade.yaml:4:1: unknown key "regulatedNamespace" in the configuration; expected one of: version, frameworks, rules, podSecurity, regulatedNamespaces, registries, auditLog, runtimeAgents, istioRootNamespace, completeInventory, workloadKinds, inlineWaivers, waivers
    .palisade.yaml:5:12: retentionDays must be a whole number of days (1 or more)
    .palisade.yaml:9:5: expires "2027-02-30" is not a date (YYYY-MM-DD)
    .palisade.yaml:10:5: a waiver needs justification, expires (rule or rules, objects, justification, owner, expires; ticket optional)
    "#);
}

#[test]
fn waivers_waive_expire_and_are_reported_unused() {
    let (inventory, mut findings) = findings();
    let config = parse(
        "waivers:
  - rule: PSS003
    objects: {namespace: shop, name: web}
    justification: j
    owner: o
    expires: 2027-01-31
  - rule: PSS003
    objects: {namespace: nowhere}
    justification: j
    owner: o
    expires: 2027-01-31
",
    )
    .unwrap();
    let today = Date::parse("2026-11-27").unwrap();
    let outcome = apply_waivers(&mut findings, &inventory, &config.waivers, true, today);
    let statuses: Vec<(String, Status)> = findings
        .iter()
        .map(|f| (f.object.to_string(), f.status()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("Pod/shop/web".to_string(), Status::Waived),
            ("Pod/ops/agent".to_string(), Status::Waived)
        ]
    );
    assert_eq!(outcome.unused, [1]);
    assert!(outcome.expired.is_empty());

    // The day after expiry the finding fails again and the waiver is reported as expired.
    let (inventory, mut findings) = self::findings();
    let later = Date::parse("2027-02-01").unwrap();
    let outcome = apply_waivers(&mut findings, &inventory, &config.waivers, true, later);
    assert_eq!(findings[0].status(), Status::Open);
    assert!(findings[0].waiver.as_ref().is_some_and(|w| w.expired));
    assert_eq!(outcome.expired, [0]);
    // On the expiry day itself it still holds.
    let (inventory, mut findings) = self::findings();
    apply_waivers(
        &mut findings,
        &inventory,
        &config.waivers,
        true,
        Date::parse("2027-01-31").unwrap(),
    );
    assert_eq!(findings[0].status(), Status::Waived);
}

#[test]
fn inline_waivers_can_be_turned_off() {
    let (inventory, mut findings) = findings();
    let outcome = apply_waivers(&mut findings, &inventory, &[], false, Date::today());
    assert!(findings.iter().all(|f| f.status() == Status::Open));
    assert_eq!(outcome.waived, 0);
    let config = parse("inlineWaivers: false\n").unwrap();
    assert!(!config.inline_waivers);
}

#[test]
fn label_selectors_in_waivers_read_the_object() {
    let (inventory, mut findings) = findings();
    let config = parse(
        "inlineWaivers: false
waivers:
  - rule: PSS003
    objects: {labels: {matchLabels: {app: api}}}
    justification: j
    owner: o
    expires: 2999-01-01
",
    )
    .unwrap();
    let outcome = apply_waivers(
        &mut findings,
        &inventory,
        &config.waivers,
        false,
        Date::today(),
    );
    assert_eq!(outcome.waived, 0, "app=web is not app=api");
    assert_eq!(outcome.unused, [0]);
}

#[test]
fn a_baseline_accepts_known_findings_only() {
    let (_, findings) = findings();
    let baseline = Baseline::of(&findings[..1]);
    let round = Baseline::from_json(&baseline.to_json()).unwrap();
    assert_eq!(round, baseline);
    let (_, mut again) = self::findings();
    assert_eq!(round.apply(&mut again), 1);
    assert_eq!(again[0].status(), Status::Baselined);
    assert_eq!(again[1].status(), Status::Open, "not in the baseline: new");
    assert!(Baseline::from_json("{\"palisade_baseline\": 2, \"findings\": []}").is_err());
}

#[test]
fn discovery_walks_up_from_the_scanned_path() {
    let dir = std::env::temp_dir().join(format!("palisade-config-{}", std::process::id()));
    let nested = dir.join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(dir.join(".palisade.yaml"), "version: 1\n").unwrap();
    let found = Config::discover(&nested).expect("found upward");
    assert_eq!(
        found,
        std::fs::canonicalize(dir.join(".palisade.yaml")).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_waiver_can_cover_several_rules_or_an_area() {
    let (inventory, mut findings) = findings();
    let config = parse(
        "inlineWaivers: false
waivers:
  - rules: [pod-security, WL001]
    objects: {namespace: shop}
    justification: host network for the load balancer
    owner: o
    expires: 2999-01-01
",
    )
    .unwrap();
    assert!(
        config.waivers[0].rules.len() > 20,
        "the whole area plus WL001"
    );
    let outcome = apply_waivers(
        &mut findings,
        &inventory,
        &config.waivers,
        false,
        Date::today(),
    );
    assert_eq!(outcome.waived, 1, "only the shop pod");
    assert!(
        parse("waivers:\n  - {rules: [nope], justification: j, owner: o, expires: 2999-01-01}\n")
            .is_err()
    );
}

#[test]
fn inline_waivers_can_expire_and_name_an_owner_and_ticket() {
    let manifests = "\
apiVersion: v1
kind: Pod
metadata:
  name: agent
  namespace: ops
  annotations:
    palisade.dev/waive.PSS003: \"needs the host network; see the runbook; expires=2027-01-31; owner=team-ops; ticket=SEC-12\"
spec:
  hostNetwork: true
  containers: [{name: app, image: agent:1}]
---
apiVersion: v1
kind: Pod
metadata:
  name: bad-date
  namespace: ops
  annotations:
    palisade.dev/waive.PSS003: \"reason; expires=next week\"
spec:
  hostNetwork: true
  containers: [{name: app, image: agent:1}]
";
    let run = |today: &str| {
        let loaded = load_str("m.yaml", manifests, &Limits::default());
        let inventory = Inventory::new(loaded.objects);
        let rule = registry::find("PSS003").unwrap();
        let mut findings = evaluate(&inventory, &[rule], &Default::default()).findings;
        let outcome = apply_waivers(
            &mut findings,
            &inventory,
            &[],
            true,
            Date::parse(today).unwrap(),
        );
        (findings, outcome)
    };

    let (findings, outcome) = run("2027-01-31");
    assert_eq!(
        findings[0].status(),
        Status::Waived,
        "holds on its last day"
    );
    let note = findings[0].waiver.as_ref().unwrap();
    // The reason keeps its own `;`; the fields are read from the end.
    assert_eq!(
        note.justification,
        "needs the host network; see the runbook"
    );
    assert_eq!(note.expires.as_deref(), Some("2027-01-31"));
    assert_eq!(note.owner.as_deref(), Some("team-ops"));
    assert_eq!(note.ticket.as_deref(), Some("SEC-12"));
    assert!(outcome.expired_inline.is_empty());
    // A date that does not parse makes the annotation invalid (and waives nothing).
    assert_eq!(findings[1].status(), Status::Open);
    let notices: Vec<String> = outcome.notices(&[]).iter().map(|n| n.to_string()).collect();
    assert_eq!(
        notices,
        [
            "m.yaml:18: Pod/ops/bad-date: annotation palisade.dev/waive.PSS003: expires=\"next week\" is not a date; expected YYYY-MM-DD"
        ]
    );

    let (findings, outcome) = run("2027-02-01");
    assert_eq!(
        findings[0].status(),
        Status::Open,
        "fails again after expiry"
    );
    assert!(findings[0].waiver.as_ref().is_some_and(|w| w.expired));
    assert_eq!(outcome.waived, 0);
    let notices: Vec<String> = outcome.notices(&[]).iter().map(|n| n.to_string()).collect();
    assert_eq!(
        notices[0],
        "m.yaml:7: Pod/ops/agent: annotation palisade.dev/waive.PSS003 expired on 2027-01-31: its findings fail again (owner team-ops)"
    );
}
