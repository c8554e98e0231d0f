//! The engine: runs the selected rules over an inventory, in parallel, deterministically,
//! and records what each rule could actually evaluate. An [`Evaluator`] holds what one
//! inventory and its settings derive (the shared views), so a long-running front end can
//! evaluate many single objects against the same inventory without deriving it again.

use std::sync::OnceLock;

use rayon::prelude::*;

use palisade_model::{Inventory, Object};

use crate::context::{InventoryCtx, ObjectCtx};
use crate::finding::Finding;
use crate::rule::{Check, Rule, Scope};
use crate::settings::Settings;
use crate::sink::Sink;
use crate::views::Views;

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

/// Evaluates `rules` over `inventory` (see [`Evaluator::evaluate`]).
pub fn evaluate(inventory: &Inventory, rules: &[&'static Rule], settings: &Settings) -> Evaluation {
    let views = Views::default();
    Evaluator::new(inventory, rules, settings, &views).evaluate()
}

/// One inventory, the rules to run and their settings, ready for evaluation. The views
/// inventory rules share (workloads with their templates, kube-apiservers, NetworkPolicy
/// selection, mesh pods) are derived on first use and kept, as are the inventory rules'
/// findings once an object has asked for them: a server that holds an `Evaluator` per
/// inventory snapshot answers each single-object question without walking the inventory
/// again. The views live in a [`Views`] the caller keeps beside the inventory:
///
/// ```ignore
/// let views = Views::default();
/// let evaluator = Evaluator::new(&inventory, &rules, &settings, &views);
/// for object in requests { evaluator.evaluate_object(&object); }
/// ```
pub struct Evaluator<'a> {
    inventory: &'a Inventory,
    settings: &'a Settings,
    /// The object rules, tabled by the kinds of the inventory.
    table: RuleTable<'a>,
    inventory_rules: Vec<&'static Rule>,
    /// The rules in the order given (the order of [`Evaluation::runs`]).
    rules: Vec<&'static Rule>,
    views: &'a Views<'a>,
    /// The inventory rules' findings, in evaluation order, for [`Evaluator::evaluate_object`].
    inventory_findings: OnceLock<Vec<Finding>>,
}

impl<'a> Evaluator<'a> {
    pub fn new(
        inventory: &'a Inventory,
        rules: &[&'static Rule],
        settings: &'a Settings,
        views: &'a Views<'a>,
    ) -> Self {
        Evaluator {
            inventory,
            settings,
            table: RuleTable::new(inventory, rules),
            inventory_rules: rules
                .iter()
                .copied()
                .filter(|r| matches!(r.check, Check::Inventory(_)))
                .collect(),
            rules: rules.to_vec(),
            views,
            inventory_findings: OnceLock::new(),
        }
    }

    pub fn inventory(&self) -> &'a Inventory {
        self.inventory
    }

    pub fn settings(&self) -> &'a Settings {
        self.settings
    }

    /// The findings about one object, judged against this inventory: the object rules run
    /// on `object` itself (which need not be in the inventory: an admission request's
    /// object is judged with the namespaces, policies and roles the inventory holds), then
    /// the inventory rules' findings about the object of the same identity as the
    /// inventory holds it (those are computed once per evaluator, on the first call).
    /// Ordered as [`Evaluator::evaluate`] orders findings.
    pub fn evaluate_object(&self, object: &Object) -> Vec<Finding> {
        let mut findings = Vec::new();
        self.table
            .run(object, self.inventory, self.settings, &mut findings);
        findings.sort_by(order);
        let inventory_findings = self.inventory_findings.get_or_init(|| {
            let mut all: Vec<Finding> = self
                .inventory_pass()
                .into_iter()
                .flat_map(|(f, _)| f)
                .collect();
            all.sort_by(inventory_order);
            all
        });
        findings.extend(
            inventory_findings
                .iter()
                .filter(|f| *f.object == *object.id)
                .cloned(),
        );
        findings
    }

    /// Runs each inventory rule once, in parallel: its findings and why it could not be
    /// evaluated, if it says so.
    fn inventory_pass(&self) -> Vec<(Vec<Finding>, Option<String>)> {
        let ctx = InventoryCtx::new(self.inventory, self.settings, self.views);
        self.inventory_rules
            .par_iter()
            .map(|rule| {
                let mut sink = Sink::new(&rule.meta);
                if let Check::Inventory(check) = rule.check {
                    check(&ctx, &mut sink);
                }
                (sink.findings, sink.not_evaluated)
            })
            .collect()
    }
}

