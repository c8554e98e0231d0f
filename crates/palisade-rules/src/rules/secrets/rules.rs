//! SEC001-SEC005.

use palisade_model::workload::{Container, PodTemplate};
use palisade_model::{FieldPath, Node, Object};

use super::detect::{Hint, assignments, high_entropy_secret, known_format};
use crate::context::{InventoryCtx, ObjectCtx};
use crate::rule::{Area, Check, GroupKind, Input, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

const SECRETS_DOC: &str = "https://kubernetes.io/docs/concepts/configuration/secret/";
const GOOD_PRACTICE_DOC: &str =
    "https://kubernetes.io/docs/concepts/security/secrets-good-practices/";
const CONFIGMAP_DOC: &str = "https://kubernetes.io/docs/concepts/configuration/configmap/";
const ESO_DOC: &str = "https://external-secrets.io/latest/";
const CSI_DOC: &str = "https://secrets-store-csi-driver.sigs.k8s.io/";

pub static RULES: [Rule; 5] = [
    Rule {
        meta: RuleMeta {
            id: "SEC001",
            name: "secret-data-committed",
            title: "Secret manifest carries its data",
            area: Area::Secrets,
            severity: Severity::High,
            scope: Scope::Kinds(&[GroupKind::new("", "Secret")]),
            reads: &[],
            rationale: "A Secret's `data` is only base64-encoded and `stringData` is plain text: a manifest that carries them puts the credential in every clone of the repository, every CI log that prints the manifest and every backup, where neither RBAC nor encryption at rest protects it, and rotating it means rewriting history. Secrets belong in a secret manager (External Secrets, Vault, the Secrets Store CSI driver) or, at the least, in encrypted form (SealedSecret, SOPS).",
            remediation: "Remove the Secret manifest from the repository, rotate the credentials it exposed, and deliver them through an ExternalSecret, a SealedSecret or the Secrets Store CSI driver.",
            example_fail: "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: payments\ntype: Opaque\nstringData:\n  password: not-a-real-password\n",
            example_pass: "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: db\n  namespace: payments\nspec:\n  secretStoreRef: {name: vault, kind: ClusterSecretStore}\n  target: {name: db}\n  data:\n    - secretKey: password\n      remoteRef: {key: payments/db, property: password}\n",
            evidence: &["sec.no_plaintext_in_manifests"],
            no_controls_reason: None,
            references: &[SECRETS_DOC, GOOD_PRACTICE_DOC],
            pss: None,
        },
        check: Check::Object(check_secret_data),
    },
    Rule {
        meta: RuleMeta {
            id: "SEC002",
            name: "secret-value-in-env",
            title: "Container environment variable holds a literal secret",
            area: Area::Secrets,
            severity: Severity::High,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "A credential written as an `env[].value` is stored in the workload manifest itself: it is readable by anyone who can read the Deployment (a far wider group than those who can read Secrets), appears in `kubectl describe`, in the repository and in every rendered Helm release. Values are recognised by well-known credential formats (AWS, GitHub, Slack, Stripe, Google keys, private keys, JWTs, URLs with passwords) or by high entropy under a secret-like name; findings describe the value's shape only.",
            remediation: "Move the value into a secret manager and reference it (a mounted Secret volume, or `valueFrom.secretKeyRef` at the least), then rotate the exposed credential.",
            example_fail: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: payments\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n      env:\n        - name: AWS_ACCESS_KEY_ID\n          value: AKIAIOSFODNN7EXAMPLE\n",
            example_pass: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: payments\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n      env:\n        - name: AWS_REGION\n          value: eu-west-1\n",
            evidence: &["sec.no_plaintext_in_manifests", "sec.no_secrets_in_env"],
            no_controls_reason: None,
            references: &[
                GOOD_PRACTICE_DOC,
                "https://kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container/",
            ],
            pss: None,
        },
        check: Check::Object(check_env_values),
    },
    Rule {
        meta: RuleMeta {
            id: "SEC003",
            name: "secret-value-in-configmap",
            title: "ConfigMap holds a secret value",
            area: Area::Secrets,
            severity: Severity::High,
            scope: Scope::Kinds(&[GroupKind::new("", "ConfigMap")]),
            reads: &[],
            rationale: "ConfigMaps are meant for non-confidential configuration: RBAC usually lets far more people and controllers read them than Secrets, they are not covered by encryption at rest unless configured, and their content is printed freely by tooling. A credential in a ConfigMap, whether a whole value or a line of an embedded configuration file, is effectively public inside the cluster and in the repository. Findings describe the value's shape and the line, never the value.",
            remediation: "Move the credential out of the ConfigMap into a secret manager (or a Secret mounted as a file), reference it from the configuration, and rotate it.",
            example_fail: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: payments\ndata:\n  application.properties: |\n    server.port=8080\n    spring.datasource.password=Xk9mQ2vL7pWzR4\n",
            example_pass: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: payments\ndata:\n  application.properties: |\n    server.port=8080\n    spring.datasource.password=${DB_PASSWORD}\n",
            evidence: &[
                "sec.no_secrets_in_configmaps",
                "sec.no_plaintext_in_manifests",
            ],
            no_controls_reason: None,
            references: &[CONFIGMAP_DOC, GOOD_PRACTICE_DOC],
            pss: None,
        },
        check: Check::Object(check_configmap),
    },
    Rule {
        meta: RuleMeta {
            id: "SEC004",
            name: "secret-exposed-as-env-var",
            title: "Secret is passed to a container as environment variables",
            area: Area::Secrets,
            severity: Severity::Low,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "Environment variables are inherited by every child process, dumped in crash reports and debug endpoints, visible in `/proc/<pid>/environ` to anything sharing the process namespace, and cannot be rotated without restarting the pod. A Secret mounted as a file is readable only where it is mounted, can be given restrictive file permissions, and is updated in place when the Secret changes. CIS Kubernetes 5.4.1 prefers files.",
            remediation: "Mount the Secret as a volume (`volumes[].secret`, read-only) and have the application read the file, instead of `env[].valueFrom.secretKeyRef` or `envFrom[].secretRef`.",
            example_fail: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: payments\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n      env:\n        - name: DB_PASSWORD\n          valueFrom:\n            secretKeyRef: {name: db, key: password}\n",
            example_pass: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: payments\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n      volumeMounts:\n        - {name: db, mountPath: /var/run/secrets/db, readOnly: true}\n  volumes:\n    - name: db\n      secret: {secretName: db}\n",
            evidence: &["sec.no_secrets_in_env"],
            no_controls_reason: None,
            references: &[
                GOOD_PRACTICE_DOC,
                "https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod",
            ],
            pss: None,
        },
        check: Check::Object(check_env_refs),
    },
    Rule {
        meta: RuleMeta {
            id: "SEC005",
            name: "regulated-workload-uses-committed-secret",
            title: "Regulated workload consumes a Secret committed in the manifests instead of one from a secret manager",
            area: Area::Secrets,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: &[
                Input::Workloads,
                Input::kind("", "Secret"),
                Input::kind("", "Namespace"),
                Input::kind("external-secrets.io", "ExternalSecret"),
                Input::kind("secrets-store.csi.x-k8s.io", "SecretProviderClass"),
                Input::kind("secrets.hashicorp.com", "VaultStaticSecret"),
                Input::kind("secrets.hashicorp.com", "VaultDynamicSecret"),
                Input::kind("secrets.hashicorp.com", "VaultPKISecret"),
                Input::kind("secrets.hashicorp.com", "HCPVaultSecretsApp"),
            ],
            rationale: "In a regulated namespace, credentials should come from an external secret manager that controls access, audits reads and rotates them: External Secrets (an ExternalSecret's target), the Secrets Store CSI driver (a SecretProviderClass's secretObjects, or a CSI volume) or Vault (agent injection, or a Vault Secrets Operator destination). A workload that mounts or reads a Secret whose data is committed alongside it depends on a credential that lives in the repository, outside any of those controls. Workloads that use Vault agent injection or CSI volumes do not reference Secret objects and are compliant by construction. Not evaluated when no regulated workload references a Secret.",
            remediation: "Create the Secret from the secret manager (an ExternalSecret with `target.name` set to the Secret's name, a SecretProviderClass `secretObjects` entry, or a Vault Secrets Operator resource), remove the committed manifest and rotate its values.",
            example_fail: "# settings: regulated=payments\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: payments\nstringData:\n  password: not-a-real-password\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: payments\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n  volumes:\n    - name: db\n      secret: {secretName: db}\n",
            example_pass: "# settings: regulated=payments\napiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: db-from-vault\n  namespace: payments\nspec:\n  secretStoreRef: {name: vault, kind: ClusterSecretStore}\n  target: {name: db}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: payments\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n  volumes:\n    - name: db\n      secret: {secretName: db}\n",
            evidence: &[
                "sec.external_secret_manager",
                "sec.no_plaintext_in_manifests",
            ],
            no_controls_reason: None,
            references: &[
                ESO_DOC,
                CSI_DOC,
                "https://developer.hashicorp.com/vault/docs/platform/k8s/injector",
            ],
            pss: None,
        },
        check: Check::Inventory(check_committed_secrets),
    },
];

/// Keys with a non-empty value under `field` of a Secret.
fn non_empty_keys(node: Option<Node<'_>>) -> usize {
    node.and_then(|n| n.as_map())
        .into_iter()
        .flatten()
        .filter(|(_, v)| !v.is_null() && v.as_str() != Some(""))
        .count()
}

fn is_core(o: &Object) -> bool {
    o.id.api_version == "v1"
}

/// Whether a Secret object carries data (`data` or `stringData` with a non-empty value).
fn has_committed_data(secret: &Object) -> bool {
    let root = secret.root();
    non_empty_keys(root.get("data")) + non_empty_keys(root.get("stringData")) > 0
}

fn check_secret_data(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    if !is_core(ctx.object) {
        return;
    }
    let root = ctx.object.root();
    for (field, how) in [
        ("stringData", "in plain text"),
        ("data", "base64-encoded, which is not encryption"),
    ] {
        let n = non_empty_keys(root.get(field));
        if n == 0 {
            continue;
        }
        sink.report(
            ctx.object,
            FieldPath::root().key(field),
            format!(
                "Secret {:?} commits {n} key{} in {field} ({how}); the values are in the repository",
                ctx.object.id.name,
                if n == 1 { "" } else { "s" }
            ),
        );
    }
}

fn container_label(c: &Container<'_>) -> String {
    use palisade_model::workload::ContainerList as L;
    let list = match c.list {
        L::InitContainers => "init container",
        L::Containers => "container",
        L::EphemeralContainers => "ephemeral container",
    };
    format!("{list} {:?}", c.name())
}

/// Each container's `env` entries with their index in the list (see [`env_path`]).
fn env_entries<'a>(template: &PodTemplate<'a>) -> Vec<(Container<'a>, Node<'a>, usize)> {
    let mut out = Vec::new();
    for c in template.containers() {
        for (j, e) in c
            .node
            .get("env")
            .into_iter()
            .flat_map(|l| l.items())
            .enumerate()
        {
            out.push((c, e, j));
        }
    }
    out
}

