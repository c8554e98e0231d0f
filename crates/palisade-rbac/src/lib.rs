//! Kubernetes RBAC, as the API server decides it, for every Palisade front end.
//!
//! - [`authz`]: exact RBAC evaluation, transcribed from the API server's RBAC authorizer
//!   (matching, binding resolution, subjects), with ClusterRole aggregation applied as the
//!   controller would. The `rbac` rules, `palisade rbac who-can/can-i` and (later) the
//!   audit-log rules all decide with it.
//! - [`resources`]: the built-in resource types of Kubernetes 1.37 (group, plural, kind,
//!   scope, short names), looked up by name as kubectl does or by an object's group and
//!   kind; Palisade's one table of them.
//! - [`request`]: a request written as `kubectl auth can-i` takes it, read into the
//!   authorizer's [`authz::Request`]; the user `--as`/`--as-group` impersonate.
//! - [`who_can`]: every subject a policy grants a request to, with binding and role.

pub mod authz;
pub mod request;
pub mod resources;
pub mod who_can;
