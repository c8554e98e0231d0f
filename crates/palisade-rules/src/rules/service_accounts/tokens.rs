//! SA002-SA005: ServiceAccount tokens: automount (with upstream's pod-over-ServiceAccount
//! precedence), the default ServiceAccount's automount, legacy token Secrets, long-lived
//! projected tokens.

use palisade_model::FieldPath;

use super::{find_service_account, is_static_pod, service_account_of};
use crate::context::ObjectCtx;
use crate::rule::{Area, Check, GroupKind, Input, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

const SA_DOC: &str =
    "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/";
const SA_ADMIN_DOC: &str =
    "https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/";
const PROJECTED_DOC: &str =
    "https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken";
const LEGACY_TOKEN_DOC: &str =
    "https://kubernetes.io/docs/concepts/configuration/secret/#serviceaccount-token-secrets";

/// Projected tokens valid longer than this are reported. 3600 s is upstream's default
/// `expirationSeconds` for a projected serviceAccountToken source.
const MAX_TOKEN_SECONDS: i64 = 3600;

/// The lifetime the kubelet requests for its own automounted tokens. The API server
/// (with `--service-account-extend-token-expiration`, the default) extends tokens requested
/// with exactly this lifetime for the API server audiences to one year, for legacy clients
/// that never re-read the token (`WarnOnlyBoundTokenExpirationSeconds`,
/// pkg/serviceaccount/claims.go).
const KUBELET_TOKEN_SECONDS: i64 = 3607;

pub(super) const SA002: Rule = Rule {
    meta: RuleMeta {
        id: "SA002",
        name: "service-account-token-automounted",
        title: "ServiceAccount token is mounted into the workload's pods",
        area: Area::ServiceAccounts,
        severity: Severity::Medium,
        scope: Scope::Workloads,
        reads: &[Input::kind("", "ServiceAccount")],
        rationale: "Unless disabled, every container gets a token of the pod's ServiceAccount at /var/run/secrets/kubernetes.io/serviceaccount. Most applications never call the Kubernetes API, yet anyone who gains code execution or a file-read primitive in the container can use the token to act with whatever the ServiceAccount may do. Upstream precedence is followed: the pod's `automountServiceAccountToken` wins when set; otherwise the ServiceAccount's (looked up in the input by namespace and name); otherwise the token is mounted. The finding points at the pod's field when it enables the mount, at the ServiceAccount when its setting (or silence) decides, and at the pod spec when the ServiceAccount is not in the input.",
        remediation: "Set `automountServiceAccountToken: false` on the pod template (or on its ServiceAccount). A workload that calls the Kubernetes API should keep the token only where needed: set the field explicitly to true and waive this finding for that workload with the reason, or mount a projected serviceAccountToken volume with an audience and a short expiry.",
        example_fail: "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  namespace: shop\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      serviceAccountName: web\n      containers:\n        - name: web\n          image: registry.example.com/web:1.0\n",
        example_pass: "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  namespace: shop\nautomountServiceAccountToken: false\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      serviceAccountName: web\n      containers:\n        - name: web\n          image: registry.example.com/web:1.0\n",
        evidence: &["sa.automount_disabled"],
        no_controls_reason: None,
        references: &[SA_DOC, SA_ADMIN_DOC],
        pss: None,
    },
    check: Check::Object(check_automount),
};

pub(super) const SA003: Rule = Rule {
    meta: RuleMeta {
        id: "SA003",
        name: "default-service-account-automount-enabled",
        title: "A namespace's default ServiceAccount does not disable token automount",
        area: Area::ServiceAccounts,
        severity: Severity::Low,
        scope: Scope::Kinds(&[GroupKind::new("", "ServiceAccount")]),
        reads: &[],
        rationale: "Every pod that names no ServiceAccount runs as `default`, including pods created later, by other teams or by tools, which no review of today's workloads covers. CIS 5.1.5 asks that each default ServiceAccount set `automountServiceAccountToken: false`, so those pods get no API credential unless they opt in. Only ServiceAccounts named `default` are checked here; other ServiceAccounts are judged through the workloads that use them (SA002).",
        remediation: "Set `automountServiceAccountToken: false` on the namespace's `default` ServiceAccount.",
        example_fail: "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  namespace: shop\n",
        example_pass: "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  namespace: shop\nautomountServiceAccountToken: false\n",
        evidence: &["sa.automount_disabled", "sa.dedicated_per_app"],
        no_controls_reason: None,
        references: &[SA_DOC],
        pss: None,
    },
    check: Check::Object(check_default_sa_automount),
};

pub(super) const SA004: Rule = Rule {
    meta: RuleMeta {
        id: "SA004",
        name: "legacy-service-account-token-secret",
        title: "Secret of type kubernetes.io/service-account-token (non-expiring token)",
        area: Area::ServiceAccounts,
        severity: Severity::Medium,
        scope: Scope::Kinds(&[GroupKind::new("", "Secret")]),
        reads: &[],
        rationale: "A Secret of type `kubernetes.io/service-account-token` is filled by the token controller with a ServiceAccount token that never expires and is not bound to any pod. It stays valid until the Secret is deleted, is readable by anyone who can read Secrets in the namespace, and, once copied, cannot be revoked short of deleting the ServiceAccount. Kubernetes stopped creating them automatically in 1.24 and the LegacyServiceAccountTokenCleanUp controller removes unused ones; a manifest that still declares one brings the long-lived credential back.",
        remediation: "Delete the Secret and obtain tokens through the TokenRequest API instead: a projected serviceAccountToken volume in the pod, or `kubectl create token` for short-lived external use.",
        example_fail: "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci-token\n  namespace: shop\n  annotations:\n    kubernetes.io/service-account.name: ci\ntype: kubernetes.io/service-account-token\n",
        example_pass: "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-config\n  namespace: shop\ntype: Opaque\nstringData:\n  mode: production\n",
        evidence: &["sa.no_legacy_token_secrets"],
        no_controls_reason: None,
        references: &[LEGACY_TOKEN_DOC, SA_ADMIN_DOC],
        pss: None,
    },
    check: Check::Object(check_legacy_token_secret),
};

pub(super) const SA005: Rule = Rule {
    meta: RuleMeta {
        id: "SA005",
        name: "long-lived-projected-token",
        title: "Projected ServiceAccount token is valid for more than an hour",
        area: Area::ServiceAccounts,
        severity: Severity::Medium,
        scope: Scope::Workloads,
        reads: &[],
        rationale: "A projected serviceAccountToken is a bearer credential: whoever copies it can use it until it expires. The kubelet refreshes projected tokens when 80% of their lifetime has passed, so a short lifetime costs nothing to a well-behaved client and bounds how long a leaked token is useful. Upstream's default is 3600 seconds; anything longer is reported. A value of exactly 3607 seconds is worse than it looks: the API server extends tokens requested for its own audiences with that lifetime to one year (the compatibility path for the kubelet's legacy clients).",
        remediation: "Set `expirationSeconds` to 3600 or less (at least 600) on the projected serviceAccountToken source, or omit it to get the 3600-second default.",
        example_fail: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n  volumes:\n    - name: vault-token\n      projected:\n        sources:\n          - serviceAccountToken:\n              audience: vault\n              path: token\n              expirationSeconds: 86400\n",
        example_pass: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n  volumes:\n    - name: vault-token\n      projected:\n        sources:\n          - serviceAccountToken:\n              audience: vault\n              path: token\n              expirationSeconds: 3600\n",
        evidence: &["sa.projected_short_lived_tokens"],
        no_controls_reason: None,
        references: &[PROJECTED_DOC, SA_ADMIN_DOC],
        pss: None,
    },
    check: Check::Object(check_projected_token_lifetime),
};

fn check_automount(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    if is_static_pod(ctx.object) {
        return;
    }
    let Some(template) = ctx.pod_template() else {
        return;
    };
    let sa = service_account_of(&template);
    let pod_field = template.spec_path().key("automountServiceAccountToken");
    // Upstream's `shouldAutomount` (plugin/pkg/admission/serviceaccount/admission.go): the
    // pod's field when set, else the ServiceAccount's, else true.
    match template.spec.bool_at("automountServiceAccountToken") {
        Some(false) => return,
        Some(true) => {
            sink.report(
                ctx.object,
                pod_field,
                format!(
                    "automountServiceAccountToken is true: the token of ServiceAccount {:?} is mounted into every container",
                    sa.name
                ),
            );
            return;
        }
        None => {}
    }
    let ns = ctx.namespace().unwrap_or("default");
    match find_service_account(ctx.inventory, ns, sa.name) {
        Some(account) => {
            let setting = account.root().bool_at("automountServiceAccountToken");
            let how = match setting {
                Some(false) => return,
                Some(true) => "sets automountServiceAccountToken: true",
                None => "does not set automountServiceAccountToken: false",
            };
            sink.report(
                account,
                FieldPath::root().key("automountServiceAccountToken"),
                format!(
                    "ServiceAccount {:?} {how} and {} does not override it: its token is mounted into every container of the pods",
                    sa.name, ctx.object.id
                ),
            )
            .with_related(ctx.object, [pod_field], "the pod template that mounts the token");
        }
        None => {
            sink.report(
                ctx.object,
                pod_field,
                format!(
                    "automountServiceAccountToken is not set and ServiceAccount {:?} is not in the input: the token is mounted into every container unless the ServiceAccount disables it",
                    sa.name
                ),
            );
        }
    }
}

fn check_default_sa_automount(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    if ctx.object.id.api_version != "v1" || ctx.object.id.name != "default" {
        return;
    }
    let setting = ctx.object.root().bool_at("automountServiceAccountToken");
    let how = match setting {
        Some(false) => return,
        Some(true) => "sets automountServiceAccountToken: true",
        None => "does not set automountServiceAccountToken: false",
    };
    let ns = ctx.namespace().unwrap_or("default");
    sink.report(
        ctx.object,
        FieldPath::root().key("automountServiceAccountToken"),
        format!("the default ServiceAccount of namespace {ns:?} {how}: every pod there that names no ServiceAccount and does not opt out gets its token"),
    );
}

fn check_legacy_token_secret(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let root = ctx.object.root();
    if ctx.object.id.api_version != "v1"
        || root.str_at("type") != Some("kubernetes.io/service-account-token")
    {
        return;
    }
    let account = ctx
        .object
        .annotation("kubernetes.io/service-account.name")
        .unwrap_or("");
    // Only whether a token is present is said, never its value.
    let committed = if root.get("data").and_then(|d| d.get("token")).is_some()
        || root
            .get("stringData")
            .and_then(|d| d.get("token"))
            .is_some()
    {
        "; the manifest itself also carries a token value"
    } else {
        ""
    };
    sink.report(
        ctx.object,
        FieldPath::root().key("type"),
        format!(
            "Secret of type kubernetes.io/service-account-token for ServiceAccount {account:?}: it holds a token that never expires and is bound to no pod{committed}"
        ),
    );
}

fn check_projected_token_lifetime(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Some(template) = ctx.pod_template() else {
        return;
    };
    for (v, volume) in template
        .spec
        .get("volumes")
        .into_iter()
        .flat_map(|v| v.items())
        .enumerate()
    {
        let Some(sources) = volume.get("projected").and_then(|p| p.get("sources")) else {
            continue;
        };
        for (s, source) in sources.items().enumerate() {
            let Some(seconds) = source
                .get("serviceAccountToken")
                .and_then(|t| t.get("expirationSeconds"))
                .and_then(|e| e.as_i64())
            else {
                continue;
            };
            if seconds <= MAX_TOKEN_SECONDS {
                continue;
            }
            let volume_name = volume.str_at("name").unwrap_or("");
            let extra = if seconds == KUBELET_TOKEN_SECONDS {
                "; for the API server's own audiences this exact value is extended to one year"
            } else {
                ""
            };
            sink.report(
                ctx.object,
                template
                    .spec_path()
                    .key("volumes")
                    .index(v)
                    .key("projected")
                    .key("sources")
                    .index(s)
                    .key("serviceAccountToken")
                    .key("expirationSeconds"),
                format!(
                    "projected volume {volume_name:?} requests a ServiceAccount token valid for {seconds} seconds (more than {MAX_TOKEN_SECONDS}){extra}"
                ),
            );
        }
    }
}