/// The path of entry `j` of a container's `env` from the object root; built only for the
/// entries a finding is about.
fn env_path(template: &PodTemplate<'_>, c: &Container<'_>, j: usize) -> FieldPath {
    template.container_path(c).key("env").index(j)
}

/// A Secret read into environment variables: one `env[].valueFrom.secretKeyRef` (with its
/// variable) or a whole `envFrom[].secretRef`.
struct EnvSecret<'a> {
    container: Container<'a>,
    secret: &'a str,
    /// The variable, for `secretKeyRef`; `None` for `envFrom`.
    var: Option<&'a str>,
    /// Index of the entry in `env` (with `var`) or `envFrom` (without).
    index: usize,
}

impl EnvSecret<'_> {
    /// Path of the `secretKeyRef` or `secretRef` node; built only for references a finding
    /// is about.
    fn path(&self, template: &PodTemplate<'_>) -> FieldPath {
        match self.var {
            Some(_) => env_path(template, &self.container, self.index)
                .key("valueFrom")
                .key("secretKeyRef"),
            None => template
                .container_path(&self.container)
                .key("envFrom")
                .index(self.index)
                .key("secretRef"),
        }
    }
}

/// Every Secret the template's containers read into environment variables.
fn env_secrets<'a>(template: &PodTemplate<'a>) -> Vec<EnvSecret<'a>> {
    let mut out = Vec::new();
    for container in template.containers() {
        let entries = |field| {
            container
                .node
                .get(field)
                .into_iter()
                .flat_map(|l| l.items())
        };
        for (index, e) in entries("env").enumerate() {
            let Some(secret) = e
                .get_in(&["valueFrom", "secretKeyRef"])
                .and_then(|r| r.str_at("name"))
            else {
                continue;
            };
            out.push(EnvSecret {
                container,
                secret,
                var: Some(e.str_at("name").unwrap_or_default()),
                index,
            });
        }
        for (index, from) in entries("envFrom").enumerate() {
            if let Some(secret) = from.get("secretRef").and_then(|r| r.str_at("name")) {
                out.push(EnvSecret {
                    container,
                    secret,
                    var: None,
                    index,
                });
            }
        }
    }
    out
}

