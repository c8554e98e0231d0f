//! The engine: runs the selected rules over an inventory, in parallel, deterministically,
//! and records what each rule could actually evaluate.

use rayon::prelude::*;

use palisade_model::Inventory;

use crate::context::{InventoryCtx, ObjectCtx, Settings, Sink, Views};
use crate::finding::Finding;
use crate::rule::{Area, Check, Rule, Scope};

/// What a rule covered in one evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// The rule looked at this many objects (for inventory rules: the whole inventory).
    Checked { objects: usize },
    /// The input lacks what the rule needs; its silence proves nothing.
    NotEvaluated { reason: String },
}

/// One rule's coverage.
#[derive(Clone, Debug)]
pub struct RuleRun {
    pub rule: &'static Rule,
    pub coverage: Coverage,
}

/// Objects of one kind that no rule reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownKind {
    pub api_version: String,
    pub kind: String,
    pub objects: usize,
}

/// The result of evaluating rules over an inventory.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    /// One entry per evaluated rule, in the order the rules were given.
    pub runs: Vec<RuleRun>,
    /// Kinds in the input that no rule understands (custom resources of unknown tools, or
    /// custom workload kinds not configured): their objects were not evaluated.
    pub unknown_kinds: Vec<UnknownKind>,
}

/// Evaluates `rules` over `inventory`. Object rules run per object across threads;
/// inventory rules run once each. Findings come back in input order of their objects, then
/// by position, rule and message (inventory rules' findings last, in the same order), so
/// output is the same whatever the thread timing.
pub fn evaluate(inventory: &Inventory, rules: &[&'static Rule], settings: &Settings) -> Evaluation {
    let object_rules: Vec<&'static Rule> = rules
        .iter()
        .copied()
        .filter(|r| matches!(r.check, Check::Object(_)))
        .collect();
    // Which object rules apply to each kind of the input, worked out once per kind rather
    // than per object (a hundred thousand objects, dozens of rules, a handful of kinds).
    let by_kind: std::collections::HashMap<&str, Vec<bool>> = inventory
        .kinds()
        .map(|kind| {
            let applicable = object_rules
                .iter()
                .map(|r| matches!(r.meta.scope, Scope::Kinds(kinds) if kinds.contains(&kind)))
                .collect();
            (kind, applicable)
        })
        .collect();
    let workload_rules: Vec<bool> = object_rules
        .iter()
        .map(|r| matches!(r.meta.scope, Scope::Workloads))
        .collect();
    // Each object's findings go into a per-thread scratch vector and leave it as one
    // vector of their exact size; the parts are joined once below. (Folding into growing
    // vectors copied half a million findings several times over as they doubled.)
    let object_pass = || -> Vec<Vec<Finding>> {
        let Some(first) = object_rules.first() else {
            return Vec::new();
        };
        inventory
            .objects()
            .par_iter()
            .map_init(Vec::new, |scratch, object| {
                let ctx = ObjectCtx::new(object, inventory, settings);
                let is_workload = settings.locator.is_workload(object);
                let mut sink = Sink::new(&first.meta);
                std::mem::swap(&mut sink.findings, scratch);
                // The kind's rules, looked up once per object rather than once per rule.
                let of_kind = by_kind.get(object.kind());
                for (i, rule) in object_rules.iter().enumerate() {
                    let applies =
                        (is_workload && workload_rules[i]) || of_kind.is_some_and(|k| k[i]);
                    if let (true, Check::Object(check)) = (applies, rule.check) {
                        sink.rule = &rule.meta;
                        check(&ctx, &mut sink);
                    }
                }
                std::mem::swap(&mut sink.findings, scratch);
                scratch.sort_by(order);
                // Moved out at their exact size; the scratch keeps its room for the next
                // object (taking the vector would hand its spare capacity to the report).
                let mut part = Vec::with_capacity(scratch.len());
                part.append(scratch);
                part
            })
            .collect()
    };
    // How many objects each object rule looked at: decided by kind and whether the object
    // is a workload, so counted per such pair.
    let in_scope = || {
        let mut pairs: std::collections::HashMap<(&str, bool), usize> = Default::default();
        for object in inventory.objects() {
            *pairs
                .entry((object.kind(), settings.locator.is_workload(object)))
                .or_default() += 1;
        }
        (0..object_rules.len())
            .map(|i| {
                pairs
                    .iter()
                    .filter(|((kind, is_workload), _)| {
                        (*is_workload && workload_rules[i])
                            || by_kind.get(kind).is_some_and(|k| k[i])
                    })
                    .map(|(_, n)| n)
                    .sum::<usize>()
            })
            .collect::<Vec<usize>>()
    };
    let views = Views::default();
    let inventory_ctx = InventoryCtx::new(inventory, settings, &views);
    let inventory_pass = || -> Vec<(Vec<Finding>, Option<String>)> {
        rules
            .par_iter()
            .filter(|r| matches!(r.check, Check::Inventory(_)))
            .map(|rule| {
                let mut sink = Sink::new(&rule.meta);
                if let Check::Inventory(check) = rule.check {
                    check(&inventory_ctx, &mut sink);
                }
                (sink.findings, sink.not_evaluated)
            })
            .collect()
    };
    // Both passes share the thread pool: a long inventory rule overlaps the object pass
    // instead of running after it.
    let (object_parts, inventory_results) = rayon::join(object_pass, inventory_pass);
    // The parts are joined once into a vector of the exact size: growing one vector of
    // half a million findings by doubling would briefly hold it twice.
    let total = object_parts.iter().map(Vec::len).sum::<usize>()
        + inventory_results
            .iter()
            .map(|(f, _)| f.len())
            .sum::<usize>();
    let mut findings = Vec::with_capacity(total);
    for mut part in object_parts {
        findings.append(&mut part);
    }
    let in_scope = in_scope();
    let mut inventory_findings = Vec::with_capacity(total - findings.len());
    let mut inventory_coverage = Vec::new();
    let inventory_rules = rules
        .iter()
        .filter(|r| matches!(r.check, Check::Inventory(_)));
    for ((mut f, not_evaluated), rule) in inventory_results.into_iter().zip(inventory_rules) {
        let unlisted = unlisted_for(rule, settings);
        inventory_coverage.push(match not_evaluated {
            // Findings made from what could be read stand; no finding proves nothing, and
            // what could not be listed is the reason, whatever else the rule missed.
            _ if f.is_empty() && !unlisted.is_empty() => Coverage::NotEvaluated {
                reason: format!("could not list {}", unlisted.join(", ")),
            },
            Some(reason) => Coverage::NotEvaluated { reason },
            None => Coverage::Checked {
                objects: inventory.len(),
            },
        });
        inventory_findings.append(&mut f);
    }
    inventory_findings.sort_by(|a, b| {
        a.location
            .file
            .cmp(&b.location.file)
            .then_with(|| order(a, b))
    });
    findings.extend(inventory_findings);

    let mut object_coverage = object_rules.iter().zip(in_scope);
    let mut inventory_coverage = inventory_coverage.into_iter();
    let runs = rules
        .iter()
        .map(|&rule| {
            let coverage = match rule.check {
                Check::Object(_) => {
                    let (_, objects) = object_coverage.next().expect("one count per object rule");
                    let unlisted = unlisted_for(rule, settings);
                    if objects == 0 && !unlisted.is_empty() {
                        Coverage::NotEvaluated {
                            reason: format!("could not list {}", unlisted.join(", ")),
                        }
                    } else if objects == 0 {
                        Coverage::NotEvaluated {
                            reason: format!("the input has no {}", scope_noun(rule)),
                        }
                    } else {
                        Coverage::Checked { objects }
                    }
                }
                Check::Inventory(_) => inventory_coverage
                    .next()
                    .expect("one coverage per inventory rule"),
            };
            RuleRun { rule, coverage }
        })
        .collect();
    // Whether rules understand an object depends on its apiVersion and kind only: decided
    // once per pair, counted per object.
    let mut pairs: std::collections::BTreeMap<(&str, &str), (bool, usize)> = Default::default();
    for kind in inventory.kinds() {
        for &i in inventory.positions_of_kind(kind) {
            let o = &inventory.objects()[i];
            pairs
                .entry((&o.id.api_version, kind))
                .or_insert_with(|| (crate::understood::understood(o, settings), 0))
                .1 += 1;
        }
    }
    let unknown_kinds = pairs
        .into_iter()
        .filter(|(_, (understood, _))| !understood)
        .map(|((api_version, kind), (_, objects))| UnknownKind {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            objects,
        })
        .collect();
    Evaluation {
        findings,
        runs,
        unknown_kinds,
    }
}

/// The resource types a rule reads that the input could not include (a cluster scan
/// without permission to list them).
fn unlisted_for(rule: &Rule, settings: &Settings) -> Vec<String> {
    settings
        .unlisted
        .iter()
        .filter(|u| match rule.meta.scope {
            Scope::Kinds(kinds) => kinds.contains(&u.kind.as_str()),
            Scope::Workloads => settings.locator.knows(u.group(), &u.kind),
            Scope::Inventory => {
                let group = u.group();
                let inputs = area_inputs(rule.meta.area);
                inputs.contains(&u.kind.as_str())
                    || (inputs.contains(&WORKLOADS) && settings.locator.knows(group, &u.kind))
                    || (inputs.contains(&TOOLS) && crate::understood::is_tool_group(group))
            }
        })
        .map(|u| u.describe())
        .collect()
}

const WORKLOADS: &str = "(workloads)";
const TOOLS: &str = "(security tools)";

/// The kinds the inventory rules of an area read, for deciding which are not evaluated
/// when a cluster scan could not list some. Coarser than per rule, on the safe side: a
/// rule may be marked not evaluated for a kind it does not read, never the reverse.
fn area_inputs(area: Area) -> &'static [&'static str] {
    match area {
        Area::Rbac => &[
            "Role",
            "ClusterRole",
            "RoleBinding",
            "ClusterRoleBinding",
            "ServiceAccount",
        ],
        Area::ServiceAccounts => &["ServiceAccount", "Secret", WORKLOADS],
        Area::Network => &["NetworkPolicy", "Namespace", WORKLOADS],
        Area::Mesh => &["Namespace", WORKLOADS, TOOLS],
        Area::SupplyChain | Area::Runtime => &["Namespace", WORKLOADS, TOOLS],
        Area::Admission => &[
            "Namespace",
            "ValidatingWebhookConfiguration",
            "MutatingWebhookConfiguration",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding",
            TOOLS,
        ],
        Area::Secrets => &["Secret", "ConfigMap", WORKLOADS, TOOLS],
        Area::PodSecurity | Area::Workload => &["Namespace", WORKLOADS],
        Area::Encryption | Area::AuditLogging | Area::ControlPlane => &["Pod", "StorageClass"],
    }
}

/// What a rule applies to, for "the input has no ...".
fn scope_noun(rule: &Rule) -> String {
    match rule.meta.scope {
        Scope::Workloads => "workloads (Pods or objects with a pod template)".to_string(),
        Scope::Kinds(kinds) => format!("{} objects", kinds.join(" or ")),
        Scope::Inventory => "objects".to_string(),
    }
}

fn order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    (a.location.pos, a.rule.id, &a.object, &a.message).cmp(&(
        b.location.pos,
        b.rule.id,
        &b.object,
        &b.message,
    ))
}
