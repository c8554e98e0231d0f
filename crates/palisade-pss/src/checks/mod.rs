//! The check registry: which checks exist, at which levels and versions, which restricted
//! checks replace which baseline ones, and the order results come out in.
//!
//! Mirrors upstream `policy/registry.go`: for a (level, version) the active revision of each
//! check is the newest one not newer than the (clamped) version; restricted runs every active
//! restricted check plus every active baseline check that no active restricted revision
//! overrides; results are ordered baseline IDs (byte order) then restricted IDs (byte order).

mod allow_privilege_escalation;
mod app_armor_profile;
mod capabilities_baseline;
mod capabilities_restricted;
mod host_namespaces;
mod host_path_volumes;
mod host_ports;
mod host_probes_and_host_lifecycle;
mod privileged;
mod proc_mount;
mod restricted_volumes;
mod run_as_non_root;
mod run_as_user;
mod se_linux_options;
mod seccomp_profile_baseline;
mod seccomp_profile_restricted;
mod sysctls;
mod windows_host_process;

use std::fmt;
use std::sync::LazyLock;

use palisade_model::FieldPath;

use crate::level::{Level, LevelVersion, MAX_MINOR};
use crate::message::{join_quote, pluralize};
use crate::pod::PodView;

/// Upstream check IDs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckId {
    AppArmorProfile,
    CapabilitiesBaseline,
    HostNamespaces,
    HostPathVolumes,
    HostPorts,
    HostProbesAndHostLifecycle,
    Privileged,
    ProcMount,
    SeLinuxOptions,
    SeccompProfileBaseline,
    Sysctls,
    WindowsHostProcess,
    AllowPrivilegeEscalation,
    CapabilitiesRestricted,
    ProcMountRestricted,
    RestrictedVolumes,
    RunAsNonRoot,
    RunAsUser,
    SeccompProfileRestricted,
}

impl CheckId {
    /// The exact upstream ID (`hostProbesAndHostLifecycle`, `capabilities_baseline`, ...).
    pub fn as_str(self) -> &'static str {
        self.info().id_str
    }

    pub fn parse(s: &str) -> Option<CheckId> {
        CHECKS.iter().find(|c| c.id_str == s).map(|c| c.id)
    }

    pub fn info(self) -> &'static CheckInfo {
        CHECKS.iter().find(|c| c.id == self).unwrap_or(&CHECKS[0])
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A check's registration: level, the minor versions where a revision starts, and the
/// baseline checks it replaces at restricted.
#[derive(Debug)]
pub struct CheckInfo {
    pub id: CheckId,
    pub id_str: &'static str,
    pub level: Level,
    /// Minimum minor version (`1.x`) of each revision, ascending.
    pub revisions: &'static [u32],
    /// Baseline checks this restricted check overrides (in every revision upstream has).
    pub overrides: &'static [CheckId],
}

const fn info(
    id: CheckId,
    id_str: &'static str,
    level: Level,
    revisions: &'static [u32],
    overrides: &'static [CheckId],
) -> CheckInfo {
    CheckInfo {
        id,
        id_str,
        level,
        revisions,
        overrides,
    }
}

use CheckId as C;
use Level::{Baseline as B, Restricted as R};

static CHECKS: [CheckInfo; 19] = [
    info(C::AppArmorProfile, "appArmorProfile", B, &[0], &[]),
    info(
        C::CapabilitiesBaseline,
        "capabilities_baseline",
        B,
        &[0],
        &[],
    ),
    info(C::HostNamespaces, "hostNamespaces", B, &[0], &[]),
    info(C::HostPathVolumes, "hostPathVolumes", B, &[0], &[]),
    info(C::HostPorts, "hostPorts", B, &[0], &[]),
    info(
        C::HostProbesAndHostLifecycle,
        "hostProbesAndHostLifecycle",
        B,
        &[34],
        &[],
    ),
    info(C::Privileged, "privileged", B, &[0], &[]),
    info(C::ProcMount, "procMount", B, &[0, 35], &[]),
    info(C::SeLinuxOptions, "seLinuxOptions", B, &[0, 31], &[]),
    info(
        C::SeccompProfileBaseline,
        "seccompProfile_baseline",
        B,
        &[0, 19],
        &[],
    ),
    info(C::Sysctls, "sysctls", B, &[0, 27, 29, 32, 37], &[]),
    info(C::WindowsHostProcess, "windowsHostProcess", B, &[0], &[]),
    info(
        C::AllowPrivilegeEscalation,
        "allowPrivilegeEscalation",
        R,
        &[8, 25],
        &[],
    ),
    info(
        C::CapabilitiesRestricted,
        "capabilities_restricted",
        R,
        &[22, 25],
        &[C::CapabilitiesBaseline],
    ),
    info(
        C::ProcMountRestricted,
        "procMount_restricted",
        R,
        &[35],
        &[C::ProcMount],
    ),
    info(
        C::RestrictedVolumes,
        "restrictedVolumes",
        R,
        &[0],
        &[C::HostPathVolumes],
    ),
    info(C::RunAsNonRoot, "runAsNonRoot", R, &[0, 35], &[]),
    info(C::RunAsUser, "runAsUser", R, &[23, 35], &[]),
    info(
        C::SeccompProfileRestricted,
        "seccompProfile_restricted",
        R,
        &[19, 25],
        &[C::SeccompProfileBaseline],
    ),
];