/// The object rules of one evaluation and which of them apply to each kind of the input,
/// worked out once per kind rather than per object (a hundred thousand objects, dozens of
/// rules, a handful of kinds).
struct RuleTable<'r> {
    rules: Vec<&'static Rule>,
    by_kind: std::collections::HashMap<&'r str, Vec<bool>>,
    workload_rules: Vec<bool>,
}

impl<'r> RuleTable<'r> {
    /// The object rules among `rules`, tabled for the kinds of `inventory`.
    fn new(inventory: &'r Inventory, rules: &[&'static Rule]) -> Self {
        let rules: Vec<&'static Rule> = rules
            .iter()
            .copied()
            .filter(|r| matches!(r.check, Check::Object(_)))
            .collect();
        let workload_rules = rules
            .iter()
            .map(|r| matches!(r.meta.scope, Scope::Workloads))
            .collect();
        let mut table = RuleTable {
            rules,
            by_kind: Default::default(),
            workload_rules,
        };
        table.by_kind = inventory
            .kinds()
            .map(|kind| (kind, table.applicable(kind)))
            .collect();
        table
    }

    /// Which of the rules apply to objects of `kind` by their scope's kinds.
    fn applicable(&self, kind: &str) -> Vec<bool> {
        self.rules
            .iter()
            .map(|r| matches!(r.meta.scope, Scope::Kinds(kinds) if kinds.iter().any(|k| k.kind == kind)))
            .collect()
    }

    /// Runs the rules that apply to `object`, appending their findings to `out`.
    fn run(
        &self,
        object: &Object,
        inventory: &Inventory,
        settings: &Settings,
        out: &mut Vec<Finding>,
    ) {
        let Some(first) = self.rules.first() else {
            return;
        };
        let ctx = ObjectCtx::new(object, inventory, settings);
        let is_workload = settings.locator.is_workload(object);
        let mut sink = Sink::new(&first.meta);
        std::mem::swap(&mut sink.findings, out);
        // The kind's rules, looked up once per object rather than once per rule (a kind
        // the inventory lacks, as an admission request's object may be, is tabled here).
        let computed;
        let of_kind = match self.by_kind.get(object.kind()) {
            Some(k) => Some(k),
            None => {
                computed = self.applicable(object.kind());
                computed.iter().any(|&a| a).then_some(&computed)
            }
        };
        for (i, rule) in self.rules.iter().enumerate() {
            let applies = (is_workload && self.workload_rules[i]) || of_kind.is_some_and(|k| k[i]);
            if let (true, Check::Object(check)) = (applies, rule.check) {
                sink.rule = &rule.meta;
                check(&ctx, &mut sink);
            }
        }
        std::mem::swap(&mut sink.findings, out);
    }
}

