//! Rules of the `control-plane` area: the kube-apiserver command line (CIS Kubernetes
//! Benchmark v1.12 section 1.2), read from its static Pod manifest.
//!
//! Every rule here is an inventory rule that looks for kube-apiserver containers (see
//! [`flags`]); with none in the input (a managed cluster, or a scan of application
//! manifests) the rules are *not evaluated*, never passed. One rule per concern, one finding
//! per bad or missing flag, at the flag's list item when it is written, else at the
//! container's `command`. Defaults are kube-apiserver's own (an absent flag is read as its
//! default, which is what the binary runs with).

use crate::models::apiserver::{ApiServer, Flag};

use crate::context::InventoryCtx;
use crate::rule::{Area, Check, Input, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

const FLAGS_DOC: &str =
    "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/";
const CIS: &str = "https://www.cisecurity.org/benchmark/kubernetes";
const AUTHN_DOC: &str = "https://kubernetes.io/docs/reference/access-authn-authz/authentication/";
const AUTHZ_DOC: &str = "https://kubernetes.io/docs/reference/access-authn-authz/authorization/";
const ADMISSION_DOC: &str =
    "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/";
const AUDIT_DOC: &str = "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/";
const ENCRYPT_DOC: &str = "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/";
const PKI_DOC: &str = "https://kubernetes.io/docs/setup/best-practices/certificates/";
const SA_DOC: &str =
    "https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/";

/// A kube-apiserver static Pod with the given flags (rule examples).
macro_rules! apiserver_pod {
    ($($flag:literal),* $(,)?) => {
        concat!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\n  namespace: kube-system\n",
            "spec:\n  containers:\n    - name: kube-apiserver\n",
            "      image: registry.k8s.io/kube-apiserver:v1.34.1\n      command:\n",
            "        - kube-apiserver\n",
            $("        - ", $flag, "\n",)*
        )
    };
}

/// The reason rules give when the input has no kube-apiserver manifest.
const NO_APISERVER: &str = "the input has no kube-apiserver manifest (a Pod or workload whose container runs the kube-apiserver binary); on managed clusters the provider runs the API server and its flags are not visible";

