//! Rules of the `encryption` area: the API server's EncryptionConfiguration (encryption of
//! objects in etcd) and StorageClasses of known cloud block-storage provisioners.
//!
//! EncryptionConfiguration semantics follow k8s.io/apiserver
//! `pkg/server/options/encryptionconfig/config.go`:
//! - each `resources[].resources` entry is parsed with `schema.ParseGroupResource`
//!   (`secrets` is core `secrets`, `*.` every core resource, `*.*` everything,
//!   `deployments.apps` a group resource, `*.apps` a whole group);
//! - the transformer of a resource is looked up as: its exact group-resource, else
//!   `*.<group>`, else `*.*`, else none (`identity`: plain text). The providers of every entry
//!   naming the exact group-resource are appended in order, so the first such entry's first
//!   provider is the one that encrypts new writes; the others only decrypt;
//! - a provider is the first of `aesgcm`, `aescbc`, `secretbox`, `kms`, `identity` it sets;
//!   a `kms` provider without `apiVersion` is KMS v1 (the v1 API's defaulting).
//!
//! Key material is never copied into a finding: findings name the provider and point at
//! its `keys` list, never at or with a `secret` value.

use palisade_model::{FieldPath, Node, Object};

use crate::context::ObjectCtx;
use crate::rule::{Area, Check, GroupKind, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

const ENCRYPT_DOC: &str = "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/";
const KMS_DOC: &str = "https://kubernetes.io/docs/tasks/administer-cluster/kms-provider/";
const CIS: &str = "https://www.cisecurity.org/benchmark/kubernetes";
const EBS_DOC: &str =
    "https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md";
const AWS_DEFAULT_DOC: &str =
    "https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html";

const ENCRYPTION_CONFIG: &[GroupKind] = &[GroupKind::new(
    "apiserver.config.k8s.io",
    "EncryptionConfiguration",
)];

/// An EncryptionConfiguration with `resources` and `providers` (rule examples).
macro_rules! encryption_config {
    ($resources:literal, $($provider:literal),+ $(,)?) => {
        concat!(
            "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n",
            "  - resources: ", $resources, "\n    providers:\n",
            $("      - ", $provider, "\n",)+
        )
    };
}

/// This area's rules, in ID order.
pub static RULES: &[Rule] = &[
    Rule {
        meta: RuleMeta {
            id: "ENC001",
            name: "secrets-not-encrypted-at-rest",
            title: "EncryptionConfiguration does not cover Secrets",
            area: Area::Encryption,
            severity: Severity::Critical,
            scope: Scope::Kinds(ENCRYPTION_CONFIG),
            reads: &[],
            rationale: "The API server encrypts a resource only when an entry of the EncryptionConfiguration names it (`secrets`), its group (`*.` for the core group) or everything (`*.*`). A configuration that lists other resources but none of these leaves Secrets stored in etcd as plain text, while the presence of the file suggests they are protected. CIS 1.2.28.",
            remediation: "Add `secrets` (or `*.`/`*.*`) to a `resources` entry whose first provider encrypts (preferably `kms` with `apiVersion: v2`).",
            example_fail: encryption_config!(
                "[configmaps]",
                "aescbc: {keys: [{name: key1, secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==}]}"
            ),
            example_pass: encryption_config!(
                "[secrets, configmaps]",
                "kms: {apiVersion: v2, name: vault, endpoint: unix:///var/run/kms.sock}"
            ),
            evidence: &["enc.etcd_encryption_config"],
            no_controls_reason: None,
            references: &[ENCRYPT_DOC, CIS],
            pss: None,
        },
        check: Check::Object(check_secrets_covered),
    },
    Rule {
        meta: RuleMeta {
            id: "ENC002",
            name: "identity-first-encryption-provider",
            title: "Secrets are written to etcd unencrypted (identity is the first provider)",
            area: Area::Encryption,
            severity: Severity::Critical,
            scope: Scope::Kinds(ENCRYPTION_CONFIG),
            reads: &[],
            rationale: "The first provider of the entry that covers Secrets encrypts every new write; the others are only tried when reading. With `identity` first, Secrets are written to etcd as plain text even though encrypting providers are listed (a configuration left half-way through a migration, or written with the order reversed). Anyone with access to etcd, its snapshots or backups reads every credential. CIS 1.2.28.",
            remediation: "Move the encrypting provider (preferably `kms` with `apiVersion: v2`) to the top of the `providers` list, keep `identity` after it only while existing data is re-encrypted, then rewrite all Secrets (`kubectl get secrets -A -o json | kubectl replace -f -`).",
            example_fail: encryption_config!(
                "[secrets]",
                "identity: {}",
                "kms: {apiVersion: v2, name: vault, endpoint: unix:///var/run/kms.sock}"
            ),
            example_pass: encryption_config!(
                "[secrets]",
                "kms: {apiVersion: v2, name: vault, endpoint: unix:///var/run/kms.sock}",
                "identity: {}"
            ),
            evidence: &["enc.etcd_encryption_config"],
            no_controls_reason: None,
            references: &[ENCRYPT_DOC, CIS],
            pss: None,
        },
        check: Check::Object(check_identity_first),
    },
    Rule {
        meta: RuleMeta {
            id: "ENC003",
            name: "aesgcm-encryption-provider",
            title: "Secrets are encrypted with aesgcm, which needs key rotation Kubernetes does not do",
            area: Area::Encryption,
            severity: Severity::Medium,
            scope: Scope::Kinds(ENCRYPTION_CONFIG),
            reads: &[],
            rationale: "AES-GCM with the random nonces the `aesgcm` provider uses is only safe for a bounded number of encryptions per key (upstream: rotate after 200,000 writes; nonce reuse beyond that breaks confidentiality and integrity). Kubernetes does not rotate the key, so upstream recommends `aesgcm` only with automated rotation, and CIS 1.2.28 accepts only `aescbc`, `kms` and `secretbox`. Its key also lives on the control-plane disk.",
            remediation: "Use a `kms` provider with `apiVersion: v2` (envelope encryption with keys held outside the node), or rotate the `aesgcm` key automatically well before 200,000 writes.",
            example_fail: encryption_config!(
                "[secrets]",
                "aesgcm: {keys: [{name: key1, secret: c2VjcmV0IGlzIHNlY3VyZQ==}]}"
            ),
            example_pass: encryption_config!(
                "[secrets]",
                "kms: {apiVersion: v2, name: vault, endpoint: unix:///var/run/kms.sock}"
            ),
            evidence: &["enc.etcd_encryption_config"],
            no_controls_reason: None,
            references: &[ENCRYPT_DOC, CIS],
            pss: None,
        },
        check: Check::Object(check_aesgcm),
    },
    Rule {
        meta: RuleMeta {
            id: "ENC004",
            name: "kms-v1-encryption-provider",
            title: "EncryptionConfiguration uses the deprecated KMS v1 API",
            area: Area::Encryption,
            severity: Severity::Medium,
            scope: Scope::Kinds(ENCRYPTION_CONFIG),
            reads: &[],
            rationale: "KMS v1 is deprecated since Kubernetes 1.28 and disabled by default since 1.29: an API server without `--feature-gates=KMSv1=true` refuses to load the configuration, and the gate will be removed. KMS v1 also calls the KMS plugin for every write (a new data key each time), which makes the API server slow and fragile when the KMS is. A `kms` provider without `apiVersion` is v1.",
            remediation: "Migrate to `apiVersion: v2` with a KMS v2 plugin: add the v2 provider first, keep the v1 provider after it to read old data, rewrite all Secrets, then remove the v1 provider.",
            example_fail: encryption_config!(
                "[secrets]",
                "kms: {name: legacy, endpoint: unix:///var/run/kms.sock, cachesize: 100}"
            ),
            example_pass: encryption_config!(
                "[secrets]",
                "kms: {apiVersion: v2, name: vault, endpoint: unix:///var/run/kms.sock}"
            ),
            evidence: &["enc.etcd_encryption_config"],
            no_controls_reason: None,
            references: &[KMS_DOC],
            pss: None,
        },
        check: Check::Object(check_kms_v1),
    },
    Rule {
        meta: RuleMeta {
            id: "ENC005",
            name: "static-encryption-key-in-config",
            title: "EncryptionConfiguration holds a static encryption key",
            area: Area::Encryption,
            severity: Severity::Low,
            scope: Scope::Kinds(ENCRYPTION_CONFIG),
            reads: &[],
            rationale: "The `aescbc`, `aesgcm` and `secretbox` providers take their keys from this file, which sits on every control-plane node next to the etcd data it protects. Whoever can read the node's disk, its backups or this file in a repository can decrypt every Secret, so these providers mainly protect etcd backups and snapshots taken without the file. They are accepted by CIS 1.2.28; a `kms` v2 provider keeps the key-encryption key in an external KMS or HSM instead. This finding never contains the key.",
            remediation: "Prefer a `kms` provider with `apiVersion: v2`; otherwise keep this file out of version control, readable only by root on the control-plane nodes, and rotate its keys regularly.",
            example_fail: encryption_config!(
                "[secrets]",
                "secretbox: {keys: [{name: key1, secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==}]}"
            ),
            example_pass: encryption_config!(
                "[secrets]",
                "kms: {apiVersion: v2, name: vault, endpoint: unix:///var/run/kms.sock}"
            ),
            evidence: &["enc.etcd_encryption_config"],
            no_controls_reason: None,
            references: &[ENCRYPT_DOC, KMS_DOC],
            pss: None,
        },
        check: Check::Object(check_static_keys),
    },
    Rule {
        meta: RuleMeta {
            id: "ENC006",
            name: "unencrypted-ebs-storage-class",
            title: "AWS EBS StorageClass does not request encrypted volumes",
            area: Area::Encryption,
            severity: Severity::Medium,
            scope: Scope::Kinds(&[GroupKind::new("storage.k8s.io", "StorageClass")]),
            reads: &[],
            rationale: "The AWS EBS provisioners (`ebs.csi.aws.com`, and `kubernetes.io/aws-ebs`, which current Kubernetes hands to the same CSI driver) create encrypted volumes only when the StorageClass sets `encrypted: \"true\"` (optionally with `kmsKeyId`), or when EBS encryption by default is enabled for the AWS account and region; the latter is invisible in manifests, so volumes from this class may hold data unencrypted at rest. GCE Persistent Disk and Azure Disk always encrypt at rest with platform-managed keys; their StorageClasses are not flagged for lacking customer-managed keys, which is a key-custody choice rather than missing encryption. Other provisioners are not judged.",
            remediation: "Set `parameters.encrypted: \"true\"` (and `kmsKeyId` for a customer-managed key) on the StorageClass; enabling EBS encryption by default in every account and region is a complementary control.",
            example_fail: "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: gp3\nprovisioner: ebs.csi.aws.com\nparameters:\n  type: gp3\n",
            example_pass: "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: gp3\nprovisioner: ebs.csi.aws.com\nparameters:\n  type: gp3\n  encrypted: \"true\"\n",
            evidence: &["enc.encrypted_storage_classes"],
            no_controls_reason: None,
            references: &[
                EBS_DOC,
                AWS_DEFAULT_DOC,
                "https://kubernetes.io/docs/concepts/storage/storage-classes/",
            ],
            pss: None,
        },
        check: Check::Object(check_ebs_storage_class),
    },
];

/// `schema.ParseGroupResource`: `resource.group`, split at the first dot.
fn parse_group_resource(s: &str) -> (&str, &str) {
    match s.split_once('.') {
        Some((resource, group)) => (group, resource),
        None => ("", s),
    }
}

/// How Secrets are matched: which `resources[]` entry applies, and through which name.
#[derive(Debug, PartialEq, Eq)]
struct Coverage {
    entry: usize,
    /// The entry's resource name that matched (`secrets`, `*.`, `*.*`).
    matched: String,
}

/// The entry whose first provider encrypts new writes of core `secrets`, as upstream's
/// `transformerFromOverrides` finds it. `None`: Secrets are stored as plain text.
fn secrets_coverage(config: Node<'_>) -> Option<Coverage> {
    let entries: Vec<Node<'_>> = config
        .get("resources")
        .map(|r| r.items().collect())
        .unwrap_or_default();
    for wanted in [("", "secrets"), ("", "*"), ("*", "*")] {
        for (i, entry) in entries.iter().enumerate() {
            let names = entry.get("resources").into_iter().flat_map(|r| r.items());
            for name in names.filter_map(|n| n.as_str()) {
                if parse_group_resource(name) == wanted {
                    return Some(Coverage {
                        entry: i,
                        matched: name.to_string(),
                    });
                }
            }
        }
    }
    None
}

/// The provider types in upstream's order of precedence within one provider item.
const PROVIDER_TYPES: [&str; 5] = ["aesgcm", "aescbc", "secretbox", "kms", "identity"];

/// A provider item's type (the first one it sets, as upstream's switch reads it).
fn provider_type(provider: Node<'_>) -> Option<&'static str> {
    PROVIDER_TYPES
        .into_iter()
        .find(|t| provider.get(t).is_some())
}

fn is_encryption_configuration(object: &Object) -> bool {
    object.id.group() == "apiserver.config.k8s.io"
}

fn entry_path(entry: usize) -> FieldPath {
    FieldPath::root().key("resources").index(entry)
}

/// The first provider that writes Secrets: (its path, its type, how Secrets matched).
fn secrets_writer(object: &Object) -> Option<(FieldPath, &'static str, Coverage, Node<'_>)> {
    let root = object.root();
    let coverage = secrets_coverage(root)?;
    let entry = root.get("resources")?.items().get(coverage.entry)?;
    let first = entry.get("providers")?.items().next()?;
    let kind = provider_type(first)?;
    let path = entry_path(coverage.entry).key("providers").index(0);
    Some((path, kind, coverage, first))
}

fn check_secrets_covered(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let object = ctx.object;
    if !is_encryption_configuration(object) || secrets_coverage(object.root()).is_some() {
        return;
    }
    sink.report(
        object,
        FieldPath::root().key("resources"),
        "no resources entry names secrets, *. or *.*: the API server stores Secrets in etcd as plain text",
    );
}

fn check_identity_first(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    if !is_encryption_configuration(ctx.object) {
        return;
    }
    if let Some((path, "identity", coverage, _)) = secrets_writer(ctx.object) {
        sink.report(
            ctx.object,
            path.key("identity"),
            format!(
                "resources[{}] covers Secrets (through {:?}) and its first provider is identity: new Secrets are written to etcd as plain text",
                coverage.entry, coverage.matched
            ),
        );
    }
}

fn check_aesgcm(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    if !is_encryption_configuration(ctx.object) {
        return;
    }
    if let Some((path, "aesgcm", coverage, _)) = secrets_writer(ctx.object) {
        sink.report(
            ctx.object,
            path.key("aesgcm"),
            format!(
                "resources[{}] covers Secrets (through {:?}) and encrypts them with aesgcm: its key must be rotated before 200,000 writes, which Kubernetes does not do",
                coverage.entry, coverage.matched
            ),
        );
    }
}

/// Every provider item of the configuration: (path, node).
fn providers(object: &Object) -> Vec<(FieldPath, Node<'_>)> {
    let mut out = Vec::new();
    let root = object.root();
    for (i, entry) in root
        .get("resources")
        .into_iter()
        .flat_map(|r| r.items())
        .enumerate()
    {
        for (j, provider) in entry
            .get("providers")
            .into_iter()
            .flat_map(|p| p.items())
            .enumerate()
        {
            out.push((entry_path(i).key("providers").index(j), provider));
        }
    }
    out
}

fn check_kms_v1(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    if !is_encryption_configuration(ctx.object) {
        return;
    }
    for (path, provider) in providers(ctx.object) {
        if provider_type(provider) != Some("kms") {
            continue;
        }
        let kms = provider.get("kms").expect("kms provider");
        let version = kms.str_at("apiVersion").unwrap_or("");
        if version == "v2" {
            continue;
        }
        let name = kms.str_at("name").unwrap_or("");
        let (field, how) = if version.is_empty() {
            (path.key("kms"), "has no apiVersion, so it is v1")
        } else {
            (path.key("kms").key("apiVersion"), "is apiVersion v1")
        };
        sink.report(
            ctx.object,
            field,
            format!(
                "kms provider {name:?} {how}: deprecated, and refused by Kubernetes 1.29+ unless the KMSv1 feature gate is enabled"
            ),
        );
    }
}

fn check_static_keys(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    if !is_encryption_configuration(ctx.object) {
        return;
    }
    for (path, provider) in providers(ctx.object) {
        let Some(kind @ ("aesgcm" | "aescbc" | "secretbox")) = provider_type(provider) else {
            continue;
        };
        let keys = provider
            .get(kind)
            .and_then(|p| p.get("keys"))
            .map_or(0, |k| k.items().count());
        if keys == 0 {
            continue;
        }
        let plural = if keys == 1 { "key" } else { "keys" };
        // The path ends at `keys`, never at a key's `secret`; the message names no key.
        sink.report(
            ctx.object,
            path.key(kind).key("keys"),
            format!(
                "{kind} provider holds {keys} static encryption {plural} in this file: anyone who can read it on a control-plane node or in a backup can decrypt what it protects"
            ),
        );
    }
}

fn check_ebs_storage_class(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let object = ctx.object;
    if object.id.group() != "storage.k8s.io" {
        return;
    }
    let root = object.root();
    let provisioner = root.str_at("provisioner").unwrap_or("");
    if !matches!(provisioner, "ebs.csi.aws.com" | "kubernetes.io/aws-ebs") {
        return;
    }
    // The EBS CSI driver matches parameter keys case-insensitively.
    let encrypted = root
        .get("parameters")
        .and_then(|p| p.as_map())
        .into_iter()
        .flatten()
        .find(|(k, _)| k.eq_ignore_ascii_case("encrypted"));
    let parameters = FieldPath::root().key("parameters");
    let (path, message) = match encrypted {
        Some((_, v)) if v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true")) => return,
        Some((key, v)) => {
            let shown = match v.as_str() {
                Some(s) => format!("{s:?}"),
                None => "not a string (the API server rejects non-string parameters)".to_string(),
            };
            (
                parameters.owned_key(key),
                format!(
                    "StorageClass with provisioner {provisioner} sets {key}: {shown}, so its volumes are created unencrypted unless EBS encryption by default is enabled in the AWS account and region (not visible in manifests)"
                ),
            )
        }
        None => (
            // Without a parameters map, point at the provisioner that makes it matter.
            if root.get("parameters").is_some() {
                parameters
            } else {
                FieldPath::root().key("provisioner")
            },
            format!(
                "StorageClass with provisioner {provisioner} does not set parameters.encrypted: \"true\", so its volumes are created unencrypted unless EBS encryption by default is enabled in the AWS account and region (not visible in manifests)"
            ),
        ),
    };
    sink.report(object, path, message);
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_model::Origin;
    use serde_json::json;

    fn coverage(resources: serde_json::Value) -> Option<(usize, String)> {
        let config = json!({
            "apiVersion": "apiserver.config.k8s.io/v1",
            "kind": "EncryptionConfiguration",
            "resources": resources,
        });
        let object = Object::from_json(&config, Origin::Cluster).unwrap();
        secrets_coverage(object.root()).map(|c| (c.entry, c.matched))
    }

    #[test]
    fn exact_resource_beats_group_wildcard_beats_everything() {
        let r = json!([
            {"resources": ["*.*"], "providers": [{"identity": {}}]},
        ]);
        assert_eq!(coverage(r), Some((0, "*.*".into())));
        // Upstream refuses an exact entry after a wildcard ("masked by earlier rule"), so
        // the realistic orders put the specific entries first.
        let r = json!([
            {"resources": ["secrets"], "providers": [{"identity": {}}]},
            {"resources": ["*."], "providers": [{"identity": {}}]},
            {"resources": ["*.*"], "providers": [{"identity": {}}]},
        ]);
        assert_eq!(coverage(r), Some((0, "secrets".into())));
        let r = json!([
            {"resources": ["configmaps", "*.*"], "providers": [{"identity": {}}]},
            {"resources": ["*."], "providers": [{"identity": {}}]},
        ]);
        assert_eq!(coverage(r), Some((1, "*.".into())));
    }

    #[test]
    fn first_entry_naming_secrets_writes() {
        let r = json!([
            {"resources": ["configmaps"], "providers": [{"identity": {}}]},
            {"resources": ["secrets"], "providers": [{"aescbc": {}}]},
            {"resources": ["secrets"], "providers": [{"identity": {}}]},
        ]);
        assert_eq!(coverage(r), Some((1, "secrets".into())));
    }

    #[test]
    fn other_groups_and_group_wildcards_do_not_cover_core_secrets() {
        for names in [
            json!(["secrets.apps"]),
            json!(["*.apps"]),
            json!(["configmaps"]),
            json!(["Secrets"]),
            json!([]),
        ] {
            let r = json!([{"resources": names, "providers": [{"identity": {}}]}]);
            assert_eq!(coverage(r), None, "{names}");
        }
        assert_eq!(
            parse_group_resource("deployments.apps"),
            ("apps", "deployments")
        );
        assert_eq!(parse_group_resource("*."), ("", "*"));
        assert_eq!(parse_group_resource("*.*"), ("*", "*"));
    }

    #[test]
    fn no_finding_carries_key_material() {
        const KEYS: [&str; 3] = [
            "c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==",
            "dGhpcyBpcyBhIDMyIGJ5dGUga2V5IGZvciBhZXNnY20=",
            "b25lIG1vcmUgMzIgYnl0ZSBrZXkgZm9yIHNlY3JldGJveA==",
        ];
        let yaml = format!(
            "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [configmaps]\n    providers:\n      - aesgcm: {{keys: [{{name: {k0}, secret: {k0}}}]}}\n      - aescbc:\n          keys:\n            - name: k1\n              secret: {k1}\n      - secretbox: {{keys: [{{name: k2, secret: {k2}}}]}}\n      - kms: {{name: legacy, endpoint: unix:///kms.sock}}\n  - resources: [\"*.*\"]\n    providers:\n      - aesgcm: {{keys: [{{name: k3, secret: {k1}}}]}}\n",
            k0 = KEYS[0],
            k1 = KEYS[1],
            k2 = KEYS[2],
        );
        let loaded = palisade_loader::load_str("enc.yaml", &yaml, &Default::default());
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let inventory = palisade_model::Inventory::new(loaded.objects);
        let rules: Vec<&'static Rule> = RULES.iter().collect();
        let findings =
            crate::engine::evaluate(&inventory, &rules, &crate::Settings::default()).findings;
        assert!(findings.len() >= 4, "{findings:?}");
        for f in &findings {
            let mut text = format!("{} {} {}", f.message, f.location.path, f.object);
            for r in &f.related {
                text.push_str(&format!(" {} {}", r.message, r.location.path));
            }
            let points_at_key = std::iter::once(&f.location.path)
                .chain(f.related.iter().map(|r| &r.location.path))
                .any(|p| {
                    p.segments()
                        .any(|s| s == palisade_model::Segment::Key("secret"))
                });
            assert!(!points_at_key, "a finding points at a key: {text}");
            for key in KEYS {
                // Also no recognisable fragment of a key.
                assert!(
                    !text.contains(&key[..12]),
                    "key material in a finding: {text}"
                );
            }
        }
    }

    #[test]
    fn provider_type_follows_upstream_precedence() {
        let doc = palisade_model::Document::from_json(&json!({"identity": {}, "aescbc": {}}));
        assert_eq!(provider_type(doc.root()), Some("aescbc"));
        let doc = palisade_model::Document::from_json(&json!({"unknown": {}}));
        assert_eq!(provider_type(doc.root()), None);
    }
}