fn check_env_values(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Some(template) = ctx.pod_template() else {
        return;
    };
    for (c, e, j) in env_entries(&template) {
        let (Some(name), Some(value)) = (e.str_at("name"), e.str_at("value")) else {
            continue;
        };
        let Some(Hint(hint)) = known_format(value).or_else(|| high_entropy_secret(name, value))
        else {
            continue;
        };
        sink.report(
            ctx.object,
            env_path(&template, &c, j).key("value"),
            format!(
                "{} sets environment variable {name:?} to a literal that looks like {hint}",
                container_label(&c)
            ),
        );
    }
}

fn check_configmap(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    if !is_core(ctx.object) {
        return;
    }
    let Some(data) = ctx.object.root().get("data").and_then(|d| d.as_map()) else {
        return;
    };
    let name = &ctx.object.id.name;
    for (key, value) in data {
        let Some(text) = value.as_str() else {
            continue;
        };
        let path = FieldPath::root().key("data").owned_key(key);
        let message = if let Some(Hint(hint)) =
            known_format(text).or_else(|| high_entropy_secret(key, text))
        {
            format!("ConfigMap {name:?} key {key:?} holds what looks like {hint}")
        } else {
            let found = assignments(text);
            let Some((line, assigned, Hint(hint))) = found.first() else {
                continue;
            };
            let more = match found.len() {
                1 => String::new(),
                n => format!(" ({} more such lines)", n - 1),
            };
            format!(
                "ConfigMap {name:?} key {key:?}, line {line}: {assigned:?} is set to what looks like {hint}{more}"
            )
        };
        sink.report(ctx.object, path, message);
    }
}

