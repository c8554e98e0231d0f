//! What a rule is: metadata and a pure check function.

use std::fmt;
use std::str::FromStr;

use palisade_controls::{ControlRef, catalogue};
use palisade_pss::{CheckId, Level};

use crate::context::{InventoryCtx, ObjectCtx};
use crate::sink::Sink;

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                format!("unknown severity {s:?} (expected info, low, medium, high or critical)")
            })
    }
}

/// The checklist area a rule belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Area {
    PodSecurity,
    Workload,
    Rbac,
    ServiceAccounts,
    Network,
    Mesh,
    SupplyChain,
    Runtime,
    Admission,
    Secrets,
    Encryption,
    AuditLogging,
    ControlPlane,
}

impl Area {
    pub const ALL: [Area; 13] = [
        Area::PodSecurity,
        Area::Workload,
        Area::Rbac,
        Area::ServiceAccounts,
        Area::Network,
        Area::Mesh,
        Area::SupplyChain,
        Area::Runtime,
        Area::Admission,
        Area::Secrets,
        Area::Encryption,
        Area::AuditLogging,
        Area::ControlPlane,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Area::PodSecurity => "pod-security",
            Area::Workload => "workload",
            Area::Rbac => "rbac",
            Area::ServiceAccounts => "service-accounts",
            Area::Network => "network",
            Area::Mesh => "mesh",
            Area::SupplyChain => "supply-chain",
            Area::Runtime => "runtime",
            Area::Admission => "admission",
            Area::Secrets => "secrets",
            Area::Encryption => "encryption",
            Area::AuditLogging => "audit-logging",
            Area::ControlPlane => "control-plane",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Area::PodSecurity => "Pod Security Standards",
            Area::Workload => "Workload hardening",
            Area::Rbac => "RBAC least privilege",
            Area::ServiceAccounts => "Service accounts",
            Area::Network => "Network policies",
            Area::Mesh => "Service mesh",
            Area::SupplyChain => "Supply chain",
            Area::Runtime => "Runtime protection",
            Area::Admission => "Admission control",
            Area::Secrets => "Secrets",
            Area::Encryption => "Encryption at rest",
            Area::AuditLogging => "Audit logging",
            Area::ControlPlane => "Control plane",
        }
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which objects a rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Objects that carry a pod template (Pods and the workload kinds, plus configured ones).
    Workloads,
    /// Objects of these kinds.
    Kinds(&'static [&'static str]),
    /// The whole inventory at once (cross-object rules).
    Inventory,
}

/// The check function. Plain functions: no state, no IO, same input same findings.
#[derive(Clone, Copy)]
pub enum Check {
    Object(fn(&ObjectCtx<'_>, &mut Sink)),
    Inventory(fn(&InventoryCtx<'_>, &mut Sink)),
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Check::Object(_) => "Check::Object",
            Check::Inventory(_) => "Check::Inventory",
        })
    }
}

/// Everything about a rule except how it checks.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable identifier, never reused (`PSS007`).
    pub id: &'static str,
    /// Kebab-case name of the bad pattern (`privileged-container`).
    pub name: &'static str,
    /// One-line title.
    pub title: &'static str,
    pub area: Area,
    pub severity: Severity,
    pub scope: Scope,
    /// Why it matters: the risk, in a paragraph.
    pub rationale: &'static str,
    /// How to fix it: imperative, ends with a period.
    pub remediation: &'static str,
    /// A manifest that produces a finding of this rule (checked by the test suite).
    pub example_fail: &'static str,
    /// The same manifest, fixed (checked to produce none).
    pub example_pass: &'static str,
    /// Evidence groups of the control catalogue this rule's findings evidence.
    pub evidence: &'static [&'static str],
    /// Why the rule maps to no control, when `evidence` is empty.
    pub no_controls_reason: Option<&'static str>,
    pub references: &'static [&'static str],
    /// The upstream Pod Security Admission check, for PSS rules.
    pub pss: Option<CheckId>,
}

impl RuleMeta {
    /// The upstream check and the level it belongs to, for PSS rules.
    pub fn pss_check(&self) -> Option<(CheckId, Level)> {
        self.pss.map(|c| (c, c.info().level))
    }

    /// The controls this rule evidences, from the catalogue.
    pub fn controls(&self) -> Vec<ControlRef> {
        catalogue().controls_for(self.evidence)
    }
}

/// A rule: metadata plus its check.
#[derive(Debug)]
pub struct Rule {
    pub meta: RuleMeta,
    pub check: Check,
}
