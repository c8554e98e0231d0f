//! The live-cluster front end's input stage: connects with a kubeconfig (or in-cluster
//! config), discovers what the API server serves, lists what the rules read, and turns it
//! into the same [`Object`](palisade_model::Object)s a file scan produces (with
//! [`Origin::Cluster`](palisade_model::Origin)).
//!
//! What it never does: read Secret values. Secrets are listed and watched as metadata
//! only (`PartialObjectMetadata`), and their type is learnt from field selectors, so no
//! value crosses the wire. What it never hides: a resource type it could not list (403,
//! or any error) is reported as [`Unlisted`], and the rules that needed it say "not
//! evaluated".
//!
//! # Reading once, blocking: the CLI
//!
//! [`collect`] connects, lists and returns a [`Collected`], on a runtime of its own.
//!
//! # Inside a tokio server
//!
//! [`Cluster::connect`] loads the configuration, asks the server's version and discovers
//! what it serves, once; the [`Cluster`] is then reused:
//!
//! - [`Cluster::collect`] reads every type as [`collect`] does (it is what `collect`
//!   runs), a few lists in flight, page by page;
//! - [`Cluster::watch`] keeps an inventory current: each type is listed, then watched
//!   from the list's resourceVersion (with bookmarks; relisted when the server answers
//!   410 Gone; errors retried with backoff), and every added, modified or deleted object
//!   goes through the same conversion and filters as collection. [`Watch::snapshot`] is
//!   a consistent view ([`Snapshot::inventory`] an [`Inventory`](palisade_model::Inventory)
//!   with its facts: complete, unlisted types); [`Watch::changes`] announces each change.
//!
//! ```no_run
//! # async fn serve() -> Result<(), palisade_cluster::Error> {
//! use palisade_cluster::{Cluster, ClusterOptions};
//! use palisade_model::workload::PodSpecLocator;
//!
//! let cluster = Cluster::connect(&ClusterOptions::default()).await?;
//! let watch = cluster.watch(PodSpecLocator::builtin());
//! watch.ready().await;
//! let mut changes = watch.changes();
//! loop {
//!     let inventory = watch.inventory();
//!     // ... answer admission requests against `inventory` ...
//!     # let _ = inventory;
//!     if changes.changed().await.is_err() {
//!         break;
//!     }
//! }
//! # Ok(())
//! # }
//! ```

mod client;
mod collect;
mod list;
mod select;
mod watch;

use std::path::PathBuf;

pub use client::Cluster;
pub use collect::{Collected, Progress, collect};
pub use palisade_model::Unlisted;
pub use select::{is_listed, owned_by_listed_controller};
pub use watch::{Snapshot, Watch, WatchStats};

/// How to reach the cluster and what to read.
#[derive(Clone, Debug, Default)]
pub struct ClusterOptions {
    /// A kubeconfig file; `None` follows the default loading rules (`KUBECONFIG`,
    /// `~/.kube/config`, then the in-cluster service account).
    pub kubeconfig: Option<PathBuf>,
    /// A context of the kubeconfig other than the current one.
    pub context: Option<String>,
    /// Only this namespace's objects (cluster-scoped objects are still read); `None` for
    /// all namespaces.
    pub namespace: Option<String>,
    /// Items per list request (pagination).
    pub page_size: u32,
    /// List requests in flight at once.
    pub concurrency: usize,
}

impl ClusterOptions {
    /// Items per list request: 500 unless set.
    pub fn page_size(&self) -> u32 {
        if self.page_size == 0 {
            500
        } else {
            self.page_size
        }
    }

    pub fn concurrency(&self) -> usize {
        self.concurrency
            .clamp(1, 16)
            .max(if self.concurrency == 0 { 4 } else { 1 })
    }
}

/// Why the cluster could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot load the kubeconfig: {0}")]
    Config(String),
    #[error("cannot reach the API server: {0}")]
    Connect(String),
    #[error("API discovery failed: {0}")]
    Discovery(String),
}
