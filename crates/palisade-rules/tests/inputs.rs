//! The inputs each rule declares (its scope and `RuleMeta::reads`) against what its check
//! actually reads. A cluster scan lists only what some rule declares, and a rule is "not
//! evaluated" only for what it declares, so an undeclared read is a rule that silently
//! passes on a live cluster.

mod support;

use std::collections::BTreeMap;

use palisade_loader::{Limits, load_str};
use palisade_model::{Inventory, Object, Unlisted};
use palisade_rules::{Coverage, Evaluation, Input, Rule, Scope, Settings, evaluate, registry};
use support::{distinct_policies, example_settings, fixture_path, fixture_settings, read_fixture};

/// Whether `rule` declares that it reads objects like `object`, or is handed it: the engine
/// gives a rule scoped to kinds every object of those kind names, whatever the group (and
/// counts them as checked).
fn declared(rule: &Rule, object: &Object, settings: &Settings) -> bool {
    let (group, kind) = (object.id.group(), object.kind());
    let handed =
        matches!(rule.meta.scope, Scope::Kinds(kinds) if kinds.iter().any(|k| k.kind == kind));
    handed
        || rule
            .meta
            .inputs()
            .any(|i| i.matches(group, kind, &settings.locator))
}

/// What an evaluation says about its one rule: every finding in full (object, location,
/// message, related locations), then its coverage. Inventory rules count the whole
/// inventory as checked, which restricting it changes, so only that count is left out.
fn outcome(rule: &Rule, evaluation: &Evaluation) -> String {
    let mut out = String::new();
    for f in &evaluation.findings {
        out.push_str(&format!(
            "{} {} {:?} {}:{} {} {}\n",
            f.rule.id,
            f.object,
            f.location.file,
            f.location.pos.line,
            f.location.pos.column,
            f.location.path,
            f.message
        ));
        for r in &f.related {
            out.push_str(&format!(
                "    related {:?} {}:{} {} {}\n",
                r.location.file,
                r.location.pos.line,
                r.location.pos.column,
                r.location.path,
                r.message
            ));
        }
    }
    let coverage = &evaluation.runs[0].coverage;
    match (coverage, rule.meta.scope) {
        (Coverage::Checked { .. }, Scope::Inventory) => out.push_str("checked\n"),
        _ => out.push_str(&format!("{coverage:?}\n")),
    }
    out
}

