//! Pod Security Standards.
//!
//! PSS001-PSS019 are the upstream Pod Security Admission checks, one rule each, evaluated at
//! the configured level and version (default `restricted:latest`) exactly as PSA would:
//! a check that upstream skips at that level and version (not introduced yet, or replaced
//! by its restricted counterpart) reports nothing. PSA001-PSA004 read the
//! `pod-security.kubernetes.io/*` labels of Namespaces in the input and say what the
//! cluster would do with each workload there.

mod namespace_admission;
mod pss_checks;

pub use namespace_admission::NAMESPACE_RULES;
pub use pss_checks::PSS_RULES;

/// Upstream's documentation of the standards.
const PSS_DOC: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";
const PSA_DOC: &str = "https://kubernetes.io/docs/concepts/security/pod-security-admission/";