/// Every check upstream registers.
pub fn checks() -> &'static [CheckInfo] {
    &CHECKS
}

/// A failed check: upstream's reason and detail, and the fields that caused it (from the
/// object root; the first is the primary location).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckFailure {
    pub check: CheckId,
    pub reason: String,
    pub detail: String,
    pub fields: Vec<FieldPath>,
}

/// What a check function returns when it forbids the pod.
pub(crate) struct Forbidden {
    pub reason: String,
    pub detail: String,
    pub fields: Vec<FieldPath>,
}

impl Forbidden {
    pub(crate) fn new(reason: impl Into<String>, detail: String, fields: Vec<FieldPath>) -> Self {
        Forbidden {
            reason: reason.into(),
            detail,
            fields,
        }
    }
}

/// Active checks with their revision, in evaluation order.
type CheckSet = Vec<(CheckId, u32)>;

/// The checks that run at each (level, minor) pair, computed once.
static EFFECTIVE: LazyLock<[Vec<CheckSet>; 2]> = LazyLock::new(|| {
    let table = |level| {
        (0..=MAX_MINOR)
            .map(|m| compute_effective(level, m))
            .collect()
    };
    [table(Level::Baseline), table(Level::Restricted)]
});

/// The checks that run at `lv`, in upstream's order, each with its active revision.
pub fn effective_checks(lv: LevelVersion) -> &'static [(CheckId, u32)] {
    let minor = lv.version.effective_minor() as usize;
    match lv.level {
        Level::Privileged => &[],
        Level::Baseline => &EFFECTIVE[0][minor],
        Level::Restricted => &EFFECTIVE[1][minor],
    }
}

fn compute_effective(level: Level, minor: u32) -> Vec<(CheckId, u32)> {
    let lv = LevelVersion::new(level, crate::level::Version::V1(minor));
    let active = |c: &CheckInfo| c.revisions.iter().rev().copied().find(|&r| r <= minor);
    let restricted: Vec<(CheckId, u32)> = if lv.level == Level::Restricted {
        CHECKS
            .iter()
            .filter(|c| c.level == Level::Restricted)
            .filter_map(|c| Some((c.id, active(c)?)))
            .collect()
    } else {
        Vec::new()
    };
    let overridden = |id: CheckId| {
        restricted
            .iter()
            .any(|(r, _)| r.info().overrides.contains(&id))
    };
    let mut baseline: Vec<(CheckId, u32)> = CHECKS
        .iter()
        .filter(|c| c.level == Level::Baseline && !overridden(c.id))
        .filter_map(|c| Some((c.id, active(c)?)))
        .collect();
    let mut restricted = restricted;
    baseline.sort_by_key(|(id, _)| id.as_str());
    restricted.sort_by_key(|(id, _)| id.as_str());
    baseline.extend(restricted);
    baseline
}

/// Evaluates `pod` at `lv`: the failed checks, in upstream's order. Empty means allowed.
pub fn evaluate(lv: LevelVersion, pod: &PodView<'_>) -> Vec<CheckFailure> {
    effective_checks(lv)
        .iter()
        .filter_map(|&(id, rev)| {
            run(id, pod, rev).map(|f| CheckFailure {
                check: id,
                reason: f.reason,
                detail: f.detail,
                fields: f.fields,
            })
        })
        .collect()
}

