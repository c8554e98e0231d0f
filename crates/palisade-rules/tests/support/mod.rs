//! Test support shared by the suites that read the rule fixtures
//! (`tests/fixtures/<area>/<RULE-ID>.yaml`, see `fixtures.rs` for their format) and the
//! rules' examples.

#![allow(dead_code)] // each suite uses part of it

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use palisade_loader::{Limits, load_str, split_documents};
use palisade_model::{Object, Origin};
use palisade_pss::{Level, LevelVersion, Version};
use palisade_rules::{Rule, Settings};

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture_path(rule: &palisade_rules::Rule) -> PathBuf {
    fixture_dir()
        .join(rule.meta.area.as_str())
        .join(format!("{}.yaml", rule.meta.id))
}

pub fn parse_policy(s: &str) -> LevelVersion {
    let (level, version) = s.split_once(':').expect("pss directive is level:version");
    LevelVersion::new(
        palisade_pss::Level::parse(level).expect("valid level"),
        Version::parse(version).expect("valid version"),
    )
}

pub struct Fixture {
    pub text: String,
    pub objects: Vec<Object>,
    /// Policy per document index.
    pub policies: Vec<LevelVersion>,
    /// Expected (line, rule id).
    pub expected: BTreeSet<(u32, String)>,
}

pub fn read_fixture(path: &Path) -> Fixture {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let default = LevelVersion::new(palisade_pss::Level::Restricted, Version::Latest);
    let policies = split_documents(&text)
        .chunks
        .iter()
        .map(|c| {
            c.text
                .lines()
                .find_map(|l| l.trim().strip_prefix("# pss:"))
                .map_or(default, |p| parse_policy(p.trim()))
        })
        .collect();
    let mut expected = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((_, ids)) = line.split_once("# expect:") {
            for id in ids.split(',') {
                expected.insert((i as u32 + 1, id.trim().to_string()));
            }
        }
    }
    let loaded = load_str(
        &path.file_name().unwrap().to_string_lossy(),
        &text,
        &Limits::default(),
    );
    assert!(
        loaded.errors.is_empty(),
        "{}: {:?}",
        path.display(),
        loaded.errors
    );
    let mut ids = BTreeSet::new();
    for o in &loaded.objects {
        assert!(
            ids.insert(o.id.clone()),
            "{}: object {} appears twice; names must be unique",
            path.display(),
            o.id
        );
    }
    Fixture {
        text,
        objects: loaded.objects,
        policies,
        expected,
    }
}

pub fn document_of(object: &Object) -> usize {
    match object.origin {
        Origin::File { document, .. } => document as usize,
        Origin::Cluster => 0,
    }
}

/// The distinct Pod Security policies of the fixture's documents.
pub fn distinct_policies(fixture: &Fixture) -> Vec<LevelVersion> {
    let mut by_policy: BTreeMap<String, LevelVersion> = BTreeMap::new();
    for p in &fixture.policies {
        by_policy.insert(p.to_string(), *p);
    }
    by_policy.into_values().collect()
}

/// The settings the fixture is evaluated with at `policy`: its `# settings:` lines.
pub fn fixture_settings(fixture: &Fixture, policy: LevelVersion) -> Settings {
    Settings {
        pss: policy,
        ..Settings::default()
    }
    .with_directives(&fixture.text)
    .expect("valid # settings: lines")
}

/// Examples are evaluated at the rule's own level: baseline checks that restricted replaces
/// (capabilities, seccomp, hostPath, procMount) only report at baseline.
/// The settings an example is evaluated with: its PSS level, then any `# settings:` lines.
pub fn example_settings(rule: &Rule, example: &str) -> Settings {
    let level = match rule.meta.pss_check() {
        Some((_, Level::Baseline)) => Level::Baseline,
        _ => Level::Restricted,
    };
    Settings {
        pss: LevelVersion::new(level, Version::Latest),
        ..Settings::default()
    }
    .with_directives(example)
    .unwrap_or_else(|e| panic!("{}: {e}", rule.meta.id))
}