/// Each rule on its fixture, then on the fixture restricted to the objects it declares it
/// reads (the objects of its scope included): the same findings, at the same places, with
/// the same messages, and the same coverage. A check that reads a kind it does not declare
/// sees less in the restricted inventory and reports otherwise. Every other fixture's
/// objects are added to both, so each rule also meets the kinds its own fixture lacks
/// (Secrets, Istio and Kyverno resources, audit Policies...) beside its own objects.
#[test]
fn rules_read_only_what_they_declare() {
    let fixtures: Vec<_> = registry::all()
        .iter()
        .map(|rule| (rule.meta.id, read_fixture(&fixture_path(rule))))
        .collect();
    let mut failures = Vec::new();
    for (rule, (_, fixture)) in registry::all().iter().zip(&fixtures) {
        let others = fixtures
            .iter()
            .filter(|(id, _)| *id != rule.meta.id)
            .flat_map(|(_, f)| f.objects.iter().cloned());
        let objects: Vec<Object> = fixture.objects.iter().cloned().chain(others).collect();
        for policy in distinct_policies(fixture) {
            let settings = fixture_settings(fixture, policy);
            let (kept, dropped): (Vec<Object>, Vec<Object>) = objects
                .iter()
                .cloned()
                .partition(|o| declared(rule, o, &settings));
            let whole = Inventory::new(objects.clone()).complete(true);
            let restricted = Inventory::new(kept).complete(true);
            let expected = outcome(rule, &evaluate(&whole, &[rule], &settings));
            let got = outcome(rule, &evaluate(&restricted, &[rule], &settings));
            if got != expected {
                let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
                for o in &dropped {
                    *kinds
                        .entry(format!("{} {}", o.id.api_version, o.kind()))
                        .or_default() += 1;
                }
                let diff: Vec<String> = diff_lines(&expected, &got);
                failures.push(format!(
                    "{} at {policy}: without the objects it does not declare it reports otherwise; declare what it reads in `reads`\n  left out: {kinds:?}\n{}",
                    rule.meta.id,
                    diff.join("\n")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The lines only one of two outcomes has, marked `-` (the whole input's) or `+`.
fn diff_lines(expected: &str, got: &str) -> Vec<String> {
    let only = |a: &str, b: &str, mark: char| -> Vec<String> {
        a.lines()
            .filter(|l| !b.lines().any(|m| m == *l))
            .map(|l| format!("  {mark} {l}"))
            .collect()
    };
    let mut out = only(expected, got, '-');
    out.extend(only(got, expected, '+'));
    out
}

/// A resource type a cluster scan could not list, of the kinds `input` names.
fn unlisted(input: Input) -> Unlisted {
    let (group, kind) = match input {
        Input::Kind(k) => (k.group.to_string(), k.kind),
        Input::Workloads => ("apps".to_string(), "Deployment"),
        Input::Group(group) => (group.to_string(), "Anything"),
        Input::GroupsUnder(domain) => (format!("sub.{domain}"), "Anything"),
    };
    let api_version = if group.is_empty() {
        "v1".to_string()
    } else {
        format!("{group}/v1")
    };
    Unlisted {
        api_version,
        kind: kind.to_string(),
        resource: format!("{}s", kind.to_ascii_lowercase()),
        namespace: None,
        reason: "forbidden".to_string(),
    }
}

fn run_example(rule: &'static Rule, unlisted: Vec<Unlisted>) -> Coverage {
    let example = rule.meta.example_pass;
    let objects = load_str("example.yaml", example, &Limits::default()).objects;
    let mut inventory = Inventory::new(objects).complete(true);
    let mut facts = inventory.facts().clone();
    facts.unlisted = unlisted;
    inventory = inventory.with_facts(facts);
    let evaluation = evaluate(&inventory, &[rule], &example_settings(rule, example));
    assert!(evaluation.findings.is_empty(), "{}", rule.meta.id);
    evaluation.runs[0].coverage.clone()
}

/// A rule whose passing example is evaluated while a resource type it declares could not
/// be listed is not evaluated, and says which; one it does not declare changes nothing.
#[test]
fn rules_are_not_evaluated_without_what_they_declare() {
    let lease = Unlisted {
        api_version: "coordination.k8s.io/v1".to_string(),
        kind: "Lease".to_string(),
        resource: "leases".to_string(),
        namespace: None,
        reason: "forbidden".to_string(),
    };
    for rule in registry::all() {
        let inputs: Vec<Input> = rule.meta.inputs().collect();
        assert!(!inputs.is_empty(), "{}: reads nothing", rule.meta.id);
        for input in inputs {
            let u = unlisted(input);
            let described = u.describe();
            match run_example(rule, vec![u]) {
                Coverage::NotEvaluated { reason } => assert!(
                    reason.contains(&described),
                    "{}: {input:?} unlisted, yet the reason is {reason:?}",
                    rule.meta.id
                ),
                coverage => panic!(
                    "{}: {input:?} could not be listed, yet the rule is {coverage:?}",
                    rule.meta.id
                ),
            }
        }
        let before = run_example(rule, Vec::new());
        let with_lease = run_example(rule, vec![lease.clone()]);
        // Absence-based rules conclude nothing while anything is missing; the others are
        // not affected by a kind they do not read.
        if !matches!(&with_lease, Coverage::NotEvaluated { reason } if reason.contains("an absence proves nothing"))
        {
            assert_eq!(with_lease, before, "{}: leases are no input", rule.meta.id);
        }
    }
}
