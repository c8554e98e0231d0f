//! The compliance view: the scan's results organised per control of a framework.
//!
//! For each control of the catalogue: the rules whose evidence groups map to it (with the
//! relation), each rule's result in this scan, and a control status. The status is honest
//! about coverage: a rule that was not run, or that could not be evaluated on this input,
//! never counts as a pass; a control only supporting rules touch, or one that evidence
//! groups without rules (incident response, assessments...) also map to, is marked as
//! needing manual evidence.

use std::collections::BTreeMap;

use palisade_controls::{Framework, Relation, catalogue};
use palisade_rules::{Coverage, Rule, Status, registry};

use crate::Report;

/// One rule's result in this scan.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuleResult {
    /// Evaluated, no findings.
    Pass,
    /// At least one open finding.
    Fail { open: usize },
    /// Findings, all waived or baselined.
    Waived { accepted: usize },
    /// Ran, but the input lacks what it needs.
    NotEvaluated { reason: String },
    /// Not selected for this scan (disabled in the configuration or on the command line).
    NotRun,
}

impl RuleResult {
    pub fn as_str(&self) -> &'static str {
        match self {
            RuleResult::Pass => "pass",
            RuleResult::Fail { .. } => "fail",
            RuleResult::Waived { .. } => "waived",
            RuleResult::NotEvaluated { .. } => "not-evaluated",
            RuleResult::NotRun => "not-run",
        }
    }

    fn evaluated(&self) -> bool {
        matches!(
            self,
            RuleResult::Pass | RuleResult::Fail { .. } | RuleResult::Waived { .. }
        )
    }
}

/// A control's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ControlStatus {
    /// A rule evidencing it has open findings.
    Fail,
    /// Every rule evidencing it passed (some may have been waived: see the counts).
    Pass,
    /// No open findings, but some findings are waived.
    Waived,
    /// The rules that could be evaluated passed; others could not be evaluated.
    Partial,
    /// No rule evidencing it could be evaluated on this input.
    NotEvaluated,
    /// No rule evidences it, or only supporting rules do: a person must supply (and weigh)
    /// the evidence.
    Manual,
}

impl ControlStatus {
    pub const ALL: [ControlStatus; 6] = [
        ControlStatus::Fail,
        ControlStatus::Pass,
        ControlStatus::Waived,
        ControlStatus::Partial,
        ControlStatus::NotEvaluated,
        ControlStatus::Manual,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Fail => "fail",
            ControlStatus::Pass => "pass",
            ControlStatus::Waived => "waived",
            ControlStatus::Partial => "partial",
            ControlStatus::NotEvaluated => "not-evaluated",
            ControlStatus::Manual => "manual",
        }
    }
}

#[derive(Clone, Debug)]
pub struct RuleEvidence {
    pub rule: &'static Rule,
    pub relation: Relation,
    pub result: RuleResult,
}

#[derive(Clone, Debug)]
pub struct ControlView {
    pub id: String,
    pub citation: String,
    pub title: String,
    pub status: ControlStatus,
    pub rules: Vec<RuleEvidence>,
    /// Evidence a person must supply for this control (evidence groups no rule checks),
    /// plus a note when only supporting rules touch it.
    pub manual_evidence: Vec<String>,
}

impl ControlView {
    /// Counts of the rules' results by kind: pass, fail, waived, not evaluated (incl. not run).
    pub fn counts(&self) -> [usize; 4] {
        let mut c = [0; 4];
        for r in &self.rules {
            let i = match r.result {
                RuleResult::Pass => 0,
                RuleResult::Fail { .. } => 1,
                RuleResult::Waived { .. } => 2,
                RuleResult::NotEvaluated { .. } | RuleResult::NotRun => 3,
            };
            c[i] += 1;
        }
        c
    }
}

#[derive(Clone, Debug)]
pub struct FrameworkView {
    pub framework: Framework,
    pub name: String,
    pub edition: String,
    pub controls: Vec<ControlView>,
}

impl FrameworkView {
    pub fn count(&self, status: ControlStatus) -> usize {
        self.controls.iter().filter(|c| c.status == status).count()
    }

    /// Passing controls as a share of the controls with a full automated result (pass,
    /// waived, fail); `None` when there are none. Partial, not evaluated and manual
    /// controls are left out: a score must not rise because something went unchecked.
    pub fn score(&self) -> Option<f64> {
        let pass = self.count(ControlStatus::Pass);
        let assessed = pass + self.count(ControlStatus::Waived) + self.count(ControlStatus::Fail);
        (assessed > 0).then(|| pass as f64 * 100.0 / assessed as f64)
    }
}

/// Each rule's result in `report`.
pub fn rule_results(report: &Report) -> BTreeMap<&'static str, RuleResult> {
    let mut open: BTreeMap<&str, usize> = BTreeMap::new();
    let mut accepted: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &report.findings {
        match f.status() {
            Status::Open => *open.entry(f.rule.id).or_default() += 1,
            Status::Waived | Status::Baselined => *accepted.entry(f.rule.id).or_default() += 1,
        }
    }
    let mut results: BTreeMap<&'static str, RuleResult> = registry::all()
        .iter()
        .map(|r| (r.meta.id, RuleResult::NotRun))
        .collect();
    for run in &report.runs {
        let id = run.rule.meta.id;
        let result = if let Some(&n) = open.get(id) {
            RuleResult::Fail { open: n }
        } else if let Some(&n) = accepted.get(id) {
            RuleResult::Waived { accepted: n }
        } else {
            match &run.coverage {
                Coverage::Checked { .. } => RuleResult::Pass,
                Coverage::NotEvaluated { reason } => RuleResult::NotEvaluated {
                    reason: reason.clone(),
                },
            }
        };
        results.insert(id, result);
    }
    results
}

