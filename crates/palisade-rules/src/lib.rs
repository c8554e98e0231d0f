//! Rules: metadata plus a pure check function, one registry, one engine.
//!
//! A [`Rule`] knows what it checks and why (its [`RuleMeta`]) and how (a plain function
//! over an object or the whole inventory). It reports at field paths; the engine turns
//! those into [`Finding`]s with locations, severity and controls. Rules know nothing about
//! output formats, exit codes or waivers.
//!
//! To add a rule: write it under `rules/<area>/` (declaring in [`RuleMeta::reads`] what its
//! check reads besides its scope), add it to [`registry`]'s table, add a fixture under
//! `tests/fixtures/<area>/<ID>.yaml`; `cargo run -p xtask -- docs` writes its page. The
//! test suite refuses a rule without a fixture, with examples that do not behave as stated,
//! with unknown controls, or that reads what it does not declare. Models several areas
//! share (kube-apiserver flags, NetworkPolicy selection, images...) live in `models/`,
//! below the areas.

mod context;
mod engine;
mod finding;
mod models;
pub mod registry;
mod rule;
mod rules;
mod settings;
mod sink;
mod understood;
mod views;

pub use context::{InventoryCtx, ObjectCtx, PARTIAL_INPUT};
pub use engine::{Coverage, Evaluation, Evaluator, RuleRun, UnknownKind, evaluate};
pub use finding::{
    AdmissionDetail, Finding, Location, PssFinding, Related, Status, WaiverNote, WaiverSource,
};
pub use models::glob::glob_match;
/// Input facts live with the inventory (palisade-model); re-exported for front ends.
pub use palisade_model::{InputFacts, Unlisted};
pub use rule::{Area, Check, GroupKind, Input, Rule, RuleMeta, Scope, Severity};
pub use settings::{RegulatedNamespaces, SYSTEM_NAMESPACES, Settings};
pub use sink::Sink;
pub use understood::understood;
pub use views::Views;
