//! The engine: runs the selected rules over an inventory, in parallel, deterministically.

use rayon::prelude::*;

use palisade_model::Inventory;

use crate::context::{InventoryCtx, ObjectCtx, Settings, Sink};
use crate::finding::Finding;
use crate::rule::{Check, Rule, Scope};

/// Evaluates `rules` over `inventory`. Object rules run per object across threads;
/// inventory rules run once each. Findings come back in input order of their objects, then
/// by position, rule and message (inventory rules' findings last, in the same order), so
/// output is the same whatever the thread timing.
pub fn evaluate(
    inventory: &Inventory,
    rules: &[&'static Rule],
    settings: &Settings,
) -> Vec<Finding> {
    let object_rules: Vec<&'static Rule> = rules
        .iter()
        .copied()
        .filter(|r| matches!(r.check, Check::Object(_)))
        .collect();
    let mut findings: Vec<Finding> = inventory
        .objects()
        .par_iter()
        .flat_map_iter(|object| {
            let ctx = ObjectCtx::new(object, inventory, settings);
            let is_workload = settings.locator.is_workload(object);
            let mut out = Vec::new();
            for rule in &object_rules {
                let applies = match rule.meta.scope {
                    Scope::Workloads => is_workload,
                    Scope::Kinds(kinds) => kinds.contains(&object.kind()),
                    Scope::Inventory => false,
                };
                if let (true, Check::Object(check)) = (applies, rule.check) {
                    let mut sink = Sink::new(&rule.meta);
                    check(&ctx, &mut sink);
                    out.append(&mut sink.findings);
                }
            }
            out.sort_by(order);
            out
        })
        .collect();
    let inventory_findings: Vec<Finding> = rules
        .par_iter()
        .flat_map_iter(|rule| {
            let mut sink = Sink::new(&rule.meta);
            if let Check::Inventory(check) = rule.check {
                check(
                    &InventoryCtx {
                        inventory,
                        settings,
                    },
                    &mut sink,
                );
            }
            sink.findings
        })
        .collect();
    let mut inventory_findings = inventory_findings;
    inventory_findings.sort_by(|a, b| {
        a.location
            .file
            .cmp(&b.location.file)
            .then_with(|| order(a, b))
    });
    findings.extend(inventory_findings);
    findings
}

fn order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    (a.location.pos, a.rule.id, &a.object, &a.message).cmp(&(
        b.location.pos,
        b.rule.id,
        &b.object,
        &b.message,
    ))
}
