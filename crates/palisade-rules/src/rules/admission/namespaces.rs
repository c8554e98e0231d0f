//! ADM001-ADM002: Pod Security Admission labels on Namespaces: every namespace says what it
//! enforces, and regulated namespaces enforce at least the configured level.
//!
//! Labels are read with `palisade_pss::policy_from_labels`, exactly as the API server's
//! admission plugin reads them; unparseable labels are PSA004's (the plugin's fallback for an
//! invalid enforce level is `restricted`, so ADM002 does not also report them).

use palisade_model::FieldPath;
use palisade_pss::{Level, NamespacePolicy, PSA_LABEL_PREFIX, policy_from_labels};

use crate::context::ObjectCtx;
use crate::rule::{Area, Check, GroupKind, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

const PSA_DOC: &str = "https://kubernetes.io/docs/concepts/security/pod-security-admission/";
const PSA_LABELS_DOC: &str =
    "https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-namespace-labels/";

const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";

pub static RULES: [Rule; 2] = [
    Rule {
        meta: RuleMeta {
            id: "ADM001",
            name: "namespace-without-pod-security-enforce",
            title: "Namespace has no Pod Security Admission enforce label",
            area: Area::Admission,
            severity: Severity::Medium,
            scope: Scope::Kinds(&[GroupKind::new("", "Namespace")]),
            reads: &[],
            rationale: "Without a `pod-security.kubernetes.io/enforce` label, Pod Security Admission applies the cluster default, which is `privileged` (no restrictions) unless the API server's AdmissionConfiguration says otherwise. A namespace should state its level explicitly, even when that level is `privileged` for a system namespace, so that reviews and audits can see the intent and a new namespace cannot silently run privileged pods.",
            remediation: "Label the namespace with `pod-security.kubernetes.io/enforce` (`restricted` for application namespaces) and pin `pod-security.kubernetes.io/enforce-version`.",
            example_fail: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    pod-security.kubernetes.io/warn: restricted\n",
            example_pass: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/warn: restricted\n",
            evidence: &["pss.psa_namespace_labels", "adm.policy_engine_enforcing"],
            no_controls_reason: None,
            references: &[PSA_LABELS_DOC, PSA_DOC],
            pss: None,
        },
        check: Check::Object(check_enforce_label),
    },
    Rule {
        meta: RuleMeta {
            id: "ADM002",
            name: "regulated-namespace-weak-pod-security",
            title: "Regulated namespace enforces a Pod Security level below the required one",
            area: Area::Admission,
            severity: Severity::High,
            scope: Scope::Kinds(&[GroupKind::new("", "Namespace")]),
            reads: &[],
            rationale: "Regulated workloads must run under the Pod Security level the organisation committed to (the `regulated_pss_level` setting, `restricted` by default). A regulated namespace labelled to enforce a weaker level admits pods that, for instance, run as root or keep dangerous capabilities, and the scanner's workload findings become the only barrier.",
            remediation: "Set `pod-security.kubernetes.io/enforce` on the namespace to the required level (see the `regulated_pss_level` setting) after fixing the workloads that would be rejected.",
            example_fail: "# settings: regulated=payments\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n",
            example_pass: "# settings: regulated=payments\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n",
            evidence: &["pss.psa_namespace_labels", "adm.policy_engine_enforcing"],
            no_controls_reason: None,
            references: &[PSA_DOC, PSA_LABELS_DOC],
            pss: None,
        },
        check: Check::Object(check_regulated_level),
    },
];

fn label_path(label: &str) -> FieldPath {
    FieldPath::root()
        .key("metadata")
        .key("labels")
        .owned_key(label)
}

fn check_enforce_label(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    if ctx.object.id.api_version != "v1" {
        return;
    }
    if ctx.object.labels().any(|(k, _)| k == ENFORCE_LABEL) {
        return;
    }
    let others: Vec<&str> = ctx
        .object
        .labels()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with(PSA_LABEL_PREFIX))
        .collect();
    let name = &ctx.object.id.name;
    let regulated = if ctx.settings.regulated.contains(name, ctx.inventory) {
        "regulated "
    } else {
        ""
    };
    let also = if others.is_empty() {
        String::new()
    } else {
        format!(" ({} only report, they do not block)", others.join(", "))
    };
    sink.report(
        ctx.object,
        FieldPath::parse("metadata.name"),
        format!(
            "{regulated}namespace {name:?} has no {ENFORCE_LABEL} label: Pod Security Admission enforces the cluster default (privileged unless configured){also}"
        ),
    );
}

fn check_regulated_level(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    if ctx.object.id.api_version != "v1" {
        return;
    }
    let name = &ctx.object.id.name;
    if !ctx.settings.regulated.contains(name, ctx.inventory) {
        return;
    }
    // A missing label is ADM001's finding.
    if !ctx.object.labels().any(|(k, _)| k == ENFORCE_LABEL) {
        return;
    }
    let policy = policy_from_labels(ctx.object.labels(), &NamespacePolicy::privileged());
    let required: Level = ctx.settings.regulated_pss_level;
    if policy.enforce.level >= required {
        return;
    }
    sink.report(
        ctx.object,
        label_path(ENFORCE_LABEL),
        format!(
            "regulated namespace {name:?} enforces Pod Security level {:?}, below the required {:?}",
            policy.enforce.level.as_str(),
            required.as_str()
        ),
    );
}
