//! Discovery and listing: one paginated list per resource type, a few in flight at once,
//! each item turned into an [`Object`] as a manifest of it would read.

use futures::{StreamExt, stream};
use kube::api::{Api, DynamicObject, ListParams, ObjectList};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope, verbs};
use kube::{Client, Config};
use palisade_model::workload::PodSpecLocator;
use palisade_model::{Object, Origin};
use palisade_rules::Unlisted;
use serde_json::Value;

use crate::select::{is_listed, owned_by_listed_controller};
use crate::{ClusterOptions, Error};

/// What a cluster read produced.
#[derive(Debug, Default)]
pub struct Collected {
    pub objects: Vec<Object>,
    /// Resource types that could not be listed, and why.
    pub unlisted: Vec<Unlisted>,
    /// The API server's URL.
    pub server: String,
    /// `v1.37.2`, when the server says.
    pub server_version: Option<String>,
    /// Resource types listed (successfully).
    pub resources: usize,
    /// List requests made (pages included).
    pub requests: usize,
    /// Objects left to their controller (a ReplicaSet's Pods, a CronJob's Jobs).
    pub left_to_controller: usize,
}

/// Progress of a read, for a progress bar.
#[derive(Clone, Debug)]
pub enum Progress {
    /// Discovery found this many resource types to list.
    Discovered { resources: usize },
    /// One resource type was listed (or failed); `done` of `total`.
    Listed {
        resource: String,
        items: usize,
        done: usize,
        total: usize,
    },
}

/// Reads the cluster `options` point at. Blocking: runs its own single-threaded runtime
/// (listing is I/O-bound; the CPU work starts once the objects are in).
pub fn collect(
    options: &ClusterOptions,
    locator: &PodSpecLocator,
    progress: &dyn Fn(Progress),
) -> Result<Collected, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Connect(e.to_string()))?;
    runtime.block_on(collect_async(options, locator, progress))
}

async fn client(options: &ClusterOptions) -> Result<(Client, String), Error> {
    let config_error = |e: kube::config::KubeconfigError| Error::Config(e.to_string());
    let kube_options = KubeConfigOptions {
        context: options.context.clone(),
        cluster: None,
        user: None,
    };
    let config = match &options.kubeconfig {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path).map_err(config_error)?;
            Config::from_custom_kubeconfig(kubeconfig, &kube_options)
                .await
                .map_err(config_error)?
        }
        None if options.context.is_some() => Config::from_kubeconfig(&kube_options)
            .await
            .map_err(config_error)?,
        None => Config::infer()
            .await
            .map_err(|e| Error::Config(e.to_string()))?,
    };
    let url = config.cluster_url.to_string();
    let client = Client::try_from(config).map_err(|e| Error::Connect(e.to_string()))?;
    Ok((client, url))
}

async fn collect_async(
    options: &ClusterOptions,
    locator: &PodSpecLocator,
    progress: &dyn Fn(Progress),
) -> Result<Collected, Error> {
    let (client, server) = client(options).await?;
    let version = client
        .apiserver_version()
        .await
        .map_err(|e| Error::Connect(format!("{server}: {e}")))?;
    let mut collected = Collected {
        server,
        server_version: Some(version.git_version),
        ..Default::default()
    };
    // Aggregated discovery is two requests; servers before 1.26 need one per group.
    let discovery = match Discovery::new(client.clone()).run_aggregated().await {
        Ok(d) => d,
        Err(_) => Discovery::new(client.clone())
            .run()
            .await
            .map_err(|e| Error::Discovery(e.to_string()))?,
    };
    let mut targets: Vec<(ApiResource, ApiCapabilities)> = discovery
        .groups()
        .flat_map(|g| g.recommended_resources())
        .filter(|(ar, caps)| {
            caps.supports_operation(verbs::LIST) && is_listed(&ar.group, &ar.kind, locator)
        })
        .collect();
    targets.sort_by(|a, b| (&a.0.group, &a.0.plural).cmp(&(&b.0.group, &b.0.plural)));
    progress(Progress::Discovered {
        resources: targets.len(),
    });

    let total = targets.len();
    let page = options.page_size();
    let namespace = options.namespace.as_deref();
    let mut lists = stream::iter(targets.into_iter().map(|(ar, caps)| {
        let client = client.clone();
        async move {
            let result = list_resource(client, &ar, &caps, namespace, page, locator).await;
            (ar, caps, result)
        }
    }))
    .buffer_unordered(options.concurrency());
    let mut done = 0;
    while let Some((ar, caps, result)) = lists.next().await {
        done += 1;
        let resource = if ar.group.is_empty() {
            ar.plural.clone()
        } else {
            format!("{}.{}", ar.plural, ar.group)
        };
        let mut items = 0;
        match result {
            Ok(mut listed) => {
                collected.resources += 1;
                collected.requests += listed.requests;
                collected.left_to_controller += listed.left_to_controller;
                items = listed.objects.len() + listed.left_to_controller;
                collected.objects.append(&mut listed.objects);
            }
            Err(reason) => collected.unlisted.push(Unlisted {
                api_version: ar.api_version.clone(),
                kind: ar.kind.clone(),
                resource: ar.plural.clone(),
                namespace: (caps.scope == Scope::Namespaced)
                    .then(|| namespace.map(str::to_string))
                    .flatten(),
                reason,
            }),
        }
        progress(Progress::Listed {
            resource,
            items,
            done,
            total,
        });
    }
    // Lists finish in any order; findings must not.
    // Compared through borrowed keys: tens of thousands of objects are sorted.
    fn key(o: &Object) -> (&str, &str, Option<&str>, &str) {
        (
            o.id.group(),
            &o.id.kind,
            o.id.namespace.as_deref(),
            &o.id.name,
        )
    }
    collected.objects.sort_by(|a, b| key(a).cmp(&key(b)));
    collected
        .unlisted
        .sort_by(|a, b| (&a.api_version, &a.resource).cmp(&(&b.api_version, &b.resource)));
    Ok(collected)
}

