//! Fuzzes the manifest loader end to end: splitting, YAML/JSON parsing, YAML 1.1 resolution,
//! merge keys and aliases under limits, list unpacking, and the Pod Security checks on
//! whatever objects come out. Any panic, hang or unbounded allocation is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_loader::{Limits, load_str};
use palisade_model::workload::PodSpecLocator;
use palisade_pss::{Level, LevelVersion, PodView, Version, evaluate};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Small limits keep each run fast; the limit paths are exercised too.
    let limits = Limits {
        max_file_bytes: 1 << 20,
        max_document_bytes: 1 << 18,
        max_depth: 64,
        max_nodes: 20_000,
    };
    let outcome = load_str("fuzz.yaml", &text, &limits);
    for object in &outcome.objects {
        if let Some(template) = PodSpecLocator::builtin().pod_template(object) {
            let view = PodView::new(template);
            for version in [Version::V1(0), Version::V1(25), Version::Latest] {
                let _ = evaluate(LevelVersion::new(Level::Restricted, version), &view);
            }
        }
        let _ = object.locate(&palisade_model::FieldPath::parse(
            "spec.template.spec.containers[0].securityContext",
        ));
    }
});