fn check_env_refs(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Some(template) = ctx.pod_template() else {
        return;
    };
    for r in env_secrets(&template) {
        let (who, secret) = (container_label(&r.container), r.secret);
        let path = r.path(&template);
        let message = match r.var {
            Some(var) => format!(
                "{who} reads Secret {secret:?} into environment variable {var:?}; mount it as a file instead"
            ),
            None => format!(
                "{who} imports every key of Secret {secret:?} as environment variables; mount it as a file instead"
            ),
        };
        sink.report(ctx.object, path, message);
    }
}

/// Where a pod template references a Secret.
enum RefSite<'a> {
    /// `volumes[i].secret.secretName`.
    Volume(usize),
    /// `volumes[i].projected.sources[j].secret.name`.
    Projected(usize, usize),
    /// An `env` or `envFrom` reference's `name`.
    Env(EnvSecret<'a>),
    /// `imagePullSecrets[i].name`.
    PullSecret(usize),
}

/// One reference from a pod template to a Secret.
struct SecretRef<'a> {
    name: &'a str,
    /// What the workload does with it: "mounts", "reads", "pulls images with".
    how: &'static str,
    site: RefSite<'a>,
}

impl SecretRef<'_> {
    /// The reference's path from the object root; built only for the references a finding
    /// is about (most references are to Secrets that are not committed).
    fn path(&self, template: &PodTemplate<'_>) -> FieldPath {
        let spec = template.spec_path();
        match &self.site {
            RefSite::Volume(i) => spec
                .key("volumes")
                .index(*i)
                .key("secret")
                .key("secretName"),
            RefSite::Projected(i, j) => spec
                .key("volumes")
                .index(*i)
                .key("projected")
                .key("sources")
                .index(*j)
                .key("secret")
                .key("name"),
            RefSite::Env(r) => r.path(template).key("name"),
            RefSite::PullSecret(i) => spec.key("imagePullSecrets").index(*i).key("name"),
        }
    }
}

