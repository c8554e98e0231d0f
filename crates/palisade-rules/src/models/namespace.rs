//! Namespaces as selectors see them: the labels of the Namespace object, plus the one the
//! API server always sets.

use palisade_model::Inventory;

/// The label the API server sets on every Namespace (since Kubernetes 1.21, GA in 1.22),
/// whatever the manifest says: its value is always the namespace's name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A namespace's labels as admission webhooks and policy engines see them: the Namespace
/// object's labels (when it is in the input) plus the automatic `kubernetes.io/metadata.name`.
pub fn namespace_labels<'a>(inventory: &'a Inventory, name: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut labels: Vec<(&str, &str)> = inventory
        .namespace(name)
        .map(|ns| {
            ns.labels()
                .filter(|(k, _)| *k != NAMESPACE_NAME_LABEL)
                .collect()
        })
        .unwrap_or_default();
    labels.push((NAMESPACE_NAME_LABEL, name));
    labels
}
