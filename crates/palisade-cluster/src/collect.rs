//! Collection: one paginated list per resource type, a few in flight at once, each item
//! turned into an [`Object`] as a manifest of it would read.

use futures::{StreamExt, stream};
use palisade_model::workload::PodSpecLocator;
use palisade_model::{Object, Unlisted};

use crate::list::{Kept, Target, describe};
use crate::{Cluster, ClusterOptions, Error};

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
/// (listing is I/O-bound; the CPU work starts once the objects are in). Inside a tokio
/// runtime, use [`Cluster::connect`] and [`Cluster::collect`] instead.
pub fn collect(
    options: &ClusterOptions,
    locator: &PodSpecLocator,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Collected, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Connect(e.to_string()))?;
    runtime.block_on(async {
        let cluster = Cluster::connect(options).await?;
        Ok(cluster.collect(locator, progress).await)
    })
}

impl Cluster {
    /// Lists every resource type the scan reads (see [`is_listed`](crate::is_listed)),
    /// [`ClusterOptions::concurrency`] lists in flight, [`ClusterOptions::page_size`]
    /// items a page. A type that cannot be listed is in [`Collected::unlisted`], never
    /// an error. Objects are sorted by group, kind, namespace and name.
    pub async fn collect(
        &self,
        locator: &PodSpecLocator,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Collected {
        let mut collected = Collected {
            server: self.server().to_string(),
            server_version: Some(self.server_version().to_string()),
            ..Default::default()
        };
        let targets = self.targets(locator);
        progress(Progress::Discovered {
            resources: targets.len(),
        });
        let total = targets.len();
        let options = self.options();
        let namespace = options.namespace.as_deref();
        let mut lists = stream::iter(targets.into_iter().map(|target| async move {
            let result = self.list_target(&target, locator).await;
            (target, result)
        }))
        .buffer_unordered(options.concurrency());
        let mut done = 0;
        while let Some((target, result)) = lists.next().await {
            done += 1;
            let mut items = 0;
            match result {
                Ok(mut listed) => {
                    collected.resources += 1;
                    collected.requests += listed.requests;
                    collected.left_to_controller += listed.left_to_controller;
                    items = listed.objects.len() + listed.left_to_controller;
                    collected.objects.append(&mut listed.objects);
                }
                Err(reason) => collected.unlisted.push(target.unlisted(namespace, reason)),
            }
            progress(Progress::Listed {
                resource: target.name(),
                items,
                done,
                total,
            });
        }
        sort_objects(&mut collected.objects);
        sort_unlisted(&mut collected.unlisted);
        collected
    }

    /// Every object of one resource type, page by page, query after query.
    async fn list_target(
        &self,
        target: &Target,
        locator: &PodSpecLocator,
    ) -> Result<Listed, String> {
        let options = self.options();
        let api = target.api(self.client().clone(), options.namespace.as_deref());
        let mut listed = Listed::default();
        let mut requests = 0;
        for query in target.queries() {
            query
                .all_pages(&api, options.page_size(), &mut requests, |item| match query
                    .keep(item, &target.ar, locator)
                {
                    Kept::Object(object) => listed.objects.push(object),
                    Kept::LeftToController => listed.left_to_controller += 1,
                    Kept::Skipped => {}
                })
                .await
                .map_err(describe)?;
        }
        listed.requests = requests;
        Ok(listed)
    }
}

#[derive(Default)]
struct Listed {
    objects: Vec<Object>,
    requests: usize,
    left_to_controller: usize,
}

/// Lists finish in any order; findings must not. Compared through borrowed keys: tens of
/// thousands of objects are sorted.
pub(crate) fn sort_objects(objects: &mut [Object]) {
    fn key(o: &Object) -> (&str, &str, Option<&str>, &str) {
        (
            o.id.group(),
            &o.id.kind,
            o.id.namespace.as_deref(),
            &o.id.name,
        )
    }
    objects.sort_by(|a, b| key(a).cmp(&key(b)));
}

pub(crate) fn sort_unlisted(unlisted: &mut [Unlisted]) {
    unlisted.sort_by(|a, b| (&a.api_version, &a.resource).cmp(&(&b.api_version, &b.resource)));
}
