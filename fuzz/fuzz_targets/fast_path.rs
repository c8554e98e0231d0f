//! The fast YAML path must build exactly the document the general parser builds, whenever it
//! accepts one: a disagreement (values, keys, positions, warnings) is a crash here.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_loader::Limits;
use palisade_loader::testing::{both_parsers, difference, known_general_parser_defect};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = Limits { max_nodes: 20_000, max_depth: 64, ..Limits::default() };
    for (fast, general) in both_parsers(text, &limits) {
        let Some((fast_doc, fast_warnings)) = fast else { continue };
        let (general_doc, general_warnings) = match general {
            Ok(reading) => reading,
            // The general parser is wrong there, not the fast path (see the function).
            Err(e) if known_general_parser_defect(&e) => continue,
            Err(e) => panic!("the fast path accepted a document the general parser rejects: {e}"),
        };
        if let Some(d) = difference(fast_doc.root(), general_doc.root(), "$") {
            panic!("fast path differs: {d}");
        }
        assert_eq!(fast_warnings, general_warnings);
    }
});