/// Every Secret a pod template references.
fn secret_references<'a>(template: &PodTemplate<'a>) -> Vec<SecretRef<'a>> {
    let mut out = Vec::new();
    let list = |node: Option<Node<'a>>| node.into_iter().flat_map(|l| l.items()).enumerate();
    for (i, v) in list(template.spec.get("volumes")) {
        if let Some(name) = v.get("secret").and_then(|s| s.str_at("secretName")) {
            out.push(SecretRef {
                name,
                how: "mounts",
                site: RefSite::Volume(i),
            });
        }
        for (j, src) in list(v.get_in(&["projected", "sources"])) {
            if let Some(name) = src.get("secret").and_then(|s| s.str_at("name")) {
                out.push(SecretRef {
                    name,
                    how: "mounts",
                    site: RefSite::Projected(i, j),
                });
            }
        }
    }
    for r in env_secrets(template) {
        out.push(SecretRef {
            name: r.secret,
            how: "reads",
            site: RefSite::Env(r),
        });
    }
    for (i, p) in list(template.spec.get("imagePullSecrets")) {
        if let Some(name) = p.str_at("name") {
            out.push(SecretRef {
                name,
                how: "pulls images with",
                site: RefSite::PullSecret(i),
            });
        }
    }
    out
}

/// Whether a secret manager creates Secret `name` in `namespace`: an ExternalSecret's
/// target (`spec.target.name`, defaulting to the ExternalSecret's own name), a
/// SecretProviderClass `spec.secretObjects[].secretName`, or a Vault Secrets Operator
/// resource's `spec.destination.name`.
fn externally_provided(ctx: &InventoryCtx<'_>, namespace: &str, name: &str) -> Option<String> {
    for o in ctx.inventory.objects() {
        if o.id.effective_namespace() != Some(namespace) {
            continue;
        }
        let spec = o.root().get("spec");
        let provides = match (o.id.group(), o.kind()) {
            ("external-secrets.io", "ExternalSecret") => {
                spec.and_then(|s| s.get_in(&["target", "name"]))
                    .and_then(|n| n.as_str())
                    .unwrap_or(&o.id.name)
                    == name
            }
            ("secrets-store.csi.x-k8s.io", "SecretProviderClass") => spec
                .and_then(|s| s.get("secretObjects"))
                .into_iter()
                .flat_map(|l| l.items())
                .any(|so| so.str_at("secretName") == Some(name)),
            (
                "secrets.hashicorp.com",
                "VaultStaticSecret" | "VaultDynamicSecret" | "VaultPKISecret"
                | "HCPVaultSecretsApp",
            ) => {
                spec.and_then(|s| s.get_in(&["destination", "name"]))
                    .and_then(|n| n.as_str())
                    == Some(name)
            }
            _ => false,
        };
        if provides {
            return Some(format!("{} {:?}", o.kind(), o.id.name));
        }
    }
    None
}

fn check_committed_secrets(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let mut references = 0usize;
    for &(object, template) in ctx.workloads() {
        let Some(namespace) = object.id.effective_namespace() else {
            continue;
        };
        if !ctx.is_regulated(namespace) {
            continue;
        }
        for reference in secret_references(&template) {
            references += 1;
            let (name, how) = (reference.name, reference.how);
            let Some(secret) = ctx
                .inventory
                .of_kind("Secret")
                .filter(|s| {
                    is_core(s) && s.id.name == name && s.id.effective_namespace() == Some(namespace)
                })
                .last()
            else {
                continue;
            };
            if !has_committed_data(secret) || externally_provided(ctx, namespace, name).is_some() {
                continue;
            }
            let field = if secret.root().get("stringData").is_some() {
                "stringData"
            } else {
                "data"
            };
            sink.report(
                object,
                reference.path(&template),
                format!(
                    "{} {:?} in regulated namespace {namespace:?} {how} Secret {name:?}, whose data is committed in the manifests; no ExternalSecret, SecretProviderClass or Vault resource provides it",
                    object.kind(),
                    object.id.name
                ),
            )
            .with_related(secret, [FieldPath::root().key(field)], "the committed Secret data");
        }
    }
    if references == 0 {
        sink.not_evaluated("no workload in a regulated namespace references a Secret");
    }
}

