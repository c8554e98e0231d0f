//! The pipeline as a library, one for every front end.
//!
//! ```text
//! Request + Config ──Plan::new──▶ Plan (rules, settings, frameworks, gating)
//! Input (objects + facts + problems) ──Plan::run──▶ evaluate ──▶ decide ──▶ Outcome (Report, exit status)
//! ```
//!
//! A front end reads its input its own way (files with `palisade-loader`, a live cluster
//! with `palisade-cluster`, an admission request, an audit event stream), turns it into an
//! [`Input`], and calls [`Plan::run`]; or, when it answers many single-object questions
//! against one inventory (an admission webhook), builds the inventory once with
//! [`Plan::inventory`], keeps a [`palisade_rules::Evaluator`] over it and calls
//! [`Plan::evaluate_object`]. The decision stage runs in one order everywhere: severity
//! overrides, waivers, baseline, `min_severity`, `fail_on`.

mod input;
mod plan;
mod run;

pub use input::Input;
pub use plan::{Plan, Request};
pub use run::{Decided, Outcome};
