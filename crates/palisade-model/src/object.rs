//! Object identity and origin.

use std::fmt;
use std::sync::Arc;

use crate::node::{Node, Pos};
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
    /// The API group (empty for the core group).
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }
}

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

/// One Kubernetes object of the input.
#[derive(Clone, Debug)]
pub struct Object {
    pub id: ObjectRef,
    pub root: Node,
    pub origin: Origin,
}

impl Object {
    /// Builds an object from a document root; `None` when the document does not name an
    /// `apiVersion` and `kind` (such documents are skipped and counted, not errors).
    pub fn from_root(root: Node, origin: Origin) -> Option<Object> {
        let api_version = root.str_at("apiVersion")?.to_string();
        let kind = root.str_at("kind")?.to_string();
        if api_version.is_empty() || kind.is_empty() {
            return None;
        }
        let meta = root.get("metadata");
        let name = meta
            .and_then(|m| m.str_at("name").or_else(|| m.str_at("generateName")))
            .unwrap_or_default()
            .to_string();
        let namespace = meta
            .and_then(|m| m.str_at("namespace"))
            .filter(|ns| !ns.is_empty())
            .map(str::to_string);
        Some(Object {
            id: ObjectRef {
                api_version,
                kind,
                namespace,
                name,
            },
            root,
            origin,
        })
    }

    pub fn kind(&self) -> &str {
        &self.id.kind
    }

    pub fn file(&self) -> Option<&str> {
        match &self.origin {
            Origin::File { path, .. } => Some(path),
            Origin::Cluster => None,
        }
    }

    /// Where `path` is written in the source (nearest existing parent for missing fields).
    pub fn locate(&self, path: &FieldPath) -> Pos {
        self.root.locate(path)
    }

    pub fn labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.root
            .get_in(&["metadata", "labels"])
            .and_then(Node::as_map)
            .into_iter()
            .flat_map(|m| m.iter())
            .filter_map(|(k, v)| Some((k, v.as_str()?)))
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.root
            .get_in(&["metadata", "annotations"])
            .and_then(|a| a.str_at(key))
    }
}
