//! Invariants every rule in the registry must keep.

mod support;

use std::collections::BTreeSet;

use palisade_loader::{Limits, load_str};
use palisade_model::Inventory;
use palisade_pss::checks;
use palisade_rules::{Coverage, PARTIAL_INPUT, Rule, Settings, evaluate, registry};
use support::example_settings;

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[test]
fn ids_and_names_are_unique_and_well_formed() {
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    for rule in registry::all() {
        let m = &rule.meta;
        // The area prefix (`WL`, `SA`, `PSS`, `RBAC`) then three digits.
        let (prefix, digits) = m.id.split_at(m.id.len().saturating_sub(3));
        assert!(
            (2..=4).contains(&prefix.len())
                && prefix.bytes().all(|b| b.is_ascii_uppercase())
                && digits.len() == 3
                && digits.bytes().all(|b| b.is_ascii_digit()),
            "{}: IDs are two to four capitals and three digits",
            m.id
        );
        assert!(ids.insert(m.id), "duplicate ID {}", m.id);
        assert!(names.insert(m.name), "duplicate name {}", m.name);
        assert!(
            is_kebab(m.name),
            "{}: name {:?} is not kebab-case",
            m.id,
            m.name
        );
        assert!(
            !m.name.starts_with("no-") && !m.name.starts_with("disallow"),
            "{}: name the bad pattern, not the fix",
            m.id
        );
        assert!(
            !m.title.is_empty() && !m.title.ends_with('.'),
            "{}: title",
            m.id
        );
        assert!(m.rationale.len() > 80, "{}: rationale too thin", m.id);
        assert!(
            m.remediation.ends_with('.'),
            "{}: remediation is a sentence ending with a period",
            m.id
        );
        assert!(!m.references.is_empty(), "{}: references", m.id);
    }
}

#[test]
fn every_rule_maps_to_known_controls_or_says_why_not() {
    let catalogue = palisade_controls::catalogue();
    assert_eq!(catalogue.problems(), Vec::<String>::new());
    for rule in registry::all() {
        let m = &rule.meta;
        for group in m.evidence {
            assert!(
                catalogue.evidence(group).is_some(),
                "{}: unknown evidence group {group}",
                m.id
            );
        }
        if m.evidence.is_empty() {
            assert!(
                m.no_controls_reason.is_some_and(|r| !r.is_empty()),
                "{}: no controls and no reason",
                m.id
            );
        } else {
            assert!(
                !m.controls().is_empty(),
                "{}: evidence groups map to no controls",
                m.id
            );
        }
    }
}

#[test]
fn pss_rules_cover_every_upstream_check_once() {
    let mut seen = BTreeSet::new();
    for rule in registry::all() {
        if let Some(check) = rule.meta.pss {
            assert!(seen.insert(check), "{check} has two rules");
        }
    }
    assert_eq!(seen.len(), checks().len());
}

fn findings_of(rule: &'static Rule, yaml: &str) -> usize {
    let loaded = load_str("example.yaml", yaml, &Limits::default());
    assert!(
        loaded.errors.is_empty(),
        "{}: example does not parse: {:?}",
        rule.meta.id,
        loaded.errors
    );
    assert!(
        !loaded.objects.is_empty(),
        "{}: example has no objects",
        rule.meta.id
    );
    // Examples are whole worlds: absence-based rules may conclude from them.
    let inventory = Inventory::new(loaded.objects).complete(true);
    evaluate(&inventory, &[rule], &example_settings(rule, yaml))
        .findings
        .len()
}

#[test]
fn examples_behave_as_documented() {
    for rule in registry::all() {
        assert!(
            findings_of(rule, rule.meta.example_fail) > 0,
            "{}: the failing example reports nothing",
            rule.meta.id
        );
        assert_eq!(
            findings_of(rule, rule.meta.example_pass),
            0,
            "{}: the passing example reports",
            rule.meta.id
        );
    }
}

#[test]
fn select_understands_ids_names_and_areas() {
    let by_area = registry::select(&["pod-security".into()]).unwrap();
    let expected = registry::all()
        .iter()
        .filter(|r| r.meta.area.as_str() == "pod-security")
        .count();
    assert_eq!(by_area.len(), expected);
    assert!(expected >= 23);
    let two =
        registry::select(&["PSS007".into(), "host-namespaces".into(), "pss007".into()]).unwrap();
    assert_eq!(
        two.iter().map(|r| r.meta.id).collect::<Vec<_>>(),
        ["PSS003", "PSS007"]
    );
    assert_eq!(registry::select(&["nope".into()]).unwrap_err(), ["nope"]);
}

/// On partial input (an application's manifests), rules that conclude from an absence are
/// not evaluated rather than failing: exactly these rules, and each says why.
#[test]
fn absence_based_rules_are_not_evaluated_on_partial_input() {
    let mut gated = Vec::new();
    for rule in registry::all() {
        let loaded = load_str("example.yaml", rule.meta.example_fail, &Limits::default());
        let inventory = Inventory::new(loaded.objects).complete(false);
        let settings = example_settings(rule, rule.meta.example_fail);
        let run = evaluate(&inventory, &[rule], &settings);
        if let Coverage::NotEvaluated { reason } = &run.runs[0].coverage
            && reason == PARTIAL_INPUT
        {
            assert!(
                run.findings.is_empty(),
                "{}: not evaluated yet reported",
                rule.meta.id
            );
            gated.push(rule.meta.id);
        }
    }
    // (The other gated rules' failing examples show a case that needs no absence: a
    // confined agent, a scaled-down engine, a Namespace the input defines.)
    assert_eq!(gated, ["RBAC013", "RBAC014", "RBAC015", "MESH005", "SC004"]);

    // An application's manifests: a lone Deployment. Nothing may be concluded about the
    // cluster from it; the same input declared complete yields the absence findings.
    let app = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: web:1}]\n";
    let rules: Vec<&'static Rule> = ["NET001", "NET002", "RT001", "ADM005"]
        .iter()
        .map(|id| registry::find(id).unwrap())
        .collect();
    let inventory = Inventory::new(load_str("app.yaml", app, &Limits::default()).objects);
    let partial = evaluate(&inventory, &rules, &Settings::default());
    assert!(partial.findings.is_empty(), "{:?}", partial.findings);
    assert!(partial.runs.iter().all(
        |r| matches!(&r.coverage, Coverage::NotEvaluated { reason } if reason == PARTIAL_INPUT)
    ));
    let inventory = inventory.complete(true);
    let whole = evaluate(&inventory, &rules, &Settings::default());
    let ids: BTreeSet<&str> = whole.findings.iter().map(|f| f.rule.id).collect();
    assert_eq!(
        ids.into_iter().collect::<Vec<_>>(),
        ["ADM005", "NET001", "NET002", "RT001"]
    );
}
