//! Fuzzes everything after loading: every rule of the registry (object and inventory rules,
//! on partial and complete input), the decision stage (configuration parsing of the same
//! text, waivers) and the JSON report with the compliance view. Rules read arbitrary
//! manifests (flags, selectors, image references, CIDRs, audit policies); any panic or hang
//! here is a bug.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use palisade_config::{Config, Date, apply_waivers};
use palisade_controls::Framework;
use palisade_loader::{Limits, load_str};
use palisade_model::Inventory;
use palisade_report::{EmitOptions, Format, Report, emit};
use palisade_rules::{Settings, evaluate, registry};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let limits = Limits {
        max_file_bytes: 1 << 20,
        max_document_bytes: 1 << 18,
        max_depth: 64,
        max_nodes: 20_000,
    };
    let outcome = load_str("fuzz.yaml", &text, &limits);
    let inventory = Inventory::new(outcome.objects);
    let rules = registry::all().to_vec();
    // The same text read as a configuration: usually invalid, which must be an error.
    let name: Arc<str> = ".palisade.yaml".into();
    let config = Config::parse(&name, &text).unwrap_or_else(|_| Config::builtin());
    for complete in [false, true] {
        let mut settings = Settings {
            complete_inventory: complete,
            registries: vec!["registry.example.com/".to_string()],
            ..config.settings()
        };
        settings.regulated.names.push("*".to_string());
        let evaluation = evaluate(&inventory, &rules, &settings);
        let mut findings = evaluation.findings;
        let waived = apply_waivers(&mut findings, &inventory, &config.waivers, true, Date::today());
        let mut report = Report::new(findings, rules.clone(), settings.pss);
        report.runs = evaluation.runs;
        report.notices = waived.notices(&config.waivers);
        report.frameworks = vec![Framework::PciDss];
        let _ = emit(&report, Format::Json, EmitOptions::default(), &mut std::io::sink());
    }
});
