//! Helpers shared by the tests that run against the real API server (tests/cluster.rs,
//! tests/deploy.rs).

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::Value;

/// A client for the user of `kubeconfig` (a file written by scripts/testcluster or a test).
pub async fn client(kubeconfig: &str) -> Client {
    let config = Config::from_custom_kubeconfig(
        Kubeconfig::read_from(kubeconfig).unwrap(),
        &KubeConfigOptions::default(),
    )
    .await
    .unwrap();
    Client::try_from(config).unwrap()
}

/// `resource reason` of every entry of a JSON report's `unlisted_resources`.
pub fn unlisted(report: &Value) -> Vec<String> {
    report["unlisted_resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            format!(
                "{} {}",
                u["resource"].as_str().unwrap(),
                u["reason"].as_str().unwrap()
            )
        })
        .collect()
}
