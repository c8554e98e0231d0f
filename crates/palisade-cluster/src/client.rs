//! The connection to one cluster: its client, the server's version, and the resource types
//! it serves that can be listed, discovered once and reused by every collection and watch.

use std::sync::Arc;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::{Discovery, verbs};
use kube::{Client, Config};
use palisade_model::workload::PodSpecLocator;

use crate::list::Target;
use crate::select::is_listed;
use crate::{ClusterOptions, Error};

/// A cluster to read: connected, its API discovered. Cheap to clone (the client and the
/// discovered types are shared); [`Cluster::collect`] reads it once,
/// [`Cluster::watch`] keeps an inventory of it current.
#[derive(Clone)]
pub struct Cluster {
    client: Client,
    server: String,
    server_version: String,
    options: ClusterOptions,
    /// Every served resource type (recommended version) that can be listed, sorted by
    /// group and plural.
    served: Arc<[Target]>,
}

impl Cluster {
    /// Loads the configuration `options` name (a kubeconfig and context, or the defaults:
    /// `KUBECONFIG`, `~/.kube/config`, the in-cluster service account), asks the server
    /// its version and discovers what it serves (aggregated discovery: two requests;
    /// one per group on servers older than 1.26).
    pub async fn connect(options: &ClusterOptions) -> Result<Cluster, Error> {
        let config = config(options).await?;
        let server = config.cluster_url.to_string();
        let client = Client::try_from(config).map_err(|e| Error::Connect(e.to_string()))?;
        let version = client
            .apiserver_version()
            .await
            .map_err(|e| Error::Connect(format!("{server}: {e}")))?;
        let discovery = match Discovery::new(client.clone()).run_aggregated().await {
            Ok(d) => d,
            Err(_) => Discovery::new(client.clone())
                .run()
                .await
                .map_err(|e| Error::Discovery(e.to_string()))?,
        };
        let mut served: Vec<Target> = discovery
            .groups()
            .flat_map(|g| g.recommended_resources())
            .filter(|(_, caps)| caps.supports_operation(verbs::LIST))
            .map(|(ar, caps)| Target::new(ar, &caps))
            .collect();
        served.sort_by(|a, b| (&a.ar.group, &a.ar.plural).cmp(&(&b.ar.group, &b.ar.plural)));
        Ok(Cluster {
            client,
            server,
            server_version: version.git_version,
            options: options.clone(),
            served: served.into(),
        })
    }

    /// The client, for requests of the caller's own.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The API server's URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// `v1.37.2`.
    pub fn server_version(&self) -> &str {
        &self.server_version
    }

    pub fn options(&self) -> &ClusterOptions {
        &self.options
    }

    /// The resource types a read lists: those some rule reads, the security tools'
    /// groups, and the workload kinds `locator` knows (see `select.rs`).
    pub(crate) fn targets(&self, locator: &PodSpecLocator) -> Vec<Target> {
        self.served
            .iter()
            .filter(|t| is_listed(&t.ar.group, &t.ar.kind, locator))
            .cloned()
            .collect()
    }
}

async fn config(options: &ClusterOptions) -> Result<Config, Error> {
    let config_error = |e: kube::config::KubeconfigError| Error::Config(e.to_string());
    let kube_options = KubeConfigOptions {
        context: options.context.clone(),
        cluster: None,
        user: None,
    };
    match &options.kubeconfig {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path).map_err(config_error)?;
            Config::from_custom_kubeconfig(kubeconfig, &kube_options)
                .await
                .map_err(config_error)
        }
        None if options.context.is_some() => Config::from_kubeconfig(&kube_options)
            .await
            .map_err(config_error),
        None => Config::infer()
            .await
            .map_err(|e| Error::Config(e.to_string())),
    }
}
