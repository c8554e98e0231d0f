//! The rules, one module per checklist area.

pub mod pod_security;