struct Listed {
    objects: Vec<Object>,
    requests: usize,
    left_to_controller: usize,
}

impl Listed {
    /// Keeps one listed item as an [`Object`]: each page's JSON is turned into compact
    /// documents as it arrives and dropped, so a list of 50,000 objects never sits in
    /// memory as JSON trees.
    fn keep(&mut self, item: Value, ar: &ApiResource, locator: &PodSpecLocator) {
        if owned_by_listed_controller(&item, locator) {
            self.left_to_controller += 1;
        } else if let Some(object) = Object::from_json(&with_type(item, ar), Origin::Cluster) {
            self.objects.push(object);
        }
    }
}

/// Every object of one resource type, page by page. Secrets are listed as metadata only.
async fn list_resource(
    client: Client,
    ar: &ApiResource,
    caps: &ApiCapabilities,
    namespace: Option<&str>,
    page: u32,
    locator: &PodSpecLocator,
) -> Result<Listed, String> {
    let api: Api<DynamicObject> = match (caps.scope == Scope::Namespaced, namespace) {
        (true, Some(ns)) => Api::namespaced_with(client, ns, ar),
        _ => Api::all_with(client, ar),
    };
    let is_secret = ar.group.is_empty() && ar.plural == "secrets";
    let mut listed = Listed {
        objects: Vec::new(),
        requests: 0,
        left_to_controller: 0,
    };
    let mut requests = 0;
    if is_secret {
        // Only metadata travels; the type is learnt by asking which Secrets are
        // service-account tokens (the one type a rule needs) with a field selector.
        let mut token_uids = std::collections::HashSet::new();
        all_pages(
            &api,
            page,
            Some(LEGACY_TOKEN_SELECTOR),
            &mut requests,
            true,
            |t| {
                if let Some(uid) = t.pointer("/metadata/uid").and_then(Value::as_str) {
                    token_uids.insert(uid.to_string());
                }
            },
        )
        .await?;
        all_pages(&api, page, None, &mut requests, true, |mut secret| {
            let uid = secret.pointer("/metadata/uid").and_then(Value::as_str);
            if uid.is_some_and(|u| token_uids.contains(u)) {
                secret["type"] = Value::from(LEGACY_TOKEN_TYPE);
            }
            listed.keep(secret, ar, locator);
        })
        .await?;
    } else {
        all_pages(&api, page, None, &mut requests, false, |item| {
            listed.keep(item, ar, locator)
        })
        .await?;
    }
    listed.requests = requests;
    Ok(listed)
}

const LEGACY_TOKEN_TYPE: &str = "kubernetes.io/service-account-token";
const LEGACY_TOKEN_SELECTOR: &str = "type=kubernetes.io/service-account-token";

/// Lists every page, handing each item to `each` as its page arrives; `metadata_only`
/// asks for `PartialObjectMetadata`.
async fn all_pages(
    api: &Api<DynamicObject>,
    page: u32,
    field_selector: Option<&str>,
    requests: &mut usize,
    metadata_only: bool,
    mut each: impl FnMut(Value),
) -> Result<(), String> {
    let mut params = ListParams::default().limit(page);
    if let Some(selector) = field_selector {
        params = params.fields(selector);
    }
    loop {
        *requests += 1;
        let next = if metadata_only {
            let list = api.list_metadata(&params).await.map_err(describe)?;
            let next = continue_token(&list);
            for item in list.items {
                each(serde_json::json!({ "metadata": item.metadata }));
            }
            next
        } else {
            let list = api.list(&params).await.map_err(describe)?;
            let next = continue_token(&list);
            for item in list.items {
                if let Ok(value) = serde_json::to_value(item) {
                    each(value);
                }
            }
            next
        };
        match next {
            Some(token) => params = params.continue_token(&token),
            None => return Ok(()),
        }
    }
}

fn continue_token<T: Clone>(list: &ObjectList<T>) -> Option<String> {
    list.metadata
        .continue_
        .clone()
        .filter(|token| !token.is_empty())
}

/// `forbidden` for a 403 (what the report and the rules say), the error otherwise.
fn describe(error: kube::Error) -> String {
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
