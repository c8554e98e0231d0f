//! Configuration, waivers and baselines: what a team decides about its findings.
//!
//! The [`Config`] (`.palisade.yaml`) chooses frameworks, rules, severities and the settings
//! rules read (regulated namespaces, registry allowlist, log retention, custom workload
//! kinds). After the rules have run, [`waivers::apply`] and [`Baseline::apply`] mark the
//! findings a team has accepted. Every front end (file scan, cluster scan, webhook) runs
//! these same stages, so a waiver means the same thing everywhere.

pub mod baseline;
pub mod date;
pub mod file;
pub mod waivers;

pub use baseline::{Baseline, BaselineEntry};
pub use date::Date;
pub use file::{CONFIG_FILE, Config, ConfigError, WorkloadKind};
pub use waivers::{
    INLINE_PREFIX, Notice, ObjectMatch, Waiver, WaiverOutcome, apply as apply_waivers,
};

use palisade_rules::Finding;

/// Applies the configuration's severity overrides to findings.
pub fn apply_severity(config: &Config, findings: &mut [Finding]) {
    if config.severity.is_empty() {
        return;
    }
    for f in findings {
        if let Some((_, s)) = config.severity.iter().find(|(r, _)| r.meta.id == f.rule.id) {
            f.severity = *s;
        }
    }
}
