//! Kubernetes RBAC, as the API server decides it, for every Palisade front end.
//!
//! - [`authz`]: exact RBAC evaluation, transcribed from the API server's RBAC authorizer
//!   (matching, binding resolution, subjects), with ClusterRole aggregation applied as the
//!   controller would. The `rbac` rules, `palisade rbac who-can/can-i` and (later) the
//!   audit-log rules all decide with it.

pub mod authz;
