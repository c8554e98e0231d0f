//! One resource type as the scan reads it, shared by collection and the watch: the
//! queries it takes (Secrets: metadata only, in two lists), the pages of a list, and each
//! item turned into an [`Object`] as a manifest of it would read.

use kube::Client;
use kube::api::{Api, DynamicObject, ListParams, ObjectList};
use kube::discovery::{ApiCapabilities, ApiResource, Scope, verbs};
use palisade_model::workload::PodSpecLocator;
use palisade_model::{Object, Origin, Unlisted};
use serde_json::Value;

use crate::select::owned_by_listed_controller;

/// A served resource type the scan reads.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub ar: ApiResource,
    pub namespaced: bool,
    /// The server serves `watch` for it.
    pub watchable: bool,
}

impl Target {
    pub fn new(ar: ApiResource, caps: &ApiCapabilities) -> Target {
        Target {
            namespaced: caps.scope == Scope::Namespaced,
            watchable: caps.supports_operation(verbs::WATCH),
            ar,
        }
    }

    /// The API for its objects: of `namespace` when the scan is limited to one and the
    /// type is namespaced, else of the whole cluster.
    pub fn api(&self, client: Client, namespace: Option<&str>) -> Api<DynamicObject> {
        match (self.namespaced, namespace) {
            (true, Some(ns)) => Api::namespaced_with(client, ns, &self.ar),
            _ => Api::all_with(client, &self.ar),
        }
    }

    /// `deployments.apps`, `pods`.
    pub fn name(&self) -> String {
        if self.ar.group.is_empty() {
            self.ar.plural.clone()
        } else {
            format!("{}.{}", self.ar.plural, self.ar.group)
        }
    }

    /// The report's entry for this type, not read for `reason`.
    pub fn unlisted(&self, namespace: Option<&str>, reason: String) -> Unlisted {
        Unlisted {
            api_version: self.ar.api_version.clone(),
            kind: self.ar.kind.clone(),
            resource: self.ar.plural.clone(),
            namespace: namespace.filter(|_| self.namespaced).map(str::to_string),
            reason,
        }
    }

    /// The lists that together read every object of the type, each object in exactly one.
    pub fn queries(&self) -> &'static [Query] {
        if self.ar.group.is_empty() && self.ar.plural == "secrets" {
            SECRET_QUERIES
        } else {
            &[Query {
                fields: None,
                metadata_only: false,
                legacy_token: false,
            }]
        }
    }
}

/// One list (and, for the watch, one watch) of a resource type.
#[derive(Debug)]
pub(crate) struct Query {
    pub fields: Option<&'static str>,
    /// `PartialObjectMetadata`: nothing but metadata crosses the wire.
    pub metadata_only: bool,
    /// Every item is a legacy service-account token Secret (its `type` is set).
    pub legacy_token: bool,
}

const LEGACY_TOKEN_TYPE: &str = "kubernetes.io/service-account-token";

/// Only metadata travels; the one Secret type a rule needs (legacy service-account tokens)
/// is learnt from which of the two field selectors lists it. A Secret's type cannot change
/// after creation, so each Secret is in one list for its whole life.
const SECRET_QUERIES: &[Query] = &[
    Query {
        fields: Some("type=kubernetes.io/service-account-token"),
        metadata_only: true,
        legacy_token: true,
    },
    Query {
        fields: Some("type!=kubernetes.io/service-account-token"),
        metadata_only: true,
        legacy_token: false,
    },
];

/// What one listed or watched item becomes.
pub(crate) enum Kept {
    Object(Object),
    /// Controlled by an object of a workload kind (a Deployment's ReplicaSet): left to it.
    LeftToController,
    /// Not an object (no `apiVersion` or `kind`; never for items of a list response).
    Skipped,
}

impl Query {
    /// `item` (as the server returned it, in a list or a watch event) as the scan keeps it.
    pub fn keep(&self, mut item: Value, ar: &ApiResource, locator: &PodSpecLocator) -> Kept {
        if owned_by_listed_controller(&item, locator) {
            return Kept::LeftToController;
        }
        if self.legacy_token {
            item["type"] = Value::from(LEGACY_TOKEN_TYPE);
        }
        match Object::from_json(&with_type(item, ar), Origin::Cluster) {
            Some(object) => Kept::Object(object),
            None => Kept::Skipped,
        }
    }

    /// Lists every page, handing each item to `each` as its page arrives: each page's JSON
    /// is turned into compact documents and dropped before the next is asked for, so a
    /// list of 50,000 objects never sits in memory as JSON trees. Returns the list's resourceVersion, where a
    /// watch of the same query starts.
    pub async fn all_pages(
        &self,
        api: &Api<DynamicObject>,
        page: u32,
        requests: &mut usize,
        mut each: impl FnMut(Value),
    ) -> Result<String, kube::Error> {
        let mut params = ListParams::default().limit(page);
        if let Some(selector) = self.fields {
            params = params.fields(selector);
        }
        loop {
            *requests += 1;
            let (next, version) = if self.metadata_only {
                let list = api.list_metadata(&params).await?;
                let next = page_end(&list);
                for item in list.items {
                    each(metadata_value(item.metadata));
                }
                next
            } else {
                let list = api.list(&params).await?;
                let next = page_end(&list);
                for item in list.items {
                    if let Some(value) = object_value(item) {
                        each(value);
                    }
                }
                next
            };
            match next {
                Some(token) => params = params.continue_token(&token),
                None => return Ok(version),
            }
        }
    }
}

/// A metadata-only item as JSON.
pub(crate) fn metadata_value(metadata: kube::api::ObjectMeta) -> Value {
    serde_json::json!({ "metadata": metadata })
}

/// A whole item as JSON.
pub(crate) fn object_value(item: DynamicObject) -> Option<Value> {
    serde_json::to_value(item).ok()
}

/// The continue token of a page, if more follow, and the list's resourceVersion.
fn page_end<T: Clone>(list: &ObjectList<T>) -> (Option<String>, String) {
    let next = list
        .metadata
        .continue_
        .clone()
        .filter(|token| !token.is_empty());
    let version = list.metadata.resource_version.clone().unwrap_or_default();
    (next, version)
}

/// `forbidden` for a 403 (what the report and the rules say), the error otherwise.
pub(crate) fn describe(error: kube::Error) -> String {
    match error {
        kube::Error::Api(status) if status.code == 403 => "forbidden".to_string(),
        kube::Error::Api(status) => format!("{} ({})", status.message, status.code),
        other => other.to_string(),
    }
}

/// Items of a list response lack `apiVersion` and `kind`; they are set from the resource.
/// Fields the server maintains and a manifest would not hold are dropped: `managedFields`,
/// and kubectl's `last-applied-configuration` annotation, which repeats the whole object
/// (for a Secret applied with kubectl, its values).
fn with_type(mut item: Value, ar: &ApiResource) -> Value {
    if let Some(map) = item.as_object_mut() {
        map.insert("apiVersion".into(), Value::from(ar.api_version.as_str()));
        map.insert("kind".into(), Value::from(ar.kind.as_str()));
    }
    if let Some(metadata) = item.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("managedFields");
        if let Some(annotations) = metadata
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
        {
            annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
    item
}