impl Evaluator<'_> {
    /// Evaluates the rules over the whole inventory. Object rules run per object across
    /// threads; inventory rules run once each. Findings come back in input order of their
    /// objects, then by position, rule and message (inventory rules' findings last, in the
    /// same order), so output is the same whatever the thread timing.
    pub fn evaluate(&self) -> Evaluation {
        let (inventory, settings, rules) = (self.inventory, self.settings, &self.rules);
        let table = &self.table;
        let object_rules = &table.rules;
        let by_kind = &table.by_kind;
        let workload_rules = &table.workload_rules;
        // Each object's findings go into a per-thread scratch vector and leave it as one
        // vector of their exact size; the parts are joined once below. (Folding into growing
        // vectors copied half a million findings several times over as they doubled.)
        let object_pass = || -> Vec<Vec<Finding>> {
            if object_rules.is_empty() {
                return Vec::new();
            }
            inventory
                .objects()
                .par_iter()
                .map_init(Vec::new, |scratch, object| {
                    table.run(object, inventory, settings, scratch);
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
        let inventory_pass = || self.inventory_pass();
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
        for ((mut f, not_evaluated), rule) in
            inventory_results.into_iter().zip(&self.inventory_rules)
        {
            let unlisted = unlisted_for(rule, inventory, settings, Reads::All);
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
        inventory_findings.sort_by(inventory_order);
        findings.extend(inventory_findings);

        // Per object rule, whether it found anything: a rule that reads a resource type the
        // input could not include and found nothing is not evaluated (counted only then).
        let mut found: std::collections::HashSet<&str> = Default::default();
        if !inventory.facts().unlisted.is_empty() {
            found.extend(findings.iter().map(|f| f.rule.id));
        }
        let mut object_coverage = object_rules.iter().zip(in_scope);
        let mut inventory_coverage = inventory_coverage.into_iter();
        let runs = rules
            .iter()
            .map(|&rule| {
                let coverage = match rule.check {
                    Check::Object(_) => {
                        let (_, objects) =
                            object_coverage.next().expect("one count per object rule");
                        let unlisted = |reads| unlisted_for(rule, inventory, settings, reads);
                        let could_not_list = |unlisted: Vec<String>| Coverage::NotEvaluated {
                            reason: format!("could not list {}", unlisted.join(", ")),
                        };
                        if objects == 0 {
                            let missing = unlisted(Reads::Scope);
                            if missing.is_empty() {
                                Coverage::NotEvaluated {
                                    reason: format!("the input has no {}", scope_noun(rule)),
                                }
                            } else {
                                could_not_list(missing)
                            }
                        } else {
                            // Objects were checked, but maybe against an incomplete
                            // inventory (their Namespaces, ServiceAccounts, LimitRanges):
                            // findings stand, silence proves nothing.
                            let missing = if found.contains(rule.meta.id) {
                                Vec::new()
                            } else {
                                unlisted(Reads::All)
                            };
                            if missing.is_empty() {
                                Coverage::Checked { objects }
                            } else {
                                could_not_list(missing)
                            }
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
}

/// Which of a rule's inputs [`unlisted_for`] looks at.
#[derive(Clone, Copy)]
enum Reads {
    /// Its scope alone: what it applies to.
    Scope,
    /// Everything it reads ([`RuleMeta::inputs`](crate::RuleMeta::inputs)).
    All,
}

/// The resource types a rule reads that the input could not include (a cluster scan
/// without permission to list them), from the inputs the rule declares.
fn unlisted_for(
    rule: &Rule,
    inventory: &Inventory,
    settings: &Settings,
    reads: Reads,
) -> Vec<String> {
    let locator = &settings.locator;
    inventory
        .facts()
        .unlisted
        .iter()
        .filter(|u| {
            let (group, kind) = (u.group(), u.kind.as_str());
            match reads {
                Reads::Scope => match rule.meta.scope {
                    Scope::Kinds(kinds) => kinds.iter().any(|k| k.is(group, kind)),
                    Scope::Workloads => locator.knows(group, kind),
                    Scope::Inventory => false,
                },
                Reads::All => rule.meta.inputs().any(|i| i.matches(group, kind, locator)),
            }
        })
        .map(|u| u.describe())
        .collect()
}

/// What a rule applies to, for "the input has no ...".
fn scope_noun(rule: &Rule) -> String {
    match rule.meta.scope {
        Scope::Workloads => "workloads (Pods or objects with a pod template)".to_string(),
        Scope::Kinds(_) => format!("{} objects", rule.meta.scope.kind_names().join(" or ")),
        Scope::Inventory => "objects".to_string(),
    }
}

/// The order of inventory rules' findings: by file, then as [`order`].
fn inventory_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    a.location
        .file
        .cmp(&b.location.file)
        .then_with(|| order(a, b))
}

fn order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    (a.location.pos, a.rule.id, &a.object, &a.message).cmp(&(
        b.location.pos,
        b.rule.id,
        &b.object,
        &b.message,
    ))
}
