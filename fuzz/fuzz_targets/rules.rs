//! Fuzzes everything after loading: every rule of the registry (object and inventory rules,
//! on partial and complete input), the decision stage of the pipeline (configuration
//! parsing of the same text, severities, waivers) and the JSON report with the compliance view. Rules read arbitrary
//! manifests (flags, selectors, image references, CIDRs, audit policies); any panic or hang
//! here is a bug.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use palisade_config::{Config, Date};
use palisade_controls::Framework;
use palisade_loader::{Limits, load_str};
use palisade_model::InputFacts;
use palisade_pipeline::{Plan, Request};
use palisade_report::{EmitOptions, Format, Report, emit};
use palisade_rules::evaluate;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let limits = Limits {
        max_file_bytes: 1 << 20,
        max_document_bytes: 1 << 18,
        max_depth: 64,
        max_nodes: 20_000,
    };
    let outcome = load_str("fuzz.yaml", &text, &limits);
    // The same text read as a configuration: usually invalid, which must be an error.
    let name: Arc<str> = ".palisade.yaml".into();
    let mut config = Config::parse(&name, &text).unwrap_or_else(|_| Config::builtin());
    config.inline_waivers = true;
    config.complete_inventory = false;
    let Ok(mut plan) = Plan::new(config, Request::default()) else {
        return;
    };
    plan.settings.registries = vec!["registry.example.com/".to_string()];
    plan.settings.regulated.names.push("*".to_string());
    for complete in [false, true] {
        let facts = InputFacts {
            complete,
            ..InputFacts::default()
        };
        let inventory = plan.inventory(outcome.objects.clone(), facts);
        let evaluation = evaluate(&inventory, &plan.rules, &plan.settings);
        let decided = plan.decide(evaluation.findings, &inventory, Date::today());
        let mut report = Report::new(decided.findings, plan.rules.clone(), plan.settings.pss);
        report.runs = evaluation.runs;
        report.notices = decided.notices;
        report.frameworks = vec![Framework::PciDss];
        let _ = emit(&report, Format::Json, EmitOptions::default(), &mut std::io::sink());
    }
});
