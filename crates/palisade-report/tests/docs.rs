//! The committed rule pages must be exactly what the registry generates.

use std::path::Path;

#[test]
fn docs_rules_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules");
    let files = palisade_report::catalog::generated_docs(palisade_rules::registry::all());
    let mut stale = Vec::new();
    for (name, text) in &files {
        if std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(text.as_str()) {
            stale.push(name.clone());
        }
    }
    for entry in std::fs::read_dir(&dir)
        .expect("docs/rules exists")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.ends_with(".md") && !files.iter().any(|(n, _)| *n == name) {
            stale.push(format!("{name} (no such rule)"));
        }
    }
    assert!(
        stale.is_empty(),
        "docs/rules is stale: {stale:?}; run `cargo run -p xtask -- docs`"
    );
}

/// The `.palisade.yaml` shown with an example is a valid configuration, and applying it
/// gives the settings the example was checked with.
#[test]
fn configuration_shown_with_examples_is_valid() {
    let mut shown = 0;
    for rule in palisade_rules::registry::all() {
        for example in [rule.meta.example_fail, rule.meta.example_pass] {
            let (_, Some(config)) = palisade_report::catalog::example_and_config(example) else {
                continue;
            };
            shown += 1;
            let parsed = palisade_config::Config::parse(&".palisade.yaml".into(), &config)
                .unwrap_or_else(|e| panic!("{}: {config}\n{e:?}", rule.meta.id));
            let expected = palisade_rules::Settings::default()
                .with_directives(example)
                .unwrap();
            let got = parsed.settings();
            assert_eq!(got.registries, expected.registries, "{}", rule.meta.id);
            assert_eq!(
                got.regulated.names, expected.regulated.names,
                "{}",
                rule.meta.id
            );
            assert_eq!(
                got.runtime_agents, expected.runtime_agents,
                "{}",
                rule.meta.id
            );
        }
    }
    assert!(shown > 0);
}