/// Runs one check as it applies at `lv`: `None` when the check passes or does not run at
/// that level and version (not yet introduced, or overridden by a restricted check).
pub fn evaluate_check(id: CheckId, lv: LevelVersion, pod: &PodView<'_>) -> Option<CheckFailure> {
    let &(_, rev) = effective_checks(lv).iter().find(|(c, _)| *c == id)?;
    run(id, pod, rev).map(|f| CheckFailure {
        check: id,
        reason: f.reason,
        detail: f.detail,
        fields: f.fields,
    })
}

/// Runs revision `rev` of check `id`.
fn run(id: CheckId, pod: &PodView<'_>, rev: u32) -> Option<Forbidden> {
    match id {
        C::AppArmorProfile => app_armor_profile::check(pod),
        C::CapabilitiesBaseline => capabilities_baseline::check(pod),
        C::HostNamespaces => host_namespaces::check(pod),
        C::HostPathVolumes => host_path_volumes::check(pod),
        C::HostPorts => host_ports::check(pod),
        C::HostProbesAndHostLifecycle => host_probes_and_host_lifecycle::check(pod),
        C::Privileged => privileged::check(pod),
        C::ProcMount => proc_mount::check_baseline(pod, rev),
        C::SeLinuxOptions => se_linux_options::check(pod, rev),
        C::SeccompProfileBaseline => seccomp_profile_baseline::check(pod, rev),
        C::Sysctls => sysctls::check(pod, rev),
        C::WindowsHostProcess => windows_host_process::check(pod),
        C::AllowPrivilegeEscalation => allow_privilege_escalation::check(pod, rev),
        C::CapabilitiesRestricted => capabilities_restricted::check(pod, rev),
        C::ProcMountRestricted => proc_mount::check_restricted(pod),
        C::RestrictedVolumes => restricted_volumes::check(pod),
        C::RunAsNonRoot => run_as_non_root::check(pod, rev),
        C::RunAsUser => run_as_user::check(pod, rev),
        C::SeccompProfileRestricted => seccomp_profile_restricted::check(pod, rev),
    }
}

/// `container "a"` / `containers "a", "b"`.
pub(crate) fn containers_phrase(names: &[&str]) -> String {
    format!(
        "{} {}",
        pluralize("container", "containers", names.len()),
        join_quote(names)
    )
}

/// Upstream's "setters" list: `pod` if the pod level is bad, then the bad containers,
/// joined with " and ".
pub(crate) fn setters(pod_bad: bool, containers: &[&str]) -> String {
    let mut parts = Vec::new();
    if pod_bad {
        parts.push("pod".to_string());
    }
    if !containers.is_empty() {
        parts.push(containers_phrase(containers));
    }
    parts.join(" and ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::level::Version;

    fn ids(level: Level, minor: u32) -> Vec<String> {
        effective_checks(LevelVersion::new(level, Version::V1(minor)))
            .iter()
            .map(|(id, rev)| format!("{id}@{rev}"))
            .collect()
    }

    #[test]
    fn effective_sets_match_upstream_table() {
        assert_eq!(
            ids(Level::Restricted, 0),
            [
                "appArmorProfile@0",
                "capabilities_baseline@0",
                "hostNamespaces@0",
                "hostPorts@0",
                "privileged@0",
                "procMount@0",
                "seLinuxOptions@0",
                "seccompProfile_baseline@0",
                "sysctls@0",
                "windowsHostProcess@0",
                "restrictedVolumes@0",
                "runAsNonRoot@0"
            ]
        );
        let r22 = ids(Level::Restricted, 22);
        assert!(!r22.iter().any(|c| c.starts_with("capabilities_baseline")));
        assert!(r22.contains(&"capabilities_restricted@22".to_string()));
        assert!(!r22.iter().any(|c| c.starts_with("seccompProfile_baseline")));
        let r35 = ids(Level::Restricted, 35);
        assert!(r35.contains(&"procMount_restricted@35".to_string()));
        assert!(!r35.iter().any(|c| c.starts_with("procMount@")));
        assert!(
            ids(Level::Baseline, 33)
                .iter()
                .all(|c| !c.starts_with("hostProbes"))
        );
        assert!(ids(Level::Baseline, 34).contains(&"hostProbesAndHostLifecycle@34".to_string()));
        assert!(ids(Level::Baseline, 99).contains(&"sysctls@37".to_string()));
        assert!(effective_checks(LevelVersion::new(Level::Privileged, Version::Latest)).is_empty());
    }

    #[test]
    fn ids_round_trip() {
        for c in checks() {
            assert_eq!(CheckId::parse(c.id_str), Some(c.id));
            assert_eq!(c.id.info().id_str, c.id_str);
        }
    }
}