/// The per-control view of `report` for each framework it asks for. The rules' results
/// are worked out once, from all findings, for every framework.
pub fn views(report: &Report) -> Vec<FrameworkView> {
    if report.frameworks.is_empty() {
        return Vec::new();
    }
    let results = rule_results(report);
    // Evidence group → rules that name it.
    let mut rules_of_group: BTreeMap<&str, Vec<&'static Rule>> = BTreeMap::new();
    for rule in registry::all() {
        for g in rule.meta.evidence {
            rules_of_group.entry(*g).or_default().push(rule);
        }
    }
    report
        .frameworks
        .iter()
        .map(|f| view_with(&results, &rules_of_group, *f))
        .collect()
}

fn view_with(
    results: &BTreeMap<&'static str, RuleResult>,
    rules_of_group: &BTreeMap<&str, Vec<&'static Rule>>,
    framework: Framework,
) -> FrameworkView {
    let cat = catalogue();
    let info = cat.framework(framework);
    let controls = info
        .map(|i| i.controls.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|control| {
            let mut rules: BTreeMap<&'static str, RuleEvidence> = BTreeMap::new();
            let mut manual = Vec::new();
            for group in cat.evidence.values() {
                let Some(link) = group
                    .controls
                    .iter()
                    .find(|c| c.framework == framework && c.id == control.id)
                else {
                    continue;
                };
                let group_rules = rules_of_group.get(group.key.as_str());
                if group_rules.is_none_or(Vec::is_empty) {
                    manual.push(group.title.clone());
                }
                for rule in group_rules.into_iter().flatten() {
                    let entry = rules.entry(rule.meta.id).or_insert_with(|| RuleEvidence {
                        rule,
                        relation: link.relation,
                        result: results
                            .get(rule.meta.id)
                            .cloned()
                            .unwrap_or(RuleResult::NotRun),
                    });
                    entry.relation = entry.relation.min(link.relation);
                }
            }
            let rules: Vec<RuleEvidence> = rules.into_values().collect();
            if !rules.is_empty() && rules.iter().all(|r| r.relation != Relation::Primary) {
                manual.push(
                    "Palisade's checks only support this control; they are not sufficient evidence alone".to_string(),
                );
            }
            let status = status_of(&rules);
            ControlView {
                id: control.id.clone(),
                citation: framework.cite(&control.id),
                title: control.title.clone(),
                status,
                rules,
                manual_evidence: manual,
            }
        })
        .collect();
    FrameworkView {
        framework,
        name: info.map(|i| i.name.clone()).unwrap_or_default(),
        edition: info.map(|i| i.edition.clone()).unwrap_or_default(),
        controls,
    }
}

fn status_of(rules: &[RuleEvidence]) -> ControlStatus {
    if rules.is_empty() {
        return ControlStatus::Manual;
    }
    // Supporting evidence never suffices alone, for or against: without a primary rule
    // the control rests on what a person shows and judges (the rules, failing ones
    // included, are still listed with their results).
    if rules.iter().all(|r| r.relation != Relation::Primary) {
        return ControlStatus::Manual;
    }
    if rules
        .iter()
        .any(|r| matches!(r.result, RuleResult::Fail { .. }))
    {
        return ControlStatus::Fail;
    }
    let evaluated = rules.iter().filter(|r| r.result.evaluated()).count();
    if evaluated == 0 {
        ControlStatus::NotEvaluated
    } else if evaluated < rules.len() {
        ControlStatus::Partial
    } else if rules
        .iter()
        .any(|r| matches!(r.result, RuleResult::Waived { .. }))
    {
        ControlStatus::Waived
    } else {
        ControlStatus::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(result: RuleResult) -> RuleEvidence {
        RuleEvidence {
            rule: registry::all()[0],
            relation: Relation::Primary,
            result,
        }
    }

    #[test]
    fn unchecked_never_passes() {
        let ne = || RuleResult::NotEvaluated { reason: "x".into() };
        assert_eq!(status_of(&[]), ControlStatus::Manual);
        assert_eq!(
            status_of(&[evidence(ne()), evidence(RuleResult::NotRun)]),
            ControlStatus::NotEvaluated
        );
        assert_eq!(
            status_of(&[evidence(RuleResult::Pass), evidence(ne())]),
            ControlStatus::Partial
        );
        assert_eq!(
            status_of(&[
                evidence(RuleResult::Pass),
                evidence(RuleResult::Fail { open: 1 })
            ]),
            ControlStatus::Fail
        );
        assert_eq!(
            status_of(&[
                evidence(RuleResult::Pass),
                evidence(RuleResult::Waived { accepted: 2 })
            ]),
            ControlStatus::Waived
        );
        assert_eq!(
            status_of(&[evidence(RuleResult::Pass)]),
            ControlStatus::Pass
        );
        let supporting = |result| RuleEvidence {
            relation: Relation::Supporting,
            ..evidence(result)
        };
        assert_eq!(
            status_of(&[supporting(RuleResult::Pass)]),
            ControlStatus::Manual
        );
        assert_eq!(
            status_of(&[supporting(RuleResult::Fail { open: 1 })]),
            ControlStatus::Manual
        );
        assert_eq!(
            status_of(&[
                evidence(RuleResult::Pass),
                supporting(RuleResult::Fail { open: 1 })
            ]),
            ControlStatus::Fail
        );
    }
}
