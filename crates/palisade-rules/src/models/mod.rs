//! Shared models: what Kubernetes and the security tools mean by their objects, worked out
//! from the inventory without judging anything. The areas under `rules/` build their checks
//! on these, and the bottom of the crate (the contexts and the views they share) holds
//! their results; nothing here imports an area, and an area imports no other area: what two
//! of them need lives here.

pub mod apiserver;
pub mod glob;
pub mod image;
pub mod mesh;
pub mod namespace;
pub mod network_policy;
pub mod policy_engines;
