//! Running a plan: evaluation, the decision stage in its one order (severity overrides,
//! waivers, baseline, `min_severity`, `fail_on`) and the report.

use std::sync::Arc;

use palisade_config::{Baseline, Date, Notice, apply_severity, apply_waivers};
use palisade_model::{Inventory, Object, ObjectRef};
use palisade_report::Report;
use palisade_rules::{Evaluation, Evaluator, Finding, Status, Views};

use crate::input::Input;
use crate::plan::Plan;

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    pub report: Report,
    /// The inventory evaluated (its objects are the report's).
    pub inventory: Inventory,
    /// An open finding at or above `fail_on` remains.
    pub failing: bool,
    /// The baseline recorded, when the request asked for one (already applied).
    pub written_baseline: Option<Baseline>,
}

impl Outcome {
    /// The exit status a command-line front end reports: 2 when the input could not all be
    /// read (a scan that missed input never passes), 1 on failing findings, else 0.
    pub fn exit_status(&self) -> u8 {
        if !self.report.errors.is_empty() {
            2
        } else if self.failing {
            1
        } else {
            0
        }
    }
}

/// Findings after the decision stage.
#[derive(Debug)]
pub struct Decided {
    pub findings: Vec<Finding>,
    /// About the team's own decisions: unused, expired or invalid waivers.
    pub notices: Vec<Notice>,
    pub written_baseline: Option<Baseline>,
    /// An open finding at or above `fail_on` remains.
    pub failing: bool,
}

impl Plan {
    /// The whole pipeline over `input`: evaluation, decisions, report.
    pub fn run(&self, input: Input) -> Outcome {
        let objects: Vec<(Arc<ObjectRef>, Option<Arc<str>>)> = input
            .objects
            .iter()
            .map(|o| (o.id.clone(), o.file_arc().cloned()))
            .collect();
        let inventory = self.inventory(input.objects, input.facts);
        let evaluation = palisade_rules::evaluate(&inventory, &self.rules, &self.settings);
        self.finish(
            evaluation,
            inventory,
            objects,
            input.errors,
            input.warnings,
            input.stats,
        )
    }

    /// The report of an evaluation of `inventory` (what [`Plan::run`] does after
    /// evaluating; for front ends that evaluate themselves, e.g. rule by rule).
    pub fn finish(
        &self,
        evaluation: Evaluation,
        inventory: Inventory,
        objects: Vec<(Arc<ObjectRef>, Option<Arc<str>>)>,
        errors: Vec<palisade_report::InputProblem>,
        warnings: Vec<palisade_report::InputProblem>,
        stats: palisade_report::ScanStats,
    ) -> Outcome {
        let decided = self.decide(evaluation.findings, &inventory, Date::today());
        let report = Report {
            findings: decided.findings,
            errors,
            warnings,
            stats,
            rules: self.rules.clone(),
            objects,
            pss_policy: self.settings.pss,
            runs: evaluation.runs,
            notices: decided.notices,
            frameworks: self.frameworks.clone(),
            unknown_kinds: evaluation.unknown_kinds,
            unlisted: inventory.facts().unlisted.clone(),
        };
        Outcome {
            report,
            inventory,
            failing: decided.failing,
            written_baseline: decided.written_baseline,
        }
    }

    /// The decision stage, in its one order: severity overrides, waivers (configured and
    /// inline, expiring on `today`), the baseline written or read, `min_severity`, then
    /// whether an open finding at or above `fail_on` remains.
    pub fn decide(
        &self,
        mut findings: Vec<Finding>,
        inventory: &Inventory,
        today: Date,
    ) -> Decided {
        let config = &self.config;
        apply_severity(config, &mut findings);
        let outcome = apply_waivers(
            &mut findings,
            inventory,
            &config.waivers,
            config.inline_waivers,
            today,
        );
        let notices = outcome.notices(&config.waivers);
        let written_baseline = self.write_baseline.then(|| {
            let written = Baseline::of(&findings);
            written.apply(&mut findings);
            written
        });
        if let Some(baseline) = &self.baseline {
            baseline.apply(&mut findings);
        }
        if let Some(min) = self.min_severity {
            findings.retain(|f| f.severity >= min);
        }
        let failing = findings.iter().any(|f| {
            f.status() == Status::Open
                && self.fail_on.is_none_or(|threshold| f.severity >= threshold)
        });
        Decided {
            findings,
            notices,
            written_baseline,
            failing,
        }
    }

    /// An evaluator of this plan's rules over `inventory` (built with [`Plan::inventory`]),
    /// for answering many single-object questions; `views` lives beside the inventory.
    pub fn evaluator<'a>(
        &'a self,
        inventory: &'a Inventory,
        views: &'a Views<'a>,
    ) -> Evaluator<'a> {
        Evaluator::new(inventory, &self.rules, &self.settings, views)
    }

    /// One object's decided findings, judged against the evaluator's inventory: what an
    /// admission webhook answers for one request. Waivers and the baseline apply as in a
    /// whole run; notices about unused waivers are not given (one object uses few).
    pub fn evaluate_object(
        &self,
        evaluator: &Evaluator<'_>,
        object: &Object,
        today: Date,
    ) -> Decided {
        let findings = evaluator.evaluate_object(object);
        let mut decided = self.decide(findings, evaluator.inventory(), today);
        decided.notices.clear();
        decided
    }
}

impl Plan {
    /// Each rule evaluated alone over `inventory`, slowest first: seconds and findings (for
    /// the benchmark's per-rule figures).
    pub fn time_rules(&self, inventory: &Inventory) -> Vec<(f64, &'static str, usize)> {
        let mut times: Vec<(f64, &'static str, usize)> = self
            .rules
            .iter()
            .map(|r| {
                let t = std::time::Instant::now();
                let n = palisade_rules::evaluate(inventory, &[*r], &self.settings)
                    .findings
                    .len();
                (t.elapsed().as_secs_f64(), r.meta.id, n)
            })
            .collect();
        times.sort_by(|a, b| b.0.total_cmp(&a.0));
        times
    }
}
