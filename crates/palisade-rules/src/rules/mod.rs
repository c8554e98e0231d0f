//! The rules, one module per checklist area.

pub mod admission;
pub mod audit_logging;
pub mod control_plane;
pub mod encryption;
pub mod mesh;
pub mod network;
pub mod pod_security;
pub mod rbac;
pub mod runtime;
pub mod secrets;
pub mod service_accounts;
pub mod supply_chain;
pub mod workload;
