//! Baselines: adopt Palisade on a repository with known findings, and fail only on new ones.
//!
//! `--write-baseline FILE` records every open finding by rule, object and field path (not
//! by line, so edits elsewhere in a file don't invalidate it); `--baseline FILE` marks
//! findings that match a recorded entry as baselined. Entries are counted, so a second
//! identical finding on the same field is still new.

use std::collections::HashMap;

use palisade_rules::{Finding, Status};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct BaselineEntry {
    pub rule: String,
    /// `Kind/namespace/name` as findings show it.
    pub object: String,
    /// The field path the finding points at.
    pub path: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// Format version; 1.
    pub palisade_baseline: u32,
    pub findings: Vec<BaselineEntry>,
}

impl Baseline {
    /// The baseline of `findings`: the open ones, sorted.
    pub fn of(findings: &[Finding]) -> Baseline {
        let mut entries: Vec<BaselineEntry> = findings
            .iter()
            .filter(|f| f.status() == Status::Open)
            .map(entry)
            .collect();
        entries.sort();
        Baseline {
            palisade_baseline: 1,
            findings: entries,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("baseline serialises") + "\n"
    }

    pub fn from_json(text: &str) -> Result<Baseline, String> {
        let b: Baseline = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if b.palisade_baseline != 1 {
            return Err(format!(
                "unsupported baseline version {}",
                b.palisade_baseline
            ));
        }
        Ok(b)
    }

    /// Marks findings present in the baseline; returns how many were marked.
    pub fn apply(&self, findings: &mut [Finding]) -> usize {
        let mut remaining: HashMap<&BaselineEntry, usize> = HashMap::new();
        for e in &self.findings {
            *remaining.entry(e).or_default() += 1;
        }
        let mut marked = 0;
        for f in findings.iter_mut() {
            if f.status() != Status::Open {
                continue;
            }
            if let Some(n) = remaining.get_mut(&entry(f)).filter(|n| **n > 0) {
                *n -= 1;
                f.baselined = true;
                marked += 1;
            }
        }
        marked
    }
}

fn entry(f: &Finding) -> BaselineEntry {
    BaselineEntry {
        rule: f.rule.id.to_string(),
        object: f.object.to_string(),
        path: f.location.path.to_string(),
    }
}
