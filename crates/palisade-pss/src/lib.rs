//! Pod Security Standards, exactly as upstream Pod Security Admission decides them.
//!
//! A transcription of `k8s.io/pod-security-admission` v0.37.2 (`policy/` and `api/`): the 19
//! checks with every revision, version inflation and clamping, the restricted-over-baseline
//! overrides, the evaluation order, upstream's forbidden reasons and details word for word,
//! and namespace label parsing. Tests compare it with the Go library itself (see
//! `tests/oracle.rs` in the rules crate and `tools/oracle`).
//!
//! Inputs are model [`PodTemplate`](palisade_model::workload::PodTemplate)s read with the Go
//! decoder's semantics: an explicit `null` is the same as absent, a missing bool is `false`,
//! and the API server's defaulting that changes a verdict applied the way admission sees it
//! (`palisade_model::defaults`; docs/defaulting.md).

mod checks;
mod level;
mod message;
mod namespace;
mod pod;

pub use checks::{
    CheckFailure, CheckId, CheckInfo, checks, effective_checks, evaluate, evaluate_check,
};
pub use level::{Level, LevelVersion, MAX_MINOR, Version};
pub use message::{aggregate_detail, go_quote};
pub use namespace::{LabelError, NamespacePolicy, PSA_LABEL_PREFIX, policy_from_labels};
pub use pod::PodView;