/// Runs `check` on every kube-apiserver of the input, or declares the rule not evaluated
/// when there is none.
fn each_apiserver(
    ctx: &InventoryCtx<'_>,
    sink: &mut Sink,
    mut check: impl FnMut(&ApiServer<'_>, &mut Sink),
) {
    let servers = ctx.apiservers();
    if servers.is_empty() {
        sink.not_evaluated(NO_APISERVER);
        return;
    }
    for server in servers {
        check(server, sink);
    }
}

/// This area's rules, in ID order.
pub static RULES: &[Rule] = &[
    Rule {
        meta: RuleMeta {
            id: "CP001",
            name: "apiserver-anonymous-auth-enabled",
            title: "kube-apiserver accepts anonymous requests",
            area: Area::ControlPlane,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "With `--anonymous-auth` left at its default (`true`), every request without credentials is served as user `system:anonymous` in group `system:unauthenticated`. Only RBAC then stands between the internet-facing API endpoint and the cluster: a single binding to `system:anonymous` or `system:unauthenticated` (a common mistake when debugging) exposes data to anyone who can reach the port, and even without one the endpoint discloses version and discovery information. CIS 1.2.1 requires it off. When `--authentication-config` is used (Kubernetes 1.32+), anonymous access is configured in that file's `anonymous` section instead (where it can be limited to health endpoints); that file is not in the input, so such a server is not judged on this flag.",
            remediation: "Set `--anonymous-auth=false`, or on Kubernetes 1.32+ use an AuthenticationConfiguration whose `anonymous` section allows only the health endpoints (`/livez`, `/readyz`, `/healthz`).",
            example_fail: apiserver_pod!["--authorization-mode=Node,RBAC"],
            example_pass: apiserver_pod![
                "--anonymous-auth=false",
                "--authorization-mode=Node,RBAC"
            ],
            evidence: &["rbac.apiserver_authz"],
            no_controls_reason: None,
            references: &[AUTHN_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_anonymous_auth),
    },
    Rule {
        meta: RuleMeta {
            id: "CP002",
            name: "apiserver-authorization-always-allow",
            title: "kube-apiserver authorizes every request (AlwaysAllow)",
            area: Area::ControlPlane,
            severity: Severity::Critical,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "The `AlwaysAllow` authorizer approves every request of every authenticated (and, with anonymous auth on, unauthenticated) user: RBAC, Node authorization and webhooks are bypassed for whatever reaches it. `--authorization-mode` defaults to `AlwaysAllow` when neither it nor `--authorization-config` is given. CIS 1.2.6 forbids it.",
            remediation: "Set `--authorization-mode=Node,RBAC` (or configure authorizers through `--authorization-config`) and remove `AlwaysAllow`.",
            example_fail: apiserver_pod!["--authorization-mode=AlwaysAllow"],
            example_pass: apiserver_pod!["--authorization-mode=Node,RBAC"],
            evidence: &["rbac.apiserver_authz"],
            no_controls_reason: None,
            references: &[AUTHZ_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_always_allow),
    },
    Rule {
        meta: RuleMeta {
            id: "CP003",
            name: "apiserver-authorization-missing-node-rbac",
            title: "kube-apiserver authorization modes do not include Node and RBAC",
            area: Area::ControlPlane,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "RBAC is the authorizer the cluster's Roles and bindings feed; without it they have no effect. The Node authorizer (with the NodeRestriction admission plugin) confines each kubelet to the Secrets, ConfigMaps and Pods of its own node; without it a compromised node's credentials reach every Secret the `system:nodes` group is granted. CIS 1.2.7 and 1.2.8 require both. When authorizers are configured with `--authorization-config` (structured authorization), the modes live in that file, which is not in the input, and the server is not judged on this flag.",
            remediation: "Include `Node` and `RBAC` in `--authorization-mode` (for example `--authorization-mode=Node,RBAC`).",
            example_fail: apiserver_pod!["--authorization-mode=RBAC"],
            example_pass: apiserver_pod!["--authorization-mode=Node,RBAC"],
            evidence: &["rbac.apiserver_authz"],
            no_controls_reason: None,
            references: &[
                AUTHZ_DOC,
                "https://kubernetes.io/docs/reference/access-authn-authz/node/",
                CIS,
            ],
            pss: None,
        },
        check: Check::Inventory(check_node_rbac),
    },
    Rule {
        meta: RuleMeta {
            id: "CP004",
            name: "apiserver-static-token-file",
            title: "kube-apiserver authenticates static bearer tokens from a file",
            area: Area::ControlPlane,
            severity: Severity::Critical,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "`--token-auth-file` makes the API server accept the bearer tokens listed in a CSV file on the control-plane node. The tokens never expire, cannot be revoked without restarting the API server, are stored in clear text, and usually belong to powerful identities. CIS 1.2.2 forbids the flag.",
            remediation: "Remove `--token-auth-file`; authenticate people with OIDC or client certificates and workloads with service-account tokens.",
            example_fail: apiserver_pod!["--token-auth-file=/etc/kubernetes/tokens.csv"],
            example_pass: apiserver_pod!["--client-ca-file=/etc/kubernetes/pki/ca.crt"],
            evidence: &["rbac.apiserver_authz"],
            no_controls_reason: None,
            references: &[AUTHN_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_token_auth_file),
    },
    Rule {
        meta: RuleMeta {
            id: "CP005",
            name: "always-admit-admission-plugin",
            title: "kube-apiserver enables the AlwaysAdmit admission plugin",
            area: Area::ControlPlane,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "AlwaysAdmit is a deprecated admission plugin that admits every request; it signals that admission control was meant to be switched off, and enabling it alongside other plugins gives a false sense of coverage. CIS 1.2.10 forbids it.",
            remediation: "Remove `AlwaysAdmit` from `--enable-admission-plugins`.",
            example_fail: apiserver_pod!["--enable-admission-plugins=NodeRestriction,AlwaysAdmit"],
            example_pass: apiserver_pod!["--enable-admission-plugins=NodeRestriction"],
            evidence: &["adm.policy_engine_enforcing", "adm.apiserver_plugins"],
            no_controls_reason: None,
            references: &[ADMISSION_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_always_admit),
    },
    Rule {
        meta: RuleMeta {
            id: "CP006",
            name: "node-restriction-admission-disabled",
            title: "kube-apiserver does not enable the NodeRestriction admission plugin",
            area: Area::ControlPlane,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "NodeRestriction limits what a kubelet may modify: only its own Node object and the Pods bound to it, and not the labels that steer workloads (`node-restriction.kubernetes.io/`). It is not enabled by default; without it, the credentials of one compromised node can relabel other nodes to attract sensitive pods, or modify pods elsewhere. CIS 1.2.14 requires it.",
            remediation: "Add `NodeRestriction` to `--enable-admission-plugins` (and keep `Node` in `--authorization-mode`).",
            example_fail: apiserver_pod!["--enable-admission-plugins=PodSecurity"],
            example_pass: apiserver_pod!["--enable-admission-plugins=NodeRestriction"],
            evidence: &["adm.apiserver_plugins"],
            no_controls_reason: None,
            references: &[ADMISSION_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_node_restriction),
    },
    Rule {
        meta: RuleMeta {
            id: "CP007",
            name: "default-admission-plugin-disabled",
            title: "kube-apiserver disables a security-relevant default admission plugin",
            area: Area::ControlPlane,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "Several admission plugins that are on by default carry security: ServiceAccount (pods run as an existing service account and get its token mounted the controlled way), NamespaceLifecycle (nothing is created in terminating or non-existent namespaces, and the system namespaces cannot be deleted), PodSecurity (the Pod Security Standards labels on namespaces), ValidatingAdmissionWebhook and ValidatingAdmissionPolicy (every policy engine, Gatekeeper and Kyverno included, and in-process CEL policies). Listing one in `--disable-admission-plugins` silently switches that protection off cluster-wide. CIS 1.2.12 and 1.2.13 require ServiceAccount and NamespaceLifecycle.",
            remediation: "Remove the plugin from `--disable-admission-plugins`.",
            example_fail: apiserver_pod![
                "--enable-admission-plugins=NodeRestriction",
                "--disable-admission-plugins=PodSecurity"
            ],
            example_pass: apiserver_pod![
                "--enable-admission-plugins=NodeRestriction",
                "--disable-admission-plugins=DefaultStorageClass"
            ],
            evidence: &["adm.apiserver_plugins", "adm.policy_engine_enforcing"],
            no_controls_reason: None,
            references: &[ADMISSION_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_disabled_plugins),
    },
    Rule {
        meta: RuleMeta {
            id: "CP008",
            name: "apiserver-profiling-enabled",
            title: "kube-apiserver serves profiling endpoints",
            area: Area::ControlPlane,
            severity: Severity::Low,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "With `--profiling` at its default (`true`) the API server serves Go's pprof handlers under `/debug/pprof`. Anyone authorized for that non-resource URL can read goroutine stacks and heap profiles (internal detail useful to an attacker) or start CPU profiles that load the control plane. CIS 1.2.15 recommends turning it off unless a performance investigation needs it.",
            remediation: "Set `--profiling=false`.",
            example_fail: apiserver_pod!["--authorization-mode=Node,RBAC"],
            example_pass: apiserver_pod!["--profiling=false"],
            evidence: &["cp.apiserver_hardening"],
            no_controls_reason: None,
            references: &[FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_profiling),
    },
    Rule {
        meta: RuleMeta {
            id: "CP009",
            name: "apiserver-audit-logging-disabled",
            title: "kube-apiserver does not record audit events",
            area: Area::ControlPlane,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "The API server writes audit events only when it has an audit policy (`--audit-policy-file`) and a backend to write to: a log file (`--audit-log-path`, CIS 1.2.16) or a webhook (`--audit-webhook-config-file`). Without both, there is no record of who read which Secret, who changed RBAC or who exec'd into a pod, which every framework's logging requirement (HIPAA 164.312(b), PCI DSS 10.2) depends on. A webhook backend is accepted in place of a log path.",
            remediation: "Set `--audit-policy-file` to an audit Policy and `--audit-log-path` (or `--audit-webhook-config-file`) to a backend.",
            example_fail: apiserver_pod!["--authorization-mode=Node,RBAC"],
            example_pass: apiserver_pod![
                "--audit-policy-file=/etc/kubernetes/audit-policy.yaml",
                "--audit-log-path=/var/log/kubernetes/audit/audit.log"
            ],
            evidence: &["cp.audit_log_enabled", "log.audit_policy"],
            no_controls_reason: None,
            references: &[AUDIT_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_audit_enabled),
    },
    Rule {
        meta: RuleMeta {
            id: "CP010",
            name: "audit-log-retention-below-minimum",
            title: "kube-apiserver keeps audit log files for fewer days than required",
            area: Area::ControlPlane,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "When audit events go to a file, the API server rotates it and deletes rotated files older than `--audit-log-maxage` days. CIS 1.2.17 expects at least 30 days; the `auditLog.retentionDays` setting raises that (90 by default when PCI DSS is among the frameworks: three months immediately available, requirement 10.5.1). Left unset it is 0: no age-based removal, so what survives depends on disk space and the other rotation flags, not on policy. This is local retention only: PCI DSS (12 months) and HIPAA need the events shipped to central storage as well.",
            remediation: "Set `--audit-log-maxage` to at least the required retention in days.",
            example_fail: apiserver_pod![
                "--audit-log-path=/var/log/kubernetes/audit/audit.log",
                "--audit-log-maxage=7"
            ],
            example_pass: apiserver_pod![
                "--audit-log-path=/var/log/kubernetes/audit/audit.log",
                "--audit-log-maxage=30"
            ],
            evidence: &["cp.audit_log_maxage"],
            no_controls_reason: None,
            references: &[AUDIT_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_audit_maxage),
    },
    Rule {
        meta: RuleMeta {
            id: "CP011",
            name: "encryption-provider-config-missing",
            title: "kube-apiserver stores Secrets in etcd without encryption at rest",
            area: Area::ControlPlane,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "Without `--encryption-provider-config` the API server writes every object, Secrets included, to etcd as plain protobuf. Anyone with a copy of the etcd data directory, a snapshot or a backup reads every credential in the cluster. CIS 1.2.27 requires the flag; the configuration it points at is checked by the `encryption` rules when it is in the input.",
            remediation: "Write an EncryptionConfiguration that encrypts `secrets` (preferably with a KMS v2 provider) and pass it with `--encryption-provider-config`.",
            example_fail: apiserver_pod!["--authorization-mode=Node,RBAC"],
            example_pass: apiserver_pod![
                "--encryption-provider-config=/etc/kubernetes/enc/encryption-config.yaml"
            ],
            evidence: &["enc.etcd_encryption_config"],
            no_controls_reason: None,
            references: &[ENCRYPT_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_encryption_config),
    },
    Rule {
        meta: RuleMeta {
            id: "CP012",
            name: "apiserver-serving-tls-incomplete",
            title: "kube-apiserver serving certificate or client CA is not configured",
            area: Area::ControlPlane,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "Without `--tls-cert-file` and `--tls-private-key-file` the API server generates a self-signed certificate that no client can verify, which trains everyone to skip verification and opens the door to interception. Without `--client-ca-file`, client-certificate authentication is off: kubelets, controllers and administrators must fall back to weaker credentials. CIS 1.2.24 and 1.2.25 require these flags.",
            remediation: "Set `--tls-cert-file`, `--tls-private-key-file` and `--client-ca-file` to the cluster PKI files.",
            example_fail: apiserver_pod![
                "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
                "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key"
            ],
            example_pass: apiserver_pod![
                "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
                "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
                "--client-ca-file=/etc/kubernetes/pki/ca.crt"
            ],
            evidence: &["cp.apiserver_serving_tls"],
            no_controls_reason: None,
            references: &[PKI_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_serving_tls),
    },
    Rule {
        meta: RuleMeta {
            id: "CP013",
            name: "apiserver-weak-tls",
            title: "kube-apiserver allows old TLS versions or weak cipher suites",
            area: Area::ControlPlane,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "`--tls-min-version=VersionTLS10` or `VersionTLS11` re-enables protocol versions with known weaknesses (and that PCI DSS no longer accepts as strong cryptography), and cipher suites without forward secrecy (`TLS_RSA_*`), with CBC mode, RC4 or 3DES weaken every connection that negotiates them. CIS 1.2.29 lists the strong suites: AEAD ciphers (AES-GCM, ChaCha20-Poly1305) with ECDHE key exchange, and the TLS 1.3 suites. Left unset, both flags take Go's secure defaults, which are not flagged.",
            remediation: "Remove `--tls-min-version` or set it to `VersionTLS12` or `VersionTLS13`, and limit `--tls-cipher-suites` to ECDHE AEAD suites.",
            example_fail: apiserver_pod![
                "--tls-min-version=VersionTLS10",
                "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_128_CBC_SHA"
            ],
            example_pass: apiserver_pod![
                "--tls-min-version=VersionTLS12",
                "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
            ],
            evidence: &["cp.apiserver_tls_strength"],
            no_controls_reason: None,
            references: &[
                "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/#options",
                CIS,
            ],
            pss: None,
        },
        check: Check::Inventory(check_weak_tls),
    },
    Rule {
        meta: RuleMeta {
            id: "CP014",
            name: "etcd-client-tls-incomplete",
            title: "kube-apiserver does not use mutual TLS to etcd",
            area: Area::ControlPlane,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "etcd holds the whole cluster state, Secrets included. `--etcd-cafile` makes the API server verify it talks to the real etcd; `--etcd-certfile` and `--etcd-keyfile` give it a client certificate so that etcd can refuse everyone else. Missing any of them means etcd traffic can be intercepted or etcd must accept unauthenticated clients. CIS 1.2.23 and 1.2.26 require all three.",
            remediation: "Set `--etcd-cafile`, `--etcd-certfile` and `--etcd-keyfile` (and run etcd with `--client-cert-auth=true`).",
            example_fail: apiserver_pod![
                "--etcd-servers=https://127.0.0.1:2379",
                "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt"
            ],
            example_pass: apiserver_pod![
                "--etcd-servers=https://127.0.0.1:2379",
                "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
                "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
                "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key"
            ],
            evidence: &["cp.etcd_client_tls"],
            no_controls_reason: None,
            references: &[
                PKI_DOC,
                "https://etcd.io/docs/latest/op-guide/security/",
                CIS,
            ],
            pss: None,
        },
        check: Check::Inventory(check_etcd_tls),
    },
    Rule {
        meta: RuleMeta {
            id: "CP015",
            name: "kubelet-client-tls-incomplete",
            title: "kube-apiserver does not authenticate to or verify kubelets",
            area: Area::ControlPlane,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "The API server connects to kubelets for `exec`, `attach`, `logs` and port-forwarding. Without `--kubelet-certificate-authority` it does not verify the kubelet's serving certificate, so whoever can intercept node traffic sees and alters exec sessions (CIS 1.2.5). Without `--kubelet-client-certificate` and `--kubelet-client-key` it presents no client certificate, so kubelets must allow unauthenticated access for these features to work (CIS 1.2.4).",
            remediation: "Set `--kubelet-certificate-authority`, `--kubelet-client-certificate` and `--kubelet-client-key`, and have kubelets serve certificates signed by that CA.",
            example_fail: apiserver_pod![
                "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
                "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key"
            ],
            example_pass: apiserver_pod![
                "--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt",
                "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
                "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key"
            ],
            evidence: &["cp.kubelet_client_tls"],
            no_controls_reason: None,
            references: &[
                "https://kubernetes.io/docs/concepts/architecture/control-plane-node-communication/",
                FLAGS_DOC,
                CIS,
            ],
            pss: None,
        },
        check: Check::Inventory(check_kubelet_tls),
    },
    Rule {
        meta: RuleMeta {
            id: "CP016",
            name: "service-account-lookup-disabled",
            title: "kube-apiserver accepts tokens of deleted service accounts",
            area: Area::ControlPlane,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "With `--service-account-lookup=false` the API server validates service-account tokens by signature alone and does not check that the ServiceAccount (and, for legacy tokens, the Secret) still exists. A token keeps working after its service account is deleted, so deleting an account no longer revokes its access. CIS 1.2.21 requires lookup (the default).",
            remediation: "Remove `--service-account-lookup=false` (the default is `true`).",
            example_fail: apiserver_pod!["--service-account-lookup=false"],
            example_pass: apiserver_pod!["--service-account-lookup=true"],
            evidence: &["sa.projected_short_lived_tokens"],
            no_controls_reason: None,
            references: &[SA_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_sa_lookup),
    },
    Rule {
        meta: RuleMeta {
            id: "CP017",
            name: "service-account-signing-incomplete",
            title: "kube-apiserver service-account token signing is not fully configured",
            area: Area::ControlPlane,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "Bound service-account tokens need `--service-account-issuer` (the `iss` claim, which OIDC federation and token reviewers rely on), `--service-account-signing-key-file` (the private key that signs them) and `--service-account-key-file` (the public keys that verify them; without it the API server falls back to its TLS key). Kubernetes 1.20+ refuses to start without issuer and signing key, so a manifest missing them is either broken or relies on an external signer (`--service-account-signing-endpoint`, Kubernetes 1.32+), which is accepted in place of both key files. CIS 1.2.22 requires the key file.",
            remediation: "Set `--service-account-issuer`, `--service-account-signing-key-file` and `--service-account-key-file` (or `--service-account-signing-endpoint` for an external signer).",
            example_fail: apiserver_pod![
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key"
            ],
            example_pass: apiserver_pod![
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
                "--service-account-key-file=/etc/kubernetes/pki/sa.pub"
            ],
            evidence: &["sa.projected_short_lived_tokens"],
            no_controls_reason: None,
            references: &[SA_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_sa_signing),
    },
    Rule {
        meta: RuleMeta {
            id: "CP018",
            name: "service-account-token-expiration-extended",
            title: "kube-apiserver extends projected service-account tokens to a year",
            area: Area::ControlPlane,
            severity: Severity::Low,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "`--service-account-extend-token-expiration` (default `true`) makes the API server issue projected service-account tokens valid for up to a year, while telling the kubelet to refresh them hourly; it exists to ease migration from legacy tokens. A stolen token therefore stays usable for a year instead of an hour. CIS 1.2.30 recommends `false` once workloads refresh their tokens (all current client libraries do).",
            remediation: "Set `--service-account-extend-token-expiration=false` once no workload depends on long-lived projected tokens (watch the `serviceaccount_stale_tokens_total` metric).",
            example_fail: apiserver_pod![
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local"
            ],
            example_pass: apiserver_pod!["--service-account-extend-token-expiration=false"],
            evidence: &["sa.projected_short_lived_tokens"],
            no_controls_reason: None,
            references: &[SA_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_sa_extend),
    },
    Rule {
        meta: RuleMeta {
            id: "CP019",
            name: "audit-log-maxbackup-below-minimum",
            title: "kube-apiserver keeps fewer than 10 rotated audit log files",
            area: Area::ControlPlane,
            severity: Severity::Low,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "`--audit-log-maxbackup` is how many rotated audit log files the API server keeps. CIS 1.2.18 expects at least 10; left unset it is 0, meaning no count-based removal, so history is bounded only by age and disk space.",
            remediation: "Set `--audit-log-maxbackup` to at least 10.",
            example_fail: apiserver_pod![
                "--audit-log-path=/var/log/kubernetes/audit/audit.log",
                "--audit-log-maxbackup=3"
            ],
            example_pass: apiserver_pod![
                "--audit-log-path=/var/log/kubernetes/audit/audit.log",
                "--audit-log-maxbackup=10"
            ],
            evidence: &["cp.audit_log_maxbackup"],
            no_controls_reason: None,
            references: &[AUDIT_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_audit_maxbackup),
    },
    Rule {
        meta: RuleMeta {
            id: "CP020",
            name: "audit-log-maxsize-below-minimum",
            title: "kube-apiserver rotates audit log files before 100 MB",
            area: Area::ControlPlane,
            severity: Severity::Low,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "`--audit-log-maxsize` is the size in megabytes at which the API server rotates the audit log. CIS 1.2.19 expects at least 100 MB; left unset it is 0 (no size-based rotation), and a small value with few backups discards history within hours on a busy cluster.",
            remediation: "Set `--audit-log-maxsize` to at least 100.",
            example_fail: apiserver_pod![
                "--audit-log-path=/var/log/kubernetes/audit/audit.log",
                "--audit-log-maxsize=10"
            ],
            example_pass: apiserver_pod![
                "--audit-log-path=/var/log/kubernetes/audit/audit.log",
                "--audit-log-maxsize=100"
            ],
            evidence: &["cp.audit_log_maxsize"],
            no_controls_reason: None,
            references: &[AUDIT_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_audit_maxsize),
    },
    Rule {
        meta: RuleMeta {
            id: "CP021",
            name: "service-external-ips-not-denied",
            title: "kube-apiserver does not enable the DenyServiceExternalIPs admission plugin",
            area: Area::ControlPlane,
            severity: Severity::Low,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "A Service's `spec.externalIPs` makes kube-proxy on every node capture traffic to those addresses, whoever owns them: a user who may create Services in any namespace can intercept traffic meant for an internal or external IP (CVE-2020-8554, which has no fix in Kubernetes itself). The DenyServiceExternalIPs plugin rejects new externalIPs; it is off by default. CIS 1.2.3 recommends it (a manual check there, since clusters that need externalIPs must allow them some other way, such as a policy limited to approved addresses).",
            remediation: "Add `DenyServiceExternalIPs` to `--enable-admission-plugins`, or, where some Services need externalIPs, restrict them with an admission policy that allows only approved addresses.",
            example_fail: apiserver_pod!["--enable-admission-plugins=NodeRestriction"],
            example_pass: apiserver_pod![
                "--enable-admission-plugins=NodeRestriction,DenyServiceExternalIPs"
            ],
            evidence: &["adm.deny_external_ips"],
            no_controls_reason: None,
            references: &[ADMISSION_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_deny_external_ips),
    },
    Rule {
        meta: RuleMeta {
            id: "CP022",
            name: "event-rate-limit-not-enabled",
            title: "kube-apiserver does not enable the EventRateLimit admission plugin",
            area: Area::ControlPlane,
            severity: Severity::Low,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "Events are written by every component and by any client allowed to create them; without a limit, a misbehaving controller or a malicious client can flood the API server and etcd with Events and degrade the control plane for everyone (an availability risk to the regulated workloads too). The EventRateLimit plugin caps Event writes per server, namespace, user and source object; it is off by default and needs a configuration file (`--admission-control-config-file`). CIS 1.2.9 recommends it (a manual check there, since limits must be tuned to the cluster).",
            remediation: "Add `EventRateLimit` to `--enable-admission-plugins` and give `--admission-control-config-file` an `EventRateLimit` configuration with limits sized for the cluster.",
            example_fail: apiserver_pod!["--enable-admission-plugins=NodeRestriction"],
            example_pass: apiserver_pod![
                "--enable-admission-plugins=NodeRestriction,EventRateLimit",
                "--admission-control-config-file=/etc/kubernetes/admission/config.yaml"
            ],
            evidence: &["adm.event_rate_limit"],
            no_controls_reason: None,
            references: &[ADMISSION_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_event_rate_limit),
    },
    Rule {
        meta: RuleMeta {
            id: "CP023",
            name: "always-pull-images-not-enabled",
            title: "kube-apiserver does not enable the AlwaysPullImages admission plugin",
            area: Area::ControlPlane,
            severity: Severity::Low,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "Without AlwaysPullImages, a pod can run any image already cached on its node with `imagePullPolicy: IfNotPresent` or `Never`, so a workload without the pull secret of a private image can still start it once any other pod has pulled it there: image pull credentials stop being an access control between tenants. The plugin forces every container's pull policy to `Always`, so the registry checks the pod's credentials each time. It is off by default and makes every start depend on the registry. CIS 1.2.11 recommends it (a manual check there).",
            remediation: "Add `AlwaysPullImages` to `--enable-admission-plugins` (and make sure the registry is highly available), or keep regulated workloads on nodes no other tenant's pods can use.",
            example_fail: apiserver_pod!["--enable-admission-plugins=NodeRestriction"],
            example_pass: apiserver_pod![
                "--enable-admission-plugins=NodeRestriction,AlwaysPullImages"
            ],
            evidence: &["adm.always_pull_images"],
            no_controls_reason: None,
            references: &[ADMISSION_DOC, FLAGS_DOC, CIS],
            pss: None,
        },
        check: Check::Inventory(check_always_pull_images),
    },
];

/// `kube-apiserver container "name"`: each finding names the container, since a manifest
/// may run more than one.
fn lead(api: &ApiServer<'_>) -> String {
    format!("kube-apiserver container {:?}", api.container_name)
}

/// Reports a boolean flag that must be `false` (anonymous auth, profiling, ...).
fn require_false(api: &ApiServer<'_>, sink: &mut Sink, name: &str, consequence: &str) {
    match api.flags.bool(name) {
        Some((Ok(false), _)) => {}
        Some((Ok(true), flag)) => {
            sink.report(
                api.object,
                flag.path.clone(),
                format!("{}: --{name} is true: {consequence}", lead(api)),
            );
        }
        Some((Err(value), flag)) => {
            sink.report(
                api.object,
                flag.path.clone(),
                format!(
                    "{}: --{name}={value:?} is not a boolean (kube-apiserver refuses to start); it must be false",
                    lead(api)
                ),
            );
        }
        None => {
            sink.report(
                api.object,
                api.command_path.clone(),
                format!(
                    "{}: --{name} is not set and defaults to true: {consequence}",
                    lead(api)
                ),
            );
        }
    }
}

/// Reports each of `names` that is not set (or set to an empty value).
fn require_set(api: &ApiServer<'_>, sink: &mut Sink, names: &[&str], consequence: &str) {
    for name in names {
        if api.flags.set(name).is_none() {
            let flag = api.flags.last(name);
            let state = if flag.is_some() {
                "is empty"
            } else {
                "is not set"
            };
            sink.report(
                api.object,
                api.path_of(flag),
                format!("{}: --{name} {state}: {consequence}", lead(api)),
            );
        }
    }
}

fn check_anonymous_auth(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let mut judged = 0;
    let mut deferred = 0;
    each_apiserver(ctx, sink, |api, sink| {
        // Kubernetes 1.32+: with --authentication-config, anonymous access may be configured
        // in the file's `anonymous` section (the two cannot be combined); not in the input.
        if api.flags.last("anonymous-auth").is_none()
            && api.flags.set("authentication-config").is_some()
        {
            deferred += 1;
            return;
        }
        judged += 1;
        require_false(
            api,
            sink,
            "anonymous-auth",
            "requests without credentials are served as system:anonymous",
        );
    });
    if judged == 0 && deferred > 0 {
        sink.not_evaluated("every kube-apiserver in the input takes its anonymous-auth settings from an --authentication-config file, which is not in the input");
    }
}

/// The effective authorization modes, or `None` when structured authorization
/// (`--authorization-config`) replaces them. Absent: kube-apiserver's default, AlwaysAllow.
fn authorization_modes<'a>(api: &'a ApiServer<'_>) -> Option<(Vec<&'a str>, Option<&'a Flag>)> {
    match api.flags.list("authorization-mode") {
        Some((modes, flag)) => Some((modes, Some(flag))),
        None if api.flags.set("authorization-config").is_some() => None,
        None => Some((vec!["AlwaysAllow"], None)),
    }
}

fn check_always_allow(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let mut judged = 0;
    each_apiserver(ctx, sink, |api, sink| {
        let Some((modes, flag)) = authorization_modes(api) else {
            return;
        };
        judged += 1;
        if !modes.contains(&"AlwaysAllow") {
            return;
        }
        let message = match flag {
            Some(_) => format!(
                "{}: --authorization-mode includes AlwaysAllow: every request is authorized",
                lead(api)
            ),
            None => format!(
                "{}: neither --authorization-mode nor --authorization-config is set, so the mode defaults to AlwaysAllow: every request is authorized",
                lead(api)
            ),
        };
        sink.report(api.object, api.path_of(flag), message);
    });
    not_evaluated_if_structured(sink, judged);
}

fn not_evaluated_if_structured(sink: &mut Sink, judged: usize) {
    if judged == 0 && sink.findings.is_empty() && sink.not_evaluated.is_none() {
        sink.not_evaluated("every kube-apiserver in the input configures its authorizers with --authorization-config, a file that is not in the input");
    }
}

fn check_node_rbac(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let mut judged = 0;
    each_apiserver(ctx, sink, |api, sink| {
        let Some((modes, flag)) = authorization_modes(api) else {
            return;
        };
        judged += 1;
        let shown = modes.join(",");
        for (mode, why) in [
            (
                "Node",
                "kubelets are not confined to their own node's objects",
            ),
            ("RBAC", "Roles and RoleBindings have no effect"),
        ] {
            if !modes.contains(&mode) {
                let set = if flag.is_some() {
                    format!("--authorization-mode={shown}")
                } else {
                    "--authorization-mode is not set (default AlwaysAllow) and".to_string()
                };
                sink.report(
                    api.object,
                    api.path_of(flag),
                    format!("{}: {set} does not include {mode}: {why}", lead(api)),
                );
            }
        }
    });
    not_evaluated_if_structured(sink, judged);
}

fn check_token_auth_file(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    each_apiserver(ctx, sink, |api, sink| {
        if let Some(flag) = api.flags.set("token-auth-file") {
            sink.report(
                api.object,
                flag.path.clone(),
                format!(
                    "{}: --token-auth-file is set: static bearer tokens from a file on the node authenticate without expiry or revocation",
                    lead(api)
                ),
            );
        }
    });
}

/// The effective `--enable-admission-plugins` items and its last occurrence.
fn enabled_plugins<'a>(api: &'a ApiServer<'_>) -> (Vec<&'a str>, Option<&'a Flag>) {
    match api.flags.list("enable-admission-plugins") {
        Some((plugins, flag)) => (plugins, Some(flag)),
        None => (Vec::new(), None),
    }
}

fn check_always_admit(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    each_apiserver(ctx, sink, |api, sink| {
        if let Some((_, flag)) = api
            .flags
            .items("enable-admission-plugins")
            .into_iter()
            .find(|(p, _)| *p == "AlwaysAdmit")
        {
            sink.report(
                api.object,
                flag.path.clone(),
                format!(
                    "{}: --enable-admission-plugins includes AlwaysAdmit",
                    lead(api)
                ),
            );
        }
    });
}

fn check_node_restriction(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    report_plugin_off(
        ctx,
        sink,
        "NodeRestriction",
        "kubelets may modify other nodes' objects",
    );
}

fn check_deny_external_ips(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    report_plugin_off(
        ctx,
        sink,
        "DenyServiceExternalIPs",
        "anyone who may create or edit a Service can set externalIPs and intercept traffic to those addresses (CVE-2020-8554)",
    );
}

fn check_event_rate_limit(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    report_plugin_off(
        ctx,
        sink,
        "EventRateLimit",
        "any client can flood the API server and etcd with Events",
    );
}

fn check_always_pull_images(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    report_plugin_off(
        ctx,
        sink,
        "AlwaysPullImages",
        "a pod can run a private image already cached on its node without the credentials to pull it",
    );
}

/// Reports an API server on which admission plugin `plugin` (not on by default) is off:
/// listed in `--disable-admission-plugins`, or missing from `--enable-admission-plugins`.
fn report_plugin_off(
    ctx: &InventoryCtx<'_>,
    sink: &mut Sink,
    plugin: &'static str,
    consequence: &'static str,
) {
    each_apiserver(ctx, sink, |api, sink| {
        let (plugins, flag) = enabled_plugins(api);
        if let Some((_, dflag)) = api
            .flags
            .items("disable-admission-plugins")
            .into_iter()
            .find(|(p, _)| *p == plugin)
        {
            sink.report(
                api.object,
                dflag.path.clone(),
                format!(
                    "{}: --disable-admission-plugins includes {plugin}: {consequence}",
                    lead(api)
                ),
            );
        } else if !plugins.contains(&plugin) {
            let state = if flag.is_some() {
                format!("--enable-admission-plugins does not include {plugin}")
            } else {
                format!(
                    "--enable-admission-plugins is not set, and {plugin} is not enabled by default"
                )
            };
            sink.report(
                api.object,
                api.path_of(flag),
                format!("{}: {state}: {consequence}", lead(api)),
            );
        }
    });
}

/// Default-on plugins whose removal switches off a protection, and what is lost.
const PROTECTIVE_DEFAULT_PLUGINS: &[(&str, &str)] = &[
    (
        "NamespaceLifecycle",
        "objects can be created in terminating or missing namespaces and system namespaces can be deleted",
    ),
    (
        "ServiceAccount",
        "pods are not bound to existing service accounts and their token mounts are not managed",
    ),
    (
        "PodSecurity",
        "the Pod Security Standards namespace labels are not enforced",
    ),
    (
        "ValidatingAdmissionWebhook",
        "validating webhooks (Gatekeeper, Kyverno and other policy engines) are not called",
    ),
    (
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicies are not enforced",
    ),
];

fn check_disabled_plugins(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    each_apiserver(ctx, sink, |api, sink| {
        for (plugin, flag) in api.flags.items("disable-admission-plugins") {
            if let Some((_, lost)) = PROTECTIVE_DEFAULT_PLUGINS
                .iter()
                .find(|(p, _)| *p == plugin)
            {
                sink.report(
                    api.object,
                    flag.path.clone(),
                    format!(
                        "{}: --disable-admission-plugins includes {plugin}: {lost}",
                        lead(api)
                    ),
                );
            }
        }
    });
}

fn check_profiling(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    each_apiserver(ctx, sink, |api, sink| {
        require_false(
            api,
            sink,
            "profiling",
            "pprof profiling handlers are served under /debug/pprof",
        );
    });
}

fn check_audit_enabled(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    each_apiserver(ctx, sink, |api, sink| {
        require_set(
            api,
            sink,
            &["audit-policy-file"],
            "without an audit policy no audit events are recorded",
        );
        if api.flags.set("audit-log-path").is_none()
            && api.flags.set("audit-webhook-config-file").is_none()
        {
            let flag = api.flags.last("audit-log-path");
            sink.report(
                api.object,
                api.path_of(flag),
                format!(
                    "{}: neither --audit-log-path nor --audit-webhook-config-file is set: audit events have no backend to go to",
                    lead(api)
                ),
            );
        }
    });
}

fn check_audit_maxage(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let days = i64::from(ctx.settings.log_retention_days);
    check_rotation_flag(ctx, sink, "audit-log-maxage", days, "days");
}

fn check_audit_maxbackup(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    check_rotation_flag(ctx, sink, "audit-log-maxbackup", 10, "files");
}

fn check_audit_maxsize(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    check_rotation_flag(ctx, sink, "audit-log-maxsize", 100, "MB");
}

/// One audit log rotation flag against its minimum, for servers that log to a file.
fn check_rotation_flag(
    ctx: &InventoryCtx<'_>,
    sink: &mut Sink,
    name: &str,
    minimum: i64,
    unit: &str,
) {
    let mut judged = 0;
    each_apiserver(ctx, sink, |api, sink| {
        // Rotation applies to the log file backend only; `-` means standard output.
        match api.flags.set("audit-log-path") {
            Some(f) if f.value.as_deref() != Some("-") => {}
            _ => return,
        }
        judged += 1;
        let flag = api.flags.last(name);
        let problem = match flag.and_then(|f| f.value.as_deref()) {
            None => Some(format!(
                "--{name} is not set (0: no limit, so what is kept depends on disk space); set it to at least {minimum} {unit}"
            )),
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if n >= minimum => None,
                Ok(n) => Some(format!("--{name}={n} is below {minimum} {unit}")),
                Err(_) => Some(format!(
                    "--{name}={v:?} is not an integer (kube-apiserver refuses to start)"
                )),
            },
        };
        if let Some(problem) = problem {
            sink.report(
                api.object,
                api.path_of(flag),
                format!("{}: {problem}", lead(api)),
            );
        }
    });
    if judged == 0 && sink.findings.is_empty() && sink.not_evaluated.is_none() {
        sink.not_evaluated(
            "no kube-apiserver in the input writes audit events to a log file (--audit-log-path)",
        );
    }
}

fn check_encryption_config(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    each_apiserver(ctx, sink, |api, sink| {
        require_set(
            api,
            sink,
            &["encryption-provider-config"],
            "Secrets are stored in etcd unencrypted",
        );
    });
}

fn check_serving_tls(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    each_apiserver(ctx, sink, |api, sink| {
        require_set(
            api,
            sink,
            &["tls-cert-file", "tls-private-key-file"],
            "the API server serves a self-signed certificate clients cannot verify",
        );
        require_set(
            api,
            sink,
            &["client-ca-file"],
            "client-certificate authentication is disabled",
        );
    });
}

/// TLS 1.2 suites CIS 1.2.29 accepts (ECDHE key exchange, AEAD ciphers) and the TLS 1.3
/// suites; Kubernetes' names, as `--tls-cipher-suites` takes them.
const STRONG_CIPHERS: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];

fn check_weak_tls(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    each_apiserver(ctx, sink, |api, sink| {
        if let Some(flag) = api.flags.last("tls-min-version") {
            let v = flag.value.as_deref().unwrap_or("");
            if matches!(v, "VersionTLS10" | "VersionTLS11") {
                sink.report(
                    api.object,
                    flag.path.clone(),
                    format!(
                        "{}: --tls-min-version={v} allows TLS versions older than 1.2",
                        lead(api)
                    ),
                );
            }
        }
        // One finding per occurrence of the flag, naming its weak suites.
        let mut weak: Vec<(&Flag, Vec<&str>)> = Vec::new();
        for (suite, flag) in api.flags.items("tls-cipher-suites") {
            if STRONG_CIPHERS.contains(&suite) {
                continue;
            }
            match weak.last_mut() {
                Some((f, list)) if std::ptr::eq(*f, flag) => list.push(suite),
                _ => weak.push((flag, vec![suite])),
            }
        }
        for (flag, suites) in weak {
            sink.report(
                api.object,
                flag.path.clone(),
                format!(
                    "{}: --tls-cipher-suites includes suites without ECDHE key exchange and an AEAD cipher: {}",
                    lead(api),
                    suites.join(", ")
                ),
            );
        }
    });
}

fn check_etcd_tls(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    each_apiserver(ctx, sink, |api, sink| {
        require_set(
            api,
            sink,
            &["etcd-cafile"],
            "the API server does not verify etcd's certificate",
        );
        require_set(
            api,
            sink,
            &["etcd-certfile", "etcd-keyfile"],
            "the API server presents no client certificate to etcd",
        );
    });
}

fn check_kubelet_tls(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    each_apiserver(ctx, sink, |api, sink| {
        require_set(
            api,
            sink,
            &["kubelet-certificate-authority"],
            "kubelet serving certificates are not verified (exec, logs and port-forward can be intercepted)",
        );
        require_set(
            api,
            sink,
            &["kubelet-client-certificate", "kubelet-client-key"],
            "the API server presents no client certificate to kubelets",
        );
    });
}

fn check_sa_lookup(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    each_apiserver(ctx, sink, |api, sink| {
        match api.flags.bool("service-account-lookup") {
            Some((Ok(false), flag)) => {
                sink.report(
                api.object,
                flag.path.clone(),
                format!(
                    "{}: --service-account-lookup is false: tokens stay valid after their ServiceAccount is deleted",
                    lead(api)
                ),
            );
            }
            Some((Err(value), flag)) => {
                sink.report(
                api.object,
                flag.path.clone(),
                format!(
                    "{}: --service-account-lookup={value:?} is not a boolean (kube-apiserver refuses to start)",
                    lead(api)
                ),
            );
            }
            _ => {}
        }
    });
}

fn check_sa_signing(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    each_apiserver(ctx, sink, |api, sink| {
        require_set(
            api,
            sink,
            &["service-account-issuer"],
            "bound service-account tokens cannot be issued (kube-apiserver 1.20+ refuses to start)",
        );
        if api.flags.set("service-account-signing-endpoint").is_some() {
            return; // external signer (1.32+): it holds the keys
        }
        require_set(
            api,
            sink,
            &["service-account-signing-key-file"],
            "there is no key to sign service-account tokens (kube-apiserver 1.20+ refuses to start)",
        );
        require_set(
            api,
            sink,
            &["service-account-key-file"],
            "service-account tokens are verified with the TLS serving key instead of a dedicated key",
        );
    });
}

fn check_sa_extend(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    each_apiserver(ctx, sink, |api, sink| {
        require_false(
            api,
            sink,
            "service-account-extend-token-expiration",
            "projected service-account tokens are issued for up to a year",
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_model::{Inventory, Object, Origin};
    use serde_json::json;

    fn run(objects: Vec<serde_json::Value>) -> crate::Evaluation {
        let objects = objects
            .iter()
            .map(|o| Object::from_json(o, Origin::Cluster).unwrap())
            .collect();
        let rules: Vec<&'static Rule> = RULES.iter().collect();
        crate::engine::evaluate(
            &Inventory::new(objects),
            &rules,
            &crate::Settings::default(),
        )
    }

    #[test]
    fn no_apiserver_means_not_evaluated() {
        let eval = run(vec![json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "app", "namespace": "default"},
            "spec": {"containers": [{"name": "app", "image": "app", "command": ["/app", "--anonymous-auth=true"]}]},
        })]);
        assert!(eval.findings.is_empty());
        for run in &eval.runs {
            assert!(
                matches!(run.coverage, crate::Coverage::NotEvaluated { .. }),
                "{}",
                run.rule.meta.id
            );
        }
    }

    #[test]
    fn structured_configs_are_not_judged_on_flags() {
        let eval = run(vec![json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "kube-apiserver", "namespace": "kube-system"},
            "spec": {"containers": [{"name": "kube-apiserver", "image": "k", "command": [
                "kube-apiserver",
                "--authentication-config=/etc/kubernetes/authn.yaml",
                "--authorization-config=/etc/kubernetes/authz.yaml",
            ]}]},
        })]);
        for id in ["CP001", "CP002", "CP003"] {
            let run = eval.runs.iter().find(|r| r.rule.meta.id == id).unwrap();
            assert!(
                matches!(run.coverage, crate::Coverage::NotEvaluated { .. }),
                "{id}"
            );
            assert!(eval.findings.iter().all(|f| f.rule.id != id), "{id}");
        }
        // Other rules still judge the same manifest.
        assert!(eval.findings.iter().any(|f| f.rule.id == "CP011"));
    }
}