#[cfg(test)]
mod tests {
    //! No secret value may leak into a finding.

    use super::super::detect::{entropy, known_format};
    use palisade_loader::{Limits, load_str};
    use palisade_model::{Inventory, Node, Value};

    use crate::{Settings, evaluate, registry};

    /// Every string value in the fixtures that is, or contains, a (fake) secret.
    fn secrets_in(node: Node<'_>, parent_is_secret_data: bool, out: &mut Vec<String>) {
        match node.value() {
            Value::Str(s) => {
                let candidates =
                    std::iter::once(s.trim().to_string()).chain(s.lines().filter_map(|l| {
                        l.split_once(['=', ':'])
                            .map(|(_, v)| v.trim().trim_matches(['"', '\'']).to_string())
                    }));
                for c in candidates {
                    if c.len() >= 8
                        && (parent_is_secret_data
                            || known_format(&c).is_some()
                            || entropy(&c) >= 3.0)
                    {
                        out.push(c);
                    }
                }
            }
            Value::Seq(items) => items.for_each(|n| secrets_in(n, parent_is_secret_data, out)),
            Value::Map(entries) => {
                for (k, v) in entries {
                    // Identifiers and image references are quoted by messages and are not
                    // secrets.
                    if matches!(
                        k,
                        "name" | "image" | "namespace" | "mountPath" | "secretName" | "key"
                    ) {
                        continue;
                    }
                    secrets_in(
                        v,
                        parent_is_secret_data || k == "data" || k == "stringData",
                        out,
                    )
                }
            }
            _ => {}
        }
    }

    #[test]
    fn no_secret_value_appears_in_any_finding() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/secrets");
        let mut checked = 0;
        let mut total_secrets = 0;
        for entry in std::fs::read_dir(&dir).expect("secrets fixtures") {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let loaded = load_str("f.yaml", &text, &Limits::default());
            let mut secrets = Vec::new();
            for o in &loaded.objects {
                let root = o.root();
                for key in ["data", "stringData", "spec"] {
                    if let Some(n) = root.get(key) {
                        secrets_in(n, key != "spec" && o.kind() == "Secret", &mut secrets);
                    }
                }
            }
            // Names and plain words are not secrets; keep the values that look random.
            secrets.retain(|s| s.chars().any(|c| c.is_ascii_digit()) || known_format(s).is_some());
            total_secrets += secrets.len();
            let settings = Settings::default().with_directives(&text).unwrap();
            let inventory = Inventory::new(loaded.objects);
            let eval = evaluate(&inventory, registry::all(), &settings);
            for f in &eval.findings {
                let mut texts = vec![f.message.clone(), f.location.path.to_string()];
                for r in &f.related {
                    texts.push(r.message.to_string());
                    texts.push(r.location.path.to_string());
                }
                for t in &texts {
                    for s in &secrets {
                        assert!(
                            !t.contains(s.as_str()),
                            "{}: finding {} leaks a secret value: {t}",
                            path.display(),
                            f.rule.id
                        );
                        if s.len() >= 16 {
                            let middle = &s[s.len() / 2 - 4..s.len() / 2 + 4];
                            assert!(
                                !t.contains(middle),
                                "{}: finding {} leaks part of a secret value: {t}",
                                path.display(),
                                f.rule.id
                            );
                        }
                    }
                }
                checked += 1;
            }
        }
        assert!(checked >= 10, "only {checked} findings checked");
        assert!(
            total_secrets >= 15,
            "only {total_secrets} fake secrets found in the fixtures"
        );
    }
}
