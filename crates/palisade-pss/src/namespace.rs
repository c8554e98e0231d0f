//! Namespace labels to the policy PSA enforces, audits and warns with (upstream
//! `api.PolicyToEvaluate`), including its fail-closed/fail-open fallbacks and warn defaulting.

use crate::level::{Level, LevelVersion, Version};

pub const PSA_LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

/// The three modes' level and version for one namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespacePolicy {
    pub enforce: LevelVersion,
    pub audit: LevelVersion,
    pub warn: LevelVersion,
    /// Labels that did not parse; evaluation goes on with upstream's fallbacks.
    pub errors: Vec<LabelError>,
}

/// A PSA label whose value did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelError {
    pub label: String,
    pub value: String,
    pub message: String,
}

impl std::fmt::Display for LabelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "metadata.labels[{}]: Invalid value: {:?}: {}",
            self.label, self.value, self.message
        )
    }
}

impl NamespacePolicy {
    /// Cluster defaults without an AdmissionConfiguration: privileged:latest everywhere.
    pub fn privileged() -> Self {
        let p = LevelVersion::new(Level::Privileged, Version::Latest);
        NamespacePolicy {
            enforce: p,
            audit: p,
            warn: p,
            errors: Vec::new(),
        }
    }
}

/// The policy for a namespace with these labels, starting from `defaults`.
pub fn policy_from_labels<'a>(
    labels: impl IntoIterator<Item = (&'a str, &'a str)>,
    defaults: &NamespacePolicy,
) -> NamespacePolicy {
    let labels: Vec<(&str, &str)> = labels.into_iter().collect();
    let mut p = NamespacePolicy {
        errors: Vec::new(),
        ..defaults.clone()
    };
    if labels.is_empty() {
        return p;
    }
    let get = |mode: &str| {
        let key = format!("{PSA_LABEL_PREFIX}{mode}");
        labels
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    };
    let mut errors = Vec::new();
    let mut record = |mode: &str, value: &str, message: String| {
        errors.push(LabelError {
            label: format!("{PSA_LABEL_PREFIX}{mode}"),
            value: value.to_string(),
            message,
        });
    };
    let mut has_enforce_level = false;
    if let Some(v) = get("enforce") {
        match Level::parse(v) {
            Ok(l) => {
                p.enforce.level = l;
                has_enforce_level = true;
            }
            Err(m) => {
                // Fail closed for enforce.
                p.enforce.level = Level::Restricted;
                record("enforce", v, m);
            }
        }
    }
    if let Some(v) = get("enforce-version") {
        p.enforce.version = Version::parse(v).unwrap_or_else(|m| {
            record("enforce-version", v, m);
            Version::Latest
        });
    }
    if let Some(v) = get("audit") {
        p.audit.level = Level::parse(v).unwrap_or_else(|m| {
            record("audit", v, m);
            Level::Privileged
        });
    }
    if let Some(v) = get("audit-version") {
        p.audit.version = Version::parse(v).unwrap_or_else(|m| {
            record("audit-version", v, m);
            Version::Latest
        });
    }
    let warn_level = get("warn");
    if let Some(v) = warn_level {
        p.warn.level = Level::parse(v).unwrap_or_else(|m| {
            record("warn", v, m);
            Level::Privileged
        });
    }
    let warn_version = get("warn-version");
    if let Some(v) = warn_version {
        p.warn.version = Version::parse(v).unwrap_or_else(|m| {
            record("warn-version", v, m);
            Version::Latest
        });
    }
    // Warn defaults to a stricter explicit enforce level.
    if warn_level.is_none() && has_enforce_level && p.enforce.level > p.warn.level {
        p.warn.level = p.enforce.level;
        if warn_version.is_none() {
            p.warn.version = p.enforce.version;
        }
    }
    p.errors = errors;
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(labels: &[(&str, &str)]) -> (String, String, String, usize) {
        let owned: Vec<(String, &str)> = labels
            .iter()
            .map(|(k, v)| (format!("{PSA_LABEL_PREFIX}{k}"), *v))
            .collect();
        let p = policy_from_labels(
            owned.iter().map(|(k, v)| (k.as_str(), *v)),
            &NamespacePolicy::privileged(),
        );
        (
            p.enforce.to_string(),
            p.audit.to_string(),
            p.warn.to_string(),
            p.errors.len(),
        )
    }

    #[test]
    fn warn_follows_a_stricter_enforce() {
        let (e, _, w, _) = policy(&[("enforce", "baseline"), ("enforce-version", "v1.22")]);
        assert_eq!(
            (e.as_str(), w.as_str()),
            ("baseline:v1.22", "baseline:v1.22")
        );
        let (_, _, w, _) = policy(&[("enforce", "baseline"), ("warn-version", "v1.23")]);
        assert_eq!(w, "baseline:v1.23");
        let (_, _, w, _) = policy(&[("enforce", "baseline"), ("warn", "privileged")]);
        assert_eq!(w, "privileged:latest");
    }

    #[test]
    fn invalid_labels_fail_closed_for_enforce_and_open_for_the_rest() {
        let (e, a, w, n) = policy(&[("enforce", "strict"), ("audit", "x"), ("warn", "y")]);
        assert_eq!(
            (e.as_str(), a.as_str(), w.as_str(), n),
            (
                "restricted:latest",
                "privileged:latest",
                "privileged:latest",
                3
            )
        );
    }
}
