//! Object identity and origin.

use std::fmt;
use std::sync::Arc;

use crate::node::{Document, Node, Pos};
use crate::path::FieldPath;

/// Which object a finding is about, as Kubernetes names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    /// `None` when the manifest does not say (cluster-scoped kinds, or namespaced objects
    /// that take the namespace from `kubectl -n`).
    pub namespace: Option<String>,
    /// `metadata.name`, or `metadata.generateName` when only that is set; empty if neither.
    pub name: String,
}

impl ObjectRef {
    /// The `Namespace` called `name`, as a subject of findings about a namespace that the
    /// input mentions but may not define.
    pub fn namespace_named(name: &str) -> ObjectRef {
        ObjectRef {
            api_version: "v1".to_string(),
            kind: "Namespace".to_string(),
            namespace: None,
            name: name.to_string(),
        }
    }

    /// The cluster as a whole: the subject of findings about something missing from the
    /// entire input (no runtime protection agent, no policy engine). Shown as `Cluster/*`.
    pub fn cluster() -> ObjectRef {
        ObjectRef {
            api_version: String::new(),
            kind: "Cluster".to_string(),
            namespace: None,
            name: "*".to_string(),
        }
    }

    /// The API group (empty for the core group).
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    /// Whether the kind is cluster-scoped: the built-in cluster-scoped kinds and the
    /// cluster-scoped kinds of the security CRDs Palisade reads. Other kinds are taken to
    /// be namespaced, as most custom resources are.
    pub fn is_cluster_scoped(&self) -> bool {
        // Hot (every rule asks for namespaces): the kind is compared first, and only then
        // the group, which is derived from apiVersion. Every Gatekeeper constraint kind is
        // cluster-scoped.
        let kind = self.kind.as_str();
        (CLUSTER_SCOPED.iter().any(|&(_, k)| k == kind)
            && CLUSTER_SCOPED.contains(&(self.group(), kind)))
            || self.group() == "constraints.gatekeeper.sh"
    }

    /// The namespace the object lives in: `None` for cluster-scoped kinds, `default` for a
    /// namespaced object whose manifest names none (what `kubectl apply` does without `-n`).
    pub fn effective_namespace(&self) -> Option<&str> {
        if self.is_cluster_scoped() {
            None
        } else {
            Some(self.namespace.as_deref().unwrap_or("default"))
        }
    }
}

/// (group, kind) of cluster-scoped kinds.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "ComponentStatus"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "MutatingAdmissionPolicyBinding",
    ),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("certificates.k8s.io", "ClusterTrustBundle"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "ServiceCIDR"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("policy", "PodSecurityPolicy"),
    // Control-plane configuration files: not API objects, never namespaced.
    ("apiserver.config.k8s.io", "EncryptionConfiguration"),
    ("apiserver.config.k8s.io", "AdmissionConfiguration"),
    ("audit.k8s.io", "Policy"),
    // Security CRDs.
    ("kyverno.io", "ClusterPolicy"),
    ("policy.sigstore.dev", "ClusterImagePolicy"),
    ("templates.gatekeeper.sh", "ConstraintTemplate"),
    ("config.gatekeeper.sh", "Config"),
    ("external-secrets.io", "ClusterSecretStore"),
    ("external-secrets.io", "ClusterExternalSecret"),
    ("policy.linkerd.io", "ClusterPolicy"),
];

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// Where an object came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A manifest file (or `-` for standard input); `document` is the 0-based index of the
    /// YAML document in that file.
    File { path: Arc<str>, document: u32 },
    /// A live cluster; there is no line to point at, so findings carry the field path only.
    Cluster,
}

/// One Kubernetes object of the input: a node of a document (the document's root, or an
/// item of a `List`, whose items share the list's document).
#[derive(Clone, Debug)]
pub struct Object {
    /// Shared with every finding about the object.
    pub id: Arc<ObjectRef>,
    doc: Arc<Document>,
    root: u32,
    pub origin: Origin,
}

impl Object {
    /// Builds an object from a whole document; `None` when it does not name an `apiVersion`
    /// and `kind` (such documents are skipped and counted, not errors).
    pub fn from_document(doc: Arc<Document>, origin: Origin) -> Option<Object> {
        let root = doc.root().id();
        Object::from_node(doc, root, None, origin)
    }

    /// Builds an object from node `root` of `doc`. `defaults` supplies the apiVersion and
    /// kind when the node omits them (items of a typed list such as `PodList`).
    pub fn from_node(
        doc: Arc<Document>,
        root: u32,
        defaults: Option<(&str, &str)>,
        origin: Origin,
    ) -> Option<Object> {
        let node = doc.node(root);
        if !node.is_map() {
            return None;
        }
        let api_version = node
            .str_at("apiVersion")
            .or(defaults.map(|d| d.0))?
            .to_string();
        let kind = node.str_at("kind").or(defaults.map(|d| d.1))?.to_string();
        if api_version.is_empty() || kind.is_empty() {
            return None;
        }
        let root_node = node;
        let meta = root_node.get("metadata");
        let name = meta
            .and_then(|m| m.str_at("name").or_else(|| m.str_at("generateName")))
            .unwrap_or_default()
            .to_string();
        let namespace = meta
            .and_then(|m| m.str_at("namespace"))
            .filter(|ns| !ns.is_empty())
            .map(str::to_string);
        Some(Object {
            id: Arc::new(ObjectRef {
                api_version,
                kind,
                namespace,
                name,
            }),
            doc,
            root,
            origin,
        })
    }

    /// The object's tree.
    pub fn root(&self) -> Node<'_> {
        self.doc.node(self.root)
    }

    /// Builds an object from JSON (a live cluster, an admission request, tests).
    pub fn from_json(value: &serde_json::Value, origin: Origin) -> Option<Object> {
        Object::from_document(Arc::new(Document::from_json(value)), origin)
    }

    pub fn kind(&self) -> &str {
        &self.id.kind
    }

    pub fn file(&self) -> Option<&str> {
        self.file_arc().map(|f| &**f)
    }

    /// The file name, shared (every object of a file holds the same one).
    pub fn file_arc(&self) -> Option<&Arc<str>> {
        match &self.origin {
            Origin::File { path, .. } => Some(path),
            Origin::Cluster => None,
        }
    }

    /// Where `path` is written in the source (nearest existing parent for missing fields).
    pub fn locate(&self, path: &FieldPath) -> Pos {
        self.root().locate(path)
    }

    /// String-valued labels.
    pub fn labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.root()
            .get_in(&["metadata", "labels"])
            .and_then(|l| l.as_map())
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k, v.as_str()?)))
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.root()
            .get_in(&["metadata", "annotations"])
            .and_then(|a| a.str_at(key))
    }
}
