//! PSA001-PSA004: what Pod Security Admission would do, given the Namespaces in the input.
//!
//! For a workload whose namespace is in the input, the namespace's
//! `pod-security.kubernetes.io/*` labels give the enforce, warn and audit policies (with
//! upstream's fallbacks and warn defaulting). Each mode that would object is one finding per
//! workload: upstream's message, at the first offending field (the others are related
//! locations), carrying the API server's exact response.
//!
//! Upstream behaviour reproduced: enforce applies to Pods only, so for a controller the
//! finding says its pods would be rejected; a Pod that enforce rejects gets no warning;
//! audit is evaluated whatever enforce decides. Not reproduced, because manifests do not
//! carry them: cluster defaults and exemptions from the API server's AdmissionConfiguration
//! (every namespace without labels is `privileged`, as with no configuration).

use palisade_model::Object;
use palisade_pss::{
    CheckFailure, Level, LevelVersion, NamespacePolicy, PSA_LABEL_PREFIX, PodView,
    aggregate_detail, evaluate, policy_from_labels,
};

use super::PSA_DOC;
use crate::context::ObjectCtx;
use crate::finding::{AdmissionDetail, PssFinding};
use crate::rule::{Area, Check, GroupKind, Input, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

const NAMESPACE_FAIL: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: payments
  labels:
    pod-security.kubernetes.io/enforce: restricted
---
apiVersion: v1
kind: Pod
metadata:
  name: app
  namespace: payments
spec:
  containers:
    - name: app
      image: registry.example.com/app:1.0
";

const NAMESPACE_PASS: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: payments
  labels:
    pod-security.kubernetes.io/enforce: restricted
---
apiVersion: v1
kind: Pod
metadata:
  name: app
  namespace: payments
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: app
      image: registry.example.com/app:1.0
      securityContext:
        allowPrivilegeEscalation: false
        capabilities:
          drop: [\"ALL\"]
";

pub static NAMESPACE_RULES: [Rule; 4] = [
    Rule {
        meta: RuleMeta {
            id: "PSA001",
            name: "rejected-by-namespace-enforce",
            title: "Pod Security Admission would reject this workload's pods",
            area: Area::PodSecurity,
            severity: Severity::High,
            scope: Scope::Workloads,
            reads: &[Input::kind("", "Namespace")],
            rationale: "The namespace's `pod-security.kubernetes.io/enforce` label makes the API server refuse pods that violate the level. A Pod manifest that violates it fails to apply; a Deployment, StatefulSet, Job or other controller is admitted, but every pod it creates is refused, so the rollout never becomes ready. Catching this before deploying avoids both the outage and the temptation to weaken the namespace label.",
            remediation: "Fix the pod template so it meets the namespace's enforce level (see the failing check), or move the workload to a namespace whose policy it is meant to meet.",
            example_fail: NAMESPACE_FAIL,
            example_pass: NAMESPACE_PASS,
            evidence: &["pss.psa_namespace_labels"],
            no_controls_reason: None,
            references: &[PSA_DOC],
            pss: None,
        },
        check: Check::Object(check_enforce),
    },
    Rule {
        meta: RuleMeta {
            id: "PSA002",
            name: "namespace-warn-violation",
            title: "Pod Security Admission would warn about this workload",
            area: Area::PodSecurity,
            severity: Severity::Medium,
            scope: Scope::Workloads,
            reads: &[Input::kind("", "Namespace")],
            rationale: "The namespace's `pod-security.kubernetes.io/warn` label (or its enforce label, which warn follows when stricter) makes the API server return a warning for workloads that violate the level. Teams usually set warn one step ahead of enforce while they migrate, so these are the findings that become rejections next.",
            remediation: "Fix the pod template so it meets the namespace's warn level (see the failing check).",
            example_fail: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    pod-security.kubernetes.io/warn: restricted\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: payments\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app:1.0\n",
            example_pass: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    pod-security.kubernetes.io/warn: baseline\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: payments\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app:1.0\n",
            evidence: &["pss.psa_namespace_labels"],
            no_controls_reason: None,
            references: &[PSA_DOC],
            pss: None,
        },
        check: Check::Object(check_warn),
    },
    Rule {
        meta: RuleMeta {
            id: "PSA003",
            name: "namespace-audit-violation",
            title: "Pod Security Admission would record an audit violation for this workload",
            area: Area::PodSecurity,
            severity: Severity::Low,
            scope: Scope::Workloads,
            reads: &[Input::kind("", "Namespace")],
            rationale: "The namespace's `pod-security.kubernetes.io/audit` label makes the API server annotate the audit event of a violating request. Nothing is blocked, but the violation lands in the audit log that auditors and the security team read.",
            remediation: "Fix the pod template so it meets the namespace's audit level (see the failing check).",
            example_fail: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    pod-security.kubernetes.io/audit: baseline\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: payments\nspec:\n  hostNetwork: true\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n",
            example_pass: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    pod-security.kubernetes.io/audit: baseline\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: payments\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n",
            evidence: &["pss.psa_namespace_labels"],
            no_controls_reason: None,
            references: &[PSA_DOC],
            pss: None,
        },
        check: Check::Object(check_audit),
    },
    Rule {
        meta: RuleMeta {
            id: "PSA004",
            name: "invalid-pod-security-label",
            title: "Namespace has a Pod Security label the API server cannot parse",
            area: Area::PodSecurity,
            severity: Severity::Medium,
            scope: Scope::Kinds(&[GroupKind::new("", "Namespace")]),
            reads: &[],
            rationale: "The API server refuses to create a Namespace whose `pod-security.kubernetes.io/*` labels do not parse. On an existing namespace, Pod Security Admission falls back: an invalid enforce level becomes `restricted`, invalid audit and warn levels become `privileged`, invalid versions become `latest`. Either way the namespace does not get the policy its author intended.",
            remediation: "Use a level of `privileged`, `baseline` or `restricted` and a version of `latest` or `v1.<minor>` (for example `v1.35`).",
            example_fail: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    pod-security.kubernetes.io/enforce: Restricted\n",
            example_pass: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n",
            evidence: &["pss.psa_namespace_labels"],
            no_controls_reason: None,
            references: &[PSA_DOC],
            pss: None,
        },
        check: Check::Object(check_labels),
    },
];

/// The namespace's labels as PSA sees them.
fn namespace_policy(namespace: &Object) -> NamespacePolicy {
    policy_from_labels(namespace.labels(), &NamespacePolicy::privileged())
}

/// The workload's namespace object and its policy, when the namespace is in the input.
fn policy_for<'a>(ctx: &ObjectCtx<'a>) -> Option<(&'a Object, NamespacePolicy)> {
    let name = ctx.object.id.namespace.as_deref()?;
    let namespace = ctx.inventory.namespace(name)?;
    Some((namespace, namespace_policy(namespace)))
}

/// Reports one finding for the workload: upstream's aggregated message, at the first
/// failing check's field, with every other offending field as a related location.
#[allow(clippy::too_many_arguments)]
fn report_failures(
    ctx: &ObjectCtx<'_>,
    sink: &mut Sink,
    pod: &PodView<'_>,
    lv: LevelVersion,
    failures: Vec<CheckFailure>,
    mode: &'static str,
    namespace: &str,
    lead: &str,
    response: String,
) {
    let Some(first) = failures.first() else {
        return;
    };
    let verb = match mode {
        "enforce" => "enforces",
        "warn" => "warns at",
        _ => "audits at",
    };
    let message = format!(
        "{lead} (namespace {namespace:?} {verb} {lv}): {}",
        detailed(&failures)
    );
    let pss = PssFinding {
        check: first.check,
        level: first.check.info().level,
        policy: lv,
    };
    let mut fields = failures
        .iter()
        .flat_map(|f| f.fields.iter().map(move |p| (f, p)));
    let primary = fields
        .next()
        .map_or_else(|| pod.spec_path(), |(_, p)| p.clone());
    let finding = sink.report(ctx.object, primary, message);
    for (failure, path) in fields {
        finding.with_related(ctx.object, [path.clone()], failure.reason.clone());
    }
    finding.with_pss(pss).with_admission(AdmissionDetail {
        mode,
        namespace: namespace.to_string(),
        response,
    });
}

fn detailed(failures: &[CheckFailure]) -> String {
    aggregate_detail(
        failures
            .iter()
            .map(|f| (f.reason.as_str(), f.detail.as_str())),
    )
}

fn is_pod(object: &Object) -> bool {
    object.id.kind == "Pod" && object.id.api_version == "v1"
}

/// The enforce evaluation of a Pod (upstream denies only Pods), reused by warn.
fn enforce_failures(pod: &PodView<'_>, policy: &NamespacePolicy) -> Vec<CheckFailure> {
    if policy.enforce.level == Level::Privileged {
        return Vec::new();
    }
    evaluate(policy.enforce, pod)
}

fn check_enforce(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let (Some((ns, policy)), Some(pod)) = (policy_for(ctx), ctx.pod_view()) else {
        return;
    };
    let failures = enforce_failures(pod, &policy);
    if failures.is_empty() {
        return;
    }
    let lv = policy.enforce;
    let violation = format!("violates PodSecurity \"{lv}\": {}", detailed(&failures));
    let (lead, response) = if is_pod(ctx.object) {
        let name = &ctx.object.id.name;
        let response = if name.is_empty() {
            format!("pods is forbidden: {violation}")
        } else {
            format!("pods \"{name}\" is forbidden: {violation}")
        };
        ("would be rejected by Pod Security Admission", response)
    } else {
        (
            "its pods would be rejected by Pod Security Admission",
            format!("pods created from this template would be forbidden: {violation}"),
        )
    };
    report_failures(
        ctx,
        sink,
        pod,
        lv,
        failures,
        "enforce",
        &ns.id.name,
        lead,
        response,
    );
}

fn check_warn(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let (Some((ns, policy)), Some(pod)) = (policy_for(ctx), ctx.pod_view()) else {
        return;
    };
    // Upstream sends no warning with a rejection, and enforce only rejects Pods.
    if is_pod(ctx.object) && !enforce_failures(pod, &policy).is_empty() {
        return;
    }
    let lead = "Pod Security Admission would warn";
    report_would_violate(ctx, sink, pod, policy.warn, "warn", &ns.id.name, lead);
}

fn check_audit(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let (Some((ns, policy)), Some(pod)) = (policy_for(ctx), ctx.pod_view()) else {
        return;
    };
    let lead = "Pod Security Admission would record an audit violation";
    report_would_violate(ctx, sink, pod, policy.audit, "audit", &ns.id.name, lead);
}

/// Warn and audit: evaluate `lv` and report upstream's "would violate" text, if anything fails.
fn report_would_violate(
    ctx: &ObjectCtx<'_>,
    sink: &mut Sink,
    pod: &PodView<'_>,
    lv: LevelVersion,
    mode: &'static str,
    namespace: &str,
    lead: &str,
) {
    if lv.level == Level::Privileged {
        return;
    }
    let failures = evaluate(lv, pod);
    if failures.is_empty() {
        return;
    }
    let response = format!(
        "would violate PodSecurity \"{lv}\": {}",
        detailed(&failures)
    );
    report_failures(
        ctx, sink, pod, lv, failures, mode, namespace, lead, response,
    );
}

fn check_labels(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    if ctx.object.id.api_version != "v1" {
        return;
    }
    for error in namespace_policy(ctx.object).errors {
        let mode = error.label.trim_start_matches(PSA_LABEL_PREFIX);
        let fallback = match mode {
            "enforce" => "enforce falls back to restricted",
            "audit" | "warn" => "this mode falls back to privileged",
            _ => "the version falls back to latest",
        };
        let path = palisade_model::FieldPath::root()
            .key("metadata")
            .key("labels")
            .owned_key(error.label.clone());
        sink.report(
            ctx.object,
            path,
            format!(
                "{}: invalid value {:?}: {} (the API server rejects this Namespace on create; on an existing one {fallback})",
                error.label, error.value, error.message
            ),
        );
    }
}
