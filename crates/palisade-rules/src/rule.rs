//! What a rule is: metadata and a pure check function.

use std::fmt;
use std::str::FromStr;

use palisade_controls::{ControlRef, catalogue};
use palisade_model::workload::PodSpecLocator;
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

/// A kind of object in one API group, as apimachinery's `schema.GroupKind` names it:
/// `GroupKind::new("networking.k8s.io", "NetworkPolicy")`, the core group being `""`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKind {
    pub group: &'static str,
    pub kind: &'static str,
}

impl GroupKind {
    pub const fn new(group: &'static str, kind: &'static str) -> Self {
        GroupKind { group, kind }
    }

    /// Whether objects of `kind` in API group `group` are of this kind.
    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.kind == kind && self.group == group
    }
}

/// Which objects a rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Objects that carry a pod template (Pods and the workload kinds, plus configured ones).
    Workloads,
    /// Objects of these kinds. The engine hands the rule every object whose kind has one of
    /// these names, whatever its API group, and counts them as checked; the check itself
    /// passes over a same-named kind of another group (Calico's `NetworkPolicy`). The
    /// groups say which resources the rule reads (what a cluster scan lists).
    Kinds(&'static [GroupKind]),
    /// The whole inventory at once (cross-object rules).
    Inventory,
}

impl Scope {
    /// The kind names of [`Scope::Kinds`], each once, in order (empty for the others).
    pub fn kind_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        if let Scope::Kinds(kinds) = self {
            for k in *kinds {
                if !names.contains(&k.kind) {
                    names.push(k.kind);
                }
            }
        }
        names
    }
}

/// Something a rule reads besides the objects of its scope, declared in
/// [`RuleMeta::reads`]: a kind of object, every workload, or every kind of an API group.
///
/// What the rules declare, their scopes included ([`RuleMeta::inputs`]), is the one account
/// of what Palisade reads, and everything that depends on it is derived from it:
///
/// - the resources a cluster scan lists (`palisade_cluster::is_listed`): a served resource
///   is listed when some rule of the registry reads its kind ([`registry::is_read`]);
/// - the rules a cluster scan could not evaluate: a rule that reads a resource type the scan
///   could not list, and found nothing, is "not evaluated" (the engine);
/// - the kinds of the input no rule reads, reported as not evaluated ([`understood`]).
///
/// `tests/inputs.rs` holds the declarations to the checks: each rule evaluated on its
/// fixture restricted to the objects it declares must report exactly what it reports on the
/// whole fixture, so a check that reads an undeclared kind fails the test as soon as its
/// fixture exercises that read.
///
/// [`registry::is_read`]: crate::registry::is_read
/// [`understood`]: crate::understood
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// Objects of one kind in one API group, whatever their version.
    Kind(GroupKind),
    /// Every workload: the objects with a pod template, as the configured
    /// [`PodSpecLocator`] finds them (the built-in workload kinds and the custom kinds
    /// configured with `workload-kind`). Rules that walk `InventoryCtx::workloads` or ask
    /// whether the input has any workload read this.
    Workloads,
    /// Every kind of one API group: a tool whose kinds are open-ended (Gatekeeper serves one
    /// constraint kind per ConstraintTemplate), or whose presence alone tells a rule it is
    /// installed (any `linkerd.io` object).
    Group(&'static str),
    /// Every kind of every API group under a domain: `GroupsUnder("istio.io")` is
    /// `security.istio.io`, `networking.istio.io` and any other group ending in
    /// `.istio.io` (not `istio.io` itself).
    GroupsUnder(&'static str),
}

impl Input {
    /// Objects of `kind` in API group `group` (`""` for the core group).
    pub const fn kind(group: &'static str, kind: &'static str) -> Input {
        Input::Kind(GroupKind::new(group, kind))
    }

    /// Whether objects of `kind` in API group `group` are this input; `locator` says
    /// which kinds are workloads.
    pub fn matches(&self, group: &str, kind: &str, locator: &PodSpecLocator) -> bool {
        match self {
            Input::Kind(k) => k.is(group, kind),
            Input::Workloads => locator.knows(group, kind),
            Input::Group(g) => group == *g,
            Input::GroupsUnder(domain) => group
                .strip_suffix(domain)
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
        }
    }
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
    /// What the check reads besides the objects of its scope: the Namespaces whose labels it
    /// looks up, the ServiceAccounts a pod names, the workloads an inventory rule walks, a
    /// tool's resources (see [`Input`]). Empty for a rule that reads its object alone.
    pub reads: &'static [Input],
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
    /// Everything the rule reads: its scope (the workloads, or the kinds it applies to),
    /// then what it [`reads`](RuleMeta::reads) besides.
    pub fn inputs(&self) -> impl Iterator<Item = Input> + '_ {
        let scope: &[GroupKind] = match &self.scope {
            Scope::Kinds(kinds) => kinds,
            Scope::Workloads | Scope::Inventory => &[],
        };
        let workloads = matches!(self.scope, Scope::Workloads).then_some(Input::Workloads);
        workloads
            .into_iter()
            .chain(scope.iter().map(|&k| Input::Kind(k)))
            .chain(self.reads.iter().copied())
    }

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
